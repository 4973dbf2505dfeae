"""A real OAI-PMH server on 127.0.0.1 for the harvester tests, with injectable faults.

Two kinds of content:

* :class:`FixtureRepository` serves the hand-written pages in ``tests/fixtures/oai``;
* :class:`GeneratedRepository` writes arXivRaw pages for a list of papers, with datestamps,
  ``from``/``until`` filtering, resumption tokens and ``completeListSize``.

Faults (``server.faults.append(...)``) apply to the next requests, one each:
``("status", code, headers)``, ``("reset",)`` (connection reset mid-body),
``("truncate",)`` (a well-formed HTTP response whose XML is cut in half),
``("html",)`` (an HTML error page with status 200), ``("expire",)`` (badResumptionToken).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).parent / "fixtures" / "oai"
OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FixtureRepository:
    """Serves the fixture pages: first page by metadata prefix, later pages by token."""

    FIRST = {"arXivRaw": "arxivraw-1.xml", "arXiv": "arxiv-1.xml", "oai_dc": "oai_dc-1.xml"}
    TOKENS = {"raw-2": "arxivraw-2.xml", "raw-3": "arxivraw-3.xml"}

    def respond(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if params.get("verb") != "ListRecords":
            return 200, {}, fixture("bad-argument.xml")
        token = params.get("resumptionToken")
        if token is not None:
            name = self.TOKENS.get(token)
            return 200, {}, fixture(name) if name else fixture("bad-token.xml")
        if params.get("set") == "nonsense":
            return 200, {}, fixture("bad-argument.xml")
        if params.get("set") == "empty" or params.get("from", "") >= "2099":
            return 200, {}, fixture("no-records.xml")
        return 200, {}, fixture(self.FIRST.get(params.get("metadataPrefix", ""), "bad-argument.xml"))


@dataclass
class GenPaper:
    id: str
    title: str
    abstract: str
    categories: str
    versions: list[str]  # RFC 2822 dates, v1 first
    datestamp: str  # YYYY-MM-DD
    authors: str = "A. Author"
    deleted: bool = False


class GeneratedRepository:
    """arXivRaw pages of ``page_size`` records over ``papers`` (sorted by datestamp, then id)."""

    def __init__(self, papers: list[GenPaper], *, page_size: int = 50, response_date: str = "2024-12-31T12:00:00Z",
                 latency: float = 0.0) -> None:
        self.papers = sorted(papers, key=lambda p: (p.datestamp, p.id))
        self.page_size = page_size
        self.response_date = response_date
        self.latency = latency
        self.generation = 1  # bump to expire every outstanding token

    def _select(self, frm: str | None, until: str | None, set_spec: str | None) -> list[GenPaper]:
        out = []
        for p in self.papers:
            if frm and p.datestamp < frm or until and p.datestamp > until:
                continue
            if set_spec and not any(c.split(".")[0] == set_spec for c in p.categories.split()):
                continue
            out.append(p)
        return out

    def respond(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self.latency:
            time.sleep(self.latency)
        token = params.get("resumptionToken")
        if token is not None:
            try:
                gen, frm, until, set_spec, offset = token.split("|")
                if int(gen) != self.generation:
                    raise ValueError
                offset_i = int(offset)
            except ValueError:
                return 200, {}, self._error("badResumptionToken", "expired or invalid token")
        else:
            if params.get("metadataPrefix") != "arXivRaw":
                return 200, {}, self._error("cannotDisseminateFormat", "only arXivRaw here")
            frm, until, set_spec, offset_i = params.get("from", ""), params.get("until", ""), params.get("set", ""), 0
        chosen = self._select(frm or None, until or None, set_spec or None)
        if not chosen:
            return 200, {}, self._error("noRecordsMatch", "empty list")
        page = chosen[offset_i: offset_i + self.page_size]
        nxt = offset_i + self.page_size
        parts = [OAI_HEAD, f"<responseDate>{self.response_date}</responseDate>\n",
                 '<request verb="ListRecords">http://127.0.0.1/oai</request>\n<ListRecords>\n']
        for p in page:
            parts.append(self._record(p))
        tok = f"{self.generation}|{frm}|{until}|{set_spec}|{nxt}" if nxt < len(chosen) else ""
        parts.append(f'<resumptionToken cursor="{offset_i}" completeListSize="{len(chosen)}">{tok}</resumptionToken>\n')
        parts.append("</ListRecords>\n</OAI-PMH>\n")
        return 200, {}, "".join(parts).encode()

    def _error(self, code: str, text: str) -> bytes:
        return (OAI_HEAD + f"<responseDate>{self.response_date}</responseDate>\n"
                f'<request verb="ListRecords">http://127.0.0.1/oai</request>\n'
                f'<error code="{code}">{text}</error>\n</OAI-PMH>\n').encode()

    @staticmethod
    def _record(p: GenPaper) -> str:
        sets = "".join(f"<setSpec>{c.split('.')[0]}</setSpec>" for c in dict.fromkeys(p.categories.split()))
        if p.deleted:
            return (f'<record><header status="deleted"><identifier>oai:arXiv.org:{p.id}</identifier>'
                    f"<datestamp>{p.datestamp}</datestamp>{sets}</header></record>\n")
        versions = "".join(
            f'<version version="v{i + 1}"><date>{d}</date><size>1kb</size><source_type>D</source_type></version>'
            for i, d in enumerate(p.versions)
        )
        return (
            f"<record><header><identifier>oai:arXiv.org:{p.id}</identifier><datestamp>{p.datestamp}</datestamp>"
            f"{sets}</header><metadata>"
            f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{p.id}</id><submitter>x</submitter>{versions}'
            f"<title>{escape(p.title)}</title><authors>{escape(p.authors)}</authors>"
            f"<categories>{p.categories}</categories><abstract>{escape(p.abstract)}</abstract>"
            f"</arXivRaw></metadata></record>\n"
        )


def generated_papers(n: int, *, seed: int = 3, start: date = date(2024, 1, 1), deleted_every: int = 0) -> list[GenPaper]:
    """``n`` deterministic papers spread over 2024 with varied words, categories and versions."""
    import random
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    rng = random.Random(seed)
    words = ["policy", "optimization", "GRPO", "DPO", "transformer", "graph", "bandit", "lattice", "quantum",
             "diffusion", "retrieval", "proof", "kernel", "sparse", "Bayesian", "agent", "reward", "token"]
    cats = ["cs.LG", "cs.CL", "cs.AI", "stat.ML", "math.CO", "cs.CV", "math.PR"]
    out = []
    for i in range(n):
        v1 = datetime(start.year, start.month, start.day, tzinfo=timezone.utc) + timedelta(hours=rng.randrange(0, 24 * 300))
        nv = rng.choice([1, 1, 1, 2, 3])
        versions = [v1 + timedelta(days=7 * k) for k in range(nv)]
        stamp = (versions[-1] + timedelta(days=rng.randrange(0, 3))).date().isoformat()
        k = rng.randrange(1, 3)
        out.append(GenPaper(
            id=f"24{(i // 90000) + 1:02d}.{i % 90000:05d}",
            title=" ".join(rng.choice(words) for _ in range(rng.randrange(4, 10))).capitalize(),
            abstract=" ".join(rng.choice(words) for _ in range(rng.randrange(20, 60))) + " & <more>.",
            categories=" ".join(dict.fromkeys(rng.choice(cats) for _ in range(k))),
            versions=[format_datetime(v, usegmt=True) for v in versions],
            datestamp=stamp,
            authors=", ".join(f"Author {rng.randrange(1000)}" for _ in range(rng.randrange(1, 4))),
            deleted=bool(deleted_every) and i % deleted_every == deleted_every - 1,
        ))
    return out


@dataclass
class Seen:
    params: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class OAIServer:
    """``with OAIServer(repo) as server: server.url``; records every request in ``server.seen``."""

    repo: Any
    faults: deque = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    def __enter__(self) -> OAIServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                q = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
                owner.seen.append(Seen(q, dict(self.headers.items()), time.monotonic()))
                fault = owner.faults.popleft() if owner.faults else None
                if fault and fault[0] == "status":
                    body = b"<html><body>Service unavailable, try later</body></html>"
                    self._send(fault[1], {"Content-Type": "text/html", **(fault[2] if len(fault) > 2 else {})}, body)
                    return
                if fault and fault[0] == "html":
                    self._send(200, {"Content-Type": "text/html"}, fixture("error-page.html"))
                    return
                if fault and fault[0] == "expire":
                    self._send(200, {"Content-Type": "text/xml"}, fixture("bad-token.xml"))
                    return
                status, headers, body = owner.repo.respond(q)
                if fault and fault[0] == "truncate":
                    body = body[: len(body) // 2]
                if fault and fault[0] == "reset":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    # RST instead of FIN: the client sees "connection reset" mid-body.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                self._send(status, {"Content-Type": "text/xml; charset=utf-8", **headers}, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients killed or reset on purpose; nothing to report

        self._httpd = Quiet(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/oai"

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
