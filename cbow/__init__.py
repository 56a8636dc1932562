"""cbow: CBOW word vectors with hand-derived backpropagation in numpy/scipy.

    >>> import cbow
    >>> result = cbow.train("corpus.txt", cbow.TrainConfig(size=100, epochs=5))
    >>> result.wv.most_similar("king")
    >>> kv = cbow.KeyedVectors.load("vectors.bin")

The public names are imported on first use, so `import cbow` and the CLI start fast.
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "CbowError": "cbow.errors",
    "KeyedVectors": "cbow.vectors.keyed",
    "TrainConfig": "cbow.training.loop",
    "TrainResult": "cbow.training.loop",
    "train": "cbow.training.loop",
    "Vocab": "cbow.data.vocab",
}
__all__ = sorted([*_PUBLIC, "load"])


def __getattr__(name: str):
    if name == "load":
        return import_module("cbow.vectors.keyed").KeyedVectors.load
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'cbow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
