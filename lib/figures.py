"""Plotly figures: the topic map with the query pinned on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.topics import NOISE

MAX_MAP_POINTS = 50_000
NOISE_COLOUR = "#c8c8c8"


def map_sample(papers: pd.DataFrame, limit: int = MAX_MAP_POINTS, seed: int = 0) -> pd.DataFrame:
    """At most `limit` papers for drawing, the same ones every time."""
    if len(papers) <= limit:
        return papers
    return papers.sample(n=limit, random_state=seed)


def topic_map(
    papers: pd.DataFrame, labels: dict[int, str], query_point: tuple[float, float] | None = None, query_text: str = ""
) -> go.Figure:
    """A WebGL scatter of the papers coloured by topic, noise in grey, the query as a star."""
    shown = map_sample(papers)
    figure = go.Figure()
    for cluster, group in shown.groupby("cluster", sort=True):
        cluster = int(cluster)
        name = "unclustered" if cluster == NOISE else f"{cluster}: {labels.get(cluster, '')}"
        figure.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=name,
                marker={"size": 4, "opacity": 0.35 if cluster == NOISE else 0.7, **({"color": NOISE_COLOUR} if cluster == NOISE else {})},
                customdata=np.stack([group["id"].to_numpy()], axis=-1),
                text=group["title"].str.slice(0, 120),
                hovertemplate="%{text}<br>%{customdata[0]}<extra>" + name.replace("<", "&lt;") + "</extra>",
            )
        )
    centres = papers[papers["cluster"] != NOISE].groupby("cluster")[["x", "y"]].median()
    figure.add_trace(
        go.Scatter(
            x=centres["x"],
            y=centres["y"],
            mode="text",
            text=[labels.get(int(c), "") for c in centres.index],
            textfont={"size": 11, "color": "#222"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if query_point is not None:
        figure.add_trace(
            go.Scatter(
                x=[query_point[0]],
                y=[query_point[1]],
                mode="markers",
                name="your query",
                marker={"symbol": "star", "size": 20, "color": "black", "line": {"width": 2, "color": "white"}},
                text=[query_text[:120]],
                hovertemplate="your query: %{text}<extra></extra>",
            )
        )
    figure.update_layout(
        height=650,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"itemsizing": "constant"},
    )
    return figure
