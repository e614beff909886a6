"""arXiv identifiers, the one place that parses them: ids typed or pasted as a query (bare ids, `arXiv:` ids,
abs/pdf links and DOIs), a paper's id without its version, whether an id is a real arXiv id (for links), and the
year and month of first submission an id carries.

New-style ids are YYMM.NNNN (2007-2014) or YYMM.NNNNN (since 2015); old-style ids are archive/YYMMNNN,
sometimes written with the subject class (`math.GT/0309136`), which the id itself does not carry.
"""

from __future__ import annotations

import re

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7}"
_ID = re.compile(
    rf"""^\s*
    (?:
        (?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/   # a link to the paper
      | (?:https?://)?(?:dx\.)?doi\.org/10\.48550/arxiv\.                      # arXiv's DOI as a link
      | 10\.48550/arxiv\.                                                     # or bare
      | arxiv:\s*                                                             # arXiv:2401.01234
    )?
    (?P<id>{_NEW}|{_OLD})
    (?:v\d+)?                          # a version
    (?:\.pdf)?/?                       # a pdf link's suffix, a trailing slash
    (?:[?\#]\S*)?                      # a query string or fragment
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def arxiv_id(text: str) -> str | None:
    """The arXiv id (no version) that the whole text names, or None when it is not just an id or link."""
    match = _ID.match(text or "")
    if not match:
        return None
    found = match.group("id")
    if "/" not in found:
        return found
    archive, number = found.split("/")
    return f"{archive.split('.')[0].lower()}/{number}"


_VERSION_SUFFIX = re.compile(r"v\d+$")


def normalize_id(raw: str) -> str:
    """Strip whitespace and a trailing version (`2401.01234v2` -> `2401.01234`)."""
    return _VERSION_SUFFIX.sub("", raw.strip())


# A real id, for links to arxiv.org: a month 01-12, a version from v1, the subject class in capitals.
_REAL_NEW = re.compile(r"(\d{2})(0[1-9]|1[0-2])\.(\d{4,5})(?:v[1-9]\d*)?")
_REAL_OLD = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3}(?:v[1-9]\d*)?")
# The first YYMM whose new-style ids have five digits.
FIVE_DIGITS_FROM = 1501


def is_arxiv_id(paper_id: str) -> bool:
    """Whether the whole text is a real arXiv id: new style 1234.5678(9) (five digits exactly from 1501) or old
    style archive(.XX)/1234567, either with an optional vN."""
    new = _REAL_NEW.fullmatch(paper_id)
    if new:
        return (len(new[3]) == 5) == (int(new[1] + new[2]) >= FIVE_DIGITS_FROM)
    return _REAL_OLD.fullmatch(paper_id) is not None


# The year and month an id starts with (YYMM.NNNNN or archive(.XX)/YYMMNNN), as named groups; a pattern that both
# Python's re (`id_year`) and Arrow's RE2 (`lib.topic_views.paper_months`, case-sensitive there) accept.
DATED_ID = r"^(?:(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}|[a-z\-]+(?:\.[A-Za-z\-]+)?/(?P<oy>\d{2})(?P<om>\d{2})\d{3})"
_DATED = re.compile(DATED_ID, re.IGNORECASE)
# arXiv opened in 1991: a two-digit year from 91 is 19YY, below it 20YY.
FIRST_YY = 91


def id_year(paper_id: str) -> int | None:
    """The year of first submission that an arXiv id carries (YYMM.NNNNN or archive/YYMMNNN), else None."""
    match = _DATED.match(paper_id or "")
    if not match:
        return None
    two = int(match["yy"] or match["oy"])
    return 1900 + two if two >= FIRST_YY else 2000 + two
