"""arXiv identifiers typed or pasted as a query: bare ids, `arXiv:` ids, abs/pdf links and DOIs.

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


_DATED = re.compile(r"^(?:(\d{2})(\d{2})\.\d{4,5}|[a-z\-]+(?:\.[A-Za-z\-]+)?/(\d{2})(\d{2})\d{3})", re.IGNORECASE)


def id_year(paper_id: str) -> int | None:
    """The year of first submission that an arXiv id carries (YYMM.NNNNN or archive/YYMMNNN), else None."""
    match = _DATED.match(paper_id or "")
    if not match:
        return None
    two = int(match.group(1) or match.group(3))
    return 1900 + two if two >= 91 else 2000 + two
