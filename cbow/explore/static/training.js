// The Training view: the training log beside the vectors (OUTPUT.log.jsonl) as curves:
// the training loss, the held-out cross-entropy (epoch ends and scores within epochs),
// the evaluation scores of each epoch, and the table of epochs.

import { getJson } from "./api.js";
import { lineChart } from "./chart.js";
import { clear, count, el, errorBox, fixed, percent } from "./ui.js";

const epochFormat = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function scoreSeries(epochs) {
  const byName = new Map();
  for (const record of epochs) {
    for (const [name, scores] of Object.entries(record.eval || {})) {
      for (const [metric, label] of [["accuracy", "accuracy"], ["spearman", "spearman"]]) {
        if (typeof scores[metric] !== "number") continue;
        const key = `${name} ${label}`;
        if (!byName.has(key)) byName.set(key, { name: key, metric, points: [] });
        byName.get(key).points.push([record.epoch, scores[metric]]);
      }
    }
  }
  return [...byName.values()];
}

export function trainingView(session, root) {
  let asked = 0;

  async function load() {
    const info = session.fileInfo();
    const ticket = ++asked;
    if (!info.log) {
      clear(root, el("div", { class: "empty" },
        el("p", { text: `${info.name} has no training log beside it.` }),
        el("p", { class: "muted" }, "cbow train writes one next to its output, ", el("code", { text: `${info.name}.log.jsonl` }),
          ": one record per epoch with the loss, the held-out score (--holdout) and the evaluation scores (--eval).")));
      return;
    }
    clear(root, el("p", { class: "muted", text: "reading the training log…" }));
    let answer;
    try {
      answer = await getJson("log", { file: session.file });
    } catch (error) {
      if (ticket === asked) clear(root, errorBox(error));
      return;
    }
    if (ticket !== asked) return;
    const records = answer.records;
    const epochs = records.filter((record) => (record.kind || "epoch") === "epoch");
    const heldout = records.filter((record) => record.kind === "heldout");
    const charts = [];
    const loss = epochs.filter((record) => typeof record.train_loss === "number").map((record) => [record.epoch, record.train_loss]);
    const lossWithin = heldout.filter((record) => typeof record.train_loss === "number").map((record) => [record.epoch, record.train_loss]);
    if (loss.length || lossWithin.length) {
      charts.push(el("section", { class: "panel", id: "chart-loss" }, el("h3", { text: "Training loss" }),
        el("p", { class: "muted small", text: "the objective trained (negative sampling, hierarchical or full softmax): each epoch's mean, and within epochs where the log has it" }),
        lineChart({ series: [{ name: "epoch mean", points: loss },
          ...(lossWithin.length ? [{ name: "within the epoch", points: lossWithin, dashed: true }] : [])],
        xLabel: "epoch", yLabel: "loss", xFormat: epochFormat })));
    }
    const heldoutPoints = [...heldout, ...epochs].filter((record) => typeof record.heldout_nats === "number")
      .map((record) => [record.epoch, record.heldout_nats]);
    if (heldoutPoints.length) {
      charts.push(el("section", { class: "panel", id: "chart-heldout" }, el("h3", { text: "Held-out cross-entropy" }),
        el("p", { class: "muted small", text: "exact -log p(word | context) on the held-out sentences (--holdout), nats per word: lower is better" }),
        lineChart({ series: [{ name: "held-out nats", points: heldoutPoints }], xLabel: "epoch", yLabel: "nats", xFormat: epochFormat })));
    }
    const scores = scoreSeries(epochs);
    if (scores.length) {
      charts.push(el("section", { class: "panel", id: "chart-scores" }, el("h3", { text: "Scores per epoch" }),
        el("p", { class: "muted small", text: "analogy accuracy (3CosAdd) and word-pair Spearman of the --eval files after each epoch" }),
        scores.every((series) => series.metric === "accuracy")
          ? lineChart({ series: scores, xLabel: "epoch", yLabel: "accuracy", xFormat: epochFormat, yRange: [0, 1],
            format: (y) => percent(y, 0) })
          : lineChart({ series: scores, xLabel: "epoch", yLabel: "score", xFormat: epochFormat, format: (y) => y.toFixed(2) })));
    }
    const evalNames = [...new Set(epochs.flatMap((record) => Object.keys(record.eval || {})))];
    const table = el("table", { class: "table", id: "epochs-table" },
      el("thead", {}, el("tr", {}, ["epoch", "words", "lr", "loss", "held-out nats", "words/s", "seconds", ...evalNames]
        .map((text) => el("th", { class: "number", text })))),
      el("tbody", {}, epochs.map((record) => el("tr", {},
        el("td", { class: "number", text: String(record.epoch) }),
        el("td", { class: "number", text: count(record.words || 0) }),
        el("td", { class: "number", text: fixed(record.lr, 4) }),
        el("td", { class: "number", text: fixed(record.train_loss, 4) }),
        el("td", { class: "number", text: record.heldout_nats === undefined ? "" : fixed(record.heldout_nats, 3) }),
        el("td", { class: "number", text: record.words_per_s ? count(Math.round(record.words_per_s)) : "" }),
        el("td", { class: "number", text: fixed(record.seconds, 1) }),
        evalNames.map((name) => {
          const scores = (record.eval || {})[name] || {};
          const text = typeof scores.accuracy === "number" ? percent(scores.accuracy)
            : typeof scores.spearman === "number" ? fixed(scores.spearman, 3) : "";
          return el("td", { class: "number", text });
        })))));
    clear(root,
      el("p", { class: "muted", text: `${answer.log}: ${count(epochs.length)} epochs${heldout.length ? `, ${count(heldout.length)} held-out scores within epochs` : ""}` }),
      charts.length ? el("div", { class: "charts" }, charts) : el("p", { text: "The log holds no numbers to plot." }),
      el("h3", { text: "Epochs" }), table);
  }

  return { element: root, title: "Training", show: load };
}
