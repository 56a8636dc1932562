"""Words of messages: counts ("1 time", "12,000 words", never "occurs 1 times") and the
names of settings, in the caller's words.

A message about a setting names it as its reader set it: `cbow.train(..., TrainConfig(...))`
reads "alpha_in must be > 0", `cbow train` reads "--alpha-in must be > 0". Messages call
`setting("alpha_in")` (or `setting_value("sample", "1e-4")`), which look the name up in
SETTING_FLAGS, the one table of TrainConfig fields (and `train()` arguments) and their flags,
when the CLI runs the command inside `flag_names()`, and give the field otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

# TrainConfig's fields and cbow.train's arguments -> cbow train's flags (tests/test_wording.py
# checks that every field is here and every flag exists)
SETTING_FLAGS = {
    "size": "--size", "window": "--window", "shrink_windows": "--no-shrink-windows", "objective": "--hs / --softmax",
    "negative": "--negative", "ns_exponent": "--ns-exponent", "sample": "--sample", "min_count": "--min-count",
    "max_vocab": "--max-vocab", "keep_words": "--keep-words", "epochs": "--epochs", "alpha": "--alpha",
    "alpha_in": "--alpha-in", "min_alpha": "--min-alpha", "cbow_update": "--cbow-update",
    "batch_size": "--batch-size", "repeat_guard": "--repeat-guard", "repeat_guard_out": "--repeat-guard-out",
    "context_power": "--context-power", "seed": "--seed", "freeze_init": "--freeze-init", "clip_grad": "--clip-grad",
    "tokenizer": "--tokenizer", "phrases": "--phrases", "max_sentence_length": "--max-sentence-length",
    "encoding_errors": "--encoding-errors", "holdout": "--holdout", "holdout_every": "--holdout-every",
    "out_vector_weight": "--out-vector-weight", "workers": "--workers",
    "cluster": "--cluster", "sync_every": "--sync-every",
}
# settings whose values have flags of their own
CHOICE_FLAGS = {("objective", "hs"): "--hs", ("objective", "softmax"): "--softmax"}
_FLAG_NAMES: ContextVar[bool] = ContextVar("cbow_flag_names", default=False)


@contextlib.contextmanager
def flag_names() -> Iterator[None]:
    """Within this block (the CLI's commands) messages name settings by their flags."""
    token = _FLAG_NAMES.set(True)
    try:
        yield
    finally:
        _FLAG_NAMES.reset(token)


def setting(field: str) -> str:
    """The name a message gives the setting `field`: the field (`alpha_in`), or within
    `flag_names()` its flag (`--alpha-in`)."""
    return SETTING_FLAGS.get(field, field) if _FLAG_NAMES.get() else field


def setting_value(field: str, value: str) -> str:
    """The setting `field` set to `value` as the reader writes it: `sample=1e-4` or `--sample 1e-4`."""
    return f"{setting(field)} {value}" if _FLAG_NAMES.get() else f"{field}={value}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with thousands separators and `noun` in agreement with it.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The singular form ("time", "word").
    plural : str, optional
        The plural form when it is not `noun` + "s" ("entries").

    Returns
    -------
    str
        ``"1 time"``, ``"0 times"``, ``"12,000 words"``.
    """
    n = int(n)
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def setting_choice(field: str, value: str) -> str:
    """A setting with a flag for each value: `objective='hs'`, or within `flag_names()` `--hs`."""
    if _FLAG_NAMES.get() and (field, value) in CHOICE_FLAGS:
        return CHOICE_FLAGS[field, value]
    return f"{field}={value!r}"
