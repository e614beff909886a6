"""Topics page: one topic's name, keywords, papers per year and papers first; every topic's table and topics over time
one tab away."""

import streamlit as st

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.snippets import query_terms
from lib.text import markdown_literal
from lib.topic_views import period_label, series_name
from lib.urlstate import parse_ints
from pages.picker import choose_engine
from pages.widgets import export_buttons, level_control, paper_row

PAGE_SIZE = 20
EXPORT_MAX = 10_000
TABS = ("Topic", "All topics", "Topics over time")


def over_time(engine, level, by_id: dict[int, dict], chosen: int | None) -> None:
    """Papers per topic per year or month for the topics chosen to compare, and the fastest-growing topics."""
    months = engine.catalogue.months
    known = months[months > 0]
    if not len(known):
        return
    wanted, unknown = parse_ints(url.values("compare"), by_id)
    if unknown:
        st.warning(f"Topics to compare in the link that this model set does not have were left out: {url.listed(unknown)}.")
    default = wanted or ([chosen] if chosen is not None else list(by_id)[:5])
    compare = st.multiselect(
        "Topics to compare",
        list(by_id),
        format_func=lambda c: f"{c}: {by_id[c]['label']}",
        **url.bind("topics-compare", "compare", default),
    )
    per = "month" if url.value("by") == "month" else "year"
    by = st.radio(
        "Papers per", ["year", "month"], horizontal=True, **url.bind("topics-by", "by", per, lambda b: b if b == "month" else None)
    )
    url.write(compare=compare if compare != default or wanted else None, by=by if by == "month" else None)
    if compare:
        counts = cache.topic_counts(engine, level.index, tuple(compare), by).rename(columns=lambda c: series_name(c, by_id[c]["label"]))
        st.line_chart(counts, x_label=by, y_label="papers", height=260)
    span = list(range(int(known.min()), int(known.max()) + 1))
    labels = {code: period_label(code, "month") for code in span}
    start = next((c for c in span if labels[c] == url.value("grow_from")), span[max(0, len(span) - 24)])
    end = next((c for c in span if labels[c] == url.value("grow_to")), span[-1])
    if len(span) > 1:
        # Not bound to the link (url.bind): a select_slider is a range only when given a value of two ends, and a bound
        # widget takes none (AppTest then reads the window back as one month).
        start, end = st.select_slider("Growth window (months)", span, value=(start, max(start, end)), format_func=labels.get)
    url.write(grow_from=labels[start] if start != span[max(0, len(span) - 24)] else None, grow_to=labels[end] if end != span[-1] else None)
    growing = cache.growing_topics(engine, level.index, start, end)
    st.markdown(
        f"**Fastest-growing topics**, {labels[start]} to {labels[end]}: papers in the later half of the window against the earlier."
    )
    if growing.empty:
        st.info("No topic has 10 papers in this window.")
    else:
        st.dataframe(growing.head(15), hide_index=True, column_config={"growth": st.column_config.NumberColumn(format="%.2f×")})


def topic_section(engine, topic: dict, level_index: int) -> None:
    """One topic: its name, keywords, size, categories and papers per year side by side, then its papers (closest to its
    centre first, paged, the keywords marked in their snippets) and their downloads."""
    chosen = topic["id"]
    st.subheader(f"Topic {chosen}: {markdown_literal(topic['label'])}")
    about, chart = st.columns([3, 2], vertical_alignment="top")
    with about:
        st.markdown("**Keywords:** " + markdown_literal(", ".join(topic["keywords"])))
        shares = ", ".join(f"{category} {share:.0%}" for category, share in topic.get("top_categories", []))
        st.caption(f"{topic['size']:,} papers" + (f" · {markdown_literal(shares)}" if shares else ""))
        nav.page_link(engine, nav.MAP, "Show on the map", focus=chosen, level=level_index or None)
    per_year = cache.topic_years(engine, level_index, chosen)
    if not per_year.empty:
        chart.bar_chart(per_year, x_label="year", y_label="papers", height=170)
    members = cache.members_of(engine, level_index, chosen)
    pages = max(1, -(-len(members) // PAGE_SIZE))
    rows = engine.catalogue.papers.index.get_indexer(members.index[:EXPORT_MAX]).tolist()
    bar = export_buttons(
        engine, rows, f"topic-{chosen}", f"topic{chosen}", note=f"{len(members):,} papers, closest to the topic's centre first"
    )
    with bar:
        st.caption(f"page (of {pages:,})")
        label = f"Page (of {pages}, closest to the topic's centre first)"
        bound = url.bind("topic-page", "p", url.integer("p", 1, 1, pages), lambda number: number if number > 1 else None)
        page = st.number_input(label, 1, pages, label_visibility="collapsed", width=130, **bound)
    url.write(p=page if page > 1 else None)
    if len(members) > EXPORT_MAX:
        st.caption(f"The downloads hold the {EXPORT_MAX:,} papers closest to the topic's centre.")
    start = (page - 1) * PAGE_SIZE
    terms = query_terms(" ".join(topic["keywords"]))
    with st.container(gap="xsmall"):
        for position, member in enumerate(members.index[start : start + PAGE_SIZE]):
            paper_row(engine, engine.catalogue.papers.index.get_loc(member), key=f"t{chosen}-{start + position}", terms=terms)


st.title("Topics")
engine = choose_engine()
if engine is not None:
    if not engine.catalogue.topics:
        st.warning("This model set has no topics: clustering found none. Rebuild with a smaller --min-cluster-size.")
        st.stop()
    picker_box, level_box = st.columns([3, 1], vertical_alignment="bottom")
    with level_box:
        level = level_control(engine)
    by_id = {topic["id"]: topic for topic in level.topics}
    ids = [None, *by_id]
    index = url.index("topic", ids)
    chosen = picker_box.selectbox(
        "Choose a topic",
        ids,
        format_func=lambda c: "—" if c is None else f"{c}: {by_id[c]['label']} ({by_id[c]['size']:,})",
        placeholder="—",  # a keyed selectbox shows None, its first option, as no choice
        **url.bind("topic-choice", "topic", ids[index]),
    )
    if url.value("topic") and index == 0:
        st.warning("The topic named in the link does not exist in this model set.")
    url.write(topic=chosen)
    # The chosen topic first; without one, the table of every topic (or the comparison over time a link asks for).
    comparing = bool(url.value("compare") or url.value("grow_from"))
    default = TABS[0] if chosen is not None else TABS[2] if comparing else TABS[1]
    # Keyed by the chosen topic: choosing one shows its tab, and working in another tab keeps that tab (tabs keep the
    # one last shown while their key stays, whatever their default).
    topic_tab, table_tab, time_tab = st.tabs(list(TABS), default=default, key=f"topic-tabs-{chosen}")
    with table_tab:
        st.dataframe(cache.topics_table(engine, level.index), hide_index=True)
    with time_tab:
        over_time(engine, level, by_id, chosen)
    with topic_tab:
        if chosen is None:
            st.info("Choose a topic above to see its keywords, papers per year and papers; every topic is in the next tab.")
        else:
            topic_section(engine, by_id[chosen], level.index)
