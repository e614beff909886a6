"""The app's pages, defined once, and the one way to link to them.

app.py's st.navigation and every in-app link (page links, buttons that switch pages, link columns) use the pages
below, and every link built here carries the view's model set (`model=`): without it a link would open the default
set, or on a copied link a different one. Streamlit's own sidebar navigation drops the query string; the model-set
picker covers it by remembering the session's set (pages/picker.py).

Light on purpose: app.py imports it before sending its Plotly warm-up, so nothing here may import `lib`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlencode

import streamlit as st

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

    from lib.engine import Engine


@dataclass(frozen=True)
class AppPage:
    """One page of the app: its file under pages/, title and icon, and its URL path (None: the default page, at /).

    The URL path is the file's name: a server's first request is resolved by the files in pages/ before app.py declares
    the pages, so /whats-new for pages/whats_new.py showed "Page not found" on a freshly started server.
    """

    path: str
    title: str
    icon: str
    url_path: str | None = None
    hidden: bool = False

    def st_page(self) -> StreamlitPage:
        """This page as an st.Page, made anew on every use.

        st.navigation marks the page it is about to run on the st.Page object itself (`_can_be_called`, which `run()`
        checks and clears: Streamlit 1.67, navigation/page.py), so one object shared by every session could be
        refused ("cannot be called directly") to one of two sessions opening that page at the same moment.
        """
        default = self.url_path is None
        visibility = "hidden" if self.hidden else "visible"
        return st.Page(self.path, title=self.title, icon=self.icon, url_path=self.url_path, default=default, visibility=visibility)


SEARCH = AppPage("pages/search.py", "Search", ":material/search:")
MAP = AppPage("pages/map.py", "Topic map", ":material/scatter_plot:", "map")
TOPICS = AppPage("pages/topics.py", "Topics", ":material/category:", "topics")
MARKED = AppPage("pages/marked.py", "Marked papers", ":material/bookmarks:", "marked")
WHATS_NEW = AppPage("pages/whats_new.py", "What's new", ":material/new_releases:", "whats_new")
PAPER = AppPage("pages/paper.py", "Paper", ":material/article:", "paper", hidden=True)
PAGES = (SEARCH, MAP, TOPICS, MARKED, WHATS_NEW, PAPER)


def params(engine: Engine, **values: object) -> dict[str, str]:
    """The query parameters of an in-app link: these values (None and empty ones left out) and the view's model set."""
    kept = {key: str(value) for key, value in values.items() if value is not None and str(value) != ""}
    return {**kept, "model": engine.name}


def page_link(engine: Engine, page: AppPage, label: str, icon: str | None = None, **values: object) -> None:
    """A link to a page of the app showing this view's model set (and these values); `icon=""` shows no icon."""
    st.page_link(page.st_page(), label=label, icon=page.icon if icon is None else icon, query_params=params(engine, **values))


def switch(engine: Engine, page: AppPage, **values: object) -> NoReturn:
    """Open a page of the app on this view's model set (and these values), as a button's action."""
    st.switch_page(page.st_page(), query_params=params(engine, **values))


def href(engine: Engine, page: AppPage, **values: object) -> str:
    """A page's address with this view's model set (and these values), for links drawn as plain URLs (table columns)."""
    return f"/{page.url_path or ''}?{urlencode(params(engine, **values))}"
