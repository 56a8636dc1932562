"""`cbow phrases`: writes the joined corpus and the table, applies a saved table, fails in one line."""

import gzip

import pytest

from cbow.cli import main
from cbow.data.corpus import iter_sentences
from cbow.data.phrase_table import load_phrase_table
from cli_helpers import assert_one_line_error, run_cbow
from test_phrases import PLANTED, planted_trigram_lines


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("phrases") / "corpus.txt"
    lines = planted_trigram_lines(n_sentences=3000, seed=8)
    lines[5:5] = ["", "The New-York Times, 1851."]  # an empty line and text the tokenizer cleans
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_writes_the_joined_corpus_and_the_table(tmp_path, corpus_file, capsys):
    output, table_path = tmp_path / "out.txt.gz", tmp_path / "phrases.tsv"
    assert main(["phrases", str(corpus_file), "-o", str(output), "--passes", "2", "--save-table", str(table_path)]) == 0
    stderr = capsys.readouterr().err
    assert "pass 2:" in stderr and "--tokenizer whitespace" in stderr
    table = load_phrase_table(table_path)
    assert {f"{a} {b}" for a, b in PLANTED} <= set(table.passes[0]) and "new_york times" in table.passes[1]
    source_lines = corpus_file.read_text(encoding="utf-8").splitlines()
    with gzip.open(output, "rt", encoding="utf-8") as handle:
        written = handle.read().splitlines()
    assert len(written) == len(source_lines) and written[5:7] == ["", "the new_york_times"]
    tokens = [token for line in written for token in line.split()]
    assert "new_york_times" in tokens and "los_angeles" in tokens and "of_the" not in tokens
    # The output trains as it should: the whitespace tokenizer keeps the phrases.
    assert any("tel_aviv" in sentence for sentence in iter_sentences(output, "whitespace"))


def test_table_alone_then_applied_with_read_table(tmp_path, corpus_file):
    table_path, once, applied = tmp_path / "t.tsv", tmp_path / "once.txt", tmp_path / "applied.txt"
    assert main(["phrases", str(corpus_file), "--table", str(table_path), "--threshold", "200,100"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["t.tsv"]  # only the table
    assert load_phrase_table(table_path).description.startswith("passes=2 threshold=200,100")
    assert main(["phrases", str(corpus_file), "-o", str(once), "--threshold", "200,100"]) == 0
    assert main(["phrases", str(corpus_file), "--read-table", str(table_path), "-o", str(applied)]) == 0
    assert applied.read_bytes() == once.read_bytes()


def test_replacing_an_output_says_overwrote(tmp_path, corpus_file, capsys):
    table_path, output = tmp_path / "t.tsv", tmp_path / "out.txt"
    command = ["phrases", str(corpus_file), "-o", str(output), "--save-table", str(table_path)]
    assert main(command) == 0
    assert "overwrote" not in capsys.readouterr().err
    assert main(command) == 0
    stderr = capsys.readouterr().err
    assert f"overwrote {table_path}" in stderr and f"overwrote {output}" in stderr


def test_read_table_streams_stdin(tmp_path):
    table_path, output = tmp_path / "t.tsv", tmp_path / "out.txt"
    table_path.write_text("phrase\tcount\tscore\tpass\nnew york\t10\t500\t1\n", encoding="utf-8")
    result = run_cbow("phrases", "-", "--read-table", table_path, "-o", output,
                      stdin="I love New York\n\nnew york new\n")
    assert result.returncode == 0, result.stderr
    assert output.read_text(encoding="utf-8") == "i love new_york\n\nnew_york new\n"


@pytest.mark.parametrize("args, fragments", [
    (["--threshold", "100,50", "--passes", "1"], ["--threshold 100,50: gives 2 values for --passes 1"]),
    (["--threshold", "100,50", "--passes", "3"], ["gives 2 values for --passes 3"]),
    (["--passes", "5"], ["--passes 5: must be 1 to 4"]),
    (["--threshold", "-1"], ["--threshold: must be a number >= 0"]),
    (["--scoring", "npmi"], ["--scoring: invalid choice"]),
])
def test_bad_settings_are_one_line_errors(tmp_path, corpus_file, args, fragments):
    result = run_cbow("phrases", corpus_file, "-o", tmp_path / "out.txt", *args)
    assert_one_line_error(result, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_are_one_line_errors_and_leave_no_output(tmp_path, corpus_file):
    out = tmp_path / "out.txt"
    assert_one_line_error(run_cbow("phrases", corpus_file), "cbow phrases: error: nothing to write")
    assert_one_line_error(run_cbow("phrases", tmp_path / "missing.txt", "-o", out),
                          "cbow phrases: error:", "missing.txt: no such file")
    assert_one_line_error(run_cbow("phrases", "-", "-o", out, stdin="a b\n"),
                          "standard input can be read only once")
    assert_one_line_error(run_cbow("phrases", corpus_file, "-o", tmp_path / "no" / "out.txt"),
                          "directory", "does not exist")
    bad_table = tmp_path / "bad.tsv"
    bad_table.write_text("new york\t10\t500\n", encoding="utf-8")
    assert_one_line_error(run_cbow("phrases", corpus_file, "--read-table", bad_table, "-o", out),
                          "bad.tsv:1: expected 'phrase<TAB>count<TAB>score<TAB>pass'")
    # Broken UTF-8 far into the file: the rewrite fails midway and the output is not left behind.
    table = tmp_path / "t.tsv"
    table.write_text("new york\t10\t500\t1\n", encoding="utf-8")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(corpus_file.read_bytes() + b"caf\xe9 new york\n")
    n_lines = len(corpus_file.read_bytes().splitlines())
    assert_one_line_error(run_cbow("phrases", broken, "--read-table", table, "-o", out),
                          f"broken.txt:{n_lines + 1}:", "UTF-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tsv", "broken.txt", "t.tsv"]


@pytest.mark.parametrize("flag", ["-o", "--save-table"])
def test_an_unwritable_output_is_refused_before_the_corpus_is_counted(tmp_path, corpus_file, flag, monkeypatch,
                                                                      capsys):
    """Found by creating a file there (issue 27, item 14): a read-only directory (this test
    stands for one with a PermissionError, as root writes anywhere) and /proc alike."""
    import cbow.data.phrases
    from cbow import scratch

    def no_counting(*args, **kwargs):
        raise AssertionError("the corpus was counted before the outputs were checked")

    monkeypatch.setattr(cbow.data.phrases, "learn_phrases", no_counting)
    real_mkstemp = scratch.tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if str(dir) == str(tmp_path / "ro"):
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(scratch.tempfile, "mkstemp", read_only)
    (tmp_path / "ro").mkdir()
    assert main(["phrases", str(corpus_file), flag, str(tmp_path / "ro" / "p.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ro/p.txt: cannot create files in" in err and "(Permission denied)" in err
    assert list((tmp_path / "ro").iterdir()) == []
