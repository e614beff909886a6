"""Search page: type what you are looking for, get the papers that mean it."""

import streamlit as st

from pages.common import (
    PAPER_PAGE,
    cached_search,
    cached_similar,
    choose_engine,
    engine_key,
    export_buttons,
    listed,
    paper_card,
    set_url,
    url_int,
    url_value,
    with_model,
)

from lib.search import MAX_QUERY_CHARS, prepare_query
from lib.urlstate import split_values

st.title("Search arXiv by meaning")
engine = choose_engine()
if engine is not None:
    key = engine_key(engine)
    like = url_value("like")
    if like:
        row = engine.row_of(like)
        if row is None:
            st.warning("That paper is not in this model set.")
        else:
            st.subheader("More like this paper")
            paper_card(engine, row, key="source", actions=False)
            if st.button("Back to search"):
                set_url(like=None)
                st.rerun()
            similar = cached_similar(*key, like, 20)
            export_buttons(engine, [hit.row for hit in similar], f"more-like-{like}", "like")
            for rank, hit in enumerate(similar):
                paper_card(engine, hit.row, hit.score, key=f"like{rank}")
        st.stop()

    query = st.text_input("What are you looking for?", value=url_value("q"), placeholder="e.g. graph neural networks for molecules")
    with st.sidebar:
        modes = {"hybrid": "Hybrid (meaning + keywords)", "semantic": "Meaning only", "lexical": "Keywords only (BM25)"}
        wanted_mode = url_value("mode", "hybrid")
        mode = st.radio("Ranking", list(modes), index=list(modes).index(wanted_mode) if wanted_mode in modes else 0, format_func=modes.get)
        count = st.slider("Results", 5, 100, url_int("k", 10, 5, 100), step=5)
        options = dict(engine.category_options())
        in_link = split_values(st.query_params.get_all("cat"))
        chosen = [c for c in in_link if c in options]
        unknown = [c for c in in_link if c not in options]
        if unknown:
            st.warning(f"Categories in the link that this model set does not have were left out: {listed(unknown)}.")
        categories = st.multiselect("Categories", list(options), default=chosen, format_func=lambda c: f"{c} ({options[c]:,})")
        bounds = engine.year_bounds()
        years = None
        if bounds and bounds[0] < bounds[1]:
            start = url_int("from", bounds[0], *bounds)
            end = url_int("to", bounds[1], start, bounds[1])
            years = st.slider("Years", bounds[0], bounds[1], (start, end))
            if years == bounds:
                years = None
    prepared = prepare_query(query)
    too_long = set_url(q=prepared.text, k=count if count != 10 else None, cat=categories, mode=mode if mode != "hybrid" else None)
    if too_long:
        st.info(f"This search is too long for a link that opens again ({too_long}): a copied link will not reopen it.")
    set_url(**({"from": years[0], "to": years[1]} if years else {"from": None, "to": None}))
    if not prepared.text:
        st.info("Type a question or a few keywords: the search finds papers that mean it, not only those with the same words.")
        st.stop()
    if prepared.truncated:
        st.info(f"The query was cut at {MAX_QUERY_CHARS:,} characters; only its beginning is searched.")
    named = engine.named_paper(prepared.text)
    if named is not None and named[1] is not None:
        st.success(f"arXiv:{named[0]} is in this model set: the paper first, then the papers most like it.")
        st.page_link(
            PAPER_PAGE,
            label=f"Open the paper page of arXiv:{named[0]}",
            icon=":material/article:",
            query_params=with_model({"id": named[0]}),
        )
        hits = cached_search(*key, prepared.text, count, tuple(categories), years, mode)
        export_buttons(engine, [hit.row for hit in hits], f"like-{named[0]}", "named")
        for rank, hit in enumerate(hits):
            paper_card(engine, hit.row, hit.score, key=str(rank))
        st.stop()
    if named is not None:
        st.warning(f"arXiv:{named[0]} is not in this model set; the results below treat it as text.")
    words = engine.words(prepared.text, mode)
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
    hits = cached_search(*key, prepared.text, count, tuple(categories), years, mode)
    if not hits:
        st.warning("No paper matches these filters." if categories or years else "No paper matches this query.")
    export_buttons(engine, [hit.row for hit in hits], "search-results", "search")
    for rank, hit in enumerate(hits):
        paper_card(engine, hit.row, hit.score, key=str(rank))
