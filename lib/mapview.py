"""What the map draws over one view of it (the part a reader has zoomed or panned to): topic labels that fit without
overlapping, from the topic level that suits the zoom, and, once few enough papers are in view, those papers
themselves as points to hover and select (at most as many as a map draws as points at all: lib/settings.py
MAX_MAP_POINTS, 50,000).

The page's map (lib/figures.py) is drawn once per set, level and focus; the browser reports each new view (its data
ranges and its size in pixels) and gets back only this overlay, so a zoom costs the server a placement of a few hundred
labels and, zoomed in on a large set, a table of the papers in view, never the whole map again.

Labels: every level's topics (level 0 the finest, each next about half as many) are candidates, each at its papers'
median position with a spread (the median distance of its papers from there). The finest topics are always
candidates; a coarser topic is one while it is large on the screen (spread at least MIN_SPREAD_PX) but not larger
than half the view (a finer topic then says more). Coarser levels go first, then larger topics, each placed only where
its box overlaps no label placed before and lies inside the plot. Zoomed out the coarse levels name the regions and
the finest topics fill the room left; zoomed in the coarse topics outgrow the screen and the finer labels take over.
lib/figures.py draws them as annotations on a pale backing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.clustering import NOISE

# A coarser level's topic gets a label when its papers spread over at least this many pixels (median distance from
# its centre).
MIN_SPREAD_PX = 40.0
# A coarser level's topic is labelled at its papers' median position only if one of its papers lies within this share
# of its spread from there.
COHERENT_GAP = 0.5
# At most this many labels in one view.
MAX_VIEW_LABELS = 80
# Label text in pixels; coarser levels are written larger. Width of a character as a share of the font size: 0.62
# holds for the sans-serif the map uses on lower-case keyword labels (checked in Chromium: tests/test_map_view_browser.py
# measures every drawn label's box), plus a margin round each box.
LABEL_FONT_PX = (11, 12, 13)
CHAR_WIDTH = 0.62
LINE_HEIGHT = 1.35
LABEL_MARGIN_PX = 3.0
# A legend in a corner of the plot (the pinned query's, lib/figures.py CORNER_LEGEND), estimated on the wide side:
# Plotly writes its entries at 12 pixels, one line each, after a 40-pixel symbol, inside a few pixels of padding
# (tests/test_map_view_browser.py checks the estimate holds the box Chromium draws).
LEGEND_FONT_PX = 12
LEGEND_LINE_PX = 22
LEGEND_SYMBOL_PX = 40
LEGEND_PAD_PX = 8


@dataclass(frozen=True)
class View:
    """The part of the map on screen: data ranges and the plot's size in pixels (equal scales on both axes)."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int
    height: int

    @classmethod
    def parse(cls, value: object) -> View | None:
        """A view as the browser reports it ({"x": [x0, x1], "y": [y0, y1], "width": w, "height": h}); None for anything
        else (a hand-made or damaged value is ignored, never trusted)."""
        if not isinstance(value, dict):
            return None
        try:
            (x0, x1), (y0, y1) = (float(v) for v in value["x"]), (float(v) for v in value["y"])
            width, height = int(value["width"]), int(value["height"])
        except (KeyError, TypeError, ValueError):
            return None
        finite = np.isfinite([x0, x1, y0, y1]).all()
        if not finite or x1 <= x0 or y1 <= y0 or not (50 <= width <= 20_000) or not (50 <= height <= 20_000):
            return None
        return cls(x0, x1, y0, y1, width, height)

    def scale(self) -> float:
        """Pixels per map unit: the view's ranges fill the plot on the tighter axis (the map keeps x and y equal)."""
        return min(self.width / (self.x1 - self.x0), self.height / (self.y1 - self.y0))

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen positions (pixels from the plot's top-left corner) of map positions, the view centred."""
        scale = self.scale()
        centre_x, centre_y = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        return self.width / 2 + (x - centre_x) * scale, self.height / 2 - (y - centre_y) * scale


@dataclass(frozen=True)
class TopicPlaces:
    """Every level's topics as label candidates, in arrays: level, topic id, centre, spread, papers, text."""

    level: np.ndarray
    topic: np.ndarray
    x: np.ndarray
    y: np.ndarray
    spread: np.ndarray
    gap: np.ndarray
    size: np.ndarray
    text: list[str]


PLACE_COLUMNS = ["level", "topic", "x", "y", "spread", "gap", "size", "text"]


def topic_places_of(x: np.ndarray, y: np.ndarray, levels: Sequence[tuple[np.ndarray, dict[int, str]]]) -> TopicPlaces:
    """Label candidates of every level: for each (papers' topics at that level, label per topic), each topic's median
    position, spread and size. Unclustered papers and topics without a label are left out."""
    parts = []
    for index, (clusters, labels) in enumerate(levels):
        frame = pd.DataFrame({"x": x, "y": y, "cluster": np.asarray(clusters)})
        frame = frame[(frame["cluster"] != NOISE) & frame["cluster"].isin(list(labels))]
        if frame.empty:
            continue
        groups = frame.groupby("cluster", sort=True)
        centres = groups[["x", "y"]].median()
        centre = centres.loc[frame["cluster"]]
        distance = np.hypot(frame["x"].to_numpy() - centre["x"].to_numpy(), frame["y"].to_numpy() - centre["y"].to_numpy())
        by_topic = pd.Series(distance, index=frame.index).groupby(frame["cluster"])
        spread, gap = by_topic.median(), by_topic.min()
        parts.append(
            pd.DataFrame(
                {
                    "level": index,
                    "topic": centres.index.to_numpy(),
                    "x": centres["x"].to_numpy(),
                    "y": centres["y"].to_numpy(),
                    "spread": spread.loc[centres.index].to_numpy(),
                    "gap": gap.loc[centres.index].to_numpy(),
                    "size": groups.size().loc[centres.index].to_numpy(),
                    "text": [labels[int(topic)] for topic in centres.index],
                }
            )
        )
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PLACE_COLUMNS)
    return TopicPlaces(
        table["level"].to_numpy(dtype=np.int64),
        table["topic"].to_numpy(dtype=np.int64),
        table["x"].to_numpy(dtype=np.float64),
        table["y"].to_numpy(dtype=np.float64),
        table["spread"].to_numpy(dtype=np.float64),
        table["gap"].to_numpy(dtype=np.float64),
        table["size"].to_numpy(dtype=np.int64),
        [str(text) for text in table["text"]],
    )


