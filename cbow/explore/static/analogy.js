// The Analogies view: an expression as `cbow query` takes it (king - man + woman, or
// man : king :: woman), answered by 3CosAdd and 3CosMul side by side.

import { getJson } from "./api.js";
import { clear, el, errorBox, neighbourList, notice } from "./ui.js";

const METHODS = [
  ["3CosAdd", "cosine with the sum of the unit vectors, + words added and − words taken away"],
  ["3CosMul", "Levy & Goldberg: shifted cosines with the + words multiplied, divided by those with the − words"],
];
const EXAMPLES = ["king - man + woman", "paris : france :: berlin", "walked - walk + jump", "cats - cat + dog"];

export function analogyView(session, root) {
  const input = el("input", { id: "expression", type: "search", placeholder: "king - man + woman   or   man : king :: woman",
    "aria-label": "expression", autocomplete: "off", spellcheck: "false" });
  const form = el("form", { class: "toolbar", onsubmit: (event) => { event.preventDefault(); solve(input.value); } },
    el("div", { class: "search wide" }, input),
    el("button", { type: "submit", class: "primary", text: "Solve" }));
  const examples = el("p", { class: "examples" }, "Try ",
    EXAMPLES.map((text) => el("button", { type: "button", class: "chip", text, onclick: () => solve(text) })));
  const parsed = el("div", { class: "parsed" });
  const columns = el("div", { class: "columns two", id: "analogy-result" });
  let state = {};
  let asked = 0;
  clear(root, form, examples, parsed, columns);

  const solve = (text) => { if (text.trim()) session.go("analogy", { q: text.trim() }); };
  const walk = (word) => session.go("neighbours", { word });

  async function load(params) {
    state = { q: params.q || "" };
    input.value = state.q;
    if (!state.q) {
      clear(parsed);
      clear(columns, el("div", { class: "empty" },
        el("p", { text: "Write an analogy as a sum of words: the answer is the word nearest to it." }),
        el("p", { class: "muted", text: "a : b :: c : ? is the same question as b - a + c. The words of the question are never answers." })));
      return;
    }
    const ticket = ++asked;
    columns.classList.add("loading");
    const answers = await Promise.allSettled(METHODS.map(([method]) =>
      getJson("query", { file: session.file, q: state.q, method, topn: 10 })));
    if (ticket !== asked) return;
    columns.classList.remove("loading");
    const first = answers.find((answer) => answer.status === "fulfilled");
    if (first) {
      const { positive, negative, notices } = first.value;
      clear(parsed, el("p", { class: "formula" },
        positive.map((word, index) => [index ? el("span", { class: "op", text: "+" }) : null, el("b", { text: word })]),
        negative.map((word) => [el("span", { class: "op", text: "−" }), el("b", { text: word })])),
      notices.map((text) => notice(text)));
    } else {
      clear(parsed);
    }
    clear(columns, answers.map((answer, index) => {
      const [method, explanation] = METHODS[index];
      return el("section", { class: "column", dataset: { method } },
        el("h3", { text: method, title: explanation }),
        el("p", { class: "muted small", text: explanation }),
        answer.status === "fulfilled" ? neighbourList(answer.value.neighbours, { onWord: walk, relative: method === "3CosMul" })
          : errorBox(answer.reason, (word) => solve(state.q.replace(/\S+/g, (token) => (token === answer.reason.word ? word : token)))));
    }));
  }

  return { element: root, title: "Analogies", show: load, lastParams: () => (state.q ? { q: state.q } : {}) };
}
