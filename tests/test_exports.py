"""CSV and BibTeX exports: every field a reference manager needs, LaTeX kept valid, hostile text inert."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pandas as pd
import pytest
from pybtex.database import parse_string
from streamlit.testing.v1 import AppTest

from lib.engine import load_engine
from lib.exports import authors_list, bibtex_entry, latex_field, paper_year, to_bibtex, to_csv
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
    assert latex_field(r"Living \& Active, 5% \~n \^o ~ ^") == r"Living \& Active, 5\% \~n \^o \textasciitilde{} \textasciicircum{}"


@pytest.mark.parametrize(
    ("authors", "names"),
    [
        ("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("A.A. Serga, M. Kostylev, and B. Hillebrands", ["A.A. Serga", "M. Kostylev", "B. Hillebrands"]),
        ("J. Velasco, Jr., E. J. Heller, et al.", ["J. Velasco Jr.", "E. J. Heller"]),
        ("Solo (Somewhere U.)", ["Solo"]),
        ("", []),
        (None, []),
    ],
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
    hits = engine.ranker.search("qubits stabilizer codes", 7)
    records = engine.catalogue.records([hit.row for hit in hits])
    assert list(records["id"]) == [hit.paper_id for hit in hits]
    assert list(records["topic"]) == [engine.catalogue.topic_label(int(engine.catalogue.papers["cluster"].iloc[hit.row])) for hit in hits]
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

    like = load_engine(demo_model_set).catalogue.papers["id"].iloc[3]
    app.switch_page("pages/search.py")
    app.query_params.clear()
    app.query_params["like"] = like
    app.run()
    assert not app.exception and download_labels(app) == ["CSV", "BibTeX"]


# Author lists as arXiv writes them, into BibTeX that splits into the right names --------------------


def bibtex_names(author_field: str) -> list[str]:
    """The names BibTeX itself sees in an author field: words split at white space outside braces, names at the word "and"
    in any case (pybtex is more forgiving: it reads `A and and B` as two names, BibTeX as three, one of them empty)."""
    words = author_field.split()
    if "{" in author_field:
        words, word, depth = [], "", 0
        for char in author_field + " ":
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char.isspace() and depth == 0:
                words += [word] if word else []
                word = ""
            else:
                word += char
    names, name = [], []
    for word in [*words, "and"]:
        if word.lower() == "and":
            names.append(" ".join(name))
            name = []
        else:
            name.append(word)
    return names


def author_field(entry: str) -> str:
    """The author field of one entry as written (pybtex keeps only the persons it reads from it)."""
    found = re.search(r"^  author = \{(.*)\},?$", entry, re.MULTILINE)
    return found.group(1) if found else ""


def parsed_authors(authors: str) -> tuple[str, list]:
    """The author field of a paper's BibTeX entry, and the persons pybtex reads from it."""
    entry = bibtex_entry({"id": "0801.00001", "title": "t", "authors": authors}, "key")
    return author_field(entry), parse_string(entry, "bibtex").entries["key"].persons.get("author", [])


def test_a_comma_before_the_last_and_gives_no_empty_name() -> None:
    field, persons = parsed_authors("A.A. Serga, M. Kostylev, and B. Hillebrands")
    assert field == "A.A. Serga and M. Kostylev and B. Hillebrands"
    assert bibtex_names(field) == ["A.A. Serga", "M. Kostylev", "B. Hillebrands"]
    assert [(p.first_names, p.last_names) for p in persons] == [(["A.A."], ["Serga"]), (["M."], ["Kostylev"]), (["B."], ["Hillebrands"])]


