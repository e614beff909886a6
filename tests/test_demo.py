"""Tests for the synthetic demo corpus writer."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest

from lib import demo
from lib.demo import DEMO_ID_PREFIX, FIELDS, GENERAL_TERMS, NEIGHBOURS, RELATED, TOPICS, write_demo_corpus

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
        every = topic.core + sum(topic.subtopics, ())
        assert len(set(every)) == len(every) == len(topic.terms) >= 45
        assert any(" " in term for term in topic.terms)
        assert len(topic.subtopics) >= 2 and all(len(sub) >= 12 for sub in topic.subtopics) and len(topic.core) >= 10
        assert topic.field in FIELDS and not set(topic.terms) & set(FIELDS[topic.field]) & set(GENERAL_TERMS)
        assert NEIGHBOURS[topic.category], topic.category
    assert all(a in BY_CATEGORY and b in BY_CATEGORY and a != b for a, b in RELATED)
    fields = Counter(topic.field for topic in TOPICS)
    assert len(fields) >= 4 and sum(count >= 3 for count in fields.values()) >= 2
    assert all(len(terms) >= 20 for terms in FIELDS.values()) and len(GENERAL_TERMS) >= 30


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
        assert all(c in BY_CATEGORY[primary].cross_lists or c in NEIGHBOURS[primary] for c in cross)


def test_defaults_size_and_topic_spread(default_corpus: list[dict]) -> None:
    assert len(default_corpus) >= 3000
    counts = Counter(r["categories"].split()[0] for r in default_corpus)
    assert len(counts) >= 12
    assert set(counts) == set(BY_CATEGORY)
    # Every topic stays big enough to be a topic of the demo map (the Makefile builds with --min-cluster-size 40)...
    assert min(counts.values()) >= max(len(default_corpus) / (8 * len(TOPICS)), 60)
    # ...but sizes differ as arXiv's categories do: 596 against 81 papers at the defaults.
    assert max(counts.values()) > 5 * min(counts.values())


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
    """Mixed papers bring a related topic's terms in, but a category's abstracts still use its own terms most."""
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
        # 3.1 times at least, measured (cs.CL against cs.LG); 5 held while the demo had no mixed papers.
        assert own > 2.5 * max(counts.values(), default=0), (category, counts.most_common(1))


def test_term_share_in_abstracts(default_corpus: list[dict]) -> None:
    """Own topic terms are a minority of an abstract's words (general and field words, templates), as in real ones."""
    patterns = {t.category: term_pattern(t.terms) for t in TOPICS}
    shares = []
    for record in default_corpus[::10]:
        pattern = patterns[record["categories"].split()[0]]
        covered = sum(len(term.split()) for term in pattern.findall(record["abstract"].lower()))
        shares.append(covered / word_count(record["abstract"]))
    assert 0.1 <= sum(shares) / len(shares) <= 0.3  # 0.17 measured


def category_words(records: list[dict]) -> dict[str, Counter[str]]:
    """Word counts of each primary category's abstracts, without the words every category uses (the templates')."""
    words: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        words[record["categories"].split()[0]].update(re.findall(r"[a-z][a-z-]+", record["abstract"].lower()))
    everywhere = set.intersection(*(set(counts) for counts in words.values()))
    return {category: Counter({w: n for w, n in counts.items() if w not in everywhere}) for category, counts in words.items()}


def cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(n * b[w] for w, n in a.items() if w in b)
    return dot / math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))


def test_topics_of_one_field_share_vocabulary(default_corpus: list[dict]) -> None:
    """Neighbouring topics sit close on the map because their abstracts share words: topics of one field are far more
    alike than topics of different fields (0.48 against 0.08 mean cosine, measured), and each topic's nearest topic is
    of its field or a related one."""
    words = category_words(default_corpus)
    same, across = [], []
    for a, b in itertools.combinations(TOPICS, 2):
        (same if a.field == b.field else across).append(cosine(words[a.category], words[b.category]))
    assert sum(same) / len(same) > 3 * sum(across) / len(across)
    for topic in TOPICS:
        nearest = max((t for t in TOPICS if t is not topic), key=lambda t: cosine(words[topic.category], words[t.category]))
        assert nearest.field == topic.field or nearest.category in NEIGHBOURS[topic.category], (topic.category, nearest.category)


