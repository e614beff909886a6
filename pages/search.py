"""Search page: type what you are looking for, get the papers that mean it."""

import streamlit as st

from pages.common import choose_engine

st.title("Search arXiv by meaning")
engine = choose_engine()
if engine is not None:
    query = st.text_input(
        "What are you looking for?", value=st.query_params.get("q", ""), placeholder="e.g. graph neural networks for molecules"
    )
    count = st.sidebar.slider("Results", 5, 100, 10)
    if query.strip():
        st.query_params["q"] = query
        words = engine.words(query)
        if words.unknown:
            st.caption("ignored (not in the model): " + ", ".join(words.unknown[:30]))
        if not words.known:
            st.warning("None of these words is in the model; try other words.")
        for hit in engine.search(query, k=count):
            paper = engine.papers.iloc[hit.row]
            with st.container(border=True):
                st.markdown(f"**{paper['title']}**")
                st.caption(
                    f"{paper['authors']} · {paper['update_date'][:4]} · {paper['categories']} · score {hit.score:.3f} · "
                    f"topic: {engine.topic_label(int(paper['cluster']))}"
                )
                with st.expander("Abstract"):
                    st.write(paper["abstract"])
    else:
        st.info("Type a question or a few keywords to search.")
