"""A whole trained model: what it predicts, and the .cbow directory that keeps all of it.

A `Model` is the vocabulary with its counts, both weight matrices and the settings: enough
to continue training (`cbow.train(corpus, config, init=model)`, `--init-from`) and to ask
CBOW's own question, which word fits a context. `TrainResult` (what `cbow.train` returns)
is one; `load_model` reads one back from a .cbow directory written by `Model.save`.

    model.predict_output_word(["the", "cat", "on", "the"], topn=10)   # [(word, p), ...]
    model.score(sentences)                                           # log p of each sentence

Both are exact, under every objective (gensim predicts under negative sampling only and
scores under hierarchical softmax only); the formulas, and what the softmax over W_out h
means for negative sampling, are in cbow.model.likelihood:

    p(w | context) = softmax(W_out h)_w                          NS, full softmax
                   = prod_l sigmoid((1 - 2 b_{w,l}) v_{n_{w,l}} . h)   HS
    log p(sentence) = sum over its words with a context (full window) of log p(t | h)

The .cbow layout (cbow.vectors.cbowformat) adds W_out.npy beside vectors.npy (and W_in.npy
when the saved vectors are not W_in), and vocab.json's "model" entry. The Huffman tree is
not stored: it is rebuilt from the counts (the construction is deterministic,
cbow.data.huffman), and its sha256 is stored to check that the rebuilt tree is the one
W_out's rows belong to.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from cbow.data.corpus import iter_token_chunks, peek_sentences
from cbow.data.encode import EncodedCorpus
from cbow.data.huffman import HuffmanTree
from cbow.data.vocab import Vocab
from cbow.errors import CbowError, ConfigError, FormatError, VocabError
from cbow.model.hidden import word_vectors
from cbow.model.likelihood import output_log_probs, sentence_log_probs
from cbow.training.config import TrainConfig
from cbow.vectors import cbowformat
from cbow.vectors.keyed import KeyedVectors, UnknownWordError
from cbow.wording import counted

logger = logging.getLogger(__name__)

W_OUT_FILE = "W_out.npy"
W_IN_FILE = "W_in.npy"  # only when vectors.npy is not W_in (out_vector_weight > 0)
SCORE_CHUNK = 10_000  # sentences scored at a time: bounds the memory of `score`


def huffman_digest(tree: HuffmanTree) -> str:
    """sha256 of a Huffman tree's codes, points and lengths (little-endian, fixed widths)."""
    digest = hashlib.sha256()
    for array, dtype in ((tree.codes, "<i1"), (tree.points, "<i4"), (tree.lengths, "<i4")):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.hexdigest()


@dataclass
class SentenceScores:
    """What `Model.sentence_scores` gives for each sentence.

    Attributes
    ----------
    log_probs : (S,) float64, log p of each sentence (natural log; 0 when no word of it was
        predicted)
    n_predicted : (S,) int64, the words of each sentence predicted (those with a context
        word in the vocabulary within the window)
    """

    log_probs: np.ndarray
    n_predicted: np.ndarray

    @property
    def nats(self) -> float:
        """Mean -log p per predicted word over all the sentences (nan when none was)."""
        total = int(self.n_predicted.sum())
        return float(-self.log_probs.sum() / total) if total else float("nan")


