"""Search page: type what you are looking for, get the papers that mean it."""

import streamlit as st

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.search import MAX_QUERY_CHARS, prepare_query
from lib.snippets import query_terms
from lib.urlstate import split_values
from pages.as_you_type import as_you_type
from pages.picker import choose_engine
from pages.widgets import hit_list, paper_row

st.title("Search arXiv by meaning")
engine = choose_engine()
if engine is not None:
    like = url.value("like")
    if like:
        row = engine.catalogue.row_of(like)
        if row is None:
            st.warning("That paper is not in this model set.")
        else:
            st.subheader("More like this paper")
            paper_row(engine, row, key="source", actions=False)
            if st.button("Back to search"):
                url.write(like=None)
                st.rerun()
            hit_list(engine, cache.similar(engine, like, 20), f"more-like-{like}", "like")
        st.stop()

    # The search box and the results' downloads share one row, so the results start high on the first screen.
    top = st.container(horizontal=True, vertical_alignment="center", gap="small", key="search-bar")
    query = top.text_input(
        "What are you looking for?",
        placeholder="What are you looking for? e.g. graph neural networks for molecules",
        label_visibility="collapsed",
        **url.bind("search-query", "q", url.value("q")),
    )
    with st.sidebar:
        modes = {"hybrid": "Hybrid (meaning + keywords)", "semantic": "Meaning only", "lexical": "Keywords only (BM25)"}
        wanted_mode = url.value("mode", "hybrid")
        mode = st.radio(
            "Ranking",
            list(modes),
            format_func=modes.get,
            **url.bind("search-mode", "mode", wanted_mode if wanted_mode in modes else "hybrid", default="hybrid"),
        )
        count = st.slider("Results", 5, 100, step=5, **url.bind("search-k", "k", url.integer("k", 10, 5, 100), default=10))
        options = dict(engine.catalogue.category_options())
        in_link = split_values(url.values("cat"))
        chosen = [c for c in in_link if c in options]
        unknown = [c for c in in_link if c not in options]
        if unknown:
            st.warning(f"Categories in the link that this model set does not have were left out: {url.listed(unknown)}.")
        categories = st.multiselect(
            "Categories", list(options), format_func=lambda c: f"{c} ({options[c]:,})", **url.bind("search-cat", "cat", chosen)
        )
        bounds = engine.catalogue.year_bounds()
        years = None
        if bounds and bounds[0] < bounds[1]:
            start = url.integer("from", bounds[0], *bounds)
            end = url.integer("to", bounds[1], start, bounds[1])
            years = st.slider(
                "Years",
                bounds[0],
                bounds[1],
                **url.bind_fields(
                    "search-years",
                    (start, end),
                    lambda span: {"from": None, "to": None} if tuple(span) == bounds else {"from": span[0], "to": span[1]},
                ),
            )
            if years == bounds:
                years = None
        as_you_type("search-query")
    prepared = prepare_query(query)
    too_long = url.write(q=prepared.text, k=count if count != 10 else None, cat=categories, mode=mode if mode != "hybrid" else None)
    if too_long:
        st.info(f"This search is too long for a link that opens again ({too_long}): a copied link will not reopen it.")
    url.write(**({"from": years[0], "to": years[1]} if years else {"from": None, "to": None}))
    if not prepared.text:
        st.info("Type a question or a few keywords: the search finds papers that mean it, not only those with the same words.")
        st.stop()
    if prepared.truncated:
        st.info(f"The query was cut at {MAX_QUERY_CHARS:,} characters; only its beginning is searched.")
    named = engine.ranker.named_paper(prepared.text)
    if named is not None and named[1] is not None:
        st.success(f"arXiv:{named[0]} is in this model set: the paper first, then the papers most like it.")
        nav.page_link(engine, nav.PAPER, f"Open the paper page of arXiv:{named[0]}", id=named[0])
        hit_list(
            engine, cache.search(engine, prepared.text, count, tuple(categories), years, mode), f"like-{named[0]}", "named", exports=top
        )
        st.stop()
    if named is not None:
        st.warning(f"arXiv:{named[0]} is not in this model set; the results below treat it as text.")
    words = engine.ranker.words(prepared.text, mode)
    if words.unknown:
        st.caption("ignored (not in the model): " + ", ".join(words.unknown[:30]))
    if words.common:
        st.caption("ignored by keyword search (too common): " + ", ".join(words.common[:30]))
    if not words.known:
        if words.common:
            st.warning("Keyword search has nothing to go on: every known word is too common. Try more specific words or another ranking.")
        else:
            st.warning("None of these words is in the model, so there is nothing to search for. Try other words.")
        st.stop()
    hits = cache.search(engine, prepared.text, count, tuple(categories), years, mode)
    if not hits:
        st.warning("No paper matches these filters." if categories or years else "No paper matches this query.")
    hit_list(engine, hits, "search-results", "search", terms=query_terms(prepared.text), exports=top)
