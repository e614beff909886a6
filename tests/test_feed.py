"""What's new (lib/whats_new.py), Atom feeds (lib/feed.py) and `python -m lib feed`, on a real updated copy of the demo set."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from lib.cli import main
from lib.demo import generate_demo_records
from lib.engine import load_engine
from lib.feed import ATOM_NS, FeedError, atom_feed, feed_id, is_atom_feed, write_feed
from lib.interests import make_interest, write_interest
from lib.update import UpdateOptions, update_model_set
from lib.whats_new import BY_DATE, BY_UPDATE, BY_WEEK, new_and_ranked, new_papers, newest_week_start, parse_date
from tests.conftest import write_jsonl

A = f"{{{ATOM_NS}}}"
HOSTILE_TITLE = 'Bounds for <script>alert(1)</script> & "quotes" in $O(n^2)$ \x01time'
FUTURE = "2099-01-02"
OLD = "2001-01-01"


def new_records(start: int, n: int, seed: int) -> list[dict]:
    """Synthetic papers the demo set does not hold (ids 2512.9xxxx), dated FUTURE."""
    records = generate_demo_records(n, seed=seed)
    return [{**record, "id": f"2512.{90000 + start + i:05d}", "update_date": FUTURE} for i, record in enumerate(records)]


def updated_copy(demo_model_set: Path, root: Path) -> dict:
    """A copy of the demo set updated twice: first 12 papers (one with a hostile title, one dated OLD: new to the set
    but not by date), then 3 more. Returns the folder and the ids each update added."""
    folder = shutil.copytree(demo_model_set, root / "demo")
    first = new_records(0, 12, seed=3)
    first[0]["title"] = HOSTILE_TITLE
    first[1]["update_date"] = OLD
    second = new_records(100, 3, seed=4)
    for i, records in enumerate((first, second)):
        path = write_jsonl(root / f"new-{i}.jsonl", records)
        update_model_set(UpdateOptions(folder, path), log=lambda message: None)
    return {"folder": folder, "first": [r["id"] for r in first], "second": [r["id"] for r in second]}


@pytest.fixture(scope="module")
def updated(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return updated_copy(demo_model_set, tmp_path_factory.mktemp("whats-new"))


@pytest.fixture(scope="module")
def engine(updated: dict):
    return load_engine(updated["folder"])


def ids_of(engine, rows) -> list[str]:
    return engine.catalogue.ids(rows)


def test_by_default_the_papers_of_the_last_update_are_new(engine, updated: dict) -> None:
    new = new_papers(engine.catalogue)
    assert new.basis == BY_UPDATE and new.update_at == engine.catalogue.manifest["updates"][-1]["at"]
    assert sorted(ids_of(engine, new.rows)) == sorted(updated["second"])
    assert "3 papers added by the last update" in new.description


def test_since_a_date_the_papers_dated_from_it_and_those_added_by_updates_since(engine, updated: dict) -> None:
    dates = engine.catalogue.papers["update_date"].to_numpy()
    future = new_papers(engine.catalogue, "2099-01-01")
    assert future.basis == BY_DATE
    expected = set(updated["first"] + updated["second"]) - {updated["first"][1]}  # the OLD one is not dated since
    assert set(ids_of(engine, future.rows)) == expected
    day = engine.catalogue.manifest["updates"][0]["at"][:10]
    since_update = new_papers(engine.catalogue, day)
    dated = {engine.catalogue.ids([row])[0] for row in np.flatnonzero(dates >= day)}
    assert set(ids_of(engine, since_update.rows)) == dated | set(updated["first"]) | set(updated["second"])
    assert updated["first"][1] in ids_of(engine, since_update.rows)  # added by an update since then, though dated 2001
    everything = new_papers(engine.catalogue, "1900-01-01")
    assert len(everything.rows) == len(engine.catalogue)
    shown = engine.catalogue.papers["update_date"].iloc[everything.rows].to_list()
    assert shown == sorted(shown, reverse=True)  # newest first
    for bad in ("2025-02-30", "yesterday", "2025-1-1"):
        with pytest.raises(ValueError, match="expected a date as YYYY-MM-DD"):
            parse_date(bad)


def test_a_set_never_updated_shows_its_newest_week(demo_model_set: Path) -> None:
    catalogue = load_engine(demo_model_set).catalogue
    new = new_papers(catalogue)
    dates = catalogue.papers["update_date"]
    start = newest_week_start(catalogue)
    assert new.basis == BY_WEEK and new.since == start
    assert np.datetime64(dates.max()) - np.datetime64(start) == np.timedelta64(6, "D")
    assert sorted(new.rows.tolist()) == np.flatnonzero((dates >= start).to_numpy()).tolist()
    assert "never updated" in new.description


def test_the_new_papers_are_ranked_by_the_interest_among_themselves(engine, updated: dict) -> None:
    more = [updated["first"][2], *engine.catalogue.ids([0])]
    less = engine.catalogue.ids([1])
    interest = make_interest("mine", more, [*less, "2401.99999"])
    result = new_and_ranked(engine, "2099-01-01", interest, 5)
    new = set(new_papers(engine.catalogue, "2099-01-01").rows.tolist())
    everything = engine.ranker.similar(more, len(engine.catalogue), negative=less, approximate=False)
    assert result.rows == [hit.row for hit in everything if hit.row in new][:5]
    assert result.scores == sorted(result.scores, reverse=True)
    assert updated["first"][2] not in ids_of(engine, result.rows)  # an interest's own paper is never listed
    assert any("2401.99999" in note for note in result.notes)
    plain = new_and_ranked(engine, "2099-01-01", None, 100)
    assert plain.scores is None and plain.rows == new_papers(engine.catalogue, "2099-01-01").rows.tolist()
    elsewhere = new_and_ranked(engine, None, make_interest("elsewhere", ["2401.99999"]), 10)
    assert elsewhere.scores is None and any("listed newest first" in note for note in elsewhere.notes)


def test_the_atom_feed_parses_escapes_and_keeps_the_order(engine, updated: dict) -> None:
    rows = [engine.catalogue.row_of(paper_id) for paper_id in updated["first"][:4]]
    data = atom_feed(engine.catalogue, rows, "What's new <&>", feed_id("demo", "a & b"), "4 papers", updated="2025-01-02T03:04:05+00:00")
    assert b"&lt;script&gt;" in data and b"&amp;" in data and b"<script>" not in data
    root = ET.fromstring(data)
    assert root.tag == A + "feed"
    assert [child.text for child in root.findall(A + "id")] == [feed_id("demo", "a & b")]
    assert [child.text for child in root.findall(A + "updated")] == ["2025-01-02T03:04:05Z"]
    assert root.findtext(A + "title") == "What's new <&>"
    entries = root.findall(A + "entry")
    assert [entry.findtext(A + "id") for entry in entries] == [f"https://arxiv.org/abs/{p}" for p in updated["first"][:4]]
    first = entries[0]
    assert first.findtext(A + "title") == HOSTILE_TITLE.replace("\x01", "")  # XML cannot hold \x01: dropped
    assert first.findtext(A + "updated") == f"{FUTURE}T00:00:00Z"
    paper = engine.catalogue.papers.iloc[rows[0]]
    assert [a.findtext(A + "name") for a in first.findall(A + "author")] == [n.strip() for n in paper["authors"].split(",")]
    assert first.findtext(A + "summary") == " ".join(paper["abstract"].split())
    links = {link.get("rel"): link.get("href") for link in first.findall(A + "link")}
    assert links == {"alternate": f"https://arxiv.org/abs/{updated['first'][0]}", "related": f"https://arxiv.org/pdf/{updated['first'][0]}"}
    assert [c.get("term") for c in first.findall(A + "category")] == paper["categories"].split()
    # A paper without an arXiv id (the demo set's own) gets a URN, no links.
    demo_entry = ET.fromstring(atom_feed(engine.catalogue, [0], "t", "urn:x")).find(A + "entry")
    assert demo_entry.findtext(A + "id").startswith("urn:arxiv-topic-search:paper:demo:demo-")
    assert demo_entry.find(A + "link") is None


def test_a_feed_replaces_a_feed_but_never_another_file(engine, tmp_path: Path) -> None:
    data = atom_feed(engine.catalogue, [0, 1], "t", "urn:x")
    out = tmp_path / "feed.xml"
    write_feed(data, out)
    assert is_atom_feed(out) and out.read_bytes() == data
    write_feed(atom_feed(engine.catalogue, [2], "t", "urn:x"), out)
    assert len(ET.parse(out).getroot().findall(A + "entry")) == 1
    notes = tmp_path / "notes.xml"
    notes.write_text("<?xml version='1.0'?><notes>mine</notes>")
    with pytest.raises(FeedError, match="exists and is not an Atom feed; it was left as it is"):
        write_feed(data, notes)
    assert notes.read_text() == "<?xml version='1.0'?><notes>mine</notes>"
    with pytest.raises(FeedError, match="is a folder"):
        write_feed(data, tmp_path)
    with pytest.raises(FeedError, match="does not exist"):
        write_feed(data, tmp_path / "no" / "feed.xml")
    (tmp_path / "link.xml").symlink_to(out)
    with pytest.raises(FeedError, match="symbolic link"):
        write_feed(data, tmp_path / "link.xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml", "link.xml", "notes.xml"]  # no temporary file left


def test_the_feed_command_writes_the_ranked_feed(engine, updated: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    interest_file = tmp_path / "mine.interest.json"
    interest = make_interest("mine", [updated["first"][2]], [], model="demo")
    write_interest(interest, interest_file)
    out = tmp_path / "feed.xml"
    args = ["feed", "--model", str(updated["folder"]), "--interest", str(interest_file), "--since", "2099-01-01", "--out", str(out)]
    assert main([*args, "--limit", "4"]) == 0
    printed = capsys.readouterr()
    assert f"wrote 4 of 14 papers dated 2099-01-01 or later, ranked by the interest 'mine' to {out}" in printed.out
    entries = ET.parse(out).getroot().findall(A + "entry")
    expected = new_and_ranked(engine, "2099-01-01", interest, 4)
    assert [e.findtext(A + "id") for e in entries] == [f"https://arxiv.org/abs/{p}" for p in ids_of(engine, expected.rows)]
    assert main(["feed", "--model", str(updated["folder"]), "--out", str(out)]) == 0  # defaults: the last update, newest first
    assert "wrote 3 of 3 papers added by the last update" in capsys.readouterr().out
    assert len(ET.parse(out).getroot().findall(A + "entry")) == 3


def test_the_feed_command_on_a_set_never_updated_says_so(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["feed", "--model", str(demo_model_set), "--out", str(tmp_path / "f.xml")]) == 0
    captured = capsys.readouterr()
    assert "note: 'demo' was never updated: its newest week is listed" in captured.err
    assert ET.parse(tmp_path / "f.xml").getroot().tag == A + "feed"


def test_feed_command_errors_are_one_line_and_exit_1(updated: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = str(updated["folder"])
    bad_interest = tmp_path / "bad.json"
    bad_interest.write_text("{not json")
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    cases = [
        (["--model", str(tmp_path / "none"), "--out", str(tmp_path / "f.xml")], "model set 'none' not found"),
        (["--model", model, "--interest", str(bad_interest), "--out", str(tmp_path / "f.xml")], "is not JSON (line 1"),
        (["--model", model, "--interest", str(tmp_path / "missing.json"), "--out", str(tmp_path / "f.xml")], "interest file not found"),
        (["--model", model, "--out", str(taken)], "exists and is not an Atom feed"),
        (["--model", model, "--since", "2025-02-30", "--out", str(tmp_path / "f.xml")], "expected a date as YYYY-MM-DD"),
    ]
    for args, says in cases:
        assert main(["feed", *args]) == 1, args
        err = capsys.readouterr().err
        assert err.startswith("error: ") and says in err and err.count("\n") == 1, err
    assert taken.read_text() == "keep me"
    assert not (tmp_path / "f.xml").exists()
    with pytest.raises(SystemExit) as raised:
        main(["feed", "--model", model, "--out", str(tmp_path / "f.xml"), "--since", "2025/01/01"])
    assert raised.value.code == 2
