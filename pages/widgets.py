"""Widgets the pages share: a paper's compact result row and its actions, the mark toggle, the topic-level slider,
export buttons and the hit list.

Text from papers and links is shown literally (lib/text.py); links between pages go through pages/nav.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.demo import DEMO_ID_PREFIX
from lib.engine import Engine
from lib.levels import Level
from lib.search import Hit
from lib.snippets import short_authors, snippet
from lib.text import arxiv_links, markdown_literal, markdown_marked, markdown_with_math, year_of
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


def paper_row(engine: Engine, row: int, score: float | None = None, key: str = "", terms: Iterable[str] = (), actions: bool = True) -> None:
    """One paper as a compact result row, 100 to 125 pixels tall, so that five fit in a laptop's first screen: its title
    (a link to its page); one line of authors (cut short), year, categories, arXiv links, topic and score; then two
    lines of its abstract around the `terms` (query words, in bold), which open in place on the whole abstract and,
    under it, the paper's actions (more like this, mark more or less like). `key` tells the rows of a page apart.

    A fragment: opening an abstract or marking the paper reruns this row alone. The whole abstract and the actions
    are drawn only once opened (py-spy on search pages of 20 rows at 20,000 papers: they were a quarter of the script's
    time, and 20 abstracts sent with every search that are seldom read)."""
    paper = engine.catalogue.papers.iloc[row]
    paper_id = str(paper["id"])
    with st.container(key=f"card-{key}", gap="xxsmall"):
        nav.page_link(engine, nav.PAPER, f"**{markdown_with_math(paper['title'], inline=True)}**", icon="", id=paper_id)
        _row_body(engine, paper, score, key, tuple(terms), actions)


@st.fragment
def _row_body(engine: Engine, paper: pd.Series, score: float | None, key: str, terms: tuple[str, ...], actions: bool) -> None:
    """A row's line of details (with its mark), its snippet and, once opened, its abstract and actions."""
    paper_id = str(paper["id"])
    mark = marks(engine).get(paper_id)
    details = [short_authors(paper["authors"]), year_of(paper["update_date"]), paper["categories"]]
    meta = [markdown_literal(part, inline=True) for part in details if part]
    meta += [paper_links(paper_id), "topic: " + markdown_literal(engine.catalogue.topic_label(int(paper["cluster"])), inline=True)]
    meta += [f"score {score:.3f}"] if score is not None else []
    flag = f"**marked {MARK_LABELS[mark]}** · " if mark else ""
    # One line: cut with an ellipsis when too long (the whole line shows on hover).
    st.caption(flag + " · ".join(meta), wrap=False)
    if not has_text(paper["abstract"]):
        if actions:
            paper_actions(engine, paper_id, key)
        return
    excerpt = snippet(paper["abstract"], terms)
    with st.expander(
        markdown_marked(excerpt.text, excerpt.spans), type="compact", key=f"abstract-{key}-{paper_id}", on_change="rerun"
    ) as box:
        if box.open:
            st.markdown(markdown_with_math(paper["abstract"]))
            if actions:
                paper_actions(engine, paper_id, key)


def paper_actions(engine: Engine, paper_id: str, key: str) -> None:
    """A paper's actions in one row: search for more like it, and mark it more or less like for the marked-papers page."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if st.button("More like this", key=f"like-{key}-{paper_id}", type="tertiary", icon=":material/manage_search:"):
            nav.switch(engine, nav.SEARCH, like=paper_id)
        mark_control(engine, paper_id, key)


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
        format_func=lambda i: f"{len(levels[i].topics)} topics" + (" (finest)" if i == 0 else ""),
        help="Coarser levels join the topics whose papers are most alike.",
        **url.bind("topic-level", "level", url.integer("level", 0, 0, len(levels) - 1), lambda i: i or None),
    )
    url.write(level=chosen or None)
    return levels[chosen]


def export_buttons(
    engine: Engine, rows: Sequence[int], name: str, key: str, note: str = "", into: DeltaGenerator | None = None
) -> DeltaGenerator:
    """Download buttons for a list of papers as CSV and as BibTeX (none for an empty list), after a note on the list (its
    size, say), in one compact row, or at the end of the row `into` (the search box's). Returns the row, for the page to
    add a control of the list to it (a pager)."""
    bar = into if into is not None else st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"exports-{key}")
    with bar:
        if note:
            st.caption(note, width="stretch")
        if rows:
            chosen = tuple(int(row) for row in rows)
            stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "papers"
            icon, kind = ":material/download:", "application/x-bibtex"
            # Made when clicked, not on every run: a search run spent 15% of its CPU on files few runs download, and
            # each session kept them in memory until its next run.
            for label, part, suffix, mime in (("CSV", 0, "csv", "text/csv"), ("BibTeX", 1, "bib", kind)):
                st.download_button(
                    label,
                    lambda part=part: cache.exports(engine, chosen)[part],
                    file_name=f"{stem}.{suffix}",
                    mime=mime,
                    key=f"{suffix}-{key}",
                    icon=icon,
                    type="tertiary",
                    # A download changes nothing on the page: no rerun. With one (Streamlit's default), a second
                    # download clicked while the first one's rerun was under way could find its file revoked (CI, stop 24).
                    on_click="ignore",
                )
    return bar


def hit_list(
    engine: Engine, hits: Sequence[Hit], name: str, key: str, terms: Iterable[str] = (), exports: DeltaGenerator | None = None
) -> None:
    """A ranked list of papers: CSV and BibTeX of all of them (files named after `name`; in the row `exports` when given,
    else in a row saying how many), then a compact row per paper with the `terms` (query words) marked in its snippet."""
    rows = [hit.row for hit in hits]
    export_buttons(engine, rows, name, key, note="" if exports is not None or not hits else f"{len(hits):,} papers", into=exports)
    terms = frozenset(terms)
    with st.container(gap="xsmall"):
        for rank, hit in enumerate(hits):
            paper_row(engine, hit.row, hit.score, key=f"{key}{rank}", terms=terms)
