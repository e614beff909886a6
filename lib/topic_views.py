"""Topic views for the pages: tables of topics and their papers, and papers per topic over time.

Contract. Plain functions of a model set's papers table (id, update_date, x, y, cluster) and its topic records
(topics.json, written by lib/topic_summaries.py), or of per-paper month codes and cluster labels; they return
pandas tables and series ready to show, never change their inputs, and never import Streamlit. A month code is
YYYY*12 + month - 1, 0 when unknown (`paper_months`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib.arxiv_ids import DATED_ID, FIRST_YY


def topic_table(papers: pd.DataFrame, topics: list[dict]) -> pd.DataFrame:
    """One row per topic: id, label, size, main categories and the span of update years."""
    years = papers["update_date"].str.slice(0, 4)
    rows = []
    for topic in topics:
        member_years = years[papers["cluster"] == topic["id"]]
        member_years = member_years[member_years != ""]
        rows.append(
            {
                "id": topic["id"],
                "label": topic["label"],
                "size": topic["size"],
                "categories": ", ".join(f"{cat} {share:.0%}" for cat, share in topic["top_categories"]),
                "years": f"{member_years.min()}–{member_years.max()}" if len(member_years) else "",
                "keywords": ", ".join(topic["keywords"]),
            }
        )
    return pd.DataFrame(rows, columns=["id", "label", "size", "categories", "years", "keywords"])


def topic_members(papers: pd.DataFrame, topic: dict) -> pd.DataFrame:
    """A topic's papers (id and position), closest to its centre on the map first (ties by id, so the order is stable)."""
    members = papers.loc[papers["cluster"] == topic["id"], ["id", "x", "y"]]
    centre_x, centre_y = topic["centre"]
    distance = np.hypot(members["x"] - centre_x, members["y"] - centre_y)
    return members.assign(distance=distance).sort_values(["distance", "id"], kind="stable")


def papers_per_year(papers: pd.DataFrame, cluster: int) -> pd.Series:
    """How many of a topic's papers were updated in each year, every year in the span listed."""
    years = papers.loc[papers["cluster"] == cluster, "update_date"].str.slice(0, 4)
    counts = pd.to_numeric(years[years != ""], errors="coerce").dropna().astype(int).value_counts()
    if counts.empty:
        return pd.Series(dtype=int, name="papers")
    span = range(counts.index.min(), counts.index.max() + 1)
    return counts.reindex(span, fill_value=0).rename("papers").rename_axis("year")


def paper_months(ids: pd.Series, update_dates: pd.Series) -> np.ndarray:
    """Each paper's month as YYYY*12 + month - 1 (0 when unknown): its id's year and month of first
    submission when the id is arXiv's, else its update date's. Vectorised in Arrow (a million ids in well
    under a second)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def number(values: pa.Array) -> np.ndarray:
        digits = pc.if_else(pc.match_substring_regex(values, r"^\d+$"), values, pa.scalar("0"))
        return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)

    text = pa.array(ids.astype(str).to_numpy(), type=pa.string())
    found = pc.extract_regex(text, DATED_ID)
    valid = pc.is_valid(found).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(found, {"yy": "0", "mm": "0", "oy": "0", "om": "0"})
    new_style = pc.not_equal(pc.struct_field(filled, "yy"), "")
    year = number(pc.if_else(new_style, pc.struct_field(filled, "yy"), pc.struct_field(filled, "oy")))
    month = number(pc.if_else(new_style, pc.struct_field(filled, "mm"), pc.struct_field(filled, "om")))
    year = year + np.where(year >= FIRST_YY, 1900, 2000)
    dates = pa.array(update_dates.fillna("").astype(str).to_numpy(), type=pa.string())
    date_year = number(pc.utf8_slice_codeunits(dates, 0, 4))
    date_month = number(pc.utf8_slice_codeunits(dates, 5, 7))
    from_id = valid & (month >= 1) & (month <= 12)
    year = np.where(from_id, year, date_year)
    month = np.where(from_id, month, date_month)
    ok = (month >= 1) & (month <= 12) & (year >= 1900) & (year <= 2999)
    return np.where(ok, year * 12 + month - 1, 0).astype(np.int64)


def series_name(topic_id: int, label: str) -> str:
    """A chart series name for a topic: Vega-Lite reads ':' as a type and '.', '[' and '\\' as paths, so only
    letters, digits, spaces, commas and hyphens are kept."""
    return re.sub(r"[^\w ,\-]+", " ", f"{topic_id} · {label}".replace("·", "-")).strip()


def period_label(code: int, by: str) -> str:
    """'2024' or '2024-03' for a month code."""
    year, month = divmod(int(code), 12)
    return str(year) if by == "year" else f"{year}-{month + 1:02d}"


def counts_over_time(months: np.ndarray, clusters: np.ndarray, topic_ids: list[int], by: str = "year") -> pd.DataFrame:
    """Papers per topic (columns) per year or month (rows, every period in the span, zeros included)."""
    known = months > 0
    periods = months // 12 if by == "year" else months
    if not known.any():
        return pd.DataFrame(columns=topic_ids)
    span = np.arange(periods[known].min(), periods[known].max() + 1)
    table = {}
    for topic in topic_ids:
        chosen = known & (clusters == topic)
        counts = np.bincount(periods[chosen] - span[0], minlength=len(span)) if chosen.any() else np.zeros(len(span), int)
        table[topic] = counts[: len(span)]
    index = [str(p) if by == "year" else period_label(p, "month") for p in span]
    return pd.DataFrame(table, index=pd.Index(index, name=by))


def fastest_growing(months: np.ndarray, clusters: np.ndarray, topics: list[dict], start: int, end: int, minimum: int = 10) -> pd.DataFrame:
    """Topics ranked by growth over the months [start, end]: papers in the window's later half against its
    earlier half (ratio of counts plus one), with both counts; topics with fewer than `minimum` papers in
    the window are left out."""
    middle = (start + end + 1) // 2
    clustered = clusters >= 0
    size = int(clusters.max()) + 1 if clustered.any() else 0
    early = np.bincount(clusters[clustered & (months >= start) & (months < middle)], minlength=size)
    late = np.bincount(clusters[clustered & (months >= middle) & (months <= end)], minlength=size)
    rows = [
        {
            "id": topic["id"],
            "label": topic["label"],
            "earlier half": int(early[topic["id"]]),
            "later half": int(late[topic["id"]]),
            "growth": (int(late[topic["id"]]) + 1) / (int(early[topic["id"]]) + 1),
        }
        for topic in topics
        if topic["id"] < size and early[topic["id"]] + late[topic["id"]] >= minimum
    ]
    table = pd.DataFrame(rows, columns=["id", "label", "earlier half", "later half", "growth"])
    return table.sort_values(["growth", "later half", "id"], ascending=[False, False, True], kind="stable").reset_index(drop=True)
