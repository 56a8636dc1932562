// WordMap: many points on a canvas, drawn by WebGL (a 2-D canvas when WebGL is missing),
// with pan (drag, arrows), zoom (wheel, pinch, +/-, double-click), hover and click.
//
// Labels are placed on a second canvas above the points, most important word first
// (the selected and highlighted words, then by the order given, usually frequency),
// each only where it overlaps no label already placed: an occupancy grid of CELL pixels
// says which parts of the screen are taken. While the view moves, a bounded number of
// candidates is tried per frame; once it rests, all of them.
//
// Hover and click find the nearest point through a uniform grid over the data (about
// three points a cell), so a million points answer as fast as a hundred.

const CELL = 6;
const HOVER_RADIUS = 10;
const MOVING_BUDGET = 40000;
const IDLE_MS = 120;
const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const BOLD = "600 13px system-ui, -apple-system, 'Segoe UI', sans-serif";

const LIGHT_RAMP = [[0.13, 0.20, 0.45], [0.16, 0.45, 0.62], [0.30, 0.66, 0.64], [0.62, 0.82, 0.78]];
const DARK_RAMP = [[0.98, 0.80, 0.35], [0.55, 0.80, 0.70], [0.35, 0.55, 0.80], [0.32, 0.36, 0.55]];

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((value, k) => value + f * (stops[i + 1][k] - value));
}

