"""The OAI-PMH harvester against a real HTTP server on 127.0.0.1 (tests/oai_server.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib.cli import main
from lib.harvest import (
    Client,
    HarvestError,
    HarvestRequest,
    harvest,
    load_state,
    parse_page,
    retry_after_seconds,
    state_path,
)
from lib.reading import read_papers
from tests.oai_server import OaiServer, Provider, make_papers

ROOT = Path(__file__).resolve().parent.parent


def quick_client(log: list[str] | None = None, delay: float = 0.0, retries: int = 3) -> Client:
    sink = log if log is not None else []
    return Client(delay=delay, retries=retries, backoff_first=0.05, log=sink.append)


def lines_of(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "the output ends with a complete line"
    return [json.loads(line) for line in text.splitlines()]


def expected_ids(papers, set_prefix: str = "") -> list[str]:
    return [p.id for p in papers if not p.deleted and p.categories.startswith(set_prefix)]


def test_a_harvest_lists_every_record_once_through_faults(tmp_path: Path) -> None:
    papers = make_papers(23, deleted=(4, 17))
    provider = Provider(papers, page_size=5, faults={1: "503", 3: "500", 4: "malformed", 6: "drop"})
    out = tmp_path / "cs.jsonl"
    log: list[str] = []
    with OaiServer(provider) as server:
        report = harvest(out, HarvestRequest(server.url), quick_client(log, delay=0.2), log.append)
    got = lines_of(out)
    assert [p["id"] for p in got] == expected_ids(papers)
    assert report.records == 21 and report.deleted == 2 and report.complete_size == 23
    # flow control: the retry after the 503 waited at least its Retry-After (1 s)
    times = [r["time"] for r in provider.requests]
    assert times[1] - times[0] >= 1.0
    # politeness: never two requests closer than the delay
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.2
    assert all("topic-search-harvester" in r["agent"] for r in provider.requests)
    assert any("Retry-After 1" in line for line in log)
    assert any("malformed page" in line for line in log)
    assert any("of 23 listed" in line for line in log)
    assert load_state(out).complete


def test_records_keep_latex_unicode_and_the_snapshot_schema(tmp_path: Path) -> None:
    papers = make_papers(3)
    out = tmp_path / "p.jsonl"
    with OaiServer(Provider(papers)) as server:
        harvest(out, HarvestRequest(server.url), quick_client(), lambda _: None)
    first = lines_of(out)[0]
    assert first["title"] == papers[0].title
    assert first["abstract"] == papers[0].abstract
    assert first["authors"] == "Jörg Müller, Ann B. Smith Jr, Author0"
    assert first["authors_parsed"] == [["Müller", "Jörg", ""], ["Smith", "Ann B.", "Jr"], ["Author0", "", ""]]
    assert first["categories"] == "math.PR" and first["update_date"] == "2025-01-01"
    assert first["comments"] == "12 pages" and first["doi"] is None
    assert "Schrödinger" in out.read_text(encoding="utf-8"), "Unicode is written as is, not escaped"
    table, report = read_papers(out)
    assert report.kept == 3 and not report.skipped
    assert table.to_frame()["title"].tolist() == [p.title for p in papers]


def test_set_and_dates_are_sent_and_no_match_is_an_empty_result(tmp_path: Path, capsys) -> None:
    papers = make_papers(12)
    provider = Provider(papers, page_size=4)
    with OaiServer(provider) as server:
        out = tmp_path / "cs.jsonl"
        assert main(["harvest", "--out", str(out), "--set", "cs", "--from", "2025-01-03", "--endpoint", server.url, "--delay", "0"]) == 0
        assert provider.requests[0]["query"] == {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-01-03"}
        assert [p["id"] for p in lines_of(out)] == [p.id for p in papers if p.categories.startswith("cs") and p.datestamp >= "2025-01-03"]
        empty = tmp_path / "none.jsonl"
        code = main(["harvest", "--out", str(empty), "--from", "2030-01-01", "--endpoint", server.url, "--delay", "0"])
    assert code == 0
    assert empty.read_text() == "" and load_state(empty).complete
    assert "no records match" in capsys.readouterr().err


def test_an_error_response_fails_with_its_code(tmp_path: Path, capsys) -> None:
    with OaiServer(Provider(make_papers(3))) as server:
        code = main(["harvest", "--out", str(tmp_path / "x.jsonl"), "--set", "nosuchset", "--endpoint", server.url, "--delay", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert "badArgument" in err and "Traceback" not in err


def test_a_page_that_stays_malformed_stops_and_a_rerun_continues(tmp_path: Path) -> None:
    papers = make_papers(20)
    provider = Provider(papers, page_size=5, broken_cursor=10)
    out = tmp_path / "p.jsonl"
    with OaiServer(provider) as server:
        with pytest.raises(HarvestError, match="run the same command again"):
            harvest(out, HarvestRequest(server.url), quick_client(retries=2), lambda _: None)
        assert [p["id"] for p in lines_of(out)] == expected_ids(papers)[:10]
        provider.heal()
        log: list[str] = []
        report = harvest(out, HarvestRequest(server.url), quick_client(), log.append)
    assert report.resumed
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert provider.requests[-4]["query"]["resumptionToken"].endswith("|10"), "the rerun asked for the page that failed"


def test_a_torn_last_page_is_dropped_and_harvested_again(tmp_path: Path) -> None:
    papers = make_papers(15)
    provider = Provider(papers, page_size=5, broken_cursor=10)
    out = tmp_path / "p.jsonl"
    with OaiServer(provider) as server:
        with pytest.raises(HarvestError):
            harvest(out, HarvestRequest(server.url), quick_client(retries=0), lambda _: None)
        with open(out, "a", encoding="utf-8") as handle:
            handle.write('{"id": "2501.00010", "title": "half a li')  # a kill in the middle of a write
        provider.heal()
        log: list[str] = []
        harvest(out, HarvestRequest(server.url), quick_client(), log.append)
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert any("dropping" in line for line in log)


def test_an_expired_token_lists_again_without_duplicates(tmp_path: Path) -> None:
    papers = make_papers(15)
    provider = Provider(papers, page_size=5, broken_cursor=10)
    out = tmp_path / "p.jsonl"
    with OaiServer(provider) as server:
        with pytest.raises(HarvestError):
            harvest(out, HarvestRequest(server.url), quick_client(retries=0), lambda _: None)
        provider.expire_tokens()
        provider.heal()
        log: list[str] = []
        report = harvest(out, HarvestRequest(server.url), quick_client(), log.append)
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert report.duplicates == 10
    assert any("no longer valid" in line for line in log)


def test_a_rerun_with_other_arguments_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    papers = make_papers(6)
    out = tmp_path / "p.jsonl"
    with OaiServer(Provider(papers)) as server:
        harvest(out, HarvestRequest(server.url, "cs"), quick_client(), lambda _: None)
        before = out.read_bytes()
        with pytest.raises(HarvestError, match="set cs"):
            harvest(out, HarvestRequest(server.url, "math"), quick_client(), lambda _: None)
        log: list[str] = []
        harvest(out, HarvestRequest(server.url, "cs"), quick_client(), log.append)
        assert any("already complete" in line for line in log)
        foreign = tmp_path / "mine.jsonl"
        foreign.write_text('{"id": "mine"}\n')
        with pytest.raises(HarvestError, match="not written by a harvest"):
            harvest(foreign, HarvestRequest(server.url), quick_client(), lambda _: None)
    assert out.read_bytes() == before
    assert foreign.read_text() == '{"id": "mine"}\n'


def test_a_long_retry_after_is_reported_not_waited_for(tmp_path: Path) -> None:
    provider = Provider(make_papers(3), faults={1: "503-long"})
    with OaiServer(provider) as server:
        started = time.monotonic()
        with pytest.raises(HarvestError, match="run the same command later"):
            harvest(tmp_path / "p.jsonl", HarvestRequest(server.url), quick_client(), lambda _: None)
    assert time.monotonic() - started < 10


def test_an_unreachable_endpoint_fails_after_bounded_tries(tmp_path: Path, capsys) -> None:
    code = main(["harvest", "--out", str(tmp_path / "p.jsonl"), "--endpoint", "http://127.0.0.1:9/oai", "--delay", "0", "--retries", "0"])
    assert code == 1
    assert "gave up after 1 tries" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("0", 0.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0)],
)
def test_retry_after_reads_seconds_and_dates(header: str | None, expected: float | None) -> None:
    now = 1445412470.0  # ten seconds before 2015-10-21 07:28:00 UTC
    assert retry_after_seconds(header, now=now) == expected


def test_parse_page_counts_deleted_and_reads_the_token() -> None:
    body = (
        b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords>"
        b"<record><header status='deleted'><identifier>oai:arXiv.org:1</identifier><datestamp>2020-01-01</datestamp></header></record>"
        b"<resumptionToken completeListSize='9' cursor='0'>abc</resumptionToken></ListRecords></OAI-PMH>"
    )
    page = parse_page(body)
    assert page.papers == [] and page.deleted == 1 and page.token == "abc" and page.complete_size == 9


def test_kill_9_at_any_moment_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    papers = make_papers(60, deleted=(7, 33))
    provider = Provider(papers, page_size=3, page_delay=0.05)
    out = tmp_path / "killed.jsonl"
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with OaiServer(provider) as server:
        command = [sys.executable, "-m", "lib", "harvest", "--out", str(out), "--endpoint", server.url, "--delay", "0.02"]
        kills, partial = 0, 0
        for _ in range(40):
            before = out.stat().st_size if out.exists() else 0
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline and (not out.exists() or out.stat().st_size == before):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))
            if process.poll() is not None:
                break
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            partial += 0 < len(out.read_bytes().splitlines()) < len(expected_ids(papers))
        finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert kills >= 3 and partial >= 3, "the harvest was killed several times part-way through"
    ids = [p["id"] for p in lines_of(out)]
    assert ids == expected_ids(papers)
    assert len(ids) == len(set(ids))
    assert len(list(tmp_path.glob(".*.tmp"))) <= 1, "at most one temporary state file (the next save replaces it)"
    assert state_path(out).exists()


def test_two_harvests_into_one_file_cannot_run_at_once(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "p.jsonl"
    with open(tmp_path / ".p.jsonl.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(HarvestError, match="another harvest"):
            harvest(out, HarvestRequest("http://127.0.0.1:9/oai"), quick_client(), lambda _: None)
    assert not out.exists()
