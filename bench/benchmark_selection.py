"""Benchmark map selections at a million papers: seconds of server time for a box and for lassos (issue 19, point 4).

    python -m bench.benchmark_selection [--points 1000000] [--repeats 7] [--seed 0] [--map PATH/map.npy]

The points are laid out like a map (float32 like the UMAP output: seeded Gaussian blobs of many sizes and spreads,
some stretched, over the extent of a real 1M map) or read from a model set's map.npy with --map. Each selection is
a Streamlit plotly selection event as the map page gets it, resolved by `lib.selection.selected_rows` (the current
code) and by the same with the per-edge loop that `points_in_polygon` was before issue 19 (kept below to compare):

* a box from 30% to 95% of the map's width over the top 70% of its height (as the map's browser test drags),
* a 20-vertex blob around a dense region,
* a 200-vertex freehand lasso (Plotly's lasso sends one vertex per mouse move: uneven steps, a wobbly outline),
* a 500-vertex figure of eight over the map: concave, and crossing itself in the middle,
* a 500-vertex lasso around the whole map (nearly every point is in its bounding box: the worst case of the prefilter).

For each: the median and max over --repeats calls (after one untimed call) of wall seconds and of this process's
CPU seconds, the count of papers selected and whether the two implementations return the same rows. If shapely or
matplotlib can be imported (neither is a dependency of the project), their point-in-polygon tests are timed on the
same lassos too, with their counts and how many points they classify otherwise. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lib.selection import points_in_box, selected_rows, selection_shapes

# The extent of a real 1,000,000-paper map (x from -3.0 to 12.8, y from -2.0 to 6.3).
EXTENT = (-3.0, 12.8, -2.0, 6.3)


def edge_loop_points_in_polygon(x: np.ndarray, y: np.ndarray, xs: tuple[float, ...], ys: tuple[float, ...]) -> np.ndarray:
    """lib.selection.points_in_polygon before issue 19: every edge tested on every point of the bounding box."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    inside = np.zeros(x.shape, dtype=bool)
    if len(xs) < 3:
        return inside
    candidates = np.flatnonzero(points_in_box(x, y, xs, ys))
    px, py = x[candidates], y[candidates]
    crossings = np.zeros(len(candidates), dtype=bool)
    vx, vy = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    for x1, y1, x2, y2 in zip(vx, vy, np.roll(vx, -1), np.roll(vy, -1), strict=True):
        if y1 == y2:
            continue
        spans = (y1 > py) != (y2 > py)
        at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        crossings ^= spans & (px < at)
    inside[candidates] = crossings
    return inside


def edge_loop_selected_rows(x: np.ndarray, y: np.ndarray, event: object) -> np.ndarray | None:
    """lib.selection.selected_rows with the loop above for lassos."""
    shapes = selection_shapes(event)
    if not shapes:
        return None
    x, y = np.asarray(x), np.asarray(y)
    mask = np.zeros(x.shape, dtype=bool)
    for shape in shapes:
        if shape.kind == "box":
            mask |= points_in_box(x, y, shape.x, shape.y)
        else:
            mask |= edge_loop_points_in_polygon(x, y, shape.x, shape.y)
    return np.flatnonzero(mask)


