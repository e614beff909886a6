"""URL state: every view's state lives in its query string, read and written here (parsing rules: lib/urlstate.py).

Reading never raises, whatever a link holds: numbers are ASCII digits clamped to a range, unknown values give the
default. Writing leaves out empty values (links stay short), joins lists with commas, and says when the link would
not reopen the view (over Streamlit's 1,000 parameters, or longer than the server takes).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib.text import markdown_literal
from lib.urlstate import DROPPED_KEY, dropped_marker, dropped_problem, join_values, link_problem, parse_int


def _name_dropped_links() -> None:
    """Make a query string that Streamlit drops whole for its size say so instead of opening the page without it.

    Streamlit replaces a query string of more than 1,000 parameters or 512 Ki characters with nothing, before any
    page runs (lib/urlstate.py). Wrapped here, it becomes one parameter, DROPPED_KEY, holding the dropped one's size,
    which the model-set picker turns into a message. Only in effect once this module has been imported in the server
    process (from a session's first run on); without the function this Streamlit version has, nothing changes.
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


_name_dropped_links()


def dropped_link() -> str | None:
    """What the link was when Streamlit dropped its query string for its size (taken out of the URL), or None."""
    if DROPPED_KEY not in st.query_params:
        return None
    problem = dropped_problem(values(DROPPED_KEY))
    del st.query_params[DROPPED_KEY]
    return problem


def value(key: str, default: str = "") -> str:
    """One value of the URL's query string (the last, when the key is repeated)."""
    return st.query_params.get(key, default)


def values(key: str) -> list[str]:
    """Every value the URL gives a key, in order (none when absent)."""
    return st.query_params.get_all(key)


def _with(changes: dict[str, object]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The URL's parameters now, and as they would be with these changes (lists comma-joined, empty values removed)."""
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    wanted = dict(current)
    for key, change in changes.items():
        if change is None or (isinstance(change, str | list | tuple) and not change):
            wanted.pop(key, None)
        elif isinstance(change, list | tuple):
            joined = join_values(change)
            wanted[key] = joined if isinstance(joined, list) else [joined]
        else:
            wanted[key] = [str(change)]
    return current, wanted


def problem(**changes: object) -> str | None:
    """Why the link would not reopen this view once these values are in it (lib/urlstate.py's limits), or None."""
    return link_problem(_with(changes)[1])


def write(**changes: object) -> str | None:
    """Write view state to the URL; empty values are removed so links stay short, lists are one comma-joined value.

    Returns why the link would not reopen this view when copied (over Streamlit's 1,000 parameters, or longer than
    the server takes: lib/urlstate.py), for the page to say so; None when it would.
    """
    current, wanted = _with(changes)
    for key in changes:
        if key not in wanted:
            if key in st.query_params:
                del st.query_params[key]
        elif current.get(key) != wanted[key]:
            st.query_params[key] = wanted[key] if len(wanted[key]) > 1 else wanted[key][0]
    return link_problem(wanted)


def bind(
    key: str, url_key: str, value: object, to_url: Callable[[object], object] | None = None, default: object = None
) -> dict[str, object]:
    """Keyword arguments that tie a widget to the URL's `url_key`: the widget is keyed, takes the URL's value (`value`,
    as the page reads it) on every run, and a change goes to the URL (through `to_url`) before the rerun reads it.

    A widget given its value from the URL without a key lost every other change: Streamlit (1.67) counts its value as
    part of its identity, so the run after a change made it a new widget, which started again from the URL's old
    value (a second query typed, or a second topic picked, was dropped). Pass no value of its own to the widget.
    `default`: a value the link leaves out (the page shows it when the link has none).
    """
    st.session_state[key] = value

    def changed() -> None:
        new = st.session_state[key]
        new = to_url(new) if to_url else new
        write(**{url_key: None if default is not None and new == default else new})  # the default is left out of the link

    return {"key": key, "on_change": changed}


def bind_fields(key: str, value: object, to_url: Callable[[object], dict[str, object]]) -> dict[str, object]:
    """`bind` for a widget whose value fills several URL keys (a range slider's two ends): `to_url` gives them."""
    st.session_state[key] = value

    def changed() -> None:
        write(**to_url(st.session_state[key]))

    return {"key": key, "on_change": changed}


def index(key: str, options: list) -> int:
    """Position of the option whose text is the URL's value for key; 0 (the first) when absent or unknown."""
    wanted = value(key)
    return next((i for i, option in enumerate(options) if option is not None and str(option) == wanted), 0)


def integer(key: str, default: int, low: int, high: int) -> int:
    """An integer of ASCII digits from the URL clamped to [low, high]; anything else gives the default."""
    return parse_int(values(key), default, low, high)


def listed(items: list[str], most: int = 5, width: int = 30) -> str:
    """A few values from a link as literal Markdown, each cut short: for notes about what a link held."""
    shown = [item if len(item) <= width else item[: width - 1] + "…" for item in items[:most]]
    more = f" and {len(items) - most:,} more" if len(items) > most else ""
    return markdown_literal(", ".join(shown), inline=True) + more
