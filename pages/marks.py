"""Marked papers: this session's "more like" and "less like" marks, per model set (the marked page ranks by them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from lib.engine import Engine

MARK_LABELS = {1: "more like", -1: "less like"}


def marks(engine: Engine) -> dict[str, int]:
    """This session's marked papers of a model set: id -> 1 (more like) or -1 (less like), in marking order."""
    return st.session_state.setdefault("marks", {}).setdefault(engine.name, {})


def set_mark(engine: Engine, paper_id: str, mark: int | None) -> None:
    """Mark a paper as more like (1) or less like (-1), or unmark it (None)."""
    marked = marks(engine)
    marked.pop(paper_id, None)
    if mark:
        marked[paper_id] = mark
