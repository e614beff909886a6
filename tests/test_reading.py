import csv
import gzip
import io
import json
import re
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lib import reading
from lib.arxiv_ids import normalize_id
from lib.reading import Filters, InputError, read_paired_metadata, read_papers
from tests.conftest import PYTHON, ROOT, paper, write_jsonl

ONE_MB = 1 << 20


def test_reads_plain_and_gzip_json_lines(tmp_path) -> None:
    records = [paper(i) for i in range(5)]
    for name in ("a.jsonl", "b.json.gz", "c.json"):
        table, report = read_papers(write_jsonl(tmp_path / name, records))
        frame = table.to_frame()
        assert list(frame["id"]) == [r["id"] for r in records]
        assert report.kept == 5 and report.records == 5 and not report.skipped
        assert frame.loc[0, "title"] == records[0]["title"]
        assert frame.loc[0, "categories"] == "cs.LG stat.ML"


def test_format_is_sniffed_without_a_known_suffix(tmp_path) -> None:
    table, _ = read_papers(write_jsonl(tmp_path / "snapshot.data", [paper(1), paper(2)]))
    assert len(table) == 2


def test_each_kind_of_bad_record_is_counted_by_reason_with_line_numbers(tmp_path) -> None:
    lines = [
        paper(1),  # 1 good
        "{not json",  # 2
        paper(3, id=None),  # 3
        paper(4, title=""),  # 4
        paper(5, abstract=None),  # 5
        paper(6, title=42),  # 6
        paper(7, abstract=["a", "list"]),  # 7
        paper(8, categories=["cs.LG"]),  # 8
        paper(9, id=2401.5),  # 9
        "[1, 2, 3]",  # 10
        paper(11, update_date="last tuesday"),  # 11
        paper(12, abstract="?!… ---"),  # 12
        "",  # 13 blank: not a record
        "{not json either",  # 14
        paper(15, id="has a space"),  # 15
        paper(16),  # 16 good
    ]
    table, report = read_papers(write_jsonl(tmp_path / "bad.jsonl", lines))
    assert report.kept == 2 and list(table.to_frame()["id"]) == ["2401.00001", "2401.00016"]
    assert report.skipped == {
        "not JSON": 2,
        "missing id": 1,
        "missing title": 1,
        "missing abstract": 1,
        "wrong type: title": 1,
        "wrong type: abstract": 1,
        "wrong type: categories": 1,
        "wrong type: id": 1,
        "not an object": 1,
        "bad update_date": 1,
        "abstract has no words": 1,
        "bad id": 1,
    }
    assert report.examples["not JSON"] == [2, 14]
    assert report.examples["wrong type: categories"] == [8]
    assert report.records == 15


def test_control_characters_are_removed_and_whitespace_collapsed(tmp_path) -> None:
    record = paper(1, title="A\x00 title\n  on\tgraphs", abstract="Text\x07 with bell")
    frame = read_papers(write_jsonl(tmp_path / "c.jsonl", [record]))[0].to_frame()
    assert frame.loc[0, "title"] == "A title on graphs"
    assert frame.loc[0, "abstract"] == "Text with bell"


def test_a_repeated_id_keeps_its_last_record_with_or_without_version(tmp_path) -> None:
    lines = [paper(1, title="old"), paper(2), paper(1, id="2401.00001v2", title="new"), paper(3)]
    table, report = read_papers(write_jsonl(tmp_path / "d.jsonl", lines))
    frame = table.to_frame()
    assert list(frame["id"]) == ["2401.00001", "2401.00002", "2401.00003"]
    assert frame.loc[0, "title"] == "new"
    assert report.duplicates == 1 and report.kept == 3


def test_normalize_id() -> None:
    assert normalize_id(" 2401.01234v12 ") == "2401.01234"
    assert normalize_id("hep-th/9901001v1") == "hep-th/9901001"
    assert normalize_id("cond-mat/0406020") == "cond-mat/0406020"


