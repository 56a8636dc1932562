"""Worker processes over shared weights (word2vec's threads, as processes): the parent's
pool, what each child runs, the shared segment and flags, and the engine that turns their
progress into the run's events.
"""
