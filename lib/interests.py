"""Saved interests: the papers a researcher marked "more like" and "less like", kept as a small JSON file.

An interest is what the marked-papers page ranks by, given a name so it can be downloaded, uploaded again, and
used from the command line (`python -m lib feed --interest FILE`, which ranks what is new by it):

    {"version": 1, "name": "spin foams", "more": ["2401.01234", ...], "less": ["2312.04567"],
     "created": "2025-01-10T12:00:00+00:00", "model": "cs-2024"}

`more` (at least one id) and `less` (may be empty) list paper ids; `model` (optional) names the set it was saved
from, for the reader's information only: an interest works on any set, and its ids that a set does not hold are
reported and left out, never fatal. Files come from anywhere (an upload, a colleague's e-mail), so reading is
bounded and checked: at most MAX_BYTES, JSON of the shape above, at most MAX_IDS ids, each an arXiv id in a form
lib/arxiv_ids.py reads (a bare id, `arXiv:` id, abs or PDF link, DOI; the version dropped) or another id of the
kind a set can hold (no whitespace or control characters, at most 64 characters, as lib/reading.py accepts). Every
problem is one line that names the file and says what to do. Keys this version does not know are ignored, so a
later version's extra fields do not break older readers; a later `version` is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lib.arxiv_ids import arxiv_id, normalize_id
from lib.atomic import write_bytes_atomically
from lib.reading import MAX_ID_LENGTH
from lib.stages import now_iso

if TYPE_CHECKING:
    from lib.engine import Engine
    from lib.search import Hit

VERSION = 1
# An interest of MAX_IDS ids written with links takes well under this; anything bigger is not an interest file.
MAX_BYTES = 256 * 1024
# Ids in "more" and "less" together: far more than anyone marks by hand (the marked page takes 200 from a map
# selection at once), few enough that ranking by all of them stays quick.
MAX_IDS = 2000
MAX_NAME_CHARS = 120
# Longest text read as one id: an abs or DOI link to an old-style id with a version fits well within it.
MAX_ID_TEXT = 200
DEFAULT_NAME = "interest"
SUFFIX = ".interest.json"
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FILE_STEM = re.compile(r"[^A-Za-z0-9._-]+")
# Rank a wider pool each round when restricting to some rows, and start from at least this many papers.
POOL_GROWTH = 4
FIRST_POOL = 200


class InterestError(ValueError):
    """An interest that cannot be read or made; the message is one line for the user."""


@dataclass(frozen=True)
class Interest:
    """A named set of papers to rank by: more like `more`, less like `less` (ids without versions)."""

    name: str
    more: tuple[str, ...]
    less: tuple[str, ...] = ()
    created: str = ""
    model: str | None = None

    def as_dict(self) -> dict:
        """The interest as the JSON object its file holds."""
        data = {"version": VERSION, "name": self.name, "more": list(self.more), "less": list(self.less), "created": self.created}
        if self.model:
            data["model"] = self.model
        return data

    def to_bytes(self) -> bytes:
        """The file's content: UTF-8 JSON, indented for people who open it, ending with a newline."""
        return (json.dumps(self.as_dict(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    def marks(self, known: Callable[[str], object]) -> tuple[dict[str, int], list[str]]:
        """Its papers as marks (id -> 1 "more like", -1 "less like", in its order) of those `known` finds (not None),
        and the ids it does not find: what restoring the interest on a model set gives."""
        marked = {paper_id: 1 for paper_id in self.more if known(paper_id) is not None}
        marked.update({paper_id: -1 for paper_id in self.less if known(paper_id) is not None})
        return marked, [paper_id for paper_id in (*self.more, *self.less) if known(paper_id) is None]

    def file_name(self) -> str:
        """A file name for a download of this interest: its name in safe characters and SUFFIX."""
        stem = _FILE_STEM.sub("-", self.name).strip("-.") or DEFAULT_NAME
        return stem[:60] + SUFFIX


def check_id(value: object, where: str = "an id") -> str:
    """A paper id as an interest stores it (arXiv forms normalised to the bare id, no version); InterestError if it is none."""
    if not isinstance(value, str):
        raise InterestError(f'{where} is {_kind(value)}, not a paper id in quotes such as "2401.01234"')
    text = value.strip()
    if not text:
        raise InterestError(f"{where} is empty; give a paper id such as 2401.01234 or remove it")
    if len(text) > MAX_ID_TEXT:
        raise InterestError(f"{where} is {len(text):,} characters long, not a paper id; give ids such as 2401.01234")
    found = arxiv_id(text)
    if found is not None:
        return found
    paper_id = normalize_id(text)
    if _UNSAFE.search(paper_id) or len(paper_id) > MAX_ID_LENGTH:
        raise InterestError(f"{where} ({_shown(text)}) is not a paper id: give arXiv ids such as 2401.01234 or arXiv links")
    return paper_id


def _kind(value: object) -> str:
    """How a JSON value is named in messages."""
    names = {dict: "an object", list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _shown(text: str, width: int = 40) -> str:
    """A piece of an untrusted file, quoted and cut short, control characters made visible, for a one-line message."""
    cut = text if len(text) <= width else text[: width - 1] + "…"
    return json.dumps(cut, ensure_ascii=True)


def _ids(values: object, key: str, source: str) -> list[str]:
    """The checked ids of one list of the file, each once, in order."""
    if not isinstance(values, list):
        raise InterestError(f'{source}: "{key}" is {_kind(values)}; it must be a list of paper ids such as ["2401.01234"]')
    checked = [check_id(value, f'{source}: "{key}" item {i + 1}') for i, value in enumerate(values)]
    return list(dict.fromkeys(checked))


def _name(value: object, source: str) -> str:
    if value is None:
        return DEFAULT_NAME
    if not isinstance(value, str):
        raise InterestError(f'{source}: "name" is {_kind(value)}; it must be text')
    name = " ".join(_NAME_CONTROL.sub(" ", value).split())
    if len(name) > MAX_NAME_CHARS:
        raise InterestError(f'{source}: "name" is {len(name):,} characters; keep it to {MAX_NAME_CHARS}')
    return name or DEFAULT_NAME


def _checked(name: str, more: list[str], less: list[str], source: str) -> None:
    """The rules every interest keeps, whether read or made: some "more" ids, not too many, none on both sides."""
    if not more:
        raise InterestError(f'{source}: "more" lists no paper; an interest needs at least one paper to rank by')
    if len(more) + len(less) > MAX_IDS:
        raise InterestError(
            f"{source}: {len(more) + len(less):,} papers; an interest holds at most {MAX_IDS:,}: split it or keep the most telling"
        )
    both = set(more) & set(less)
    if both:
        first = next(paper_id for paper_id in more if paper_id in both)
        raise InterestError(f'{source}: paper {first} is in both "more" and "less"; keep it in one of them')


def make_interest(
    name: str, more: Sequence[str], less: Sequence[str] = (), model: str | None = None, created: str | None = None
) -> Interest:
    """An interest of these ids (checked and normalised as a file's are), stamped with the current time unless given."""
    source = "the interest"
    more_ids = _ids(list(more), "more", source)
    less_ids = _ids(list(less), "less", source)
    checked_name = _name(name, source)
    _checked(checked_name, more_ids, less_ids, source)
    return Interest(checked_name, tuple(more_ids), tuple(less_ids), created or now_iso(), model or None)


def parse_interest(data: bytes, source: str = "the interest file") -> Interest:
    """The interest a file's bytes hold; InterestError (one line naming `source`) for anything else."""
    if len(data) > MAX_BYTES:
        raise InterestError(f"{source} is {len(data):,} bytes; an interest file is at most {MAX_BYTES // 1024} KB: is it the right file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterestError(f"{source} is not UTF-8 text (byte {exc.start:,}); save the interest again from the app") from exc
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InterestError(
            f"{source} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); save the interest again from the app"
        ) from exc
    except RecursionError as exc:
        raise InterestError(f"{source} is JSON nested too deeply to be an interest; save the interest again from the app") from exc
    if not isinstance(parsed, dict):
        raise InterestError(f'{source} holds {_kind(parsed)}; an interest is a JSON object with "name", "more" and "less"')
    version = parsed.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InterestError(f'{source}: "version" is {_kind(version)}; it must be the number {VERSION}')
    if version > VERSION or version < 1:
        raise InterestError(f"{source} is an interest of version {version}; this program reads version {VERSION}: update it")
    if "more" not in parsed:
        raise InterestError(f'{source} has no "more" list of paper ids; is it an interest file?')
    more = _ids(parsed["more"], "more", source)
    less = _ids(parsed.get("less", []), "less", source)
    name = _name(parsed.get("name"), source)
    created = parsed.get("created", "")
    if not isinstance(created, str):
        raise InterestError(f'{source}: "created" is {_kind(created)}; it must be a time as text (or left out)')
    model = parsed.get("model")
    if model is not None and not isinstance(model, str):
        raise InterestError(f'{source}: "model" is {_kind(model)}; it must be the name of a model set as text (or left out)')
    _checked(name, more, less, source)
    return Interest(name, tuple(more), tuple(less), _NAME_CONTROL.sub(" ", created)[:40], _name(model, source) if model else None)


def read_interest(path: Path) -> Interest:
    """The interest in a file, read bounded (never more than MAX_BYTES + 1 bytes)."""
    path = Path(path)
    if not path.is_file():
        raise InterestError(f"interest file not found or not a file: {path}")
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        size = path.stat().st_size
        raise InterestError(f"{path} is {size:,} bytes; an interest file is at most {MAX_BYTES // 1024} KB: is it the right file?")
    return parse_interest(data, str(path))


def write_interest(interest: Interest, path: Path) -> None:
    """Write the interest's file atomically (a reader sees the old file or the new, never half)."""
    write_bytes_atomically(Path(path), interest.to_bytes())


@dataclass(frozen=True)
class InterestRanking:
    """Papers ranked by an interest, and the interest's ids this set does not hold (left out, for the page to say)."""

    hits: list[Hit]
    more: list[str] = field(default_factory=list)
    less: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Whether the set holds at least one of the interest's "more" papers (without one there is nothing to rank by)."""
        return bool(self.more)


def rank_by_interest(engine: Engine, interest: Interest, k: int, rows: Sequence[int] | np.ndarray | None = None) -> InterestRanking:
    """The k papers most like the interest's "more" papers and least like its "less" ones (Ranker.similar), among
    `rows` when given (else the whole set); the interest's own papers never listed.

    To keep to some rows without a ranker parameter for it, the ranker ranks a pool of the set (narrowed to the years
    the rows span when each has a date), exactly (no ANN shortcut), and the pool grows POOL_GROWTH-fold until k of
    the rows are in it or it holds every paper: the order is the ranker's own, only the other papers are skipped.
    """
    catalogue, ranker = engine.catalogue, engine.ranker
    more = [paper_id for paper_id in interest.more if catalogue.row_of(paper_id) is not None]
    less = [paper_id for paper_id in interest.less if catalogue.row_of(paper_id) is not None]
    unknown = [paper_id for paper_id in (*interest.more, *interest.less) if catalogue.row_of(paper_id) is None]
    if not more or k <= 0:
        return InterestRanking([], more, less, unknown)
    if rows is None:
        return InterestRanking(ranker.similar(more, k, negative=less), more, less, unknown)
    wanted = np.zeros(len(catalogue), dtype=bool)
    wanted[np.asarray(rows, dtype=np.int64)] = True
    if not wanted.any():
        return InterestRanking([], more, less, unknown)
    years = catalogue.years[wanted]
    span = (int(years.min()), int(years.max())) if (years > 0).all() else None
    mask = catalogue.filter_mask(years=span)
    pool_size = int(mask.sum()) if mask is not None else len(catalogue)
    pool = min(pool_size, max(FIRST_POOL, POOL_GROWTH * k))
    while True:
        hits = ranker.similar(more, pool, years=span, negative=less, approximate=False)
        chosen = [hit for hit in hits if wanted[hit.row]]
        if len(chosen) >= k or len(hits) < pool or pool >= pool_size:
            return InterestRanking(chosen[:k], more, less, unknown)
        pool = min(pool_size, pool * POOL_GROWTH)
