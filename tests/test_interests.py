"""Saved interests (lib/interests.py): the file format, files from anywhere, and ranking by an interest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lib.engine import load_engine
from lib.interests import (
    MAX_BYTES,
    MAX_IDS,
    VERSION,
    Interest,
    InterestError,
    check_id,
    make_interest,
    parse_interest,
    rank_by_interest,
    read_interest,
    write_interest,
)


@pytest.fixture(scope="module")
def engine(demo_model_set: Path):
    return load_engine(demo_model_set)


def as_file(data: object) -> bytes:
    return json.dumps(data).encode("utf-8")


def test_an_interest_goes_to_a_file_and_back(tmp_path: Path) -> None:
    interest = make_interest("Spin foams & <loops>", ["2401.01234", "hep-th/9901001"], ["2312.04567"], model="cs-2024")
    assert interest.created and interest.model == "cs-2024"
    assert parse_interest(interest.to_bytes()) == interest
    path = tmp_path / interest.file_name()
    write_interest(interest, path)
    assert read_interest(path) == interest
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored == {
        "version": VERSION,
        "name": "Spin foams & <loops>",
        "more": ["2401.01234", "hep-th/9901001"],
        "less": ["2312.04567"],
        "created": interest.created,
        "model": "cs-2024",
    }
    assert interest.file_name() == "Spin-foams-loops.interest.json"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # the atomic write left nothing behind
    again = make_interest("Spin foams", ["2401.01234"])
    write_interest(again, path)  # replaces the file whole
    assert read_interest(path) == again


def test_ids_in_any_arxiv_form_are_stored_bare_and_once() -> None:
    forms = [
        "2401.01234",
        "arXiv:2401.01234v2",
        "https://arxiv.org/abs/2401.01234v3",
        "https://arxiv.org/pdf/2401.01234.pdf",
        "10.48550/arXiv.2401.01234",
    ]
    assert {check_id(form) for form in forms} == {"2401.01234"}
    assert check_id("hep-th/9901001v1") == "hep-th/9901001"
    assert check_id("demo-2401.00012") == "demo-2401.00012"  # sets may hold ids that are not arXiv's
    interest = parse_interest(as_file({"name": "x", "more": forms, "less": []}))
    assert interest.more == ("2401.01234",)
    # Hand-written files may leave out version, name, less and created; unknown keys are ignored.
    minimal = parse_interest(as_file({"more": ["2401.01234"], "comment": "from a later version"}))
    assert minimal == Interest("interest", ("2401.01234",), (), "", None)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "is not UTF-8"),
        (b"more: [2401.01234]", "is not JSON (line 1"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (as_file(["2401.01234"]), "holds a list; an interest is a JSON object"),
        (as_file({"name": "x"}), 'has no "more" list'),
        (as_file({"more": "2401.01234"}), '"more" is text; it must be a list'),
        (as_file({"more": [2401.01234]}), '"more" item 1 is a number'),
        (as_file({"more": ["2401.01234", None]}), '"more" item 2 is null'),
        (as_file({"more": ["2401.01234"], "less": ["two words"]}), '"less" item 1 ("two words") is not a paper id'),
        (as_file({"more": ["2401.01234\u0000"]}), "is not a paper id"),
        (as_file({"more": ["x" * 65]}), "is not a paper id"),
        (as_file({"more": ["x" * 500]}), "500 characters long"),
        (as_file({"more": [""]}), '"more" item 1 is empty'),
        (as_file({"more": []}), "needs at least one paper"),
        (as_file({"more": ["2401.01234"], "less": ["arXiv:2401.01234"]}), 'in both "more" and "less"'),
        (as_file({"more": ["2401.01234"], "version": 2}), "version 2; this program reads version 1"),
        (as_file({"more": ["2401.01234"], "version": "1"}), '"version" is text'),
        (as_file({"more": ["2401.01234"], "name": 7}), '"name" is a number'),
        (as_file({"more": ["2401.01234"], "name": "n" * 500}), "keep it to 120"),
        (as_file({"more": ["2401.01234"], "model": ["a"]}), '"model" is a list'),
        (as_file({"more": ["2401.01234"], "created": 5}), '"created" is a number'),
        (as_file({"more": [f"2401.{i:05d}" for i in range(MAX_IDS + 1)]}), f"holds at most {MAX_IDS:,}"),
        (b" " * (MAX_BYTES + 1), f"at most {MAX_BYTES // 1024} KB"),
    ],
)
def test_a_hostile_file_is_refused_with_one_line_that_says_what_to_do(data: bytes, says: str) -> None:
    with pytest.raises(InterestError) as raised:
        parse_interest(data, "upload.json")
    message = str(raised.value)
    assert says in message
    assert message.startswith("upload.json") and "\n" not in message and len(message) < 300


def test_a_big_file_is_not_read_whole_and_a_missing_one_is_named(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB that read_interest must not read
    with pytest.raises(InterestError, match=r"52,428,800 bytes; an interest file is at most 256 KB"):
        read_interest(big)
    with pytest.raises(InterestError, match="interest file not found"):
        read_interest(tmp_path / "nope.json")
    with pytest.raises(InterestError, match="not found or not a file"):
        read_interest(tmp_path)


def test_control_characters_in_names_do_not_reach_messages_or_files() -> None:
    interest = parse_interest(as_file({"name": "a\nb\x1b[31m", "more": ["2401.01234"], "created": "x\ny"}))
    assert interest.name == "a b [31m" and "\n" not in interest.created
    with pytest.raises(InterestError) as raised:
        check_id("\x1b[2J\u202e evil")
    assert "\x1b" not in str(raised.value) and "\u202e" not in str(raised.value)


def test_ids_not_in_the_set_are_reported_not_fatal(engine) -> None:
    ids = engine.catalogue.ids([0, 1, 2])
    interest = make_interest("mixed", [ids[0], "2401.99999", ids[1]], [ids[2], "hep-th/9901001"])
    ranking = rank_by_interest(engine, interest, 10)
    assert ranking.unknown == ["2401.99999", "hep-th/9901001"]
    assert ranking.usable and ranking.more == ids[:2] and ranking.less == ids[2:]
    assert ranking.hits == engine.ranker.similar(ids[:2], 10, negative=ids[2:])
    nothing = rank_by_interest(engine, make_interest("elsewhere", ["2401.99999"], [ids[0]]), 10)
    assert not nothing.usable and nothing.hits == [] and nothing.unknown == ["2401.99999"]


def test_ranking_among_some_rows_keeps_the_rankers_order(engine) -> None:
    ids = engine.catalogue.ids([5, 6])
    interest = make_interest("some", ids[:1], ids[1:])
    rows = np.arange(0, len(engine.catalogue), 7)  # every seventh paper, spread over every year
    ranked = rank_by_interest(engine, interest, 15, rows)
    everything = engine.ranker.similar(ids[:1], len(engine.catalogue), negative=ids[1:], approximate=False)
    chosen = set(rows.tolist())
    assert [hit.row for hit in ranked.hits] == [hit.row for hit in everything if hit.row in chosen][:15]
    assert not {hit.paper_id for hit in ranked.hits} & set(ids)  # the interest's own papers are never listed
    assert rank_by_interest(engine, interest, 15, np.zeros(0, dtype=np.int64)).hits == []
    few = rank_by_interest(engine, interest, 50, [7, 14, 21])
    assert sorted(hit.row for hit in few.hits) == [7, 14, 21]


def test_an_interest_gives_the_marks_of_the_papers_a_set_has_and_names_the_others() -> None:
    interest = make_interest("mine", ["2401.00001", "2401.00002"], ["2401.00003"])
    known = {"2401.00001": 0, "2401.00003": 2}
    assert interest.marks(known.get) == ({"2401.00001": 1, "2401.00003": -1}, ["2401.00002"])
