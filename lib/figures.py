"""Plotly figures: the topic map with the query pinned on it, and what a map selection picked."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lib.topics import NOISE

MAX_MAP_POINTS = 50_000
NOISE_COLOUR = "#cfcfcf"
QUERY_PREFIX = "Query"
HITS_NAME = "Top hits"
HOVER_TITLE_CHARS = 120
# Only the largest topics get a text label on the map; the legend names every topic.
MAX_MAP_LABELS = 30


@dataclass(frozen=True)
class QueryPin:
    """Where to draw the query: map position, the text typed, and the rows of its top hits."""

    x: float
    y: float
    text: str
    hit_rows: Sequence[int] = ()
    label: str = QUERY_PREFIX


def plotly_text(text: str) -> str:
    """Text Plotly shows literally: its labels understand a little HTML, so escape it all."""
    return html.escape(text, quote=False)


def hover_ids(ids: Iterable[str]) -> list[list[str]]:
    """Per-point custom data: the paper id as it is (selections read it) and escaped for the hover label."""
    return [[str(paper_id), plotly_text(str(paper_id))] for paper_id in ids]


def map_sample(papers: pd.DataFrame, limit: int = MAX_MAP_POINTS, seed: int = 0) -> pd.DataFrame:
    """At most `limit` papers for drawing, the same ones every time."""
    if len(papers) <= limit:
        return papers
    return papers.sample(n=limit, random_state=seed)


def legend_name(cluster: int, label: str) -> str:
    """A cluster's legend entry: its id and keyword label, or 'unclustered'."""
    return "unclustered" if cluster == NOISE else f"{cluster}: {label}"


def _focus_ranges(papers: pd.DataFrame, cluster: int) -> dict:
    members = papers.loc[papers["cluster"] == cluster, ["x", "y"]]
    if members.empty:
        return {}
    low, high = members.quantile(0.01), members.quantile(0.99)
    pad = max(float((high - low).max()) * 0.25, 0.5)
    return {"xaxis_range": [low["x"] - pad, high["x"] + pad], "yaxis_range": [low["y"] - pad, high["y"] + pad]}


def topic_map(papers: pd.DataFrame, labels: dict[int, str], pin: QueryPin | None = None, focus: int | None = None) -> go.Figure:
    """A WebGL scatter of papers coloured by topic (noise light grey), labels at topic centres, the query as a star."""
    shown = map_sample(papers)
    figure = go.Figure()
    for cluster, group in shown.groupby("cluster", sort=True):
        cluster = int(cluster)
        name = plotly_text(legend_name(cluster, labels.get(cluster, "")))
        noise = cluster == NOISE
        figure.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=name,
                marker={"size": 4, "opacity": 0.35 if noise else 0.75, **({"color": NOISE_COLOUR} if noise else {})},
                customdata=hover_ids(group["id"]),
                text=[plotly_text(t[:HOVER_TITLE_CHARS]) for t in group["title"]],
                hovertemplate="%{text}<br>%{customdata[1]}<extra>" + name + "</extra>",
            )
        )
    clustered = papers[papers["cluster"] != NOISE]
    largest = clustered["cluster"].value_counts().index[:MAX_MAP_LABELS]
    centres = clustered[clustered["cluster"].isin(largest)].groupby("cluster")[["x", "y"]].median()
    figure.add_trace(
        go.Scatter(
            x=centres["x"],
            y=centres["y"],
            mode="text",
            name="topic labels",
            text=[plotly_text(labels.get(int(c), "")) for c in centres.index],
            textfont={"size": 11, "color": "#1f2933"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if pin is not None:
        hits = papers.iloc[list(pin.hit_rows)]
        figure.add_trace(
            go.Scatter(
                x=hits["x"],
                y=hits["y"],
                mode="markers",
                name=HITS_NAME,
                marker={"size": 11, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#d62728"}},
                customdata=hover_ids(hits["id"]),
                text=[plotly_text(t[:HOVER_TITLE_CHARS]) for t in hits["title"]],
                hovertemplate="%{text}<br>%{customdata[1]}<extra>top hit</extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[pin.x],
                y=[pin.y],
                mode="markers",
                name=plotly_text(f"{pin.label}: {pin.text[:40]}"),
                marker={"symbol": "star", "size": 24, "color": "#111111", "line": {"width": 2, "color": "#ffd400"}},
                text=[plotly_text(pin.text[:HOVER_TITLE_CHARS])],
                hovertemplate="%{text}<extra>" + plotly_text(pin.label) + "</extra>",
            )
        )
    figure.update_layout(
        height=680,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"itemsizing": "constant", "font": {"size": 11}},
        dragmode="select",
        uirevision=f"focus-{focus}",
        **(_focus_ranges(papers, focus) if focus is not None else {}),
    )
    return figure


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
