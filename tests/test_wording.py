"""cbow.wording: counts agree with their noun."""

from cbow.wording import counted


def test_counted_agrees_in_number():
    assert counted(1, "time") == "1 time"
    assert counted(0, "time") == "0 times"
    assert counted(12000, "word") == "12,000 words"
    assert counted(1, "entry", "entries") == "1 entry" and counted(2, "entry", "entries") == "2 entries"
