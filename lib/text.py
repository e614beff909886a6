"""Untrusted arXiv text made safe for st.markdown: shown literally, except balanced LaTeX math kept for KaTeX.

Every ASCII punctuation character is backslash-escaped (CommonMark allows escaping any of them), which
stops Markdown, HTML, links and Streamlit directives (`:red[x]`) at parse time and hides `:material/x:`
from Streamlit's raw-source icon rewrite. Some features match the *decoded* text afterwards (GFM autolink
literals such as `www.x.org`, `:smile:` and `:streamlit:` shortcodes, `->`/`--` typography), so an
invisible WORD JOINER (U+2060) is also put inside those patterns; it never shows and breaks no line.
"""

from __future__ import annotations

import re

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


def markdown_literal(text: str, *, inline: bool = False) -> str:
    """Escape text so st.markdown shows it literally (no Markdown, links, HTML or Streamlit directives).

    Whitespace runs become one space; blank lines stay paragraph breaks unless `inline` folds them too.
    """
    return "\n\n".join(_escape(paragraph) for paragraph in _paragraphs(text, inline))


def markdown_with_math(text: str, *, inline: bool = False) -> str:
    """Like markdown_literal, but balanced $...$ / $$...$$ math segments are kept for KaTeX; an unbalanced $ is escaped.

    A `\\$` in the source is a literal dollar; math that could break out of its delimiters is shown as text.
    """
    return "\n\n".join(_with_math(paragraph) for paragraph in _paragraphs(text, inline))


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


def _escape(segment: str) -> str:
    """Backslash-escape ASCII punctuation after putting word joiners into patterns matched on decoded text."""
    segment = _JOIN_AFTER.sub(lambda match: match[0] + WORD_JOINER, segment)
    segment = _WWW_DOT.sub(WORD_JOINER + ".", segment)
    segment = _TYPOGRAPHY.sub(lambda match: match[0][0] + WORD_JOINER + match[0][1:], segment)
    return "".join("\\" + char if char in _PUNCTUATION else char for char in segment)


def _with_math(paragraph: str) -> str:
    """One paragraph with its valid math segments kept verbatim and everything else escaped."""
    out: list[str] = []
    literal: list[str] = []
    position = 0
    while match := _DOLLAR.search(paragraph, position):
        literal.append(paragraph[position : match.start()])
        position = match.end()
        if match[0] == "\\$":
            literal.append("$")
            continue
        end = _math_end(paragraph, match.start(), match[0])
        if end is None:
            literal.append(match[0])
            continue
        out.append(_escape("".join(literal)))
        out.append(paragraph[match.start() : end])
        literal = []
        position = end
    literal.append(paragraph[position:])
    out.append(_escape("".join(literal)))
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
