"""Streaming readers for arXiv metadata: the Kaggle snapshot's JSON lines (optionally gzip) and CSV.

Records are validated one at a time; bad ones are counted by reason and never abort a read.
Memory grows with the papers kept, never with the size of the file.

JSON fields must be strings (or null/absent where optional): a number as a title or a list as an
abstract is skipped as "wrong type: <field>", never coerced (a numeric arXiv id has already lost its
zeros). CSV fields are text, so there only emptiness is checked. A title or abstract longer than
its cap is kept, cut at a word boundary and counted as truncated.

Lines are read in bounded pieces: a line (a CSV record, which may span lines inside quotes) longer than
MAX_LINE_BYTES is skipped as "line too long" without ever being held whole, and reading goes on at the
next line; a corpus-file line longer than MAX_CORPUS_LINE_BYTES stops the read with an InputError naming it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lib.arxiv_ids import normalize_id

FIELDS = ("id", "title", "abstract", "authors", "categories", "update_date")
REQUIRED = ("id", "title", "abstract")
# Metadata paired with a corpus file of full texts needs no abstract.
PAIRED_REQUIRED = ("id", "title")
PAIRING = "with --corpus-file every metadata row pairs with a corpus line, so none can be skipped"
EXAMPLES_PER_REASON = 5
MAX_ID_LENGTH = 64
# arXiv caps abstracts at 1,920 characters; anything past ten times that is not an abstract.
MAX_CHARS = {"title": 2_000, "abstract": 20_000}
# The longest line of a metadata file (JSON lines; for CSV a record, counted in characters) that is read; longer ones
# are skipped as "line too long" and never held whole. The longest record of the shared 50,023-paper sample is 12,972
# bytes (2506.12103, an author list of 11,775 characters); arXiv's longest author lists (about 5,000 names) take about
# 200 KB with `authors_parsed`. 4 MiB is 20 times that and over 300 times the sample's longest, and costs nothing to hold.
MAX_LINE_BYTES = 4 << 20
# The longest corpus-file line (one whole paper, already split into tokens). A 1,000-page book is about 3 MB of text,
# and arXiv refuses submissions over 50 MB with their figures; 32 MiB is ten times the book. A longer line is not a
# paper (most likely a file whose newlines were lost) and, as lines pair with metadata rows by position, stops the read.
MAX_CORPUS_LINE_BYTES = 32 << 20
# What is read at a time while the rest of a too-long line is discarded.
DISCARD_CHUNK = 1 << 20
TOO_LONG = "line too long"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# C0 and C1 controls (NUL included), DEL, lone surrogates (unencodable) and bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_GZIP_MAGIC = b"\x1f\x8b"


class InputError(Exception):
    """The input as a whole cannot be read (missing file, unknown format, missing CSV columns)."""


@dataclass
class Filters:
    """Which papers to keep: category prefixes, an update_date range, and a maximum count."""

    categories: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    limit: int | None = None

    def category_matches(self, categories: str) -> bool:
        """`cs.` matches any cs.* code, `math` the archive math and math.*, `cs.CL` only cs.CL."""
        if not self.categories:
            return True
        for code in categories.split():
            for prefix in self.categories:
                if code == prefix or code.startswith(prefix if prefix.endswith(".") else prefix + "."):
                    return True
        return False

    def rejects(self, paper: dict[str, str]) -> str | None:
        """The reason a valid paper is filtered out, or None to keep it."""
        if not self.category_matches(paper["categories"]):
            return "category"
        date = paper["update_date"]
        if (self.since or self.until) and not date:
            return "no update_date"
        if self.since and date < self.since:
            return "before --since"
        if self.until and date > self.until:
            return "after --until"
        return None


@dataclass
class ReadReport:
    """What a read saw: records, kept papers, skips by reason with example line numbers."""

    records: int = 0
    kept: int = 0
    duplicates: int = 0
    bytes_read: int = 0
    skipped: Counter = field(default_factory=Counter)
    filtered: Counter = field(default_factory=Counter)
    truncated: Counter = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=dict)
    stopped_early: str | None = None

    def skip(self, reason: str, line: int) -> None:
        """Count a bad record and remember where the first few were."""
        self.skipped[reason] += 1
        lines = self.examples.setdefault(reason, [])
        if len(lines) < EXAMPLES_PER_REASON:
            lines.append(line)

    def as_dict(self) -> dict:
        """A JSON-ready summary for the manifest."""
        return {
            "records": self.records,
            "kept": self.kept,
            "duplicates": self.duplicates,
            "bytes_read": self.bytes_read,
            "skipped": dict(self.skipped),
            "skipped_total": sum(self.skipped.values()),
            "skipped_examples": self.examples,
            "filtered": dict(self.filtered),
            "truncated": dict(self.truncated),
            "stopped_early": self.stopped_early,
        }


# Rows gathered as Python strings before they move into compact Arrow columns.
ARROW_CHUNK = 50_000


@dataclass
class PaperTable:
    """Kept papers in columns; a later record of the same id replaces the earlier one in place.

    Every ARROW_CHUNK rows the gathered strings move into an Arrow record batch, so millions of papers
    cost about their text's size rather than several times it (Python strings and lists).
    """

    rows: dict[str, int] = field(default_factory=dict)
    alive: bytearray = field(default_factory=bytearray)
    _batches: list = field(default_factory=list)
    _flushed: int = 0
    _pending: dict[str, list] = field(default_factory=lambda: {name: [] for name in (*FIELDS, "synthetic")})
    _replaced: dict[int, tuple[dict[str, str], bool]] = field(default_factory=dict)

    def put(self, paper: dict[str, str], synthetic: bool) -> bool:
        """Insert or replace a paper; True when the id was already present."""
        row = self.rows.get(paper["id"])
        if row is None:
            self.rows[paper["id"]] = len(self.alive)
            for name in FIELDS:
                self._pending[name].append(paper[name])
            self._pending["synthetic"].append(synthetic)
            self.alive.append(1)
            if len(self._pending["id"]) >= ARROW_CHUNK:
                self._flush()
            return False
        if row >= self._flushed:
            for name in FIELDS:
                self._pending[name][row - self._flushed] = paper[name]
            self._pending["synthetic"][row - self._flushed] = synthetic
        else:
            self._replaced[row] = ({name: paper[name] for name in FIELDS}, synthetic)
        return True

    def drop(self, paper_id: str) -> bool:
        """Forget a kept paper (its latest record no longer passes the filters)."""
        row = self.rows.pop(paper_id, None)
        if row is None:
            return False
        self.alive[row] = 0
        self._replaced.pop(row, None)
        return True

    def __len__(self) -> int:
        return len(self.rows)

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending["id"]:
            self._batches.append(pa.RecordBatch.from_pydict(self._pending, schema=_table_schema()))
            self._flushed += len(self._pending["id"])
            self._pending = {name: [] for name in self._pending}

    def to_arrow(self):
        """The live papers as an Arrow table, in the order first seen."""
        import numpy as np
        import pyarrow as pa

        self._flush()
        table = pa.Table.from_batches(self._batches, schema=_table_schema())
        alive = np.frombuffer(bytes(self.alive), dtype=np.uint8).astype(bool)
        if self._replaced:
            replaced = sorted(self._replaced)
            later = pa.Table.from_pydict(
                {
                    **{name: [self._replaced[row][0][name] for row in replaced] for name in FIELDS},
                    "synthetic": [self._replaced[row][1] for row in replaced],
                },
                schema=_table_schema(),
            )
            alive[replaced] = False
            order = np.concatenate([np.flatnonzero(alive), np.asarray(replaced, dtype=np.int64)])
            table = pa.concat_tables([table.filter(pa.array(alive)), later]).take(np.argsort(order, kind="stable"))
        elif not alive.all():
            table = table.filter(pa.array(alive))
        return table

    def to_frame(self):
        """The live papers as a pandas DataFrame, in the order first seen."""
        return self.to_arrow().to_pandas()


def _table_schema():
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in FIELDS] + [("synthetic", pa.bool_())])


def _clean_field(value: str) -> str:
    """Remove control characters (NUL included) and collapse whitespace."""
    return " ".join(_CONTROL.sub(" ", value).split())


def shorten_long_fields(paper: dict[str, str]) -> list[str]:
    """Cut fields longer than MAX_CHARS at a word boundary (ending with '…'); return the names of those cut."""
    cut = []
    for name, limit in MAX_CHARS.items():
        value = paper[name]
        if len(value) > limit:
            head = value[: limit - 1]
            space = head.rfind(" ")
            paper[name] = (head[:space] if space > limit // 2 else head) + "…"
            cut.append(name)
    return cut


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def validate(record: object, required: tuple[str, ...] = REQUIRED) -> tuple[dict[str, str] | None, str | None]:
    """Turn a raw record into a clean paper dict, or return the reason it is unusable.

    An optional abstract without a single word becomes "", so no punctuation-only abstract is ever shown.
    """
    if not isinstance(record, dict):
        return None, "not an object"
    paper: dict[str, str] = {}
    for name in FIELDS:
        value = record.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            return None, f"wrong type: {name}"
        paper[name] = _clean_field(value)
    for name in required:
        if not paper[name]:
            return None, f"missing {name}"
    if not _has_words(paper["abstract"]):
        if "abstract" in required:
            return None, "abstract has no words"
        paper["abstract"] = ""
    paper["id"] = normalize_id(paper["id"])
    if not paper["id"] or " " in paper["id"] or len(paper["id"]) > MAX_ID_LENGTH:
        return None, "bad id"
    date = paper["update_date"]
    if date:
        if not _DATE.match(date):
            return None, "bad update_date"
        paper["update_date"] = date[:10]
    return paper, None


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        with open(path, "rb") as raw:
            magic = raw.read(2)
        if magic and magic != _GZIP_MAGIC:
            raise InputError(f"{path}: the name ends in .gz but the file is not gzip-compressed; rename or compress it")
        return gzip.open(path, "rb")
    return open(path, "rb")


def detect_format(path: Path) -> str:
    """'jsonl' or 'csv', by suffix, else by the first non-blank byte."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in (".json", ".jsonl", ".ndjson"):
        return "jsonl"
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    try:
        with _open_binary(path) as handle:
            head = handle.read(4096).lstrip()
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if head.startswith(b"{"):
        return "jsonl"
    if b"," in head.split(b"\n", 1)[0]:
        return "csv"
    raise InputError(f"{path}: unknown format (expected JSON lines or CSV with id,title,abstract)")


