// The Evaluate view: the evaluation sets cbow knows; run one on the current file and see its
// sections and the questions it got wrong (analogies), or the pairs it ranks worst (word pairs).

import { getJson } from "./api.js";
import { clear, count, el, errorBox, fixed, percent } from "./ui.js";

const SHOWN = 50;

function accuracyCell(section) {
  const bar = el("span", { class: "bar" });
  bar.style.width = `${(100 * section.accuracy).toFixed(1)}%`;
  return el("td", { class: "accuracy" }, el("span", { class: "track" }, bar),
    el("span", { class: "score", text: `${percent(section.accuracy)} (${count(section.correct)}/${count(section.total)})` }));
}

export function evaluateView(session, root) {
  const list = el("div", { class: "sets", id: "eval-sets" });
  const result = el("div", { class: "result", id: "eval-result" });
  let state = {};
  let asked = 0;
  clear(root, el("p", { class: "muted", text: "Scores as cbow evaluate gives them (gensim's rules: analogies among the 30,000 most frequent words, case-insensitive)." }),
    list, result);

  const run = (name) => session.go("evaluate", { set: name });

  function paintSets() {
    clear(list, session.sets.map((set) => el("div", { class: `set${set.name === state.set ? " chosen" : ""}`, dataset: { set: set.name } },
      el("div", {}, el("b", { text: set.name }), el("span", { class: "kind", text: set.kind }),
        el("p", { class: "muted small", text: set.description }),
        set.available ? null : el("p", { class: "fetch small" }, "not on this machine: ", el("code", { text: set.fetch }))),
      set.available ? el("button", { type: "button", text: "Run", onclick: () => run(set.name) }) : null)));
  }

  function analogyResult(answer) {
    const add = answer.methods["3CosAdd"], mul = answer.methods["3CosMul"];
    const method = { value: "3CosAdd" };
    const section = el("select", { id: "wrong-section", "aria-label": "section" },
      el("option", { value: "", text: "all sections" }), add.sections.map((s) => el("option", { value: s.section, text: s.section })));
    const methodPicker = el("select", { id: "wrong-method", "aria-label": "method" },
      ["3CosAdd", "3CosMul"].map((m) => el("option", { value: m, text: m })));
    const wrongBox = el("div", { id: "wrong" });
    let shown = SHOWN;
    const paintWrong = () => {
      method.value = methodPicker.value;
      const wrong = answer.wrong[method.value].filter((item) => !section.value || item.section === section.value);
      const more = wrong.length > shown
        ? el("button", { type: "button", class: "link", id: "wrong-more", text: `show ${count(Math.min(SHOWN * 4, wrong.length - shown))} more`,
          onclick: () => { shown += SHOWN * 4; paintWrong(); } }) : null;
      clear(wrongBox, el("p", { class: "muted", text: `${count(wrong.length)} answered wrong${wrong.length > shown ? `; the first ${count(shown)} shown` : ""}. Click one to open it in Analogies.` }),
        el("table", { class: "table" },
          el("thead", {}, el("tr", {}, ["section", "question", "expected", "answered"].map((text) => el("th", { text })))),
          el("tbody", {}, wrong.slice(0, shown).map((item) => {
            const [a, b, c, d] = item.question;
            return el("tr", {},
              el("td", { class: "muted", text: item.section }),
              el("td", {}, el("button", { type: "button", class: "word", text: `${a} : ${b} :: ${c} : ?`,
                onclick: () => session.go("analogy", { q: `${a} : ${b} :: ${c}` }) })),
              el("td", { text: d }),
              el("td", { class: "wrong-answer", text: item.answer || "(none)" }));
          }))), more);
    };
    const repaint = () => { shown = SHOWN; paintWrong(); };
    section.addEventListener("change", repaint);
    methodPicker.addEventListener("change", repaint);
    const coverage = `${count(add.total)} of ${count(answer.questions)} questions answered, ${count(answer.skipped)} skipped (a word outside the ${count(answer.restrict_vocab || answer.vocab_size)} most frequent)`;
    const out = [
      el("div", { class: "headline" },
        el("span", {}, el("span", { class: "big", text: percent(add.accuracy) }), " 3CosAdd"),
        el("span", {}, el("span", { class: "big", text: percent(mul.accuracy) }), " 3CosMul"),
        el("span", { class: "muted", text: coverage })),
      el("table", { class: "table sections", id: "eval-sections" },
        el("thead", {}, el("tr", {}, ["section", "3CosAdd", "3CosMul", "skipped"]
          .map((text) => el("th", { class: text === "skipped" ? "number" : null, text })))),
        el("tbody", {}, add.sections.map((s, i) => el("tr", {},
          el("td", { text: s.section }), accuracyCell(s), accuracyCell(mul.sections[i]),
          el("td", { class: "number", text: count(s.skipped) }))))),
      el("h3", { text: "Answered wrong" }), el("div", { class: "toolbar" }, methodPicker, section), wrongBox,
    ];
    paintWrong();
    return out;
  }

  function pairsResult(answer) {
    return [
      el("div", { class: "headline" },
        el("span", {}, el("span", { class: "big", text: fixed(answer.spearman, 3) }), " Spearman"),
        el("span", {}, el("span", { class: "big", text: fixed(answer.pearson, 3) }), " Pearson"),
        el("span", { class: "muted", text: `${count(answer.pairs)} pairs scored, ${count(answer.skipped)} skipped as out of vocabulary` })),
      el("h3", { text: "The pairs ranked most differently from people" }),
      el("table", { class: "table", id: "eval-pairs" },
        el("thead", {}, el("tr", {}, ["pair", "human score", "cosine", "human rank", "model rank"]
          .map((text, i) => el("th", { class: i ? "number" : null, text })))),
        el("tbody", {}, answer.items.slice(0, SHOWN).map((item) => el("tr", {},
          el("td", {}, el("button", { type: "button", class: "word", text: `${item.pair[0]} – ${item.pair[1]}`,
            onclick: () => session.go("neighbours", { word: item.pair[0] }) })),
          el("td", { class: "number", text: fixed(item.human, 2) }), el("td", { class: "number", text: fixed(item.model, 3) }),
          el("td", { class: "number", text: count(item.human_rank) }), el("td", { class: "number", text: count(item.model_rank) }))))),
    ];
  }

  async function load(params) {
    state = { set: params.set || "" };
    paintSets();
    if (!state.set) { clear(result); return; }
    const ticket = ++asked;
    clear(result, el("p", { class: "muted", text: `running ${state.set} on ${session.fileInfo().name}…` }));
    try {
      const answer = await getJson("evaluate", { file: session.file, set: state.set });
      if (ticket !== asked) return;
      clear(result, el("h2", { text: `${answer.set} on ${session.fileInfo().name}` }),
        answer.kind === "analogies" ? analogyResult(answer) : pairsResult(answer));
    } catch (error) {
      if (ticket === asked) clear(result, errorBox(error));
    }
  }

  return { element: root, title: "Evaluate", show: load, lastParams: () => (state.set ? { set: state.set } : {}) };
}
