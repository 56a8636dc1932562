"""A generated English-like corpus with planted structure: the built-in demo and test corpus.

No third-party text: every sentence is made here from templates, with a fixed seed.

Four relations are planted, each as pairs (a, b) that share a *topic* (words only that
pair uses) and differ by a *role* (marker words shared by every pair of the relation):

    capital      paris : france      role words: city, mayor, streets  vs  country, nation, borders
    gender       king : queen        he, his, him                      vs  she, her, hers
    plural       cat : cats          one, single, is                   vs  many, several, are
    past tense   walk : walked       today, now, usually               vs  yesterday, ago, earlier

So a trained vector is roughly role + topic, and b1 - a1 + a2 lands on b2: the planted
analogies (paris : france :: berlin : germany) are solvable, and each word's nearest
neighbours include its partner and the other members of its group. A Zipfian filler
vocabulary of pseudo-words (made from syllables) is sprinkled over every sentence as
noise, giving the corpus a realistic frequency spectrum.

`demo_lines()` is the corpus `cbow train` uses when no corpus is given;
`write_corpus()` writes one to a file; `analogy_questions()` yields the planted
questions in the questions-words format.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

CAPITALS = [
    ("paris", "france"), ("berlin", "germany"), ("rome", "italy"), ("madrid", "spain"),
    ("tokyo", "japan"), ("beijing", "china"), ("moscow", "russia"), ("cairo", "egypt"),
    ("athens", "greece"), ("warsaw", "poland"), ("ottawa", "canada"), ("lima", "peru"),
    ("oslo", "norway"), ("dublin", "ireland"), ("lisbon", "portugal"), ("vienna", "austria"),
]
GENDER = [
    ("king", "queen"), ("man", "woman"), ("boy", "girl"), ("prince", "princess"),
    ("father", "mother"), ("brother", "sister"), ("uncle", "aunt"), ("husband", "wife"),
    ("son", "daughter"), ("actor", "actress"), ("nephew", "niece"), ("lord", "lady"),
]
PLURAL = [
    ("cat", "cats"), ("dog", "dogs"), ("horse", "horses"), ("bird", "birds"),
    ("car", "cars"), ("house", "houses"), ("tree", "trees"), ("apple", "apples"),
    ("boat", "boats"), ("river", "rivers"), ("bottle", "bottles"), ("window", "windows"),
]
PAST_TENSE = [
    ("walk", "walked"), ("jump", "jumped"), ("play", "played"), ("talk", "talked"),
    ("cook", "cooked"), ("paint", "painted"), ("climb", "climbed"), ("dance", "danced"),
    ("laugh", "laughed"), ("open", "opened"), ("clean", "cleaned"), ("visit", "visited"),
]

# relation name -> (pairs, role words of the first member, role words of the second)
RELATIONS: dict[str, tuple[list[tuple[str, str]], list[str], list[str]]] = {
    "capital": (CAPITALS, ["city", "mayor", "streets", "downtown"], ["country", "nation", "borders", "government"]),
    "gender": (GENDER, ["he", "his", "him", "himself"], ["she", "her", "hers", "herself"]),
    "plural": (PLURAL, ["one", "single", "is", "was"], ["many", "several", "are", "were"]),
    "past-tense": (PAST_TENSE, ["today", "now", "usually", "tomorrow"], ["yesterday", "ago", "earlier", "last"]),
}

FUNCTION_WORDS = ["the", "a", "of", "and", "to", "in", "that", "with"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fu", "ga", "po", "se", "xu", "ya"]


def pseudo_words(n: int, rng: np.random.Generator, length: int = 3, taken: set[str] | None = None) -> list[str]:
    """n distinct made-up words of `length` syllables (not colliding with `taken`)."""
    taken = set(taken or ())
    words: list[str] = []
    while len(words) < n:
        word = "".join(rng.choice(SYLLABLES, size=length))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def all_planted_words() -> set[str]:
    """Every word of every planted pair and role."""
    words: set[str] = set(FUNCTION_WORDS)
    for pairs, first_roles, second_roles in RELATIONS.values():
        words.update(first_roles, second_roles)
        for first, second in pairs:
            words.update((first, second))
    return words


def generate_lines(n_sentences: int = 40_000, seed: int = 0, n_filler: int = 500,
                   topic_words_per_pair: int = 4) -> Iterator[str]:
    """Yield `n_sentences` lines of planted text (about 11 tokens each).

    Parameters
    ----------
    n_sentences : number of lines
    seed : the corpus is a pure function of (n_sentences, seed, n_filler, topic_words_per_pair)
    n_filler : size of the Zipfian filler vocabulary
    topic_words_per_pair : topic words only one pair uses
    """
    rng = np.random.default_rng(seed)
    taken = all_planted_words()
    filler = pseudo_words(n_filler, rng, length=3, taken=taken)
    taken.update(filler)
    zipf = 1.0 / np.arange(1, n_filler + 1)
    zipf /= zipf.sum()

    relation_items = []  # (pair word, partner's role index, role words, topic words)
    for pairs, first_roles, second_roles in RELATIONS.values():
        for first, second in pairs:
            topic = pseudo_words(topic_words_per_pair, rng, length=2, taken=taken)
            taken.update(topic)
            relation_items.append((first, first_roles, topic))
            relation_items.append((second, second_roles, topic))

    n_items = len(relation_items)
    item_choice = rng.integers(0, n_items, size=n_sentences)
    role_draw = rng.integers(0, 4, size=(n_sentences, 3))
    topic_draw = rng.integers(0, topic_words_per_pair, size=(n_sentences, 2))
    function_draw = rng.integers(0, len(FUNCTION_WORDS), size=(n_sentences, 2))
    n_fillers = rng.integers(1, 5, size=n_sentences)
    filler_draws = rng.choice(n_filler, size=(n_sentences, 4), p=zipf)
    filler_slots = rng.random((n_sentences, 4))
    for index in range(n_sentences):
        word, roles, topic = relation_items[item_choice[index]]
        role, top, func = role_draw[index], topic_draw[index], function_draw[index]
        tokens = [
            FUNCTION_WORDS[func[0]], roles[role[0]], topic[top[0]], word,
            roles[role[1]], topic[top[1]], FUNCTION_WORDS[func[1]], roles[role[2]],
        ]
        for slot in range(n_fillers[index]):
            position = int(filler_slots[index, slot] * (len(tokens) + 1))
            tokens.insert(position, filler[filler_draws[index, slot]])
        yield " ".join(tokens)


def demo_lines(seed: int = 0) -> list[str]:
    """The built-in demo corpus (about 600k tokens): what `cbow train` uses by default."""
    return list(generate_lines(n_sentences=50_000, seed=seed))


def write_corpus(path: str | Path, n_sentences: int = 40_000, seed: int = 0) -> Path:
    """Write a planted corpus, one sentence per line, UTF-8."""
    path = Path(path)
    path.write_text("\n".join(generate_lines(n_sentences, seed)) + "\n", encoding="utf-8")
    return path


def analogy_questions() -> Iterator[tuple[str, tuple[str, str, str, str]]]:
    """(section, (a, b, c, d)) for every ordered pair of distinct pairs of each relation."""
    for name, (pairs, _, _) in RELATIONS.items():
        for first_a, second_a in pairs:
            for first_c, second_c in pairs:
                if first_a != first_c:
                    yield name, (first_a, second_a, first_c, second_c)


def write_analogies(path: str | Path) -> Path:
    """Write the planted analogies in the questions-words format (`: section` headers)."""
    lines: list[str] = []
    current = None
    for section, question in analogy_questions():
        if section != current:
            lines.append(f": {section}")
            current = section
        lines.append(" ".join(question))
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
