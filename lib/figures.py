"""Plotly figures: the topic map (points, or a density image of every paper for large sets) with the query pinned on
it, and what a map selection picked."""

from __future__ import annotations

import base64
import colorsys
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd
import plotly.graph_objects as go
from PIL import Image
from plotly.io.json import to_json_plotly

from lib.catalogue import Catalogue
from lib.clustering import NOISE
from lib.mapview import (
    PlacedLabel,
    TopicPlaces,
    View,
    font_px,
    legend_box,
    place_labels,
    rows_in_view,
    topic_places_of,
    with_topics_in_view,
)
from lib.settings import MAX_MAP_POINTS, current_settings

# The density image's longer side in pixels: about twice the chart's, so it stays sharp on dense screens and a zoom.
RASTER_PIXELS = 1400
# Sampled papers drawn over the density image, for hover labels and the legend; as SVG, which draws a few thousand
# points faster than WebGL in a browser without a GPU (bench/benchmark_map.py).
HOVER_POINTS = 1000
# Opacity of the faintest occupied pixel; the densest are opaque (log scale between).
MIN_PIXEL_ALPHA = 0.3
NOISE_COLOUR = "#cfcfcf"
# What the map reads of the papers; taken first, so rows are never copied with their abstracts.
MAP_COLUMNS = ["id", "title", "authors", "update_date", "x", "y", "cluster"]
# Topic labels are annotations on this pale backing, so they read over a topic's densest points.
LABEL_BACKING = "rgba(255,255,255,0.72)"
# The `name` of the map's first labels and of the labels placed for a view (pages/map_view.js swaps them).
MAP_LABEL_NAME = "topic label"
VIEW_LABEL_NAME = "view label"
QUERY_PREFIX = "Query"
# The uids of the pin's traces (pages/map_view.js finds them by it).
PIN_UID = "pin"
HITS_NAME = "Top hits"
HOVER_TITLE_CHARS = 120
# The map as first drawn labels at most this many topics (those that fit without overlapping, largest first), in a dark
# shade of the topic's colour, so the labels are the map's key; hovering any paper names its topic, and the legend
# (when shown) names every topic. Once the browser reports the view, labels follow the zoom (lib/mapview.py).
MAX_MAP_LABELS = 30
# The plot's width assumed for the first labels (a laptop's map is about 820 pixels wide beside the sidebar).
DEFAULT_MAP_WIDTH = 700
# Most luma (0-255, Rec. 709) of a topic label's colour: at least 6:1 against white.
LABEL_LUMA = 90
# The map's height in pixels: the whole plot fits under a page's title and one row of controls in a laptop's first
# screen (1280 x 800: a 450-pixel plot at least) and on a 1920 x 1080 screen.
MAP_HEIGHT = 540
# The legend when it lists only the query's star and its hits: inside the plot's top-left corner, over a pale backing,
# so it takes none of the map's width (a legend of every topic beside the map took a third of it at 1280 pixels).
CORNER_LEGEND = {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top", "bgcolor": "rgba(255,255,255,0.8)"}
# A paper pinned on a focused map stays this share of the view's width or height inside its edge.
PIN_MARGIN = 0.08


@dataclass(frozen=True)
class QueryPin:
    """Where to draw the query: map position, the text typed, and the rows of its top hits."""

    x: float
    y: float
    text: str
    hit_rows: Sequence[int] = ()
    label: str = QUERY_PREFIX


def plotly_text(text: str) -> str:
    """Text Plotly shows literally: its labels understand a little HTML, so escape it all. Most text has nothing to
    escape and is returned as it is (a view's 50,000 hover texts in about a third of the time)."""
    if "&" in text or "<" in text or ">" in text:
        return html.escape(text, quote=False)
    return text


def hover_ids(ids: Iterable[str]) -> list[list[str]]:
    """Per-point custom data: the paper id as it is (selections read it) and escaped for the hover label."""
    return [[str(paper_id), plotly_text(str(paper_id))] for paper_id in ids]


@dataclass(frozen=True)
class Extent:
    """A rectangle of the map in data coordinates."""

    x0: float
    x1: float
    y0: float
    y1: float


def map_point_limit() -> int:
    """The most papers a map draws as points; beyond, a density image (lib/settings.py: $MAP_MAX_POINTS, else MAX_MAP_POINTS)."""
    return current_settings().map_max_points


def topic_colour(cluster: int) -> str:
    """A topic's colour as #rrggbb: hues a golden angle apart, lightness alternating, noise light grey."""
    if cluster == NOISE:
        return NOISE_COLOUR
    hue = (cluster * 0.618033988749895 + 0.05) % 1.0
    lightness = (0.42, 0.55, 0.35)[cluster % 3]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.75)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def label_colour(cluster: int) -> str:
    """A topic label's colour: the topic's hue, darkened until its luma is under LABEL_LUMA (yellows and greens are
    light at any one lightness), so it reads on the map's pale points and on white."""
    hue = (cluster * 0.618033988749895 + 0.05) % 1.0
    lightness = 0.3
    while True:
        red, green, blue = (round(channel * 255) for channel in colorsys.hls_to_rgb(hue, lightness, 0.8))
        if 0.2126 * red + 0.7152 * green + 0.0722 * blue < LABEL_LUMA or lightness <= 0.1:
            return f"#{red:02x}{green:02x}{blue:02x}"
        lightness -= 0.02


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def data_extent(x: np.ndarray, y: np.ndarray, pad: float = 0.02) -> Extent:
    """The points' bounding box widened by `pad` of its size on every side (never empty)."""
    x0, x1, y0, y1 = float(np.min(x)), float(np.max(x)), float(np.min(y)), float(np.max(y))
    dx, dy = max(x1 - x0, 1e-9) * pad, max(y1 - y0, 1e-9) * pad
    return Extent(x0 - dx, x1 + dx, y0 - dy, y1 + dy)


