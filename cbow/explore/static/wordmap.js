// WordMap: many points on a canvas, drawn by WebGL (a 2-D canvas when WebGL is missing),
// with pan (drag, arrows), zoom (wheel, pinch, +/-, double-click), hover and click.
//
// Labels go on a second canvas above the points (labels.js: most important first, never
// over another); while the view moves a bounded number of candidates is tried per frame,
// once it rests all of them. Hover and click find the nearest point through a grid over
// the data (pointgrid.js), so a million points answer as fast as a hundred; a label
// under the pointer counts as its point.

import { placeLabels } from "./labels.js";
import { PointGrid } from "./pointgrid.js";
import { PointLayer } from "./pointlayer.js";

const HOVER_RADIUS = 10;
const MOVING_BUDGET = 8000;  // label candidates tried per frame while the view moves
const MOVING_POINTS = 150000;  // points drawn per frame while it moves (pointlayer.js)
const IDLE_MS = 120;
const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const BOLD = "600 13px system-ui, -apple-system, 'Segoe UI', sans-serif";

export class WordMap {
  constructor(container, { onSelect = () => {}, onHover = () => {} } = {}) {
    this.container = container;
    this.onSelect = onSelect;
    this.onHover = onHover;
    this.points = document.createElement("canvas");
    this.labels = document.createElement("canvas");
    this.tooltip = document.createElement("div");
    this.points.className = "map-points";
    this.labels.className = "map-labels";
    this.tooltip.className = "map-tooltip";
    this.tooltip.hidden = true;
    container.append(this.points, this.labels, this.tooltip);
    container.tabIndex = 0;
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    this.layer = new PointLayer(this.points, { dark });
    this.renderer = this.layer.kind;
    this.ctx = this.labels.getContext("2d");
    this.n = 0;
    this.view = { cx: 0, cy: 0, scale: 1 };
    this.selected = -1;
    this.hovered = -1;
    this.highlighted = new Set();
    this.frame = 0;
    this.idleTimer = null;
    this.moving = false;
    this._listen();
    this.resizer = new ResizeObserver(() => this._resize());
    this.resizer.observe(container);
    this._resize();
  }

  // words: n strings; coords: Float32Array (2n); shade: n values in 0..1 (colour);
  // priority: indices in label order (most important first); info(i): tooltip text.
  setPoints({ words, coords, shade, priority, info }) {
    this.words = words;
    this.coords = coords;
    this.n = words.length;
    this.shade = shade;
    this.priority = priority || Array.from({ length: this.n }, (_, i) => i);
    this.info = info || ((i) => words[i]);
    this.widths = new Float32Array(this.n).fill(-1);
    this.selected = -1;
    this.hovered = -1;
    this.highlighted = new Set();
    this.index = new Map();
    this.grid = new PointGrid(coords);
    this.bounds = this.grid.bounds;
    this.labelBoxes = [];
    this.layer.set(coords, shade, this.priority);
    this.fit();
  }

  indexOf(word) {
    if (!this.index.size) this.words.forEach((w, i) => this.index.set(w, i));
    return this.index.has(word) ? this.index.get(word) : -1;
  }

  _resize() {
    const rect = this.container.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.width = Math.max(1, rect.width);
    this.height = Math.max(1, rect.height);
    for (const canvas of [this.points, this.labels]) {
      canvas.width = Math.round(this.width * ratio);
      canvas.height = Math.round(this.height * ratio);
      canvas.style.width = `${this.width}px`;
      canvas.style.height = `${this.height}px`;
    }
    this.ratio = ratio;
    if (this.n && !this.fitted) this.fit(); else this.render();
  }

  fit() {
    if (!this.n) return;
    const { x0, y0, x1, y1 } = this.bounds;
    this.view.cx = (x0 + x1) / 2;
    this.view.cy = (y0 + y1) / 2;
    this.view.scale = 0.92 * Math.min(this.width / (x1 - x0), this.height / (y1 - y0));
    this.fitScale = this.view.scale;
    this.fitted = this.width > 1;
    this.render();
  }

  toScreen(i, out = [0, 0]) {
    const { cx, cy, scale } = this.view;
    out[0] = (this.coords[2 * i] - cx) * scale + this.width / 2;
    out[1] = -(this.coords[2 * i + 1] - cy) * scale + this.height / 2;
    return out;
  }