@dataclass
class Model:
    """A trained CBOW model: vocabulary (with counts), W_in, W_out and the settings.

    Attributes
    ----------
    vocab : the words, most frequent first, and their counts
    W_in : (V, d) float32 input vectors
    W_out : (V, d) output vectors (NS, full softmax), or (V-1, d) Huffman inner nodes (HS)
    config : the settings it was trained with
    frozen_rows : (V,) bool, W_in rows a run continuing this model leaves alone (gensim's
        vectors_lockf 0, set by cbow.Word2Vec), or None; not saved
    """

    vocab: Vocab
    W_in: np.ndarray
    W_out: np.ndarray
    config: TrainConfig
    frozen_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def wv(self) -> KeyedVectors:
        """The word vectors as KeyedVectors (gensim's `model.wv`): W_in, or W_in +
        out_vector_weight * W_out when the config sets that weight."""
        vectors = word_vectors(self.W_in, self.W_out, self.config.out_vector_weight)
        return KeyedVectors(list(self.vocab.words), vectors, counts=self.vocab.counts)

    @cached_property
    def huffman(self) -> HuffmanTree | None:
        """The Huffman tree of hierarchical softmax (rebuilt from the counts), None otherwise."""
        return self.vocab.huffman() if self.config.objective == "hs" else None

    # -- CBOW's own output ------------------------------------------------------------
    def predict_output_word(self, context_words: str | Sequence[str], topn: int | None = 10
                            ) -> list[tuple[str, float]]:
        """The words most likely at the centre of a context, with their probabilities.

        Parameters
        ----------
        context_words : the context, a bag of words (order does not matter to CBOW): a list
            of words, or a str split by the model's tokenizer. Words not in the vocabulary
            are left out with a warning; a word given twice counts twice in the mean
        topn : the number of words returned; None returns all V

        Returns
        -------
        [(word, probability), ...], most probable first (ties: the more frequent word);
        over all V words the probabilities sum to 1 (cbow.model.likelihood:
        softmax(W_out h) for NS and the full softmax, the Huffman leaf probabilities for HS)

        Raises
        ------
        UnknownWordError : no context word is in the vocabulary (a KeyError, as gensim's
            lookups; gensim's predict_output_word returns None instead)
        ConfigError : no context word given, or topn < 1
        """
        if topn is not None and topn < 1:
            raise ConfigError(f"topn must be >= 1 (or None for every word), got {topn}")
        context_ids = self._context_ids(context_words)
        h = np.asarray(self.W_in[context_ids], dtype=np.float64).mean(axis=0)[None, :]
        probs = np.exp(output_log_probs(h, self.W_out, self.config.objective, self.huffman)[0])
        n = len(probs) if topn is None else min(int(topn), len(probs))
        top = np.argpartition(-probs, n - 1)[:n] if n < len(probs) else np.arange(len(probs))
        top = top[np.lexsort((top, -probs[top]))]  # by probability, ties by id (frequency)
        words = self.vocab.words
        return [(words[i], float(probs[i])) for i in top.tolist()]

    def score(self, sentences: Iterable[str] | Iterable[Sequence[str]]) -> np.ndarray:
        """log p of each sentence under the model (natural log; gensim's `score`).

        Parameters
        ----------
        sentences : lines (str, split by the model's tokenizer) or token lists (taken as
            they are); a one-shot generator will do. Each is scored whole: every word with
            a context word within the full window (words out of the vocabulary dropped
            first, as training drops them) is predicted from that context

        Returns
        -------
        (S,) float64: sum_i log p(t_i | h_i) of each sentence (cbow.model.likelihood); 0 for
        a sentence with no word predicted. Over the same sentences the sum equals minus
        the held-out loss (nats per word) times the words predicted.
        """
        return self.sentence_scores(sentences).log_probs

    def sentence_scores(self, sentences: Iterable[str] | Iterable[Sequence[str]]) -> SentenceScores:
        """`score`, with the number of words predicted in each sentence (`SentenceScores`)."""
        log_probs, n_predicted = [], []
        for chunk in self._sentence_chunks(sentences):
            corpus = self._encode(chunk)
            scored, counts = sentence_log_probs(self.W_in, self.W_out, self.config.objective, corpus,
                                                self.config.window, self.huffman)
            log_probs.append(scored)
            n_predicted.append(counts)
        return SentenceScores(np.concatenate([np.zeros(0), *log_probs]),
                              np.concatenate([np.zeros(0, dtype=np.int64), *n_predicted]))

    # -- files --------------------------------------------------------------------------
    def save(self, path: str | Path, check_name: bool = True) -> None:
        """Write the whole model as a .cbow directory (module docstring), atomically; with
        `check_name` False under any name (cbow.Word2Vec.save takes gensim's "word2vec.model").

        The directory is also a vectors file: `KeyedVectors.load` (and any cbow) reads its
        vectors.npy; `load_model` reads the whole model back.

        Raises
        ------
        FormatError : the name is not NAME.cbow, or the weights hold NaN/inf
        OutputError : the directory cannot be written
        """
        if check_name and Path(path).suffix.lower() != ".cbow":
            raise FormatError(f"{path}: a whole model is saved as a .cbow directory; name it NAME.cbow")
        vectors = word_vectors(self.W_in, self.W_out, self.config.out_vector_weight)
        matrices = {W_OUT_FILE: self.W_out}
        if vectors is not self.W_in:
            matrices[W_IN_FILE] = self.W_in
        model = {"W_in": W_IN_FILE if vectors is not self.W_in else cbowformat.MATRIX_FILE, "W_out": W_OUT_FILE,
                 "objective": self.config.objective}
        if self.huffman is not None:
            model["huffman_sha256"] = huffman_digest(self.huffman)
        cbowformat.save(path, self.vocab.words, vectors, counts=self.vocab.counts, config=self.config.to_dict(),
                        matrices=matrices, model=model)

    # -- helpers ------------------------------------------------------------------------
    def _tokenize(self, text: str) -> list[str]:
        """`text` split as the model's training text was (its tokenizer and phrase table;
        without the table when it cannot be read any more)."""
        from cbow.data.prepare import corpus_tokenizer
        from cbow.data.tokenize import get_tokenizer

        try:
            tokenize = get_tokenizer(corpus_tokenizer(self.config))
        except CbowError as error:  # e.g. the phrase table was moved since training
            logger.warning("%s; splitting the text without the phrase table", error)
            tokenize = get_tokenizer(self.config.tokenizer)
        return tokenize(text)

    def _context_ids(self, context_words: str | Sequence[str]) -> list[int]:
        words = self._tokenize(context_words) if isinstance(context_words, str) else list(context_words)
        index = self.vocab.key_to_index
        known = [index[word] for word in words if word in index]
        unknown = [word for word in words if word not in index]
        if not words:
            raise ConfigError("no context words given; give the words around the one to predict")
        if not known:
            raise UnknownWordError("no context word is in the vocabulary: " + self.wv._unknown_message(unknown[0]))
        if unknown:
            logger.warning("left out %s not in the vocabulary: %s", counted(len(unknown), "context word"),
                           ", ".join(repr(word) for word in unknown[:5]) + (", ..." if len(unknown) > 5 else ""))
        return known

    def _sentence_chunks(self, sentences) -> Iterable[list[list[str]]]:
        """The sentences as token lists, SCORE_CHUNK at a time."""
        is_tokens, sentences = peek_sentences(sentences)
        if is_tokens:
            yield from (list(map(list, chunk)) for chunk in iter_token_chunks(sentences))
            return
        chunk: list[list[str]] = []
        for line in sentences:
            if not isinstance(line, str):
                raise ConfigError(f"score takes lines (str) or token lists, got {type(line).__name__}")
            chunk.append(self._tokenize(line))
            if len(chunk) == SCORE_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _encode(self, sentences: list[list[str]]) -> EncodedCorpus:
        """Sentences as word ids, words out of the vocabulary dropped; empty sentences kept
        (with repeated offsets), so the scores line up with the sentences given."""
        index = self.vocab.key_to_index
        ids = [[index[word] for word in sentence if word in index] for sentence in sentences]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        word_ids = np.fromiter((i for sentence in ids for i in sentence), dtype=np.int32, count=int(offsets[-1]))
        return EncodedCorpus(word_ids, offsets, int(sum(map(len, sentences))))


