"""Map selections resolved against every paper: the boxes and lassos of a Plotly selection event, in data coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shape:
    """One selection outline in data coordinates: a box (two corners) or a lasso (polygon vertices)."""

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]


def points_in_box(x: np.ndarray, y: np.ndarray, xs: tuple[float, ...], ys: tuple[float, ...]) -> np.ndarray:
    """Which points lie in the box spanned by the given corner coordinates, edges included."""
    return (x >= min(xs)) & (x <= max(xs)) & (y >= min(ys)) & (y <= max(ys))


def points_in_polygon(x: np.ndarray, y: np.ndarray, xs: tuple[float, ...], ys: tuple[float, ...]) -> np.ndarray:
    """Which points lie inside a polygon (even-odd rule, closed automatically), by casting a ray to the right.

    A point (px, py) counts the edge from (x1, y1) to (x2, y2) when min(y1, y2) <= py < max(y1, y2) (so a horizontal
    edge never counts) and px < x1 + (py - y1) * (x2 - x1) / (y2 - y1), computed in float64 in this order; it is
    inside when it counts an odd number of edges. On the boundary this half-open rule holds the left and bottom
    edges of a square but not its right and top ones: the unit square holds [0, 1) x [0, 1). Fewer than 3 vertices
    hold nothing; a point with a NaN coordinate is never inside; an edge with a NaN end never counts.

    Only the points in the polygon's bounding box (edges included) are tested, sorted by y: the points an edge spans
    are then one slice of them, so past the sort the work is the points in the box times the edges a horizontal line
    crosses, a few for a hand-drawn lasso (a comb whose every tooth spans the box's height is the worst case: every
    edge meets every point), and memory is a few arrays of the points in the box whatever the number of vertices.
    Points of any shape give a mask of that shape.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    inside = np.zeros(x.size, dtype=bool)
    if len(xs) < 3:
        return inside.reshape(x.shape)
    candidates = np.flatnonzero(points_in_box(x, y, xs, ys))
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    candidate_y = flat_y[candidates]
    by_y = np.argsort(candidate_y)
    order = candidates[by_y]
    px, py = flat_x[order], candidate_y[by_y]
    del candidates, candidate_y, by_y

    vx, vy = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    wx, wy = np.roll(vx, -1), np.roll(vy, -1)
    counted = (vy != wy) & ~(np.isnan(vx) | np.isnan(vy) | np.isnan(wx) | np.isnan(wy))
    # py is sorted (the box holds no NaN): the points with lowest <= py < highest are py[start:stop].
    starts = np.searchsorted(py, np.where(counted, np.minimum(vy, wy), 0.0), side="left")
    stops = np.searchsorted(py, np.where(counted, np.maximum(vy, wy), 0.0), side="left")
    crossings = np.zeros(order.size, dtype=bool)
    for i in np.flatnonzero(counted & (stops > starts)):
        x1, y1, x2, y2 = vx[i], vy[i], wx[i], wy[i]
        part = slice(starts[i], stops[i])
        at = x1 + (py[part] - y1) * (x2 - x1) / (y2 - y1)
        crossings[part] ^= px[part] < at
    inside[order] = crossings
    return inside.reshape(x.shape)


def _numbers(values: object) -> tuple[float, ...] | None:
    if not isinstance(values, list | tuple) or not values:
        return None
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    return numbers if all(np.isfinite(numbers)) else None


def selection_shapes(event: object) -> list[Shape]:
    """The boxes and lassos of a Streamlit plotly selection event drawn on the main axes (malformed ones skipped)."""
    if not isinstance(event, dict) or not isinstance(event.get("selection"), dict):
        return []
    shapes = []
    for kind in ("box", "lasso"):
        entries = event["selection"].get(kind)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("xref", "x") != "x" or entry.get("yref", "y") != "y":
                continue
            xs, ys = _numbers(entry.get("x")), _numbers(entry.get("y"))
            if xs and ys and len(xs) == len(ys) and (kind == "lasso" or len(xs) == 2):
                shapes.append(Shape(kind, xs, ys))
    return shapes


def shape_mask(x: np.ndarray, y: np.ndarray, shape: Shape) -> np.ndarray:
    """Which points one shape holds."""
    if shape.kind == "box":
        return points_in_box(x, y, shape.x, shape.y)
    return points_in_polygon(x, y, shape.x, shape.y)


def selected_rows(x: np.ndarray, y: np.ndarray, event: object) -> np.ndarray | None:
    """Rows of every point inside any box or lasso of the event, ascending; None when the event has no shape."""
    shapes = selection_shapes(event)
    if not shapes:
        return None
    x, y = np.asarray(x), np.asarray(y)
    mask = np.zeros(x.shape, dtype=bool)
    for shape in shapes:
        mask |= shape_mask(x, y, shape)
    return np.flatnonzero(mask)


def mark_button_label(marking: int, selected: int) -> str:
    """The map's button text for marking `marking` of `selected` papers 'more like' (all of them, or the first N)."""
    which = "these" if marking == selected else "the first"
    return f"Mark {which} {marking:,} papers 'more like'"
