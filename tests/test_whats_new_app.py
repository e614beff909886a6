"""The What's new page and the interest file on the Marked papers page, driven by Streamlit's AppTest on an updated set."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from lib.engine import load_engine
from lib.feed import ATOM_NS
from lib.interests import make_interest, parse_interest
from lib.whats_new import new_and_ranked
from tests.conftest import ROOT
from tests.test_feed import updated_copy

APP = str(ROOT / "app.py")
A = f"{{{ATOM_NS}}}"


@pytest.fixture(scope="module")
def updated(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return updated_copy(demo_model_set, tmp_path_factory.mktemp("whats-new-app"))


@pytest.fixture(scope="module")
def engine(updated: dict):
    return load_engine(updated["folder"])


@pytest.fixture
def downloads(updated: dict, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The app's models folder is the updated set's; every download button's file is recorded by its file name."""
    monkeypatch.setenv("MODELS_DIR", str(updated["folder"].parent))
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return files


def open_page(page: str, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def listed_ids(app: AppTest) -> list[str]:
    """The arXiv ids of the paper cards, in order (from each card's arXiv link)."""
    return [m.group(1) for c in app.caption for m in [re.search(r"\(https://arxiv\.org/abs/([^)]+)\)", c.value)] if m]


def plain(markdown: str) -> str:
    """A message shown as literal Markdown (lib/text.py escapes punctuation), as the user reads it."""
    return markdown.replace("\\", "")


def feed_ids(data: bytes) -> list[str]:
    return [entry.findtext(A + "id").rsplit("/", 1)[-1] for entry in ET.fromstring(data).findall(A + "entry")]


def test_by_default_the_last_updates_papers_newest_first_with_three_downloads(downloads: dict, updated: dict) -> None:
    app = open_page("pages/whats_new.py")
    assert any("3 papers added by the last update" in c.value for c in app.caption)
    assert sorted(listed_ids(app)) == sorted(updated["second"])
    assert [b.proto.label for b in app.get("download_button")] == ["Atom feed", "CSV", "BibTeX"]
    assert sorted(feed_ids(downloads["whats-new.xml"])) == sorted(updated["second"])
    assert app.radio[0].value == "none"
    assert "since" not in app.query_params


def test_marked_papers_rank_the_papers_new_since_a_date(downloads: dict, updated: dict, engine) -> None:
    liked = updated["first"][2]
    app = open_page("pages/whats_new.py", since="2099-01-01", more=liked)
    assert app.radio[0].value == "marked"
    expected = new_and_ranked(engine, "2099-01-01", make_interest("marked papers", [liked]), 50)
    ids = engine.catalogue.ids(expected.rows)
    assert listed_ids(app) == ids and liked not in ids
    # The feed is made with the page; the CSV and BibTeX only when clicked (tests/test_browser.py downloads them).
    assert feed_ids(downloads["whats-new.xml"]) == ids
    assert app.query_params["since"] == "2099-01-01" and app.query_params["more"] == liked


def test_an_uploaded_interest_file_ranks_the_list_and_a_bad_one_is_named(downloads: dict, updated: dict, engine) -> None:
    app = open_page("pages/whats_new.py", since="2099-01-01")
    app.radio[0].set_value("file").run()
    assert app.query_params["by"] == "file"
    interest = make_interest("from a file", [updated["first"][3]], [updated["first"][4]])
    app.file_uploader[0].set_value(("mine.interest.json", interest.to_bytes(), "application/json")).run()
    assert not app.exception
    expected = new_and_ranked(engine, "2099-01-01", interest, 50)
    assert listed_ids(app) == engine.catalogue.ids(expected.rows)
    assert any("Most like the interest 'from a file'" in s.value for s in app.subheader)
    app.file_uploader[0].set_value(("bad.json", b"{nope", "application/json")).run()
    assert not app.exception
    assert "'bad.json' is not JSON" in plain(app.error[0].value)


def test_a_bad_date_in_the_link_is_named_and_the_default_shown(downloads: dict, updated: dict) -> None:
    app = open_page("pages/whats_new.py", since="2025-02-30")
    assert "is not a date" in plain(app.warning[0].value)
    assert sorted(listed_ids(app)) == sorted(updated["second"])


def test_save_marks_as_an_interest_then_restore_them_from_the_file(downloads: dict, engine) -> None:
    more, less = engine.catalogue.ids([3, 4]), engine.catalogue.ids([900])
    app = open_page("pages/marked.py", more=",".join(more), less=less[0])
    assert "Save as interest" in [b.proto.label for b in app.get("download_button")]
    saved = parse_interest(downloads["marked-papers.interest.json"])
    assert (saved.name, saved.more, saved.less, saved.model) == ("marked papers", tuple(more), tuple(less), "demo")
    # A fresh session with other marks: the file's marks replace them, and a paper the set lacks is named.
    other = engine.catalogue.ids([10])
    app = open_page("pages/marked.py", more=other[0])
    data = json.loads(saved.to_bytes())
    data["more"].append("2401.99999")
    app.file_uploader[0].set_value(("mine.interest.json", json.dumps(data).encode(), "application/json")).run()
    assert not app.exception, [e.value for e in app.exception]
    warning = plain(app.warning[0].value)
    assert "Restored 3 marks from the interest 'marked papers'" in warning and "2401.99999" in warning
    assert app.query_params["more"] == ",".join(more) and app.query_params["less"] == less[0]
    assert any(s.value == "Marked more like (2)" for s in app.subheader)
    app.file_uploader[0].set_value(("big.json", b" " * 300_000, "application/json")).run()
    assert "an interest file is at most 256 KB" in plain(app.error[0].value)
    assert app.query_params["more"] == ",".join(more)  # a refused file changes nothing


@pytest.mark.parametrize(
    "params",
    [
        {"since": "9" * 5000, "k": "--1", "by": "nonsense"},
        {"since": "0000-00-00", "k": "²", "by": "file", "more": "not-a-paper,,", "less": "\u202e"},
        {"since": "1900-01-01", "k": "999999999999", "by": "marked"},
    ],
)
def test_hostile_link_parameters_open_the_page(downloads: dict, params: dict) -> None:
    app = open_page("pages/whats_new.py", **params)
    assert app.title[0].value == "What's new"
