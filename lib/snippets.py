"""What a result row shows of a paper at a glance: the part of its abstract that holds the query's words, where those
words are, and its authors cut short.

A researcher decides from a few lines of abstract whether a paper is worth opening (search engines show such a snippet
under every result), so a snippet is the SNIPPET_CHARS or so of the abstract that hold the most distinct query words,
starting at a sentence where that costs none. Query words are the query's tokens as search reads them
(lib/cleaning.py), less the stop words BM25 ignores (lib/lexical.py); a word of the abstract matches when its own
cleaned form is one of them ("GNNs," matches "gnns"; "state-of-the-art" holds state, of, the and art). Everything here
is plain text and positions: lib/text.py's markdown_marked shows a snippet literally with its query words in bold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lib.cleaning import clean_text, tokenize
from lib.lexical import BM25_STOP_WORDS
from lib.text import fold_line, math_spans

# Two lines of a result row at 1280 pixels, three at most (about 115 characters of 14-pixel text a line in the column).
SNIPPET_CHARS = 240
# A window that starts at a query word rather than a sentence starts this many characters before the word.
LEAD_IN = 50
ELLIPSIS = "…"
# Authors listed by name before "et al.", and the longest name shown whole.
MOST_AUTHORS = 3
AUTHOR_CHARS = 40
# A word as cleaning reads it: a run of letters and digits (lib/cleaning.py turns everything else into spaces).
_WORD = re.compile(r"[^\W_]+")
# A sentence ends at . ! or ? before a space and a capital letter, a digit or math ("e.g. the" does not end one).
_SENTENCE_START = re.compile(r"(?<=[.!?]) (?=[A-Z0-9$\\(\[])")
# The separators of an author list outside parentheses: commas, semicolons and a final "and".
_AUTHOR_SEPARATOR = re.compile(r"\s*(?:[,;]\s*(?:and\s+)?|\s+and\s+)")


@dataclass(frozen=True)
class Snippet:
    """An excerpt of an abstract on one line (`…` where it was cut) and where the query's words are in it."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()
    cut: bool = False


def query_terms(query: str) -> frozenset[str]:
    """The words of a query worth marking: its cleaned tokens, as search reads them, less stop words."""
    return frozenset(token for token in tokenize(query or "") if token not in BM25_STOP_WORDS)


def marked_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the words whose cleaned form is one of the terms are in the text, in order."""
    wanted = frozenset(terms)
    if not wanted:
        return []
    return [(match.start(), match.end()) for match in _WORD.finditer(text) if clean_text(match[0]) in wanted]


def _word_end_before(text: str, limit: int) -> int:
    """The end of the last whole word at or before `limit` (a cut never splits a word or math)."""
    if limit >= len(text):
        return len(text)
    space = text.rfind(" ", 0, limit + 1)
    return space if space > 0 else limit


def _word_start_after(text: str, position: int) -> int:
    """The start of the first word at or after `position`."""
    if position <= 0:
        return 0
    space = text.find(" ", position - 1)
    return len(text) if space < 0 else space + 1


def _outside_math(text: str, math: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The window moved so that it neither starts nor ends inside math (a cut one would show its source): a start
    inside moves past it, an end inside moves before it (or past it, when the math opens the window)."""
    for first, last in math:
        if first < start < last:
            start = _word_start_after(text, last)
    for first, last in math:
        if first < end < last and first >= start:
            trimmed = text.rfind(" ", start, first)
            end = trimmed if trimmed > start else last
    return start, max(start, end)


def _window_score(spans: list[tuple[int, int]], words: list[str], start: int, end: int) -> tuple[int, int, int]:
    """(distinct query words, occurrences, characters before the first) inside [start, end)."""
    inside = [(first, word) for (first, last), word in zip(spans, words, strict=True) if first >= start and last <= end]
    return len({word for _, word in inside}), len(inside), (inside[0][0] - start) if inside else 0


def snippet(abstract: str, terms: Iterable[str] = (), chars: int = SNIPPET_CHARS) -> Snippet:
    """The about `chars` characters of the abstract that hold the most distinct terms (the lead without any), cut at
    whole words, with `…` where text was left out and the positions of the terms' words in the result.

    Windows start at each sentence and a little before each term's word; the best holds the most distinct terms, then
    starts a sentence, then holds the most of them, then reaches its first one soonest (the earliest on a tie).
    """
    text = fold_line(abstract if isinstance(abstract, str) else "")
    if not text:
        return Snippet("")
    math = math_spans(text)
    spans = [span for span in marked_spans(text, terms) if not any(first <= span[0] < last for first, last in math)]
    words = [clean_text(text[first:last]) for first, last in spans]
    sentences = [0, *(match.end() for match in _SENTENCE_START.finditer(text))]
    starts = set(sentences) | {_word_start_after(text, first - LEAD_IN) for first, _ in spans}
    best: tuple[tuple[int, bool, int, int, int], int, int] | None = None
    for start in sorted(starts):
        first, end = _outside_math(text, math, start, _word_end_before(text, start + chars))
        distinct, count, lead = _window_score(spans, words, first, end)
        key = (distinct, first in sentences, count, -lead, -first)
        if best is None or key > best[0]:
            best = (key, first, end)
    _, start, end = best
    head = ELLIPSIS + " " if start > 0 else ""
    tail = " " + ELLIPSIS if end < len(text) else ""
    shift = len(head) - start
    kept = tuple((first + shift, last + shift) for first, last in spans if first >= start and last <= end)
    return Snippet(head + text[start:end] + tail, kept, bool(head or tail))


def _split_authors(authors: str) -> list[str]:
    """The names of an author list: split at commas, semicolons and "and" outside parentheses."""
    names, depth, current = [], 0, []
    text = fold_line(authors)
    position = 0
    while position < len(text):
        char = text[position]
        depth += char in "([{"
        depth -= depth > 0 and char in ")]}"
        separator = _AUTHOR_SEPARATOR.match(text, position) if depth == 0 else None
        if separator and separator.end() > position:
            names.append("".join(current))
            current = []
            position = separator.end()
            continue
        current.append(char)
        position += 1
    names.append("".join(current))
    return [name.strip() for name in names if name.strip()]


def short_authors(authors: str, most: int = MOST_AUTHORS, name_chars: int = AUTHOR_CHARS) -> str:
    """An author list for a result row: every name when there are at most `most`, else the first ones and "et al.";
    each name cut at `name_chars` characters."""
    if not isinstance(authors, str):
        return ""
    names = [name if len(name) <= name_chars else name[: name_chars - 1].rstrip() + ELLIPSIS for name in _split_authors(authors)]
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + " et al."
