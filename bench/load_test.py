"""Load test: many concurrent sessions on one Streamlit server; time per interaction, errors, server memory.

Not a CI test. Two kinds of client (--clients):

* `ws` (default): every session is a Streamlit websocket client that speaks the app's own protocol, as the
  frontend does: it opens `/_stcore/stream`, sends `BackMsg.rerun_script` with the page and query string a
  browser would send and reads the `ForwardMsg`s up to `script_finished`, reporting the messages it has cached
  so that the server may send references instead, like a browser. It needs little CPU, so on a small machine the
  figures measure the server. After a first load of the search page (`first load`) each session repeatedly runs
  the search page with `q=<query>` (`search`) and then the map page with the same query (`map`), each query
  taken from a shuffled list of paper titles of the model sets under --models (so many distinct queries fill the
  server's caches). Errors are timeouts, closed connections, runs that do not finish successfully, pages not
  found, and exception or error elements in a run's deltas.
* `browser`: real browser sessions, described below.

The script starts `streamlit run app.py` on a free port with MODELS_DIR=--models (default: models/ in the
repository; without file watching, so that edits made during the run do not reload modules), or attaches to a
running server with --url (give --pid to sample its memory; for `python -m lib serve`, the pid of that command
covers its app processes and nginx). A URL with credentials (`http://user:password@host:8080`) logs in to a proxy
that asks for a password (HTTP basic auth), for the health check, the websockets and the browser alike.

In browser mode one headless Chromium opens --sessions tabs, each its own Streamlit session (tabs of one browser
context by default, sharing its caches like one user's many tabs; --contexts each gives every session a context of
its own). Every session first loads the search page (`first load`, sessions --stagger seconds apart, as in ws mode);
then, for --seconds, each repeatedly

* goes to the search page through the sidebar (`search page`),
* types a query into the search box, presses Enter and waits for the results (`search`),
* goes to the topic map through the sidebar, types the same query into its box and waits for the chart with the
  query pinned on it (`map`).

--page-loads loads every page by its URL instead (`/`, `/map?q=...`), which costs the browser far more.

By default no session pauses: each starts its next interaction the moment the last one ends, the worst case for a
server. `--think S` makes each session pause after every interaction, as a reader does over a page of results, for a
random time between half and one and a half times S (a fixed sequence per session: runs are comparable). After an
error a session starts again from a fresh load of the search page.

Browser errors are timeouts (--timeout), page errors and Streamlit exception boxes. In both modes the server's
resident memory (its process and children; on Linux also its anonymous part, where a leak shows, as against the
memory-mapped model set) is sampled before the load, every second during it and after an idle pause; the CPU time
of the server and of the load generator (this script, and in browser mode Playwright and Chromium) is measured too,
as on a small machine the browser may be what limits the figures. Both modes print the same figures (plus queries
per second) and exit 1 when any interaction failed.

    python -m bench.load_test [--clients ws|browser] [--sessions 20] [--seconds 60] [--think 0]
                              [--models DIR | --url URL [--pid PID]] [--json OUT]
    python -m bench.load_test --url http://lab:PASSWORD@127.0.0.1:8080 --pid PID --models DIR  # through nginx
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MB = 2**20
KINDS = ("first load", "search page", "search", "map")
QUERIES = [
    "transformer language models for machine translation",
    "instance segmentation with vision transformers",
    "message passing graph neural networks oversmoothing",
    "differential privacy and secure aggregation",
    "cardinality estimation for query optimization",
    "legged robots trajectory optimization",
    "surface codes and fault tolerance",
    "cuprate superconductors pairing symmetry",
    "fluctuation theorems and entropy production",
    "galaxies stellar mass dark matter halos",
    "zeta function zeros and prime gaps",
    "random walks on graphs hitting times",
    "spiking neurons and neural coding",
    "instrumental variables and treatment effects",
    "holography and black hole entropy",
    "turbulent boundary layers and vortex shedding",
    "retrieval augmented question answering",
    "optical flow and depth estimation",
    "knowledge graphs link prediction",
    "side channel attacks on enclaves",
    "distributed transactions and replication",
    "quadrotor control and collision avoidance",
    "magic states and Clifford gates",
    "phase diagram of nematic order",
    "active matter and phase separation",
    "star formation in high redshift galaxies",
    "modular forms and L-functions",
    "Brownian motion and stochastic differential equations",
    "cortex oscillations and synaptic plasticity",
    "difference in differences panel data",
    "AdS/CFT correspondence and entanglement",
    "lattice Boltzmann methods for multiphase flows",
]
SEARCH_BOX, MAP_BOX = "What are you looking for?", "Pin a query on the map"
# No script run is going on and nothing on screen is stale: what the page shows is final.
IDLE = (
    "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') === 'notRunning'"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
QUERY_IS = "new URLSearchParams(location.search).get('q') === query"
SEARCH_READY = f"() => {IDLE} && !location.pathname.endsWith('/map') && !!document.querySelector('input[aria-label=\"{SEARCH_BOX}\"]')"
SEARCH_DONE = (
    f"(query) => {IDLE} && {QUERY_IS} && !location.pathname.endsWith('/map')"
    ' && document.querySelectorAll(\'[data-testid="stExpander"], [data-testid="stAlert"]\').length > 0'
)
MAP_READY = f"() => {IDLE} && !!document.querySelector('input[aria-label=\"{MAP_BOX}\"]')"
MAP_DONE = (
    f"(query) => {IDLE} && {QUERY_IS}"
    " && [...document.querySelectorAll('.js-plotly-plot .legendtext')].some(n => n.textContent.startsWith('Query: ' + query.slice(0, 40)))"
)
EXCEPTIONS = "() => [...document.querySelectorAll('[data-testid=\"stException\"]')].map(node => node.innerText.slice(0, 300))"


@dataclass
class Record:
    """What the sessions did: every finished interaction (kind, start and duration in s) and every error."""

    started: float = field(default_factory=time.perf_counter)
    interactions: list[tuple[str, float, float]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    distinct: set[str] = field(default_factory=set)

    def done(self, kind: str, start: float) -> None:
        """Note one finished interaction that began at `start` (perf_counter)."""
        self.interactions.append((kind, start - self.started, time.perf_counter() - start))

    def queries_by(self, moment: float) -> int:
        """Query interactions (search and map) finished by `moment` seconds into the run."""
        return sum(1 for kind, start, took in self.interactions if kind in ("search", "map") and start + took <= moment)


@dataclass
class Memory:
    """Resident memory of the server process and its children, sampled over time (MB)."""

    process: psutil.Process | None
    samples: list[tuple[float, float, float | None]] = field(default_factory=list)

    def reading(self) -> tuple[float | None, float | None]:
        """Current RSS of the server and its children in MB, and its private (anonymous) part: RSS less the file-backed
        and shared pages psutil reports on Linux (None elsewhere). The rest is mostly the memory-mapped model set,
        counted once per process though the page cache holds one copy: a leak shows in the anonymous part. (None,
        None) when it cannot be read."""
        if self.process is None:
            return None, None
        try:
            infos = [member.memory_info() for member in [self.process, *self.process.children(recursive=True)]]
        except psutil.Error:
            return None, None
        rss = sum(info.rss for info in infos)
        shared = [getattr(info, "shared", None) for info in infos]
        anonymous = None if None in shared else rss - sum(shared)
        return rss / MB, None if anonymous is None else anonymous / MB

    def rss(self) -> float | None:
        """Current RSS of the server and its children in MB, or None when it cannot be read."""
        return self.reading()[0]

    def cpu_seconds(self) -> float | None:
        """CPU time the server process and its children have used so far (user + system)."""
        return None if self.process is None else tree_cpu_seconds(self.process)

    async def sample_every_second(self, record: Record, stop: asyncio.Event) -> None:
        """Sample RSS once a second until told to stop."""
        while not stop.is_set():
            value, anonymous = self.reading()
            if value is not None:
                self.samples.append((time.perf_counter() - record.started, value, anonymous))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


def cpu_seconds(members: list[psutil.Process]) -> float | None:
    """CPU time (user + system) the processes have used so far, None when it cannot be read."""
    try:
        return sum(times.user + times.system for times in (member.cpu_times() for member in members))
    except psutil.Error:
        return None


def tree_cpu_seconds(process: psutil.Process) -> float | None:
    """CPU time used so far by a process and its live children."""
    try:
        return cpu_seconds([process, *process.children(recursive=True)])
    except psutil.Error:
        return None


def generator_cpu_seconds(server: psutil.Process | None) -> float | None:
    """CPU time used so far by the load generator: this script and its children (Playwright, Chromium), not the server."""
    own = psutil.Process()
    try:
        skip = {server.pid, *(child.pid for child in server.children(recursive=True))} if server else set()
        return cpu_seconds([own, *(child for child in own.children(recursive=True) if child.pid not in skip)])
    except psutil.Error:
        return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """A URL without its user and password, and them (None when it has none)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname if ":" not in (parts.hostname or "") else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), (parts.username, parts.password or "")


