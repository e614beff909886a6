"""Benchmark the topic map page in a real headless Chromium: time to a drawn chart, bytes received, selections.

Starts `streamlit run app.py` on a free port with MODELS_DIR=--models and opens the map of each --model (default:
every usable set there), taking turns between the sets so that they share the machine's load alike:

* the first load of each set after the server starts (it loads the model set and draws the map once),
* --runs loads each of `/map` and `/map?q=<query>`, in a fresh browser context (empty HTTP cache) and in one kept
  context (HTTP cache warm): seconds from navigation to the page's load event, to the largest websocket frame (the
  figure), to Streamlit's chart element (the Plotly bundle evaluated) and to the drawn chart (Plotly has laid out
  its data; every layout image and canvas is in the page; the query's star is in the legend); bytes received over
  the websocket and over HTTP (encoded bodies),
* a box and then a lasso selection: seconds from releasing the mouse to the new table, the count the page shows
  and the count of the set's map.npy points inside the selection Plotly holds, computed here.

Prints the figures and the machine; asserts nothing about speed. Screenshots go to --screenshots.

    python -m bench.benchmark_map --models /tmp/scaled/m1M [--model m1M demo] [--runs 3] [--screenshots DIR] [--warm]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psutil

from lib.modelset import MAP, list_model_sets
from lib.selection import points_in_box, points_in_polygon
from lib.warmup import WARM_FLAGS, warm_up

REPO = Path(__file__).resolve().parents[1]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
MB = 1e6
# True once Plotly has drawn the figure: its data laid out, every layout image and WebGL canvas in the page.
DRAWN = """([query]) => {
    const gd = document.querySelector('.st-key-map .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.calcdata) return false;
    const images = (gd._fullLayout.images || []).filter(image => image.visible !== false).length;
    if (gd.querySelectorAll('.imagelayer image').length < images) return false;
    if (gd._fullData.some(trace => trace.type === 'scattergl') && !gd.querySelector('canvas')) return false;
    const legend = Array.from(gd.querySelectorAll('.legendtext')).map(node => node.textContent);
    return !query || legend.some(text => text.startsWith('Query:'));
}"""
SETTLED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
# Records when Streamlit's chart element first appears: the Plotly bundle is loaded and evaluated by then.
MARK_CHART = """new MutationObserver((changes, observer) => {
    if (document.querySelector('.st-key-map [data-testid="stPlotlyChart"]')) {
        window.chartShown = performance.now(); observer.disconnect();
    }
}).observe(document, {subtree: true, childList: true});"""


@dataclass
class Load:
    """One page load: seconds to the load event, the largest websocket frame, the chart element, the drawn chart; bytes."""

    scripts: float
    figure: float
    plotly: float
    drawn: float
    ws_bytes: int
    http_bytes: int


@dataclass
class Traffic:
    """Bytes received by one page over its websockets and over HTTP."""

    started: float = field(default_factory=time.perf_counter)
    ws_bytes: int = 0
    largest: tuple[int, float] = (0, 0.0)
    requests: list = field(default_factory=list)

    def attach(self, page) -> None:
        """Count the page's websocket frames and remember its requests."""

        def on_socket(socket) -> None:
            socket.on("framereceived", self.frame)

        def on_request(request) -> None:
            self.requests.append(request)

        page.on("websocket", on_socket)
        page.on("requestfinished", on_request)

    def frame(self, payload: str | bytes) -> None:
        """Add one received websocket frame."""
        size = len(payload.encode("utf-8") if isinstance(payload, str) else payload)
        self.ws_bytes += size
        if size > self.largest[0]:
            self.largest = (size, time.perf_counter() - self.started)

    def http_bytes(self) -> int:
        """Encoded body bytes of every finished HTTP response."""
        return sum(max(request.sizes()["responseBodySize"], 0) for request in self.requests)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(models: Path, port: int, warm: bool = False) -> subprocess.Popen:
    """`streamlit run app.py` headless on the port, serving the model sets under `models`; waits until healthy. With
    `warm`, started as `make run` starts it (its script health check on) and warmed as `make run` warms it."""
    env = {**os.environ, "MODELS_DIR": str(models), "STREAMLIT_SERVER_PORT": str(port)}
    args = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    args += WARM_FLAGS if warm else []
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("error: the Streamlit server did not become healthy within 90 s")


def server_rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of the server and its children, in MB."""
    parent = psutil.Process(process.pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / MB


def new_context(browser):
    """A browser context of the benchmark's viewport that marks when the chart element appears."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(MARK_CHART)
    return context


def open_map(context, url: str, query: bool, timeout_ms: float):
    """Open a URL in a new page of the context and wait for the drawn chart; returns (page, load figures)."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    traffic = Traffic()
    traffic.attach(page)
    traffic.started = started = time.perf_counter()
    page.goto(url)
    scripts = time.perf_counter() - started
    page.wait_for_function(DRAWN, arg=[query], timeout=timeout_ms, polling="raf")
    drawn = time.perf_counter() - started
    # performance.now() counts from the navigation, which Playwright started a moment after `started`.
    plotly = page.evaluate("() => window.chartShown") / 1000
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    page.wait_for_timeout(500)
    return page, Load(scripts, traffic.largest[1], plotly, drawn, traffic.ws_bytes, traffic.http_bytes())


def plot_area(page) -> dict:
    """The plot's drag area in page pixels."""
    return page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()


SELECTIONS = """() => (document.querySelector('.js-plotly-plot')._fullLayout.selections || []).map(
    s => ({type: s.type, x0: s.x0, x1: s.x1, y0: s.y0, y1: s.y1, path: s.path || ''}))"""


def drawn_selection_count(page, coords: np.ndarray) -> int:
    """Papers inside the selection Plotly holds now (its boxes and lasso paths in data coordinates), counted here."""
    inside = np.zeros(len(coords), dtype=bool)
    for shape in page.evaluate(SELECTIONS):
        if shape["type"] == "rect":
            inside |= points_in_box(coords[:, 0], coords[:, 1], (shape["x0"], shape["x1"]), (shape["y0"], shape["y1"]))
        else:
            vertices = [tuple(float(v) for v in point.split(",")) for point in shape["path"].strip("MZ").split("L")]
            inside |= points_in_polygon(coords[:, 0], coords[:, 1], tuple(v[0] for v in vertices), tuple(v[1] for v in vertices))
    return int(inside.sum())


def drag(page, path: list[tuple[float, float]]) -> None:
    """Press at the first position, move through the rest, release."""
    page.mouse.move(*path[0])
    page.mouse.down()
    for point in path[1:]:
        page.mouse.move(*point, steps=8)
    page.mouse.up()


def select(page, path: list[tuple[float, float]], coords: np.ndarray, timeout_ms: float) -> dict:
    """Drag a selection; seconds from release to the new table, the count the page shows and the count computed here."""
    heading = page.get_by_text("selected papers")
    previous = heading.first.inner_text() if heading.count() else ""
    drag(page, path)
    started = time.perf_counter()
    page.wait_for_function(
        """(previous) => Array.from(document.querySelectorAll('h3'))
            .some(h => h.textContent.includes('selected papers') && h.textContent !== previous)""",
        arg=previous,
        timeout=timeout_ms,
    )
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=timeout_ms)
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    seconds = time.perf_counter() - started
    shown = int(re.sub(r"[^\d]", "", heading.first.inner_text().split("selected")[0]))
    return {"seconds": seconds, "shown": shown, "computed": drawn_selection_count(page, coords)}


