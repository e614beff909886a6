"""Untrusted arXiv text made safe for st.markdown: shown literally, except balanced LaTeX math kept for KaTeX.

Every ASCII punctuation character is backslash-escaped (CommonMark allows escaping any of them), which
stops Markdown, HTML, links and Streamlit directives (`:red[x]`) at parse time and hides `:material/x:`
from Streamlit's raw-source icon rewrite. Some features match the *decoded* text afterwards (GFM autolink
literals such as `www.x.org`, `:smile:` and `:streamlit:` shortcodes, `->`/`--` typography), so an
invisible WORD JOINER (U+2060) is also put inside those patterns; it never shows and breaks no line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from lib.arxiv_ids import is_arxiv_id

WORD_JOINER = "\u2060"
MAX_MATH_CHARS = 500

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_DOLLAR = re.compile(r"\\\$|\$\$|\$")
_JOIN_AFTER = re.compile(r"[:@](?=\S)")
_WWW_DOT = re.compile(r"(?<=www)\.", re.IGNORECASE)
_TYPOGRAPHY = re.compile(r"(?<!\S)(?:<->|->|<-|--|>=|<=|~=)(?!\S)")
_UNSAFE_TEX = re.compile(r"\\(?:href|url|includegraphics|html[A-Za-z]*|rule|kern|mkern|hskip|mskip|hspace|raisebox)(?![A-Za-z])")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# A word as cleaning reads it (lib/cleaning.py): a run of alphanumeric characters.
_WORD = re.compile(r"[^\W_]+")
BOLD = "**"


def markdown_literal(text: str, *, inline: bool = False) -> str:
    """Escape text so st.markdown shows it literally (no Markdown, links, HTML or Streamlit directives).

    Whitespace runs become one space; blank lines stay paragraph breaks unless `inline` folds them too.
    """
    return "\n\n".join(_escape(paragraph) for paragraph in _paragraphs(text, inline))


# Remembered per text: a page of results escapes the same titles and abstracts again on every run (measured: 12% of a
# search page run's CPU). About 1 KB a text, so at most some 8 MB.
@functools.lru_cache(maxsize=8192)
def markdown_with_math(text: str, *, inline: bool = False) -> str:
    """Like markdown_literal, but balanced $...$ / $$...$$ math segments are kept for KaTeX; an unbalanced $ is escaped.

    A `\\$` in the source is a literal dollar; math that could break out of its delimiters is shown as text.
    """
    return "\n\n".join(_with_math(paragraph) for paragraph in _paragraphs(text, inline))


def fold_line(text: str) -> str:
    """Text as one line the way markdown_literal(inline=True) reads it: control characters dropped, whitespace runs
    folded to single spaces, ends stripped. Positions in the result are positions in what is shown."""
    return " ".join(_paragraphs(text, inline=True))


def math_spans(text: str) -> list[tuple[int, int]]:
    """Where markdown_with_math(text, inline=True) keeps math for KaTeX: (start, end) of each balanced, safe $...$ or
    $$...$$ in fold_line(text). A cut inside one would show its source (lib/snippets.py cuts around them)."""
    line, spans, position = fold_line(text), [], 0
    while match := _DOLLAR.search(line, position):
        position = match.end()
        if match[0] == "\\$":
            continue
        end = _math_end(line, match.start(), match[0])
        if end is not None:
            spans.append((match.start(), end))
            position = end
    return spans


def markdown_marked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """One line of untrusted text as markdown_with_math(inline=True) shows it, with the words at these spans in bold.

    For query words in a snippet (lib/snippets.py). The spans index `text` as fold_line returns it (any other text is
    folded and shown without marks). Only a span that is exactly one whole word (a run of letters and digits) outside
    math is marked, so the bold markers open and close next to letters and can never pair with the text's own
    characters, which stay escaped as ever.
    """
    line = fold_line(text)
    words = set() if line != text else {(match.start(), match.end()) for match in _WORD.finditer(line)}
    chosen = sorted(span for span in set(spans) if span in words)
    if not line:
        return ""
    return _with_math(line, frozenset(start for start, _ in chosen), frozenset(end for _, end in chosen))


def arxiv_links(paper_id: str) -> dict[str, str] | None:
    """{"abs": https://arxiv.org/abs/<id>, "pdf": https://arxiv.org/pdf/<id>} for real arXiv ids, None otherwise (e.g. `demo-...`).

    Real ids are new style 1234.5678(9) with optional vN, or old style archive(.XX)/1234567 with optional vN.
    """
    if not isinstance(paper_id, str):
        return None
    paper_id = paper_id.strip()
    if not is_arxiv_id(paper_id):
        return None
    return {"abs": f"https://arxiv.org/abs/{paper_id}", "pdf": f"https://arxiv.org/pdf/{paper_id}"}


def year_of(update_date: str) -> str:
    """The YYYY of a date string, or '' ."""
    match = _YEAR.search(update_date) if isinstance(update_date, str) else None
    return match[0] if match else ""


def _paragraphs(text: str, inline: bool) -> list[str]:
    """Non-whitespace control characters dropped, each paragraph's whitespace folded to single spaces, empty ones left out."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    parts = [text] if inline else _PARAGRAPH_BREAK.split(text)
    return [folded for folded in (" ".join(part.split()) for part in parts) if folded]


def _joiner_positions(segment: str) -> set[int]:
    """Where a word joiner goes (before the character at each position) to break patterns matched on decoded text."""
    positions = {match.end() for match in _JOIN_AFTER.finditer(segment)}
    positions |= {match.start() for match in _WWW_DOT.finditer(segment)}
    positions |= {match.start() + 1 for match in _TYPOGRAPHY.finditer(segment)}
    return positions


def _escape(segment: str, opens: frozenset[int] = frozenset(), closes: frozenset[int] = frozenset()) -> str:
    """Backslash-escape ASCII punctuation, with word joiners put into patterns matched on decoded text; bold markers
    open before the characters at `opens` and close after those ending at `closes` (positions in `segment`)."""
    joiners = _joiner_positions(segment)
    out: list[str] = []
    for position, char in enumerate(segment):
        if position in joiners:
            out.append(WORD_JOINER)
        if position in opens:
            out.append(BOLD)
        out.append("\\" + char if char in _PUNCTUATION else char)
        if position + 1 in closes:
            out.append(BOLD)
    if len(segment) in joiners:
        out.append(WORD_JOINER)
    return "".join(out)


def _with_math(paragraph: str, opens: frozenset[int] = frozenset(), closes: frozenset[int] = frozenset()) -> str:
    """One paragraph with its valid math segments kept verbatim and everything else escaped; words marked by
    `opens` and `closes` (positions in the paragraph, see _escape) in bold where they lie outside math."""
    out: list[str] = []
    literal: list[str] = []
    # Where each character of `literal` stands in the paragraph (a source `\\$` is one `$`, at the dollar's place).
    places: list[int] = []
    position = 0

    def flush() -> None:
        text = "".join(literal)
        at = {place: index for index, place in enumerate(places)}
        out.append(_escape(text, frozenset(at[p] for p in opens if p in at), frozenset(at[p - 1] + 1 for p in closes if p - 1 in at)))
        literal.clear()
        places.clear()

    def keep(start: int, end: int) -> None:
        literal.append(paragraph[start:end])
        places.extend(range(start, end))

    while match := _DOLLAR.search(paragraph, position):
        keep(position, match.start())
        position = match.end()
        if match[0] == "\\$":
            literal.append("$")
            places.append(match.start() + 1)
            continue
        end = _math_end(paragraph, match.start(), match[0])
        if end is None:
            keep(match.start(), match.end())
            continue
        flush()
        out.append(paragraph[match.start() : end])
        position = end
    keep(position, len(paragraph))
    flush()
    return "".join(out)


def _math_end(paragraph: str, start: int, delimiter: str) -> int | None:
    """Where the math opened by `delimiter` ($ or $$) at `start` ends, or None when it is not safe, balanced math."""
    display = delimiter == "$$"
    close = paragraph.find(delimiter, start + len(delimiter))
    if close < 0:
        return None
    end = close + len(delimiter)
    content = paragraph[start + len(delimiter) : close]
    if paragraph.startswith("$", end) or (not display and paragraph[end : end + 1].isdigit()):
        return None
    return end if _safe_math(content, display) else None


def _safe_math(content: str, display: bool) -> bool:
    """Math KaTeX may render as is: short, one line, no `$` or backtick to escape its delimiters, no links or boxes."""
    if not content.strip() or len(content) > MAX_MATH_CHARS or content.endswith("\\"):
        return False
    if not display and (content[0].isspace() or content[-1].isspace()):
        return False
    return not any(char in content for char in "$`\n") and not _UNSAFE_TEX.search(content)
