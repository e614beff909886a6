r"""Lists of papers as files for a reference manager or a spreadsheet: CSV and BibTeX.

BibTeX entries are arXiv-style @misc records (key, title, author, year, eprint, archivePrefix,
primaryClass, url). Titles keep their LaTeX: text outside math has LaTeX's special characters
escaped (unless a backslash already escapes them, as in `\&` or the accent `\~n`), math (`$...$`) is
kept as written, and braces that do not pair up (BibTeX counts every brace, escaped or not) become
\textbraceleft{} and \textbraceright{}, so every entry stays parseable.

Author lists are split the way arXiv's are written ("A, B, and C", "A; B", "A and B"), affiliations in
parentheses dropped (nested ones too), empty parts and parts without a letter dropped, "et al." written as
BibTeX's "others", "Jr." joined to the name before it, and collaborations, teams and companies kept
whole in braces, so that BibTeX splits the field into exactly these names and none is empty.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import pandas as pd

from lib.arxiv_ids import id_year
from lib.text import arxiv_links

CSV_COLUMNS = ["id", "title", "authors", "categories", "updated", "topic", "url"]
_MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$)", re.DOTALL)
_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
# A special character, or a backslash and the character it escapes (`\&`, the accents `\~` and `\^`, `\\`): kept as written.
_SPECIAL_OR_ESCAPED = re.compile(r"\\.|[&%#_~^]", re.DOTALL)

_AFFILIATION = re.compile(r"\([^()]*\)")
# Between names: a comma or semicolon (with an "and" or "&" after it), or a whole-word "and" or "&", in any case.
_AUTHOR_SPLIT = re.compile(r"\s*[,;]\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+", re.IGNORECASE)
_EDGE_AND = re.compile(r"^(?:(?:and|&)(?:\s+|$))+|(?:(?:^|\s+)(?:and|&))+$", re.IGNORECASE)
_ET_AL = re.compile(r"(?:^|\s+)et\.?\s*al\b\.?$|^others$", re.IGNORECASE)
_FOR_THE = re.compile(r"\s+(?:for|on\s+behalf\s+of)\s+(?=the\s)", re.IGNORECASE)
_LINEAGE = re.compile(r"(?i:jr|sr)\.?|II|III|IV")
# A word that makes a name a collaboration, team or company rather than a person: written whole, in braces.
_GROUP = re.compile(
    r"\b(?:collaborations?|collaborative|consortium|team|group|inc|ltd|llc|gmbh|corp|corporation|labs?|laborator(?:y|ies)|"
    r"investigators|initiative|project|committee|organi[sz]ation|institute|university|observatory|survey|alliance|society)\b",
    re.IGNORECASE,
)


def _balanced(text: str) -> bool:
    """Braces pair up as BibTeX counts them (it ignores backslashes)."""
    if "{" not in text and "}" not in text:
        return True
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
    escaped = _SPECIAL_OR_ESCAPED.sub(lambda found: _SPECIAL.get(found.group(), found.group()), text)
    return escaped if _balanced(escaped) else _brace_words(escaped)


def latex_field(text: object) -> str:
    """A field value for BibTeX: whitespace collapsed, specials escaped outside math, braces paired."""
    text = " ".join(str(text or "").split())
    if text.endswith("\\"):
        text = text.rstrip("\\") + "\\textbackslash{}"
    parts = _MATH.split(text)
    value = "".join(part if _MATH.fullmatch(part) and _balanced(part) else _escape_text(part) for part in parts)
    return value if _balanced(value) else _brace_words(value)


class Author(NamedTuple):
    """One name of an author list: a person (with a lineage such as "Jr." apart) or a group written whole."""

    name: str
    lineage: str = ""
    group: bool = False


def parse_authors(authors: object) -> tuple[list[Author], bool]:
    """The names in arXiv's authors string ("A, B, and C"), and whether it ended with "et al."."""
    text = str(authors or "")
    count = 1
    while count:  # innermost first, so "(1 and 2)" inside "((1) CREST, (2) ...)" goes too
        text, count = _AFFILIATION.subn(" ", text)
    names: list[Author] = []
    et_al = False
    for part in _AUTHOR_SPLIT.split(text):
        part = part.split("(")[0].replace(")", " ")  # an affiliation that is never closed, a stray parenthesis
        part = re.sub(r"(?<!\\)~", " ", part)  # LaTeX's unbreakable space; `\~n` is an accent
        part = _EDGE_AND.sub("", " ".join(part.split())).strip()
        if _ET_AL.search(part):
            et_al = True
            part = _ET_AL.sub("", part).strip()
        for name in _FOR_THE.split(part):  # "J. Smith for the ATLAS Collaboration": a person and a group
            if not any(char.isalpha() for char in name):
                continue
            if _LINEAGE.fullmatch(name) and names and not names[-1].lineage and not names[-1].group:
                names[-1] = names[-1]._replace(lineage=name)
                continue
            names.append(Author(name, group=bool(_GROUP.search(name))))
    return names, et_al


def authors_list(authors: object) -> list[str]:
    """The names in arXiv's authors string ("A, B, and C"), affiliations in parentheses and "et al." dropped."""
    return [" ".join(filter(None, (author.name, author.lineage))) for author in parse_authors(authors)[0]]


def _bibtex_name(author: Author) -> str:
    """A name as BibTeX reads it: a group in braces (read as one last name), a lineage as "von Last, Jr., First"."""
    if author.group:
        return "{" + latex_field(author.name) + "}"
    words = author.name.split()
    if not author.lineage or len(words) < 2:
        return latex_field(author.name)
    last = next((i for i in range(1, len(words) - 1) if words[i][:1].islower()), len(words) - 1)
    return ", ".join(latex_field(" ".join(part)) for part in (words[last:], [author.lineage], words[:last]))


def bibtex_authors(authors: object) -> str:
    """The author field for arXiv's authors string: names joined by "and", "others" last for "et al."; "" for none."""
    names, et_al = parse_authors(authors)
    return " and ".join([_bibtex_name(author) for author in names] + ["others"] * (et_al and bool(names)))


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
    names = parse_authors(paper.get("authors"))[0]
    surname = _ascii_word(names[0].name.split()[-1]) if names else ""
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
    authors = bibtex_authors(paper.get("authors"))
    if authors:
        fields.append(("author", authors))
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
