// The Compare view: one word's neighbours in file A and in file B side by side, what each
// has that the other lacks, overlap@k; and the frequent words whose neighbours moved most.

import { getJson } from "./api.js";
import { clear, count, el, errorBox, fixed, neighbourList, percent, searchBox } from "./ui.js";

const KS = [10, 20, 50];
const MOVED_SHOWN = 25;

export function compareView(session, root) {
  let state = {};
  let asked = 0;

  if (session.files.length < 2) {
    clear(root, el("div", { class: "empty" },
      el("p", { text: "Comparing needs two vectors files." }),
      el("p", { class: "muted" }, "Start the explorer with both, e.g. ", el("code", { text: "cbow explore old.bin new.bin" }),
        ", to see each word's neighbours in both, what each has that the other lacks, and overlap@k.")));
    return { element: root, title: "Compare", show: () => {} };
  }

  const picker = (id, label) => el("select", { id, "aria-label": label },
    session.files.map((file) => el("option", { value: file.id, text: `${label}: ${file.name}` })));
  const a = picker("compare-a", "A");
  const b = picker("compare-b", "B");
  const input = el("input", { id: "compare-word", type: "search", placeholder: "a word in both, e.g. paris", "aria-label": "word" });
  const k = el("select", { id: "compare-k", "aria-label": "k" }, KS.map((value) => el("option", { value: String(value), text: `k = ${value}` })));
  const summary = el("div", { class: "overlap", id: "compare-summary" });
  const columns = el("div", { class: "columns two", id: "compare-result" });
  const moved = el("section", { class: "moved", id: "compare-moved" });
  clear(root, el("div", { class: "toolbar" }, a, b, el("div", { class: "search" }, input), k), summary, columns, moved);

  const go = (word) => session.go("compare", { a: a.value, b: b.value, word, k: k.value });
  searchBox(input, { file: () => a.value, onPick: go });
  for (const control of [a, b, k]) control.addEventListener("change", () => go(state.word || ""));

  function side(answer, name, fileName) {
    if (answer.error) return el("section", { class: "column" }, el("h3", { text: `${name}: ${fileName}` }), errorBox(answer.error, go));
    const marks = answer.marks.map((mark) => {
      if (mark.shared) return { class: "shared", note: `#${mark.rank_in_other} in ${name === "A" ? "B" : "A"}` };
      const other = name === "A" ? "B" : "A";
      const note = mark.in_other_vocabulary ? (mark.cosine_in_other === null ? `not in ${other}` : `cos ${fixed(mark.cosine_in_other)} in ${other}`)
        : `not in ${other}'s vocabulary`;
      return { class: "only", note };
    });
    return el("section", { class: "column", dataset: { side: name } },
      el("h3", { text: `${name}: ${fileName}` }),
      neighbourList(answer.neighbours, { onWord: go, marks }));
  }

  async function load(params) {
    a.value = session.files.some((f) => f.id === params.a) ? params.a : session.files[0].id;
    b.value = session.files.some((f) => f.id === params.b) && params.b !== a.value ? params.b
      : session.files.find((f) => f.id !== a.value).id;
    k.value = KS.includes(Number(params.k)) ? params.k : "10";
    state = { word: params.word || "", a: a.value, b: b.value, k: k.value };
    input.value = state.word;
    showMovedButton();
    if (!state.word) {
      clear(summary);
      clear(columns, el("div", { class: "empty" }, el("p", { text: "Type a word to see its neighbours in A and in B." }),
        el("p", { class: "muted", text: "Shared neighbours are plain; those only one file has are marked, with their cosine in the other." })));
      return;
    }
    const ticket = ++asked;
    columns.classList.add("loading");
    try {
      const answer = await getJson("compare", { a: a.value, b: b.value, word: state.word, k: k.value });
      if (ticket !== asked) return;
      const names = Object.fromEntries(session.files.map((file) => [file.id, file.name]));
      clear(summary, answer.overlap === null ? null : [
        el("span", { class: "big", text: fixed(answer.overlap, 2) }),
        el("span", { text: ` overlap@${answer.k}: ${answer.shared} of the ${answer.k} nearest words of '${state.word}' are shared` }),
        el("span", { class: "muted", text: ` · only in A: ${answer.only_a.length} · only in B: ${answer.only_b.length}` })]);
      clear(columns, side(answer.a, "A", names[a.value]), side(answer.b, "B", names[b.value]));
    } catch (error) {
      if (ticket === asked) { clear(summary); clear(columns, errorBox(error, go)); }
    } finally {
      if (ticket === asked) columns.classList.remove("loading");
    }
  }

  function showMovedButton() {
    const key = `${a.value}:${b.value}:${k.value}`;
    if (moved.dataset.key === key) return;
    moved.dataset.key = key;
    clear(moved, el("h3", { text: "Which words moved most?" }),
      el("p", { class: "muted", text: "overlap@k of the 1,000 most frequent words of A that B also has, lowest first: what a retrain changed." }),
      el("button", { type: "button", id: "moved-run", text: "Find them", onclick: runMoved }));
  }

  async function runMoved() {
    const key = moved.dataset.key;
    clear(moved, el("h3", { text: "Which words moved most?" }), el("p", { class: "muted", text: "searching both files…" }));
    try {
      const answer = await getJson("moved", { a: a.value, b: b.value, sample: 1000, k: k.value });
      if (moved.dataset.key !== key) return;
      clear(moved, el("h3", { text: "Which words moved most?" }),
        el("p", { text: `Mean overlap@${answer.k} over the ${count(answer.sample)} most frequent words: ${percent(answer.mean_overlap)}. The ${Math.min(MOVED_SHOWN, answer.words.length)} lowest:` }),
        el("table", { class: "table" },
          el("thead", {}, el("tr", {}, ["word", `overlap@${answer.k}`, "nearest in A", "nearest in B"]
            .map((text, i) => el("th", { class: i === 1 ? "number" : null, text })))),
          el("tbody", {}, answer.words.slice(0, MOVED_SHOWN).map((row) => el("tr", {},
            el("td", {}, el("button", { type: "button", class: "word", text: row.word, onclick: () => go(row.word) })),
            el("td", { class: "number", text: fixed(row.overlap, 2) }),
            el("td", { class: "muted", text: row.a.join(", ") }),
            el("td", { class: "muted", text: row.b.join(", ") }))))));
    } catch (error) {
      clear(moved, errorBox(error));
    }
  }

  return { element: root, title: "Compare", show: load, lastParams: () => (state.word ? { ...state } : {}) };
}