def test_csv_with_extra_and_missing_optional_columns(tmp_path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "id,title,abstract,categories,extra\n"
        '2401.00001,"A title, with comma","An abstract\nover two lines",cs.CL,x\n'
        "2401.00002,Second,Another abstract,math.PR,y\n"
        "2401.00003,,No title here,cs.CL,z\n"
        "2401.00004,Too,many,fields,here,really\n",
        encoding="utf-8",
    )
    table, report = read_papers(path)
    frame = table.to_frame()
    assert list(frame["id"]) == ["2401.00001", "2401.00002"]
    assert frame.loc[0, "abstract"] == "An abstract over two lines"
    assert frame.loc[1, "authors"] == "" and frame.loc[1, "update_date"] == ""
    assert report.skipped == {"missing title": 1, "too many CSV fields": 1}


def test_csv_without_required_columns_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="title, abstract"):
        read_papers(path)


def test_missing_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_papers(tmp_path / "nope.jsonl")


def test_filters_by_category_prefix_date_and_limit(tmp_path) -> None:
    lines = [
        paper(1, categories="cs.CL"),
        paper(2, categories="cs.CLX"),
        paper(3, categories="math.PR cs.CL"),
        paper(4, categories="math-ph"),
        paper(5, categories="math"),
        paper(6, categories="cs.LG", update_date="2023-12-31"),
        paper(7, categories="cs.LG", update_date="2025-02-01"),
        paper(8, categories="cs.LG", update_date=""),
    ]
    path = write_jsonl(tmp_path / "f.jsonl", lines)

    def ids(filters: Filters) -> list[str]:
        return [i[-1] for i in read_papers(path, filters)[0].to_frame()["id"]]

    assert ids(Filters(categories=("cs.CL",))) == ["1", "3"]
    assert ids(Filters(categories=("cs.",))) == ["1", "2", "3", "6", "7", "8"]
    assert ids(Filters(categories=("math",))) == ["3", "5"]
    assert ids(Filters(since="2024-01-01", until="2024-12-31")) == ["1", "2", "3", "4", "5"]
    assert ids(Filters(limit=3)) == ["1", "2", "3"]
    _, report = read_papers(path, Filters(since="2024-01-01"))
    assert report.filtered == {"before --since": 1, "no update_date": 1}


def test_a_later_record_that_fails_the_filter_drops_the_paper(tmp_path) -> None:
    lines = [paper(1, categories="cs.CL"), paper(1, categories="math.PR")]
    table, _ = read_papers(write_jsonl(tmp_path / "g.jsonl", lines), Filters(categories=("cs.CL",)))
    assert len(table) == 0 and table.to_frame().empty


def test_truncated_gzip_keeps_what_was_read_and_says_where_it_stopped(tmp_path) -> None:
    whole = tmp_path / "whole.jsonl.gz"
    write_jsonl(whole, [paper(i, abstract=f"Abstract {i} " + "filler words " * 40) for i in range(2000)])
    data = whole.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    table, report = read_papers(cut)
    assert 0 < report.kept < 2000
    assert report.stopped_early and "ends early after line" in report.stopped_early
    assert list(table.to_frame()["id"])[-1] == f"2401.{report.kept - 1:05d}"


