"""Atom 1.0 feeds of papers (RFC 4287), for a feed reader, a cron job or an e-mail: `python -m lib feed`.

Written with xml.etree, which escapes `<`, `&` and `>` in text and quotes in attributes; characters XML 1.0 cannot
hold at all (most control characters, lone surrogates) are dropped first, so any title or abstract gives a feed that
parses. Each entry: id (the arXiv abstract page for an arXiv id, else a URN of the set and id), title, one author
per name (lib/exports.py splits arXiv's author strings), summary (the abstract), updated (its update_date), a link to
the abstract page and the PDF, and a category per arXiv category. The feed: a stable id made from the set and the
interest (a reader recognises the feed across runs), a title, updated (when it was made), an optional subtitle.

A feed file is written atomically; an existing file at the target that is not an Atom feed is never overwritten.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from lib.atomic import write_bytes_atomically
from lib.catalogue import Catalogue
from lib.exports import authors_list
from lib.stages import now_iso
from lib.text import arxiv_links

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "arxiv-topic-search"
# Characters XML 1.0 does not allow anywhere (C0 controls but tab, newline and return; surrogates; U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# How much of an existing file is read to tell whether it is an Atom feed.
SNIFF_BYTES = 4096


class FeedError(ValueError):
    """A feed that cannot be written where asked; the message is one line for the user."""


def xml_text(value: object) -> str:
    """Text that XML 1.0 can hold: None as empty, characters it forbids removed (escaping is ElementTree's job)."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def rfc3339(value: str | None, fallback: str) -> str:
    """An Atom date-time: a YYYY-MM-DD date as midnight UTC, an ISO time with its offset as given, else the fallback."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"{text}T00:00:00Z"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", text):
        return text.replace("+00:00", "Z")
    return fallback


def feed_id(model: str, interest: str | None) -> str:
    """The feed's id: the same for one set and interest on every run, so a reader knows it is the same feed."""
    parts = ["arxiv-topic-search", "whats-new", quote(model, safe=""), quote(interest or "newest", safe="")]
    return "urn:" + ":".join(parts)


def entry_id(model: str, paper_id: str) -> str:
    """An entry's id: the paper's arXiv abstract page, or a URN of the set and id for a paper that is not on arXiv."""
    links = arxiv_links(paper_id)
    return links["abs"] if links else f"urn:arxiv-topic-search:paper:{quote(model, safe='')}:{quote(paper_id, safe='')}"


def _sub(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def atom_feed(
    catalogue: Catalogue,
    rows: Sequence[int],
    title: str,
    feed_id_value: str,
    subtitle: str | None = None,
    updated: str | None = None,
) -> bytes:
    """An Atom feed of these papers in this order (the ranking's; some readers sort entries by date instead), as
    UTF-8 bytes with an XML declaration. `updated` is the feed's time (default now); an entry without a date takes it.
    """
    now = rfc3339(updated or now_iso(), rfc3339(now_iso(), "1970-01-01T00:00:00Z"))
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", feed_id_value)
    _sub(feed, "title", title)
    if subtitle:
        _sub(feed, "subtitle", subtitle)
    _sub(feed, "updated", now)
    _sub(feed, "generator", GENERATOR)
    author = _sub(feed, "author")
    _sub(author, "name", GENERATOR)
    papers = catalogue.papers
    for row in rows:
        paper = papers.iloc[int(row)]
        paper_id = str(paper["id"])
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(catalogue.name, paper_id))
        _sub(entry, "title", " ".join(str(paper["title"] or "").split()))
        _sub(entry, "updated", rfc3339(paper["update_date"], now))
        for name in authors_list(paper["authors"]):
            _sub(_sub(entry, "author"), "name", name)
        links = arxiv_links(paper_id)
        if links:
            _sub(entry, "link", rel="alternate", type="text/html", href=links["abs"])
            _sub(entry, "link", rel="related", type="application/pdf", href=links["pdf"])
        for category in str(paper["categories"] or "").split():
            _sub(entry, "category", term=category)
        abstract = paper["abstract"] if isinstance(paper["abstract"], str) else ""
        if abstract.strip():
            _sub(entry, "summary", " ".join(abstract.split()), type="text")
    ET.indent(feed, space=" ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def is_atom_feed(path: Path) -> bool:
    """Whether the file starts like an Atom feed: XML whose first element is a feed in Atom's namespace."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return False
    match = re.search(r"<(?!\?|!)([A-Za-z_][\w.:-]*)([^>]*)", text)
    return bool(match) and match.group(1).split(":")[-1] == "feed" and ATOM_NS in match.group(2)


def check_feed_target(out: Path) -> None:
    """FeedError unless a feed may be written to `out`: a new file in an existing folder, or an existing Atom feed."""
    out = Path(out)
    if out.is_symlink():
        raise FeedError(f"--out {out} is a symbolic link; give the path of the file itself")
    if out.is_dir():
        raise FeedError(f"--out {out} is a folder; give a file name such as {out / 'feed.xml'}")
    if not out.parent.is_dir():
        raise FeedError(f"--out {out}: the folder {out.parent} does not exist; create it first")
    if out.exists():
        if not out.is_file():
            raise FeedError(f"--out {out} is not a regular file; give the path of a feed file")
        if not is_atom_feed(out):
            raise FeedError(f"--out {out} exists and is not an Atom feed; it was left as it is: remove it or choose another name")


def write_feed(data: bytes, out: Path) -> None:
    """Write a feed to `out` atomically, after `check_feed_target` (a file that is not a feed is never overwritten)."""
    check_feed_target(out)
    write_bytes_atomically(Path(out), data)
