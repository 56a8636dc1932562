"""Training on a Dask cluster: data-parallel CBOW, a third engine beside one process and the worker pool.

    cbow.train("corpus.txt", config, cluster="local:4")              # 4 processes here
    cbow.train("/shared/corpus/", config, cluster="tcp://head:8786")  # a running scheduler
    cbow train /shared/corpus/ --cluster tcp://head:8786 --sync-every 10M

Modules, in the order a run meets them:

    connect     reach the cluster; check cbow's version, daemonic workers, the corpus path
    pieces      (on the nodes) the corpus in newline-aligned byte ranges: read, count, encode
    distribute  (on the client) the vocabulary counted in parallel, each node's shard
    run         `train(..., cluster=)`: setup, then the engine, with the run's callbacks
    engine      the rounds: send the model, train, merge, emit the events, checkpoints
    node        (on the nodes) one round of training: a pure function of its inputs
    merge       the merge rule and what travels each way

Dask's `distributed` is imported only when a cluster is used (`pip install '.[cluster]'`).
Protocol, math and measurements: the modules' docstrings and docs/cluster.md.
"""
