"""The OAI-PMH harvester against a real HTTP server on 127.0.0.1 (tests/oai_server.py)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from lib.cli import main
from lib.harvest import (
    DEFAULT_TIMEOUT,
    MAX_PAGES_WITHOUT_NEW,
    MAX_RESPONSE_BYTES,
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
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# A misbehaving server must not make a harvest run longer or grow larger than this; past either the
# harvest is killed and the test fails (it would otherwise hang the suite or fill the machine's memory).
GUARD_SECONDS = 25.0
GUARD_RSS_MB = 1000


# The harvest function with a short whole-request deadline (the command line keeps the default one).
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


@dataclass
class Guarded:
    """How a guarded run ended: exit code (None when the guard killed it), why it was killed, peak memory."""

    code: int | None
    killed: str | None
    seconds: float
    peak_mb: float
    stderr: str


# Runs `python -m MODULE ARGS` and, at exit, writes the process's own peak resident memory (VmHWM) to a file.
# The child's ru_maxrss is no use here: Linux carries the parent's high-water mark across fork and exec, so under
# a full test run (pytest at about 850 MB) every child seemed to peak at 850 MB.
PEAK_RUNNER = """
import atexit, os, runpy, sys
def report_peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["GUARD_PEAK_FILE"], "w") as out:
        out.write(peak)
atexit.register(report_peak)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_guarded(arguments: list[str], tmp_path: Path, seconds: float = GUARD_SECONDS, rss_mb: float = GUARD_RSS_MB) -> Guarded:
    """Run `python -m MODULE ARGS` (arguments start with "-m"); kill it past `seconds` or `rss_mb` of resident memory."""
    assert arguments[0] == "-m", arguments
    err_path = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    peak_path = tmp_path / f"peak-{time.monotonic_ns()}.txt"
    started = time.monotonic()
    with open(err_path, "wb") as err:
        command = [sys.executable, "-c", PEAK_RUNNER, *arguments[1:]]
        env = {**ENV, "GUARD_PEAK_FILE": str(peak_path)}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    killed, status, sampled_kb = None, None, 0
    while status is None:
        pid, status_now, _ = os.wait4(process.pid, os.WNOHANG)
        if pid:
            status = status_now
            break
        rss = 0
        with contextlib.suppress(OSError):
            status_text = Path(f"/proc/{process.pid}/status").read_text()
            rss = next((int(line.split()[1]) for line in status_text.splitlines() if line.startswith("VmRSS:")), 0)
        sampled_kb = max(sampled_kb, rss)
        if killed is None and rss > rss_mb * 1024:
            killed = f"memory: {rss / 1024:.0f} MB resident"
        elif killed is None and time.monotonic() - started > seconds:
            killed = f"time: still running after {seconds:.0f} s"
        if killed:
            os.kill(process.pid, signal.SIGKILL)
            _, status, _ = os.wait4(process.pid, 0)
            break
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    code = None if killed else process.returncode
    peak_kb = int(peak_path.read_text()) if peak_path.is_file() else sampled_kb  # a killed run wrote none
    return Guarded(code, killed, time.monotonic() - started, peak_kb / 1024, err_path.read_text(encoding="utf-8", errors="replace"))


def harvest_command(out: Path, url: str, *extra: str) -> list[str]:
    return ["-m", "lib", "harvest", "--out", str(out), "--endpoint", url, "--delay", "0", "--retries", "1", *extra]