def auth_headers(credentials: tuple[str, str] | None) -> dict[str, str]:
    """The HTTP basic-auth header for a proxy that asks for a password, or none."""
    if credentials is None:
        return {}
    return {"Authorization": "Basic " + b64encode(":".join(credentials).encode()).decode("ascii")}


def wait_healthy(url: str, seconds: float = 90, credentials: tuple[str, str] | None = None) -> None:
    """Wait until the Streamlit server answers its health check."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(url + "/_stcore/health", headers=auth_headers(credentials)), timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"error: no healthy Streamlit server at {url} after {seconds:.0f} s")


def start_server(models: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port serving the model sets under `models`."""
    port = free_port()
    env = {**os.environ, "MODELS_DIR": str(models)}
    args = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)]
    # A fixed snapshot of the code: no reloading of modules that change on disk while the load runs.
    args += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url)
    return process, url


async def open_search_page(page, url: str, reload: bool, timeout_ms: int) -> None:
    """Go to the search page: through the sidebar, or by loading its URL."""
    if reload:
        await page.goto(url + "/", wait_until="commit")
    else:
        await page.locator("[data-testid='stSidebarNav'] a", has_text="Search").first.click()
    await page.wait_for_function(SEARCH_READY, timeout=timeout_ms)


async def search(page, query: str, timeout_ms: int) -> None:
    """Type a query into the search box, press Enter and wait for its results."""
    box = page.get_by_label(SEARCH_BOX)
    await box.fill(query)
    await box.press("Enter")
    await page.wait_for_function(SEARCH_DONE, arg=query, timeout=timeout_ms)