const VERTEX = `
attribute vec2 a_pos; attribute vec3 a_col;
uniform vec2 u_center; uniform vec2 u_scale; uniform float u_size;
varying vec3 v_col;
void main() { gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0); gl_PointSize = u_size; v_col = a_col; }`;
const FRAGMENT = `
precision mediump float; varying vec3 v_col; uniform float u_alpha;
void main() { vec2 d = gl_PointCoord - vec2(0.5); if (dot(d, d) > 0.25) discard; gl_FragColor = vec4(v_col * u_alpha, u_alpha); }`;

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
    this.dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    this.gl = this.points.getContext("webgl", { antialias: false, premultipliedAlpha: true, preserveDrawingBuffer: true });
    this.flat = this.gl ? null : this.points.getContext("2d");
    this.renderer = this.gl ? "webgl" : "canvas";
    if (this.gl) this._setUpGl();
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

  _setUpGl() {
    const gl = this.gl;
    const compile = (type, source) => {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      return shader;
    };
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    gl.useProgram(program);
    this.program = program;
    this.where = Object.fromEntries(["u_center", "u_scale", "u_size", "u_alpha"].map((name) => [name, gl.getUniformLocation(program, name)]));
    this.positionBuffer = gl.createBuffer();
    this.colourBuffer = gl.createBuffer();
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
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
    this._buildGrid();
    this._upload();
    this.fit();
  }

  indexOf(word) {
    if (!this.index.size) this.words.forEach((w, i) => this.index.set(w, i));
    return this.index.has(word) ? this.index.get(word) : -1;
  }

  _buildGrid() {
    const { coords, n } = this;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = coords[2 * i], y = coords[2 * i + 1];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    this.bounds = { x0, y0, x1, y1 };
    const side = Math.max(1, Math.ceil(Math.sqrt(n / 3)));
    const cellOf = (i) => {
      const gx = Math.min(side - 1, Math.floor(((coords[2 * i] - x0) / (x1 - x0)) * side));
      const gy = Math.min(side - 1, Math.floor(((coords[2 * i + 1] - y0) / (y1 - y0)) * side));
      return gy * side + gx;
    };
    const start = new Int32Array(side * side + 1);
    const cells = new Int32Array(n);
    for (let i = 0; i < n; i++) start[cellOf(i) + 1]++;
    for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
    const fill = start.slice(0, side * side);
    for (let i = 0; i < n; i++) cells[fill[cellOf(i)]++] = i;
    this.grid = { side, start, cells };
  }

  _upload() {
    const colours = new Float32Array(3 * this.n);
    const stops = this.dark ? DARK_RAMP : LIGHT_RAMP;
    for (let i = 0; i < this.n; i++) {
      const colour = ramp(stops, this.shade[i]);
      colours.set(colour, 3 * i);
    }
    this.colourArray = colours;
    if (!this.gl) return;
    // rarest drawn first, so the frequent words stay on top where points overlap
    const order = Array.from(this.priority).reverse();
    const positions = new Float32Array(2 * this.n);
    const ordered = new Float32Array(3 * this.n);
    order.forEach((i, k) => {
      positions[2 * k] = this.coords[2 * i];
      positions[2 * k + 1] = this.coords[2 * i + 1];
      ordered[3 * k] = colours[3 * i]; ordered[3 * k + 1] = colours[3 * i + 1]; ordered[3 * k + 2] = colours[3 * i + 2];
    });
    const gl = this.gl;
    const bind = (buffer, data, name, size) => {
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      const where = gl.getAttribLocation(this.program, name);
      gl.enableVertexAttribArray(where);
      gl.vertexAttribPointer(where, size, gl.FLOAT, false, 0, 0);
    };
    bind(this.positionBuffer, positions, "a_pos", 2);
    bind(this.colourBuffer, ordered, "a_col", 3);
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

  toScreen(i) {
    const { cx, cy, scale } = this.view;
    return [(this.coords[2 * i] - cx) * scale + this.width / 2, -(this.coords[2 * i + 1] - cy) * scale + this.height / 2];
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

  nearest(px, py, radius = HOVER_RADIUS) {
    if (!this.n) return -1;
    const [x, y] = this.toData(px, py);
    const r = radius / this.view.scale;
    const { x0, y0, x1, y1 } = this.bounds;
    const { side, start, cells } = this.grid;
    const gx0 = Math.max(0, Math.floor(((x - r - x0) / (x1 - x0)) * side));
    const gx1 = Math.min(side - 1, Math.floor(((x + r - x0) / (x1 - x0)) * side));
    const gy0 = Math.max(0, Math.floor(((y - r - y0) / (y1 - y0)) * side));
    const gy1 = Math.min(side - 1, Math.floor(((y + r - y0) / (y1 - y0)) * side));
    let best = -1, bestDistance = r * r;
    for (let gy = gy0; gy <= gy1; gy++) {
      for (let gx = gx0; gx <= gx1; gx++) {
        const c = gy * side + gx;
        for (let k = start[c]; k < start[c + 1]; k++) {
          const i = cells[k];
          const dx = this.coords[2 * i] - x, dy = this.coords[2 * i + 1] - y;
          const distance = dx * dx + dy * dy;
          if (distance < bestDistance || (distance === bestDistance && i < best)) { best = i; bestDistance = distance; }
        }
      }
    }
    return best;
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
    const size = this.pointSize();
    if (this.gl) {
      const gl = this.gl;
      gl.viewport(0, 0, this.points.width, this.points.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      if (!this.n) return;
      gl.uniform2f(this.where.u_center, this.view.cx, this.view.cy);
      gl.uniform2f(this.where.u_scale, (2 * this.view.scale) / this.width, (2 * this.view.scale) / this.height);
      gl.uniform1f(this.where.u_size, size * this.ratio);
      gl.uniform1f(this.where.u_alpha, this.n > 60000 ? 0.55 : 0.8);
      gl.drawArrays(gl.POINTS, 0, this.n);
      return;
    }
    const ctx = this.flat;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    for (let k = this.n - 1; k >= 0; k--) {
      const i = this.priority[k];
      const [x, y] = this.toScreen(i);
      if (x < -size || y < -size || x > this.width + size || y > this.height + size) continue;
      const c = this.colourArray.subarray(3 * i, 3 * i + 3);
      ctx.fillStyle = `rgb(${255 * c[0]},${255 * c[1]},${255 * c[2]})`;
      ctx.fillRect(x - size / 2, y - size / 2, size, size);
    }
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
    if (!this.n) return;
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    const columns = Math.ceil(this.width / CELL), rows = Math.ceil(this.height / CELL);
    const taken = new Uint8Array(columns * rows);
    const maxLabels = Math.max(12, Math.floor((this.width * this.height) / 5200));
    const placed = [];
    const tryPlace = (i, bold, force) => {
      const [x, y] = this.toScreen(i);
      if (x < 0 || y < 0 || x > this.width || y > this.height) return false;
      const w = this._width(i, bold) + 4, h = bold ? 17 : 15;
      const left = x + 5, top = y - h / 2;
      const c0 = Math.max(0, Math.floor(left / CELL)), c1 = Math.min(columns - 1, Math.floor((left + w) / CELL));
      const r0 = Math.max(0, Math.floor(top / CELL)), r1 = Math.min(rows - 1, Math.floor((top + h) / CELL));
      if (!force) {
        for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (taken[r * columns + c]) return false;
      }
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) taken[r * columns + c] = 1;
      placed.push([i, left + 2, y, bold]);
      return true;
    };
    const pinned = [this.selected, ...this.highlighted].filter((i) => i >= 0);
    pinned.forEach((i) => tryPlace(i, i === this.selected, true));
    let tried = 0;
    for (let k = 0; k < this.n && placed.length < maxLabels + pinned.length && tried < budget; k++) {
      const i = this.priority[k];
      if (i === this.selected || this.highlighted.has(i)) continue;
      tried++;
      tryPlace(i, false, false);
    }
    const style = getComputedStyle(this.container);
    const ink = style.getPropertyValue("--map-ink").trim() || "#1d2433";
    const halo = style.getPropertyValue("--map-halo").trim() || "rgba(255,255,255,0.85)";
    const accent = style.getPropertyValue("--accent").trim() || "#d9480f";
    for (const i of this.highlighted) this._ring(i, 5, accent, 1.5);
    if (this.selected >= 0) this._ring(this.selected, 8, accent, 2.5);
    if (this.hovered >= 0) this._ring(this.hovered, 7, ink, 1.5);
    ctx.lineJoin = "round";
    for (const [i, x, y, bold] of placed) {
      ctx.font = bold ? BOLD : FONT;
      ctx.lineWidth = 3;
      ctx.strokeStyle = halo;
      ctx.strokeText(this.words[i], x, y);
      ctx.fillStyle = bold || this.highlighted.has(i) ? accent : ink;
      ctx.fillText(this.words[i], x, y);
    }
    this.placedLabels = placed.map(([i]) => this.words[i]);
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
