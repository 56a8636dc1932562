"""Training: the settings (config), the schedule, the live run and its callbacks, the engines
(in_process; parallel/ for worker processes over shared weights), checkpoints, held-out
scores, per-epoch evaluation, the training log, the memory model and `cbow plan`, and the
loop that ties them together (`cbow.train`, in loop.py).

Imports everything below it: the base, cbow.data, cbow.vectors, cbow.model.
"""