def _bounded_lines(handle: io.BufferedIOBase, limit: int, discard: bool = True) -> Iterator[tuple[bytes | None, int]]:
    """Each line of a binary stream (newline kept), or None for a line of more than `limit` bytes before its newline,
    whose rest is read and dropped a chunk at a time (unless not `discard`: then nothing more is read); with the bytes
    it took. Memory stays within `limit` and a chunk, whatever the length of the line."""
    while line := handle.readline(limit + 1):
        size = len(line)
        if size <= limit or line.endswith(b"\n"):
            yield line, size
            continue
        if not discard:
            yield None, size
            return
        while not line.endswith(b"\n") and (line := handle.readline(DISCARD_CHUNK)):
            size += len(line)
        yield None, size


def _jsonl_records(handle: io.BufferedIOBase, report: ReadReport) -> Iterator[tuple[int, object]]:
    for number, (line, size) in enumerate(_bounded_lines(handle, MAX_LINE_BYTES), start=1):
        report.bytes_read += size
        if line is None:
            report.records += 1
            report.skip(TOO_LONG, number)
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            report.records += 1
            report.skip("not UTF-8", number)
            continue
        except (ValueError, RecursionError):
            report.records += 1
            report.skip("not JSON", number)
            continue
        yield number, record


def _csv_state(text: str, state: str) -> str:
    """The csv module's reader state (default dialect) after `text`, as far as quoting goes: at the "start" of a field,
    in an unquoted "field", "quoted", or just after a "quote" inside a quoted field. It jumps from quote to quote inside
    quoted fields and from comma to comma outside them, so it costs a step per field, not per character."""
    if state != "quoted" and '"' not in text:
        return state if not text else "start" if text.endswith(",") else "field"
    i, end = 0, len(text)
    while i < end:
        if state == "quoted":
            i = text.find('"', i) + 1
            if not i:
                return "quoted"
            state = "quote"
        elif state == "field":
            i = text.find(",", i) + 1
            if not i:
                return "field"
            state = "start"
        elif text[i] == '"':  # at the start of a field a quote opens it; right after a quote, it is an escaped quote
            state, i = "quoted", i + 1
        elif state == "quote" and text[i] == ",":
            state, i = "start", i + 1
        else:  # anything else makes an unquoted field (after a closing quote too, as the csv module reads it)
            state = "field"
    return state


