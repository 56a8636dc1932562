"""Neighbour queries of concurrent requests answered together: one matrix product for all of them.

A word's neighbours cost one pass over the whole (V, d) matrix: V cosines, a product bound
by memory bandwidth, not arithmetic. Q queries that arrive together are answered by one
(Q, d) x (d, V) product, the matrix read once instead of Q times, through
KeyedVectors.most_similar_many (as `cbow similar a b c` answers several words).

One thread of the server computes every neighbour query; request threads queue theirs
and wait. No query waits for a timer: the computing thread takes, as soon as it is free,
all the queries queued for one (file, topn), up to BATCH_MAX. An idle server answers a
query as if alone; under load the batches grow with the load. One computing thread also
means one BLAS call at a time (many at once oversubscribe the cores with BLAS's own
threads) and one malloc arena for the (Q, V) score arrays (request threads each keep an
arena's worth of freed arrays: 750 MiB of heap under 20 clients when they computed
themselves; docs/performance.md).

Queries are grouped by (file, topn), groups taking turns, so each answer is the one a lone
query gets, to float32 rounding: a batch's product sums in another order than one query's
(differences of about 1e-7, which the API's six decimals almost never show).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

from cbow.explore.errors import RequestError
from cbow.explore.served import ServedFile

BATCH_MAX = 256  # queries per product, KeyedVectors' own block: scores of BATCH_MAX x V float32


@dataclass(eq=False)
class _Query:
    key: str
    answered: threading.Event = field(default_factory=threading.Event)
    result: list | None = None
    error: BaseException | None = None


class NeighbourBatcher:
    """`most_similar(served, key, topn)` from any number of request threads; `close()` stops it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: dict[tuple[str, int], tuple[ServedFile, list[_Query]]] = {}
        self._closed = False
        self._worker = threading.Thread(target=self._work, name="cbow-explore-neighbours", daemon=True)
        self._worker.start()

    def most_similar(self, served: ServedFile, key: str, topn: int) -> list[tuple[str, float]]:
        """The `topn` neighbours of the vocabulary word `key` (itself excluded), best first."""
        query = _Query(key)
        with self._changed:
            if self._closed:
                raise RequestError(503, "busy", "the server is stopping; start cbow explore again")
            self._waiting.setdefault((served.id, topn), (served, []))[1].append(query)
            self._changed.notify()
        query.answered.wait()
        if query.error is not None:
            raise query.error
        return query.result

    def warm(self, served: ServedFile) -> None:
        """Answer one query of `served` in the background, so what the first query builds once
        (the rows' norms; today KeyedVectors' normalised copy: 9 s for a 1M x 300 file) is
        ready before a person has typed a word. A real query asked meanwhile waits its turn."""
        if len(served.kv) == 0:
            return

        def first_query() -> None:
            with contextlib.suppress(Exception):  # a real query will meet the same error and show it
                self.most_similar(served, served.kv.index_to_key[0], 1)

        threading.Thread(target=first_query, name=f"cbow-explore-warm-{served.id}", daemon=True).start()

    def _next_batch(self) -> tuple[ServedFile, int, list[_Query]] | None:
        with self._changed:
            while not self._waiting and not self._closed:
                self._changed.wait()
            if not self._waiting:
                return None
            group = next(iter(self._waiting))
            served, queue = self._waiting.pop(group)
            batch, rest = queue[:BATCH_MAX], queue[BATCH_MAX:]
            if rest:  # to the back: the other groups' turn first
                self._waiting[group] = (served, rest)
            return served, group[1], batch

    def _work(self) -> None:
        while (taken := self._next_batch()) is not None:
            served, topn, batch = taken
            try:
                for query, result in zip(batch, served.kv.most_similar_many([q.key for q in batch], topn=topn)):
                    query.result = result
            except Exception as error:  # noqa: BLE001 (each waiting request raises it: a bug shows as a 500)
                for query in batch:
                    query.error = error
            for query in batch:
                query.answered.set()

    def close(self) -> None:
        """Answer what is queued, then stop the computing thread."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._worker.join(timeout=30)