def box_selection(page, coords: np.ndarray, timeout_ms: float) -> dict:
    """A box over the middle of the map."""
    area = plot_area(page)
    corners = [(area["x"] + area["width"] * f, area["y"] + area["height"] * g) for f, g in ((0.3, 0.25), (0.7, 0.75))]
    return select(page, corners, coords, timeout_ms)


def lasso_selection(page, coords: np.ndarray, timeout_ms: float) -> dict:
    """The lasso from the toolbar, drawn as a triangle."""
    page.locator(".js-plotly-plot").first.hover()
    page.locator(".modebar-btn[data-val='lasso']").first.click()
    area = plot_area(page)
    vertices = [(area["x"] + area["width"] * f, area["y"] + area["height"] * g) for f, g in ((0.2, 0.2), (0.85, 0.5), (0.25, 0.85))]
    return select(page, [*vertices, vertices[0]], coords, timeout_ms)


def row(label: str, loads: list[Load]) -> str:
    """One table row: medians over the loads (the drawn time with its range) and megabytes received."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    drawn = [x.drawn for x in loads]
    cells = [
        label,
        f"{median(drawn):.2f} ({min(drawn):.2f}-{max(drawn):.2f})",
        f"{median([x.scripts for x in loads]):.2f}",
        f"{median([x.figure for x in loads]):.2f}",
        f"{median([x.plotly for x in loads]):.2f}",
        f"{median([x.ws_bytes / MB for x in loads]):.3f}",
        f"{median([x.http_bytes / MB for x in loads]):.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| load | drawn s, median (range) | load event s | figure frame s | chart element s | websocket MB | HTTP MB |\n"
    "|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, required=True, help="folder of model sets (MODELS_DIR for the server)")
    parser.add_argument("--model", nargs="+", help="model set names (default: every usable set under --models)")
    parser.add_argument("--query", default="superconductivity in twisted bilayers")
    parser.add_argument("--runs", type=int, default=3, help="measured loads of each URL in each cache state")
    parser.add_argument("--screenshots", type=Path, default=REPO / "test-artifacts", help="folder for the screenshots")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for anything")
    parser.add_argument("--warm", action="store_true", help="warm the server as make run does before the first load")
    args = parser.parse_args(argv)
    usable = {info.name: info for info in list_model_sets(args.models) if not info.error}
    names = args.model or list(usable)
    if not names or any(name not in usable for name in names):
        raise SystemExit(f"error: no usable model set {' '.join(n for n in names if n not in usable)} under {args.models}")
    coords = {name: np.asarray(np.load(usable[name].path / MAP, mmap_mode="r")) for name in names}
    memory = psutil.virtual_memory().total / 2**30
    load_average = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {memory:.1f} GiB RAM; load average at the start {load_average}")
    print(f"python {platform.python_version()}, {platform.platform()}, {CHROMIUM} (headless, no GPU)")
    for name in names:
        print(f"model set {name}: {len(coords[name]):,} papers ({usable[name].path})")
    timeout_ms = args.timeout * 1000
    port = free_port()
    base = f"http://127.0.0.1:{port}/map?"
    kinds = {"/map": ({}, False), "/map?q=...": ({"q": args.query}, True)}
    shots = args.screenshots
    shots.mkdir(parents=True, exist_ok=True)
    server = start_server(args.models, port, args.warm)
    if args.warm:
        begin = time.perf_counter()
        ok, said = warm_up(f"http://127.0.0.1:{port}")
        print(f"server warmed as make run warms it ({'ok' if ok else said}) in {time.perf_counter() - begin:.2f} s")
    errors: list[str] = []
    loads: dict[tuple[str, str, str], list[Load]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            print(f"server RSS before the first load: {server_rss_mb(server):,.0f} MB")
            what = "warmed (the default set opened)" if args.warm else "started (loads the set, draws its map once)"
            print(f"\nfirst load of each set after the server {what}:\n" + HEADER)
            for name in names:
                context = new_context(browser)
                page, first = open_map(context, base + urlencode({"model": name}), False, timeout_ms)
                errors += page.errors
                context.close()
                print(row(name, [first]))
            print(f"server RSS after the first loads: {server_rss_mb(server):,.0f} MB")
            kept = {name: new_context(browser) for name in names}
            for name in names:
                page, _ = open_map(kept[name], base + urlencode({"model": name}), False, timeout_ms)
                page.close()
            pages = {}
            for _ in range(args.runs):
                for name in names:
                    for kind, (params, query) in kinds.items():
                        url = base + urlencode({"model": name, **params})
                        for cache in ("empty", "warm"):
                            context = new_context(browser) if cache == "empty" else kept[name]
                            page, load = open_map(context, url, query, timeout_ms)
                            errors += page.errors
                            loads.setdefault((name, kind, cache), []).append(load)
                            if cache == "empty":
                                context.close()
                            elif (name, kind) in pages:
                                pages[name, kind].close()
                            if cache == "warm":
                                pages[name, kind] = page
            print(f"\n{args.runs} loads each, the sets taking turns; load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}:")
            print(HEADER)
            for (name, kind, cache), measured in loads.items():
                print(row(f"{name} {kind}, HTTP cache {cache}", measured))
            print()
            for name in names:
                chart = pages[name, "/map?q=..."].locator("[data-testid='stPlotlyChart']").first
                chart.screenshot(path=str(shots / f"map-bench-{name}-query.png"))
                page = pages[name, "/map"]
                for shape, select_with in (("box", box_selection), ("lasso", lasso_selection)):
                    result = select_with(page, coords[name], timeout_ms)
                    page.locator("[data-testid='stDataFrame']").first.scroll_into_view_if_needed()
                    page.screenshot(path=str(shots / f"map-bench-{name}-{shape}.png"))
                    verdict = "equal" if result["shown"] == result["computed"] else "DIFFERENT"
                    if verdict != "equal":
                        errors.append(f"{name} {shape}: the page lists {result['shown']}, map.npy has {result['computed']}")
                    print(
                        f"{name} {shape} selection: table after {result['seconds']:.2f} s; the page lists "
                        f"{result['shown']:,} papers, {result['computed']:,} of map.npy lie inside the drawn {shape} ({verdict})"
                    )
                errors += page.errors
            print(f"server RSS at the end: {server_rss_mb(server):,.0f} MB")
            print(f"page errors: {len(errors)}{': ' + '; '.join(errors[:3]) if errors else ''}")
            print(f"screenshots: {shots}/map-bench-<set>-{{query,box,lasso}}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
