"""Model sets built from full texts: a corpus file (one paper per line) paired with metadata rows, end to end."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lib import cli, modelset
from lib.demo import generate_demo_records
from lib.engine import load_engine
from lib.exports import to_bibtex, to_csv
from lib.modelset import FULL_TEXT
from lib.reading import PAIRING, CorpusFileReport, Filters, InputError, corpus_lines, read_paired_metadata
from lib.text import markdown_with_math
from tests.test_app import card_titles, open_app

N_PAPERS = 400
SMALL = ["--epochs", "8", "--min-cluster-size", "15", "--workers", "2"]
# Made-up words that only the full text of one paper holds (three times, so Doc2Vec keeps them too).
FOUND_WORDS = "zanthorpic quillivex marbulent"
LOST_WORDS = "plorbishire vendakite crumulous"
KEPT_CATEGORIES = ("cs.",)


@dataclass
class Pair:
    """A corpus file, its metadata file, the records they were written from and the rows of note."""

    corpus: Path
    metadata: Path
    records: list[dict]
    found: int
    lost: int | None = None
    empty: int | None = None


def _full_texts(records: list[dict]) -> list[str]:
    """Each paper's 'full text': its abstract and three other abstracts of its primary category, on one line."""
    pool: dict[str, list[str]] = {}
    for record in generate_demo_records(4 * len(records), seed=11):
        pool.setdefault(record["categories"].split()[0], []).append(record["abstract"])
    rng = random.Random(5)
    return [" ".join(" ".join([r["abstract"], *rng.sample(pool[r["categories"].split()[0]], 3)]).split()) for r in records]


def write_pair(folder: Path, kind: str, found: int, lost: int | None = None, empty: int | None = None) -> Pair:
    """Write a corpus file and metadata (jsonl: every field; csv.gz: id and title only) for N_PAPERS demo papers."""
    folder.mkdir(parents=True, exist_ok=True)
    records = generate_demo_records(N_PAPERS, seed=3)
    texts = _full_texts(records)
    texts[found] += f" {FOUND_WORDS}" * 3
    if lost is not None:
        texts[lost] += f" {LOST_WORDS}" * 3
    if empty is not None:
        texts[empty] = ""
    corpus = folder / "corpus.txt"
    corpus.write_text("".join(text + "\n" for text in texts), encoding="utf-8")
    if kind == "jsonl":
        metadata = folder / "metadata.jsonl"
        metadata.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    else:
        metadata = folder / "metadata.csv.gz"
        with gzip.open(metadata, "wt", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["id", "title"])
            writer.writerows([record["id"], record["title"]] for record in records)
    return Pair(corpus, metadata, records, found, lost, empty)


def build(pair: Pair, out: Path, *extra: str) -> int:
    """Build through the command line."""
    return cli.main(["build", "--corpus-file", str(pair.corpus), "--metadata", str(pair.metadata), "--out", str(out), *SMALL, *extra])


def kept_rows(records: list[dict]) -> list[int]:
    """The rows that --categories cs. keeps."""
    keep = Filters(KEPT_CATEGORIES)
    return [i for i, record in enumerate(records) if keep.category_matches(record["categories"])]


@pytest.fixture(scope="module")
def jsonl_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pair, Path]:
    """A full-text set from JSON-lines metadata with every field, filtered to cs.* (so rows between kept ones are dropped)."""
    folder = tmp_path_factory.mktemp("jsonl")
    rows = kept_rows(generate_demo_records(N_PAPERS, seed=3))
    found = rows[len(rows) // 2]
    lost = next(row for row in range(found + 1, N_PAPERS) if row not in rows)
    pair = write_pair(folder / "data", "jsonl", found=found, lost=lost)
    out = folder / "models" / "papers"
    assert build(pair, out, "--categories", *KEPT_CATEGORIES) == 0
    return pair, out


@pytest.fixture(scope="module")
def csv_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pair, Path]:
    """A full-text set from gzip CSV metadata with only id and title; one paper's corpus line is empty."""
    folder = tmp_path_factory.mktemp("csv")
    pair = write_pair(folder / "data", "csv", found=200, empty=30)
    out = folder / "models" / "papers"
    assert build(pair, out) == 0
    return pair, out


def test_a_query_of_words_only_in_one_papers_full_text_finds_it_despite_filtered_rows(jsonl_set: tuple[Pair, Path]) -> None:
    pair, out = jsonl_set
    engine = load_engine(out)
    rows = kept_rows(pair.records)
    assert list(engine.catalogue.papers["id"]) == [pair.records[row]["id"] for row in rows]
    assert list(engine.catalogue.papers["abstract"]) == [pair.records[row]["abstract"] for row in rows]
    found = pair.records[pair.found]
    assert FOUND_WORDS.split()[0] not in (found["title"] + found["abstract"]).lower()
    for mode in ("hybrid", "lexical"):
        assert engine.ranker.search(FOUND_WORDS, k=1, mode=mode)[0].paper_id == found["id"], mode
    assert not engine.ranker.words(LOST_WORDS).known  # the filtered-out paper's line was not used by any kept paper