def raster_shape(extent: Extent, pixels: int = RASTER_PIXELS) -> tuple[int, int]:
    """(width, height) of an image of the extent with square pixels and `pixels` on its longer side."""
    width, height = extent.x1 - extent.x0, extent.y1 - extent.y0
    if width >= height:
        return pixels, max(1, round(pixels * height / width))
    return max(1, round(pixels * width / height)), pixels


def rasterise(x: np.ndarray, y: np.ndarray, clusters: np.ndarray, extent: Extent, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Papers per pixel and each pixel's most common cluster (ties to the lower id; -2 where empty), row 0 at the top.

    Points outside the extent are left out; points on its right or top edge fall in the last pixel.
    """
    x, y, clusters = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), np.asarray(clusters, dtype=np.int64)
    inside = (x >= extent.x0) & (x <= extent.x1) & (y >= extent.y0) & (y <= extent.y1)
    x, y, clusters = x[inside], y[inside], clusters[inside]
    column = np.minimum(((x - extent.x0) / (extent.x1 - extent.x0) * width).astype(np.int64), width - 1)
    row = height - 1 - np.minimum(((y - extent.y0) / (extent.y1 - extent.y0) * height).astype(np.int64), height - 1)
    pixel = row * width + column
    counts = np.bincount(pixel, minlength=width * height).reshape(height, width)
    dominant = np.full(width * height, -2, dtype=np.int64)
    if len(pixel):
        ids, codes = np.unique(clusters, return_inverse=True)
        pairs, pair_counts = np.unique(pixel * len(ids) + codes, return_counts=True)
        pair_pixel, pair_code = np.divmod(pairs, len(ids))
        order = np.lexsort((-pair_code, pair_counts, pair_pixel))
        last = np.r_[pair_pixel[order][1:] != pair_pixel[order][:-1], True]
        winners = order[last]
        dominant[pair_pixel[winners]] = ids[pair_code[winners]]
    return counts, dominant.reshape(height, width)


def density_rgba(counts: np.ndarray, dominant: np.ndarray) -> np.ndarray:
    """An RGBA image: each pixel in its dominant topic's colour, opacity rising with the log of its paper count."""
    rgba = np.zeros((*counts.shape, 4), dtype=np.uint8)
    occupied = counts > 0
    if not occupied.any():
        return rgba
    ids, codes = np.unique(dominant[occupied], return_inverse=True)
    palette = np.array([_rgb(topic_colour(int(c))) for c in ids], dtype=np.uint8)
    rgba[occupied, :3] = palette[codes]
    level = np.log1p(counts[occupied]) / np.log1p(counts.max())
    rgba[occupied, 3] = np.round(255 * (MIN_PIXEL_ALPHA + (1 - MIN_PIXEL_ALPHA) * level)).astype(np.uint8)
    return rgba


def png_data_uri(rgba: np.ndarray) -> str:
    """An RGBA array as a PNG data URI (zlib level 6: at 1,400 x 700 pixels 0.18 s and 485 KB, where optimize=True
    took 1.3 s for 470 KB)."""
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def density_image(papers: pd.DataFrame, extent: Extent, pixels: int = RASTER_PIXELS, hole: Extent | None = None) -> dict:
    """A Plotly layout image of every paper in the extent, placed in data coordinates; pixels inside `hole` left clear."""
    width, height = raster_shape(extent, pixels)
    counts, dominant = rasterise(papers["x"].to_numpy(), papers["y"].to_numpy(), papers["cluster"].to_numpy(), extent, width, height)
    rgba = density_rgba(counts, dominant)
    if hole is not None:
        columns = extent.x0 + (np.arange(width) + 0.5) * (extent.x1 - extent.x0) / width
        rows = extent.y1 - (np.arange(height) + 0.5) * (extent.y1 - extent.y0) / height
        inside = ((rows >= hole.y0) & (rows <= hole.y1))[:, None] & ((columns >= hole.x0) & (columns <= hole.x1))[None, :]
        rgba[inside, 3] = 0
    return {
        "source": png_data_uri(rgba),
        "xref": "x",
        "yref": "y",
        "x": extent.x0,
        "y": extent.y1,
        "sizex": extent.x1 - extent.x0,
        "sizey": extent.y1 - extent.y0,
        "xanchor": "left",
        "yanchor": "top",
        "sizing": "stretch",
        "layer": "below",
    }


def map_sample(papers: pd.DataFrame, limit: int = MAX_MAP_POINTS, seed: int = 0) -> pd.DataFrame:
    """At most `limit` papers for drawing, the same ones every time."""
    if len(papers) <= limit:
        return papers
    rows = np.sort(np.random.default_rng(seed).choice(len(papers), size=limit, replace=False))
    return papers.iloc[rows]


def legend_name(cluster: int, label: str) -> str:
    """A cluster's legend entry: its id and keyword label, or 'unclustered'."""
    return "unclustered" if cluster == NOISE else f"{cluster}: {label}"


def _focus_extent(papers: pd.DataFrame, cluster: int) -> Extent | None:
    members = papers.loc[papers["cluster"] == cluster, ["x", "y"]]
    if members.empty:
        return None
    low, high = members.quantile(0.01), members.quantile(0.99)
    pad = max(float((high - low).max()) * 0.25, 0.5)
    return Extent(float(low["x"] - pad), float(high["x"] + pad), float(low["y"] - pad), float(high["y"] + pad))


def _point_traces(shown: pd.DataFrame, labels: dict[int, str], sample: bool, legend: bool = True) -> list[go.Scattergl | go.Scatter]:
    """One trace per topic: every paper in WebGL, or (sample) a few in SVG in the colours of the density image; in the
    legend when `legend` (the hover label names a paper's topic either way)."""
    traces = []
    for cluster, group in shown.groupby("cluster", sort=True):
        cluster = int(cluster)
        name = plotly_text(legend_name(cluster, labels.get(cluster, "")))
        noise = cluster == NOISE
        colour = {"color": topic_colour(cluster)} if sample or noise else {}
        kind = go.Scatter if sample else go.Scattergl
        traces.append(
            kind(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=name,
                showlegend=legend,
                marker={"size": 4, "opacity": 0.35 if noise else 0.75, **colour},
                customdata=hover_ids(group["id"]),
                text=hover_texts(group),
                hovertemplate="%{text}<br>%{customdata[1]}<extra>" + name + "</extra>",
            )
        )
    return traces


def map_label(label: str) -> str:
    """A topic's label as the map writes it: its keywords, without the name of a dominant category in front
    ("Computer Vision and Pattern Recognition: segmentation, image" is "segmentation, image" on the map; hovering a
    paper names the whole topic). Keywords are cleaned words, so the last ": " is the category's."""
    return label.rsplit(": ", 1)[-1]


def label_annotation(x: float, y: float, text: str, colour: str, size: int, name: str) -> dict:
    """A topic label as a Plotly annotation: text on a pale backing, drawn above the points (a text trace lies under
    WebGL points, which covered the labels of a dense topic)."""
    return {
        "x": x,
        "y": y,
        "xref": "x",
        "yref": "y",
        "text": plotly_text(text),
        "showarrow": False,
        "font": {"size": size, "color": colour},
        "bgcolor": LABEL_BACKING,
        "borderpad": 1,
        "name": name,
    }


def _label_annotations(papers: pd.DataFrame, labels: dict[int, str], extent: Extent, width: int, height: int) -> list[dict]:
    """The labels of the map as first drawn: this level's topics, largest first, none overlapping another in a plot of
    `width` pixels showing `extent` (lib/mapview.place_labels; the browser's first view report replaces them with
    labels placed for the plot's real size and zoom, from every level)."""
    clusters = papers["cluster"].to_numpy()
    places = topic_places_of(papers["x"].to_numpy(), papers["y"].to_numpy(), [(clusters, {c: map_label(t) for c, t in labels.items()})])
    view = View(extent.x0, extent.x1, extent.y0, extent.y1, max(width, 50), max(height - 10, 50))
    chosen = place_labels(places, view, limit=MAX_MAP_LABELS, min_spread_px=0.0)
    colours = [label_colour(int(places.topic[label.index])) for label in chosen]
    return [
        label_annotation(label.x, label.y, places.text[label.index], colour, font_px(0), MAP_LABEL_NAME)
        for label, colour in zip(chosen, colours, strict=True)
    ]


def base_map(
    papers: pd.DataFrame,
    labels: dict[int, str],
    focus: int | None = None,
    max_points: int | None = None,
    legend: bool = False,
    height: int = MAP_HEIGHT,
    width: int = DEFAULT_MAP_WIDTH,
) -> go.Figure:
    """The map without a query: papers coloured by topic, labels at topic centres, zoomed onto `focus` if given.
    `width` is the plot's expected width in pixels, for placing the first labels without overlap.

    The labels in their topics' colours are the key; `legend` adds a legend of every topic beside the map (a third
    of its width at 1280 pixels), without it the legend lists only what is pinned (pin_query), in a corner.

    Up to `max_points` papers (map_point_limit() by default) every paper is a WebGL point. Beyond, every paper is
    counted into a density image drawn under the chart (sharper over the focused topic) with HOVER_POINTS sampled
    papers on top for hover labels; selections are resolved against all papers with lib.selection either way.
    """
    limit = map_point_limit() if max_points is None else max_points
    papers = papers.reindex(columns=MAP_COLUMNS)  # a table without authors or dates hovers without them
    dense = len(papers) > limit
    focused = _focus_extent(papers, focus) if focus is not None else None
    figure = go.Figure()
    if dense:
        extent = data_extent(papers["x"].to_numpy(), papers["y"].to_numpy())
        images = [density_image(papers, extent, hole=focused)]
        if focused is not None:
            images.append(density_image(papers, focused))
        figure.update_layout(images=images)
        for trace in _point_traces(map_sample(papers, HOVER_POINTS), labels, sample=True, legend=legend):
            figure.add_trace(trace)
    else:
        for trace in _point_traces(papers, labels, sample=False, legend=legend):
            figure.add_trace(trace)
    shown = focused or (extent if dense else data_extent(papers["x"].to_numpy(), papers["y"].to_numpy()))
    annotations = _label_annotations(papers, labels, shown, width, height)
    if focused is not None:
        ranges = {"xaxis_range": [focused.x0, focused.x1], "yaxis_range": [focused.y0, focused.y1]}
    elif dense:
        ranges = {"xaxis_range": [extent.x0, extent.x1], "yaxis_range": [extent.y0, extent.y1]}
    else:
        ranges = {}
    figure.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        # Over a density image a legend click could hide only the sample of points, so the legend is a key there.
        legend={
            "itemsizing": "constant",
            "font": {"size": 11},
            **({"itemclick": False, "itemdoubleclick": False} if dense else {}),
            **({} if legend else CORNER_LEGEND),
        },
        dragmode="select",
        annotations=annotations,
        uirevision=f"focus-{focus}",
        **ranges,
    )
    return figure


