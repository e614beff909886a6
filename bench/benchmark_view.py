"""Server time of one map view's overlay (lib/figures.view_overlay): what a zoom or pan costs once the browser
reports the new view, at several zoom levels.

Not a CI test. Loads a model set, works out every level's label candidates once (as the app's cache does), then for
views of --fraction of the map's width and height around --centres papers drawn at random (the same ones each run),
times the overlay and its JSON (orjson, as pages/mapview.py sends it) and prints per zoom: labels drawn, papers
drawn as points, megabytes sent, median and worst seconds. The plot is taken as 820 x 530 pixels (a laptop's map).

    python -m bench.benchmark_view --model models/NAME [--centres 20] [--fractions 1 0.3 0.1 0.03] [--limit 50000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import orjson

from lib.engine import load_engine
from lib.figures import MapTopics, map_topic_places, view_overlay
from lib.mapview import View
from lib.settings import MAX_MAP_POINTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--centres", type=int, default=20, help="views per zoom, centred on random papers")
    parser.add_argument("--fractions", type=float, nargs="+", default=[1.0, 0.3, 0.1, 0.03], help="view size as a share of the map's")
    parser.add_argument("--limit", type=int, default=MAX_MAP_POINTS, help="papers a map draws as points at most")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    catalogue = load_engine(args.model).catalogue
    x, y = catalogue.papers["x"].to_numpy(), catalogue.papers["y"].to_numpy()
    start = time.perf_counter()
    places = map_topic_places(catalogue)
    print(f"{args.model.name}: {len(x):,} papers, {len(catalogue.levels)} levels, {len(places.level)} label candidates")
    print(f"label candidates worked out in {time.perf_counter() - start:.2f} s (once per set and server)")
    topics = MapTopics(places, catalogue.clusters, catalogue.clusters, 0, catalogue.labels)
    width, height = float(np.ptp(x)), float(np.ptp(y))
    centres = np.random.default_rng(args.seed).choice(len(x), size=args.centres, replace=False)
    print("| view (share of the map) | labels, median | papers drawn, median (max) | MB sent, median (max) | s, median (max) |")
    print("|---|---|---|---|---|")
    for fraction in args.fractions:
        labels, points, sizes, seconds = [], [], [], []
        for row in centres:
            cx, cy = (float(np.median(x)), float(np.median(y))) if fraction >= 1 else (float(x[row]), float(y[row]))
            half_x, half_y = width * fraction / 2, height * fraction / 2
            view = View(cx - half_x, cx + half_x, cy - half_y, cy + half_y, 820, 530)
            begin = time.perf_counter()
            overlay = view_overlay(catalogue.papers, topics, view, args.limit)
            sent = orjson.dumps(overlay, option=orjson.OPT_SERIALIZE_NUMPY)
            seconds.append(time.perf_counter() - begin)
            labels.append(len(overlay["labels"]))
            points.append(sum(len(trace["x"]) for trace in overlay["points"]))
            sizes.append(len(sent) / 1e6)
        print(
            f"| {fraction:g} | {statistics.median(labels):.0f} | {statistics.median(points):,.0f} ({max(points):,}) "
            f"| {statistics.median(sizes):.2f} ({max(sizes):.2f}) | {statistics.median(seconds):.3f} ({max(seconds):.3f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
