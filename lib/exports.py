"""Lists of papers as files for a reference manager or a spreadsheet: CSV and BibTeX.

BibTeX entries are arXiv-style @misc records (key, title, author, year, eprint, archivePrefix,
primaryClass, url). Titles keep their LaTeX: text outside math has LaTeX's special characters
escaped, math (`$...$`) is kept as written, and braces that do not pair up (BibTeX counts every
brace, escaped or not) become \textbraceleft{} and \textbraceright{}, so every entry stays parseable.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from lib.arxiv_ids import id_year
from lib.text import arxiv_links

CSV_COLUMNS = ["id", "title", "authors", "categories", "updated", "topic", "url"]
_MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$)", re.DOTALL)
_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_AUTHOR_SPLIT = re.compile(r"\s*,\s*|\s+and\s+")


def _balanced(text: str) -> bool:
    """Braces pair up as BibTeX counts them (it ignores backslashes)."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


_BRACE_WORDS = {"{": "\\textbraceleft{}", "}": "\\textbraceright{}"}


def _brace_words(text: str) -> str:
    return "".join(_BRACE_WORDS.get(char, char) for char in text)


def _escape_text(text: str) -> str:
    escaped = "".join(_SPECIAL.get(char, char) for char in text)
    return escaped if _balanced(escaped) else _brace_words(escaped)


def latex_field(text: object) -> str:
    """A field value for BibTeX: whitespace collapsed, specials escaped outside math, braces paired."""
    text = " ".join(str(text or "").split())
    if text.endswith("\\"):
        text = text.rstrip("\\") + "\\textbackslash{}"
    parts = _MATH.split(text)
    value = "".join(part if _MATH.fullmatch(part) and _balanced(part) else _escape_text(part) for part in parts)
    return value if _balanced(value) else _brace_words(value)


def authors_list(authors: object) -> list[str]:
    """The names in arXiv's authors string ("A, B and C"), affiliations in parentheses dropped."""
    text = re.sub(r"\([^()]*\)", " ", str(authors or ""))
    return [" ".join(name.split()) for name in _AUTHOR_SPLIT.split(text) if name.strip()]


def paper_year(paper_id: str, update_date: object) -> str:
    """The submission year from a new- or old-style id, else the year of update_date, else ''."""
    year = id_year(paper_id)
    if year is not None:
        return str(year)
    date = str(update_date or "")
    return date[:4] if date[:4].isdigit() else ""


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", plain)


def citation_key(paper: dict, taken: set[str]) -> str:
    """surnameYEARword, ASCII letters and digits only, made unique with a, b, ... against `taken`."""
    names = authors_list(paper.get("authors"))
    surname = _ascii_word(names[0].split()[-1]) if names else ""
    words = [w for w in (_ascii_word(word) for word in _MATH.sub(" ", str(paper.get("title") or "")).split()) if len(w) > 3]
    year = paper_year(str(paper.get("id", "")), paper.get("update_date"))
    base = f"{surname.lower() or 'arxiv'}{year}{words[0].lower() if words else ''}"
    key, suffix = base, 0
    while key in taken:
        key = f"{base}{chr(ord('a') + suffix % 26)}{suffix // 26 or ''}"
        suffix += 1
    taken.add(key)
    return key


def bibtex_entry(paper: dict, key: str) -> str:
    """One @misc entry for an arXiv paper (eprint and url only for real arXiv ids)."""
    paper_id = str(paper.get("id", ""))
    fields = [("title", "{" + latex_field(paper.get("title")) + "}")]
    authors = authors_list(paper.get("authors"))
    if authors:
        fields.append(("author", " and ".join(latex_field(name) for name in authors)))
    year = paper_year(paper_id, paper.get("update_date"))
    if year:
        fields.append(("year", year))
    links = arxiv_links(paper_id)
    if links is not None:
        fields += [("eprint", paper_id), ("archivePrefix", "arXiv")]
    primary = str(paper.get("categories") or "").split()
    if primary:
        fields.append(("primaryClass", latex_field(primary[0])))
    if links is not None:
        fields.append(("url", links["abs"]))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def to_bibtex(papers: pd.DataFrame) -> str:
    """BibTeX for every row of a papers table (columns id, title, authors, categories, update_date)."""
    taken: set[str] = set()
    records = papers.to_dict("records")
    return "\n".join(bibtex_entry(paper, citation_key(paper, taken)) for paper in records)


def _inert(value: object) -> object:
    """A cell a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(papers: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with a byte-order mark, so spreadsheets read accents) of a papers table with a topic column."""
    table = pd.DataFrame(
        {
            "id": papers["id"].astype(str).to_numpy(),
            "title": papers["title"].to_numpy(),
            "authors": papers["authors"].to_numpy(),
            "categories": papers["categories"].to_numpy(),
            "updated": papers["update_date"].to_numpy(),
            "topic": papers["topic"].to_numpy(),
            "url": [(arxiv_links(str(i)) or {}).get("abs", "") for i in papers["id"]],
        },
        columns=CSV_COLUMNS,
    )
    return table.map(_inert).to_csv(index=False).encode("utf-8-sig")
