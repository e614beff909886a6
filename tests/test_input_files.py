"""Any input file: every kind of hostile record or file through the reader, and through `python -m lib build`."""

import gzip
import json
import random
import re
import subprocess
from pathlib import Path

import pytest

from lib import cli, modelset
from lib.build import MIN_PAPERS
from lib.reading import MAX_CHARS, InputError, read_papers
from tests.conftest import PYTHON, ROOT, paper, write_jsonl

ONE_MB = 1 << 20


def write_lines(path: Path, lines: list[bytes | str | dict]) -> Path:
    """Write raw lines: bytes as they are, strings UTF-8 encoded, dicts as JSON (with their escapes kept)."""
    encoded = [line if isinstance(line, bytes) else (line if isinstance(line, str) else json.dumps(line)).encode() for line in lines]
    data = b"".join(line + b"\n" for line in encoded)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def read(path: Path):
    table, report = read_papers(path)
    return table.to_frame(), report


# Through the reader -------------------------------------------------------------------------------


def test_invalid_json_of_every_shape_is_skipped_by_reason(tmp_path: Path) -> None:
    lines = [
        paper(1),
        b'{"id": "2401.00002", "title": "cut off',  # truncated object
        b'{"id": "2401.00003"} trailing',  # garbage after the object
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the decoder's recursion limit
        b'{"id": "2401.00005", "title": "caf\xe9", "abstract": "latin-1 bytes"}',  # not UTF-8
        b'{"id": "2401.00006", "title": NaN, "abstract": "words"}',  # NaN parses as a float
        json.dumps(paper(7), indent=2),  # a pretty-printed object spans lines
        paper(8),
    ]
    frame, report = read(write_lines(tmp_path / "j.jsonl", lines))
    assert list(frame["id"]) == ["2401.00001", "2401.00008"]
    assert report.skipped == {"not JSON": 3 + 8, "not UTF-8": 1, "wrong type: title": 1}
    assert report.examples["not UTF-8"] == [5] and report.examples["not JSON"][:3] == [2, 3, 4]


def test_nulls_and_wrong_types_are_skipped_and_never_coerced(tmp_path: Path) -> None:
    lines = [
        paper(1, authors=None, categories=None, update_date=None),  # optional fields may be null
        paper(2, title=None),
        paper(3, title=1984),
        paper(4, title=True),
        paper(5, abstract=["a", "list"]),
        paper(6, abstract={"text": "an object"}),
        paper(7, authors=["Ada", "Alan"]),
        paper(8, id=None),
        paper(9, id=2401.0123),
        paper(10, update_date=20240115),
        paper(11, abstract="\x00\x01\x1f\x7f"),  # only control characters: nothing left
    ]
    frame, report = read(write_jsonl(tmp_path / "t.jsonl", lines))
    assert list(frame["id"]) == ["2401.00001"]
    assert frame.loc[0, ["authors", "categories", "update_date"]].tolist() == ["", "", ""]
    assert report.skipped == {
        "missing title": 1,
        "wrong type: title": 2,
        "wrong type: abstract": 2,
        "wrong type: authors": 1,
        "missing id": 1,
        "wrong type: id": 1,
        "wrong type: update_date": 1,
        "missing abstract": 1,
    }


def test_duplicate_ids_keep_the_last_usable_record(tmp_path: Path) -> None:
    lines = [
        paper(1, title="first"),
        paper(1, id="2401.00001v2", title="second"),
        paper(1, id="2401.00001v3", title=None),  # unusable: the earlier record stays
        paper(2),
        paper(1, id=" 2401.00001v4 ", title="fourth"),
    ]
    frame, report = read(write_jsonl(tmp_path / "d.jsonl", lines))
    assert list(frame["id"]) == ["2401.00001", "2401.00002"]
    assert frame.loc[0, "title"] == "fourth"
    assert report.duplicates == 2 and report.skipped == {"missing title": 1} and report.kept == 2