  toData(px, py) {
    const { cx, cy, scale } = this.view;
    return [(px - this.width / 2) / scale + cx, -(py - this.height / 2) / scale + cy];
  }

  pointSize() {
    const base = this.n > 300000 ? 1.6 : this.n > 60000 ? 2.2 : this.n > 12000 ? 3 : this.n > 1500 ? 4.5 : 7;
    const zoom = this.view.scale / (this.fitScale || this.view.scale);
    return base * Math.min(3, Math.max(1, Math.sqrt(zoom)));
  }

  // The point under screen position (px, py): the nearest within `radius` pixels, else the
  // one whose label is there, else -1.
  nearest(px, py, radius = HOVER_RADIUS) {
    if (!this.n) return -1;
    const [x, y] = this.toData(px, py);
    const found = this.grid.nearest(x, y, radius / this.view.scale);
    if (found >= 0) return found;
    for (let k = this.labelBoxes.length - 1; k >= 0; k--) {
      const box = this.labelBoxes[k];
      if (px >= box.x && px <= box.x + box.width && py >= box.y && py <= box.y + box.height) return box.index;
    }
    return -1;
  }

  select(i, { centre = false } = {}) {
    this.selected = i;
    if (centre && i >= 0) {
      this.view.cx = this.coords[2 * i];
      this.view.cy = this.coords[2 * i + 1];
      this.view.scale = Math.max(this.view.scale, (this.fitScale || 1) * 4);
    }
    this.render();
  }

  highlight(indices) {
    this.highlighted = new Set(indices.filter((i) => i >= 0));
    this.render();
  }

