"""Finished vectors: `KeyedVectors` (nearest neighbours, analogies), the file formats (ours,
word2vec C's text and binary, fastText .vec, GloVe), queries, evaluation on analogy and
word-pair sets, comparisons, statistics, the evaluation-set registry and plots.

Imports the base and cbow.data.
"""
