"""A small OAI-PMH data provider on 127.0.0.1 for the harvester's tests: paged ListRecords in the arXiv
metadata format with resumption tokens, and faults on request (503 with Retry-After, 500, a malformed
page, an error response, an expired token, a slow page)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"


@dataclass
class Paper:
    """One item the provider lists."""

    id: str
    title: str
    abstract: str
    authors: list[tuple[str, str, str]]
    categories: str
    datestamp: str
    deleted: bool = False


def make_papers(n: int, deleted: tuple[int, ...] = ()) -> list[Paper]:
    """n papers with LaTeX and non-ASCII text; the given positions are deleted records."""
    papers = []
    for i in range(n):
        papers.append(
            Paper(
                id=f"2501.{i:05d}",
                title=f"Paper {i}: the $\\alpha$-Schrödinger flow & <b>{i % 7}</b> Łukasiewicz logic",
                abstract=f"  We study case {i} of $\\int_0^1 f(x)\\,dx$ with naïve bounds;\n  Ünïcode “quotes” — kept.\n",
                authors=[("Müller", "Jörg", ""), ("Smith", "Ann B.", "Jr"), (f"Author{i}", "", "")],
                categories="cs.LG stat.ML" if i % 2 else "math.PR",
                datestamp=f"2025-01-{1 + i % 28:02d}",
                deleted=i in deleted,
            )
        )
    return papers


@dataclass
class Provider:
    """What the server lists and which faults it injects; `requests` records what it received."""

    papers: list[Paper]
    page_size: int = 5
    # request number (1-based) -> fault: "503", "503-long", "500", "malformed", "drop"
    faults: dict[int, str] = field(default_factory=dict)
    # a page cursor that is always malformed (until `heal` is called)
    broken_cursor: int | None = None
    sets: dict[str, str] = field(default_factory=lambda: {"cs": "cs.", "math": "math."})
    # tokens carry the generation that issued them; `expire_tokens` makes all earlier ones bad
    generation: int = 0
    page_delay: float = 0.0
    retry_after: str = "1"
    requests: list[dict] = field(default_factory=list)

    def expire_tokens(self) -> None:
        """Make every resumption token issued so far invalid, as a server restart or timeout would."""
        self.generation += 1

    def heal(self) -> None:
        """Stop serving the broken page."""
        self.broken_cursor = None


def _header(paper: Paper) -> str:
    status = ' status="deleted"' if paper.deleted else ""
    spec = "cs" if paper.categories.startswith("cs") else "math"
    return (
        f"<header{status}><identifier>oai:arXiv.org:{paper.id}</identifier>"
        f"<datestamp>{paper.datestamp}</datestamp><setSpec>{spec}</setSpec></header>"
    )


def _record(paper: Paper) -> str:
    if paper.deleted:
        return f"<record>{_header(paper)}</record>"
    authors = "".join(
        "<author>"
        + f"<keyname>{escape(k)}</keyname>"
        + (f"<forenames>{escape(f)}</forenames>" if f else "")
        + (f"<suffix>{escape(s)}</suffix>" if s else "")
        + "</author>"
        for k, f, s in paper.authors
    )
    return (
        f"<record>{_header(paper)}<metadata><arXiv xmlns='{ARXIV_NS}'>"
        f"<id>{paper.id}</id><created>2025-01-01</created><authors>{authors}</authors>"
        f"<title>{escape(paper.title)}</title><categories>{paper.categories}</categories>"
        f"<comments>12 pages</comments><license>http://creativecommons.org/licenses/by/4.0/</license>"
        f"<abstract>{escape(paper.abstract)}</abstract></arXiv></metadata></record>"
    )


def _envelope(body: str) -> bytes:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<OAI-PMH xmlns='{OAI_NS}'>"
        f"<responseDate>2026-01-01T00:00:00Z</responseDate><request>http://127.0.0.1/oai</request>{body}</OAI-PMH>"
    ).encode()


def _error(code: str, text: str) -> bytes:
    return _envelope(f"<error code='{code}'>{escape(text)}</error>")


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        p = self.provider
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        p.requests.append({"time": time.monotonic(), "query": query, "agent": self.headers.get("User-Agent", "")})
        number = len(p.requests)
        fault = p.faults.get(number)
        if fault == "503":
            self._send(503, b"busy", {"Retry-After": p.retry_after})
            return
        if fault == "503-long":
            self._send(503, b"busy", {"Retry-After": "86400"})
            return
        if fault == "500":
            self._send(500, b"oops")
            return
        if fault == "malformed":
            self._send(200, b"<OAI-PMH><ListRecords><record><header>")
            return
        if fault == "drop":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        if p.page_delay:
            time.sleep(p.page_delay)
        if query.get("verb") != "ListRecords":
            self._send(200, _error("badVerb", "only ListRecords here"))
            return
        token = query.get("resumptionToken")
        if token is not None:
            parts = token.split("|")
            if len(parts) != 5 or parts[0] != f"g{p.generation}":
                self._send(200, _error("badResumptionToken", "the token has expired"))
                return
            set_spec, since, until, cursor = parts[1], parts[2], parts[3], int(parts[4])
        else:
            if query.get("metadataPrefix") != "arXiv":
                self._send(200, _error("cannotDisseminateFormat", "unknown prefix"))
                return
            set_spec, since, until, cursor = query.get("set", ""), query.get("from", ""), query.get("until", ""), 0
            if set_spec and set_spec not in p.sets:
                self._send(200, _error("badArgument", f"unknown set {set_spec}"))
                return
        chosen = [
            paper
            for paper in p.papers
            if (not set_spec or paper.categories.startswith(p.sets[set_spec]))
            and (not since or paper.datestamp >= since)
            and (not until or paper.datestamp <= until)
        ]
        if not chosen:
            self._send(200, _error("noRecordsMatch", "nothing in that range"))
            return
        if p.broken_cursor is not None and cursor == p.broken_cursor:
            self._send(200, b"<OAI-PMH><ListRecords><record>")
            return
        page = chosen[cursor : cursor + p.page_size]
        following = cursor + p.page_size
        token_text = f"g{p.generation}|{set_spec}|{since}|{until}|{following}" if following < len(chosen) else ""
        records = "".join(_record(paper) for paper in page)
        resumption = f"<resumptionToken cursor='{cursor}' completeListSize='{len(chosen)}'>{token_text}</resumptionToken>"
        self._send(200, _envelope(f"<ListRecords>{records}{resumption}</ListRecords>"))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # a harvester killed mid-response is part of the tests


class OaiServer:
    """Serve a Provider on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, provider: Provider) -> None:
        handler = type("Handler", (_Handler,), {"provider": provider})
        self.provider = provider
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OaiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