def _csv_raw_records(text: io.TextIOWrapper, limit: int) -> Iterator[tuple[int, int, list[str] | None]]:
    """Each CSV record as its lines (several when a quoted field holds line ends) with its first and last line numbers,
    or None instead of the lines for a record of more than `limit` characters (its last line end not counted), which is
    read to its end a chunk at a time and dropped. Lines end at \\n, \\r or \\r\\n, as the csv module counts them."""
    number, split_crlf = 0, False
    while True:
        lines: list[str] | None = []
        size, state, first, read = 0, "start", number + 1, False
        while line := text.readline(request := max(1, limit + 2 - size) if lines is not None else DISCARD_CHUNK):
            if split_crlf and line == "\n":  # the rest of a \r\n that the size asked for cut in two: not a line of its own
                split_crlf = False
                if lines:
                    lines[-1] += line
                continue
            split_crlf = len(line) == request and line.endswith("\r")
            read = True
            ended = line.endswith(("\n", "\r"))
            number += ended
            state = _csv_state(line, state)
            if lines is not None:
                if size + len(line.rstrip("\r\n")) > limit:
                    lines = None
                else:
                    lines.append(line)
                    size += len(line)
            if ended and state != "quoted":
                break
        if not read:
            return
        if not line and not ended:
            number += 1  # the file's last line has no line end
        yield first, number, lines
        if not line:
            return


