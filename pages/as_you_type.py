"""Search as you type: results follow a pause in typing (pages/as_you_type.js presses Enter for the reader once
typing in a text input has paused for 0.6 s). A search run costs the server about 0.12 s of CPU at 20,000 papers
(docs/BENCHMARKS.md), and a pause, not a keystroke, starts one."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_TYPING = st.components.v2.component("as_you_type", js=Path(__file__).with_name("as_you_type.js").read_text(encoding="utf-8"))


def as_you_type(widget_key: str) -> None:
    """Commit the text input with this key after a pause in typing, as if Enter were pressed."""
    _TYPING(data={"selector": f".st-key-{widget_key} input"}, key=f"as-you-type-{widget_key}")
