import gzip
import json

import pytest

from lib.reading import Filters, InputError, normalize_id, read_papers
from tests.conftest import paper, write_jsonl


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
