// The Neighbours view: search a word (with completion), see its nearest words with their
// cosines, click one to walk on. The trail of words walked is kept above the list.

import { getJson } from "./api.js";
import { clear, count, el, errorBox, neighbourList, notice, searchBox } from "./ui.js";

const TOPN = [10, 20, 50, 100];

export function neighboursView(session, root) {
  const input = el("input", { id: "word", type: "search", placeholder: "a word, e.g. paris", "aria-label": "word" });
  const topn = el("select", { id: "topn", "aria-label": "neighbours shown" },
    TOPN.map((n) => el("option", { value: String(n), text: `${n} neighbours` })));
  const trail = el("nav", { class: "trail", "aria-label": "words walked" });
  const result = el("div", { class: "result", id: "neighbours-result" });
  let walked = [];
  let state = {};
  let asked = 0;

  const show = (word) => session.go("neighbours", { word, topn: topn.value });
  clear(root,
    el("div", { class: "toolbar" }, el("div", { class: "search" }, input), topn),
    trail, result);
  searchBox(input, { file: () => session.file, onPick: show });
  topn.addEventListener("change", () => state.word && show(state.word));

  const paintTrail = () => {
    clear(trail, walked.map((word, index) => [
      index ? el("span", { class: "sep", text: "›" }) : null,
      el("button", { type: "button", class: `crumb${word === state.word ? " here" : ""}`, text: word,
        onclick: () => show(word) }),
    ]));
  };

  const empty = () => {
    const info = session.fileInfo();
    clear(result, el("div", { class: "empty" },
      el("p", { text: `Type a word to see its nearest neighbours among the ${count(info.words)} words of ${info.name}.` }),
      el("p", { class: "muted", text: "Click a neighbour to walk on; the address bar keeps each step, so Back goes back." })));
  };

  async function load(params) {
    const word = params.word;
    topn.value = TOPN.includes(Number(params.topn)) ? params.topn : "10";
    state = { word, topn: topn.value };
    if (!word) { input.value = ""; walked = []; paintTrail(); empty(); return; }
    input.value = word;
    const ticket = ++asked;
    result.classList.add("loading");
    try {
      const answer = await getJson("neighbours", { file: session.file, word, topn: topn.value });
      if (ticket !== asked) return;
      const index = walked.indexOf(answer.key);  // only words found join the trail
      walked = index >= 0 ? walked.slice(0, index + 1) : [...walked, answer.key].slice(-12);
      state.word = answer.key;
      paintTrail();
      const info = session.fileInfo();
      const facts = [];
      if (answer.rank) facts.push(`frequency rank ${count(answer.rank)} of ${count(info.words)}`);
      if (answer.count !== undefined) facts.push(`${count(answer.count)} occurrences`);
      clear(result,
        el("header", { class: "result-head" },
          el("h2", { text: answer.key }),
          el("span", { class: "facts", text: facts.join(" · ") }),
          el("span", { class: "actions" },
            el("button", { type: "button", class: "link", text: "show on the map",
              onclick: () => session.go("map", { word: answer.key }) }),
            session.files.length > 1 ? el("button", { type: "button", class: "link", text: "compare files",
              onclick: () => session.go("compare", { word: answer.key, a: session.file }) }) : null)),
        answer.source === "spelling" ? notice(`using '${answer.key}' for '${answer.word}'`) : null,
        answer.source === "ngrams" ? (answer.notices && answer.notices.length ? answer.notices : [`'${answer.word}' is not in the vocabulary: its vector is built from its character n-grams`]).map((text) => notice(text)) : null,
        neighbourList(answer.neighbours, { onWord: show }));
    } catch (error) {
      if (ticket === asked) clear(result, errorBox(error, show));
    } finally {
      if (ticket === asked) result.classList.remove("loading");
    }
  }

  return {
    element: root,
    title: "Neighbours",
    show: load,
    lastParams: () => (state.word ? { word: state.word, topn: state.topn } : {}),
  };
}