def pin_traces(papers: pd.DataFrame, pin: QueryPin) -> list[dict]:
    """The query's star and red rings around its top hits, as plain trace dicts (validated by Plotly here: a dozen
    points) to put over a map spec built before (`with_pin`) or, by the browser, over the map drawn (pages/mapview.py;
    their uids start with PIN_UID)."""
    hits = papers.iloc[list(pin.hit_rows)][["id", "title", "x", "y"]]
    rings = go.Scatter(
        x=hits["x"],
        y=hits["y"],
        mode="markers",
        name=HITS_NAME,
        marker={"size": 11, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#d62728"}},
        customdata=hover_ids(hits["id"]),
        text=[plotly_text(t[:HOVER_TITLE_CHARS]) for t in hits["title"]],
        hovertemplate="%{text}<br>%{customdata[1]}<extra>top hit</extra>",
        uid=f"{PIN_UID}-hits",
    )
    star = go.Scatter(
        x=[pin.x],
        y=[pin.y],
        mode="markers",
        name=plotly_text(f"{pin.label}: {pin.text[:40]}"),
        marker={"symbol": "star", "size": 24, "color": "#111111", "line": {"width": 2, "color": "#ffd400"}},
        text=[plotly_text(pin.text[:HOVER_TITLE_CHARS])],
        hovertemplate="%{text}<extra>" + plotly_text(pin.label) + "</extra>",
        uid=f"{PIN_UID}-query",
    )
    return [rings.to_plotly_json(), star.to_plotly_json()]


def pin_query(figure: go.Figure, papers: pd.DataFrame, pin: QueryPin) -> go.Figure:
    """Add the query's star and red rings around its top hits to a map."""
    figure.add_traces(pin_traces(papers, pin))
    return figure


def _widened(shown: Sequence[float] | None, value: float) -> list[float] | None:
    """An axis range (None: the whole map, which holds every paper) widened to hold `value`, off the edge."""
    if shown is None:
        return None
    low, high = float(shown[0]), float(shown[1])
    margin = (high - low) * PIN_MARGIN
    return [min(low, value - margin), max(high, value + margin)]


def _keep_in_view(figure: go.Figure, x: float, y: float) -> None:
    """Widen a zoomed map's ranges so the point lies inside, off the edge."""
    for axis, value in (("xaxis", x), ("yaxis", y)):
        widened = _widened(figure.layout[axis].range, value)
        if widened is not None:
            figure.layout[axis].range = widened


def with_pin(spec: dict, papers: pd.DataFrame, pin: QueryPin, keep_in_view: bool = False) -> dict:
    """A map spec (base_map(...).to_dict(), cached and shared) with the pin's traces over it, as a new dict: `spec` is
    left as it is (its traces and layout are shared, not copied: 0.3 s for a 20,000-paper map). `keep_in_view` widens
    a zoomed map to hold the pin (topic_map). A ServedSpec gives a ServedSpec: only the pin's traces are serialised."""
    layout = spec.get("layout", {})
    if keep_in_view:
        axes = {}
        for axis, value in (("xaxis", pin.x), ("yaxis", pin.y)):
            widened = _widened(layout.get(axis, {}).get("range"), value)
            if widened is not None:
                axes[axis] = {**layout[axis], "range": widened}
        layout = {**layout, **axes}
    pins = pin_traces(papers, pin)
    pinned = {**spec, "layout": layout, "data": [*spec.get("data", ()), *pins]}
    if isinstance(spec, ServedSpec):
        return ServedSpec(pinned, spec.trace_json + tuple(trace_json(trace) for trace in pins))
    return pinned


def plotly_json(value: object) -> bytes:
    """`value` as Plotly's own encoder writes it with orjson (numpy arrays as lists, keys as strings, "<", ">" and "/"
    escaped so the JSON is safe inside HTML): the text plotly.io.to_json gives, made once and kept."""
    return to_json_plotly(value, engine="orjson").encode("utf-8")


def trace_json(trace: dict) -> bytes:
    """One trace's JSON as Streamlit sends it (plotly.io.to_json drops each trace's uid)."""
    return plotly_json({key: value for key, value in trace.items() if key != "uid"})


class ServedSpec(dict):
    """A figure spec (the dict of `Figure.to_dict`) that carries each of its traces already serialised, in the order of
    its "data": the cached map's points are turned into JSON once per set, not on every run.

    Measured on the 20,000-paper map (3.4 MB of JSON, py-spy over 60 map runs): Plotly's encoder took 35 ms a run,
    27 of them in escaping "<", ">" and "/" in the finished text (each hover text holds a "<br>"); the cached traces
    leave the layout and the pin's two traces to serialise (under 1 ms). Plotly's orjson encoder asks an object for
    `to_plotly_json` first and writes an `orjson.Fragment` as it is; its other encoder and everything else read the
    dict itself, which holds the same spec. Nothing may change the spec or its traces (they are shared, as with_pin's).
    """

    def __init__(self, spec: dict, traces: Sequence[bytes] | None = None) -> None:
        super().__init__(spec)
        data = self.get("data", ())
        self.trace_json = tuple(traces) if traces is not None else tuple(trace_json(trace) for trace in data)
        if len(self.trace_json) != len(data):
            raise ValueError(f"{len(self.trace_json)} serialised traces for a spec of {len(data)}: they must be the same traces")

    def to_plotly_json(self) -> orjson.Fragment:
        """The whole spec's JSON: the cached traces joined, the rest serialised now."""
        rest = plotly_json({key: value for key, value in self.items() if key != "data"})
        data = b'{"data":[' + b",".join(self.trace_json) + b"]"
        return orjson.Fragment(data + (b"}" if rest == b"{}" else b"," + rest[1:]))


class SpecFigure(go.Figure):
    """A figure for `st.plotly_chart` from a spec built and validated before (`with_pin`, `base_map(...).to_dict()`,
    a ServedSpec): its `to_dict` returns the spec itself, so Streamlit only serialises it.

    Streamlit's plotly_chart validates a dict again on every run (measured: 0.43 s for the 20,000-paper map) and
    copies a Figure (`to_dict`, 0.11 s); the map's serialisation itself takes 0.013 s with orjson (0.062 s with the
    json module) and its escaping 0.027 s more, which a ServedSpec saves. Only for handing a spec to Streamlit: the
    figure's own `data` and `layout` are empty. The spec may be shared between sessions: nothing changes it.
    """

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._ready_spec = spec

    def to_dict(self) -> dict:
        return self._ready_spec


def topic_map(
    papers: pd.DataFrame,
    labels: dict[int, str],
    pin: QueryPin | None = None,
    focus: int | None = None,
    max_points: int | None = None,
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """The topic map (see base_map) with the query or paper pinned on it when given, the pin always in view: a focused
    map is widened to hold it (a paper at its topic's edge lies outside the topic's central 98 %)."""
    figure = base_map(papers, labels, focus, max_points, height=height)
    if pin is None:
        return figure
    _keep_in_view(figure, pin.x, pin.y)
    return pin_query(figure, papers, pin)


@dataclass(frozen=True)
class MapTopics:
    """The topics a map is drawn with: every level's label candidates, each paper's finest topic and its topic at
    the level the map is coloured by (`level`), and that level's labels."""

    places: TopicPlaces
    finest: np.ndarray
    shown: np.ndarray
    level: int
    labels: dict[int, str]


VIEW_POINTS_UID = "view-points"
# Labels of a level other than the one the map is coloured by (coarser ones above it, finer inside it) are written in
# one dark grey: their topics have no colour of their own on the map.
OTHER_LEVEL_COLOUR = "#2b2b2b"


def view_label_annotations(places: TopicPlaces, chosen: Sequence[PlacedLabel], shown_level: int) -> list[dict]:
    """The labels placed for a view (lib/mapview.place_labels) as annotations: the shown level's in its topics' label
    colours, other levels' in dark grey, coarser levels larger."""
    annotations = []
    for label in chosen:
        level, topic = int(places.level[label.index]), int(places.topic[label.index])
        colour = label_colour(topic) if level == shown_level else OTHER_LEVEL_COLOUR
        annotations.append(label_annotation(label.x, label.y, places.text[label.index], colour, font_px(level), VIEW_LABEL_NAME))
    return annotations


def _first_author(authors: object) -> str:
    """The first author's name (cut at 40 characters), with "et al." when there are more."""
    if not isinstance(authors, str):
        return ""
    first, more, _ = authors.partition(",")
    return first.strip()[:40] + (" et al." if more else "")


def hover_texts(papers: pd.DataFrame) -> list[str]:
    """Each paper's hover text on the map, escaped: its title (cut), first author and year. Whole columns become
    Python lists first: iterating an Arrow-backed column is ten times slower (50,000 papers in 0.2 s instead of 0.6 s)."""
    titles = papers["title"].tolist()
    authors = papers["authors"].tolist() if "authors" in papers else [None] * len(titles)
    dates = papers["update_date"].tolist() if "update_date" in papers else [None] * len(titles)
    texts = []
    for title, names, date in zip(titles, authors, dates, strict=True):
        byline = " · ".join(part for part in (plotly_text(_first_author(names)), date[:4] if isinstance(date, str) else "") if part)
        head = plotly_text(title[:HOVER_TITLE_CHARS]) if isinstance(title, str) else ""
        texts.append(head + (f"<br>{byline}" if byline else ""))
    return texts


def view_point_traces(papers: pd.DataFrame, rows: np.ndarray, clusters: np.ndarray, labels: dict[int, str]) -> list[dict]:
    """The papers of a view as WebGL points over the density image, one trace per topic in its colour; hover: title,
    first author, year, id and topic; the paper id first in their custom data, as in every map trace (selections read
    it)."""
    rows = np.asarray(rows, dtype=np.int64)
    topics = np.asarray(clusters)[rows]
    table = papers[["id", "title", "authors", "update_date", "x", "y"]].iloc[rows]
    ids = [str(paper_id) for paper_id in table["id"].tolist()]
    text = hover_texts(table)
    x, y = table["x"].to_numpy(dtype=np.float64), table["y"].to_numpy(dtype=np.float64)
    traces = []
    for cluster in np.unique(topics):
        members = np.flatnonzero(topics == cluster)
        name = plotly_text(legend_name(int(cluster), labels.get(int(cluster), "")))
        traces.append(
            {
                "type": "scattergl",
                "uid": f"{VIEW_POINTS_UID}-{int(cluster)}",
                "name": name,
                "x": x[members],
                "y": y[members],
                "mode": "markers",
                "marker": {"size": 4, "opacity": 0.35 if cluster == NOISE else 0.8, "color": topic_colour(int(cluster))},
                "customdata": [[ids[i], plotly_text(ids[i])] for i in members],
                "text": [text[i] for i in members],
                "hovertemplate": "%{text}<br>%{customdata[1]}<extra>" + name + "</extra>",
                "showlegend": False,
            }
        )
    return traces


def map_topic_places(catalogue: Catalogue) -> TopicPlaces:
    """Every topic level's label candidates of a set (lib/mapview.py), labels as the map writes them: what any view's
    labels are placed from (computed once per set and server: 0.04 s at 20,000 papers, about 1 s at a million)."""
    levels = [
        (catalogue.level_clusters(index), {topic["id"]: map_label(topic["label"]) for topic in catalogue.level(index).topics})
        for index in range(len(catalogue.levels))
    ]
    return topic_places_of(catalogue.papers["x"].to_numpy(), catalogue.papers["y"].to_numpy(), levels)


def legend_entries(traces: Iterable[dict]) -> list[str]:
    """The texts a legend shows for these trace dicts (pin_traces, say): the names of those in the legend, as read
    on screen (their Plotly text unescaped)."""
    return [html.unescape(str(trace.get("name", ""))) for trace in traces if trace.get("showlegend", True)]


def view_overlay(papers: pd.DataFrame, topics: MapTopics, view: View, limit: int, legend: Sequence[str] = ()) -> dict:
    """What the map draws over one view (lib/mapview.py): {"labels": annotations, placed round a corner legend of
    the `legend` entries (legend_entries of the pinned query's traces), "points": traces of the papers in view, empty
    unless the set has more than `limit` papers (drawn as a density image) and at most `limit` are in view}."""
    x, y = papers["x"].to_numpy(), papers["y"].to_numpy()
    rows = rows_in_view(x, y, view, limit)
    places = topics.places if rows is None else with_topics_in_view(topics.places, view, x, y, topics.finest, rows)
    corner = legend_box(legend, view, CORNER_LEGEND["x"], 1 - CORNER_LEGEND["y"])
    chosen = place_labels(places, view, taken=[corner] if corner else [])
    overlay: dict = {"labels": view_label_annotations(places, chosen, topics.level), "points": []}
    if rows is not None and len(papers) > limit:
        overlay["points"] = view_point_traces(papers, rows, topics.shown, topics.labels)
    return overlay


def selection_points(event: object) -> list[dict]:
    """The selected points of a Streamlit plotly selection event (or of a dict of the same shape)."""
    if not isinstance(event, dict):
        return []
    selection = event.get("selection") or {}
    points = selection.get("points") if isinstance(selection, dict) else None
    return [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []


def selected_ids(points: Iterable[dict]) -> list[str]:
    """Paper ids of selected map points, in order, without repeats (labels and the query carry none)."""
    ids: dict[str, None] = {}
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and data and isinstance(data[0], str):
            ids[data[0]] = None
    return list(ids)
