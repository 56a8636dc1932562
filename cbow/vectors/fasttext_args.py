"""fastText's training arguments, as its model file keeps them, and what they are in cbow's terms.

A .bin written by fastText holds its Args (src/args.h); `config_of` names them as cbow's
TrainConfig does (size, window, ...), so a loaded fastText model's `config` reads like one
of ours, and `args_for` goes back when cbow writes a .bin. The fields cbow has no name for
(wordNgrams, lrUpdateRate, the model and loss names) travel under config["fasttext"], so a
fastText file read and written again keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
_OBJECTIVE_LOSS = {"hs": 1, "ns": 2, "softmax": 3}


@dataclass(frozen=True)
class FastTextArgs:
    """fastText's Args as its model file keeps them (src/args.h's names where they differ).

    bucket rows of n-grams (minn..maxn characters) follow the word rows of the input
    matrix; maxn = 0 means words only (fastText then writes bucket = 0).
    """

    dim: int
    ws: int = 5
    epoch: int = 5
    min_count: int = 5  # minCount
    neg: int = 5
    word_ngrams: int = 1  # wordNgrams
    loss: int = 2  # 1 hs, 2 ns, 3 softmax, 4 ova
    model: int = 1  # 1 cbow, 2 skipgram, 3 supervised
    bucket: int = 2_000_000
    minn: int = 3
    maxn: int = 6
    lr_update_rate: int = 100  # lrUpdateRate
    t: float = 1e-4


def config_of(args: FastTextArgs, version: int) -> dict:
    """The settings of a fastText model in TrainConfig's names (JSON-serialisable).

    fastText splits its text on whitespace only and keeps case: its tokenizer is cbow's
    "whitespace" one.
    """
    return {
        "size": args.dim, "window": args.ws, "epochs": args.epoch, "min_count": args.min_count,
        "negative": args.neg, "objective": LOSSES[args.loss] if args.loss in _OBJECTIVE_LOSS.values() else "ns",
        "sample": args.t, "tokenizer": "whitespace",
        "fasttext": {"model": MODELS[args.model], "loss": LOSSES[args.loss], "word_ngrams": args.word_ngrams,
                     "lr_update_rate": args.lr_update_rate, "version": version},
    }


def args_for(config: dict, dim: int, min_n: int, max_n: int, buckets: int) -> FastTextArgs:
    """fastText's Args for vectors trained with `config` (TrainConfig's names, as `config_of`
    makes them); n-gram settings and dim as given. What the config does not say takes
    fastText's defaults, the model is CBOW unless config["fasttext"] says otherwise."""
    kept = config.get("fasttext") if isinstance(config.get("fasttext"), dict) else {}
    model = {name: number for number, name in MODELS.items()}.get(kept.get("model"), 1)
    loss = _OBJECTIVE_LOSS.get(config.get("objective"), 2)

    def whole(key: str, default: int, source: dict = config) -> int:
        value = source.get(key, default)
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else default

    sample = config.get("sample", 1e-4)
    return FastTextArgs(
        dim=dim, ws=whole("window", 5), epoch=whole("epochs", 5), min_count=whole("min_count", 5),
        neg=whole("negative", 5), word_ngrams=whole("word_ngrams", 1, kept), loss=loss, model=model,
        bucket=buckets if max_n >= max(min_n, 1) else 0, minn=min_n, maxn=max_n,
        lr_update_rate=whole("lr_update_rate", 100, kept),
        t=float(sample) if isinstance(sample, (int, float)) and sample >= 0 else 1e-4,
    )
