"""CSV and BibTeX exports: every field a reference manager needs, LaTeX kept valid, hostile text inert."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from pybtex.database import parse_string
from streamlit.testing.v1 import AppTest

from lib.exports import authors_list, latex_field, paper_year, to_bibtex, to_csv
from lib.search import load_engine
from tests.conftest import ROOT

PAPERS = pd.DataFrame(
    [
        {
            "id": "2401.01234",
            "title": r"Spin $\alpha_{1}$ chains & 50% of {unbalanced braces } } \textit{fine} #1 a_b",
            "authors": "Jörg Müller (MIT), B. Smith and C. D. Doe",
            "categories": "cs.LG stat.ML",
            "update_date": "2024-02-01",
            "topic": '=HYPERLINK("http://evil")',
        },
        {
            "id": "hep-th/9901001",
            "title": "Strings}} @misc{injected, title={x}",
            "authors": "E. Witten",
            "categories": "hep-th",
            "update_date": "2001-01-05",
            "topic": "strings",
        },
        {
            "id": "2401.01235",
            "title": "Spin chains again\\",
            "authors": "J. Müller",
            "categories": "cs.LG",
            "update_date": None,
            "topic": "-1+2",
        },
        {"id": "demo-2401.00001", "title": "A synthetic paper", "authors": "", "categories": "", "update_date": "2023-05-01", "topic": "t"},
    ]
)


def test_bibtex_parses_back_with_every_field_and_unique_keys() -> None:
    entries = parse_string(to_bibtex(PAPERS), "bibtex").entries
    keys = list(entries)
    assert keys == ["muller2024spin", "witten1999strings", "muller2024spina", "arxiv2023synthetic"]
    first = entries["muller2024spin"]
    assert first.type == "misc"
    assert [str(person) for person in first.persons["author"]] == ["Müller, Jörg", "Smith, B.", "Doe, C. D."]
    assert first.fields["year"] == "2024" and first.fields["eprint"] == "2401.01234"
    assert first.fields["archivePrefix"] == "arXiv" and first.fields["primaryClass"] == "cs.LG"
    assert first.fields["url"] == "https://arxiv.org/abs/2401.01234"
    old = entries["witten1999strings"]
    assert old.fields["eprint"] == "hep-th/9901001" and old.fields["year"] == "1999"  # the id's year, not the update's
    assert "injected" not in entries  # a title cannot open an entry of its own
    synthetic = entries["arxiv2023synthetic"]
    assert "eprint" not in synthetic.fields and "url" not in synthetic.fields


def test_latex_in_titles_stays_valid() -> None:
    title = latex_field(PAPERS.loc[0, "title"])
    assert r"$\alpha_{1}$" in title  # math kept as written
    assert r"\&" in title and r"50\%" in title and r"\#1" in title and r"a\_b" in title
    assert title.count("{") == title.count("}")
    assert latex_field("Balanced {Ising} model") == "Balanced {Ising} model"
    assert latex_field("ends with a backslash\\") == r"ends with a backslash\textbackslash{}"


@pytest.mark.parametrize(
    ("authors", "names"),
    [("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]), ("Solo (Somewhere U.)", ["Solo"]), ("", []), (None, [])],
)
def test_authors_are_split_as_arxiv_writes_them(authors: object, names: list[str]) -> None:
    assert authors_list(authors) == names


def test_year_comes_from_the_id_then_the_date() -> None:
    assert paper_year("2401.01234", "2026-01-01") == "2024"
    assert paper_year("math/9912001", None) == "1999"
    assert paper_year("demo-1", "2023-05-01") == "2023" and paper_year("demo-1", None) == ""


def test_csv_has_the_columns_and_no_cell_a_spreadsheet_would_run() -> None:
    data = to_csv(PAPERS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["id", "title", "authors", "categories", "updated", "topic", "url"]
    assert [row["id"] for row in rows] == list(PAPERS["id"])
    assert rows[0]["authors"] == "Jörg Müller (MIT), B. Smith and C. D. Doe"
    assert rows[0]["topic"].startswith("'=") and rows[2]["topic"] == "'-1+2"
    assert rows[0]["url"] == "https://arxiv.org/abs/2401.01234" and rows[3]["url"] == ""
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_engine_records_feed_the_exports(demo_model_set) -> None:
    engine = load_engine(demo_model_set)
    hits = engine.search("qubits stabilizer codes", 7)
    records = engine.records([hit.row for hit in hits])
    assert list(records["id"]) == [hit.paper_id for hit in hits]
    assert list(records["topic"]) == [engine.topic_label(int(engine.papers["cluster"].iloc[hit.row])) for hit in hits]
    assert len(parse_string(to_bibtex(records), "bibtex").entries) == 7


def download_labels(app: AppTest) -> list[str]:
    return [button.proto.label for button in app.get("download_button")]


def test_search_results_topic_listing_and_more_like_this_offer_csv_and_bibtex(demo_model_set, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MODELS_DIR", str(demo_model_set.parent))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["q"] = "qubits stabilizer codes"
    app.run()
    assert not app.exception and download_labels(app) == ["CSV", "BibTeX"]

    app.switch_page("pages/topics.py")
    app.query_params["topic"] = "0"
    app.run()
    assert not app.exception and download_labels(app) == ["CSV", "BibTeX"]

    like = load_engine(demo_model_set).papers["id"].iloc[3]
    app.switch_page("pages/search.py")
    app.query_params.clear()
    app.query_params["like"] = like
    app.run()
    assert not app.exception and download_labels(app) == ["CSV", "BibTeX"]