def assert_ended_with_one_error_line(run: Guarded, *words: str) -> str:
    assert run.killed is None, f"the harvest had to be killed ({run.killed}); stderr ends: {run.stderr[-500:]}"
    assert run.code == 1, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def test_a_repeated_resumption_token_ends_the_run_naming_it_and_a_rerun_continues(tmp_path: Path) -> None:
    papers = make_papers(30)
    provider = Provider(papers, page_size=5, repeat_token_at=10)
    out = tmp_path / "loop.jsonl"
    with OaiServer(provider) as server:
        run = run_guarded(harvest_command(out, server.url), tmp_path)
        line = assert_ended_with_one_error_line(run, "g0||||10", "again")
        assert len(provider.requests) == 3, "the run stopped at the first repeat"
        assert [p["id"] for p in lines_of(out)] == expected_ids(papers)[:15]
        assert load_state(out).token == "g0||||10" and not load_state(out).complete
        again = run_guarded(harvest_command(out, server.url), tmp_path)
        assert assert_ended_with_one_error_line(again, "g0||||10") == line, "a rerun against the same server says the same"
        assert len(provider.requests) == 4, "the rerun asked for the token once"
        provider.heal()
        done = run_guarded(harvest_command(out, server.url), tmp_path)
    assert done.code == 0, done.stderr
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert load_state(out).complete


@pytest.mark.parametrize("empty", [False, True], ids=["same-records", "no-records"])
def test_pages_that_bring_no_new_record_end_the_run_and_a_rerun_continues(tmp_path: Path, empty: bool) -> None:
    papers = make_papers(30)
    provider = Provider(papers, page_size=5, stall_at=10, stall_empty=empty)
    out = tmp_path / "stall.jsonl"
    with OaiServer(provider) as server:
        run = run_guarded(harvest_command(out, server.url), tmp_path)
        line = assert_ended_with_one_error_line(run, "no new record", "g0||||10|")
        last_token = provider.requests[-1]["query"]["resumptionToken"]
        assert len(provider.requests) == 2 + MAX_PAGES_WITHOUT_NEW + (0 if empty else 1), "that many pages in a row, no more"
        assert [p["id"] for p in lines_of(out)] == expected_ids(papers)[: 10 if empty else 15]
        assert load_state(out).token.startswith("g0||||10|") and load_state(out).token != last_token
        assert "g0||||10|" in line
        provider.heal()
        done = run_guarded(harvest_command(out, server.url), tmp_path)
    assert done.code == 0, done.stderr
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)


def test_listing_again_after_an_expired_token_is_not_taken_for_a_stall(tmp_path: Path) -> None:
    """Relisting from the start brings only records written before, page after page: that is progress."""
    papers = make_papers(60)
    provider = Provider(papers, page_size=2, broken_cursor=50)
    out = tmp_path / "p.jsonl"
    with OaiServer(provider) as server:
        with pytest.raises(HarvestError):
            harvest(out, HarvestRequest(server.url), quick_client(retries=0), lambda _: None)
        provider.expire_tokens()
        provider.heal()
        report = harvest(out, HarvestRequest(server.url), quick_client(), lambda _: None)
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert report.duplicates == 50


@pytest.mark.parametrize("kind", ["endless", "endless-chunked", "endless-length"])
def test_an_endless_body_is_an_error_read_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    papers = make_papers(20)
    provider = Provider(papers, page_size=5, misbehaviour=kind, misbehave_from=3)
    out = tmp_path / "big.jsonl"
    with OaiServer(provider) as server:
        run = run_guarded(harvest_command(out, server.url), tmp_path)
        assert_ended_with_one_error_line(run, f"{MAX_RESPONSE_BYTES // 2**20} MiB")
        assert run.peak_mb < 250 + 4 * MAX_RESPONSE_BYTES / 2**20, f"peak {run.peak_mb:.0f} MB resident"
        assert len(provider.requests) == 3, "a page larger than the cap is not asked for again"
        assert [p["id"] for p in lines_of(out)] == expected_ids(papers)[:10]
        assert load_state(out).token == "g0||||10"
        provider.heal()
        done = run_guarded(harvest_command(out, server.url), tmp_path)
    assert done.code == 0, done.stderr
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)