  // -- drawing ------------------------------------------------------------------------------
  render() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this._drawPoints();
      this._drawOverlay(this.moving ? MOVING_BUDGET : Infinity);
    });
  }

  _moved() {
    this.moving = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => { this.moving = false; this.render(); }, IDLE_MS);
    this.render();
  }

  _drawPoints() {
    this.layer.draw(this.view, this.width, this.height, this.ratio, this.pointSize(),
      this.moving ? MOVING_POINTS : Infinity);
  }

  _width(i, bold) {
    if (bold) { this.ctx.font = BOLD; const w = this.ctx.measureText(this.words[i]).width; this.ctx.font = FONT; return w; }
    if (this.widths[i] < 0) this.widths[i] = this.ctx.measureText(this.words[i]).width;
    return this.widths[i];
  }

  _drawOverlay(budget) {
    const ctx = this.ctx;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    if (!this.n) { this.labelBoxes = []; return; }
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    const pinned = [this.selected, ...this.highlighted].filter((i) => i >= 0);
    this.labelBoxes = placeLabels({
      width: this.width, height: this.height, candidates: this.priority, pinned,
      bold: new Set(this.selected >= 0 ? [this.selected] : []),
      position: (i, out) => this.toScreen(i, out), measure: (i, bold) => this._width(i, bold),
      guess: (i) => (this.widths[i] >= 0 ? this.widths[i] : 5.5 * this.words[i].length),
      maxLabels: Math.max(12, Math.floor((this.width * this.height) / 5200)), budget,
    });
    const style = getComputedStyle(this.container);
    const ink = style.getPropertyValue("--map-ink").trim() || "#1d2433";
    const halo = style.getPropertyValue("--map-halo").trim() || "rgba(255,255,255,0.85)";
    const accent = style.getPropertyValue("--accent").trim() || "#d9480f";
    for (const i of this.highlighted) this._ring(i, 5, accent, 1.5);
    if (this.selected >= 0) this._ring(this.selected, 8, accent, 2.5);
    if (this.hovered >= 0) this._ring(this.hovered, 7, ink, 1.5);
    ctx.lineJoin = "round";
    const drawOrder = [...this.labelBoxes].sort((a, b) => Number(a.bold) - Number(b.bold));  // the selection on top
    for (const box of drawOrder) {
      ctx.font = box.bold ? BOLD : FONT;
      ctx.lineWidth = 3;
      ctx.strokeStyle = halo;
      const x = box.x + 2, y = box.y + box.height / 2;
      ctx.strokeText(this.words[box.index], x, y);
      ctx.fillStyle = box.bold || this.highlighted.has(box.index) ? accent : ink;
      ctx.fillText(this.words[box.index], x, y);
    }
  }

  _ring(i, radius, colour, width) {
    const [x, y] = this.toScreen(i);
    this.ctx.beginPath();
    this.ctx.arc(x, y, radius, 0, 2 * Math.PI);
    this.ctx.lineWidth = width;
    this.ctx.strokeStyle = colour;
    this.ctx.stroke();
  }

  // -- interaction --------------------------------------------------------------------------
  zoomAt(px, py, factor) {
    const [x, y] = this.toData(px, py);
    const fit = this.fitScale || this.view.scale;
    this.view.scale = Math.min(fit * 4000, Math.max(fit * 0.25, this.view.scale * factor));
    const [x2, y2] = this.toData(px, py);
    this.view.cx += x - x2;
    this.view.cy += y - y2;
    this._moved();
  }

  panBy(dx, dy) {
    this.view.cx -= dx / this.view.scale;
    this.view.cy += dy / this.view.scale;
    this._moved();
  }

  _showTooltip(i, px, py) {
    if (i < 0) { this.tooltip.hidden = true; return; }
    this.tooltip.textContent = this.info(i);
    this.tooltip.hidden = false;
    const left = Math.min(px + 14, this.width - this.tooltip.offsetWidth - 4);
    const top = py + 16 + this.tooltip.offsetHeight > this.height ? py - this.tooltip.offsetHeight - 10 : py + 16;
    this.tooltip.style.transform = `translate(${Math.max(0, left)}px, ${Math.max(0, top)}px)`;
  }

  _listen() {
    const pointers = new Map();
    let dragged = 0, pinch = null;
    const local = (event) => {
      const rect = this.container.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    this.container.addEventListener("pointerdown", (event) => {
      this.container.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, local(event));
      dragged = 0;
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { distance: Math.hypot(a[0] - b[0], a[1] - b[1]) };
      }
    });
    this.container.addEventListener("pointermove", (event) => {
      const [px, py] = local(event);
      if (pointers.has(event.pointerId)) {
        const [qx, qy] = pointers.get(event.pointerId);
        pointers.set(event.pointerId, [px, py]);
        if (pointers.size === 2 && pinch) {
          const [a, b] = [...pointers.values()];
          const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
          this.zoomAt((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, distance / (pinch.distance || distance));
          pinch.distance = distance;
        } else {
          dragged += Math.abs(px - qx) + Math.abs(py - qy);
          this.panBy(px - qx, py - qy);
        }
        this._showTooltip(-1);
        return;
      }
      const i = this.nearest(px, py);
      if (i !== this.hovered) {
        this.hovered = i;
        this.onHover(i);
        this.render();
      }
      this._showTooltip(i, px, py);
    });
    const release = (event) => {
      const was = pointers.has(event.pointerId);
      pointers.delete(event.pointerId);
      if (pointers.size < 2) pinch = null;
      if (was && event.type === "pointerup" && dragged < 5 && pointers.size === 0) {
        const [px, py] = local(event);
        const i = this.nearest(px, py);
        this.select(i);
        this.onSelect(i);
      }
    };
    this.container.addEventListener("pointerup", release);
    this.container.addEventListener("pointercancel", release);
    this.container.addEventListener("pointerleave", () => {
      this.hovered = -1; this._showTooltip(-1); this.render();
    });
    this.container.addEventListener("wheel", (event) => {
      event.preventDefault();
      const [px, py] = local(event);
      const delta = event.deltaMode === 1 ? event.deltaY * 30 : event.deltaY;
      this.zoomAt(px, py, Math.exp(-delta * 0.0015));
    }, { passive: false });
    this.container.addEventListener("dblclick", (event) => {
      const [px, py] = local(event);
      this.zoomAt(px, py, event.shiftKey ? 0.5 : 2);
    });
    this.container.addEventListener("keydown", (event) => {
      const step = 60;
      const actions = {
        "+": () => this.zoomAt(this.width / 2, this.height / 2, 1.4), "=": () => this.zoomAt(this.width / 2, this.height / 2, 1.4),
        "-": () => this.zoomAt(this.width / 2, this.height / 2, 1 / 1.4), "0": () => this.fit(),
        ArrowLeft: () => this.panBy(step, 0), ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step), ArrowDown: () => this.panBy(0, -step),
        Escape: () => { this.select(-1); this.onSelect(-1); },
      };
      if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
    });
  }

  destroy() {
    this.resizer.disconnect();
    this.container.replaceChildren();
  }
}