def test_a_one_megabyte_abstract_is_kept_cut_at_a_word_boundary(tmp_path: Path) -> None:
    long_words = "spectral " * (ONE_MB // 9)
    lines = [paper(1, abstract=long_words), paper(2, abstract="x" * ONE_MB), paper(3, title="graph " * 1000)]
    frame, report = read(write_jsonl(tmp_path / "big.jsonl", lines))
    assert list(frame["id"]) == ["2401.00001", "2401.00002", "2401.00003"]
    abstract = frame.loc[0, "abstract"]
    assert len(abstract) <= MAX_CHARS["abstract"] and abstract.endswith("spectral…")
    assert frame.loc[1, "abstract"] == "x" * (MAX_CHARS["abstract"] - 1) + "…"
    assert frame.loc[2, "title"].endswith("graph…") and len(frame.loc[2, "title"]) <= MAX_CHARS["title"]
    assert report.truncated == {"abstract": 2, "title": 1} and not report.skipped
    assert report.as_dict()["truncated"] == {"abstract": 2, "title": 1}


def test_nul_control_surrogate_and_bidi_characters_are_removed(tmp_path: Path) -> None:
    lines = [
        paper(1, title="Null\x00 and\x1b[31m escape", abstract="C1\x85next\x9bline \u202eevil\u202c text"),
        b'{"id": "2401.00002", "title": "lone \\ud800 surrogate", "abstract": "pair \\ud83d\\ude00 kept"}',
    ]
    frame, report = read(write_lines(tmp_path / "c.jsonl", lines))
    assert frame.loc[0, "title"] == "Null and [31m escape"
    assert frame.loc[0, "abstract"] == "C1 next line evil text"
    assert frame.loc[1, "title"] == "lone surrogate" and frame.loc[1, "abstract"] == "pair \U0001f600 kept"
    for text in frame[["title", "abstract"]].to_numpy().ravel():
        text.encode("utf-8")  # everything kept can be written to Parquet and the corpus
    assert report.kept == 2 and not report.skipped


def test_csv_rows_with_missing_or_extra_fields_nul_bytes_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        b"\xef\xbb\xbf ID , Title ,Abstract\n"  # BOM, spaces and capitals in the header
        b"2401.00001,A title,An abstract\n"
        b"2401.00002,Only a title\n"  # missing field
        b"2401.00003,Too,many,fields\n"  # extra field
        b"2401.00004,NUL\x00 inside,Abstract with a \x00 byte\n"
        b"2401.00005,1984,A number as a title is text in a CSV\n"
        b",No id,Abstract\n"
    )
    frame, report = read(path)
    assert list(frame["id"]) == ["2401.00001", "2401.00004", "2401.00005"]
    assert frame.loc[1, "title"] == "NUL inside" and frame.loc[2, "title"] == "1984"
    assert report.skipped == {"missing abstract": 1, "too many CSV fields": 1, "missing id": 1}


def test_csv_header_only_reads_nothing_and_missing_columns_are_an_input_error(tmp_path: Path) -> None:
    header_only = tmp_path / "h.csv"
    header_only.write_text("id,title,abstract\n", encoding="utf-8")
    frame, report = read(header_only)
    assert frame.empty and report.records == 0
    no_abstract = tmp_path / "n.csv"
    no_abstract.write_text("id,title,summary\n1,t,s\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lacks required column\(s\) abstract; found: id, title, summary"):
        read_papers(no_abstract)


def test_gzip_damaged_in_its_header_middle_or_checksum(tmp_path: Path) -> None:
    data = b"".join(json.dumps(paper(i)).encode() + b"\n" for i in range(3))
    whole = gzip.compress(data)
    header_cut = tmp_path / "header.jsonl.gz"
    header_cut.write_bytes(whole[:5])
    frame, report = read(header_cut)
    assert frame.empty and "ends early before its first line" in report.stopped_early
    bad_crc = tmp_path / "crc.jsonl.gz"
    bad_crc.write_bytes(whole[:-8] + b"\0" * 8)
    frame, report = read(bad_crc)
    assert report.kept == 3 and "ends early after line 3" in report.stopped_early and "CRC" in report.stopped_early
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_bytes(data)
    with pytest.raises(InputError, match="not gzip-compressed"):
        read_papers(not_gzip)


