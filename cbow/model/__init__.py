"""The math of CBOW: the hidden layer (the mean of the context rows), the objectives (full
softmax, negative sampling, hierarchical softmax: loss and derived gradient each), the fused
training steps, noise sampling and the sparse row updates.

Imports the base and cbow.data.
"""
