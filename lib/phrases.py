"""Multi-word terms for BM25: phrases learned at build time ("density functional", "molecular dynamics").

A build learns which adjacent words form phrases with gensim's `Phrases` (normalised pointwise mutual
information), over the same cleaned tokens the BM25 index is built from, and stores the frozen table as
plain JSON in the set (`phrases.json`: no pickle). `PhraseTable.terms` finds the table's phrases in a token
list; `lib.lexical` indexes each document's words *and* its phrase terms, and adds a query's phrase terms
itself, so a query for "molecular dynamics" weighs papers holding the phrase above papers that merely use
both words, while one-word queries score exactly as without phrases.

A phrase is two content words with only stop words between them ("density functional", "degrees of
freedom"), written with single spaces, so it never collides with a word (words never contain spaces).
Phrases are found overlapping: "density functional theory" holds both "density functional" and
"functional theory", so three-word terms are matched by their two bigrams without a second (trigram) pass.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TypeVar

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from lib.setfiles import PHRASES

# The words that may sit inside a phrase but never start or end one: the stop words BM25 skips
# (lib.lexical.BM25_STOP_WORDS is the same set), so "we show" or "in this" never become terms.
CONNECTORS = frozenset(ENGLISH_STOP_WORDS)
DELIMITER = " "
# Joins a phrase's words into one Doc2Vec token ("molecular_dynamics"); cleaned words never hold it.
TOKEN_JOINER = "_"
SCORING = "npmi"
# On 20,000 real abstracts (3.9M tokens), npmi >= 0.4 with at least 5 occurrences keeps 10,410 phrases, among them
# "dark matter" (0.59), "graph neural" (0.59), "density functional" (0.82), "molecular dynamics" (0.69). 0.6 loses
# "dark matter" and "graph neural" (their words are common alone); 0.5 halves the table, dropping terms such as "finite
# difference" and "standing waves" with loose pairs ("significantly fewer"); 0.3 doubles it with mostly loose pairs
# ("degrade performance", "results validate") and numbers ("0 62").
MIN_COUNT = 5
THRESHOLD = 0.4
# Phrases are learned from at most this many documents (every k-th, spread over the corpus) and this many tokens:
# gensim counts every distinct word and pair in a Python dict (about 100 bytes each: 1.67 million entries for 20,000
# abstracts), which grows with the sample, not the set; learning from 50,000 real abstracts peaked 380 MB above its input.
LEARN_DOCS = 200_000
LEARN_TOKENS = 50_000_000
# Distinct words and pairs gensim keeps while counting before it prunes the rarest: about 1 GB (its default, 40 million, ~4 GB).
MAX_VOCAB = 10_000_000
# Longest phrase kept, in tokens (two content words and at most three stop words between them).
MAX_TOKENS = 5

# Bounds of a phrases.json a set may hold: far above what a build writes (27 bytes per phrase, 1.7 MB for 64,676), low enough that a
# hostile file cannot exhaust memory when parsed.
MAX_FILE_BYTES = 256 << 20
MAX_PHRASES = 5_000_000
MAX_PHRASE_CHARS = 200

T = TypeVar("T")


class PhraseFileError(ValueError):
    """phrases.json is not a phrase table this program wrote; the message says what is wrong."""


class PhraseTable:
    """A frozen phrase table: phrase text -> score, with what it was learned with; finds its phrases in token lists."""

    __slots__ = ("scores", "params", "_heads", "_span")

    def __init__(self, scores: Mapping[str, float], params: Mapping[str, object] | None = None) -> None:
        self.scores: dict[str, float] = dict(scores)
        self.params: dict[str, object] = dict(params or {})
        # First words of phrases: most tokens start none, and this check avoids building a candidate string for them.
        self._heads = frozenset(phrase.split(DELIMITER, 1)[0] for phrase in self.scores)
        self._span = max((phrase.count(DELIMITER) + 1 for phrase in self.scores), default=0)

    def __len__(self) -> int:
        return len(self.scores)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhraseTable) and self.scores == other.scores and self.params == other.params

    def terms(self, tokens: Sequence[str]) -> list[str]:
        """Every phrase of the table in these cleaned tokens, in order, overlapping ones included."""
        found: list[str] = []
        heads, scores, span, n = self._heads, self.scores, self._span, len(tokens)
        for i, token in enumerate(tokens):
            if token not in heads:
                continue
            end = i + 1
            while end < n and end - i < span and tokens[end] in CONNECTORS:
                end += 1
            if end >= n or end - i >= span:
                continue
            phrase = token + DELIMITER + tokens[end] if end == i + 1 else DELIMITER.join(tokens[i : end + 1])
            if phrase in scores:
                found.append(phrase)
        return found

    def tokens(self, tokens: Sequence[str]) -> list[str]:
        """The phrases of these tokens as single Doc2Vec tokens ("density_functional"), in order, overlapping ones included.

        Doc2Vec trained on phrase tokens (`Doc2VecParams.phrase_tokens`) learns a vector for "graph_neural" apart from
        "graph" and "neural"; the same tokens are added to a query's and an added paper's words. A cleaned token never
        holds "_" (lib/cleaning.py removes it), so a phrase token never collides with a word.
        """
        return [phrase.replace(DELIMITER, TOKEN_JOINER) for phrase in self.terms(tokens)]

    def with_tokens(self, tokens: Sequence[str]) -> list[str]:
        """The words followed by their phrase tokens: a document as Doc2Vec trained on phrase tokens saw it."""
        return [*tokens, *self.tokens(tokens)]

    def to_json(self) -> dict:
        """The table as phrases.json holds it."""
        return {"delimiter": DELIMITER, "phrases": self.scores, "params": self.params}

    def save(self, folder: Path) -> None:
        """Write phrases.json into a set being staged."""
        (folder / PHRASES).write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8")


def learning_sample(documents: Iterable[T], n_docs: int, max_docs: int = LEARN_DOCS) -> Iterator[T]:
    """Every k-th of n_docs documents (texts or token lists), so that at most max_docs are learned from, spread over the corpus."""
    step = max(1, -(-n_docs // max_docs))
    return islice(documents, 0, None, step)


def _bounded(documents: Iterable[Sequence[str]], max_tokens: int, seen: list[int]) -> Iterator[Sequence[str]]:
    """The documents until max_tokens tokens have been given; seen = [documents, tokens] given so far."""
    for tokens in documents:
        if seen[1] >= max_tokens:
            return
        seen[0] += 1
        seen[1] += len(tokens)
        yield tokens


def learn_phrases(
    documents: Iterable[Sequence[str]],
    min_count: int = MIN_COUNT,
    threshold: float = THRESHOLD,
    max_tokens: int = LEARN_TOKENS,
    max_vocab: int = MAX_VOCAB,
) -> PhraseTable:
    """Learn the phrase table from cleaned token lists (one pass, at most max_tokens tokens) with gensim's Phrases."""
    from gensim.models.phrases import Phrases

    seen = [0, 0]
    model = Phrases(
        _bounded(documents, max_tokens, seen),
        min_count=min_count,
        threshold=threshold,
        max_vocab_size=max_vocab,
        delimiter=DELIMITER,
        scoring=SCORING,
        connector_words=CONNECTORS,
        progress_per=1 << 62,  # gensim's own progress lines would flood the build log
    )
    found = model.export_phrases()
    scores = {phrase: round(float(score), 4) for phrase, score in found.items() if phrase.count(DELIMITER) < MAX_TOKENS}
    params = {
        "scoring": SCORING,
        "min_count": min_count,
        "threshold": threshold,
        "max_tokens": MAX_TOKENS,
        "documents": seen[0],
        "tokens": seen[1],
        "connectors": "scikit-learn English stop words",
    }
    return PhraseTable(dict(sorted(scores.items())), params)