# Through the command line: nothing usable ---------------------------------------------------------

NOTHING_USABLE = {
    "empty": ("empty.jsonl", b"", "no usable papers in {path}: the file is empty"),
    "only bad lines": (
        "bad.jsonl",
        b'{broken\n[1, 2]\n\n{"id": null, "title": "t", "abstract": "a"}\n{"id": "1", "title": 5, "abstract": "a"}\n',
        "no usable papers in {path} (4 records read; skipped: 1 not JSON (first at line 1), 1 not an object (first at line 2), "
        "1 missing id (first at line 4), 1 wrong type: title (first at line 5)); expected JSON lines",
    ),
    "gzip cut in its header": (
        "cut.jsonl.gz",
        gzip.compress(json.dumps(paper(1)).encode())[:6],
        "(0 records read; input ends early before",
    ),
    "csv header only": ("h.csv", b"id,title,abstract\n", "no usable papers in {path} (0 records read)"),
    "csv without abstract": ("n.csv", b"id,title\n1,t\n", "CSV lacks required column(s) abstract; found: id, title"),
    "binary noise": ("noise.bin", bytes(range(256)) * 4, "{path}: unknown format (expected JSON lines or CSV"),
    "too few papers": (
        "few.jsonl",
        b"".join(json.dumps(paper(i)).encode() + b"\n" for i in range(MIN_PAPERS - 1)),
        f"only {MIN_PAPERS - 1} usable papers in {{path}}; a model set needs at least {MIN_PAPERS}",
    ),
}


@pytest.fixture(scope="module")
def nothing_usable_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, subprocess.CompletedProcess]]:
    """Every 'nothing usable' input built by the real command line, the processes started together."""
    started = {}
    for case, (name, content, _) in NOTHING_USABLE.items():
        folder = tmp_path_factory.mktemp("unusable")
        source = folder / name
        source.write_bytes(content)
        out = folder / "models" / "x"
        args = [PYTHON, "-m", "lib", "build", "--input", str(source), "--out", str(out)]
        started[case] = (source, out, subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = {}
    for case, (source, out, process) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        results[case] = (source, out, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


@pytest.mark.parametrize("case", list(NOTHING_USABLE))
def test_nothing_usable_exits_1_with_one_error_line_and_writes_nothing(case: str, nothing_usable_runs: dict) -> None:
    source, out, result = nothing_usable_runs[case]
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]], lines
    assert NOTHING_USABLE[case][2].format(path=source) in errors[0]
    assert all(line.startswith(("reading ", "  read done")) for line in lines[:-1]), lines
    assert not out.exists() and (not out.parent.exists() or not list(out.parent.iterdir()))


# Through the command line: a mixed file builds a real model set ----------------------------------