def _csv_records(handle: io.BufferedIOBase, report: ReadReport, required: tuple[str, ...] = REQUIRED) -> Iterator[tuple[int, object]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    records = _csv_raw_records(text, MAX_LINE_BYTES)
    columns: list[str] = []
    for first, _, lines in records:
        if lines is None:
            raise InputError(f"CSV header at line {first}: {TOO_LONG} (over {MAX_LINE_BYTES:,} characters)")
        header = next(csv.reader(lines), [])
        if header:
            columns = [name.strip().lower() for name in header]
            break
    missing = [name for name in required if name not in columns]
    if missing:
        raise InputError(f"CSV lacks required column(s) {', '.join(missing)}; found: {', '.join(columns) or 'none'}")
    for first, last, lines in records:
        report.bytes_read = handle.tell()
        if lines is None:
            report.records += 1
            report.skip(TOO_LONG, first)
            continue
        for row in csv.reader(lines):
            if not row:
                continue  # a blank line
            if len(row) > len(columns):
                report.records += 1
                report.skip("too many CSV fields", last)
                continue
            fields = dict(zip(columns, row, strict=False))
            yield last, {name: fields[name] for name in FIELDS if name in fields}


def read_papers(
    path: str | Path,
    filters: Filters | None = None,
    progress: Callable[[ReadReport], None] | None = None,
) -> tuple[PaperTable, ReadReport]:
    """Stream a metadata file into a PaperTable, validating, filtering and de-duplicating by id."""
    path = Path(path)
    filters = filters or Filters()
    if not path.is_file():
        raise InputError(f"input not found or not a file: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    kind = detect_format(path)
    table, report = PaperTable(), ReadReport()
    records = _jsonl_records if kind == "jsonl" else _csv_records
    with _open_binary(path) as handle:
        line = 0
        try:
            for line, record in records(handle, report):
                report.records += 1
                paper, reason = validate(record)
                if paper is None:
                    report.skip(reason, line)
                    continue
                for name in shorten_long_fields(paper):
                    report.truncated[name] += 1
                rejected = filters.rejects(paper)
                if rejected:
                    report.filtered[rejected] += 1
                    table.drop(paper["id"])
                    continue
                if table.put(paper, synthetic=record.get("synthetic") is True):
                    report.duplicates += 1
                if progress and report.records % 10_000 == 0:
                    report.kept = len(table)
                    progress(report)
                if filters.limit and len(table) >= filters.limit:
                    break
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            where = f"after line {line}" if line else "before its first line"
            report.stopped_early = (
                f"input ends early {where}: truncated or damaged gzip ({type(exc).__name__}: {exc}); kept what was read before"
            )
    report.kept = len(table)
    if progress:
        progress(report)
    return table, report


@dataclass
class _PairedReport(ReadReport):
    """A read report that turns any skip into an error: a skipped metadata row would shift every later pair."""

    path: Path | None = None

    def skip(self, reason: str, line: int) -> None:
        """Fail on the first unusable row, naming the file and the line."""
        if reason == TOO_LONG:
            reason += f" (over {MAX_LINE_BYTES:,} bytes)"
        raise InputError(f"metadata {self.path}, line {line}: {reason}; {PAIRING}")


def read_paired_metadata(
    path: str | Path,
    filters: Filters | None = None,
    progress: Callable[[ReadReport], None] | None = None,
) -> tuple[PaperTable, list[bool], ReadReport]:
    """Read metadata whose row i describes line i of a corpus file; return the kept papers, a keep-mask over rows, the report.

    Every row must have an id and a title with words, and ids must be unique: nothing may be skipped or merged,
    or every later row would describe the wrong corpus line, so the first bad row is an InputError naming its
    line. Filters and the limit do not drop rows: they mark them in the mask, and the file is read to its end.
    """
    path = Path(path)
    filters = filters or Filters()
    if not path.is_file():
        raise InputError(f"metadata not found or not a file: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    kind = detect_format(path)
    table, report, keep = PaperTable(), _PairedReport(path=path), []
    first_line: dict[str, int] = {}
    with _open_binary(path) as handle:
        line = 0
        records = _jsonl_records(handle, report) if kind == "jsonl" else _csv_records(handle, report, PAIRED_REQUIRED)
        try:
            for line, record in records:
                report.records += 1
                paper, reason = validate(record, PAIRED_REQUIRED)
                if paper is None:
                    report.skip(reason or "unusable", line)
                    continue
                if not _has_words(paper["title"]):
                    report.skip("title has no words", line)
                earlier = first_line.setdefault(paper["id"], line)
                if earlier != line:
                    raise InputError(f"metadata {path}, line {line}: id {paper['id']} is already on line {earlier}; {PAIRING}")
                for name in shorten_long_fields(paper):
                    report.truncated[name] += 1
                rejected = "after --limit" if filters.limit and len(table) >= filters.limit else filters.rejects(paper)
                keep.append(not rejected)
                if rejected:
                    report.filtered[rejected] += 1
                else:
                    table.put(paper, synthetic=record.get("synthetic") is True)
                if progress and report.records % 10_000 == 0:
                    report.kept = len(table)
                    progress(report)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            where = f"after line {line}" if line else "before its first line"
            damage = f"truncated or damaged gzip ({type(exc).__name__}: {exc})"
            raise InputError(f"metadata {path} ends early {where}: {damage}; {PAIRING}") from None
    report.kept = len(table)
    if progress:
        progress(report)
    return table, keep, report


@dataclass
class CorpusFileReport:
    """What one pass over a corpus file saw: its lines, its size and the sha256 of its bytes as stored."""

    lines: int = 0
    bytes: int = 0
    sha256: str = ""


class _HashingReader(io.RawIOBase):
    """Passes a binary file's bytes through while counting and hashing them, so one pass also checksums the file."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw, self.digest, self.count = raw, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.count += n
        return n


def corpus_lines(path: str | Path, report: CorpusFileReport) -> Iterator[str]:
    """Each line of a corpus file (gzip when named .gz) as text without its newline, streamed; read to the end,
    the report holds the line count, the byte count and the sha256 of the file, so a many-GB file is read once.

    A line of more than MAX_CORPUS_LINE_BYTES is an InputError naming it, read no further than the cap: skipping it
    would pair every later line with the wrong metadata row, and cutting it would keep a "paper" that is most likely
    many papers whose newlines were lost."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"corpus file not found or not a file: {path}")
    with open(path, "rb") as raw:
        compressed = path.suffix == ".gz"
        if compressed:
            magic = raw.read(2)
            raw.seek(0)
            if magic and magic != _GZIP_MAGIC:
                raise InputError(f"{path}: the name ends in .gz but the file is not gzip-compressed; rename or compress it")
        hashing = _HashingReader(raw)
        stream = gzip.GzipFile(fileobj=hashing, mode="rb") if compressed else io.BufferedReader(hashing, buffer_size=1 << 20)
        try:
            for line, _ in _bounded_lines(stream, MAX_CORPUS_LINE_BYTES, discard=False):
                report.lines += 1
                if line is None:
                    raise InputError(
                        f"corpus file {path}, line {report.lines}: {TOO_LONG} (over {MAX_CORPUS_LINE_BYTES:,} bytes); a corpus line "
                        "is one paper, and skipping it would pair every later line with the wrong metadata row"
                    )
                yield (line[:-1] if line.endswith(b"\n") else line).decode("utf-8", errors="replace")
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(
                f"corpus file {path} ends early after line {report.lines}: truncated or damaged gzip ({type(exc).__name__}: {exc})"
            ) from None
        while hashing.read(1 << 20):
            pass
        report.bytes, report.sha256 = hashing.count, hashing.digest.hexdigest()
