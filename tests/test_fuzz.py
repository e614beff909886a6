"""Property tests with generated input: text cleaning, the metadata readers and query handling never fail."""

import csv
import gzip
import io
import json
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lib.arxiv_ids import normalize_id
from lib.cleaning import clean_text, tokenize
from lib.engine import load_engine
from lib.reading import FIELDS, MAX_ID_LENGTH, InputError, read_papers
from lib.search import MAX_QUERY_CHARS, MODES, Hit, PreparedQuery, prepare_query
from tests.test_cleaning import notebook_clean

# The same examples on every run (no example database), so a failure in CI reproduces locally.
REPRODUCIBLE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fuzz(examples: int) -> settings:
    """Reproducible settings with this many generated examples."""
    return settings(REPRODUCIBLE, max_examples=examples)


# Characters that have broken text handling somewhere: controls, NUL, surrogates, case oddities, marks, bidi, emoji.
TRICKY = list("\x00\x07\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\x9f\xa0_-.İıſΣσςẞßǅﬁ\u0301\u0307\u200b\u200d\u202e\u2066\u3000\ufeff\ufffd²½١😀👩‍🔬")
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
ANY_TEXT = st.text(st.one_of(st.characters(), st.sampled_from(TRICKY + SURROGATES)))
ENCODABLE_TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(TRICKY)))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@fuzz(400)
@given(ANY_TEXT)
@example("İstanbul ΑΣ ǅ ﬁ x² snake_case \x00NUL")
def test_clean_text_is_the_notebooks_cleaning_on_any_text(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == notebook_clean(text) == clean_text(text)
    assert cleaned == " ".join(cleaned.split()) and cleaned == cleaned.lower()
    assert tokenize(text) == cleaned.split()
    assert all(ch.isalnum() or ch == " " for ch in cleaned.replace("i\u0307", "i"))


@fuzz(400)
@given(ANY_TEXT.filter(lambda text: "İ" not in text))
def test_clean_text_is_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)
    assert tokenize(" ".join(tokenize(text))) == tokenize(text)


def test_the_one_character_that_cleans_differently_twice_is_capital_dotted_i() -> None:
    # Lower-casing 'İ' gives 'i' plus a combining dot, which is not alphanumeric; the notebook keeps it, so the models do too.
    assert clean_text("İzmir") == "i\u0307zmir" == notebook_clean("İzmir")
    assert clean_text(clean_text("İzmir")) == "i zmir"


def _read(path: Path) -> tuple[list[dict], dict] | None:
    """Read a file twice, check both reads agree, and return the papers and report (None after an InputError)."""
    try:
        table, report = read_papers(path)
    except InputError:
        with pytest.raises(InputError):
            read_papers(path)
        return None
    again, report_again = read_papers(path)
    papers = table.to_frame().to_dict("records")
    assert papers == again.to_frame().to_dict("records") and report.as_dict() == report_again.as_dict()
    assert report.records == report.kept + report.duplicates + sum(report.skipped.values())
    assert report.kept == len(papers) and all(report.examples[reason] and min(report.examples[reason]) >= 1 for reason in report.skipped)
    for paper in papers:
        for name in FIELDS:
            value = paper[name]
            assert isinstance(value, str) and not CONTROL.search(value) and value == " ".join(value.split()), (name, value)
        assert paper["title"] and paper["abstract"] and any(ch.isalnum() for ch in paper["abstract"])
        assert paper["id"] and " " not in paper["id"] and len(paper["id"]) <= MAX_ID_LENGTH
        assert paper["update_date"] == "" or DATE.match(paper["update_date"])
    return papers, report.as_dict()


@fuzz(150)
@given(st.binary(max_size=3000), st.sampled_from(["in.jsonl", "in.csv", "in.data", "in.jsonl.gz", "in.csv.gz"]))
@example(b"[" * 100_000 + b"\n" + json.dumps({"id": "1", "title": "t", "abstract": "a b"}).encode(), "in.jsonl")
@example(b"\xff\xfe{\x00}\x00\n\x00\x00\x00", "in.jsonl")
@example(b'id,title,abstract\n1,"unclosed,\x00\n2,t,a b c,extra\n', "in.csv")
@example(b"\x1f\x8b\x08\x00garbage", "in.jsonl.gz")
def test_any_bytes_are_read_or_refused_as_a_whole(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        for content in [data, gzip.compress(data, mtime=0)] if name.endswith(".gz") else [data]:
            path.write_bytes(content)
            result = _read(path)
            if name.startswith("in.jsonl"):
                assert result is not None or content == data
            if result is not None and name.startswith("in.jsonl") and not result[1]["stopped_early"]:
                assert result[1]["records"] == sum(1 for line in data.split(b"\n") if line.strip())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ENCODABLE_TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), children, max_size=3),
    max_leaves=6,
)
IDS = st.sampled_from(["2401.00001", "2401.00001v2", "2401.00002", " 2401.00003v11 ", "hep-th/9901001", "a b", "x" * 80, "", "v2"])
GOOD_PAPERS = st.fixed_dictionaries(
    {"id": st.sampled_from(["2401.00001", "2401.00002v3", "math/0101001"]), "title": st.just("A title"), "abstract": st.just("Words here.")}
)
RECORDS = st.fixed_dictionaries({}, optional={name: IDS if name == "id" else JSON_VALUES for name in FIELDS}) | JSON_VALUES


