"""A small OAI-PMH data provider on 127.0.0.1 for the harvester's tests: paged ListRecords in the arXiv
metadata format with resumption tokens, and faults on request (503 with Retry-After, 500, a malformed
page, an error response, an expired token, a slow page) and misbehaviours a harvest must survive: a
repeated resumption token, pages that never advance, an endless body, a server that trickles a byte
at a time, nonsense completeListSize and cursor attributes."""

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
    # the page at this cursor answers with the very token that asked for it, so the list never moves on
    repeat_token_at: int | None = None
    # the page at this cursor answers with a new token each time that names the same cursor again:
    # the same records (or, with `stall_empty`, no records at all) under ever fresh tokens
    stall_at: int | None = None
    stall_empty: bool = False
    # from request number `misbehave_from` on, every answer misbehaves at the HTTP level:
    # "endless" (a 200 whose body never ends, close-delimited), "endless-chunked" (chunked, never a last
    # chunk), "endless-length" (a Content-Length of a terabyte, then an endless body),
    # "trickle-body" (headers, then one byte of body every `trickle_interval` s), "trickle-headers"
    # (the status line and an endless header, one byte every `trickle_interval` s), "endless-redirect"
    # (a 302 to the same query under /moved, with an endless body; /moved answers as usual)
    misbehaviour: str | None = None
    misbehave_from: int = 1
    trickle_interval: float = 0.5
    # when set, the text of every resumptionToken's completeListSize / cursor attribute
    list_size_text: str | None = None
    cursor_text: str | None = None

    def expire_tokens(self) -> None:
        """Make every resumption token issued so far invalid, as a server restart or timeout would."""
        self.generation += 1

    def heal(self) -> None:
        """Stop serving the broken page and stop every misbehaviour."""
        self.broken_cursor = None
        self.repeat_token_at = None
        self.stall_at = None
        self.misbehaviour = None


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


def _endless_block(papers: list[Paper]) -> bytes:
    """About 64 KB of records, repeated without end by the endless answers."""
    records = "".join(_record(paper) for paper in papers[:3]).encode()
    return records * (65536 // len(records) + 1)


class _Handler(BaseHTTPRequestHandler):
    provider: Provider
    server: _QuietServer

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

    def _misbehave(self, kind: str) -> None:
        """Answer in one of the ways a harvest must not hang on or fill its memory with, until the client leaves."""
        p, stopping = self.provider, self.server.stopping
        self.close_connection = True
        head = _envelope("<ListRecords>").removesuffix(b"</OAI-PMH>")
        try:
            if kind.startswith("trickle"):
                if kind == "trickle-body":
                    self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1000000\r\n\r\n")
                    endless = head + _endless_block(p.papers)
                else:
                    endless = b"HTTP/1.0 200 OK\r\nX-Slow: " + b"x" * 1_000_000
                for position in range(len(endless)):
                    if stopping.wait(p.trickle_interval):
                        return
                    self.wfile.write(endless[position : position + 1])
                return
            block = _endless_block(p.papers)
            if kind == "endless-redirect":
                query = self.path.partition("?")[2]
                self.wfile.write(b"HTTP/1.0 302 Found\r\nLocation: /moved?" + query.encode() + b"\r\n\r\n")
            elif kind == "endless-chunked":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
                self.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
                block = b"%x\r\n%s\r\n" % (len(block), block)
            else:
                length = b"Content-Length: 1000000000000\r\n" if kind == "endless-length" else b""
                self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n" + length + b"\r\n" + head)
            while not stopping.is_set():
                self.wfile.write(block)
        except OSError:
            return  # the client hung up: what a harvest should do

    def do_GET(self) -> None:
        p = self.provider
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        p.requests.append({"time": time.monotonic(), "query": query, "agent": self.headers.get("User-Agent", "")})
        number = len(p.requests)
        if p.misbehaviour and number >= p.misbehave_from and not self.path.startswith("/moved"):
            self._misbehave(p.misbehaviour)
            return
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
            if len(parts) not in (5, 6) or parts[0] != f"g{p.generation}":
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
        if cursor == p.repeat_token_at and token is not None:
            token_text = token
        if cursor == p.stall_at:
            token_text = f"g{p.generation}|{set_spec}|{since}|{until}|{cursor}|{number}"
            page = [] if p.stall_empty else page
        records = "".join(_record(paper) for paper in page)
        size = escape(p.list_size_text if p.list_size_text is not None else str(len(chosen)), {"'": "&apos;"})
        at = escape(p.cursor_text if p.cursor_text is not None else str(cursor), {"'": "&apos;"})
        resumption = f"<resumptionToken cursor='{at}' completeListSize='{size}'>{token_text}</resumptionToken>"
        self._send(200, _envelope(f"<ListRecords>{records}{resumption}</ListRecords>"))


class _QuietServer(ThreadingHTTPServer):
    # set when the server shuts down, so that endless and trickling answers stop
    stopping: threading.Event

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a harvester killed mid-response is part of the tests


class OaiServer:
    """Serve a Provider on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, provider: Provider) -> None:
        handler = type("Handler", (_Handler,), {"provider": provider})
        self.provider = provider
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.stopping = threading.Event()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OaiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
