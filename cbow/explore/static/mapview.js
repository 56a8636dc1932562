// The Map view: the N most frequent words (PCA; t-SNE or UMAP when installed) or one word's
// neighbourhood, on a WordMap. Hover shows a word, a click selects it and lists its
// neighbours beside the map, marking those that are on it.

import { getCoords, getJson } from "./api.js";
import { clear, count, el, errorBox, neighbourList, percent, progressBar, searchBox } from "./ui.js";
import { WordMap } from "./wordmap.js";

const SIZES = [1000, 5000, 10000, 50000, 100000, 500000];
const LABELS = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
const POLL_MS = 400;

export function mapView(session, root) {
  const method = el("select", { id: "map-method", "aria-label": "method" });
  const size = el("select", { id: "map-size", "aria-label": "words on the map" });
  const around = el("input", { id: "map-around", type: "search", placeholder: "neighbourhood of…", "aria-label": "neighbourhood of a word" });
  const find = el("input", { id: "map-find", type: "search", placeholder: "find on the map…", "aria-label": "find a word on the map" });
  const topButton = el("button", { type: "button", class: "link", text: "← the most frequent words", hidden: true,
    onclick: () => session.go("map", { method: method.value, n: size.value }) });
  const status = el("div", { class: "map-status", id: "map-status" });
  const canvasBox = el("div", { class: "map-canvas", id: "map-canvas" });
  const side = el("aside", { class: "map-side", id: "map-side" });
  const legend = el("p", { class: "legend", id: "map-legend" });
  clear(root,
    el("div", { class: "toolbar" }, method, size, el("div", { class: "search" }, around), topButton,
      el("span", { class: "spacer" }), el("div", { class: "search" }, find)),
    el("div", { class: "map-layout" }, el("div", { class: "map-stage" }, canvasBox, status), side),
    legend);

  let map = null;
  let data = null;
  let state = {};
  let asked = 0;

  searchBox(around, { file: () => session.file, onPick: (word) => session.go("map", { word, k: 150 }) });
  searchBox(find, { file: () => session.file, onPick: (word) => locate(word) });
  method.addEventListener("change", () => session.go("map", { method: method.value, n: size.value }));
  size.addEventListener("change", () => session.go("map", { method: method.value, n: size.value }));

  function fillControls() {
    const info = session.fileInfo();
    clear(method, Object.entries(session.maps).map(([name, about]) => el("option", {
      value: name, disabled: !about.available,
      text: about.available ? LABELS[name] : `${LABELS[name]} (not installed)`,
      title: about.available ? null : `${LABELS[name]} maps need the explore extra: ${about.install}`,
    })));
    const limit = Math.min(info.words, session.maps[state.method || "pca"]?.max || info.words);
    const asked = Number(state.n);  // a size from the address is offered too
    const sizes = [...new Set([...SIZES, ...(asked >= 2 && asked < limit ? [asked] : [])])].filter((n) => n < limit).sort((p, q) => p - q);
    clear(size, sizes.map((n) => el("option", { value: String(n), text: `${count(n)} words` })),
      el("option", { value: limit === info.words ? "all" : String(limit),
        text: limit === info.words ? `all ${count(limit)} words` : `${count(limit)} words (the most for ${LABELS[state.method]})` }));
  }

  function ensureMap() {
    if (map) return map;
    map = new WordMap(canvasBox, { onSelect: (i) => selectPoint(i) });
    canvasBox.dataset.renderer = map.renderer;
    return map;
  }

  function locate(word) {
    if (!data) return;
    const i = map.indexOf(word);
    if (i < 0) {
      clear(side, el("p", { class: "notice", text: `'${word}' is not on this map.` }),
        el("button", { type: "button", class: "link", text: `show the neighbourhood of '${word}'`,
          onclick: () => session.go("map", { word, k: 150 }) }));
      return;
    }
    map.select(i, { centre: true });
    selectPoint(i);
  }

  async function selectPoint(i) {
    if (i < 0 || !data) {
      map.highlight([]);
      clear(side, el("p", { class: "muted", text: "Click a point to see its word and its neighbours." }));
      return;
    }
    const word = data.words[i];
    canvasBox.dataset.selected = word;
    clear(side, el("h3", { text: word }), el("p", { class: "muted", text: data.infoOf(i) }));
    try {
      const answer = await getJson("neighbours", { file: session.file, word, topn: 10 });
      if (canvasBox.dataset.selected !== word) return;
      const onMap = answer.neighbours.map(([neighbour]) => map.indexOf(neighbour));
      map.highlight(onMap);
      clear(side, el("h3", { text: word }), el("p", { class: "muted", text: data.infoOf(i) }),
        neighbourList(answer.neighbours, { onWord: locate, highlight: new Set(answer.neighbours.filter((_, k) => onMap[k] >= 0).map(([w]) => w)) }),
        el("p", { class: "muted small", text: "Highlighted: on this map. Click one to go to it." }),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "link", text: "neighbours →", onclick: () => session.go("neighbours", { word }) }),
          el("button", { type: "button", class: "link", text: "its neighbourhood", onclick: () => session.go("map", { word, k: 150 }) })));
    } catch (error) {
      clear(side, errorBox(error));
    }
  }

  async function load(params) {
    const info = session.fileInfo();
    const neighbourhood = Boolean(params.word);
    state = neighbourhood ? { word: params.word, k: params.k || "150" }
      : { method: session.maps[params.method]?.available ? params.method : "pca", n: params.n || String(Math.min(10000, info.words)) };
    fillControls();
    method.value = state.method || "pca";
    method.disabled = neighbourhood;
    if (!neighbourhood) size.value = [...size.options].some((o) => o.value === state.n) ? state.n : size.options[size.options.length - 1].value;
    size.disabled = neighbourhood;
    around.value = neighbourhood ? state.word : "";
    topButton.hidden = !neighbourhood;
    const request = neighbourhood ? { file: session.file, word: state.word, k: state.k }
      : { file: session.file, method: state.method, n: size.value };
    const ticket = ++asked;
    find.value = "";
    canvasBox.classList.add("stale");
    clear(side, el("p", { class: "muted", text: "Click a point to see its word and its neighbours." }));
    clear(status, progressBar(null, neighbourhood ? `placing the neighbourhood of '${state.word}'…`
      : `computing the ${LABELS[state.method]} map of ${size.selectedOptions[0]?.text || ""}…`));
    status.hidden = false;
    let meta;
    try {
      for (;;) {
        meta = await getJson("map", request);
        if (ticket !== asked) return;
        if (meta.state === "done") break;
        clear(status, progressBar(meta.progress, `${meta.message || meta.state} (${Math.round(100 * meta.progress)}%)`));
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (ticket !== asked) return;
      }
      const coords = await getCoords(request);
      if (ticket !== asked) return;
      show(meta, coords, neighbourhood);
      canvasBox.classList.remove("stale");
      status.hidden = true;
    } catch (error) {
      if (ticket === asked) clear(status, errorBox(error, (word) => session.go("map", { word, k: 150 })));
    }
  }

  function show(meta, coords, neighbourhood) {
    const n = meta.words.length;
    const logN = Math.log(Math.max(2, n));
    const lowest = neighbourhood ? Math.min(...meta.scores) : 0;
    const shade = Float32Array.from({ length: n }, (_, i) => (neighbourhood
      ? (i === 0 ? 0 : 0.15 + 0.85 * (1 - (meta.scores[i] - lowest) / Math.max(1e-6, 1 - lowest)))
      : Math.log(i + 1) / logN));
    const infoOf = neighbourhood
      ? (i) => (i === 0 ? `${meta.words[0]} (the centre)` : `${meta.words[i]} · cosine ${meta.scores[i].toFixed(3)} · rank ${count(meta.ranks[i])}`)
      : (i) => `${meta.words[i]} · frequency rank ${count(i + 1)}`;
    data = { words: meta.words, infoOf };
    ensureMap().setPoints({ words: meta.words, coords, shade, info: infoOf });
    canvasBox.dataset.points = String(n);
    if (neighbourhood) { map.select(0); selectPoint(0); } else selectPoint(-1);
    const strong = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "bright" : "dark";
    const explained = meta.explained ? ` · the axes hold ${percent(meta.explained[0])} and ${percent(meta.explained[1])} of the variance` : "";
    clear(legend, neighbourhood
      ? `PCA of '${meta.word}' and its ${count(meta.k)} nearest words${explained} · colour: cosine to '${meta.word}' (${strong} = closest)`
      : `${LABELS[meta.method]} of the ${count(n)} most frequent words${explained} · colour: frequency (${strong} = frequent)`,
    el("span", { class: "muted", text: " · drag to pan, wheel or +/− to zoom, 0 to fit, click a point" }),
    missingMethods());
  }

  function missingMethods() {
    const missing = Object.entries(session.maps).filter(([, about]) => !about.available);
    if (!missing.length) return null;
    return el("span", { class: "muted", text: ` · ${missing.map(([name]) => LABELS[name]).join(" and ")} maps: ${missing[0][1].install}` });
  }

  return {
    element: root,
    title: "Map",
    show: load,
    hide: () => { asked++; },
    lastParams: () => (state.word ? { word: state.word, k: state.k } : { method: state.method, n: state.n }),
  };
}