async def open_map(page, url: str, query: str, reload: bool, timeout_ms: int) -> None:
    """Show the query on the topic map: through the sidebar and the map's query box, or by loading /map?q=query."""
    if reload:
        await page.goto(url + "/map?" + urlencode({"q": query}), wait_until="commit")
    else:
        await page.locator("[data-testid='stSidebarNav'] a", has_text="Topic map").first.click()
        await page.wait_for_function(MAP_READY, timeout=timeout_ms)
        box = page.get_by_label(MAP_BOX)
        await box.fill(query)
        await box.press("Enter")
    await page.wait_for_function(MAP_DONE, arg=query, timeout=timeout_ms)


async def new_pages(browser, args: argparse.Namespace, record: Record) -> list:
    """One tab per session: all in one browser context (they share its HTTP and code caches, like a user's many
    tabs), or each in a context of its own with --contexts each. Every tab's page errors are counted."""
    options = {"viewport": {"width": 1024, "height": 768}, "reduced_motion": "reduce"}
    if args.credentials:
        options["http_credentials"] = {"username": args.credentials[0], "password": args.credentials[1]}
    shared = await browser.new_context(**options) if args.contexts == "one" else None
    pages = []
    for _ in range(args.sessions):
        page = await (shared or await browser.new_context(**options)).new_page()
        page.set_default_timeout(args.timeout * 1000)
        page.on("pageerror", lambda error: record.errors.append({"kind": "page", "query": "", "error": str(error)[:300]}))
        pages.append(page)
    return pages


