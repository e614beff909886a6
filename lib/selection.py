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
    """Which points lie inside a polygon (even-odd rule, closed automatically), by casting a ray to the right."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    inside = np.zeros(x.shape, dtype=bool)
    if len(xs) < 3:
        return inside
    near = points_in_box(x, y, xs, ys)
    candidates = np.flatnonzero(near)
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