def _config_from(saved: dict, path: Path) -> TrainConfig:
    """The TrainConfig stored with a model; settings this cbow does not know are ignored
    (a newer cbow's), missing ones take their defaults (an older cbow's)."""
    known = {item.name for item in fields(TrainConfig)}
    unknown = sorted(set(saved) - known)
    if unknown:
        logger.info("%s: ignoring settings this cbow does not know: %s", path, ", ".join(unknown))
    try:
        return TrainConfig(**{key: value for key, value in saved.items() if key in known})
    except (ConfigError, TypeError) as error:
        raise FormatError(f"{path / cbowformat.VOCAB_FILE}: its \"config\" is not valid ({error}); "
                          "the file is corrupt or not ours") from None


def is_model_dir(path: str | Path) -> bool:
    """True when `path` is a .cbow directory holding a whole model (not vectors alone)."""
    if not cbowformat.is_cbow_dir(path):
        return False
    try:
        return isinstance(cbowformat.load_meta(path).get("model"), dict)
    except FormatError:
        return False


def load_model(path: str | Path, mmap: str | None = None) -> Model:
    """Read a whole model saved by `Model.save` (`cbow train -o NAME.cbow`, `--save-model`).

    Parameters
    ----------
    path : the .cbow directory
    mmap : 'r' memory-maps W_in and W_out read-only (checked for NaN/inf all the same)

    Raises
    ------
    FormatError : not a cbow directory, vectors only (no W_out: `KeyedVectors.load` reads
        those), files that disagree, or a Huffman tree that the counts no longer rebuild
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such model; check the path (a whole model is a NAME.cbow directory)")
    if not path.is_dir():
        raise FormatError(f"{path}: a vectors file, not a whole model; a model is a .cbow directory saved with "
                          "its W_out: cbow train -o NAME.cbow, or --save-model NAME.cbow")
    meta = cbowformat.load_meta(path)
    words, counts, saved = cbowformat.check_meta(path, meta)
    model = meta.get("model")
    if not isinstance(model, dict):
        raise FormatError(f"{path}: holds word vectors only, not a whole model (no W_out); save models with "
                          "cbow train -o NAME.cbow or --save-model (cbow.load reads these vectors)")
    if counts is None:
        raise FormatError(f"{path}: a model needs its word counts, and {cbowformat.VOCAB_FILE} has none; "
                          "the file is corrupt")
    config = _config_from(saved, path)
    if model.get("objective") != config.objective or not all(isinstance(model.get(k), str) for k in ("W_in", "W_out")):
        raise FormatError(f"{path / cbowformat.VOCAB_FILE}: its \"model\" entry disagrees with its config; "
                          "the file is corrupt or not ours")
    try:
        vocab = Vocab(words, counts)
    except VocabError as error:  # a count of 0
        raise FormatError(f"{path / cbowformat.VOCAB_FILE}: {error}; the file is corrupt or not ours") from None
    dim = meta["dim"]
    if config.size != dim:
        raise FormatError(f"{path / cbowformat.VOCAB_FILE}: its config has size {config.size}, its matrices {dim} "
                          "columns; the file is corrupt or not ours")
    W_in = cbowformat.load_matrix(path, model["W_in"], len(words), dim, mmap, row_names=words)
    n_out = len(words) - 1 if config.objective == "hs" else len(words)
    W_out = cbowformat.load_matrix(path, model["W_out"], n_out, dim, mmap)
    result = Model(vocab, W_in, W_out, config)
    if config.objective == "hs" and model.get("huffman_sha256") != huffman_digest(result.huffman):
        raise FormatError(f"{path}: the Huffman tree rebuilt from the counts is not the one W_out was trained "
                          "with (a different cbow?); load it with the cbow that saved it")
    return result