def test_vectors_follow_their_metadata_rows_across_an_empty_corpus_line(csv_set: tuple[Pair, Path]) -> None:
    pair, out = csv_set
    engine = load_engine(out)
    assert list(engine.catalogue.papers["id"]) == [record["id"] for record in pair.records]
    assert (engine.catalogue.papers["abstract"] == "").all() and (engine.catalogue.papers["authors"] == "").all()
    assert engine.ranker.search(FOUND_WORDS, k=1)[0].paper_id == pair.records[pair.found]["id"]
    # Paper i's vector was trained on line i: its nearest papers share its topic, far above chance (1/16).
    vectors = np.asarray(engine.ranker.vectors)
    topics = np.array([record["categories"].split()[0] for record in pair.records])
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -2)
    nearest = np.argsort(-similarity, axis=1)[:, :10]
    after_empty = slice(pair.empty + 1, None)
    assert (topics[nearest] == topics[:, None])[after_empty].mean() > 0.6
    assert all(topic["keywords"] for topic in engine.catalogue.topics)


def test_the_manifest_records_both_files_and_how_to_rebuild(jsonl_set: tuple[Pair, Path]) -> None:
    pair, out = jsonl_set
    manifest = modelset.verify(out)
    assert manifest["documents"] == FULL_TEXT and manifest["params"]["text"] == "title+full text"
    source = manifest["input"]
    corpus = pair.corpus.read_bytes()
    assert source["corpus_file"] == {
        "path": str(pair.corpus.resolve()),
        "bytes": len(corpus),
        "sha256": hashlib.sha256(corpus).hexdigest(),
        "lines": N_PAPERS,
    }
    assert source["path"] == str(pair.metadata.resolve()) and source["sha256"] == modelset.sha256_file(pair.metadata)
    assert source["rows"] == N_PAPERS and source["filters"]["categories"] == list(KEPT_CATEGORIES)
    assert manifest["counts"]["papers"] == len(kept_rows(pair.records)) < N_PAPERS
    assert "corpus.txt" not in manifest["files"]
    assert f"--corpus-file {pair.corpus.resolve()} --metadata {pair.metadata.resolve()}" in modelset.rebuild_hint(out, manifest)
    [info] = modelset.list_model_sets(out.parent)
    assert info.full_text and info.papers == manifest["counts"]["papers"]


@pytest.mark.parametrize("change", ["one more corpus line", "one fewer corpus line"])
def test_a_count_mismatch_is_one_line_and_writes_nothing(tmp_path: Path, change: str, capsys: pytest.CaptureFixture) -> None:
    pair = write_pair(tmp_path / "data", "jsonl", found=3)
    lines = pair.corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [*lines, "an extra paper\n"] if change == "one more corpus line" else lines[:-1]
    pair.corpus.write_text("".join(lines), encoding="utf-8")
    models = tmp_path / "models"
    assert build(pair, models / "papers") == 1
    [error] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error.startswith("error: corpus file")
    assert f"{pair.corpus} has {len(lines):,} lines" in error and f"metadata {pair.metadata} has {N_PAPERS:,} rows" in error
    assert not models.exists() or not list(models.iterdir())


def _metadata(records: list[dict], kind: str) -> str:
    if kind == "jsonl":
        return "".join((record if isinstance(record, str) else json.dumps(record)) + "\n" for record in records)
    return "id,title\n" + "".join(f"{record['id']},{record['title']}\n" for record in records)