def test_mixed_papers_span_two_related_topics(default_corpus: list[dict]) -> None:
    """Interdisciplinary papers: cross-listed in a related topic's category, and using that topic's terms."""
    patterns = {t.category: term_pattern(t.terms) for t in TOPICS}
    mixed = [r for r in default_corpus if any(c in NEIGHBOURS[r["categories"].split()[0]] for c in r["categories"].split()[1:])]
    assert 0.15 <= len(mixed) / len(default_corpus) <= 0.45  # 0.36 measured
    spanning = 0
    for record in mixed:
        primary, partner = record["categories"].split()
        text = record["abstract"].lower()
        spanning += len(patterns[partner].findall(text)) >= 2 and len(patterns[primary].findall(text)) >= 2
    assert spanning >= 0.8 * len(mixed)  # 0.95 measured
    plain = [r for r in default_corpus if len(r["categories"].split()) == 1]
    partner_terms = [sum(len(patterns[n].findall(r["abstract"].lower())) for n in NEIGHBOURS[r["categories"]]) for r in plain]
    assert sum(partner_terms) / len(plain) < 2  # plain papers borrow little


@pytest.mark.parametrize("category", ["cs.LG", "cs.CL", "quant-ph"])
def test_large_topics_have_subtopics(default_corpus: list[dict], category: str) -> None:
    """A large topic is not one blob: its papers lean on different subtopics, each a real share of the topic, and a
    paper's subtopic terms come mostly from one subtopic (0.62-0.76 on average, measured; 0.48-0.56 for terms spread
    at random over the subtopics)."""
    topic = BY_CATEGORY[category]
    patterns = [term_pattern(sub) for sub in topic.subtopics]
    leaning: Counter[int] = Counter()
    concentration = []
    for record in default_corpus:
        if record["categories"] == category:
            hits = [len(p.findall(record["abstract"].lower())) for p in patterns]
            leaning[max(range(len(hits)), key=hits.__getitem__)] += 1
            if sum(hits):
                concentration.append(max(hits) / sum(hits))
    total = sum(leaning.values())
    assert len(leaning) == len(topic.subtopics) >= 3
    assert min(leaning.values()) >= 0.1 * total and max(leaning.values()) <= 0.6 * total
    assert sum(concentration) / len(concentration) >= 0.6


def test_some_generalist_papers(default_corpus: list[dict]) -> None:
    """A few papers belong to no topic in particular: terms of three topics or more, none with half of them."""
    patterns = {t.category: term_pattern(t.terms) for t in TOPICS}
    scattered = 0
    for record in default_corpus:
        hits = [len(p.findall(record["abstract"].lower())) for p in patterns.values()]
        scattered += sum(h >= 2 for h in hits) >= 3 and max(hits) < 0.5 * sum(hits)
    assert 0.02 <= scattered / len(default_corpus) <= 0.12  # 0.053 measured


def test_titles_name_what_the_abstract_is_about(default_corpus: list[dict]) -> None:
    """As in real papers, a title's terms come from its abstract (what makes known-item search find the paper)."""
    pattern = term_pattern({t for topic in TOPICS for t in topic.terms} | {t for f in FIELDS.values() for t in f})
    near = 0
    for record in default_corpus:
        in_title = set(pattern.findall(record["title"].lower()))
        near += len(in_title - set(pattern.findall(record["abstract"].lower()))) <= 1
    assert near >= 0.9 * len(default_corpus)  # 0.97 measured


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = demo.generate_demo_records(n_papers=400, seed=5)
    assert demo.generate_demo_records(n_papers=400, seed=5) == first
    assert demo.generate_demo_records(n_papers=400, seed=6) != first


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
