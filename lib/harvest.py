"""Harvest arXiv metadata over OAI-PMH (ListRecords, metadataPrefix=arXiv) into snapshot-schema JSON lines.

The harvest is resumable after any interruption, `kill -9` included: each page's lines are appended
and synced before a small state file beside the output records the output's length and the next
resumption token (written atomically). A rerun with the same arguments cuts the output back to the
recorded length (dropping a torn last page) and asks for the recorded token, so every record ends up
in the output exactly once. Ids already written are skipped, which also covers a token that expired
between runs (the list is asked for again from the start).

Daily runs continue from a model set (`newest_set_date`, the command's `--since-model`): the list starts at the newest
update_date among the set's papers, so what the set holds, not what an earlier harvest fetched, decides where the next
one starts, and a harvest whose update failed is simply fetched again. OAI-PMH `from` is inclusive, so that day comes
again; its records are the set's own (an update counts them unchanged) or newer versions. With `renew`, an earlier
complete harvest in the output, or one of another range, is replaced rather than refused; an interrupted one of the
same range is continued.

A misbehaving server cannot keep a harvest running forever or fill its memory: a resumption token
already used in this list, or several pages in a row without a record not seen before in it, end the
run (the pages so far are kept and a rerun asks for the last token again); an answer is read in
chunks up to MAX_RESPONSE_BYTES; each request, connection and every read included, has one deadline.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lib.stages import Log, now_iso

# arXiv's OAI-PMH base URL since 2025; the older http://export.arxiv.org/oai2 redirects there.
DEFAULT_ENDPOINT = "https://oaipmh.arxiv.org/oai"
# arXiv asks API users for no more than one request every three seconds, over one connection.
DEFAULT_DELAY = 3.0
DEFAULT_RETRIES = 8
# Seconds one request may take in all (connecting, the headers and the whole body), not per read: a
# server that trickles a byte every few seconds is cut off here, and the request counts as a failed try.
# arXiv serves a page of about 1 MB in seconds, sometimes a minute or two when busy.
DEFAULT_TIMEOUT = 300.0
# The most bytes read of one answer. arXiv's ListRecords pages are about 1 MB; an answer larger than this
# is not a page but a misbehaving server (an endless body, say), and the harvest stops reading there.
MAX_RESPONSE_BYTES = 32 * 2**20
# Bytes asked of the connection at a time while reading an answer (memory grows only as data arrives).
READ_CHUNK_BYTES = 64 * 1024
# Pages in a row bringing no record not already seen in this list end the run: the server is going round
# in circles under fresh tokens. A healthy list brings new records (or deletions) on almost every page;
# a few empty pages in a row are tolerated.
MAX_PAGES_WITHOUT_NEW = 10
# A completeListSize or cursor above this is nonsense (all of arXiv is about 2.7 million records) and is
# ignored for progress, as is one that is not plain digits.
MAX_LIST_SIZE = 10**9
# Characters of a resumption token quoted in a message.
TOKEN_SHOWN_CHARS = 200
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 300.0
# A server asking for a longer pause than this is told to try later: the harvest resumes anyway.
MAX_RETRY_AFTER = 900.0
USER_AGENT = "topic-search-harvester/1.0 (arXiv semantic search app; OAI-PMH ListRecords; python-urllib)"
STATE_SUFFIX = ".harvest-state.json"
STATE_VERSION = 1
TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


class HarvestError(Exception):
    """The harvest cannot go on; the message says why and whether a rerun continues."""


class OaiError(Exception):
    """An OAI-PMH error response (`<error code="…">`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class MalformedPage(Exception):
    """A response that is not a readable OAI-PMH ListRecords page."""


class RequestTimeout(Exception):
    """A request that did not complete (connection, headers and body) within its deadline."""


class ResponseTooLarge(Exception):
    """An answer longer than MAX_RESPONSE_BYTES (declared or read so far)."""


@dataclass(frozen=True)
class HarvestRequest:
    """What to list: the endpoint, an optional set and datestamp range."""

    endpoint: str = DEFAULT_ENDPOINT
    set_spec: str | None = None
    since: str | None = None
    until: str | None = None

    def first_params(self) -> dict[str, str]:
        """Query parameters of the list's first page."""
        params = {"verb": "ListRecords", "metadataPrefix": "arXiv"}
        for key, value in (("set", self.set_spec), ("from", self.since), ("until", self.until)):
            if value:
                params[key] = value
        return params

    def describe(self) -> str:
        """The arguments in words, for messages."""
        parts = [f"endpoint {self.endpoint}", f"set {self.set_spec or '(all)'}"]
        parts += [f"from {self.since}"] if self.since else []
        parts += [f"until {self.until}"] if self.until else []
        return ", ".join(parts)


@dataclass
class Page:
    """One ListRecords response: its papers, deleted headers skipped, and where the list goes on."""

    papers: list[dict]
    deleted: int = 0
    token: str | None = None
    complete_size: int | None = None
    cursor: int | None = None
    # identifiers of the deleted records' headers, to tell a page of deletions from a page seen before
    deleted_ids: list[str] = field(default_factory=list)


@dataclass
class HarvestState:
    """What a rerun needs to continue: output length, next token, counts. Saved after every page."""

    request: dict
    output_bytes: int = 0
    token: str | None = None
    records: int = 0
    deleted: int = 0
    duplicates: int = 0
    pages: int = 0
    complete_size: int | None = None
    complete: bool = False
    # the newest datestamp (day) among the records written, for the log and for the next run's messages
    newest: str | None = None
    started: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)
    version: int = STATE_VERSION


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element, name: str) -> str | None:
    found = _child(element, name)
    return found.text if found is not None and found.text is not None else None


