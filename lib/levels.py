"""Coarser levels of topics: the set's topics joined step by step by the similarity of their papers.

Level 0 is the model set's own topics. Each coarser level cuts an average-linkage (cosine) tree over
the topics' mean document vectors into about half as many groups as the level below, down to two.
A group's keywords are its topics' keywords ranked by how high and in how large a topic they stand,
its categories and centre are its topics' weighted by size. A build writes the coarser levels to levels.json (working
them out from a million papers' vectors took about 2 s of a server's first map); sets built before that compute them
at load from vectors.npy, so every model set has them. This module reads and writes no file: lib/modelset.py writes
levels.json (`write_levels`) and reads it back through `levels_from_json`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from lib.topic_labels import distinct_keywords, topic_label

# A topic's record, at every level (topics.json, levels.json): its keywords and its main categories, which make
# its label (lib/topic_labels.py). Here rather than in lib/topic_summaries.py, which loads scikit-learn.
KEYWORDS_PER_TOPIC = 10
TOP_CATEGORIES = 3


def category_shares(counts: Counter[str], size: int) -> list[list]:
    """A topic's TOP_CATEGORIES most common primary categories with their share of its `size` papers (3 decimals)."""
    return [[category, round(n / size, 3)] for category, n in counts.most_common(TOP_CATEGORIES)]


def rounded_centre(centre: object) -> list[float]:
    """A topic's 2-D centre as stored in topics.json and levels.json (4 decimals: far below a map pixel)."""
    return [round(float(centre[0]), 4), round(float(centre[1]), 4)]


@dataclass(frozen=True)
class Level:
    """One granularity: a group for every level-0 topic, and the groups as topic records (as in topics.json)."""

    index: int
    group_of: dict[int, int]
    topics: list[dict]

    def clusters(self, clusters: np.ndarray) -> np.ndarray:
        """Each paper's group at this level (-1 stays -1)."""
        if not self.group_of:
            return np.asarray(clusters)
        lookup = np.full(max(self.group_of) + 2, -1, dtype=np.int32)
        for topic, group in self.group_of.items():
            lookup[topic] = group
        clusters = np.asarray(clusters)
        return np.where(clusters >= 0, lookup[np.clip(clusters, 0, len(lookup) - 1)], -1).astype(np.int32)


def topic_centres(vectors: np.ndarray, clusters: np.ndarray, topic_ids: list[int]) -> np.ndarray:
    """The mean document vector of each topic's papers, in the order of topic_ids (one sparse product)."""
    from scipy import sparse

    clusters = np.asarray(clusters)
    position = np.full(max(max(topic_ids), int(clusters.max(initial=0))) + 2, -1)
    position[topic_ids] = np.arange(len(topic_ids))
    rows = np.flatnonzero(clusters >= 0)
    rows = rows[position[clusters[rows]] >= 0]
    members = sparse.csr_matrix((np.ones(len(rows)), (position[clusters[rows]], rows)), shape=(len(topic_ids), len(clusters)))
    sums = np.asarray(members @ np.asarray(vectors, dtype=np.float32), dtype=np.float64)
    counts = np.asarray(members.sum(axis=1)).ravel()
    return sums / np.maximum(counts, 1)[:, None]


def _group_record(group: int, members: list[dict]) -> dict:
    size = sum(topic["size"] for topic in members)
    scores: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for topic in members:
        for rank, word in enumerate(topic["keywords"]):
            scores[word] += topic["size"] / (rank + 1)
        for category, share in topic.get("top_categories", []):
            categories[category] += share * topic["size"]
    # Topics' keywords share one surface form per word (lib/topic_summaries.py), so equal strings are one keyword;
    # a word that a phrase among the group's keywords holds is left out, as within a topic. Only the best few are
    # looked at: a coarse group of hundreds of topics has thousands, and the check compares each with those chosen.
    ranked = [word for word, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))[: 4 * KEYWORDS_PER_TOPIC]]
    words = distinct_keywords(ranked)[:KEYWORDS_PER_TOPIC]
    shares = category_shares(categories, size)
    centre = np.average([topic["centre"] for topic in members], axis=0, weights=[topic["size"] for topic in members])
    return {
        "id": group,
        "size": size,
        "keywords": words,
        "label": topic_label(words, shares, group),
        "top_categories": shares,
        "centre": rounded_centre(centre),
        "topics": sorted(topic["id"] for topic in members),
    }


def finest_level(topics: list[dict]) -> Level:
    """Level 0: every topic is its own group."""
    return Level(0, {topic["id"]: topic["id"] for topic in topics}, topics)


def topic_levels(vectors: np.ndarray, clusters: np.ndarray, topics: list[dict]) -> list[Level]:
    """Level 0 (the topics themselves) and coarser levels of about half as many groups each, down to two."""
    finest = finest_level(topics)
    if len(topics) < 3:
        return [finest]
    from scipy.cluster.hierarchy import fcluster, linkage

    ids = [topic["id"] for topic in topics]
    tree = linkage(topic_centres(vectors, clusters, ids), method="average", metric="cosine")
    levels, wanted = [finest], len(topics) // 2
    while wanted >= 2:
        cut = fcluster(tree, t=wanted, criterion="maxclust")
        groups: dict[int, list[dict]] = {}
        for topic, group in zip(topics, cut.tolist(), strict=True):
            groups.setdefault(group, []).append(topic)
        if len(groups) < len(levels[-1].topics):
            ordered = sorted(groups.values(), key=lambda members: (-sum(t["size"] for t in members), min(t["id"] for t in members)))
            records = [_group_record(number, members) for number, members in enumerate(ordered)]
            group_of = {topic["id"]: record["id"] for record in records for topic in topics if topic["id"] in record["topics"]}
            levels.append(Level(len(levels), group_of, records))
        wanted //= 2
    return levels


def levels_to_json(levels: list[Level]) -> list[dict]:
    """The coarser levels (level 0 is topics.json itself) as JSON-ready records for levels.json."""
    return [{"group_of": [[topic, group] for topic, group in level.group_of.items()], "topics": level.topics} for level in levels[1:]]


def levels_from_json(records: object, topics: list[dict]) -> list[Level]:
    """Every level from levels.json and the set's topics; ValueError if the records do not fit these topics."""
    levels = [finest_level(topics)]
    if not isinstance(records, list):
        raise ValueError("expected a list of levels")
    ids = {topic["id"] for topic in topics}
    for number, record in enumerate(records, start=1):
        try:
            group_of = {int(topic): int(group) for topic, group in record["group_of"]}
            groups = record["topics"]
            known = {group["id"] for group in groups}
            fits = set(group_of) == ids and set(group_of.values()) == known and all(group["label"] for group in groups)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"level {number} is malformed ({type(exc).__name__}: {exc})") from exc
        if not fits:
            raise ValueError(f"level {number} does not group this set's topics")
        levels.append(Level(number, group_of, groups))
    return levels
