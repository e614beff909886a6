"""Shared page furniture: URL-bound state, the model-set picker, cached engines and searches, paper cards."""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from lib.demo import DEMO_ID_PREFIX
from lib.exports import to_bibtex, to_csv
from lib.levels import Level
from lib.modelset import ModelSetError, list_model_sets
from lib.search import Engine, Hit, load_engine
from lib.text import arxiv_links, markdown_literal, markdown_with_math, year_of
from lib.urlstate import DROPPED_KEY, dropped_marker, dropped_problem, join_values, link_problem, parse_int

ROOT = Path(__file__).resolve().parent.parent
BUILD_HINT = (
    "make run    # or: python -m lib demo-data --out data/demo.jsonl.gz && python -m lib build --input data/demo.jsonl.gz --out models/demo"
)
PICKER_KEY = "model_set"
SEARCH_PAGE, MAP_PAGE, TOPICS_PAGE, PAPER_PAGE = "pages/search.py", "pages/map.py", "pages/topics.py", "pages/paper.py"
MARKED_PAGE = "pages/marked.py"
MARK_LABELS = {1: "more like", -1: "less like"}


def _guard_dropped_links() -> None:
    """Make a query string that Streamlit drops whole for its size say so instead of opening the page without it.

    Streamlit replaces a query string of more than 1,000 parameters or 512 Ki characters with nothing, before any
    page runs (lib/urlstate.py). Wrapped here, it becomes one parameter, DROPPED_KEY, holding the dropped one's size,
    which choose_engine turns into a message. Only in effect once this module has been imported in the server process
    (from a session's first run on); without the function this Streamlit version has, nothing changes.
    """
    try:
        from streamlit.runtime import app_session
        from streamlit.runtime.state import query_params
    except ImportError:
        return
    original = getattr(query_params, "sanitize_query_string", None)
    if original is None or getattr(original, "dropped_links_named", False):
        return

    def sanitize(query_string: str) -> str:
        kept = original(query_string)
        return dropped_marker(query_string) if query_string and not kept else kept

    sanitize.dropped_links_named = True
    sanitize.__wrapped__ = original
    query_params.sanitize_query_string = sanitize
    if getattr(app_session, "sanitize_query_string", None) is original:
        app_session.sanitize_query_string = sanitize


_guard_dropped_links()


def models_dir() -> Path:
    """Where model sets live: $MODELS_DIR or models/ beside app.py."""
    return Path(os.environ.get("MODELS_DIR", ROOT / "models"))


def url_value(key: str, default: str = "") -> str:
    """One value of the URL's query string."""
    return st.query_params.get(key, default)