def _oneline(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None


def _plausible_count(text: str | None) -> int | None:
    """A completeListSize or cursor as a number; None when missing, not plain ASCII digits, or above MAX_LIST_SIZE."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_LIST_SIZE)):
        return None
    value = int(text)
    return value if value <= MAX_LIST_SIZE else None


def _token_shown(token: str) -> str:
    """A resumption token for a one-line message: quoted, control characters escaped, a long one cut."""
    return repr(token[:TOKEN_SHOWN_CHARS]) + ("…" if len(token) > TOKEN_SHOWN_CHARS else "")


def _author_name(author: ET.Element) -> tuple[str, str, str]:
    return tuple((_text(author, part) or "").strip() for part in ("keyname", "forenames", "suffix"))  # type: ignore[return-value]


def record_paper(record: ET.Element) -> dict | None:
    """A `<record>` as a snapshot-schema paper; None for a deleted record or one without arXiv metadata."""
    header = _child(record, "header")
    if header is None or header.get("status") == "deleted":
        return None
    metadata = _child(record, "metadata")
    meta = next(iter(metadata), None) if metadata is not None else None
    if meta is None:
        return None
    identifier = _text(header, "identifier") or ""
    paper_id = (_text(meta, "id") or identifier.rsplit(":", 1)[-1]).strip()
    authors_el = _child(meta, "authors")
    parsed = [_author_name(a) for a in authors_el if _local(a.tag) == "author"] if authors_el is not None else []
    names = [" ".join(part for part in (forenames, keyname, suffix) if part) for keyname, forenames, suffix in parsed]
    datestamp = (_text(header, "datestamp") or "").strip()
    return {
        "id": paper_id,
        "submitter": None,
        "authors": ", ".join(names),
        "title": _text(meta, "title") or "",
        "comments": _text(meta, "comments"),
        "journal-ref": _text(meta, "journal-ref"),
        "doi": _text(meta, "doi"),
        "report-no": _text(meta, "report-no"),
        "categories": _oneline(_text(meta, "categories")) or "",
        "license": _text(meta, "license"),
        "abstract": _text(meta, "abstract") or "",
        "created": _text(meta, "created"),
        "updated": _text(meta, "updated"),
        "update_date": datestamp[:10],
        "authors_parsed": [list(name) for name in parsed],
    }


def parse_page(body: bytes) -> Page:
    """Read one ListRecords response; `noRecordsMatch` is an empty last page, other errors raise OaiError."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedPage(f"not XML ({exc})") from exc
    if _local(root.tag) != "OAI-PMH":
        raise MalformedPage(f"root element is <{_local(root.tag)}>, not <OAI-PMH>")
    error = _child(root, "error")
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return Page([], complete_size=0)
        raise OaiError(code, " ".join((error.text or "").split()))
    listing = _child(root, "ListRecords")
    if listing is None:
        raise MalformedPage("no <ListRecords> element")
    page = Page([])
    for element in listing:
        name = _local(element.tag)
        if name == "record":
            paper = record_paper(element)
            if paper is None:
                page.deleted += 1
                header = _child(element, "header")
                identifier = (_text(header, "identifier") or "").strip() if header is not None else ""
                if identifier:
                    page.deleted_ids.append(identifier)
            elif paper["id"]:
                page.papers.append(paper)
        elif name == "resumptionToken":
            page.token = (element.text or "").strip() or None
            page.complete_size = _plausible_count(element.get("completeListSize"))
            page.cursor = _plausible_count(element.get("cursor"))
            if page.cursor is not None and page.complete_size is not None and page.cursor > page.complete_size:
                page.cursor = None
    return page


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def state_path(out: Path) -> Path:
    """The state file kept beside an output file."""
    return out.with_name(out.name + STATE_SUFFIX)


def load_state(out: Path) -> HarvestState | None:
    """The saved state of a harvest into `out`, or None when there is none."""
    path = state_path(out)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return HarvestState(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise HarvestError(f"cannot read the harvest state {path} ({exc}); remove it and {out} to start again") from exc


def save_state(out: Path, state: HarvestState) -> None:
    """Write the state atomically (temporary file, fsync, rename), so a kill leaves the old or the new one."""
    path = state_path(out)
    state.updated = now_iso()
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def newest_set_date(model: str | Path, today: str | None = None) -> str:
    """The newest update_date (YYYY-MM-DD) among a model set's papers that is not after `today` (UTC by default).

    Where a daily harvest for this set starts. Dates later than today (a wrong record) are passed over, or one such
    record would make every later harvest start in the future and find nothing; values that are not dates are too.
    Raises HarvestError when the folder is not a readable model set or none of its papers has a date.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from lib.modelset import ModelSetError, papers_file, read_manifest

    model = Path(model)
    today = today or datetime.now(UTC).date().isoformat()
    try:
        manifest = read_manifest(model)
        with pa.memory_map(str(model / papers_file(manifest)), "r") as source:
            dates = pa.ipc.open_file(source).read_all().column("update_date")
            dates = pc.filter(dates, pc.and_(pc.match_substring_regex(dates, r"^\d{4}-\d{2}-\d{2}$"), pc.less_equal(dates, today)))
            newest = pc.max(dates).as_py()
    except ModelSetError as exc:
        raise HarvestError(f"--since-model: {exc}") from exc
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise HarvestError(f"--since-model: cannot read the papers of {model} ({exc}); give --from instead") from exc
    if not isinstance(newest, str) or not _DAY.fullmatch(newest):
        raise HarvestError(f"--since-model: no paper of {model} has an update_date up to {today}; give --from instead")
    return newest


def written_ids(out: Path) -> set[str]:
    """Ids of the papers already in an output file (every line is complete: the file was cut to its state)."""
    ids = set()
    with open(out, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                ids.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise HarvestError(f"{out} line {number} is not a harvested paper ({exc}); was it edited?") from exc
    return ids


class _Deadline:
    """One request's deadline: when it passes, every socket the request opened is shut down, so that a
    blocked connect, header or body read returns at once whatever the server trickles.

    The sockets are watched through duplicates of their descriptors (closed with the deadline), which
    stay valid while http.client and TLS move the connection between socket objects."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.passed = False
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for watched in self._watched:
                watched.close()
            self._watched.clear()

    def remaining(self) -> float:
        """Seconds left, at least a millisecond (a socket timeout of 0 would mean non-blocking)."""
        return max(0.001, self.end - time.monotonic())

    def check(self) -> None:
        """Raise RequestTimeout once the deadline has passed."""
        if self.passed or time.monotonic() >= self.end:
            raise RequestTimeout(f"no complete answer within {self.seconds:g} s")

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for watched in self._watched:
                with contextlib.suppress(OSError):
                    watched.shutdown(socket.SHUT_RDWR)

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut this socket down when the deadline passes (at once if it has); returns it."""
        with self._lock:
            self._watched.append(sock.dup())
            if self.passed:
                with contextlib.suppress(OSError):
                    self._watched[-1].shutdown(socket.SHUT_RDWR)
        return sock

    def connect(self, address: tuple[str, int], timeout: float | None = None, source: tuple[str, int] | None = None) -> socket.socket:
        """socket.create_connection within the time left, the new socket watched."""
        self.check()
        return self.watch(socket.create_connection(address, self.remaining(), source))


def _connection_class(base: type[http.client.HTTPConnection], deadline: _Deadline) -> type[http.client.HTTPConnection]:
    class Connection(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = deadline.connect

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_class(http.client.HTTPConnection, self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_class(http.client.HTTPSConnection, self._deadline), req, context=self._context)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects without reading their bodies (urllib reads them whole, however long)."""

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        fp.read = lambda *args: b""
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def read_body(response: http.client.HTTPResponse, deadline: _Deadline, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The whole body of a response, read in chunks before the deadline; ResponseTooLarge past `limit` bytes."""
    if response.length is not None and response.length > limit:
        raise ResponseTooLarge(f"announced {response.length:,} bytes")
    body = bytearray()
    while True:
        deadline.check()
        chunk = response.read1(READ_CHUNK_BYTES)
        if not chunk:
            break
        body += chunk
        if len(body) > limit:
            raise ResponseTooLarge(f"sent more than {limit:,} bytes")
    deadline.check()  # the end may be the deadline's shutdown rather than the server's
    if response.length:
        raise http.client.IncompleteRead(bytes(body), response.length)
    return bytes(body)


@dataclass
class Client:
    """HTTP for one harvest: identifies itself, keeps the polite delay, honours 503 and retries with backoff.

    Each request must complete within `timeout` seconds in all and MAX_RESPONSE_BYTES; a request past its
    deadline is a failed try, a larger answer ends the harvest."""

    user_agent: str = USER_AGENT
    delay: float = DEFAULT_DELAY
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    backoff_first: float = BACKOFF_FIRST
    log: Log = print
    sleep: Callable[[float], None] = time.sleep
    _last: float | None = None

    def _wait_turn(self) -> None:
        if self._last is not None:
            remaining = self.delay - (time.monotonic() - self._last)
            if remaining > 0:
                self.sleep(remaining)

    def _get(self, url: str) -> tuple[int, bytes, str | None]:
        """Status, body and Retry-After of one request, all within `timeout` seconds and MAX_RESPONSE_BYTES."""
        self._wait_turn()
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "text/xml, application/xml"})
        deadline = _Deadline(self.timeout)
        opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline), _RedirectHandler())
        try:
            with deadline:
                try:
                    with opener.open(request, timeout=self.timeout) as response:
                        return response.status, read_body(response, deadline), None
                except urllib.error.HTTPError as exc:
                    retry_after = exc.headers.get("Retry-After") if exc.headers else None
                    exc.close()
                    return exc.code, b"", retry_after
                except (RequestTimeout, ResponseTooLarge):
                    raise
                except Exception as exc:
                    if deadline.passed:
                        raise RequestTimeout(f"no complete answer within {self.timeout:g} s") from exc
                    raise
        finally:
            self._last = time.monotonic()

    def page(self, endpoint: str, params: dict[str, str]) -> Page:
        """Fetch and parse one page, waiting and retrying on flow control, transient failures and malformed pages."""
        url = f"{endpoint}?{urllib.parse.urlencode(params)}"
        problem = ""
        for attempt in range(self.retries + 1):
            wait = min(BACKOFF_MAX, self.backoff_first * 2**attempt)
            try:
                status, body, retry_after = self._get(url)
            except ResponseTooLarge as exc:
                raise HarvestError(
                    f"{endpoint} {exc} for one page, over the {MAX_RESPONSE_BYTES // 2**20} MiB cap "
                    "(arXiv's pages are about 1 MB), so the harvest stopped reading; the pages before it are kept: "
                    "run the same command later to continue, or check --endpoint"
                ) from exc
            except RequestTimeout as exc:
                problem = str(exc)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(exc, urllib.error.URLError) and (not isinstance(reason, OSError) or isinstance(reason, socket.gaierror)):
                    raise HarvestError(f"cannot reach {endpoint}: {reason}") from exc
                problem = f"connection failed ({reason})"
            else:
                if status == 200:
                    try:
                        return parse_page(body)
                    except MalformedPage as exc:
                        problem = f"malformed page ({exc})"
                elif status in TRANSIENT_STATUS:
                    asked = retry_after_seconds(retry_after)
                    if asked is not None:
                        if asked > MAX_RETRY_AFTER:
                            raise HarvestError(
                                f"{endpoint} asks to wait {asked:,.0f} s (HTTP {status}); run the same command later, it continues"
                            )
                        wait = max(asked, 1.0 if status == 503 else 0.0)
                    problem = f"HTTP {status}" + (f", Retry-After {retry_after}" if retry_after else "")
                else:
                    raise HarvestError(f"{endpoint} answered HTTP {status} to {url}")
            if attempt == self.retries:
                break
            self.log(f"  {problem}; waiting {wait:.0f} s before try {attempt + 2} of {self.retries + 1}")
            self.sleep(wait)
        raise HarvestError(f"gave up after {self.retries + 1} tries: {problem}; run the same command again to continue")


@dataclass
class HarvestReport:
    """What a harvest run ended with."""

    out: Path
    records: int
    deleted: int
    duplicates: int
    pages: int
    complete_size: int | None
    resumed: bool


def _start(out: Path, request: HarvestRequest, log: Log, renew: bool = False) -> tuple[HarvestState, set[str], bool]:
    state = load_state(out)
    if state is not None and renew and (state.complete or state.request != asdict(request)):
        # A harvest file of an earlier run: its papers are in the set or will be listed again from the set's date.
        why = "complete" if state.complete and state.request == asdict(request) else f"of {HarvestRequest(**state.request).describe()}"
        log(f"replacing the earlier harvest in {out} ({why}, {state.records:,} records) with a new one")
        # The new state first: killed before the truncation, a rerun cuts the file back to its 0 bytes.
        save_state(out, HarvestState(request=asdict(request)))
        with open(out, "r+b" if out.exists() else "wb") as handle:
            handle.truncate(0)
            handle.flush()
            os.fsync(handle.fileno())
        return load_state(out), set(), False  # type: ignore[return-value]
    if state is None:
        if out.exists() and out.stat().st_size > 0:
            raise HarvestError(f"{out} exists and was not written by a harvest (no {state_path(out).name}); choose another --out")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()
        state = HarvestState(request=asdict(request))
        save_state(out, state)
        return state, set(), False
    if state.request != asdict(request):
        was = HarvestRequest(**state.request).describe()
        raise HarvestError(f"{out} is a harvest of {was}; rerun with those arguments to continue, or choose another --out")
    if not out.exists():
        raise HarvestError(f"{out} is missing but its state {state_path(out).name} is not; remove the state to start again")
    size = out.stat().st_size
    if size < state.output_bytes:
        raise HarvestError(f"{out} is shorter than its harvest state says ({size:,} < {state.output_bytes:,} bytes); was it edited?")
    if size > state.output_bytes:
        log(f"dropping {size - state.output_bytes:,} bytes written after the last completed page")
        with open(out, "r+b") as handle:
            handle.truncate(state.output_bytes)
            handle.flush()
            os.fsync(handle.fileno())
    return state, written_ids(out), True


def _progress(state: HarvestState, page: Page) -> str:
    total = f" of {state.complete_size:,} listed" if state.complete_size else ""
    skipped = f", {state.deleted:,} deleted skipped" if state.deleted else ""
    position = ""
    if page.cursor is not None and page.token is not None:
        position = f", list position {page.cursor + len(page.papers) + page.deleted:,}"
    return f"  {state.records:,} records{total}{skipped} ({state.pages:,} pages{position})"


class _Seen:
    """What this run has met: ids written before the current list started, and what the list brought."""

    def __init__(self, written: set[str]) -> None:
        self.before = written  # written before this list started and not met in it yet
        self.papers: set[str] = set()  # paper ids met in this list (all of them written)
        self.deleted: set[str] = set()  # deleted records' identifiers met in this list
        self.tokens: set[str] = set()  # resumption tokens asked for in this list
        self.idle_pages = 0  # pages in a row that brought nothing not met before in this list

    def new_list(self) -> None:
        """The list is asked for again from its start: what it brought so far counts as written before."""
        self.before |= self.papers
        self.papers, self.deleted, self.tokens, self.idle_pages = set(), set(), set(), 0

    def take(self, page: Page) -> list[dict]:
        """The page's papers not written yet; counts the page as idle when nothing in it is new to this list."""
        fresh, new = [], 0
        for paper in page.papers:
            paper_id = paper["id"]
            if paper_id in self.papers:
                continue
            self.papers.add(paper_id)
            new += 1
            if paper_id in self.before:
                self.before.discard(paper_id)
                continue
            fresh.append(paper)
        for identifier in page.deleted_ids:
            if identifier not in self.deleted:
                self.deleted.add(identifier)
                new += 1
        self.idle_pages = 0 if new else self.idle_pages + 1
        return fresh


def _check_moving_on(endpoint: str, token: str, seen: _Seen, state: HarvestState) -> None:
    """End the run when the list goes round in circles; the page is saved, so a rerun asks for `token`."""
    kept = f"the {state.records:,} papers so far are kept; run the same command later to try again from that token"
    if token in seen.tokens:
        raise HarvestError(
            f"{endpoint} sent the resumption token {_token_shown(token)} again (already used in this list), "
            f"so the list would never end; {kept}"
        )
    if seen.idle_pages >= MAX_PAGES_WITHOUT_NEW:
        raise HarvestError(
            f"{endpoint} sent {seen.idle_pages} pages in a row with no new record (last resumption token "
            f"{_token_shown(token)}), so the list is not moving on; {kept}"
        )


def harvest(out: str | Path, request: HarvestRequest, client: Client | None = None, log: Log = print, renew: bool = False) -> HarvestReport:
    """Harvest every record the request lists into `out` (JSON lines), continuing a harvest interrupted earlier.

    With `renew` (daily runs), an earlier harvest in `out` that is complete or of another request is replaced by a new
    one instead of being reported complete or refused; an interrupted harvest of the same request is still continued.
    """
    out = Path(out)
    if out.name.endswith(".gz"):
        raise HarvestError("the harvest writes plain JSON lines (it appends and resumes); name the output .jsonl")
    client = client or Client(log=log)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f".{out.name}.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise HarvestError(f"another harvest is writing {out} right now") from exc
        return _harvest_locked(out, request, client, log, renew)


def _harvest_locked(out: Path, request: HarvestRequest, client: Client, log: Log, renew: bool = False) -> HarvestReport:
    state, ids, resumed = _start(out, request, log, renew)
    if state.complete:
        log(f"{out} is already complete: {state.records:,} records ({request.describe()})")
        return HarvestReport(out, state.records, state.deleted, state.duplicates, state.pages, state.complete_size, resumed)
    after = f" after {len(ids):,} records" if resumed else ""
    log(f"{'continuing' if resumed else 'harvesting'} {request.describe()} into {out}{after}")
    params = {"verb": "ListRecords", "resumptionToken": state.token} if state.token else request.first_params()
    seen = _Seen(ids)
    while True:
        if "resumptionToken" in params:
            seen.tokens.add(params["resumptionToken"])
        try:
            page = client.page(request.endpoint, params)
        except OaiError as exc:
            if exc.code == "badResumptionToken" and "resumptionToken" in params and resumed:
                written = len(seen.before) + len(seen.papers)
                log(f"the saved resumption token is no longer valid ({exc}); listing again, skipping the {written:,} papers written")
                params, resumed = request.first_params(), False
                seen.new_list()
                continue
            raise HarvestError(f"{request.endpoint} returned an OAI-PMH error: {exc}") from exc
        fresh = seen.take(page)
        state.duplicates += len(page.papers) - len(fresh)
        if fresh:
            with open(out, "ab") as handle:
                handle.write("".join(json.dumps(paper, ensure_ascii=False) + "\n" for paper in fresh).encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
        state.output_bytes = out.stat().st_size
        state.records += len(fresh)
        state.newest = max([state.newest or "", *(paper["update_date"] for paper in fresh)]) or None
        state.deleted += page.deleted
        state.pages += 1
        state.complete_size = page.complete_size if page.complete_size is not None else state.complete_size
        state.token = page.token
        state.complete = page.token is None
        save_state(out, state)
        log(_progress(state, page))
        if state.complete:
            break
        _check_moving_on(request.endpoint, page.token, seen, state)
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    if state.records == 0:
        log(f"no records match {request.describe()}")
    newest = f" (newest datestamp {state.newest})" if state.newest else ""
    log(f"done: {state.records:,} papers in {out}{newest}")
    return HarvestReport(out, state.records, state.deleted, state.duplicates, state.pages, state.complete_size, resumed)
