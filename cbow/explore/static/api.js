// The page's one door to the server: GET /api/... with query parameters, JSON back.
// A JSON error ({"error": {"code", "message", ...}}) becomes an ApiError carrying it.

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `request failed (${status})`);
    this.status = status;
    this.code = error.code || "error";
    this.suggestions = error.suggestions || [];
    this.word = error.word;
  }
}

function url(endpoint, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return `/api/${endpoint}${text ? "?" + text : ""}`;
}

async function failure(response) {
  let error = { message: `the server answered ${response.status} ${response.statusText}` };
  try {
    const body = await response.json();
    if (body && body.error) error = body.error;
  } catch (ignored) { /* not JSON: keep the status line */ }
  return new ApiError(response.status, error);
}

// JSON of an endpoint; 202 (a map still being computed) is returned as data, not thrown.
export async function getJson(endpoint, params, { signal } = {}) {
  let response;
  try {
    response = await fetch(url(endpoint, params), { signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { code: "offline", message: "the server does not answer; is cbow explore still running?" });
  }
  if (!response.ok) throw await failure(response);
  return response.json();
}

// The float32 coordinates of a map (n x 2, little-endian).
export async function getCoords(params, { signal } = {}) {
  const response = await fetch(url("map.bin", params), { signal });
  if (!response.ok) throw await failure(response);
  return new Float32Array(await response.arrayBuffer());
}
