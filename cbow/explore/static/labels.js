// Label placement: words are tried most important first; each goes beside its point (to
// the right, else left, above, below or at a corner) only where its box overlaps no box
// placed before.
// An occupancy grid of CELL-pixel squares says which parts of the screen are taken, so a
// try costs the cells its box covers, whatever the number of labels. Pinned words (the
// selection, its neighbours) come first and are placed even when every side is taken.

export const CELL = 6;

// Where a label may go, best first: beside its point, then the corners, then farther out.
const SIDES = [
  (px, py, w, h) => [px + 5, py - h / 2],
  (px, py, w, h) => [px - 5 - w, py - h / 2],
  (px, py, w, h) => [px - w / 2, py - h - 3],
  (px, py, w, h) => [px - w / 2, py + 3],
  (px, py, w, h) => [px + 4, py - h - 2],
  (px, py, w, h) => [px + 4, py + 2],
  (px, py, w, h) => [px - 4 - w, py - h - 2],
  (px, py, w, h) => [px - 4 - w, py + 2],
];
const FAR = [[0, -1.6], [0, 1.6], [0, -2.6], [0, 2.6]];  // pinned words: rows above and below

const GIVE_UP = 20000;  // candidates refused in a row: the screen is full, stop looking

// candidates: indices in priority order; pinned: indices always placed; bold: a Set of
// indices drawn larger; position(i, out) writes [x, y] on screen into out; measure(i, bold)
// -> text width;
// guess(i) -> a cheap width estimate (measuring text is the slow part: only a label whose
// guessed box fits is measured, then tried at its true width); budget: at most this many
// candidates are tried (while the view moves).
// Returns [{ index, x, y, width, height, bold }], the boxes placed (x, y: top left).
export function placeLabels({ width, height, candidates, pinned = [], bold = new Set(), position, measure,
  guess = null, maxLabels, budget = Infinity }) {
  const columns = Math.ceil(width / CELL), rows = Math.ceil(height / CELL);
  const taken = new Uint8Array(columns * rows);
  const placed = [];
  const seen = new Set();
  const span = (x, y, w, h) => [Math.max(0, Math.floor(x / CELL)), Math.min(columns - 1, Math.floor((x + w) / CELL)),
    Math.max(0, Math.floor(y / CELL)), Math.min(rows - 1, Math.floor((y + h) / CELL))];
  const free = ([c0, c1, r0, r1]) => {
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (taken[r * columns + c]) return false;
    return true;
  };
  const spotFor = (px, py, w, h, force) => {
    const spots = SIDES.map((side) => side(px, py, w, h));
    if (force) spots.push(...FAR.map(([dx, dy]) => [px + 5 + dx * w, py - h / 2 + dy * h]));
    for (const [x, y] of spots) {
      if (x < 0 || y < 0 || x + w > width || y + h > height) continue;
      if (free(span(x, y, w, h))) return [x, y];
    }
    return force ? SIDES[0](px, py, w, h) : null;
  };
  const at = new Float64Array(2);  // position(i, at) writes there: no array made per candidate
  const tryPlace = (i, force) => {
    position(i, at);
    const px = at[0], py = at[1];
    if (!(px >= 0 && py >= 0 && px <= width && py <= height)) return false;
    const isBold = bold.has(i);
    const h = isBold ? 17 : 15;
    if (!force && guess && !spotFor(px, py, guess(i) + 4, h, false)) return false;
    const w = measure(i, isBold) + 4;
    const chosen = spotFor(px, py, w, h, force);
    if (!chosen) return false;
    const [c0, c1, r0, r1] = span(chosen[0], chosen[1], w, h);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) taken[r * columns + c] = 1;
    placed.push({ index: i, x: chosen[0], y: chosen[1], width: w, height: h, bold: isBold, pinned: force });
    return true;
  };
  for (const i of pinned) { seen.add(i); tryPlace(i, true); }
  let tried = 0, refused = 0;
  for (let k = 0; k < candidates.length && placed.length < maxLabels + pinned.length && tried < budget
    && refused < GIVE_UP; k++) {
    const i = candidates[k];
    if (seen.has(i)) continue;
    tried++;
    refused = tryPlace(i, false) ? 0 : refused + 1;
  }
  return placed;
}

// Two boxes overlap (share more than an edge).
export function overlap(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
