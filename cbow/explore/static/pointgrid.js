// PointGrid: the points of a map bucketed into a uniform grid over their bounding box
// (about three points a cell, by a counting sort), so the nearest point to a position
// is found by looking only at the cells within the search radius.

export class PointGrid {
  constructor(coords) {
    const n = coords.length / 2;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = coords[2 * i], y = coords[2 * i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    this.coords = coords;
    this.bounds = { x0, y0, x1, y1 };
    this.side = Math.max(1, Math.ceil(Math.sqrt(n / 3)));
    const cells = this.side * this.side;
    this.start = new Int32Array(cells + 1);
    this.items = new Int32Array(n);
    const cellOfPoint = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      cellOfPoint[i] = this._cell(this._column(coords[2 * i]), this._row(coords[2 * i + 1]));
      this.start[cellOfPoint[i] + 1]++;
    }
    for (let c = 0; c < cells; c++) this.start[c + 1] += this.start[c];
    const next = this.start.slice(0, cells);
    for (let i = 0; i < n; i++) this.items[next[cellOfPoint[i]]++] = i;
  }

  _column(x) { return Math.min(this.side - 1, Math.max(0, Math.floor(((x - this.bounds.x0) / (this.bounds.x1 - this.bounds.x0)) * this.side))); }
  _row(y) { return Math.min(this.side - 1, Math.max(0, Math.floor(((y - this.bounds.y0) / (this.bounds.y1 - this.bounds.y0)) * this.side))); }
  _cell(column, row) { return row * this.side + column; }

  // The point nearest to (x, y) within distance r (data units), or -1; ties: the lower index.
  nearest(x, y, r) {
    let best = -1, bestDistance = r * r;
    const c0 = this._column(x - r), c1 = this._column(x + r), r0 = this._row(y - r), r1 = this._row(y + r);
    for (let row = r0; row <= r1; row++) {
      for (let column = c0; column <= c1; column++) {
        const cell = this._cell(column, row);
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) {
          const i = this.items[k];
          const dx = this.coords[2 * i] - x, dy = this.coords[2 * i + 1] - y;
          const distance = dx * dx + dy * dy;
          if (distance < bestDistance || (distance === bestDistance && i < best)) { best = i; bestDistance = distance; }
        }
      }
    }
    return best;
  }
}