def _check_phrase(phrase: object, score: object) -> None:
    if not isinstance(phrase, str) or not 3 <= len(phrase) <= MAX_PHRASE_CHARS:
        raise PhraseFileError(f"a phrase is not a string of 3 to {MAX_PHRASE_CHARS} characters (damaged)")
    words = phrase.split(DELIMITER)
    if not 2 <= len(words) <= MAX_TOKENS or not all(words) or any(len(word.split()) != 1 for word in words):
        raise PhraseFileError(f"a phrase is not 2 to {MAX_TOKENS} words joined by single spaces (damaged)")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise PhraseFileError("a phrase's score is not a finite number (damaged)")


def load_phrases(path: Path) -> PhraseTable:
    """Read and check a phrases.json; a file that is too large, not JSON or not shaped as written raises PhraseFileError."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PhraseFileError(f"more than the {MAX_FILE_BYTES:,} bytes a phrase table may have (damaged)")
    try:
        table = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise PhraseFileError(f"not readable JSON ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(table, dict):
        raise PhraseFileError("not a JSON object (damaged)")
    if table.get("delimiter") != DELIMITER:
        raise PhraseFileError("its delimiter is not a single space (damaged, or written by another program)")
    phrases, params = table.get("phrases"), table.get("params", {})
    if not isinstance(phrases, dict) or not isinstance(params, dict):
        raise PhraseFileError("'phrases' and 'params' are not JSON objects (damaged)")
    if len(phrases) > MAX_PHRASES:
        raise PhraseFileError(f"{len(phrases):,} phrases, more than the {MAX_PHRASES:,} a table may have (damaged)")
    for phrase, score in phrases.items():
        _check_phrase(phrase, score)
    return PhraseTable({phrase: float(score) for phrase, score in phrases.items()}, params)
