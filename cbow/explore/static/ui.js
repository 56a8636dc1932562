// Small pieces every view uses: building elements, numbers, the search box with completion,
// a list of neighbours with cosine bars, and error messages with clickable suggestions.
// Words are always set as text (textContent), never as HTML: a word may hold any character.

import { getJson } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return node;
}

export const count = (n) => Number(n).toLocaleString("en-US");
export const percent = (x, digits = 1) => `${(100 * x).toFixed(digits)}%`;
export const fixed = (x, digits = 3) => (x === null || x === undefined ? "n/a" : Number(x).toFixed(digits));

// An error in place of a result; suggestions ("did you mean") are buttons calling onWord.
export function errorBox(error, onWord) {
  const box = el("div", { class: "error", role: "alert" }, el("p", { text: error.message }));
  if (error.suggestions && error.suggestions.length && onWord) {
    box.append(el("p", { class: "suggestions" }, "Did you mean ",
      error.suggestions.map((word) => el("button", { class: "chip", type: "button", onclick: () => onWord(word), text: word })),
    ));
  }
  return box;
}

export function notice(text, kind = "info") {
  return el("p", { class: `notice ${kind}`, text });
}

// Rows of (word, cosine): rank, the word as a link, a bar as long as the cosine, the value.
// marks[i] (optional) adds a class and a note to row i (compare view); relative: bars
// as long as score / the best score (3CosMul's scores are not cosines).
export function neighbourList(items, { onWord, marks, highlight, relative = false } = {}) {
  const list = el("ol", { class: "neighbours" });
  const top = relative && items.length ? Math.max(...items.map(([, score]) => Math.abs(score))) || 1 : 1;
  items.forEach(([word, score], index) => {
    const mark = marks ? marks[index] : null;
    const bar = el("span", { class: `bar${score < 0 ? " negative" : ""}` });
    bar.style.width = `${Math.min(100, (Math.abs(score) / top) * 100).toFixed(1)}%`;
    const row = el("li", { class: mark ? mark.class : "", dataset: { word } },
      el("span", { class: "rank", text: String(index + 1) }),
      el("button", { class: "word", type: "button", title: `neighbours of ${word}`, onclick: () => onWord && onWord(word), text: word }),
      el("span", { class: "track" }, bar),
      el("span", { class: "score", text: score.toFixed(3) }),
      mark && mark.note ? el("span", { class: "note", text: mark.note }) : null,
    );
    if (highlight && highlight.has(word)) row.classList.add("highlight");
    list.append(row);
  });
  return list;
}

// A text input with a completion list over a file's vocabulary.
// options.file() gives the file id; options.onPick(word) runs on Enter or a click.
// The input must be in its place already: the list goes right after it.
export function searchBox(input, { file, onPick, limit = 10 }) {
  if (!input.parentNode) throw new Error("searchBox: put the input in the page first");
  const list = el("ul", { class: "completions", role: "listbox", hidden: true });
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("autocomplete", "off");
  input.setAttribute("spellcheck", "false");
  let items = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); };
  const pick = (word) => { input.value = word; close(); onPick(word); };
  const paint = () => {
    [...list.children].forEach((item, index) => item.classList.toggle("active", index === active));
  };
  const show = (words, spelling) => {
    items = words.length ? words : spelling;
    clear(list, spelling.length && !words.length ? el("li", { class: "hint", text: "did you mean" }) : null,
      items.map((word, index) => el("li", {
        role: "option", class: "completion", dataset: { index: String(index) },
        onmousedown: (event) => { event.preventDefault(); pick(word); }, text: word,
      })));
    active = -1;
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
  };
  const ask = async () => {
    const prefix = input.value.trim();
    if (!prefix) { close(); return; }
    const ticket = ++asked;
    try {
      const answer = await getJson("complete", { file: file(), q: prefix, limit });
      if (ticket === asked && input.value.trim() === prefix) show(answer.words, answer.did_you_mean);
    } catch (ignored) { close(); }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 60); });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    const options = list.querySelectorAll(".completion");
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault(); active = (active + 1) % options.length; paint();
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault(); active = (active - 1 + options.length) % options.length; paint();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const word = active >= 0 && !list.hidden ? items[active] : input.value.trim();
      clearTimeout(timer); asked++;
      if (word) pick(word);
    } else if (event.key === "Escape") {
      close();
    }
  });
  return { close };
}

// A progress bar (value 0..1, or null for "working, no fraction known").
export function progressBar(value, label) {
  const bar = el("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" },
    el("div", { class: "fill" }), el("span", { class: "label", text: label || "" }));
  if (value === null || value === undefined) bar.classList.add("indeterminate");
  else {
    bar.firstChild.style.width = `${Math.round(100 * value)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(100 * value)));
  }
  return bar;
}
