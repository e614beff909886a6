"""What's new in a model set: the papers added since a date, ranked by an interest (or newest first without one).

"New" has two readings, both from what the set records:
- By update (the default): the papers the set's last `python -m lib update` added. Updates append their papers
  as the last rows of the set and record how many in the manifest's "updates" list (lib/update.py), so the last
  update's papers are the last `added` rows. Papers an update replaced keep their rows; they count as new by date.
- Since a date (YYYY-MM-DD): the papers whose update_date is on or after it, and the papers added by every update
  made on or after that day (an update may add papers whose arXiv dates are older: they are new to the set).
A set never updated has no update to start from: its default is its newest week of papers (the newest update_date
and the six days before it).

The new papers are ranked by an interest (lib/interests.py) among themselves only, or listed newest first (by
update_date, then the later row first, so the last update's papers lead among papers of one day).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lib.interests import Interest, InterestRanking, rank_by_interest

if TYPE_CHECKING:
    from lib.catalogue import Catalogue
    from lib.engine import Engine

WEEK_DAYS = 7
DEFAULT_LIMIT = 50
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

BY_UPDATE = "update"
BY_DATE = "date"
BY_WEEK = "week"


def parse_date(text: str) -> str:
    """A YYYY-MM-DD date that exists in the calendar, as given; ValueError with one line otherwise."""
    value = str(text).strip()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"since: expected a date as YYYY-MM-DD, such as 2025-01-31, got {value[:40]!r}") from None
    return value


def update_records(manifest: dict) -> list[dict]:
    """The set's update records that say when they ran and how many papers they added, in order (others skipped)."""
    records = manifest.get("updates")
    if not isinstance(records, list):
        return []
    return [
        record
        for record in records
        if isinstance(record, dict)
        and isinstance(record.get("at"), str)
        and isinstance(record.get("added"), int)
        and not isinstance(record.get("added"), bool)
        and record["added"] >= 0
    ]


def last_update(manifest: dict) -> dict | None:
    """The set's last update record, or None when it was never updated."""
    records = update_records(manifest)
    return records[-1] if records else None


def newest_week_start(catalogue: Catalogue) -> str | None:
    """The first day of the set's newest week of papers (newest update_date less six days), or None without dates."""
    dates = catalogue.papers["update_date"].fillna("")
    valid = dates[dates.str.fullmatch(_DATE.pattern)]
    if valid.empty:
        return None
    newest = dt.date.fromisoformat(str(valid.max()))
    return (newest - dt.timedelta(days=WEEK_DAYS - 1)).isoformat()


def default_since(catalogue: Catalogue) -> str | None:
    """The date a What's new view starts from by default: the last update's day, else the newest week's first day."""
    record = last_update(catalogue.manifest)
    return record["at"][:10] if record is not None else newest_week_start(catalogue)


@dataclass(frozen=True)
class NewPapers:
    """The rows of the papers new in a set (newest first), what "new" meant, and one line that says it."""

    rows: np.ndarray
    basis: str  # BY_UPDATE, BY_DATE or BY_WEEK
    since: str | None  # the date (YYYY-MM-DD) from which papers are new; with BY_UPDATE, the update's day
    description: str
    update_at: str | None = None  # the update's time, with BY_UPDATE


def _added_since(catalogue: Catalogue, records: list[dict]) -> np.ndarray:
    """The rows the given updates (the last ones of the set, in order) added: the last rows, as many as they added."""
    count = min(sum(record["added"] for record in records), len(catalogue))
    return np.arange(len(catalogue) - count, len(catalogue), dtype=np.int64)


def newest_first(catalogue: Catalogue, rows: np.ndarray) -> np.ndarray:
    """The rows ordered by update_date, newest first, a later row first among papers of one date (no date last)."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return rows
    dates = catalogue.papers["update_date"].iloc[rows].fillna("").astype(str).to_numpy()
    # lexsort sorts ascending by its last key (an empty date first): reversed, the newest date leads, then the later row.
    order = np.lexsort((rows, dates))[::-1]
    return rows[order]


def new_papers(catalogue: Catalogue, since: str | None = None) -> NewPapers:
    """The papers new in the set: added by its last update (since None), or since a date (see the module docstring)."""
    records = update_records(catalogue.manifest)
    if since is None and records:
        record = records[-1]
        rows = newest_first(catalogue, _added_since(catalogue, records[-1:]))
        when = record["at"].replace("T", " ")[:16]
        return NewPapers(rows, BY_UPDATE, record["at"][:10], f"{len(rows):,} papers added by the last update ({when} UTC)", record["at"])
    basis = BY_DATE
    if since is None:
        since = newest_week_start(catalogue)
        basis = BY_WEEK
        if since is None:
            return NewPapers(np.zeros(0, dtype=np.int64), BY_WEEK, None, "the papers of this set have no dates: nothing is new by date")
    since = parse_date(since)
    dates = catalogue.papers["update_date"].fillna("").astype(str)
    by_date = np.flatnonzero((dates.str.len() >= 10).to_numpy() & (dates >= since).to_numpy())
    later = [i for i, record in enumerate(records) if record["at"][:10] >= since]
    by_update = _added_since(catalogue, records[later[0] :]) if later else np.zeros(0, dtype=np.int64)
    rows = newest_first(catalogue, np.union1d(by_date, by_update))
    if basis == BY_WEEK:
        description = f"{len(rows):,} papers of the newest week in this set (dated {since} or later; it was never updated)"
    else:
        added = f", or added by an update since then ({len(by_update):,})" if later else ""
        description = f"{len(rows):,} papers dated {since} or later{added}"
    return NewPapers(rows, basis, since, description)


@dataclass(frozen=True)
class WhatsNew:
    """A What's new list: the new papers, the rows shown (ranked by the interest, else newest first) and their scores."""

    new: NewPapers
    rows: list[int]
    scores: list[float] | None = None  # None: listed newest first, not ranked
    ranking: InterestRanking | None = None
    notes: list[str] = field(default_factory=list)


def new_and_ranked(engine: Engine, since: str | None = None, interest: Interest | None = None, limit: int = DEFAULT_LIMIT) -> WhatsNew:
    """The `limit` papers new since `since` (None: the default), ranked by the interest or newest first.

    Notes say what a reader should know: interest papers this set lacks, and an interest with none of its "more"
    papers here (then the list is newest first).
    """
    new = new_papers(engine.catalogue, since)
    if interest is None:
        return WhatsNew(new, [int(row) for row in new.rows[:limit]])
    ranking = rank_by_interest(engine, interest, limit, new.rows)
    notes = []
    if ranking.unknown:
        shown = ", ".join(ranking.unknown[:5]) + (f" and {len(ranking.unknown) - 5:,} more" if len(ranking.unknown) > 5 else "")
        notes.append(
            f"{len(ranking.unknown):,} paper(s) of the interest '{interest.name}' are not in this model set and were left out: {shown}"
        )
    if not ranking.usable:
        notes.append(
            f"none of the 'more like' papers of the interest '{interest.name}' is in this model set: the papers are listed newest first"
        )
        return WhatsNew(new, [int(row) for row in new.rows[:limit]], None, ranking, notes)
    return WhatsNew(new, [hit.row for hit in ranking.hits], [hit.score for hit in ranking.hits], ranking, notes)