def _url_with(values: dict[str, object]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The URL's parameters now, and as they would be with these values (lists comma-joined, empty values removed)."""
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    wanted = dict(current)
    for key, value in values.items():
        if value is None or (isinstance(value, str | list | tuple) and not value):
            wanted.pop(key, None)
        elif isinstance(value, list | tuple):
            joined = join_values(value)
            wanted[key] = joined if isinstance(joined, list) else [joined]
        else:
            wanted[key] = [str(value)]
    return current, wanted


def url_problem(**values: object) -> str | None:
    """Why the link would not reopen this view once these values are in it (lib/urlstate.py's limits), or None."""
    return link_problem(_url_with(values)[1])


def set_url(**values: object) -> str | None:
    """Write view state to the URL; empty values are removed so links stay short, lists are one comma-joined value.

    Returns why the link would not reopen this view when copied (over Streamlit's 1,000 parameters, or longer than
    the server takes: lib/urlstate.py), for the page to say so; None when it would.
    """
    current, wanted = _url_with(values)
    for key in values:
        if key not in wanted:
            if key in st.query_params:
                del st.query_params[key]
        elif current.get(key) != wanted[key]:
            st.query_params[key] = wanted[key] if len(wanted[key]) > 1 else wanted[key][0]
    return link_problem(wanted)


def url_index(key: str, options: list) -> int:
    """Position of the option whose text is the URL's value for key; 0 (the first) when absent or unknown."""
    wanted = url_value(key)
    return next((i for i, option in enumerate(options) if option is not None and str(option) == wanted), 0)


def url_int(key: str, default: int, low: int, high: int) -> int:
    """An integer of ASCII digits from the URL clamped to [low, high]; anything else gives the default."""
    return parse_int(st.query_params.get_all(key), default, low, high)


def listed(values: list[str], most: int = 5, width: int = 30) -> str:
    """A few values from a link as literal Markdown, each cut short: for notes about what a link held."""
    shown = [value if len(value) <= width else value[: width - 1] + "…" for value in values[:most]]
    more = f" and {len(values) - most:,} more" if len(values) > most else ""
    return markdown_literal(", ".join(shown), inline=True) + more


@st.cache_resource(show_spinner="Loading model set…")
def cached_engine(path: str, created_at: str | None) -> Engine:
    """One engine per model set per server process, shared by all sessions."""
    return load_engine(path)


def _picked(default: str) -> None:
    """Put the model set just picked in the URL (none for the default), so the rerun starts from it."""
    name = st.session_state[PICKER_KEY]
    set_url(model=name if name != default else None)


def choose_engine() -> Engine | None:
    """Sidebar picker of model sets; returns the loaded engine or None after explaining why not."""
    if DROPPED_KEY in st.query_params:
        dropped = dropped_problem(st.query_params.get_all(DROPPED_KEY))
        del st.query_params[DROPPED_KEY]
        if dropped:
            st.warning(dropped)
    sets = list_model_sets(models_dir())
    if not sets:
        st.info(f"No model set found under {markdown_literal(str(models_dir()), inline=True)}. Build one:")
        st.code(BUILD_HINT, language="bash")
        return None
    names = [info.name for info in sets]
    wanted = url_value("model")
    default = names[next((i for i, info in enumerate(sets) if not info.error), 0)]
    if wanted and wanted not in names:
        st.sidebar.warning("The model set named in the link is not here; showing another.")
    # The URL decides; a keyed picker keeps its identity across runs, and a pick goes to the URL before the rerun.
    st.session_state[PICKER_KEY] = wanted if wanted in names else default

    def describe(name: str) -> str:
        info = sets[names.index(name)]
        if info.error:
            return f"{name} · broken"
        badge = " · synthetic demo data" if info.synthetic else ""
        kind = " · full text" if info.full_text else ""
        return f"{name}{kind} · {info.papers or 0:,} papers · built {(info.created_at or '')[:10]}{badge}"

    name = st.sidebar.selectbox("Model set", names, format_func=describe, key=PICKER_KEY, on_change=_picked, args=(default,))
    set_url(model=name if (name != default or wanted) else None)
    info = sets[names.index(name)]
    if info.synthetic:
        st.sidebar.warning("Synthetic demo data: for trying the app, not for research.")
    # Set names and messages (which quote names and paths) are shown as typed, never as Markdown.
    if info.error:
        st.error(markdown_literal(info.error))
        return None
    try:
        engine = cached_engine(str(info.path), info.created_at)
    except ModelSetError as exc:
        st.error(markdown_literal(str(exc)))
        return None
    for message in engine.model_set.warnings:
        st.warning(markdown_literal(message))
    return engine


@st.cache_data(max_entries=2000, show_spinner=False)
def cached_search(
    path: str, created_at: str | None, query: str, k: int, categories: tuple[str, ...], years: tuple[int, int] | None, mode: str = "hybrid"
) -> list[Hit]:
    """Search results cached per model set, query and filters."""
    return cached_engine(path, created_at).search(query, k=k, categories=categories, years=years, mode=mode)


@st.cache_data(max_entries=2000, show_spinner=False)
def cached_similar(path: str, created_at: str | None, paper_id: str | tuple[str, ...], k: int, negative: tuple[str, ...] = ()) -> list[Hit]:
    """More-like-this (or more like these, less like those) results cached per model set and papers."""
    return cached_engine(path, created_at).similar(paper_id if isinstance(paper_id, str) else list(paper_id), k=k, negative=list(negative))


def engine_key(engine: Engine) -> tuple[str, str | None]:
    """The cache key of an engine: its folder and build time."""
    return str(engine.model_set.path), engine.manifest.get("created_at")


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
    paper = engine.papers.iloc[row]
    with st.container(border=True):
        st.markdown(f"**{markdown_with_math(paper['title'], inline=True)}**")
        details = [paper["authors"], year_of(paper["update_date"]), paper["categories"]]
        meta = " · ".join(markdown_literal(part, inline=True) for part in details if part)
        topic = markdown_literal(engine.topic_label(int(paper["cluster"])), inline=True)
        scored = f" · score {score:.3f}" if score is not None else ""
        st.caption(f"{meta}{scored} · topic: {topic} · {paper_links(paper['id'])}")
        if has_text(paper["abstract"]):
            with st.expander("Abstract"):
                st.markdown(markdown_with_math(paper["abstract"]))
        if actions:
            left, middle, right = st.columns(3)
            if left.button("More like this", key=f"like-{key}-{paper['id']}"):
                st.switch_page(SEARCH_PAGE, query_params=with_model({"like": paper["id"]}))
            with middle:
                st.page_link(PAPER_PAGE, label="Paper page", icon=":material/article:", query_params=with_model({"id": paper["id"]}))
            with right:
                mark_control(engine, str(paper["id"]), key)


def level_control(engine: Engine) -> Level:
    """A slider from the finest topics to the coarsest level, bound to the URL's `level`."""
    levels = engine.levels
    if len(levels) == 1:
        return levels[0]
    chosen = st.select_slider(
        "Topic level",
        list(range(len(levels))),
        value=url_int("level", 0, 0, len(levels) - 1),
        format_func=lambda i: f"{len(levels[i].topics)} topics" + (" (finest)" if i == 0 else ""),
        help="Coarser levels join the topics whose papers are most alike.",
    )
    set_url(level=chosen or None)
    return levels[chosen]


def marks(engine: Engine) -> dict[str, int]:
    """This session's marked papers of a model set: id -> 1 (more like) or -1 (less like), in marking order."""
    return st.session_state.setdefault("marks", {}).setdefault(engine.name, {})


def set_mark(engine: Engine, paper_id: str, mark: int | None) -> None:
    """Mark a paper as more like (1) or less like (-1), or unmark it (None)."""
    marked = marks(engine)
    marked.pop(paper_id, None)
    if mark:
        marked[paper_id] = mark


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


@st.cache_data(max_entries=64, show_spinner=False)
def cached_exports(path: str, created_at: str | None, rows: tuple[int, ...]) -> tuple[bytes, bytes]:
    """CSV and BibTeX of these papers, made once per list (a topic's 10,000 papers take seconds)."""
    records = cached_engine(path, created_at).records(list(rows))
    return to_csv(records), to_bibtex(records).encode("utf-8")


def export_buttons(engine: Engine, rows: list[int], name: str, key: str) -> None:
    """Download buttons for a list of papers as CSV and as BibTeX (nothing for an empty list)."""
    if not rows:
        return
    table, bibtex = cached_exports(*engine_key(engine), tuple(int(row) for row in rows))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "papers"
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("CSV", table, file_name=f"{stem}.csv", mime="text/csv", key=f"csv-{key}", icon=":material/download:")
    kind = "application/x-bibtex"
    right.download_button("BibTeX", bibtex, file_name=f"{stem}.bib", mime=kind, key=f"bib-{key}", icon=":material/download:")


def with_model(params: dict[str, str]) -> dict[str, str]:
    """Page-link query parameters that keep the chosen model set."""
    model = url_value("model")
    return {**params, "model": model} if model else params