@pytest.mark.parametrize(
    ("authors", "field"),
    [
        ("A. One, B. Two and C. Three", "A. One and B. Two and C. Three"),
        ("A. One and B. Two, and C. Three", "A. One and B. Two and C. Three"),
        ("A. One AND B. Two", "A. One and B. Two"),
        ("H\\'ercules H. Santana and, E. V. L. de Mello", "H\\'ercules H. Santana and E. V. L. de Mello"),  # a stray "and,"
        (
            "Marcelo Lopes Pereira,, Luiz Antonio Ribeiro,, Douglas Soares Galvão",
            "Marcelo Lopes Pereira and Luiz Antonio Ribeiro and Douglas Soares Galvão",
        ),
        ("A. One, , B. Two,", "A. One and B. Two"),  # empty parts
        ("Yasmine S. Al-Hamdani, .", "Yasmine S. Al-Hamdani"),  # a part without a letter
        ("NVIDIA, :, Chaeyeon Chung, Ilya Fedorov", "NVIDIA and Chaeyeon Chung and Ilya Fedorov"),
        ("The BABAR Collaboration, B. Aubert, et al", "{The BABAR Collaboration} and B. Aubert and others"),
        ("B. Aubert et al.", "B. Aubert and others"),
        ("GlueX Collaboration, F. Afzal", "{GlueX Collaboration} and F. Afzal"),
        ("J. Smith for the ATLAS Collaboration", "J. Smith and {the ATLAS Collaboration}"),
        ("Photonic Inc, :, Francis Afzal", "{Photonic Inc} and Francis Afzal"),
        ("J. Keski-Rahkonen, J. Velasco, Jr., E. J. Heller", "J. Keski-Rahkonen and Velasco, Jr., J. and E. J. Heller"),
        ("Ann Li; Bo Wu; Cy Ng", "Ann Li and Bo Wu and Cy Ng"),
        (
            'Christian Krattenthaler (Universit\\"at Wien) and Thomas M\\"uller\n  (Queen Mary & Westfield College, University of London)',
            'Christian Krattenthaler and Thomas M\\"uller',
        ),
        (
            "A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n  Science and Technology Agency, (2) Russian Research "
            "Centre ``Kurchatov\n  Institute'', (3) The University of Tokyo)",
            "A. S. Mishchenko and N. Nagaosa",
        ),
        ("P. Romano (University of Leicester, B. Two", "P. Romano and B. Two"),  # an affiliation never closed
        (
            "Rastislav \\v{S}r\\'amek, Bro\\v{n}a Brejov\\'a, Mikkel {\\O}bro",
            "Rastislav \\v{S}r\\'amek and Bro\\v{n}a Brejov\\'a and Mikkel {\\O}bro",
        ),
        (
            "Gorka Mu\\~noz-Gil, J\\'er\\^ome Dubail, Yuhao~Zhao",
            "Gorka Mu\\~noz-Gil and J\\'er\\^ome Dubail and Yuhao Zhao",
        ),  # accents kept
        ("et al.", ""),
        ("", ""),
    ],
)
def test_author_lists_become_bibtex_names_that_split_as_meant(authors: str, field: str) -> None:
    written, persons = parsed_authors(authors)
    assert written == field
    names = bibtex_names(written) if written else []
    assert len(names) == len(persons) and all(names)
    assert all(person.last_names and any(char.isalpha() for char in str(person)) for person in persons)


def test_every_paper_of_the_real_sample_gives_authors_that_bibtex_splits_into_non_empty_names(real_sample) -> None:
    with gzip.open(real_sample, "rt", encoding="utf-8") as lines:
        papers = pd.DataFrame([json.loads(line) for line in lines])
    bibtex = to_bibtex(papers)
    entries = parse_string(bibtex, "bibtex").entries
    fields = [author_field(entry) for entry in bibtex.split("\n@misc{")]
    assert len(entries) == len(fields) == len(papers) == 50_023
    empty, unsplit, nameless = [], [], []
    for (key, entry), field, authors in zip(entries.items(), fields, papers["authors"], strict=True):
        names = bibtex_names(field) if field else []
        persons = entry.persons.get("author", [])
        if not all(names) or any(name.lower() == "and" for name in names):
            empty.append((key, authors, field))
        if len(names) != len(persons):
            unsplit.append((key, authors, field))
        if not all(person.last_names and any(char.isalpha() for char in str(person)) for person in persons):
            nameless.append((key, authors, field))
        if authors.strip() and not persons:
            nameless.append((key, authors, field))
    assert not empty, f"{len(empty)} entries with an empty name, e.g. {empty[:3]}"
    assert not unsplit and not nameless, (
        f"{len(unsplit)} split otherwise by pybtex, {len(nameless)} without a name, e.g. {(unsplit + nameless)[:3]}"
    )