def test_a_redirect_with_an_endless_body_is_followed_without_reading_it(tmp_path: Path) -> None:
    papers = make_papers(12)
    provider = Provider(papers, page_size=5, misbehaviour="endless-redirect", misbehave_from=2)
    out = tmp_path / "moved.jsonl"
    with OaiServer(provider) as server:
        run = run_guarded(harvest_command(out, server.url), tmp_path)
    assert run.killed is None and run.code == 0, (run.killed, run.stderr[-500:])
    assert run.peak_mb < 250 + 4 * MAX_RESPONSE_BYTES / 2**20, f"peak {run.peak_mb:.0f} MB resident"
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert [r["query"].get("resumptionToken") for r in provider.requests][1:] == ["g0||||5", "g0||||5", "g0||||10", "g0||||10"]


@pytest.mark.parametrize("kind", ["trickle-body", "trickle-headers"])
def test_a_trickling_server_meets_the_whole_request_deadline(tmp_path: Path, kind: str) -> None:
    papers = make_papers(20)
    provider = Provider(papers, page_size=5, misbehaviour=kind, misbehave_from=2, trickle_interval=0.3)
    out = tmp_path / "slow.jsonl"
    with OaiServer(provider) as server:
        # Without the deadline the trickle lasts until the guard kills the run; with it: two tries of 2 s, a 5 s
        # backoff and the start-up (10 to 18 s seen here on a loaded machine).
        run = run_guarded(harvest_command(out, server.url, "--timeout", "2"), tmp_path, seconds=60)
        assert_ended_with_one_error_line(run, "gave up after 2 tries", "within 2 s", "run the same command again")
        assert run.seconds < 40
        assert len(provider.requests) == 3
        assert [p["id"] for p in lines_of(out)] == expected_ids(papers)[:5]
        provider.heal()
        done = run_guarded(harvest_command(out, server.url, "--timeout", "2"), tmp_path)
    assert done.code == 0, done.stderr
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)


def test_the_default_deadline_is_a_few_minutes() -> None:
    assert 60 <= DEFAULT_TIMEOUT <= 600
    assert Client().timeout == DEFAULT_TIMEOUT


@pytest.mark.parametrize(
    ("attribute", "text"),
    [
        ("list_size_text", "lots"),
        ("list_size_text", "-1"),
        ("list_size_text", "1e6"),
        ("list_size_text", "\u00b2"),
        ("list_size_text", "\u0661\u0662"),
        ("list_size_text", "9" * 5000),
        ("list_size_text", "123456789012345678901234567890"),
        ("cursor_text", "soon"),
        ("cursor_text", "\u00b2"),
        ("cursor_text", "9" * 5000),
        ("cursor_text", "123456789012345678901234567890"),
    ],
    ids=lambda value: value if len(value) < 40 else f"{len(value)}-digits",
)
def test_a_nonsense_list_size_or_cursor_is_ignored_for_progress(tmp_path: Path, capsys, attribute: str, text: str) -> None:
    papers = make_papers(12)
    provider = Provider(papers, page_size=5)
    setattr(provider, attribute, text)
    out = tmp_path / "p.jsonl"
    with OaiServer(provider) as server:
        code = main(["harvest", "--out", str(out), "--endpoint", server.url, "--delay", "0"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert [p["id"] for p in lines_of(out)] == expected_ids(papers)
    assert "error" not in err
    assert "123,456" not in err and "999,999" not in err, "an absurd size is not shown as progress"
    if attribute == "cursor_text":
        assert "of 12 listed" in err, "a good list size is still shown"


def test_parse_page_keeps_only_plausible_counts() -> None:
    def page(size: str, cursor: str):
        return parse_page(
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords><resumptionToken "
            + f"completeListSize='{size}' cursor='{cursor}'>t</resumptionToken></ListRecords></OAI-PMH>".encode()
        )

    assert (page("2700000", "1000").complete_size, page("2700000", "1000").cursor) == (2_700_000, 1000)
    assert page(" 42 ", "0").complete_size == 42
    for nonsense in ("", "x", "-5", "4.5", "1e3", "\u00b2", "\u0661", "9" * 5000, str(10**12)):
        assert page(nonsense, nonsense).complete_size is None
        assert page(nonsense, nonsense).cursor is None
    assert page("10", "50").cursor is None, "a cursor past the list's end is nonsense"
