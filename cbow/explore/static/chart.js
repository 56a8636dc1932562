// A small SVG line chart: series of (x, y) points, axes with round ticks, a legend, and a
// crosshair that reads every series' value at the nearest x under the pointer.

import { el } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 640, HEIGHT = 260;
const MARGIN = { left: 58, right: 18, top: 14, bottom: 40 };
export const PALETTE = ["#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#0b7285", "#e67700"];

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(name, value);
  for (const child of children.flat(Infinity)) if (child) node.append(typeof child === "string" ? document.createTextNode(child) : child);
  return node;
}

// About `count` round values covering [low, high] (steps of 1, 2 or 5 times a power of ten).
export function niceTicks(low, high, count = 5) {
  if (!(high > low)) { const pad = Math.abs(low) * 0.05 || 1; low -= pad; high += pad; }
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  const first = Math.floor(low / step + 1e-9) * step, last = Math.ceil(high / step - 1e-9) * step;
  for (let value = first; value <= last + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { ticks, step, label: (value) => value.toFixed(decimals) };
}

// series: [{ name, points: [[x, y]], dashed, colour }]; yRange: [low, high] to fix the y axis
// (e.g. [0, 1] for accuracies), else it fits the data; format: a y value for the readout.
export function lineChart({ series, xLabel, yLabel, format = (y) => y.toFixed(3), xFormat = (x) => String(x),
  yRange = null }) {
  const all = series.flatMap((s) => s.points);
  const figure = el("figure", { class: "chart" });
  if (!all.length) return figure;
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(...xs), 6);
  const yMin = Math.min(...ys), yMax = Math.max(...ys);
  const pad = (yMax - yMin) * 0.08 || Math.abs(yMax) * 0.05 || 1;
  const yTicks = yRange ? niceTicks(yRange[0], yRange[1], 5) : niceTicks(yMin - pad, yMax + pad, 5);
  const x0 = xTicks.ticks[0], x1 = xTicks.ticks[xTicks.ticks.length - 1];
  const y0 = yTicks.ticks[0], y1 = yTicks.ticks[yTicks.ticks.length - 1];
  const px = (x) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - MARGIN.left - MARGIN.right);
  const py = (y) => HEIGHT - MARGIN.bottom - ((y - y0) / (y1 - y0 || 1)) * (HEIGHT - MARGIN.top - MARGIN.bottom);

  const grid = [
    ...yTicks.ticks.map((y) => [
      svg("line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: py(y), y2: py(y) }),
      svg("text", { class: "tick", x: MARGIN.left - 6, y: py(y), "text-anchor": "end", "dominant-baseline": "middle" }, yRange ? format(y) : yTicks.label(y)),
    ]),
    ...xTicks.ticks.map((x) => svg("text", { class: "tick", x: px(x), y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle" }, xFormat(x))),
    svg("line", { class: "axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom }),
    svg("text", { class: "label", x: (MARGIN.left + WIDTH - MARGIN.right) / 2, y: HEIGHT - 6, "text-anchor": "middle" }, xLabel),
    svg("text", { class: "label", transform: `translate(14 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }, yLabel),
  ];
  const lines = series.map((s, index) => {
    const colour = s.colour || PALETTE[index % PALETTE.length];
    const sorted = [...s.points].sort((p, q) => p[0] - q[0]);
    return svg("g", { class: "series", "data-name": s.name },
      svg("polyline", { fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": s.dashed ? "5 4" : null,
        points: sorted.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ") }),
      s.markers === false ? null : sorted.map(([x, y]) => svg("circle", { cx: px(x), cy: py(y), r: 3.2, fill: colour })));
  });
  const cross = svg("line", { class: "cross", y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom, visibility: "hidden" });
  const plot = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${yLabel} by ${xLabel}` }, grid, lines, cross);
  const readout = el("div", { class: "readout", hidden: true });
  plot.addEventListener("mousemove", (event) => {
    const box = plot.getBoundingClientRect();
    const x = x0 + ((((event.clientX - box.left) / box.width) * WIDTH - MARGIN.left) / (WIDTH - MARGIN.left - MARGIN.right)) * (x1 - x0);
    const nearest = xs.reduce((best, value) => (Math.abs(value - x) < Math.abs(best - x) ? value : best), xs[0]);
    cross.setAttribute("x1", px(nearest)); cross.setAttribute("x2", px(nearest)); cross.setAttribute("visibility", "visible");
    readout.replaceChildren(el("b", { text: `${xLabel} ${xFormat(nearest)}` }),
      ...series.map((s, index) => {
        const point = s.points.find(([px2]) => px2 === nearest);
        return point ? el("span", { class: "value" }, el("i", { class: "swatch", style: null, dataset: { colour: String(index) } }),
          `${s.name}: ${format(point[1])}`) : null;
      }).filter(Boolean));
    readout.querySelectorAll(".swatch").forEach((swatch) => { swatch.style.background = series[Number(swatch.dataset.colour)].colour || PALETTE[Number(swatch.dataset.colour) % PALETTE.length]; });
    readout.hidden = false;
  });
  plot.addEventListener("mouseleave", () => { cross.setAttribute("visibility", "hidden"); readout.hidden = true; });
  const legend = el("div", { class: "chart-legend" }, series.map((s, index) => {
    const swatch = el("i", { class: `swatch${s.dashed ? " dashed" : ""}` });
    swatch.style.background = s.colour || PALETTE[index % PALETTE.length];
    return el("span", {}, swatch, s.name);
  }));
  figure.append(legend, plot, readout);
  return figure;
}
