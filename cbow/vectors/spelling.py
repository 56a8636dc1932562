"""Words as people type them -> the vocabulary's spelling ('King' -> 'king' after a lowercasing tokenizer).

Vectors trained with the default tokenizer hold only lowercase words, so a typed 'King' or
'Paris,' is missing although 'king' and 'paris' are there. The Python API stays strict, as
gensim is (`kv['King']` raises, suggesting 'king'); a caller who wants the fallback asks for
it with `KeyedVectors.resolve_key` or `resolve_word`, and the commands people type into
(similar, analogy, query) look words up through a `WordResolver`, which also remembers each
substitution so the command can say it once ("using 'king' for 'King'").

The forms tried when a word is missing, in order: its lowercase; the token the training
tokenizer makes of it (the vectors' stored config names the tokenizer; files without one,
such as word2vec .bin, are assumed to come from the default tokenizer), when that is a
single token; its casefolded form.
"""

from __future__ import annotations

from typing import Protocol

from cbow.data.tokenize import TOKENIZERS


class _Vocabulary(Protocol):
    key_to_index: dict[str, int]
    config: dict


def fallback_forms(word: str, tokenizer: str | None = None) -> list[str]:
    """Other spellings that may stand for `word` in vectors made with `tokenizer`, best first.

    Parameters
    ----------
    word : str
        The word as typed.
    tokenizer : str, optional
        The name of the tokenizer the vectors were trained with; None or an unknown name
        means the default one.

    Returns
    -------
    list of str
        Distinct forms different from `word`; may be empty.
    """
    tokenize = TOKENIZERS.get(tokenizer or "default", TOKENIZERS["default"])
    tokens = tokenize(word)
    candidates = [word.lower()] + (tokens if len(tokens) == 1 else []) + [word.casefold()]
    forms: list[str] = []
    for form in candidates:
        if form and form != word and form not in forms:
            forms.append(form)
    return forms


def resolve_word(kv: _Vocabulary, word: str) -> str | None:
    """The key that stands for `word` in `kv`: itself when present, else its first fallback form present.

    Returns None when neither the word nor any of its `fallback_forms` is in the vocabulary.
    """
    if word in kv.key_to_index:
        return word
    tokenizer = kv.config.get("tokenizer")
    for form in fallback_forms(word, tokenizer if isinstance(tokenizer, str) else None):
        if form in kv.key_to_index:
            return form
    return None


class WordResolver:
    """Look up typed words with the fallback, noting each substitution once.

    Calling it returns the key to use: the fallback form when the word itself is missing,
    else the word unchanged (a missing word then fails in the strict lookup that follows,
    with its usual message and suggestions). `take_notices` returns the substitutions not
    yet reported, as "using 'king' for 'King'".
    """

    def __init__(self, kv: _Vocabulary) -> None:
        self.kv = kv
        self._noted: set[str] = set()
        self._notices: list[str] = []

    def __call__(self, word: str) -> str:
        key = resolve_word(self.kv, word)
        if key is None:
            return word
        if key != word and word not in self._noted:
            self._noted.add(word)
            self._notices.append(f"using {key!r} for {word!r}")
        return key

    def knows(self, word: str) -> bool:
        """True when `word`, or a fallback form of it, is in the vocabulary."""
        return resolve_word(self.kv, word) is not None

    def take_notices(self) -> list[str]:
        """The substitutions made since the last call, each word reported once per resolver."""
        notices, self._notices = self._notices, []
        return notices
