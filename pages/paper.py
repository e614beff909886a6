"""Paper page: one paper's metadata, abstract, links, topic, place on the map and nearest papers."""

import streamlit as st

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.figures import QueryPin, SpecFigure, with_pin
from lib.text import markdown_literal, markdown_with_math, year_of
from pages.picker import choose_engine
from pages.widgets import has_text, paper_links, paper_row

# The map beside the paper: its whole plot in a laptop's first screen under a two-line title; in half the page's
# width (about 430 pixels at 1280 x 800), which its labels are placed for.
PAPER_MAP_HEIGHT = 440
PAPER_MAP_WIDTH = 430

engine = choose_engine()
if engine is not None:
    paper_id = url.value("id").strip()
    row = engine.catalogue.row_of(paper_id) if paper_id else None
    if row is None:
        st.title("Paper")
        if paper_id:
            st.warning(f"No paper with id {markdown_literal(paper_id)} in model set {markdown_literal(engine.name)}.")
        else:
            st.info("Open a paper from the search results, a topic or the map.")
        st.stop()
    paper = engine.catalogue.papers.iloc[row]
    st.title(markdown_with_math(paper["title"], inline=True))
    cluster = int(paper["cluster"])
    # The paper beside its place on the map, so its pin is in the first screen (the map widened to hold it).
    text, place = st.columns(2, gap="medium")
    with text:
        if has_text(paper["authors"]):
            st.markdown(markdown_literal(paper["authors"], inline=True))
        st.caption(
            " · ".join(markdown_literal(p) for p in (paper["id"], year_of(paper["update_date"]), paper["categories"]) if p)
            + f" · {paper_links(paper['id'])}"
        )
        if has_text(paper["abstract"]):
            st.markdown(markdown_with_math(paper["abstract"]))
        st.markdown(f"**Topic:** {markdown_literal(engine.catalogue.topic_label(cluster))}")
        if cluster >= 0:
            nav.page_link(engine, nav.TOPICS, "All papers of this topic", icon=":material/list:", topic=cluster)
    pin = QueryPin(float(paper["x"]), float(paper["y"]), paper["title"], label="This paper")
    # The paper's topic focused (a map shared with the map page's and cached), widened to hold the paper itself.
    spec = cache.base_map_spec(engine, cluster if cluster >= 0 else None, height=PAPER_MAP_HEIGHT, width=PAPER_MAP_WIDTH)
    place.plotly_chart(SpecFigure(with_pin(spec, engine.catalogue.papers, pin, keep_in_view=True)), key="paper-map")
    st.subheader("Nearest papers")
    with st.container(gap="xsmall"):
        for rank, hit in enumerate(cache.similar(engine, paper["id"], 10)):
            paper_row(engine, hit.row, hit.score, key=f"n{rank}")