def map_layout(points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points clustered like a topic map: 80 blobs of Dirichlet-drawn sizes, spreads 0.05-0.45, a third stretched."""
    rng = np.random.default_rng(seed)
    x0, x1, y0, y1 = EXTENT
    blobs = 80
    cx, cy = rng.uniform(x0 + 1, x1 - 1, blobs), rng.uniform(y0 + 0.7, y1 - 0.7, blobs)
    spread = rng.uniform(0.05, 0.45, blobs)
    stretch = np.where(rng.random(blobs) < 1 / 3, rng.uniform(1.5, 3.0, blobs), 1.0)
    turn = rng.uniform(0, np.pi, blobs)
    blob = rng.choice(blobs, points, p=rng.dirichlet(np.full(blobs, 0.7)))
    u = rng.standard_normal(points) * spread[blob] * stretch[blob]
    v = rng.standard_normal(points) * spread[blob]
    cos, sin = np.cos(turn[blob]), np.sin(turn[blob])
    x = (cx[blob] + u * cos - v * sin).astype(np.float32)
    y = (cy[blob] + u * sin + v * cos).astype(np.float32)
    return x, y


def wobbly_loop(rng: np.random.Generator, vertices: int, centre: tuple[float, float], size: tuple[float, float], wobble: float) -> tuple:
    """A closed hand-drawn outline: uneven angular steps, a radius of a few random harmonics plus jitter."""
    steps = rng.uniform(0.3, 1.7, vertices)
    angles = 2 * np.pi * np.cumsum(steps) / steps.sum()
    radius = np.ones(vertices)
    for harmonic in range(2, 6):
        radius += wobble / harmonic * np.sin(harmonic * angles + rng.uniform(0, 2 * np.pi))
    radius += rng.normal(0, wobble / 20, vertices)
    return centre[0] + size[0] * radius * np.cos(angles), centre[1] + size[1] * radius * np.sin(angles)


def selections(x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, dict]:
    """Name -> the Streamlit selection event of each of the benchmark's box and lassos, placed on the points' extent."""
    rng = np.random.default_rng(seed + 1)
    # The extent without the farthest 0.5% on each side (stray points), where a reader's eye sees the map.
    x0, x1 = (float(v) for v in np.nanpercentile(x, [0.5, 99.5]))
    y0, y1 = (float(v) for v in np.nanpercentile(y, [0.5, 99.5]))
    w, h = x1 - x0, y1 - y0
    shapes = {"box": ("box", [x0 + 0.3 * w, x0 + 0.95 * w], [y1 - 0.7 * h, y1])}
    # The densest cell of a 20 x 20 grid: where a reader would circle a topic.
    counts, ex, ey = np.histogram2d(x, y, bins=20, range=[[x0, x1], [y0, y1]])
    i, j = np.unravel_index(np.argmax(counts), counts.shape)
    dense = ((ex[i] + ex[i + 1]) / 2, (ey[j] + ey[j + 1]) / 2)
    shapes["blob, 20 vertices"] = ("lasso", *wobbly_loop(rng, 20, dense, (0.12 * w, 0.15 * h), 0.3))
    shapes["freehand, 200 vertices"] = ("lasso", *wobbly_loop(rng, 200, (x0 + 0.5 * w, y0 + 0.5 * h), (0.3 * w, 0.35 * h), 0.5))
    # A figure of eight drawn freehand: concave, its two lobes wound opposite ways, crossing in the middle.
    t = np.sort(rng.uniform(0, 2 * np.pi, 500))
    eight_x = x0 + 0.5 * w + 0.4 * w * np.sin(t) + 0.1 * w * np.sin(3 * t) + rng.normal(0, 0.003 * w, 500)
    eight_y = y0 + 0.5 * h + 0.4 * h * np.sin(2 * t) + rng.normal(0, 0.003 * h, 500)
    shapes["self-crossing, 500 vertices"] = ("lasso", eight_x, eight_y)
    shapes["whole map, 500 vertices"] = ("lasso", *wobbly_loop(rng, 500, (x0 + 0.5 * w, y0 + 0.5 * h), (0.62 * w, 0.7 * h), 0.1))
    return {
        name: {"selection": {kind: [{"xref": "x", "yref": "y", "x": [float(v) for v in xs], "y": [float(v) for v in ys]}]}}
        for name, (kind, xs, ys) in shapes.items()
    }


def timed(call: Callable[[], object], repeats: int) -> tuple[object, list[float], list[float]]:
    """The call's result and its wall and CPU seconds over `repeats` calls after one untimed one."""
    result = call()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, walls, cpus


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} / {max(values):.3f}"


def alternatives() -> dict[str, Callable]:
    """Point-in-polygon tests of other libraries that can be imported here: name -> f(x, y, xs, ys) -> mask."""
    found = {}
    try:
        import shapely

        def with_shapely(x, y, xs, ys):
            polygon = shapely.Polygon(np.column_stack([xs, ys]))
            shapely.prepare(polygon)
            return shapely.contains_xy(polygon, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

        found[f"shapely {shapely.__version__} contains_xy"] = with_shapely
    except ImportError:
        pass
    try:
        import matplotlib
        from matplotlib.path import Path as MplPath

        def with_matplotlib(x, y, xs, ys):
            return MplPath(np.column_stack([xs, ys])).contains_points(np.column_stack([x, y]).astype(np.float64))

        found[f"matplotlib {matplotlib.__version__} Path.contains_points"] = with_matplotlib
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points laid out like a map (ignored with --map)")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per selection and implementation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--map", type=Path, help="a model set's map.npy (n x 2) to select from instead")
    args = parser.parse_args()

    if args.map:
        coords = np.load(args.map)
        x, y, source = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]), str(args.map)
    else:
        x, y = map_layout(args.points, args.seed)
        source = f"{args.points:,} points in seeded Gaussian blobs (seed {args.seed})"
    print(f"points: {source}, {x.dtype}")
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}; load average at start {os.getloadavg()}"
    )
    print(f"times: median / max of {args.repeats} calls after one untimed call, seconds\n")
    print("| selection | papers | agree | before: wall | before: CPU | now: wall | now: CPU |")
    print("|---|---:|---|---:|---:|---:|---:|")
    events = selections(x, y, args.seed)
    for name, event in events.items():
        old, old_wall, old_cpu = timed(lambda event=event: edge_loop_selected_rows(x, y, event), args.repeats)
        new, new_wall, new_cpu = timed(lambda event=event: selected_rows(x, y, event), args.repeats)
        agree = "yes" if np.array_equal(old, new) else f"NO ({len(old):,} before)"
        print(f"| {name} | {len(new):,} | {agree} | {seconds(old_wall)} | {seconds(old_cpu)} | {seconds(new_wall)} | {seconds(new_cpu)} |")
    others = alternatives()
    if others:
        print("\nOther libraries on the lassos (points_in_polygon only; differing: points they classify otherwise)\n")
        print("| lasso | library | papers | differing | wall | CPU |")
        print("|---|---|---:|---:|---:|---:|")
        for name, event in events.items():
            (shape,) = selection_shapes(event)
            if shape.kind != "lasso":
                continue
            ours = np.zeros(x.shape, dtype=bool)
            ours[selected_rows(x, y, event)] = True
            for library, test in others.items():
                mask, walls, cpus = timed(lambda test=test, shape=shape: test(x, y, shape.x, shape.y), args.repeats)
                print(f"| {name} | {library} | {int(mask.sum()):,} | {int((mask != ours).sum()):,} | {seconds(walls)} | {seconds(cpus)} |")
    print(f"\nload average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
