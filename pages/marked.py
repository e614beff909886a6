"""Marked papers: rank the set by the papers marked 'more like', away from those marked 'less like'."""

import streamlit as st

import pages.cache as cache
import pages.url as url
from lib.text import markdown_literal, markdown_with_math
from pages.marks import MARK_LABELS, interest_files, marked_lists, marks, marks_from_link, set_mark
from pages.picker import choose_engine
from pages.widgets import hit_list

st.title("More like these")
engine = choose_engine()
if engine is not None:
    marked = marks(engine)
    # One comma-joined value per kind (`more=id1,id2`); the older repeated form (`more=id1&more=id2`) reads too.
    ignored = marks_from_link(engine)
    if ignored:
        st.warning(f"{len(ignored):,} paper(s) in the link are not in this model set and were left out: {url.listed(ignored)}.")
    more, less = marked_lists(engine)
    # A link too long to open again would lose the whole view: such marks stay in this session only, and the page says so.
    too_long = url.problem(more=more, less=less)
    url.write(more=None if too_long else more, less=None if too_long else less)
    if too_long:
        st.warning(
            f"Too many marked papers to keep in the link: {too_long}. They stay marked in this browser tab, "
            "but a copied link will not hold them."
        )
    # Saved to a file (and restored from one) here, so marks outlive the session and rank new papers (What's new, `lib feed`).
    interest_files(engine)
    if not marked:
        st.info(
            "Mark papers as **more like** or **less like** on the search, topic, map and paper pages: "
            "they are collected here, and the whole set is ranked by them."
        )
        st.stop()
    for mark, group in ((1, more), (-1, less)):
        if not group:
            continue
        st.subheader(f"Marked {MARK_LABELS[mark]} ({len(group)})")
        for paper_id in group:
            left, right = st.columns([6, 1])
            title = engine.catalogue.papers["title"].iloc[engine.catalogue.row_of(paper_id)]
            left.markdown(markdown_with_math(title, inline=True))
            if right.button("Remove", key=f"remove-{paper_id}"):
                set_mark(engine, paper_id, None)
                if not too_long:
                    url.write(more=[p for p in more if p != paper_id], less=[p for p in less if p != paper_id])
                st.rerun()
    if st.button("Clear all marks"):
        marked.clear()
        url.write(more=None, less=None)
        st.rerun()
    if not more:
        st.warning("Mark at least one paper as 'more like' to rank the set by it.")
        st.stop()
    words = engine.ranker.shared_words(more)
    if words:
        shared = "Words the papers marked 'more like' share" if len(more) > 1 else "The marked paper's main words"
        st.markdown(f"**{shared}:** " + markdown_literal(", ".join(words)))
    count = st.slider("Results", 5, 100, step=5, **url.bind("marked-k", "k", url.integer("k", 20, 5, 100), default=20))
    url.write(k=count if count != 20 else None)
    hits = cache.similar(engine, tuple(more), count, tuple(less))
    st.subheader("Most like the marked papers" + (", least like those marked 'less like'" if less else ""))
    hit_list(engine, hits, "more-like-these", "marked")
