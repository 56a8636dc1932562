// PointLayer: the map's points on one canvas, by WebGL (one draw call for any number of
// points), or by a 2-D canvas where WebGL is missing. While the view moves, only the most
// important MOVING_POINTS are drawn (a software renderer, as headless Chromium's, would
// take half a second a frame for a million), all of them once it rests. Colours come from a ramp over each
// point's shade (0..1); the least important points are drawn first, so where points
// overlap the important ones stay on top.

const LIGHT_RAMP = [[0.13, 0.20, 0.45], [0.16, 0.45, 0.62], [0.30, 0.66, 0.64], [0.62, 0.82, 0.78]];
const DARK_RAMP = [[0.98, 0.80, 0.35], [0.55, 0.80, 0.70], [0.35, 0.55, 0.80], [0.32, 0.36, 0.55]];

const VERTEX = `
attribute vec2 a_pos; attribute vec3 a_col;
uniform vec2 u_center; uniform vec2 u_scale; uniform float u_size;
varying vec3 v_col;
void main() { gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0); gl_PointSize = u_size; v_col = a_col; }`;
const FRAGMENT = `
precision mediump float; varying vec3 v_col; uniform float u_alpha;
void main() { vec2 d = gl_PointCoord - vec2(0.5); if (dot(d, d) > 0.25) discard; gl_FragColor = vec4(v_col * u_alpha, u_alpha); }`;

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((value, k) => value + f * (stops[i + 1][k] - value));
}

export class PointLayer {
  constructor(canvas, { dark = false } = {}) {
    this.canvas = canvas;
    this.stops = dark ? DARK_RAMP : LIGHT_RAMP;
    this.gl = canvas.getContext("webgl", { antialias: false, premultipliedAlpha: true });
    this.flat = this.gl ? null : canvas.getContext("2d");
    this.kind = this.gl ? "webgl" : "canvas";
    this.n = 0;
    if (this.gl) this._program();
  }

  _program() {
    const gl = this.gl;
    const compile = (type, source) => {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      return shader;
    };
    this.program = gl.createProgram();
    gl.attachShader(this.program, compile(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(this.program, compile(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(this.program);
    gl.useProgram(this.program);
    this.where = Object.fromEntries(["u_center", "u_scale", "u_size", "u_alpha"]
      .map((name) => [name, gl.getUniformLocation(this.program, name)]));
    this.buffers = { a_pos: gl.createBuffer(), a_col: gl.createBuffer() };
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  }

  // coords: Float32Array (2n); shade: n values in 0..1; order: indices, most important first.
  set(coords, shade, order) {
    this.n = coords.length / 2;
    this.coords = coords;
    this.order = order;
    this.colours = new Float32Array(3 * this.n);
    for (let i = 0; i < this.n; i++) this.colours.set(ramp(this.stops, shade[i]), 3 * i);
    if (!this.gl) return;
    const positions = new Float32Array(2 * this.n), colours = new Float32Array(3 * this.n);
    for (let k = 0; k < this.n; k++) {
      const i = order[this.n - 1 - k];
      positions[2 * k] = coords[2 * i];
      positions[2 * k + 1] = coords[2 * i + 1];
      colours.set(this.colours.subarray(3 * i, 3 * i + 3), 3 * k);
    }
    const gl = this.gl;
    for (const [name, data, size] of [["a_pos", positions, 2], ["a_col", colours, 3]]) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers[name]);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      const where = gl.getAttribLocation(this.program, name);
      gl.enableVertexAttribArray(where);
      gl.vertexAttribPointer(where, size, gl.FLOAT, false, 0, 0);
    }
  }

  // view: { cx, cy, scale } (pixels per data unit); width, height in CSS pixels; only the
  // `limit` most important points are drawn (the map draws fewer while it moves).
  draw(view, width, height, ratio, size, limit = Infinity) {
    const count = Math.min(this.n, limit);
    if (this.gl) {
      const gl = this.gl;
      gl.viewport(0, 0, this.canvas.width, this.canvas.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      if (!this.n) return;
      gl.uniform2f(this.where.u_center, view.cx, view.cy);
      gl.uniform2f(this.where.u_scale, (2 * view.scale) / width, (2 * view.scale) / height);
      gl.uniform1f(this.where.u_size, size * ratio);
      gl.uniform1f(this.where.u_alpha, this.n > 60000 ? 0.55 : 0.8);
      gl.drawArrays(gl.POINTS, this.n - count, count);  // the buffer ends with the most important
      return;
    }
    const ctx = this.flat;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    for (let k = count - 1; k >= 0; k--) {
      const i = this.order[k];
      const x = (this.coords[2 * i] - view.cx) * view.scale + width / 2;
      const y = -(this.coords[2 * i + 1] - view.cy) * view.scale + height / 2;
      if (x < -size || y < -size || x > width + size || y > height + size) continue;
      const c = this.colours.subarray(3 * i, 3 * i + 3);
      ctx.fillStyle = `rgb(${255 * c[0]},${255 * c[1]},${255 * c[2]})`;
      ctx.fillRect(x - size / 2, y - size / 2, size, size);
    }
  }
}
