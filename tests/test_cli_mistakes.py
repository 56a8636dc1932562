"""Mistakes get help: a mistyped flag or choice gets the closest name, gensim's spellings
work, `cbow --version`, and every error line names its command."""

import pytest

from cbow import __version__
from cbow.cli import main
from cbow.cli.args import normalize_flag_spelling


def error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_mistyped_flag_gets_the_closest_one(capsys):
    assert main(["train", "corpus.txt", "--epoch", "3"]) == 2
    line = error_line(capsys)
    assert line.startswith("cbow train: error: unrecognized") and "did you mean --epochs?" in line


def test_a_mistyped_flag_of_another_command_is_named_with_that_command(capsys):
    assert main(["similar", "v.bin", "king", "--topm", "3"]) == 2
    line = error_line(capsys)
    assert line.startswith("cbow similar: error:") and "did you mean --topn?" in line


@pytest.mark.parametrize("argv, suggestion", [
    (["trian"], "did you mean 'train'?"),
    (["train", "c.txt", "--tokenizer", "whitspace"], "did you mean 'whitespace'?"),
])
def test_a_mistyped_choice_gets_the_closest_one(capsys, argv, suggestion):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert suggestion in error_line(capsys)


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"cbow {__version__}"


def test_gensim_spellings_are_our_flags():
    assert normalize_flag_spelling(["train", "c_1.txt", "--min_count", "3", "--vector_size=50", "--", "--x_y"]) == [
        "train", "c_1.txt", "--min-count", "3", "--vector-size=50", "--", "--x_y"]
    from cbow.cli import build_parser
    from cbow.cli.train_flags import _train_config

    parser = build_parser()
    args = parser.parse_args(normalize_flag_spelling(
        ["train", "c.txt", "--vector_size", "50", "--min_count", "2", "--max_final_vocab", "900", "--iter", "2"]))
    config = _train_config(args)
    assert (config.size, config.min_count, config.max_vocab, config.epochs) == (50, 2, 900, 2)


@pytest.mark.parametrize("flag", ["--topn", "--top"])
def test_topn_is_the_name_everywhere_and_top_its_alias(flag):
    from cbow.cli import build_parser

    parser = build_parser()
    for argv in (["similar", "v.bin", "king", flag, "3"], ["analogy", "v.bin", "a", "b", "c", flag, "3"],
                 ["query", "v.bin", flag, "3"]):
        assert parser.parse_args(argv).topn == 3
    assert parser.parse_args(["plot", "v.bin", "-o", "x.png", flag, "3"]).top == 3


def test_only_the_objectives_exclude_each_other():
    """--hs and --softmax exclude each other; --negative sits beside them (--hs --negative 0
    is a valid way to say 'no negative sampling')."""
    from cbow.cli import build_parser
    from cbow.cli.train_flags import _train_config

    parser = build_parser()
    config = _train_config(parser.parse_args(["train", "c.txt", "--hs", "--negative", "0"]))
    assert config.objective == "hs" and config.negative == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "c.txt", "--hs", "--softmax"])
