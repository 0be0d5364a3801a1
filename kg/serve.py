"""A read-only SPARQL 1.1 Protocol endpoint over a built graph.

``GET /query?query=…``, or ``POST /query`` with an ``application/sparql-query``
body or a form-encoded ``query=``. Results come as SPARQL JSON (the default),
CSV, TSV or XML for ``SELECT`` and ``ASK``, as chosen by the ``Accept``
header; ``CONSTRUCT`` and ``DESCRIBE`` give Turtle, N-Triples or RDF/XML.
Updates (an ``update=`` parameter, or an ``application/sparql-update`` body)
are refused with 403; a query that does not parse gets 400 with the parser's
message; any other path gets 404.

The server listens on 127.0.0.1 unless told otherwise, and has no update
path at all: the store is only ever queried.

Example:
    >>> server = make_server("out/graph.ttl", port=0)
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> url = f"http://127.0.0.1:{server.server_port}/query"
    >>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from kg.errors import KGError
from kg.query import open_store

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PATH", "SparqlServer", "make_server", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
#: The endpoint's path.
PATH = "/query"
#: Largest request body accepted, in bytes.
MAX_BODY = 1 << 20

_RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}
_GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_DEFAULT_RESULTS = "application/sparql-results+json"
_DEFAULT_GRAPH = "text/turtle"


def _accepted(accept: str | None) -> list[tuple[str, float]]:
    """Media ranges of an ``Accept`` header, best first (q-values; order breaks ties)."""
    ranges = []
    for index, part in enumerate((accept or "*/*").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges if q > 0]


def _negotiate(accept: str | None, offers: dict[str, object], default: str) -> str | None:
    """The media type to answer with, or ``None`` when the client accepts none we offer."""
    for media, _ in _accepted(accept):
        if media in ("*/*", "*"):
            return default
        if media.endswith("/*"):
            prefix = media[:-1]
            if default.startswith(prefix):
                return default
            match = next((m for m in offers if m.startswith(prefix)), None)
            if match:
                return match
        elif media in offers:
            return media
    return None


class SparqlServer(ThreadingHTTPServer):
    """A threading HTTP server holding the store it answers from."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: ox.Store, *, quiet: bool = False) -> None:
        self.store = store
        self.quiet = quiet
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        """The endpoint's URL, e.g. ``http://127.0.0.1:7878/query``."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}{PATH}"


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "lgkg-sparql"
    protocol_version = "HTTP/1.1"
    _FORM: ClassVar[str] = "application/x-www-form-urlencoded"

    # -- responses ---------------------------------------------------------

    def _send(self, status: HTTPStatus, body: bytes, media: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str, extra: dict[str, str] | None = None) -> None:
        self._send(status, (" ".join(message.split()) + "\n").encode("utf-8"), "text/plain; charset=utf-8", extra)

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    # -- requests ----------------------------------------------------------

    def _route(self) -> bool:
        if urlsplit(self.path).path != PATH:
            self._error(HTTPStatus.NOT_FOUND, f"no such resource; the SPARQL endpoint is {PATH}")
            return False
        return True

    def do_GET(self) -> None:
        if not self._route():
            return
        params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        self._answer(params)

    do_HEAD = do_GET  # noqa: N815

    def do_POST(self) -> None:
        if not self._route():
            return
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length is not None else 0
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
            return
        if size > MAX_BODY:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY} bytes")
            return
        body = self.rfile.read(size) if size else b""
        media = (self.headers.get_content_type() or "").lower()
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            text = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            self._error(HTTPStatus.BAD_REQUEST, f"the body is not {charset} text")
            return
        params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if media == "application/sparql-update":
            self._refuse_update()
        elif media == "application/sparql-query":
            if "query" in params:
                self._error(HTTPStatus.BAD_REQUEST, "give the query either in the body or as query=, not both")
            else:
                self._answer({**params, "query": [text]})
        elif media == self._FORM:
            form = parse_qs(text, keep_blank_values=True)
            self._answer({**params, **form})
        else:
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                        f"unsupported Content-Type {media!r}; POST application/sparql-query or {self._FORM}")

    def _method_not_allowed(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "this endpoint is read-only: use GET or POST with a query",
                    {"Allow": "GET, HEAD, POST"})

    do_PUT = do_DELETE = do_PATCH = _method_not_allowed  # noqa: N815

    def _refuse_update(self) -> None:
        self._error(HTTPStatus.FORBIDDEN, "this endpoint is read-only: SPARQL updates are refused")

    def _answer(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            self._refuse_update()
            return
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            self._error(HTTPStatus.BAD_REQUEST, "give exactly one non-empty query= parameter "
                        "(or POST the query as application/sparql-query)")
            return
        try:
            default_graphs = [ox.NamedNode(iri) for iri in params.get("default-graph-uri", [])]
            named_graphs = [ox.NamedNode(iri) for iri in params.get("named-graph-uri", [])]
            result = self.server.store.query(queries[0], default_graph=default_graphs or None,
                                             named_graphs=named_graphs or None)
        except SyntaxError as err:
            self._error(HTTPStatus.BAD_REQUEST, f"the query does not parse: {err}")
            return
        except (ValueError, RuntimeError) as err:
            self._error(HTTPStatus.BAD_REQUEST, f"the query cannot be run: {err}")
            return
        except OSError as err:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"the store cannot be read: {err}")
            return
        accept = self.headers.get("Accept")
        if isinstance(result, ox.QueryTriples):
            offers: dict[str, object] = dict(_GRAPHS)
            media = _negotiate(accept, offers, _DEFAULT_GRAPH)
        else:
            offers = dict(_RESULTS)
            media = _negotiate(accept, offers, _DEFAULT_RESULTS)
        if media is None:
            self._error(HTTPStatus.NOT_ACCEPTABLE, f"cannot answer as {accept}; accept one of {', '.join(offers)}")
            return
        try:
            body = result.serialize(format=offers[media])
        except (ValueError, RuntimeError, OSError) as err:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"the query failed: {err}")
            return
        charset = "" if media.endswith("+xml") or media.endswith("/xml") else "; charset=utf-8"
        self._send(HTTPStatus.OK, body or b"", f"{media}{charset}")


def make_server(graph: str | Path | ox.Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                quiet: bool = False) -> SparqlServer:
    """Open the graph and bind a SPARQL endpoint to ``host:port``, without serving yet.

    Args:
        graph: a graph path as :func:`kg.query.open_store` takes, or an open store.
        host: the address to listen on; 127.0.0.1 keeps it on this machine.
        port: the port; 0 picks a free one (see ``server.server_port``).
        quiet: do not log requests to stderr.

    Returns:
        The server: call ``serve_forever()`` (in a thread for tests), then
        ``shutdown()`` and ``server_close()``.

    Raises:
        GraphError: the graph cannot be read.
        KGError: the address cannot be listened on (the port is in use, or the host is not this machine's).
    """
    store = graph if isinstance(graph, ox.Store) else open_store(graph)
    try:
        return SparqlServer((host, port), store, quiet=quiet)
    except OSError as err:
        raise KGError(f"cannot listen on {host}:{port} ({err.strerror or err}); "
                      "pass another --port, or --port 0 for any free one") from err


def serve(graph: str | Path | ox.Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          quiet: bool = False, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the graph at ``http://host:port/query`` until interrupted.

    Args:
        graph: a graph path as :func:`kg.query.open_store` takes, or an open store.
        host: the address to listen on (127.0.0.1 unless told otherwise).
        port: the port to listen on.
        quiet: do not log requests to stderr.
        on_ready: called with the endpoint's URL once it listens (the CLI prints it);
            by default the URL goes to stderr.

    Raises:
        GraphError: the graph cannot be read.
        KGError: the address cannot be listened on.
    """
    with make_server(graph, host, port, quiet=quiet) as server:
        (on_ready or (lambda url: print(f"kg: serving {url}", file=sys.stderr)))(server.url)
        server.serve_forever()
