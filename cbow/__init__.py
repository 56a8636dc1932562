"""cbow: CBOW word vectors with hand-derived backpropagation in numpy/scipy.

    >>> import cbow
    >>> result = cbow.train("corpus.txt", cbow.TrainConfig(size=100, epochs=5))
    >>> result.wv.most_similar("king")
    >>> kv = cbow.load("vectors.bin")   # any format; a fastText .bin answers for unseen words too
    >>> result.save("model.cbow"); model = cbow.load_model("model.cbow")   # the whole model
    >>> model.predict_output_word(["the", "cat", "on", "the"]), model.score(["the cat sat"])

Callbacks (`cbow.Callback`, as gensim's CallbackAny2Vec) see every event of a run:
`cbow.train(corpus, config, callbacks=[MyCallback()])`.

A gensim program runs with its import line changed (`cbow.Word2Vec` drives `cbow.train`
as gensim's class is driven):

    >>> from cbow import Word2Vec, KeyedVectors, CallbackAny2Vec
    >>> model = Word2Vec(sentences, vector_size=100, window=5, min_count=5)

The public names are imported on first use, so `import cbow` and the CLI start fast. The
package is layered; each layer imports only the ones before it:

    errors, numerics, atomic, interrupts   the base
    data/       text -> ids: corpus, tokenize, vocab, huffman, encode, cache, windows, split
    vectors/    KeyedVectors and everything done with finished vectors: formats, query, evaluate
    model/      the math: hidden layer, objectives, fused steps, noise sampling
    check/      gradient checks by finite differences
    training/   config, schedule, the run and its callbacks, engines, checkpoints, held-out
    cli/        the `cbow` command
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "Callback": "cbow.training.callbacks",
    "CallbackAny2Vec": "cbow.training.callbacks",
    "CbowError": "cbow.errors",
    "Checkpointer": "cbow.training.checkpoint",
    "EpochReport": "cbow.training.run",
    "KeyedVectors": "cbow.vectors.keyed",
    "SubwordKeyedVectors": "cbow.vectors.subword_keyed",
    "Model": "cbow.training.full_model",
    "TrainConfig": "cbow.training.config",
    "TrainResult": "cbow.training.run",
    "train": "cbow.training.loop",
    "Vocab": "cbow.data.vocab",
    "Word2Vec": "cbow.training.word2vec",
    "RULE_DEFAULT": "cbow.training.word2vec_vocab",
    "RULE_DISCARD": "cbow.training.word2vec_vocab",
    "RULE_KEEP": "cbow.training.word2vec_vocab",
}
__all__ = sorted([*_PUBLIC, "load", "load_model"])


def __getattr__(name: str):
    if name == "load":
        return import_module("cbow.vectors.subword_keyed").load
    if name == "load_model":
        return import_module("cbow.training.full_model").load_model
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'cbow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
