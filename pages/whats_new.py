"""What's new: the papers added to a model set since a date, ranked by an interest, with CSV, BibTeX and an Atom feed."""

import datetime as dt

import streamlit as st

import pages.cache as cache
import pages.url as url
from lib.feed import atom_feed, feed_id
from lib.interests import Interest, InterestError, make_interest, parse_interest
from lib.text import markdown_literal
from lib.whats_new import BY_UPDATE, parse_date
from pages.marks import marked_lists, marks_from_link
from pages.picker import choose_engine
from pages.widgets import export_buttons, hit_list, paper_row

SOURCES = {"marked": "The marked papers", "file": "An interest file", "none": "Nothing: newest first"}

st.title("What's new")
engine = choose_engine()
if engine is not None:
    default = cache.whats_new_since(engine)
    in_link = url.value("since")
    try:
        since = parse_date(in_link) if in_link else None
    except ValueError:
        st.warning(f"The date in the link is not a date ({url.listed([in_link])}); showing the default instead.")
        since = None
    with st.sidebar:
        shown = since or default
        picked = st.date_input(
            "New since",
            value=dt.date.fromisoformat(shown) if shown else dt.date.today(),
            help="Papers dated on or after this day, and those an update added since. Left at its first value: the papers "
            "of the set's last update (or, for a set never updated, its newest week).",
        )
        if isinstance(picked, dt.date) and (since is not None or picked.isoformat() != default):
            since = picked.isoformat()
        count = st.slider("Papers", 10, 200, step=10, **url.bind("whats-new-k", "k", url.integer("k", 50, 10, 200), default=50))
    ignored = marks_from_link(engine)
    if ignored:
        st.warning(f"{len(ignored):,} paper(s) in the link are not in this model set and were left out: {url.listed(ignored)}.")
    more, less = marked_lists(engine)
    default_by = "marked" if more else "none"
    wanted_by = url.value("by") if url.value("by") in SOURCES else default_by
    by = st.radio(
        "Rank by",
        list(SOURCES),
        format_func=SOURCES.get,
        horizontal=True,
        **url.bind("whats-new-by", "by", wanted_by, default=default_by),
    )
    interest: Interest | None = None
    if by == "marked":
        if more:
            try:
                interest = make_interest("marked papers", more, less, model=engine.name)
            except InterestError as exc:  # more marks than an interest holds
                st.error(markdown_literal(str(exc)))
            st.caption(f"{len(more):,} paper(s) marked 'more like', {len(less):,} marked 'less like' (the Marked papers page).")
        else:
            st.info("No paper is marked 'more like' yet: mark papers on any page, or upload an interest file. Listed newest first.")
    elif by == "file":
        uploaded = st.file_uploader("Interest file (JSON, saved from the Marked papers page)", type=["json"], key="whats-new-interest")
        if uploaded is not None:
            try:
                interest = parse_interest(uploaded.getvalue(), f"'{uploaded.name}'")
            except InterestError as exc:
                st.error(markdown_literal(str(exc)))
    # The marks go in the link only when they rank the list and fit (the Marked papers page says when they do not).
    keep = by == "marked" and not url.problem(more=more, less=less)
    url.write(since=since, k=count if count != 50 else None, by=None if by == default_by else by)
    url.write(more=more if keep else None, less=less if keep else None)
    key = None if interest is None else (interest.name, interest.more, interest.less)
    result = cache.whats_new(engine, since, key, count)
    st.caption(markdown_literal(result.new.description.capitalize() + "."))
    for note in result.notes:
        st.warning(markdown_literal(note[0].upper() + note[1:] + "."))
    if not result.rows:
        more_hint = " Pick an earlier date." if result.new.basis != BY_UPDATE else " Pick a date to list the papers since then."
        st.info("No paper is new here." + more_hint)
        st.stop()
    name = f"whats-new-{engine.name}-{result.new.since or 'all'}" + (f"-{interest.name}" if interest else "")
    title = f"What's new in {engine.name}" + (f": {interest.name}" if interest else "")
    feed = atom_feed(
        engine.catalogue, result.rows, title, feed_id(engine.name, interest.name if interest else None), result.new.description
    )
    left, right = st.columns([1, 4])
    left.download_button(
        "Atom feed", feed, file_name="whats-new.xml", mime="application/atom+xml", icon=":material/rss_feed:", on_click="ignore"
    )
    with right.expander("The same feed from the command line (cron, e-mail)"):
        since_arg = f" --since {since}" if since else ""
        interest_arg = " --interest INTEREST.json" if interest else ""
        st.code(f"python -m lib feed --model models/{engine.name}{interest_arg}{since_arg} --out feed.xml --limit {count}", language="bash")
    if result.scores is not None:
        st.subheader(f"Most like the interest '{interest.name}'" if interest else "Ranked")
        hit_list(engine, result.ranking.hits, name, "new")
    else:
        st.subheader("Newest first")
        export_buttons(engine, result.rows, name, "new")
        for rank, row in enumerate(result.rows):
            paper_row(engine, row, key=f"new{rank}")