def with_topics_in_view(
    places: TopicPlaces, view: View, x: np.ndarray, y: np.ndarray, clusters: np.ndarray, rows: np.ndarray, min_papers: int = 10
) -> TopicPlaces:
    """The candidates plus, for each finest topic with at least `min_papers` papers in view (`rows`) but its centre
    outside it, one at the median of those papers: zoomed in on a topic's edge, it is still named (a few strays of a
    topic far away are not). Its spread is that of its papers in view."""
    inside = (places.x >= view.x0) & (places.x <= view.x1) & (places.y >= view.y0) & (places.y <= view.y1)
    named = {int(topic) for topic in places.topic[(places.level == 0) & inside]}
    text_of = {int(topic): text for topic, level, text in zip(places.topic, places.level, places.text, strict=True) if level == 0}
    frame = pd.DataFrame({"x": x[rows], "y": y[rows], "cluster": np.asarray(clusters)[rows]})
    frame = frame[frame["cluster"].isin([topic for topic in text_of if topic not in named])]
    if frame.empty:
        return places
    counts = frame["cluster"].value_counts()
    frame = frame[frame["cluster"].isin(counts.index[counts >= min_papers])]
    if frame.empty:
        return places
    groups = frame.groupby("cluster", sort=True)
    centres = groups[["x", "y"]].median()
    topics = [int(topic) for topic in centres.index]
    centre = centres.loc[frame["cluster"]]
    offsets = (frame["x"].to_numpy() - centre["x"].to_numpy(), frame["y"].to_numpy() - centre["y"].to_numpy())
    distance = pd.Series(np.hypot(*offsets), index=frame.index)
    by_topic = distance.groupby(frame["cluster"])
    return TopicPlaces(
        np.concatenate([places.level, np.zeros(len(topics), dtype=np.int64)]),
        np.concatenate([places.topic, np.array(topics, dtype=np.int64)]),
        np.concatenate([places.x, centres["x"].to_numpy(dtype=np.float64)]),
        np.concatenate([places.y, centres["y"].to_numpy(dtype=np.float64)]),
        np.concatenate([places.spread, by_topic.median().loc[centres.index].to_numpy(dtype=np.float64)]),
        np.concatenate([places.gap, by_topic.min().loc[centres.index].to_numpy(dtype=np.float64)]),
        np.concatenate([places.size, counts.loc[centres.index].to_numpy(dtype=np.int64)]),
        [*places.text, *(text_of[topic] for topic in topics)],
    )


def font_px(level: int) -> int:
    """A label's font size: coarser levels larger."""
    return LABEL_FONT_PX[min(level, len(LABEL_FONT_PX) - 1)]


def label_box(text: str, level: int) -> tuple[float, float]:
    """(width, height) in pixels a label takes on the map, its margin included: an estimate on the wide side."""
    size = font_px(level)
    return len(text) * size * CHAR_WIDTH + 2 * LABEL_MARGIN_PX, size * LINE_HEIGHT + 2 * LABEL_MARGIN_PX


def legend_box(entries: Sequence[str], view: View, left: float, top: float) -> tuple[float, float, float, float] | None:
    """The box (left, top, right, bottom, in pixels from the plot's top-left corner) a legend of these entries (their
    texts, as shown) takes when its top-left corner is at `left` and `top` (shares of the plot's width and height);
    None for no entry. Labels are placed round it, not under it."""
    if not entries:
        return None
    width = LEGEND_SYMBOL_PX + max(len(entry) for entry in entries) * LEGEND_FONT_PX * CHAR_WIDTH + 2 * LEGEND_PAD_PX
    height = len(entries) * LEGEND_LINE_PX + 2 * LEGEND_PAD_PX
    x, y = left * view.width, top * view.height
    return (x, y, x + width, y + height)


