"""Topic labels as queries: does each label find its own topic's papers? Precision@k over all papers, per topic.

    python -m bench.label_precision --model models/NAME [--relabel] [--modes hybrid lexical] [--k 50] [--level 0]
        [--show 20]

For every topic of the chosen level, its label is run as a query over all papers (`engine.ranker.search`, no
filter) and precision@k is the share of the k hits that belong to the topic; the mean is over topics, each
counting once. `--relabel` also names the same topics with the current code (keywords recounted from the papers'
texts in papers.arrow, cleaned as the build cleans them; coarser levels regrouped as the set groups them) and
evaluates those labels beside the stored ones: a before and after on the same clusters, without retraining and
without writing anything into the set. The table lists the `--show` largest topics (all with --show 0), then
the means.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from lib.cleaning import clean_text
from lib.corpus import document_texts
from lib.engine import Engine, load_engine
from lib.levels import Level, topic_levels

# The build's document for each --text choice; a set built from a corpus file of full texts is relabelled from its
# titles and abstracts (the full texts are not kept in the set), which the output says.
METADATA_TEXTS = ("abstract", "title+abstract")


def relabelled_topics(engine: Engine, log=print) -> list[dict]:
    """The set's level-0 topics named by the current code, from its papers' texts (nothing is written)."""
    from lib.topic_summaries import summarise_topics, topic_keywords

    catalogue = engine.catalogue
    text = catalogue.manifest.get("params", {}).get("text", "title+abstract")
    if text not in METADATA_TEXTS:
        log(f"# the set was built from {text!r}; keywords are recounted from titles and abstracts")
        text = "title+abstract"
    start = time.perf_counter()
    clusters = np.asarray(catalogue.clusters)
    cleaned = (clean_text(document) for document in document_texts(catalogue.papers, text))
    keywords = topic_keywords(cleaned, clusters)
    topics = summarise_topics(clusters, np.asarray(catalogue.coords), catalogue.papers["categories"].tolist(), keywords)
    log(f"# relabelled {len(topics)} topics from {len(clusters):,} papers' {text} in {time.perf_counter() - start:.1f}s")
    return topics


def relabelled_level(engine: Engine, topics: list[dict], index: int) -> Level:
    """A coarser level of the relabelled topics, grouped as the set's own level of that index groups them."""
    if index == 0:
        return Level(0, {topic["id"]: topic["id"] for topic in topics}, topics)
    levels = topic_levels(engine.ranker.vectors, np.asarray(engine.catalogue.clusters), topics)
    return levels[min(index, len(levels) - 1)]


def label_precision(engine: Engine, level: Level, k: int, mode: str) -> dict[int, float]:
    """Each group's precision@k: the share of its label's k best papers (over all papers) that are in the group."""
    groups = level.clusters(np.asarray(engine.catalogue.clusters))
    precision = {}
    for topic in level.topics:
        hits = engine.ranker.search(topic["label"], k=k, mode=mode)
        rows = np.array([hit.row for hit in hits], dtype=np.int64)
        precision[topic["id"]] = float(np.count_nonzero(groups[rows] == topic["id"])) / k if len(rows) else 0.0
    return precision


def main() -> None:
    """Evaluate the stored labels (and with --relabel the current code's) and print the table and the means."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--relabel", action="store_true", help="also name the topics with the current code and compare")
    parser.add_argument("--modes", nargs="+", default=["hybrid", "lexical"], choices=["hybrid", "semantic", "lexical"])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--level", type=int, default=0, help="0: the topics; 1, 2, ...: coarser levels")
    parser.add_argument("--show", type=int, default=20, help="largest topics listed (0: all)")
    args = parser.parse_args()

    engine = load_engine(args.model)
    stored = engine.catalogue.level(args.level)
    runs = {"stored": stored}
    if args.relabel:
        runs["current"] = relabelled_level(engine, relabelled_topics(engine), stored.index)
    papers = len(engine.catalogue)
    print(f"# {engine.name}: {papers:,} papers, level {stored.index}: {len(stored.topics)} topics; precision@{args.k}")
    results = {(run, mode): label_precision(engine, level, args.k, mode) for run, level in runs.items() for mode in args.modes}

    columns = [f"{run} {mode}" for run in runs for mode in args.modes]
    by_size = sorted(stored.topics, key=lambda topic: (-topic["size"], topic["id"]))
    shown = by_size if args.show <= 0 else by_size[: args.show]
    labels = {run: {topic["id"]: topic["label"] for topic in level.topics} for run, level in runs.items()}
    print("id\tsize\t" + "\t".join(columns) + "\t" + "\t".join(f"{run} label" for run in runs))
    for topic in shown:
        figures = "\t".join(f"{results[run, mode][topic['id']]:.2f}" for run in runs for mode in args.modes)
        print(f"{topic['id']}\t{topic['size']}\t{figures}\t" + "\t".join(labels[run][topic["id"]] for run in runs))
    print("mean over topics:")
    for run in runs:
        for mode in args.modes:
            values = np.array(list(results[run, mode].values()))
            print(f"  {run:8s} {mode:8s} P@{args.k} = {values.mean():.3f}  (median {np.median(values):.2f}, {len(values)} topics)")


if __name__ == "__main__":
    main()