def test_empty_file_reads_nothing(tmp_path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    table, report = read_papers(path)
    assert len(table) == 0 and report.records == 0


def test_memory_does_not_hold_filtered_papers(tmp_path) -> None:
    lines = [paper(i, categories="math.PR" if i % 10 else "cs.CL") for i in range(1000)]
    table, report = read_papers(write_jsonl(tmp_path / "m.jsonl", lines), Filters(categories=("cs.",)))
    assert report.kept == 100 and len(table.alive) == 100


def test_gzip_json_lines_with_utf8_and_latex(tmp_path) -> None:
    record = paper(1, title="Über $\\mathbb{Z}_2$ Topologie", abstract="Résumé with $x^2$ and ümlauts")
    path = tmp_path / "u.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    frame = read_papers(path)[0].to_frame()
    assert frame.loc[0, "title"] == "Über $\\mathbb{Z}_2$ Topologie"


# Lines longer than the cap: skipped and counted without ever being held whole ---------------------

HUGE = 200 * ONE_MB
# What a read may add to a process's peak memory whatever its lines' lengths: the line cap, a chunk, buffers.
MEMORY_BOUND = 64 * ONE_MB
MEASURE = """
import json, sys
import pandas, pyarrow
from lib import reading

def memory(field):  # this process's resident memory (VmRSS) or its peak (VmHWM; unlike ru_maxrss, not inherited at exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))

before = memory("VmRSS")
kind, path = sys.argv[1], sys.argv[2]
result = {}
try:
    if kind == "papers":
        table, report = reading.read_papers(path)
        result = {"kept": list(table.to_frame()["id"]), "skipped": dict(report.skipped), "examples": report.examples}
    else:
        report = reading.CorpusFileReport()
        result = {"lines": sum(1 for _ in reading.corpus_lines(path, report))}
except reading.InputError as exc:
    result = {"error": str(exc)}
result["growth"] = memory("VmHWM") - before
print(json.dumps(result))
"""


def write_huge_line(path: Path, size: int, before: list[bytes] | None = None, after: list[bytes] | None = None, fill: bytes = b" ") -> Path:
    """Lines before, one line of `size` bytes written a megabyte at a time (never held whole), lines after; gzip if named .gz."""
    block = (fill * (ONE_MB // len(fill) + 1))[:ONE_MB]
    with gzip.open(path, "wb", compresslevel=1) if path.suffix == ".gz" else open(path, "wb") as out:
        for line in before or []:
            out.write(line + b"\n")
        for _ in range(size // ONE_MB):
            out.write(block)
        out.write(block[: size % ONE_MB] + b"\n")
        for line in after or []:
            out.write(line + b"\n")
    return path


def measured_read(kind: str, path: Path) -> dict:
    """Read in a fresh process; its result and how much the read raised the process's peak memory (bytes)."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("peak memory is read from /proc/self/status (Linux)")
    done = subprocess.run([PYTHON, "-c", MEASURE, kind, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def record(i: int) -> bytes:
    return json.dumps(paper(i)).encode()


def csv_row(i: int) -> bytes:
    return f'{paper(i)["id"]},"{paper(i)["title"]}",{paper(i)["abstract"]}'.encode()


@pytest.mark.parametrize(
    ("name", "head", "row"),
    [("huge.jsonl.gz", [], record), ("huge.jsonl", [], record), ("huge.csv.gz", [b"id,title,abstract"], csv_row)],
)
def test_a_200_mb_line_is_skipped_as_too_long_in_bounded_memory(tmp_path: Path, name: str, head: list[bytes], row) -> None:
    path = write_huge_line(tmp_path / name, HUGE, before=[*head, row(1)], after=[row(3), row(4)])
    result = measured_read("papers", path)
    assert result["growth"] < MEMORY_BOUND, (
        f"reading a {HUGE / ONE_MB:.0f} MB line raised peak memory by {result['growth'] / ONE_MB:.0f} MB"
    )
    line = len(head) + 2
    assert result["skipped"] == {"line too long": 1} and result["examples"] == {"line too long": [line]}
    assert result["kept"] == ["2401.00001", "2401.00003", "2401.00004"]


def test_the_line_cap_is_inclusive_and_reading_goes_on_after_a_long_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 1000)
    exact = json.dumps(paper(2, abstract="x")).encode()
    exact = exact[:-1] + b" " * (1000 - len(exact)) + b"}"
    lines = [record(1), exact, exact[:-1] + b" }", record(4), b"{" + b'"' * 5000, b"", record(7)]
    path = tmp_path / "cap.jsonl"
    path.write_bytes(b"\n".join(lines))  # the last line has no newline
    table, report = read_papers(path)
    assert list(table.to_frame()["id"]) == ["2401.00001", "2401.00002", "2401.00004", "2401.00007"]
    assert report.skipped == {"line too long": 2} and report.examples["line too long"] == [3, 5]
    assert report.records == 6 and report.bytes_read == path.stat().st_size


def test_a_csv_record_longer_than_the_cap_is_skipped_even_when_quoted_over_many_lines(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "cap.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,title,abstract\r\n"
        + csv_row(1)
        + b"\r\n"
        + b'2401.00002,"A title","'
        + b"many short lines\n" * 200  # one quoted field of 3,400 bytes
        + b'"\n'
        + csv_row(3)
        + b"\n2401.00004,"
        + b"x" * 2000
        + b",abstract\n"
        + csv_row(5)
        + b"\r"  # a bare carriage return ends a row too
        + csv_row(6)
        + b"\n"
    )
    table, report = read_papers(path)
    assert list(table.to_frame()["id"]) == ["2401.00001", "2401.00003", "2401.00005", "2401.00006"]
    assert report.skipped == {"line too long": 2}
    assert report.examples["line too long"] == [3, 205]  # where each too-long record starts


def test_a_csv_header_longer_than_the_cap_is_an_input_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "header.csv"
    path.write_bytes(b"id,title,abstract," + b"x" * 2000 + b"\n" + csv_row(1) + b"\n")
    with pytest.raises(InputError, match="line 1: line too long"):
        read_papers(path)


def test_paired_metadata_with_a_too_long_row_is_an_error_naming_the_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 1000)
    path = write_jsonl(tmp_path / "meta.jsonl", [paper(1), paper(2, title="long " * 300), paper(3)])
    with pytest.raises(InputError, match=rf"metadata {re.escape(str(path))}, line 2: line too long \(over 1,000 bytes\)"):
        read_paired_metadata(path)


def test_a_corpus_line_longer_than_its_cap_stops_the_read_naming_the_line_in_bounded_memory(tmp_path: Path) -> None:
    size = reading.MAX_CORPUS_LINE_BYTES + HUGE
    path = write_huge_line(tmp_path / "corpus.txt.gz", size, before=[b"first paper", b""], after=[b"fourth paper"], fill=b"word ")
    result = measured_read("corpus", path)
    cap = f"{reading.MAX_CORPUS_LINE_BYTES:,}"
    assert result["error"] == (
        f"corpus file {path}, line 3: line too long (over {cap} bytes); a corpus line is one paper, and skipping it would pair every "
        "later line with the wrong metadata row"
    )
    bound = reading.MAX_CORPUS_LINE_BYTES * 2 + MEMORY_BOUND
    assert result["growth"] < bound, f"a {size / ONE_MB:.0f} MB corpus line raised peak memory by {result['growth'] / ONE_MB:.0f} MB"


def test_a_corpus_line_at_its_cap_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_CORPUS_LINE_BYTES", 1000)
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"a " * 500 + b"\n" + b"b" * 1000)
    report = reading.CorpusFileReport()
    assert [len(line) for line in reading.corpus_lines(path, report)] == [1000, 1000]
    assert report.lines == 2 and report.bytes == 2001
    path.write_bytes(b"a " * 500 + b"\n" + b"b" * 1001)
    with pytest.raises(InputError, match="line 2: line too long"):
        list(reading.corpus_lines(path, reading.CorpusFileReport()))


CSV_PIECES = ["a", "b c", ",", '"', '""', "\n", "\r", "\r\n", "é", "\x00"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(CSV_PIECES), max_size=40))
@example(['"', "a", "\n", "b", '"', "x", ",", "c", "\r", "a", '"', "b", "\r\n", '"', "\n"])
def test_csv_records_under_the_cap_read_exactly_as_the_csv_module_reads_them(pieces: list[str]) -> None:
    text = "id,title,abstract\n" + "".join(pieces)
    expected, skipped = [], []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        if None in row:
            skipped.append(reader.line_num)
        else:
            expected.append((reader.line_num, {name: value for name, value in row.items() if value is not None}))
    report = reading.ReadReport()
    assert list(reading._csv_records(io.BytesIO(text.encode()), report)) == expected
    assert report.examples.get("too many CSV fields", []) == skipped[: reading.EXAMPLES_PER_REASON]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*CSV_PIECES, "x" * 30]), max_size=60), st.integers(18, 60))
@example(["bcdefgh"] * 3 + ["\r\n", "a,b,c"], 20)  # a \r\n that the read of a too-long line cuts in two is still one line end
def test_csv_records_kept_under_a_small_cap_are_the_csv_modules_records_at_the_same_lines(pieces: list[str], cap: int) -> None:
    text = "id,title,abstract\n" + "".join(pieces)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    expected = {}
    for row in reader:
        if None not in row:
            expected[reader.line_num] = {name: value for name, value in row.items() if value is not None}
    with mock.patch.object(reading, "MAX_LINE_BYTES", cap):
        records = list(reading._csv_records(io.BytesIO(text.encode()), reading.ReadReport()))
    assert all(expected.get(line) == record for line, record in records)
