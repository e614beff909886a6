"""Tests for the synthetic demo corpus writer."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest

from lib import demo
from lib.demo import DEMO_ID_PREFIX, TOPICS, write_demo_corpus

KEYS = ["id", "title", "abstract", "authors", "categories", "update_date", "synthetic"]
ID_PATTERN = re.compile(re.escape(DEMO_ID_PREFIX) + r"(\d{2})(\d{2})\.(\d{5})")
MATH = re.compile(r"\$[^$]*\$")
BY_CATEGORY = {topic.category: topic for topic in TOPICS}


def read_records(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def word_count(text: str) -> int:
    return len(MATH.sub("M", text).split())


def term_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """Match any of the terms as whole words, in lower-cased text."""
    alternatives = "|".join(map(re.escape, sorted({t.lower() for t in terms}, key=len, reverse=True)))
    return re.compile(rf"\b(?:{alternatives})\b")


@pytest.fixture(scope="module")
def default_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    path = tmp_path_factory.mktemp("demo") / "corpus.jsonl"
    assert write_demo_corpus(path) == 3600
    return read_records(path)


def test_topics_table() -> None:
    assert len(TOPICS) >= 12
    assert len({t.category for t in TOPICS}) == len(TOPICS)
    for topic in TOPICS:
        assert isinstance(topic, demo.Topic)
        assert re.fullmatch(r"[a-z][a-z -]+", topic.name)
        for code in (topic.category, *topic.cross_lists):
            assert re.fullmatch(r"[a-z-]+(\.[A-Za-z-]+)?", code)
        assert topic.category not in topic.cross_lists
        assert len(set(topic.terms)) == len(topic.terms) >= 50
        assert any(" " in term for term in topic.terms)


def test_record_schema(default_corpus: list[dict]) -> None:
    for record in default_corpus:
        assert list(record) == KEYS
        assert all(isinstance(record[key], str) for key in KEYS[:-1])
        assert record["synthetic"] is True

        match = ID_PATTERN.fullmatch(record["id"])
        assert match, record["id"]
        day = date.fromisoformat(record["update_date"])
        assert match.group(1, 2) == (f"{day.year % 100:02d}", f"{day.month:02d}")

        assert 6 <= word_count(record["title"]) <= 14, record["title"]
        first_word = record["title"].split()[0]
        assert not first_word[0].islower() or first_word != first_word.lower()
        assert 80 <= word_count(record["abstract"]) <= 200
        assert record["abstract"].endswith(".")

        authors = record["authors"].split(", ")
        assert 1 <= len(authors) <= 6
        assert all(re.fullmatch(r"[A-Z][\w.-]*( [A-Z][\w.-]*)+", a) for a in authors)

        primary, *cross = record["categories"].split(" ")
        assert primary in BY_CATEGORY
        assert len(cross) <= 1
        assert all(c in BY_CATEGORY[primary].cross_lists for c in cross)


def test_defaults_size_and_topic_spread(default_corpus: list[dict]) -> None:
    assert len(default_corpus) >= 3000
    counts = Counter(r["categories"].split()[0] for r in default_corpus)
    assert len(counts) >= 12
    assert set(counts) == set(BY_CATEGORY)
    assert min(counts.values()) >= len(default_corpus) / (4 * len(TOPICS))
    assert max(counts.values()) > 1.5 * min(counts.values())


def test_ids_unique_and_prefixed(default_corpus: list[dict]) -> None:
    ids = [r["id"] for r in default_corpus]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(DEMO_ID_PREFIX) for i in ids)


def test_dates_in_range_and_spread(default_corpus: list[dict]) -> None:
    days = [date.fromisoformat(r["update_date"]) for r in default_corpus]
    assert min(days) >= date(2019, 1, 1)
    assert max(days) <= date(2025, 12, 31)
    assert len({d.year for d in days}) >= 5


def test_topics_trend_differently(default_corpus: list[dict]) -> None:
    shares: dict[str, Counter[str]] = defaultdict(Counter)
    for record in default_corpus:
        year = record["update_date"][:4]
        shares[record["categories"].split()[0]][year] += 1
    growth = {cat: (years["2024"] + years["2025"]) / max(1, years["2019"] + years["2020"]) for cat, years in shares.items()}
    assert max(growth.values()) > 2 * min(growth.values())


def test_some_latex(default_corpus: list[dict]) -> None:
    titles = sum("$" in r["title"] for r in default_corpus)
    abstracts = sum("$" in r["abstract"] for r in default_corpus)
    assert 0 < titles < len(default_corpus) / 5
    assert 0 < abstracts < len(default_corpus) / 2


def test_abstracts_use_own_topic_terms() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for topic in TOPICS:
        for term in topic.terms:
            owners[term.lower()].add(topic.category)
    pattern = term_pattern(owners)
    hits: dict[str, Counter[str]] = defaultdict(Counter)
    for record in demo.generate_demo_records(n_papers=800, seed=3):
        primary = record["categories"].split()[0]
        for term in pattern.findall(record["abstract"].lower()):
            hits[primary].update(owners[term])
    assert set(hits) == set(BY_CATEGORY)
    for category, counts in hits.items():
        own = counts.pop(category)
        assert own > 5 * max(counts.values(), default=0), (category, counts.most_common(1))


def test_term_share_in_abstracts(default_corpus: list[dict]) -> None:
    patterns = {t.category: term_pattern(t.terms) for t in TOPICS}
    shares = []
    for record in default_corpus[::10]:
        pattern = patterns[record["categories"].split()[0]]
        covered = sum(len(term.split()) for term in pattern.findall(record["abstract"].lower()))
        shares.append(covered / word_count(record["abstract"]))
    assert 0.3 <= sum(shares) / len(shares) <= 0.5


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz"])
def test_deterministic_bytes(tmp_path: Path, name: str) -> None:
    first, second = tmp_path / "a" / name, tmp_path / "b" / name
    write_demo_corpus(first, n_papers=500, seed=7)
    write_demo_corpus(str(second), n_papers=500, seed=7)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz"])
def test_different_seed_changes_bytes(tmp_path: Path, name: str) -> None:
    write_demo_corpus(tmp_path / "a" / name, n_papers=300, seed=0)
    write_demo_corpus(tmp_path / "b" / name, n_papers=300, seed=1)
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_gzip_matches_plain(tmp_path: Path) -> None:
    plain, packed = tmp_path / "c.jsonl", tmp_path / "c.jsonl.gz"
    write_demo_corpus(plain, n_papers=200, seed=2)
    write_demo_corpus(packed, n_papers=200, seed=2)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()


@pytest.mark.parametrize("n_papers", [1, 5, 17, 64])
def test_small_corpora(tmp_path: Path, n_papers: int) -> None:
    path = tmp_path / "small.jsonl"
    assert write_demo_corpus(path, n_papers=n_papers) == n_papers
    records = read_records(path)
    assert len(records) == n_papers
    assert len({r["id"] for r in records}) == n_papers


@pytest.mark.parametrize("n_papers", [0, -3])
def test_invalid_size_raises(tmp_path: Path, n_papers: int) -> None:
    with pytest.raises(ValueError):
        write_demo_corpus(tmp_path / "x.jsonl", n_papers=n_papers)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "corpus.jsonl.gz"
    write_demo_corpus(target, n_papers=50)
    write_demo_corpus(target, n_papers=60)
    assert [p.name for p in target.parent.iterdir()] == ["corpus.jsonl.gz"]
    assert len(read_records(target)) == 60


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "corpus.jsonl"
    write_demo_corpus(target, n_papers=20)
    before = target.read_bytes()

    def broken_replace(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(demo.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_demo_corpus(target, n_papers=30)
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.jsonl"]
    assert target.read_bytes() == before
