// cbow explore: the page's start. Loads what the server serves, then routes between the views.
// The address says what is shown (#neighbours?file=0&word=paris), so Back and Forward walk
// the words visited and any view can be bookmarked or reloaded.

import { getJson } from "./api.js";
import { clear, count, el, errorBox } from "./ui.js";
import { analogyView } from "./analogy.js";
import { compareView } from "./compare.js";
import { evaluateView } from "./evaluate.js";
import { mapView } from "./mapview.js";
import { neighboursView } from "./neighbours.js";
import { trainingView } from "./training.js";

const session = {
  files: [], maps: {}, sets: [], limits: {},
  file: "0",
  fileInfo(id = session.file) { return session.files.find((file) => file.id === id) || session.files[0]; },
  // Show a view: go("neighbours", {word: "paris"}); the current file is added unless given.
  go(view, params = {}, { replace = false } = {}) {
    const query = new URLSearchParams();
    const all = { file: session.file, ...params };
    for (const [name, value] of Object.entries(all)) if (value !== undefined && value !== null && value !== "") query.set(name, value);
    const hash = `#${view}?${query}`;
    if (hash === location.hash) { route(); return; }
    if (replace) { history.replaceState(null, "", hash); route(); } else location.hash = hash;
  },
};

const views = {};
let current = null;

function parseHash() {
  const text = location.hash.replace(/^#/, "");
  const [name, query] = text.split("?");
  return { name: views[name] ? name : "neighbours", params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function route() {
  const { name, params } = parseHash();
  if (params.file && session.fileInfo(params.file)?.id === params.file) session.file = params.file;
  document.getElementById("file").value = session.file;
  for (const [viewName, view] of Object.entries(views)) {
    const active = viewName === name;
    view.element.hidden = !active;
    document.querySelector(`#tabs a[data-view="${viewName}"]`)?.setAttribute("aria-current", active ? "page" : "false");
  }
  if (current && current !== views[name] && current.hide) current.hide();
  current = views[name];
  document.title = `${current.title} · cbow explore`;
  current.show(params);
  updateFileInfo();
}

function updateFileInfo() {
  const info = session.fileInfo();
  const facts = [`${count(info.words)} words`, `dim ${info.dim}`];
  if (info.mapped) facts.push("memory-mapped");
  if (info.log) facts.push("training log");
  clear(document.getElementById("file-facts"), facts.join(" · "));
  document.getElementById("file").title = info.path;
}

function fillFilePicker() {
  const picker = document.getElementById("file");
  clear(picker, session.files.map((file) => el("option", { value: file.id, text: file.name })));
  picker.addEventListener("change", () => {
    const { name, params } = parseHash();
    session.file = picker.value;
    session.go(name, { ...params, file: picker.value });
  });
  if (session.files.length > 1) document.body.classList.add("several-files");
}

async function start() {
  const main = document.querySelector("main");
  try {
    Object.assign(session, await getJson("files"));
  } catch (error) {
    clear(main, errorBox(error));
    return;
  }
  fillFilePicker();
  const makers = { neighbours: neighboursView, analogy: analogyView, map: mapView, compare: compareView,
    training: trainingView, evaluate: evaluateView };
  for (const [name, make] of Object.entries(makers)) {
    views[name] = make(session, document.getElementById(`view-${name}`));
  }
  document.querySelectorAll("#tabs a").forEach((tab) => tab.addEventListener("click", (event) => {
    event.preventDefault();
    const view = tab.dataset.view;
    session.go(view, views[view].lastParams ? views[view].lastParams() : {});
  }));
  window.addEventListener("hashchange", route);
  route();
  document.body.classList.add("ready");
}

start();
