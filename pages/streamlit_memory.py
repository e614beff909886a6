"""Keep what Streamlit remembers bounded: a vanished widget's metadata (per session) and a cache's compute locks.

**Widgets.** Streamlit 1.67 removes the state of a widget a run no longer drew, but keeps its metadata (serializer,
callbacks: about 1 KB) and its key's mapping for as long as the session lives. Every result row's expander is a new
widget (its id holds the row's snippet), so a session searching without pause grew by some 7 MB a minute: under the
load test (50 sessions) two app processes gained 205 MB in 14 minutes, and gc counted 7,000 more WidgetMetadata a
minute in one process (docs/BENCHMARKS.md). A person's session grows far slower, but a tab open for a week of
searching kept every row it ever showed. `forget_vanished_widgets` wraps Streamlit's own clean-up at the end of a run
(SessionState._remove_stale_widgets): the widgets it finds stale (not drawn by a complete run, or by a fragment's run
for the fragment's own widgets) lose their metadata and key mapping as well as their value. A run cut short by a
rerun does not clean up, as before. What a user sees does not change: a widget without metadata is one Streamlit
treats as gone.

**Compute locks.** A cached function (pages/cache.py) takes a lock per distinct argument set while it computes, so
that sessions asking for the same value at once compute it once; Streamlit keeps every such lock in a dict for the
life of the process (cache_utils.Cache._value_locks: its own comment says they could be dropped once the value is
written), two per distinct query here. `bound_compute_locks` drops the locks nobody holds whenever a cache has
gathered LOCKS_KEPT of them.

Both patch Streamlit's classes once per process, as pages/url.py does for long links; on a Streamlit version without
these parts they do nothing, and tests/test_streamlit_memory.py fails on the pinned version if either stops working.
"""

from __future__ import annotations

import threading
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


def _has_parts(state: Any) -> bool:
    """Whether a SessionState holds what _forget changes, laid out as in Streamlit 1.67."""
    mapper = getattr(state, "_key_id_mapper", None)
    return hasattr(getattr(state, "_new_widget_state", None), "widget_metadata") and hasattr(mapper, "_key_id_mapping")


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
        stale = []
        if ctx is not None and _has_parts(self):
            # Decided before Streamlit's clean-up, which reads the same metadata to decide which values to drop.
            fragments = ctx.fragment_ids_this_run
            metadata = self._new_widget_state.widget_metadata
            stale = [key for key, meta in metadata.items() if is_stale(meta, active_widget_ids, fragments)]
        original(self, active_widget_ids)
        _forget(self, stale)

    remove_stale_widgets.forgets_vanished_widgets = True
    remove_stale_widgets.__wrapped__ = original
    cls._remove_stale_widgets = remove_stale_widgets
    return True


# Locks a cache keeps before those nobody holds are dropped: enough for the values being computed at once by every
# session of a busy server (50 in the load test), few enough that the dict stays small (a lock and a 32-character key
# each).
LOCKS_KEPT = 256


def bound_compute_locks() -> bool:
    """Let each Streamlit cache drop its idle compute locks once it holds LOCKS_KEPT (once per process); True when in
    effect. A lock dropped just as a run took it, before it acquired it, lets a second run compute the same value
    alongside: the same result twice, never a wrong one."""
    try:
        from streamlit.runtime.caching import cache_utils
    except ImportError:
        return False
    cls = getattr(cache_utils, "Cache", None)
    original = getattr(cls, "compute_value_lock", None)
    if original is None:
        return False
    if getattr(original, "bounds_compute_locks", False):
        return True

    def compute_value_lock(self: Any, value_key: str) -> threading.Lock:
        locks, guard = getattr(self, "_value_locks", None), getattr(self, "_value_locks_lock", None)
        if isinstance(locks, dict) and guard is not None:
            with guard:
                if len(locks) >= LOCKS_KEPT and value_key not in locks:
                    for key in [key for key, lock in locks.items() if not lock.locked()]:
                        del locks[key]
        return original(self, value_key)

    compute_value_lock.bounds_compute_locks = True
    compute_value_lock.__wrapped__ = original
    cls.compute_value_lock = compute_value_lock
    return True


def bound_streamlit_memory() -> None:
    """Install both bounds (once per process; app.py calls it on every run)."""
    forget_vanished_widgets()
    bound_compute_locks()