async def attempt(page, record: Record, kind: str, query: str, step, *step_args) -> bool:
    """Run one interaction, timing it; note a failure or a Streamlit exception box as an error. True when it worked."""
    from playwright.async_api import Error as PlaywrightError

    start = time.perf_counter()
    try:
        await step(*step_args)
    except PlaywrightError as error:
        record.errors.append({"kind": kind, "query": query, "error": str(error).splitlines()[0][:300]})
        return False
    record.done(kind, start)
    for text in await page.evaluate(EXCEPTIONS):
        record.errors.append({"kind": kind, "query": query, "error": "Streamlit exception: " + " ".join(text.split())})
    return True


def think_times(number: int, mean: float) -> Iterator[float]:
    """Session `number`'s pauses after its interactions: uniform between half and 1.5 times `mean` seconds (none for 0),
    from a generator seeded by the session, so that two runs pause alike."""
    pick = random.Random(1000 + number)
    while True:
        yield pick.uniform(0.5 * mean, 1.5 * mean) if mean > 0 else 0.0


async def think(pauses: Iterator[float], deadline: float) -> None:
    """Pause as a reader does before the next interaction (not past the end of the load)."""
    pause = min(next(pauses), max(0.0, deadline - time.perf_counter()))
    if pause > 0:
        await asyncio.sleep(pause)


async def connect(page, url: str, number: int, args: argparse.Namespace, record: Record) -> bool:
    """A session's first visit: load the search page's URL (sessions start `--stagger` seconds apart)."""
    await asyncio.sleep(number * args.stagger)
    return await attempt(page, record, "first load", "", open_search_page, page, url, True, args.timeout * 1000)


async def session(page, url: str, number: int, deadline: float, connected: bool, args: argparse.Namespace, record: Record) -> None:
    """One user: search for a query, then show it on the map, again and again until the deadline.

    The session moves through the app's sidebar like a user, or loads every page's URL with --page-loads; after
    an error it starts again from a fresh load of the search page.
    """
    timeout_ms = args.timeout * 1000
    turn, fresh, pauses = 0, not connected, think_times(number, args.think)
    while time.perf_counter() < deadline:
        query = QUERIES[(number * 7 + turn) % len(QUERIES)]
        turn += 1
        kind = "first load" if fresh else "search page"
        ok = await attempt(page, record, kind, query, open_search_page, page, url, fresh or args.page_loads, timeout_ms)
        ok = ok and await attempt(page, record, "search", query, search, page, query, timeout_ms)
        if ok:
            await think(pauses, deadline)
            ok = await attempt(page, record, "map", query, open_map, page, url, query, args.page_loads, timeout_ms)
        fresh = not ok
        await think(pauses, deadline)


def title_queries(models: Path, limit: int = 20_000, seed: int = 5) -> list[str]:
    """Distinct queries made of the first words of paper titles in the model sets under `models`, shuffled.

    Falls back to the fixed QUERIES when no papers can be read (say, with --url and no local models).
    """
    from lib.modelset import load_papers_frame

    titles: set[str] = set()
    for table in sorted([*models.glob("*/papers.arrow"), *models.glob("*/papers.parquet")]):
        with contextlib.suppress(OSError, KeyError, ValueError):
            for title in load_papers_frame(table)["title"].tolist():
                words = " ".join(str(title or "").split()[:8])
                if len(words) > 10:
                    titles.add(words.lower())
    queries = sorted(titles)
    random.Random(seed).shuffle(queries)
    return queries[:limit] or list(QUERIES)


