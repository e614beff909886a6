"""Daily runs: `harvest --since-model` then `update`, against the local OAI-PMH server (tests/oai_server.py).

Each test updates its own copy of the session's demo model set. The server lists the set's own newest papers again
(OAI-PMH `from` is inclusive, so their day is fetched again) and new papers dated after them; a second day brings
more papers and a new version of one (a withdrawal, as arXiv marks one: a new abstract).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from lib.cli import main
from lib.demo import generate_demo_records
from lib.harvest import HarvestError, load_state, newest_set_date
from lib.modelset import PAPERS, load_papers_frame, read_manifest
from tests.oai_server import OaiServer, Paper, Provider

WITHDRAWN = "This paper has been withdrawn by the authors due to an error in the main proof."


def day_after(day: str, days: int = 1) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def served(record: dict, datestamp: str) -> Paper:
    """A record as the OAI server lists it (authors split so that the harvest joins them back as they were)."""
    authors = [(name.rsplit(" ", 1)[-1], name.rsplit(" ", 1)[0] if " " in name else "", "") for name in record["authors"].split(", ")]
    return Paper(record["id"], record["title"], record["abstract"], authors, record["categories"], datestamp)


def new_records(n: int, seed: int, prefix: str) -> list[dict]:
    """Demo papers the set does not hold, with ids and titles of their own."""
    records = generate_demo_records(n, seed=seed)
    return [{**r, "id": f"{prefix}.{i:05d}", "title": f"{r['title']} ({prefix} {i})"} for i, r in enumerate(records)]


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def harvest_args(out: Path, model: Path, url: str) -> list[str]:
    return ["harvest", "--out", str(out), "--since-model", str(model), "--endpoint", url, "--delay", "0", "--retries", "0"]


@pytest.fixture
def model(demo_model_set: Path, tmp_path: Path) -> Path:
    return shutil.copytree(demo_model_set, tmp_path / "models" / "demo")


def test_harvest_then_update_twice_keeps_the_set_current_without_duplicates(model: Path, tmp_path: Path, capsys) -> None:
    papers = load_papers_frame(model / PAPERS)
    newest = newest_set_date(model)
    assert newest == papers["update_date"].max()
    same_day = papers[papers["update_date"] == newest].to_dict("records")
    older = papers[papers["update_date"] < newest].tail(3).to_dict("records")
    first = new_records(6, seed=11, prefix="2701")
    provider = Provider(
        [served(r, r["update_date"]) for r in older + same_day] + [served(r, day_after(newest)) for r in first], page_size=4
    )
    out = tmp_path / "daily.jsonl"
    with OaiServer(provider) as server:
        # Day 1: from the set's newest day; that day's papers come back and count as unchanged.
        assert main(harvest_args(out, model, server.url)) == 0
        assert provider.requests[0]["query"]["from"] == newest
        assert [p["id"] for p in lines_of(out)] == [r["id"] for r in same_day + first]
        assert main(["update", "--model", str(model), "--input", str(out)]) == 0
        record = read_manifest(model)["updates"][-1]
        assert (record["added"], record["replaced"], record["unchanged"]) == (len(first), 0, len(same_day))
        assert newest_set_date(model) == day_after(newest)

        # Day 2: the same command starts a new list from the new newest day, replacing the finished file; one paper of
        # day 1 has a new version (withdrawn), two papers are new.
        second = new_records(2, seed=12, prefix="2702")
        withdrawn = provider.papers[len(older) + len(same_day)]
        withdrawn.abstract, withdrawn.datestamp = WITHDRAWN, day_after(newest, 2)
        provider.papers += [served(r, day_after(newest, 2)) for r in second]
        requests_before = len(provider.requests)
        capsys.readouterr()
        assert main(harvest_args(out, model, server.url)) == 0
        assert provider.requests[requests_before]["query"]["from"] == day_after(newest)
        assert "replacing the earlier harvest" in capsys.readouterr().err
        got = [p["id"] for p in lines_of(out)]
        assert sorted(got) == sorted([r["id"] for r in first + second]) and len(got) == len(set(got))
        assert main(["update", "--model", str(model), "--input", str(out)]) == 0
        record = read_manifest(model)["updates"][-1]
        assert (record["added"], record["replaced"], record["unchanged"]) == (len(second), 1, len(first) - 1)

        # Day 3, nothing new: the newest day comes again, and the update leaves the set as it is.
        assert main(harvest_args(out, model, server.url)) == 0
        assert main(["update", "--model", str(model), "--input", str(out)]) == 0
    assert "nothing to add or replace" in capsys.readouterr().out
    after = load_papers_frame(model / PAPERS)
    assert len(after) == len(papers) + len(first) + len(second)
    assert after["id"].is_unique
    assert after.set_index("id").loc[withdrawn.id, "abstract"] == WITHDRAWN, "the paper stays, with its newer record"
    assert len(read_manifest(model)["updates"]) == 2


def test_an_interrupted_daily_harvest_continues_and_a_failed_update_is_fetched_again(model: Path, tmp_path: Path) -> None:
    newest = newest_set_date(model)
    records = new_records(12, seed=13, prefix="2703")
    provider = Provider([served(r, day_after(newest)) for r in records], page_size=4, broken_cursor=8)
    out = tmp_path / "daily.jsonl"
    with OaiServer(provider) as server:
        assert main(harvest_args(out, model, server.url)) == 1, "the third page stays malformed"
        assert len(lines_of(out)) == 8 and not load_state(out).complete
        provider.heal()
        requests_before = len(provider.requests)
        assert main(harvest_args(out, model, server.url)) == 0
        assert "resumptionToken" in provider.requests[requests_before]["query"], "the interrupted list is continued"
        assert [p["id"] for p in lines_of(out)] == [r["id"] for r in records]
        # No update ran: the set is as it was, so the next run lists the same papers again.
        requests_before = len(provider.requests)
        assert main(harvest_args(out, model, server.url)) == 0
        assert provider.requests[requests_before]["query"].get("from") == newest
    assert [p["id"] for p in lines_of(out)] == [r["id"] for r in records]
    assert load_state(out).newest == day_after(newest)


def test_the_start_day_skips_future_and_missing_dates_and_needs_a_set(model: Path, tmp_path: Path, capsys) -> None:
    papers = load_papers_frame(model / PAPERS)
    dates = sorted(set(papers["update_date"]))
    assert newest_set_date(model, today=dates[-2]) == dates[-2], "a date after today is passed over"
    with pytest.raises(HarvestError, match="no paper"):
        newest_set_date(model, today="1900-01-01")
    not_a_set = tmp_path / "empty"
    not_a_set.mkdir()
    assert main(harvest_args(tmp_path / "x.jsonl", not_a_set, "http://127.0.0.1:9/oai")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --since-model") and "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()
