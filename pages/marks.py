"""Marked papers: this session's "more like" and "less like" marks, per model set (the marked page ranks by them),
the marks a link carries, and marks saved to and restored from an interest file (lib/interests.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

import pages.url as url
from lib.interests import InterestError, make_interest, parse_interest
from lib.text import markdown_literal
from lib.urlstate import parse_ids

if TYPE_CHECKING:
    from lib.engine import Engine

MARK_LABELS = {1: "more like", -1: "less like"}
UPLOAD_KEY = "interest-upload"
NAME_KEY = "interest-name"
# What the last restore from a file did, shown once on the next run: (kind, message).
RESTORED_KEY = "interest-restored"
DEFAULT_INTEREST_NAME = "marked papers"


def marks(engine: Engine) -> dict[str, int]:
    """This session's marked papers of a model set: id -> 1 (more like) or -1 (less like), in marking order."""
    return st.session_state.setdefault("marks", {}).setdefault(engine.name, {})


def set_mark(engine: Engine, paper_id: str, mark: int | None) -> None:
    """Mark a paper as more like (1) or less like (-1), or unmark it (None)."""
    marked = marks(engine)
    marked.pop(paper_id, None)
    if mark:
        marked[paper_id] = mark


def marks_from_link(engine: Engine) -> list[str]:
    """Add the link's marks (`more=id1,id2`, `less=…`; the older repeated form reads too) to the session's, without
    changing papers already marked; return the link's ids that are not in the set."""
    marked = marks(engine)
    ignored = []
    for url_key, mark in (("more", 1), ("less", -1)):
        found, unknown = parse_ids(url.values(url_key), lambda paper_id: engine.catalogue.row_of(paper_id) is not None)
        ignored.extend(unknown)
        for paper_id in found:
            marked.setdefault(paper_id, mark)
    return ignored


def marked_lists(engine: Engine) -> tuple[list[str], list[str]]:
    """The ids marked "more like" and those marked "less like", in marking order."""
    marked = marks(engine)
    return [p for p, mark in marked.items() if mark == 1], [p for p, mark in marked.items() if mark == -1]


def _restore(engine: Engine) -> None:
    """The uploader's callback: the file's marks replace the session's (papers not in the set left out and named)."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        return
    try:
        interest = parse_interest(uploaded.getvalue(), f"'{uploaded.name}'")
    except InterestError as exc:
        st.session_state[RESTORED_KEY] = ("error", str(exc))
        return
    restored, missing = interest.marks(engine.catalogue.row_of)
    marked = marks(engine)
    marked.clear()
    marked.update(restored)
    url.write(more=None, less=None)  # the page writes the restored marks to the link
    st.session_state[NAME_KEY] = interest.name
    message = f"Restored {len(marked):,} marks from the interest '{interest.name}'"
    if interest.model and interest.model != engine.name:
        message += f" (saved from the model set '{interest.model}')"
    if missing:
        message += f"; {len(missing):,} of its papers are not in this model set and were left out: {', '.join(missing[:5])}"
    st.session_state[RESTORED_KEY] = ("warning" if missing or not marked else "success", message + ".")


def interest_files(engine: Engine) -> None:
    """Save the marks as an interest file (JSON) and restore marks from one: the file works on any set and from
    `python -m lib feed --interest FILE`."""
    restored = st.session_state.pop(RESTORED_KEY, None)
    if restored is not None:
        getattr(st, restored[0])(markdown_literal(restored[1]))
    more, less = marked_lists(engine)
    with st.expander("Save or restore marks as an interest file", expanded=not more):
        if more:
            name = st.text_input("Interest name", value=st.session_state.get(NAME_KEY, DEFAULT_INTEREST_NAME), max_chars=120)
            try:
                interest = make_interest(name, more, less, model=engine.name)
            except InterestError as exc:
                st.error(markdown_literal(str(exc)))
            else:
                st.download_button(
                    "Save as interest",
                    interest.to_bytes(),
                    file_name=interest.file_name(),
                    mime="application/json",
                    icon=":material/download:",
                    on_click="ignore",
                    help="A small JSON file of the marked papers: upload it here later, or rank new papers by it on "
                    "the What's new page or with `python -m lib feed --interest FILE`.",
                )
        st.file_uploader(
            "Restore marks from an interest file (they replace the current marks)",
            type=["json"],
            key=UPLOAD_KEY,
            on_change=_restore,
            args=(engine,),
        )
