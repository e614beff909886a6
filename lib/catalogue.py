"""The catalogue of one model set's papers: who is in it, where, when, in which categories and topics.

Everything a page shows or filters by that is not a ranking: id and row lookup, years and months, category
and year filters, topic levels and labels, map positions, and the records exports need. Ranking lives in
lib/search.py and asks the catalogue for rows, ids, texts and filters.

Derived columns (years, months, category codes, the id index, levels) are computed once on first use and
kept: a million papers' months take well under a second, the id index about half a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lib.arxiv_ids import normalize_id
from lib.cleaning import tokenize
from lib.levels import Level, topic_levels
from lib.modelset import ModelSet
from lib.reading import Filters
from lib.topic_views import paper_months

UNCLUSTERED = "unclustered"


class Catalogue:
    """The papers of one model set and what is known about each; read-only and thread-safe once loaded."""

    def __init__(self, model_set: ModelSet) -> None:
        self.path: Path = model_set.path
        self.manifest: dict = model_set.manifest
        self.papers: pd.DataFrame = model_set.papers
        self.topics: list[dict] = model_set.topics
        # Level-0 topic (cluster id, -1 noise) and 2-D map position of every paper, memory-mapped.
        self.clusters: np.ndarray = model_set.clusters
        self.coords: np.ndarray = model_set.coords
        self.warnings: list[str] = model_set.warnings  # versions differing from the build's, shown by the picker
        self._stored_levels = model_set.levels
        self._vectors = model_set.vectors
        self.labels: dict[int, str] = {topic["id"]: topic["label"] for topic in self.topics}

    @property
    def name(self) -> str:
        """The model set's folder name."""
        return self.path.name

    @property
    def created_at(self) -> str | None:
        """When the set was built (from its manifest): with the path, what tells two builds apart."""
        return self.manifest.get("created_at")

    def __len__(self) -> int:
        return len(self.papers)

    # Ids and rows.

    @cached_property
    def _id_index(self) -> pd.Index:
        """Row lookup by id, built on first use (a hash table over a million ids takes about half a second)."""
        return pd.Index(self.papers["id"])

    def ids(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """The paper ids of these rows."""
        return [str(paper_id) for paper_id in self.papers["id"].iloc[np.asarray(rows, dtype=np.int64)]]

    def row_of(self, paper_id: str) -> int | None:
        """The row of a paper id (a version suffix is ignored), or None."""
        try:
            row = self._id_index.get_loc(normalize_id(paper_id))
        except KeyError:
            return None
        return row if isinstance(row, int) else None

    def rows_of(self, paper_ids: Sequence[str]) -> list[int]:
        """The rows of these ids, each once, in order; KeyError naming the first id not in the set."""
        rows = [self.row_of(paper_id) for paper_id in paper_ids]
        missing = [paper_id for paper_id, row in zip(paper_ids, rows, strict=True) if row is None]
        if missing:
            raise KeyError(f"paper {missing[0]!r} is not in model set '{self.name}'")
        return list(dict.fromkeys(rows))

    def known_rows(self, paper_ids: Sequence[str]) -> list[int]:
        """The rows of those ids that are in the set, in order (unknown ids skipped)."""
        return [row for row in map(self.row_of, paper_ids) if row is not None]

    def tokens(self, rows: Sequence[int]) -> list[str]:
        """The cleaned tokens of these papers' titles and abstracts, joined: what keyword similarity compares."""
        papers = self.papers[["title", "abstract"]].iloc[list(rows)]
        return tokenize(" ".join(f"{title} {abstract}" for title, abstract in zip(papers["title"], papers["abstract"], strict=True)))

    def title_tokens(self, rows: Sequence[int]) -> list[list[str]]:
        """The cleaned tokens of each of these papers' titles, in order: how a typed title is matched to its paper."""
        titles = self.papers["title"].iloc[list(rows)]
        return [tokenize(str(title)) for title in titles.fillna("")]

    # Dates and categories.

    @cached_property
    def years(self) -> np.ndarray:
        """Each paper's update year (0 when unknown)."""
        head = self.papers["update_date"].fillna("").str.slice(0, 4)
        valid = (head.str.len() == 4) & head.str.isdigit()
        return head.where(valid, "0").astype("int64").to_numpy()

    @cached_property
    def months(self) -> np.ndarray:
        """Each paper's month (year * 12 + month - 1, 0 unknown) from its arXiv id, else its update date."""
        return paper_months(self.papers["id"], self.papers["update_date"])

    def year_bounds(self) -> tuple[int, int] | None:
        """The smallest and largest update year, or None when no paper has a date."""
        known = self.years[self.years > 0]
        return (int(known.min()), int(known.max())) if len(known) else None

    @cached_property
    def _category_codes(self) -> tuple[np.ndarray, list[str]]:
        """Each paper's categories string as a code into the list of distinct strings (far fewer than papers)."""
        codes, distinct = pd.factorize(self.papers["categories"].fillna(""))
        return codes, [str(value) for value in distinct]

    def filter_mask(self, categories: Sequence[str] = (), years: tuple[int, int] | None = None) -> np.ndarray | None:
        """Papers allowed by category prefixes (any listed category) and an inclusive year range; None = all."""
        mask = None
        if categories:
            matches = Filters(categories=tuple(categories)).category_matches
            codes, distinct = self._category_codes
            mask = np.array([matches(value) for value in distinct], dtype=bool)[codes]
        if years:
            in_range = (self.years >= years[0]) & (self.years <= years[1])
            mask = in_range if mask is None else mask & in_range
        return mask

    def category_options(self, limit: int = 200) -> list[tuple[str, int]]:
        """Primary categories with their paper counts, most common first, for a filter widget."""
        codes, distinct = self._category_codes
        per_string = np.bincount(codes, minlength=len(distinct))
        counts: Counter[str] = Counter()
        for value, n in zip(distinct, per_string.tolist(), strict=True):
            primary = value.split(maxsplit=1)[0] if value.split() else ""
            if primary:
                counts[primary] += n
        return [(cat, int(n)) for cat, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]

    # Topics.

    @cached_property
    def levels(self) -> list[Level]:
        """Level 0 (the set's topics) and coarser levels of about half as many topics each: from levels.json, else computed once."""
        if self._stored_levels is not None:
            return self._stored_levels
        return topic_levels(self._vectors, self.clusters, self.topics)

    def level(self, index: int) -> Level:
        """One level of topics, the nearest existing one for an index out of range."""
        return self.levels[max(0, min(index, len(self.levels) - 1))]

    def level_clusters(self, index: int) -> np.ndarray:
        """Every paper's topic at this level (-1 unclustered)."""
        return self.level(index).clusters(self.clusters)

    def topic_label(self, cluster: int) -> str:
        """A level-0 topic's keyword label ('unclustered' for noise)."""
        return self.labels.get(cluster, UNCLUSTERED)

    # Tables.

    def records(self, rows: Sequence[int]) -> pd.DataFrame:
        """The papers of these rows, in order, with what exports need: id, title, authors, categories, date, topic."""
        table = self.papers[["id", "title", "authors", "categories", "update_date", "cluster"]].iloc[np.asarray(rows, dtype=np.int64)]
        table = table.assign(topic=[self.topic_label(int(c)) for c in table["cluster"]])
        return table.drop(columns="cluster").reset_index(drop=True)

    def listing(self, paper_ids: Sequence[str]) -> pd.DataFrame:
        """A table of the given papers in order (unknown ids skipped): id, title, updated, topic. Links are the pages' job."""
        table = self.records(self.known_rows(paper_ids))
        return table[["id", "title", "update_date", "topic"]].rename(columns={"update_date": "updated"})
