"""Word Mover's Distance (Kusner et al. 2015): the cheapest way to move one document's words onto another's.

Each document is a bag of words: word i of document 1 weighs p_i = (its count) / (the
document's length), word j of document 2 weighs q_j the same way. Moving a unit of weight
from i to j costs the Euclidean distance of their vectors, c_ij = ||x_i - y_j||. The
distance is the optimal transport cost, a linear program:

    WMD = min_T  sum_ij c_ij T_ij
          subject to  sum_j T_ij = p_i  (every i sends its weight),
                      sum_i T_ij = q_j  (every j receives its weight),   T_ij >= 0

solved exactly by scipy's HiGHS (`scipy.optimize.linprog`), which gensim delegates to the
POT package; no package beyond scipy is needed here. The flow T has n1 x n2 variables (the
documents' distinct words), so a document of a few hundred distinct words is solved in
well under a second.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.sparse
from scipy.spatial.distance import cdist

from cbow.errors import CbowError


def bag_of_words(document: list) -> tuple[list, np.ndarray]:
    """(distinct words in order of first appearance, their weights count / len(document))."""
    counts: dict = {}
    for word in document:
        counts[word] = counts.get(word, 0) + 1
    weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts)) / len(document)
    return list(counts), weights


def transport_cost(vectors1: np.ndarray, weights1: np.ndarray, vectors2: np.ndarray, weights2: np.ndarray) -> float:
    """The optimal transport cost between two weighted point sets (module docstring).

    Parameters
    ----------
    vectors1 : (n1, d) points, weights1 : (n1,) non-negative, summing to 1
    vectors2 : (n2, d) points, weights2 : (n2,) non-negative, summing to 1

    Returns
    -------
    float, sum_ij c_ij T_ij at the optimal flow (0 when the sets coincide)
    """
    n1, n2 = len(weights1), len(weights2)
    costs = cdist(np.asarray(vectors1, dtype=np.float64), np.asarray(vectors2, dtype=np.float64))
    if n1 == 1 or n2 == 1:  # one side has a single word: every unit goes to (or comes from) it
        return float((costs * np.outer(weights1, weights2)).sum())
    # T flattened row-major: T_ij is variable i * n2 + j
    sends = scipy.sparse.kron(scipy.sparse.identity(n1), np.ones((1, n2)))
    receives = scipy.sparse.kron(np.ones((1, n1)), scipy.sparse.identity(n2))
    constraints = scipy.sparse.vstack([sends, receives]).tocsr()
    bounds_rhs = np.concatenate([weights1, weights2])
    solved = scipy.optimize.linprog(costs.ravel(), A_eq=constraints, b_eq=bounds_rhs, bounds=(0, None),
                                    method="highs")
    if solved.status != 0:  # the problem is always feasible and bounded: a solver failure is ours
        raise CbowError(f"word mover's distance: the transport problem was not solved ({solved.message})")
    return float(solved.fun)