def hostile_lines() -> list[bytes | str | dict]:
    """One of each unusable record kind, plus usable records with a duplicate id, a 1 MB abstract and control characters."""
    return [
        "{not json",
        b'{"id": "bad-utf8", "title": "\xff", "abstract": "x"}',
        b"[" * 100_000 + b"]" * 100_000,
        "[1, 2, 3]",
        "",
        paper(1, id=None),
        paper(2, title=None),
        paper(3, title=42),
        paper(4, abstract=["a", "list"]),
        paper(5, abstract="\x00\x07\x1b"),
        paper(6, update_date="yesterday"),
        paper(7, id="has a space"),
        paper(8, abstract="spectral graph " * (ONE_MB // 15)),
        paper(9, title="Graphs\x00 with\x1b control\u202e characters"),
    ]


HOSTILE_SKIPS = {
    "not JSON": 2,
    "not UTF-8": 1,
    "not an object": 1,
    "missing id": 1,
    "missing title": 1,
    "wrong type: title": 1,
    "wrong type: abstract": 1,
    "missing abstract": 1,
    "bad update_date": 1,
    "bad id": 1,
}


def test_a_hostile_truncated_gzip_builds_from_its_usable_records(demo_corpus: Path, tmp_path: Path, capsys) -> None:
    with gzip.open(demo_corpus, "rt", encoding="utf-8") as handle:
        good = [json.loads(next(handle)) for _ in range(150)]
    duplicate = {**good[0], "title": "A replaced title"}
    head = hostile_lines() + good + [duplicate]
    noise = random.Random(0)
    tail = [{**good[1], "abstract": f"Tail record {i} {noise.randbytes(160).hex()}"} for i in range(3000)]  # hardly compressible
    whole = tmp_path / "whole.jsonl.gz"
    write_lines(whole, head + tail)
    head_bytes = len(gzip.compress(write_lines(tmp_path / "head.jsonl", head).read_bytes()))
    data = whole.read_bytes()
    assert len(data) - head_bytes > 100_000
    source = tmp_path / "hostile.jsonl.gz"
    source.write_bytes(data[: (head_bytes + len(data)) // 2])
    out = tmp_path / "models" / "hostile"

    args = ["build", "--input", str(source), "--out", str(out), "--epochs", "2", "--vector-size", "16", "--min-count", "1"]
    args += ["--umap-neighbors", "10", "--cluster-dims", "2", "--min-cluster-size", "10", "--workers", "2"]
    assert cli.main(args) == 0
    printed = capsys.readouterr()

    read = json.loads((out / "manifest.json").read_text())["counts"]["read"]
    usable = 150 + 2  # the demo papers, the 1 MB abstract and the title with control characters
    tail_read = read["records"] - (len(head) - 1)  # the blank line is not a record
    assert 0 < tail_read < len(tail)
    assert read["skipped"] == HOSTILE_SKIPS and read["skipped_total"] == sum(HOSTILE_SKIPS.values())
    assert read["kept"] == usable  # the tail repeats a kept id
    assert read["duplicates"] == 1 + tail_read
    assert read["truncated"] == {"abstract": 1}
    assert read["skipped_examples"]["not JSON"] == [1, 3] and read["skipped_examples"]["missing id"] == [6]
    assert f"ends early after line {read['records'] + 1}" in read["stopped_early"]

    papers = modelset.load_papers_frame(out / modelset.PAPERS)
    assert len(papers) == usable and papers["id"].is_unique
    assert papers.set_index("id").loc[good[0]["id"], "title"] == "A replaced title"
    assert papers.set_index("id").loc["2401.00009", "title"] == "Graphs with control characters"
    assert len(papers.set_index("id").loc["2401.00008", "abstract"]) <= MAX_CHARS["abstract"]

    assert "  skipped 2 (not JSON), first at line(s) 1, 3" in printed.err
    assert "  skipped 1 (not UTF-8), first at line(s) 2" in printed.err
    assert f"kept 1 with the abstract cut to {MAX_CHARS['abstract']:,} characters" in printed.err
    assert f"warning: input ends early after line {read['records'] + 1}: truncated or damaged gzip" in printed.err
    assert re.search(rf"skipped \(bad\)\s+{sum(HOSTILE_SKIPS.values())}\n", printed.out)
    assert printed.out.strip().endswith(f"wrote {out}")
    assert [p.name for p in out.parent.iterdir()] == ["hostile"]


def test_a_file_of_one_huge_line_exits_1_naming_the_line_too_long_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "huge.jsonl.gz"
    block = b" " * ONE_MB
    with gzip.open(source, "wb", compresslevel=1) as out:  # 200 MB of spaces and no newline, written a megabyte at a time
        for _ in range(200):
            out.write(block)
    out = tmp_path / "models" / "x"
    args = [PYTHON, "-m", "lib", "build", "--input", str(source), "--out", str(out)]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [result.stderr.strip().splitlines()[-1]]
    assert errors[0].startswith(f"error: no usable papers in {source} (1 record read; skipped: 1 line too long (first at line 1))")
    assert not out.exists() and (not out.parent.exists() or not list(out.parent.iterdir()))
