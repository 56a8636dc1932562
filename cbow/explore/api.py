"""The JSON API of `cbow explore`: each endpoint checks its parameters and answers with data.

    GET /api/files                         the files served, the map methods installed, the sets known
    GET /api/complete?file&q&limit         words starting with q, most frequent first; did-you-mean
    GET /api/neighbours?file&word&topn     a word's neighbours (as cbow similar)
    GET /api/query?file&q&method&topn      'king - man + woman' or 'man : king :: woman', 3CosAdd / 3CosMul
    GET /api/compare?a&b&word&k            one word in two files: both lists, overlap@k
    GET /api/moved?a&b&sample&k            the frequent words whose neighbours changed most from a to b
    GET /api/map?file&method&n             a map of the n most frequent words: words and state
    GET /api/map?file&word&k               a map of a word's k-neighbourhood (PCA)
    GET /api/map.bin?(the same)            its coordinates: n x 2 little-endian float32
    GET /api/log?file                      the training log's records (OUTPUT.log.jsonl)
    GET /api/evaluate?file&set             run an evaluation set (names from /api/files)

A file is named by its id ("0", "1": command-line order). Parameters are strict: an
unknown or repeated parameter, a number out of range, a word or expression too long are
400s naming the parameter and its range; an unknown word is a 404 with suggestions.
Limits keep one request's work bounded (TOPN_MAX neighbours, MAP_MAX[method] points).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from cbow.errors import CbowError
from cbow.explore import neighbours as answers
from cbow.explore.batching import NeighbourBatcher
from cbow.explore.errors import RequestError
from cbow.explore.evaluation import EvaluationSets
from cbow.explore.layout import INSTALL_HINT, MODULE_OF, Layout, available_methods, pca
from cbow.explore.layout import METHODS as MAP_METHODS
from cbow.explore.layout_jobs import LayoutJobs
from cbow.explore.served import ServedFile
from cbow.training.training_log import TrainingLog

TOPN_MAX = 1000
COMPLETE_MAX = 50
WORD_MAX_CHARS = 200
QUERY_MAX_CHARS = 1000
NEIGHBOURHOOD_MAX = 2000
MOVED_SAMPLE_MAX = 5000
MOVED_K_MAX = 100
MAP_MAX = {"tsne": 20_000, "umap": 100_000}  # PCA: the whole vocabulary
MAP_DEFAULT = 10_000
MEMO_ENTRIES = 16


@dataclass(frozen=True)
class Response:
    """What the server sends: status, content type, body."""

    status: int
    content_type: str
    body: bytes


def json_response(payload, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return Response(status, "application/json; charset=utf-8", body)


class _Memo:
    """A small least-recently-used cache whose values are computed once, even by concurrent requests."""

    def __init__(self, size: int) -> None:
        self._size, self._values, self._lock = size, OrderedDict(), threading.Lock()
        self._computing: dict = {}

    def get(self, key, compute):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                self._computing.pop(key, None)
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
            return value


class _Params:
    """One request's query parameters, read strictly."""

    def __init__(self, endpoint: str, query: dict[str, list[str]], allowed: tuple[str, ...]) -> None:
        self.endpoint, self.query = endpoint, query
        for name, values in query.items():
            if name not in allowed:
                takes = ", ".join(allowed) if allowed else "no parameters"
                raise RequestError(400, "bad_parameter", f"{endpoint} does not take {name!r}; it takes {takes}")
            if len(values) > 1:
                raise RequestError(400, "bad_parameter",
                                   f"{endpoint}: {name!r} is given {len(values)} times; give it once")

    def text(self, name: str, default: str | None = None, max_chars: int = WORD_MAX_CHARS) -> str:
        value = self.query.get(name, [default])[0]
        if value is None or not value.strip():
            raise RequestError(400, "bad_parameter", f"{self.endpoint} needs {name}=...")
        if len(value) > max_chars:
            raise RequestError(400, "bad_parameter", f"{name} is {len(value):,} characters long; at most "
                                                     f"{max_chars:,} are accepted")
        return value.strip()

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        text = self.query.get(name, [None])[0]
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            raise RequestError(400, "bad_parameter", f"{name} must be an integer, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise RequestError(400, "bad_parameter", f"{name} must be between {low:,} and {high:,}, got {value:,}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.query.get(name, [default])[0]
        if value not in choices:
            raise RequestError(400, "bad_parameter", f"{name} must be one of {', '.join(choices)}, got {value[:40]!r}")
        return value


class Api:
    """The endpoints over the session's files (see the module docstring)."""

    def __init__(self, files: list[ServedFile], jobs: LayoutJobs | None = None) -> None:
        self.files = {served.id: served for served in files}
        self.jobs = jobs or LayoutJobs()
        self.sets = EvaluationSets()
        self.batcher = NeighbourBatcher()
        for served in files:
            self.batcher.warm(served)
        self._maps = _Memo(MEMO_ENTRIES)
        self._moved = _Memo(MEMO_ENTRIES)
        self.routes = {
            "/api/files": ((), self.list_files),
            "/api/complete": (("file", "q", "limit"), self.complete),
            "/api/neighbours": (("file", "word", "topn"), self.neighbours),
            "/api/query": (("file", "q", "method", "topn"), self.query),
            "/api/compare": (("a", "b", "word", "k"), self.compare),
            "/api/moved": (("a", "b", "sample", "k"), self.moved),
            "/api/map": (("file", "method", "n", "word", "k"), self.map_words),
            "/api/map.bin": (("file", "method", "n", "word", "k"), self.map_coords),
            "/api/log": (("file",), self.log),
            "/api/evaluate": (("file", "set"), self.evaluate),
        }

    def close(self) -> None:
        self.batcher.close()
        self.jobs.close()
        self.sets.close()

    def handle(self, path: str, query: dict[str, list[str]]) -> Response:
        """Answer one GET of the API; a bad request becomes its JSON error."""
        route = self.routes.get(path)
        try:
            if route is None:
                raise RequestError(404, "not_found",
                                   f"no API endpoint {path[:80]!r}; they are {', '.join(self.routes)}")
            allowed, endpoint = route
            return endpoint(_Params(path, query, allowed))
        except RequestError as error:
            return json_response(error.to_json(), error.status)
        except CbowError as error:  # a file the request needed is damaged (a training log, a set)
            return json_response(RequestError(422, "unreadable", str(error)).to_json(), 422)

    def _file(self, params: _Params, name: str = "file") -> ServedFile:
        file_id = params.query.get(name, ["0"])[0]
        served = self.files.get(file_id)
        if served is None:
            names = ", ".join(f"{served.name} ({served.id})" for served in self.files.values())
            raise RequestError(404, "unknown_file", f"{name}={file_id[:60]!r} is not a file of this session; "
                                                    f"it serves {names}")
        return served

    # -- endpoints -----------------------------------------------------------------------------
    def list_files(self, params: _Params) -> Response:
        methods = available_methods()
        return json_response({
            "files": [served.describe() for served in self.files.values()],
            "maps": {method: {"available": methods[method], "max": MAP_MAX.get(method),
                              **({} if methods[method] or method not in MODULE_OF else {"install": INSTALL_HINT})}
                     for method in MAP_METHODS},
            "sets": self.sets.listing(),
            "limits": {"topn": TOPN_MAX, "neighbourhood": NEIGHBOURHOOD_MAX, "moved_sample": MOVED_SAMPLE_MAX},
        })

    def complete(self, params: _Params) -> Response:
        served = self._file(params)
        prefix = params.text("q")
        limit = params.integer("limit", 10, 1, COMPLETE_MAX)
        found = served.completion.complete(prefix, limit)
        spelling = [] if found else served.completion.did_you_mean(prefix, limit=5)
        return json_response({"file": served.id, "q": prefix, "words": found, "did_you_mean": spelling})

    def neighbours(self, params: _Params) -> Response:
        served = self._file(params)
        topn = params.integer("topn", 10, 1, TOPN_MAX)
        return json_response(answers.neighbours(served, params.text("word"), topn, self.batcher.most_similar))

    def query(self, params: _Params) -> Response:
        served = self._file(params)
        text = params.text("q", max_chars=QUERY_MAX_CHARS)
        method = params.choice("method", answers.METHODS, "3CosAdd")
        return json_response(answers.expression(served, text, method, params.integer("topn", 10, 1, TOPN_MAX)))

    def _two_files(self, params: _Params) -> tuple[ServedFile, ServedFile]:
        if len(self.files) < 2:
            raise RequestError(400, "bad_parameter", "comparing needs two files; start cbow explore A B")
        first, second = self._file(params, "a"), self._file(params, "b")
        if first.id == second.id:
            raise RequestError(400, "bad_parameter", "a and b name the same file; pick two different ones")
        return first, second

    def compare(self, params: _Params) -> Response:
        first, second = self._two_files(params)
        k = params.integer("k", 10, 1, TOPN_MAX)
        return json_response(answers.compare(first, second, params.text("word"), k, self.batcher.most_similar))

    def moved(self, params: _Params) -> Response:
        first, second = self._two_files(params)
        sample = params.integer("sample", 1000, 10, MOVED_SAMPLE_MAX)
        k = params.integer("k", 10, 1, MOVED_K_MAX)
        return json_response(self._moved.get((first.id, second.id, sample, k),
                                             lambda: answers.moved_words(first, second, sample, k)))

    def _layout(self, params: _Params) -> tuple[ServedFile, dict, Layout | None, dict]:
        """(file, description, layout or None while a job runs, extra JSON) of a map request."""
        served = self._file(params)
        if "word" in params.query:
            if "n" in params.query or params.query.get("method", ["pca"])[0] != "pca":
                raise RequestError(400, "bad_parameter", "a neighbourhood map is PCA of word and k; drop n and method")
            k = params.integer("k", 100, 2, NEIGHBOURHOOD_MAX)
            found = answers.neighbours(served, params.text("word"), k, self.batcher.most_similar)
            key = ("neighbourhood", served.id, found["key"], found["source"], k)
            layout = self._maps.get(key, lambda: _neighbourhood_layout(served, found))
            return served, {"method": "pca", "word": found["key"], "k": k}, layout, {
                "words": [found["key"]] + [word for word, _ in found["neighbours"]],
                "scores": [1.0] + [score for _, score in found["neighbours"]], "source": found["source"]}
        if "k" in params.query:
            raise RequestError(400, "bad_parameter",
                               "k is for a neighbourhood map (with word=...); use n for the top words")
        method = params.choice("method", MAP_METHODS, "pca")
        limit = min(served.n_words, MAP_MAX.get(method, served.n_words))
        n_text = params.query.get("n", [None])[0]
        n = limit if n_text == "all" else params.integer("n", min(MAP_DEFAULT, limit), 2, max(2, limit))
        n = min(n, served.n_words)
        description = {"method": method, "n": n}
        if method == "pca":
            return served, description, self._maps.get(("top", served.id, n), lambda: _top_layout(served, n)), {}
        if not available_methods()[method]:
            raise RequestError(400, "not_installed", f"{method} maps need {MODULE_OF[method]}: {INSTALL_HINT}")
        job = self.jobs.request(served, method, n)
        return served, description, job.layout, job.to_json()

    def map_words(self, params: _Params) -> Response:
        served, description, layout, extra = self._layout(params)
        if layout is None:
            status = 500 if extra.get("state") == "failed" else 202
            return json_response({"file": served.id, **description, **extra}, status)
        if "words" not in extra:  # a map of the top words: row order is frequency order
            extra = {**extra, "words": [served.kv.index_to_key[row] for row in layout.rows.tolist()]}
        else:  # a neighbourhood: each word's frequency rank (0 for an n-gram word, in no row)
            extra = {**extra, "ranks": (layout.rows + 1).tolist()}
        explained = None if layout.explained is None else [round(value, 6) for value in layout.explained]
        return json_response({"file": served.id, **description, "state": "done", **extra, "explained": explained})

    def map_coords(self, params: _Params) -> Response:
        _, _, layout, extra = self._layout(params)
        if layout is None:
            raise RequestError(409, "not_ready", f"the map is {extra.get('state')}; ask /api/map until it is done")
        return Response(200, "application/octet-stream", np.ascontiguousarray(layout.coords, dtype="<f4").tobytes())

    def log(self, params: _Params) -> Response:
        served = self._file(params)
        if served.log_path is None:
            raise RequestError(404, "not_found", f"{served.name} has no training log beside it "
                                                 f"({served.path.name}.log.jsonl); cbow train writes one")
        return json_response({"file": served.id, "log": served.log_path.name,
                              "records": TrainingLog.read(served.log_path)})

    def evaluate(self, params: _Params) -> Response:
        served = self._file(params)
        return json_response(self.sets.run(served, params.text("set")))


def _top_layout(served: ServedFile, n: int) -> Layout:
    return pca(served.kv.vectors, served.frequency_order()[:n])


def _neighbourhood_layout(served: ServedFile, found: dict) -> Layout:
    """PCA of a word and its neighbours (an n-gram word's own vector is not a row: placed by projection)."""
    rows = np.array([served.kv.key_to_index[word] for word, _ in found["neighbours"]], dtype=np.int64)
    if found["source"] != "ngrams":
        return pca(served.kv.vectors, np.concatenate([[served.kv.key_to_index[found["key"]]], rows]))
    vector = np.asarray(served.kv[found["key"]], dtype=np.float32)[None, :]
    stacked = np.vstack([vector, np.asarray(served.kv.vectors[rows], dtype=np.float32)])
    layout = pca(stacked, np.arange(len(stacked)))
    return Layout(np.concatenate([[-1], rows]), layout.coords, layout.explained)
