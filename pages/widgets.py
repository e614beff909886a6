"""Widgets the pages share: a paper card, the mark toggle, the topic-level slider, export buttons and the hit list.

Text from papers and links is shown literally (lib/text.py); links between pages go through pages/nav.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.demo import DEMO_ID_PREFIX
from lib.engine import Engine
from lib.levels import Level
from lib.search import Hit
from lib.text import arxiv_links, markdown_literal, markdown_with_math, year_of
from pages.marks import MARK_LABELS, marks, set_mark


def paper_links(paper_id: str) -> str:
    """Markdown links to the arXiv abstract page and PDF (none for synthetic or other non-arXiv ids)."""
    links = arxiv_links(paper_id)
    if links is None:
        return "synthetic paper: no arXiv page" if str(paper_id).startswith(DEMO_ID_PREFIX) else "not an arXiv id: no arXiv page"
    return f"[arXiv]({links['abs']}) · [PDF]({links['pdf']})"


def has_text(value: object) -> bool:
    """Whether a metadata field holds something to show (a set built from full texts may have no abstracts)."""
    return isinstance(value, str) and bool(value.strip())


def paper_card(engine: Engine, row: int, score: float | None = None, key: str = "", actions: bool = True) -> None:
    """One paper: title, authors, year, categories, score, topic, links, abstract on demand, next steps."""
    paper = engine.catalogue.papers.iloc[row]
    with st.container(border=True):
        st.markdown(f"**{markdown_with_math(paper['title'], inline=True)}**")
        details = [paper["authors"], year_of(paper["update_date"]), paper["categories"]]
        meta = " · ".join(markdown_literal(part, inline=True) for part in details if part)
        topic = markdown_literal(engine.catalogue.topic_label(int(paper["cluster"])), inline=True)
        scored = f" · score {score:.3f}" if score is not None else ""
        st.caption(f"{meta}{scored} · topic: {topic} · {paper_links(paper['id'])}")
        if has_text(paper["abstract"]):
            with st.expander("Abstract"):
                st.markdown(markdown_with_math(paper["abstract"]))
        if actions:
            left, middle, right = st.columns(3)
            if left.button("More like this", key=f"like-{key}-{paper['id']}"):
                nav.switch(engine, nav.SEARCH, like=paper["id"])
            with middle:
                nav.page_link(engine, nav.PAPER, "Paper page", id=paper["id"])
            with right:
                mark_control(engine, str(paper["id"]), key)


def mark_control(engine: Engine, paper_id: str, key: str) -> None:
    """A two-way toggle that marks a paper as 'more like' or 'less like' for the marked-papers page."""
    current = marks(engine).get(paper_id)
    labels = {label: mark for mark, label in MARK_LABELS.items()}

    def changed(widget: str = f"mark-{key}-{paper_id}-{current}") -> None:
        set_mark(engine, paper_id, labels.get(st.session_state.get(widget)))

    st.segmented_control(
        "Mark",
        list(labels),
        default=MARK_LABELS.get(current),
        key=f"mark-{key}-{paper_id}-{current}",
        on_change=changed,
        label_visibility="collapsed",
    )


def level_control(engine: Engine) -> Level:
    """A slider from the finest topics to the coarsest level, bound to the URL's `level`."""
    levels = engine.catalogue.levels
    if len(levels) == 1:
        return levels[0]
    chosen = st.select_slider(
        "Topic level",
        list(range(len(levels))),
        value=url.integer("level", 0, 0, len(levels) - 1),
        format_func=lambda i: f"{len(levels[i].topics)} topics" + (" (finest)" if i == 0 else ""),
        help="Coarser levels join the topics whose papers are most alike.",
    )
    url.write(level=chosen or None)
    return levels[chosen]


def export_buttons(engine: Engine, rows: Sequence[int], name: str, key: str) -> None:
    """Download buttons for a list of papers as CSV and as BibTeX (nothing for an empty list)."""
    if not rows:
        return
    table, bibtex = cache.exports(engine, tuple(int(row) for row in rows))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "papers"
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("CSV", table, file_name=f"{stem}.csv", mime="text/csv", key=f"csv-{key}", icon=":material/download:")
    kind = "application/x-bibtex"
    right.download_button("BibTeX", bibtex, file_name=f"{stem}.bib", mime=kind, key=f"bib-{key}", icon=":material/download:")


def hit_list(engine: Engine, hits: Sequence[Hit], name: str, key: str) -> None:
    """A ranked list of papers: CSV and BibTeX of all of them (files named after `name`), then a card per paper."""
    export_buttons(engine, [hit.row for hit in hits], name, key)
    for rank, hit in enumerate(hits):
        paper_card(engine, hit.row, hit.score, key=f"{key}{rank}")
