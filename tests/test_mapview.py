"""The map's view overlay: labels that follow the zoom without overlapping, and the papers of a view once few enough."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.figures import OTHER_LEVEL_COLOUR, VIEW_LABEL_NAME, VIEW_POINTS_UID, label_colour, view_label_annotations, view_point_traces
from lib.mapview import View, font_px, label_box, legend_box, place_labels, rows_in_view, topic_places_of, with_topics_in_view


def blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twelve topics of 200 papers on a 4 x 3 grid 4 units apart (neighbours nearly touch): x, y and each paper's topic."""
    rng = np.random.default_rng(seed)
    centres = [(4.0 * (t % 4), 4.0 * (t // 4)) for t in range(12)]
    topic = np.repeat(np.arange(12), 200)
    x = np.array([centres[t][0] for t in topic]) + rng.normal(0, 0.8, len(topic))
    y = np.array([centres[t][1] for t in topic]) + rng.normal(0, 0.8, len(topic))
    return x, y, topic


def levels_of(topic: np.ndarray) -> list[tuple[np.ndarray, dict[int, str]]]:
    """Level 0: the twelve topics; level 1: the grid's three rows (four neighbouring topics each)."""
    fine = {t: f"fine topic {t}" for t in range(12)}
    coarse = {r: f"coarse row {r}" for r in range(3)}
    return [(topic, fine), (topic // 4, coarse)]


def boxes(places, chosen, view: View) -> list[tuple[float, float, float, float]]:
    px, py = view.to_pixels(np.array([label.x for label in chosen]), np.array([label.y for label in chosen]))
    result = []
    for label, x, y in zip(chosen, px, py, strict=True):
        width, height = label_box(places.text[label.index], int(places.level[label.index]))
        result.append((x - width / 2, y - height / 2, x + width / 2, y + height / 2))
    return result


def texts(places, chosen, level: int | None = None) -> set[str]:
    return {places.text[label.index] for label in chosen if level is None or places.level[label.index] == level}


def test_zoomed_out_the_coarse_labels_zoomed_in_the_fine_ones_never_overlapping() -> None:
    x, y, topic = blobs()
    places = topic_places_of(x, y, levels_of(topic))
    whole = View(-3, 15, -3, 11, 800, 600)
    chosen = place_labels(places, whole)
    # Zoomed out: every coarse row labelled, at its centre, and fine topics only where they fit beside them.
    assert texts(places, chosen, 1) == {"coarse row 0", "coarse row 1", "coarse row 2"}
    # Zoomed in on one topic: the coarse row spreads wider than half the screen, so the fine topics speak.
    close = View(1, 7, 1, 7, 800, 800)
    near = place_labels(places, close)
    assert near and texts(places, near) == texts(places, near, 0) and "fine topic 5" in texts(places, near)
    for view, picked in ((whole, chosen), (close, near)):
        drawn = boxes(places, picked, view)
        for a, first in enumerate(drawn):
            assert first[0] >= 0 and first[2] <= view.width and first[1] >= 0 and first[3] <= view.height
            for second in drawn[a + 1 :]:
                assert not (first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3])


def test_a_small_plot_labels_fewer_topics_and_a_large_one_more() -> None:
    x, y, topic = blobs()
    places = topic_places_of(x, y, levels_of(topic))
    small = place_labels(places, View(-3, 15, -3, 11, 300, 225))
    large = place_labels(places, View(-3, 15, -3, 11, 2400, 1800))
    assert len(small) < len(large) and len(large) >= 12


def test_a_coarse_group_of_topics_far_apart_is_not_labelled_in_the_empty_space_between() -> None:
    x, y, topic = blobs()
    apart = (topic == 0) | (topic == 3)  # the two ends of the bottom row: their median lies in the gap
    levels = [(topic, {t: f"fine {t}" for t in range(12)}), (np.where(apart, 0, -1), {0: "far apart"})]
    places = topic_places_of(x, y, levels)
    chosen = place_labels(places, View(-3, 15, -3, 11, 800, 600))
    assert "far apart" not in texts(places, chosen) and "fine 0" in texts(places, chosen)


def test_views_as_reported_are_checked_and_rows_in_view_stop_at_the_limit() -> None:
    assert View.parse({"x": [0, 1], "y": [0, 2], "width": 800, "height": 500}) == View(0.0, 1.0, 0.0, 2.0, 800, 500)
    for bad in (
        None,
        "x",
        {"x": [1, 0], "y": [0, 1], "width": 800, "height": 500},
        {"x": [0, 1], "y": [0, "nan"], "width": 9, "height": 9},
        {"x": [0, 1], "y": [0, 1]},
        {"x": [0, 1, 2], "y": [0, 1], "width": 800, "height": 500},
    ):
        assert View.parse(bad) is None
    x, y, _ = blobs()
    one = View(-1.5, 1.5, -1.5, 1.5, 800, 800)
    rows = rows_in_view(x, y, one, limit=1000)
    assert rows is not None and set(rows) == set(np.flatnonzero((x >= -1.5) & (x <= 1.5) & (y >= -1.5) & (y <= 1.5)))
    assert rows_in_view(x, y, View(-3, 15, -3, 11, 800, 600), limit=1000) is None


def test_overlay_traces_are_valid_plotly_and_keep_hostile_text_literal() -> None:
    x, y, topic = blobs()
    places = topic_places_of(x, y, [(topic, {t: f"<b>topic</b> {t}" for t in range(12)}), (topic // 4, {r: f"row {r}" for r in range(3)})])
    view = View(-3, 15, -3, 11, 1600, 1200)
    chosen = place_labels(places, view)
    labels = view_label_annotations(places, chosen, shown_level=0)
    assert labels and all(a["name"] == VIEW_LABEL_NAME and a["showarrow"] is False for a in labels)
    assert all(a["text"].startswith("&lt;b&gt;") or a["text"].startswith("row") for a in labels)
    colours = {a["text"]: a["font"]["color"] for a in labels}
    assert colours["row 0"] == OTHER_LEVEL_COLOUR and font_px(1) > font_px(0)
    fine = texts(places, chosen, 0)
    assert all(colours[f"&lt;b&gt;topic&lt;/b&gt; {t}"] == label_colour(t) for t in range(12) if f"<b>topic</b> {t}" in fine)
    papers = pd.DataFrame(
        {
            "id": [f"2401.{i:05d}" for i in range(len(x))],
            "title": ["<script>alert(1)</script> paper"] * len(x),
            "authors": ["Ada Lovelace, Alan Turing", "Emmy Noether"] * (len(x) // 2),
            "update_date": ["2025-01-02"] * len(x),
            "x": x,
            "y": y,
        }
    )
    rows = np.arange(0, 400, 7)  # topics 0 and 1
    traces = view_point_traces(papers, rows, topic, {0: "zero", 1: "one <i>"})
    assert [t["name"] for t in traces] == ["0: zero", "1: one &lt;i&gt;"] and all(t["uid"].startswith(VIEW_POINTS_UID) for t in traces)
    assert [row[0] for t in traces for row in t["customdata"]] == list(papers["id"].iloc[rows])
    assert traces[0]["text"][0] == "&lt;script&gt;alert(1)&lt;/script&gt; paper<br>Ada Lovelace et al. · 2025"
    assert traces[0]["text"][1] == "&lt;script&gt;alert(1)&lt;/script&gt; paper<br>Emmy Noether · 2025"
    assert traces[1]["hovertemplate"].endswith("<extra>1: one &lt;i&gt;</extra>")
    # Plotly accepts them as they are (it raises on any property it does not know).
    untyped = [{k: v for k, v in trace.items() if k != "type"} for trace in traces]
    go.Figure([go.Scattergl(trace) for trace in untyped], layout={"annotations": labels})


def test_zoomed_in_on_a_topics_edge_it_is_named_at_its_papers_in_view() -> None:
    x, y, topic = blobs()
    places = topic_places_of(x, y, levels_of(topic))
    # The right half of topic 0 (centred at 0, 0): its centre is just outside the view.
    view = View(0.3, 2.3, -1.0, 1.0, 800, 800)
    assert "fine topic 0" not in texts(places, place_labels(places, view))
    rows = rows_in_view(x, y, view, limit=5000)
    wider = with_topics_in_view(places, view, x, y, topic, rows)
    chosen = place_labels(wider, view)
    assert "fine topic 0" in texts(wider, chosen)
    label = next(label for label in chosen if wider.text[label.index] == "fine topic 0")
    assert view.x0 <= label.x <= view.x1 and view.y0 <= label.y <= view.y1
    # One candidate more for each topic with at least 10 papers in view (no topic's centre is in it).
    counts = np.bincount(topic[rows], minlength=12)
    assert wider.text[len(places.text) :] == [f"fine topic {t}" for t in range(12) if counts[t] >= 10]
    # Labels at the plot's edge are moved inside it rather than dropped.
    edge = View(-0.2, 7.8, -4.0, 4.0, 400, 400)
    assert "fine topic 0" in texts(places, place_labels(places, edge))


def test_two_levels_that_name_a_region_alike_are_labelled_once() -> None:
    x, y, topic = blobs()
    fine = (topic, {t: f"fine {t}" for t in range(12)})
    levels = [fine, (topic // 4, {0: "a, b", 1: "c", 2: "d"}), (topic // 4, {0: "b, a", 1: "e", 2: "f"})]
    places = topic_places_of(x, y, levels)
    said = [places.text[label.index] for label in place_labels(places, View(-3, 15, -3, 11, 800, 600))]
    assert sum(text in ("a, b", "b, a") for text in said) == 1


def test_labels_keep_out_of_the_pinned_querys_corner_legend() -> None:
    x, y, topic = blobs()
    places = topic_places_of(x, y, levels_of(topic))
    # Topic 8 (centred at 0, 8) 50 pixels from the plot's top-left corner: its label would sit under the legend.
    view = View(-0.5, 3.5, 4.5, 8.5, 400, 400)
    assert "fine topic 8" in texts(places, place_labels(places, view))
    corner = legend_box(["Query: a question about something long", "Top hits"], view, 0.01, 0.01)
    assert corner == (4.0, 4.0, 4.0 + 40 + 38 * 12 * 0.62 + 16, 4.0 + 2 * 22 + 16)
    chosen = place_labels(places, view, taken=[corner])
    for first in boxes(places, chosen, view):
        assert not (first[0] < corner[2] and corner[0] < first[2] and first[1] < corner[3] and corner[1] < first[3])
    # That label moves just below the legend, still by its topic's papers (its spread: about 90 pixels here).
    assert texts(places, chosen) == texts(places, place_labels(places, view))
    moved = next(box for label, box in zip(chosen, boxes(places, chosen, view), strict=True) if places.text[label.index] == "fine topic 8")
    assert corner[3] < moved[1] <= corner[3] + 2 and moved[0] < 50 < moved[2]
    # With no room near it (a legend of 15 entries reaches 346 pixels down, and it is too wide to pass on the right),
    # the label gives way; the others stay.
    tall = legend_box(["Query: a question about something long"] + [f"entry {n}" for n in range(14)], view, 0.01, 0.01)
    crowded = place_labels(places, view, taken=[tall])
    assert texts(places, crowded) == texts(places, place_labels(places, view)) - {"fine topic 8"}
    assert legend_box([], view, 0.01, 0.01) is None