@fuzz(150)
@given(st.lists(GOOD_PAPERS, min_size=1, max_size=4), st.lists(RECORDS, max_size=12), st.randoms(use_true_random=False))
def test_any_json_records_give_papers_or_counted_skips(good: list[dict], junk: list[object], random) -> None:
    lines = [json.dumps(record, ensure_ascii=random.random() < 0.5) for record in [*good, *junk]]
    random.shuffle(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "papers.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = _read(path)
    assert result is not None
    papers, report = result
    ids = {paper["id"] for paper in papers}
    assert {normalize_id(paper["id"]) for paper in good} <= ids
    assert ids <= {normalize_id(r["id"]) for r in [*good, *junk] if isinstance(r, dict) and isinstance(r.get("id"), str)}
    assert report["records"] == len(lines)


@fuzz(100)
@given(st.lists(st.lists(ENCODABLE_TEXT, max_size=5), max_size=8))
def test_any_csv_rows_give_papers_or_counted_skips(rows: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "title", "abstract", "authors"])
    writer.writerows([[f"2401.{i:05d}", *row] for i, row in enumerate(rows)])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "papers.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        result = _read(path)
    assert result is not None
    papers, report = result
    assert report["records"] >= len(papers)
    kept = {paper["id"] for paper in papers}
    for i, row in enumerate(rows):
        if 2 <= len(row) <= 3 and clean_text(row[0]) and clean_text(row[1]):
            assert f"2401.{i:05d}" in kept, row


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


VOCABULARY = ["qubits", "stabilizer", "galaxies", "dark", "matter", "the", "of", "neural", "graph", "turbulent"]
QUERIES = st.lists(st.one_of(st.sampled_from(VOCABULARY), ANY_TEXT), max_size=8).flatmap(
    lambda parts: st.lists(st.sampled_from([" ", "", "\x00", "-", "\n", "_", "…"]), min_size=len(parts), max_size=len(parts)).map(
        lambda separators: "".join(part + separator for part, separator in zip(parts, separators, strict=True))
    )
)


@fuzz(80)
@given(QUERIES, st.sampled_from(MODES), st.integers(min_value=-2, max_value=40))
@example("qubits" + "\x00" * 5000 + "galaxies", "hybrid", 10)
@example("the of and", "lexical", 5)
def test_any_query_ranks_deterministically_or_explains_why_not(engine, query: str, mode: str, k: int) -> None:
    hits = engine.ranker.search(query, k=k, mode=mode)
    assert all(isinstance(hit, Hit) and math.isfinite(hit.score) for hit in hits) and len(hits) <= max(k, 0)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert engine.ranker.search(query, k=k, mode=mode) == hits
    words = engine.ranker.words(query, mode)
    assert bool(hits) == (bool(words.known) and k > 0)
    assert not set(words.known) & set(words.unknown) and not set(words.common) & set(words.unknown)
    location = engine.ranker.locate(query)
    assert (location is None) == (not engine.ranker.words(query, "semantic").known)


@fuzz(200)
@given(ANY_TEXT, st.integers(min_value=0, max_value=3 * MAX_QUERY_CHARS))
@example("word ", 2 * MAX_QUERY_CHARS)
@example("\x00", MAX_QUERY_CHARS + 5)
def test_prepare_query_cuts_only_long_text_keeps_whole_words_and_is_idempotent(unit: str, length: int) -> None:
    query = (unit * (length // max(len(unit), 1) + 1))[:length] if unit else ""
    prepared = prepare_query(query)
    assert len(prepared.text) <= MAX_QUERY_CHARS and prepared.text == prepared.text.strip()
    assert prepare_query(prepared.text) == PreparedQuery(prepared.text, truncated=False) == prepare_query(prepared.text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", prepared.text)
    full, kept = tokenize(query), tokenize(prepared.text)
    if not prepared.truncated:
        assert kept == full
    elif kept and kept[-1] == full[len(kept) - 1]:
        assert kept == full[: len(kept)]
    elif kept:
        assert len(kept) == 1 and len(prepared.text) == MAX_QUERY_CHARS, "only a single word longer than the cap is cut inside"