@dataclass(frozen=True)
class PlacedLabel:
    """A label to draw: which candidate (index into TopicPlaces) and where, in map units."""

    index: int
    x: float
    y: float


def place_labels(
    places: TopicPlaces,
    view: View,
    limit: int = MAX_VIEW_LABELS,
    min_spread_px: float = MIN_SPREAD_PX,
    taken: Sequence[tuple[float, float, float, float]] = (),
) -> list[PlacedLabel]:
    """The labels to draw in this view, none overlapping another or a `taken` box (a legend's, in pixels from the
    plot's top-left corner: a label under it moves just below or beside it, if that stays within its topic's spread),
    every one inside the plot: coarser levels first, then
    larger topics (see the module docstring). A label whose topic's centre is in view but whose box would cross the
    plot's edge is moved inside; a label with the same keywords as one placed already is left out. A coarser level's
    topic whose centre lies in empty space (no paper of its own within half its spread: a group of topics far apart)
    is not labelled there; its finer topics are."""
    if not len(places.level):
        return []
    px, py = view.to_pixels(places.x, places.y)
    spread_px = places.spread * view.scale()
    largest = min(view.width, view.height) / 2
    # The finest topics are always candidates (labelled wherever there is room); a coarser one only while it spreads
    # over enough of the screen, not more than half of it, and round its own papers.
    coarse_fits = (spread_px >= min_spread_px) & (spread_px <= largest) & (places.gap <= COHERENT_GAP * places.spread)
    eligible = (places.level == 0) | coarse_fits
    eligible &= (px >= 0) & (px <= view.width) & (py >= 0) & (py <= view.height)
    order = sorted(np.flatnonzero(eligible), key=lambda i: (-places.level[i], -places.size[i], i))
    placed: list[PlacedLabel] = []
    boxes: list[tuple[float, float, float, float]] = list(taken)
    scale, centre_x, centre_y = view.scale(), (view.x0 + view.x1) / 2, (view.y0 + view.y1) / 2
    said: set[frozenset[str]] = set()
    for i in order:
        # Two levels often name a region alike ("quantum, magnetic, phase" over "quantum, phase, magnetic"): once.
        words = frozenset(places.text[i].split(", "))
        if words in said:
            continue
        width, height = label_box(places.text[i], int(places.level[i]))
        if width > view.width or height > view.height:
            continue
        left = min(max(px[i] - width / 2, 0.0), view.width - width)
        top = min(max(py[i] - height / 2, 0.0), view.height - height)
        box = (left, top, left + width, top + height)
        if any(_overlap(box, b) for b in taken):
            # Under the legend: just below it or right of it, if that is still by the topic's papers.
            box = _beside(box, taken, view, reach=max(float(spread_px[i]), 2 * height))
            if box is None:
                continue
            left, top = box[0], box[1]
        if any(_overlap(box, b) for b in boxes):
            continue
        x = centre_x + (left + width / 2 - view.width / 2) / scale
        y = centre_y - (top + height / 2 - view.height / 2) / scale
        placed.append(PlacedLabel(int(i), float(x), float(y)))
        boxes.append(box)
        said.add(words)
        if len(placed) >= limit:
            break
    return placed


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two (left, top, right, bottom) boxes overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _beside(
    box: tuple[float, float, float, float], taken: Sequence[tuple[float, float, float, float]], view: View, reach: float
) -> tuple[float, float, float, float] | None:
    """The nearest place for a label box next to the taken boxes it meets (just below one, or just right of one),
    inside the plot, clear of every taken box and at most `reach` pixels from where it was; None if there is none."""
    width, height = box[2] - box[0], box[3] - box[1]
    tries = []
    for other in taken:
        if _overlap(box, other):
            tries += [(box[0], other[3] + 1.0), (other[2] + 1.0, box[1])]
    fits = [
        (left, top)
        for left, top in tries
        if left + width <= view.width
        and top + height <= view.height
        and math.hypot(left - box[0], top - box[1]) <= reach
        and not any(_overlap((left, top, left + width, top + height), other) for other in taken)
    ]
    if not fits:
        return None
    left, top = min(fits, key=lambda place: math.hypot(place[0] - box[0], place[1] - box[1]))
    return (left, top, left + width, top + height)


def rows_in_view(x: np.ndarray, y: np.ndarray, view: View, limit: int) -> np.ndarray | None:
    """The rows of the papers inside the view's ranges, in row order; None when more than `limit` are (zoomed out)."""
    inside = (x >= view.x0) & (x <= view.x1) & (y >= view.y0) & (y <= view.y1)
    if int(np.count_nonzero(inside)) > limit:
        return None
    return np.flatnonzero(inside)
