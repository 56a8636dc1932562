"""cbow.wording: counts agree with their noun."""

from cbow.wording import counted


def test_counted_agrees_in_number():
    assert counted(1, "time") == "1 time"
    assert counted(0, "time") == "0 times"
    assert counted(12000, "word") == "12,000 words"
    assert counted(1, "entry", "entries") == "1 entry" and counted(2, "entry", "entries") == "2 entries"


# --- settings in the caller's words -------------------------------------------------------

import dataclasses  # noqa: E402

import pytest  # noqa: E402

from cbow.errors import ConfigError  # noqa: E402
from cbow.training.config import TrainConfig  # noqa: E402
from cbow.wording import SETTING_FLAGS, flag_names, setting, setting_value  # noqa: E402

# one bad value for every check of TrainConfig: the field its message must name
BAD_SETTINGS = [
    ({"size": 0}, "size"), ({"window": 0}, "window"), ({"negative": 0}, "negative"),
    ({"objective": "hs", "negative": -1}, "negative"), ({"ns_exponent": float("inf")}, "ns_exponent"),
    ({"sample": -1.0}, "sample"), ({"min_count": 0}, "min_count"), ({"max_vocab": 0}, "max_vocab"),
    ({"epochs": 0}, "epochs"), ({"alpha": 0.0}, "alpha"), ({"alpha_in": 0.0}, "alpha_in"),
    ({"min_alpha": 1.0}, "min_alpha"), ({"cbow_update": "sum"}, "cbow_update"), ({"batch_size": 0}, "batch_size"),
    ({"repeat_guard": -1.0}, "repeat_guard"), ({"repeat_guard_out": -1.0}, "repeat_guard_out"),
    ({"context_power": 2.0}, "context_power"), ({"clip_grad": 0.0}, "clip_grad"),
    ({"max_sentence_length": 0}, "max_sentence_length"), ({"encoding_errors": "ignore"}, "encoding_errors"),
    ({"out_vector_weight": -1.0}, "out_vector_weight"),
    ({"objective": "hs", "negative": 0, "out_vector_weight": 0.5}, "out_vector_weight"),
    ({"workers": -1}, "workers"), ({"holdout": 0.9}, "holdout"), ({"holdout_every": -1}, "holdout_every"),
    ({"holdout_every": 1000}, "holdout_every"),
]


@pytest.mark.parametrize("settings, field", BAD_SETTINGS)
def test_a_bad_setting_is_named_as_its_caller_set_it(settings, field):
    """cbow.train(..., TrainConfig(...)) names the field; `cbow train` (inside flag_names) the flag."""
    with pytest.raises(ConfigError) as api:
        TrainConfig(**settings)
    assert str(api.value).startswith((field, "negative sampling", "unknown")) and "--" not in str(api.value)
    with flag_names(), pytest.raises(ConfigError) as cli:
        TrainConfig(**settings)
    assert SETTING_FLAGS[field] in str(cli.value)


def test_every_setting_has_its_flag_in_the_table():
    from cbow.cli.train_flags import _train_parser

    flags = {option for action in _train_parser()._actions for option in action.option_strings}
    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    assert fields <= set(SETTING_FLAGS)
    for field, flag in SETTING_FLAGS.items():
        assert field == "objective" or flag in flags, (field, flag)


def test_setting_and_value_in_both_voices():
    assert setting("alpha_in") == "alpha_in" and setting_value("sample", "1e-4") == "sample=1e-4"
    with flag_names():
        assert setting("alpha_in") == "--alpha-in" and setting_value("sample", "1e-4") == "--sample 1e-4"
    assert setting("alpha_in") == "alpha_in"  # the block ends


def test_a_choice_with_its_own_flag():
    from cbow.wording import setting_choice

    assert setting_choice("objective", "hs") == "objective='hs'"
    with flag_names():
        assert setting_choice("objective", "hs") == "--hs"
    with pytest.raises(ConfigError, match="with objective='hs' W_out holds Huffman"):
        TrainConfig(objective="hs", negative=0, out_vector_weight=0.5)


def test_divergence_advice_in_both_voices():
    from cbow.training.schedule import divergence_advice

    config = TrainConfig(sample=0.0)
    assert "--" not in divergence_advice(config) and "lower alpha (now 0.05)" in divergence_advice(config)
    with flag_names():
        advice = divergence_advice(config)
    assert advice.startswith("--sample 0 keeps") and "(--repeat-guard-out 1)" in advice and "lower --alpha" in advice