class RunFailed(Exception):
    """A script run that did not end well: its first problem, as text."""


class StreamClient:
    """One Streamlit session over the app's websocket, driven like the frontend drives it."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.cached: set[str] = set()
        self.received_bytes = 0  # every message the server sent this session, as bytes on the websocket

    @classmethod
    async def open(cls, url: str, timeout: float, credentials: tuple[str, str] | None = None) -> StreamClient:
        """Connect to `/_stcore/stream`, offering the `streamlit` subprotocol as the frontend does (logging in to a
        proxy that asks for a password with the credentials given)."""
        import websockets

        stream = url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = auth_headers(credentials)
        connection = await websockets.connect(
            stream, subprotocols=["streamlit"], max_size=None, open_timeout=timeout, additional_headers=headers
        )
        return cls(connection)

    async def run(self, page: str, query: str, timeout: float) -> None:
        """Rerun the app on a page (its URL path, "" for the default) with a query string, as a page load would;
        return when the run has finished successfully, raise RunFailed otherwise."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = urlencode({"q": query}) if query else ""
        state.page_name = page
        state.cached_message_hashes.extend(sorted(self.cached))
        await self.connection.send(message.SerializeToString())
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise RunFailed(f"no script_finished within {timeout:g} s")
            try:
                data = await asyncio.wait_for(self.connection.recv(), remaining)
            except TimeoutError:
                raise RunFailed(f"no script_finished within {timeout:g} s") from None
            self.received_bytes += len(data)
            reply = ForwardMsg()
            reply.ParseFromString(data)
            if reply.metadata.cacheable and reply.hash:
                self.cached.add(reply.hash)
            kind = reply.WhichOneof("type")
            if kind == "delta":
                problem = element_problem(reply)
                if problem:
                    raise RunFailed(problem)
            elif kind == "page_not_found":
                raise RunFailed(f"page not found: {page!r}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(reply.script_finished)
                if status == "FINISHED_SUCCESSFULLY":
                    return
                if status != "FINISHED_EARLY_FOR_RERUN":
                    raise RunFailed(f"script finished with {status}")

    async def close(self) -> None:
        """Close the websocket; the server then ends the session."""
        with contextlib.suppress(Exception):
            await self.connection.close()


def element_problem(reply) -> str | None:
    """The text of an exception or error box a delta adds, None when it adds neither."""
    from streamlit.proto.Alert_pb2 import Alert

    element = reply.delta.new_element
    kind = element.WhichOneof("type") if reply.delta.WhichOneof("type") == "new_element" else None
    if kind == "exception":
        return f"Streamlit exception: {element.exception.type}: {element.exception.message}"[:300]
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return "Streamlit error box: " + " ".join(element.alert.body.split())[:280]
    return None


async def ws_attempt(client: StreamClient | None, record: Record, kind: str, page: str, query: str, timeout: float) -> bool:
    """Run one interaction over the websocket, timing it; note a failure as an error. True when it worked."""
    import websockets

    start = time.perf_counter()
    try:
        if client is None:
            raise RunFailed("not connected")
        await client.run(page, query, timeout)
    except (RunFailed, websockets.WebSocketException, OSError) as error:
        record.errors.append({"kind": kind, "query": query, "error": f"{type(error).__name__}: {error}"[:300]})
        return False
    record.done(kind, start)
    if query:
        record.distinct.add(query)
    return True


async def ws_connect(url: str, number: int, args: argparse.Namespace, record: Record) -> StreamClient | None:
    """A session's first visit: open the websocket and run the search page without a query."""
    import websockets

    await asyncio.sleep(number * args.stagger)
    start = time.perf_counter()
    try:
        client = await StreamClient.open(url, args.timeout, args.credentials)
    except (websockets.WebSocketException, OSError, TimeoutError) as error:
        record.errors.append({"kind": "first load", "query": "", "error": f"{type(error).__name__}: {error}"[:300]})
        return None
    ok = await ws_attempt(client, record, "first load", "", "", args.timeout - (time.perf_counter() - start))
    return client if ok else await ws_reopen(client)


async def ws_reopen(client: StreamClient | None) -> None:
    """Close a session that failed, so that it starts again from a fresh connection."""
    if client is not None:
        await client.close()


async def ws_session(
    url: str, client: StreamClient | None, number: int, deadline: float, queries: list[str], args: argparse.Namespace, record: Record
) -> None:
    """One user: search for a query, then show it on the map, with a new query every turn, until the deadline.

    Sessions take queries from the shared list in turn, so no two sessions search the same query at once and the
    server sees as many distinct queries as possible. After an error the session reconnects.
    """
    turn, pauses = 0, think_times(number, args.think)
    while time.perf_counter() < deadline:
        query = queries[(turn * args.sessions + number) % len(queries)]
        turn += 1
        if client is None:
            await asyncio.sleep(1)
            client = await ws_connect(url, 0, args, record)
            continue
        ok = await ws_attempt(client, record, "search", "", query, args.timeout)
        if ok:
            await think(pauses, deadline)
            ok = await ws_attempt(client, record, "map", "map", query, args.timeout)
        if not ok:
            client = await ws_reopen(client)
        await think(pauses, deadline)
    await ws_reopen(client)


async def drive_ws(url: str, args: argparse.Namespace, memory: Memory) -> tuple[Record, dict]:
    """Warm the server up, run the websocket sessions while sampling memory, close them and sample again after an idle pause."""
    queries = title_queries(args.models)
    rss = {"started": memory.rss()}
    warm = await StreamClient.open(url, args.timeout, args.credentials)
    await warm.run("map", QUERIES[0], args.timeout)
    await warm.close()
    await asyncio.sleep(2)
    rss["before"] = memory.rss()
    record = Record()
    cpu_before, own_before = memory.cpu_seconds(), generator_cpu_seconds(memory.process)
    stop = asyncio.Event()
    sampler = asyncio.create_task(memory.sample_every_second(record, stop))
    clients = await asyncio.gather(*(ws_connect(url, n, args, record) for n in range(args.sessions)))
    load_started = time.perf_counter()
    deadline = load_started + args.seconds
    await asyncio.gather(*(ws_session(url, client, n, deadline, queries, args, record) for n, client in enumerate(clients)))
    load_seconds = time.perf_counter() - record.started
    cpu_after, own_after = memory.cpu_seconds(), generator_cpu_seconds(memory.process)
    stop.set()
    await sampler
    await asyncio.sleep(args.idle)
    rss["after"] = memory.rss()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    own_cpu = None if own_before is None or own_after is None else own_after - own_before
    measured = {"rss_mb": rss, "load_seconds": round(load_seconds, 1), "server_cpu_seconds": cpu, "generator_cpu_seconds": own_cpu}
    extra = {"connected": sum(client is not None for client in clients), "load_started_s": round(load_started - record.started, 1)}
    return record, measured | extra | {"query_pool": len(queries)}


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile of the values, None when there are none."""
    return float(np.percentile(values, q)) if values else None


def summary(record: Record, memory: Memory, extra: dict) -> dict:
    """Every figure of the run as one JSON-ready dict."""
    wall = max((start + took for _, start, took in record.interactions), default=0.0)
    per_kind = {}
    for kind in KINDS:
        times = [took for k, _, took in record.interactions if k == kind]
        if not times and kind == "search page" and extra["clients"] == "ws":
            continue
        per_kind[kind] = {"count": len(times), "p50_s": percentile(times, 50), "p95_s": percentile(times, 95)}
        per_kind[kind]["max_s"] = max(times, default=None)
    during = [value for _, value, _ in memory.samples]
    growth = []
    for share in (0.25, 0.5, 0.75, 1.0):
        moment = extra["load_seconds"] * share
        near = [(value, anonymous) for at, value, anonymous in memory.samples if at <= moment]
        rss, anonymous = near[-1] if near else (None, None)
        point = {"share": share, "at_s": round(moment, 1), "queries": record.queries_by(moment), "rss_mb": rss}
        growth.append(point | {"anonymous_mb": anonymous})
    return {
        **extra,
        "interactions": len(record.interactions),
        "queries_served": record.queries_by(float("inf")),
        "queries_per_second": record.queries_by(float("inf")) / extra["load_seconds"] if extra["load_seconds"] else None,
        "distinct_queries": len(record.distinct) or None,
        "errors": len(record.errors),
        "error_examples": record.errors[:10],
        "per_kind": per_kind,
        "last_interaction_end_s": round(wall, 1),
        "rss_mb": {**extra["rss_mb"], "peak": max(during, default=None)},
        "rss_vs_queries": growth,
    }


def show(figures: dict) -> None:
    """Print the figures as a few plain lines and a table."""

    def mb(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.0f} MB"

    def secs(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    load = ", ".join(f"{value:.2f}" for value in figures["load_average"])
    print(f"server: {figures['url']} ({figures['models']}); machine: {figures['cores']} cores, load average {load}")
    print(f"sessions: {figures['sessions']} ({figures['contexts']}), {figures['connected']} connected by {figures['load_started_s']} s")
    pause = f"pauses of {figures['think_seconds']:g} s on average after each interaction" if figures["think_seconds"] else "no pauses"
    print(f"load: {figures['seconds']:g} s from then, {pause}; the last interaction ended at {figures['last_interaction_end_s']} s")
    distinct = f" ({figures['distinct_queries']:,} distinct)" if figures["distinct_queries"] else ""
    print(
        f"interactions: {figures['interactions']}, queries served: {figures['queries_served']}{distinct}, "
        f"{figures['queries_per_second']:.1f} queries/s, errors: {figures['errors']}"
    )
    for error in figures["error_examples"]:
        print(f"  error ({error['kind']}, {error['query']!r}): {error['error']}")
    print(f"{'interaction':<12} {'count':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for kind, row in figures["per_kind"].items():
        print(f"{kind:<12} {row['count']:>6} {secs(row['p50_s']):>7} {secs(row['p95_s']):>7} {secs(row['max_s']):>7}")
    rss = figures["rss_mb"]
    print(
        f"server RSS: started {mb(rss['started'])}, before load {mb(rss['before'])}, peak {mb(rss['peak'])}, "
        f"after {figures['idle_seconds']} s idle {mb(rss['after'])}"
    )
    print("server RSS vs queries served:")
    for point in figures["rss_vs_queries"]:
        private = f" (anonymous {mb(point['anonymous_mb'])})" if point.get("anonymous_mb") is not None else ""
        print(
            f"  {point['share']:>4.0%} of the run ({point['at_s']:>5.1f} s): {point['queries']:>5} queries, "
            f"RSS {mb(point['rss_mb'])}{private}"
        )
    cores = figures["cores"] * figures["load_seconds"]
    generator = "load generator (this script)" if figures["clients"] == "ws" else "load generator (script, Playwright, Chromium)"
    for who, name in (("server", "server"), ("generator", generator)):
        cpu = figures[f"{who}_cpu_seconds"]
        if cpu is not None:
            each = cpu / max(figures["interactions"], 1)
            print(f"{name} CPU during the run: {cpu:.1f} s ({cpu / cores:.0%} of all cores; {each:.2f} s per interaction)")


async def drive(url: str, args: argparse.Namespace, memory: Memory) -> tuple[Record, dict]:
    """Warm the server up, run the sessions while sampling memory, close them and sample again after an idle pause."""
    from playwright.async_api import async_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-extensions", "--disable-background-networking", "--no-first-run"]
    flags += ["--blink-settings=imagesEnabled=false", "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]
    rss = {"started": memory.rss()}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=args.chromium, args=flags)
        login = {"username": args.credentials[0], "password": args.credentials[1]} if args.credentials else None
        warm = await browser.new_page(http_credentials=login)
        await warm.goto(url + "/map?" + urlencode({"q": QUERIES[0]}))
        await warm.wait_for_function(MAP_DONE, arg=QUERIES[0], timeout=args.timeout * 1000)
        await warm.close()
        await asyncio.sleep(2)
        rss["before"] = memory.rss()
        record = Record()
        cpu_before, browser_before = memory.cpu_seconds(), generator_cpu_seconds(memory.process)
        stop = asyncio.Event()
        sampler = asyncio.create_task(memory.sample_every_second(record, stop))
        pages = await new_pages(browser, args, record)
        connected = await asyncio.gather(*(connect(page, url, n, args, record) for n, page in enumerate(pages)))
        load_started = time.perf_counter()
        deadline = load_started + args.seconds
        await asyncio.gather(
            *(session(page, url, n, deadline, ok, args, record) for n, (page, ok) in enumerate(zip(pages, connected, strict=True)))
        )
        load_seconds = time.perf_counter() - record.started
        cpu_after, browser_after = memory.cpu_seconds(), generator_cpu_seconds(memory.process)
        stop.set()
        await sampler
        await browser.close()
    await asyncio.sleep(args.idle)
    rss["after"] = memory.rss()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    browser_cpu = None if browser_before is None or browser_after is None else browser_after - browser_before
    measured = {"rss_mb": rss, "load_seconds": round(load_seconds, 1), "server_cpu_seconds": cpu, "generator_cpu_seconds": browser_cpu}
    return record, measured | {"connected": sum(connected), "load_started_s": round(load_started - record.started, 1)}


def main() -> None:
    """Parse the options, start or attach to a server, run the load and report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", choices=("ws", "browser"), default="ws", help="websocket clients (default) or browser tabs")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="how long sessions keep starting interactions (default 60)")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds a session pauses after each interaction (default 0)")
    parser.add_argument("--models", type=Path, default=REPO / "models", help="MODELS_DIR of the server; ws queries come from its titles")
    parser.add_argument("--url", help="attach to this running server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, to sample its memory")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one interaction may take before it counts as an error")
    parser.add_argument("--idle", type=float, default=10, help="idle seconds after the load before the last memory sample")
    parser.add_argument("--contexts", choices=("one", "each"), default="one", help="sessions' tabs share one browser context, or not")
    parser.add_argument("--page-loads", action="store_true", help="load every page by its URL instead of using the sidebar")
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between session starts (default 0.5)")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    server = None
    url, args.credentials = split_credentials(args.url.rstrip("/")) if args.url else (None, None)
    if args.url:
        wait_healthy(url, credentials=args.credentials)
        process = psutil.Process(args.pid) if args.pid else None
    else:
        server, url = start_server(args.models)
        process = psutil.Process(server.pid)
    memory = Memory(process)
    try:
        record, measured = asyncio.run((drive_ws if args.clients == "ws" else drive)(url, args, memory))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    extra = {"url": url, "models": str(args.models) if server else "attached", "cores": os.cpu_count(), "sessions": args.sessions}
    extra["clients"] = args.clients
    extra["contexts"] = "tabs of one browser context" if args.contexts == "one" else "a browser context each"
    if args.clients == "ws":
        extra["contexts"] = "Streamlit websocket clients"
    extra["load_average"] = os.getloadavg()
    extra |= {"seconds": args.seconds, "think_seconds": args.think, "idle_seconds": args.idle, **measured}
    figures = summary(record, memory, extra)
    figures["rss_samples"] = [
        {"at_s": round(at, 1), "rss_mb": round(value, 1), "anonymous_mb": None if anonymous is None else round(anonymous, 1)}
        for at, value, anonymous in memory.samples
    ]
    show(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()
