"""Keep a session's memory bounded: when Streamlit drops a vanished widget's value, drop what it kept of it too.

Streamlit 1.67 removes the state of a widget a run no longer drew, but keeps its metadata (serializer, callbacks:
about 1 KB) and its key's mapping for as long as the session lives. Every result row's expander is a new widget (its
id holds the row's snippet), so a session searching without pause grew by some 7 MB a minute: under the load test
(50 sessions) two app processes gained 205 MB in 14 minutes, and gc counted 7,000 more WidgetMetadata a minute in one
process (docs/BENCHMARKS.md). A person's session grows far slower, but a tab open for a week of searching kept every
row it ever showed.

`forget_vanished_widgets` wraps Streamlit's own clean-up at the end of a run (SessionState._remove_stale_widgets):
the widgets it finds stale (not drawn by a complete run, or by a fragment's run for the fragment's own widgets) lose
their metadata and key mapping as well as their value. A run cut short by a rerun does not clean up, as before. What a
user sees does not change: a widget without metadata is one Streamlit treats as gone. It patches Streamlit's class
once per process, as pages/url.py does for long links; on a Streamlit version without these parts it does nothing,
and tests/test_session_memory.py fails on the pinned version if the clean-up stops working.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def _forget(state: Any, widget_ids: Iterable[str]) -> None:
    """Drop these widgets' metadata and their keys' mappings from a SessionState (its lock is held by the caller)."""
    metadata = state._new_widget_state.widget_metadata
    forward, backward = state._key_id_mapper._key_id_mapping, state._key_id_mapper._id_key_mapping
    for widget_id in widget_ids:
        metadata.pop(widget_id, None)
        key = backward.pop(widget_id, None)
        if key is not None and forward.get(key) == widget_id:
            del forward[key]


def forget_vanished_widgets() -> bool:
    """Make Streamlit's end-of-run clean-up forget vanished widgets entirely (once per process); True when in effect."""
    try:
        from streamlit.runtime.state import session_state as module
    except ImportError:
        return False
    cls, is_stale = getattr(module, "SessionState", None), getattr(module, "_is_stale_widget", None)
    original = getattr(cls, "_remove_stale_widgets", None)
    if original is None or is_stale is None:
        return False
    if getattr(original, "forgets_vanished_widgets", False):
        return True

    def remove_stale_widgets(self: Any, active_widget_ids: frozenset[str]) -> None:
        ctx = get_script_run_ctx()
        try:
            metadata = self._new_widget_state.widget_metadata
            self._key_id_mapper._key_id_mapping  # noqa: B018 - the parts _forget needs, checked before anything changes
        except AttributeError:
            ctx = None
        fragments = None if ctx is None else ctx.fragment_ids_this_run
        # Decided before Streamlit's clean-up, which reads the same metadata to decide which values to drop.
        stale = [] if ctx is None else [key for key, meta in metadata.items() if is_stale(meta, active_widget_ids, fragments)]
        original(self, active_widget_ids)
        _forget(self, stale)

    remove_stale_widgets.forgets_vanished_widgets = True
    remove_stale_widgets.__wrapped__ = original
    cls._remove_stale_widgets = remove_stale_widgets
    return True