@pytest.mark.parametrize(
    ("kind", "bad", "line", "reason"),
    [
        ("jsonl", {"id": "x-5"}, 5, "missing title"),
        ("jsonl", {"id": "x-5", "title": "  "}, 5, "missing title"),
        ("jsonl", {"id": "x-5", "title": "?? --"}, 5, "title has no words"),
        ("jsonl", "{not json", 5, "not JSON"),
        ("jsonl", {"id": "x-2", "title": "Again"}, 5, "id x-2 is already on line 2"),
        ("csv", {"id": "x-5", "title": ""}, 6, "missing title"),
    ],
)
def test_an_unusable_metadata_row_stops_the_build_naming_its_line(
    tmp_path: Path, kind: str, bad: object, line: int, reason: str, capsys: pytest.CaptureFixture
) -> None:
    records: list = [{"id": f"x-{i}", "title": f"Paper {i} on graphs"} for i in range(1, 31)]
    records[4] = bad
    metadata = tmp_path / f"metadata.{kind}"
    metadata.write_text(_metadata(records, kind), encoding="utf-8")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("graph words\n" * 30, encoding="utf-8")
    out = tmp_path / "models" / "papers"
    args = ["build", "--corpus-file", str(corpus), "--metadata", str(metadata), "--out", str(out)]
    assert cli.main(args) == 1
    [error] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error == f"error: metadata {metadata}, line {line}: {reason}; {PAIRING}" and "none can be skipped" in error
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_filters_and_limit_mask_rows_but_every_row_is_read_and_checked(tmp_path: Path) -> None:
    rows = [{"id": f"x-{i}", "title": f"Paper {i}", "categories": "cs.LG" if i % 2 else "math.PR"} for i in range(10)]
    metadata = tmp_path / "m.jsonl"
    metadata.write_text(_metadata(rows, "jsonl"), encoding="utf-8")
    table, keep, report = read_paired_metadata(metadata, Filters(categories=("cs.",), limit=3))
    assert keep == [False, True, False, True, False, True, False, False, False, False]
    assert list(table.to_frame()["id"]) == ["x-1", "x-3", "x-5"] and table.to_frame()["abstract"].tolist() == ["", "", ""]
    assert report.records == 10 and report.filtered == {"category": 3, "after --limit": 4}
    rows[8] = {"id": "x-8"}
    metadata.write_text(_metadata(rows, "jsonl"), encoding="utf-8")
    with pytest.raises(InputError, match="line 9: missing title"):
        read_paired_metadata(metadata, Filters(limit=3))


def test_corpus_lines_stream_a_gzip_file_counting_lines_and_hashing_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress("first paper\n\nthird paper ünï\nlast line without newline".encode()))
    report = CorpusFileReport()
    assert list(corpus_lines(path, report)) == ["first paper", "", "third paper ünï", "last line without newline"]
    assert report == CorpusFileReport(4, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    not_gzip = tmp_path / "plain.gz"
    not_gzip.write_text("a b\n")
    with pytest.raises(InputError, match="not gzip-compressed"):
        list(corpus_lines(not_gzip, CorpusFileReport()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--corpus-file", "c.txt"], "--corpus-file needs --metadata"),
        (["--input", "m.jsonl", "--metadata", "m.jsonl"], "--metadata goes with --corpus-file"),
        (["--corpus-file", "c.txt", "--metadata", "m.jsonl", "--text", "abstract"], "--text does not apply with --corpus-file"),
    ],
)
def test_wrong_combinations_of_sources_are_refused(tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["build", *args, "--out", str(tmp_path / "m")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {message}")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["build", "--input", "m.jsonl", "--corpus-file", "c.txt", "--metadata", "m.jsonl", "--out", str(tmp_path / "m")])
    assert exit_info.value.code == 2


def test_the_app_lists_the_full_text_set_beside_abstracts_and_shows_no_empty_abstract(
    csv_set: tuple[Pair, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, out = csv_set
    models = tmp_path / "models"
    shutil.copytree(out, models / "papers")
    abstracts = tmp_path / "abstracts.jsonl"
    abstracts.write_text(_metadata(pair.records, "jsonl"), encoding="utf-8")
    assert cli.main(["build", "--input", str(abstracts), "--out", str(models / "abstracts"), *SMALL]) == 0
    monkeypatch.setenv("MODELS_DIR", str(models))

    found = pair.records[pair.found]
    app = open_app(q=FOUND_WORDS, model="papers")
    picker = app.sidebar.selectbox[0]
    assert picker.value == "papers" and picker.options == [picker.format_func("abstracts"), picker.format_func("papers")]
    assert picker.format_func("papers").startswith(f"papers · full text · {N_PAPERS:,} papers")
    assert "full text" not in picker.format_func("abstracts")
    titles = card_titles(app)
    assert titles and titles[0] == f"**{markdown_with_math(found['title'], inline=True)}**"
    assert not app.expander  # no abstract: no snippet to open, and the row's actions shown at once
    assert len([b for b in app.button if b.label == "More like this"]) == len(titles)
    assert not [m.value for m in app.markdown if m.value.strip() in ("", "None", "nan")]
    assert len(app.get("download_button")) == 2
    engine = load_engine(models / "papers")
    records = engine.catalogue.records([hit.row for hit in engine.ranker.search(FOUND_WORDS, k=10)])
    assert to_csv(records).decode("utf-8-sig").count("\n") == 11 and to_bibtex(records).count("@misc{") == 10

    with_abstracts = open_app(q=found["title"], model="abstracts")
    assert len(with_abstracts.expander) == 10  # each row's snippet, opening on its abstract

    page = open_app("pages/paper.py", id=found["id"], model="papers")
    assert page.title[0].value == markdown_with_math(found["title"], inline=True)
    assert not [m.value for m in page.markdown if m.value.strip() in ("", "None", "nan")]
    assert any("Nearest papers" in h.value for h in page.subheader)
