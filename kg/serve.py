"""A read-only SPARQL 1.1 Protocol endpoint over a built graph.

``GET /query?query=…``, or ``POST /query`` with an ``application/sparql-query``
body or a form-encoded ``query=``. Results come as SPARQL JSON (the default),
CSV, TSV or XML for ``SELECT`` and ``ASK``, as chosen by the ``Accept``
header; ``CONSTRUCT`` and ``DESCRIBE`` give Turtle, N-Triples or RDF/XML.

What it refuses, and how:

* updates (an ``update=`` parameter, an ``application/sparql-update`` body): 403;
  the store is only ever queried;
* ``SERVICE`` (federation) and queries nested deeper than the engine takes:
  400, before anything runs (:func:`kg.query.check_query`), so no query
  reaches the network;
* a query that does not parse, or whose answer has more than ``max_rows``
  rows: 400; a query that runs longer than ``timeout``: 503;
* other paths 404, other methods 405, bodies over 1 MiB 413, URIs over
  32 KiB 414, header sections over 16 KiB 431.

HTTP is spoken by uvicorn with h11 (strict framing: no request smuggling,
chunked bodies, keep-alive) and Starlette. Queries never run in the server's
own process: a pool of :class:`kg.query.QueryWorker` processes holds the
graph, each query runs in one of them with a time, memory and row limit, and
a worker whose query times out, whose client goes away, or which crashes is
killed and replaced, the crash answered with a 500 of one line.

The server listens on 127.0.0.1 unless told otherwise.

Example:
    >>> server = make_server("out/graph.ttl", port=0)
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> url = server.url   # http://127.0.0.1:PORT/query
    >>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import h11
import pyoxigraph as ox
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from kg.errors import KGError
from kg.query import Limits, QueryCrash, QueryError, QueryWorker, check_query, take_rows

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PATH", "SparqlServer", "is_loopback", "make_server", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
#: The endpoint's path.
PATH = "/query"
#: Query workers by default: one per core, at most four.
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
#: Largest request body accepted, in bytes (413 beyond).
MAX_BODY = 1 << 20
#: Longest request target accepted, in bytes (414 beyond: POST long queries).
MAX_URI = 32 << 10
#: Largest header section accepted, in bytes (431 beyond).
MAX_HEADERS = 16 << 10
#: Seconds a client has to send a request's head (after connecting, or after the last answer).
HEAD_TIMEOUT = 10.0
#: Seconds a client has to send a request's body.
BODY_TIMEOUT = 30.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE = 5
#: Connections waiting to be accepted.
BACKLOG = 1024
#: Connections open at once; more get 503.
MAX_CONNECTIONS = 1000

_FORM = "application/x-www-form-urlencoded"
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
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class HTTPError(KGError):
    """An answer other than 200: its status and one line saying why and what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = " ".join(message.split())


def is_loopback(host: str) -> bool:
    """``host`` is an address of this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- content negotiation -------------------------------------------------------

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


def _negotiate(accept: str | None, offers: dict[str, Any], default: str) -> str:
    """The media type to answer with.

    Raises:
        HTTPError: 406, the client accepts none of ``offers``.
    """
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
    raise HTTPError(406, f"cannot answer as {accept}; accept one of {', '.join(offers)}")


# -- what a worker runs ----------------------------------------------------------

def _term_json(term: Any) -> dict[str, Any]:
    """One term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                        "predicate": _term_json(term.predicate), "object": _term_json(term.object)}}


def answer(store: ox.Store, query: str, default_graphs: list[str], named_graphs: list[str],
           accept: str | None, max_rows: int) -> tuple[str, bytes]:
    """Run ``query`` and serialise its answer as ``accept`` asks: the job a worker runs for a request.

    Returns:
        The media type and the body.

    Raises:
        HTTPError: 400 the query does not parse, fails or has more than
            ``max_rows`` rows; 406 no acceptable format.
    """
    try:
        result = store.query(query, default_graph=[ox.NamedNode(iri) for iri in default_graphs] or None,
                             named_graphs=[ox.NamedNode(iri) for iri in named_graphs] or None)
        if isinstance(result, ox.QueryBoolean):
            media = _negotiate(accept, _RESULTS, _DEFAULT_RESULTS)
            return media, result.serialize(format=_RESULTS[media])
        if isinstance(result, ox.QuerySolutions):
            media = _negotiate(accept, _RESULTS, _DEFAULT_RESULTS)
            names = [v.value for v in result.variables]
            bindings = [{name: _term_json(term) for name, term in zip(names, solution, strict=True)
                         if term is not None} for solution in take_rows(result, max_rows)]
            body = json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}},
                              ensure_ascii=False).encode("utf-8")
            if _RESULTS[media] != ox.QueryResultsFormat.JSON:
                body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(
                    format=_RESULTS[media])
            return media, body
        media = _negotiate(accept, _GRAPHS, _DEFAULT_GRAPH)
        return media, ox.serialize(take_rows(result, max_rows), format=_GRAPHS[media]) or b""
    except SyntaxError as err:
        raise HTTPError(400, f"the query does not parse: {err}") from err
    except QueryError as err:
        raise HTTPError(400, str(err)) from err
    except (ValueError, RuntimeError, TypeError) as err:
        raise HTTPError(400, f"the query cannot be run: {err}") from err
    except OSError as err:
        raise HTTPError(500, f"the store cannot be read: {err}") from err


# -- the worker pool ---------------------------------------------------------------

class _ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


class WorkerPool:
    """Query workers holding the graph; each request borrows one, and one in trouble is replaced.

    Attributes:
        replaced: how many workers have been killed and replaced (timeouts, crashes, clients gone).
    """

    def __init__(self, graph: str | Path, size: int, limits: Limits) -> None:
        if size < 1:
            raise KGError(f"--workers {size}: expected a number above 0")
        self.graph, self.size, self.limits = str(graph), size, limits
        self.replaced = 0
        self._workers: list[QueryWorker] = []
        self._idle: asyncio.Queue[QueryWorker] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start the workers and wait until each has loaded the graph.

        Raises:
            GraphError: the graph cannot be read.
        """
        try:
            for _ in range(self.size):
                self._workers.append(QueryWorker(self.graph, memory_mb=self.limits.memory_mb))
            for worker in self._workers:
                worker.ready()
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.pid for w in self._workers if w.pid is not None]

    def _queue(self) -> asyncio.Queue[QueryWorker]:
        if self._idle is None:  # made in the serving loop, on first use
            self._idle = asyncio.Queue()
            for worker in self._workers:
                self._idle.put_nowait(worker)
        return self._idle

    async def run(self, job: Callable[..., Any], args: tuple[Any, ...], disconnected: asyncio.Future[Any]) -> Any:
        """Run ``job(store, *args)`` on a free worker within the time limit.

        Raises:
            HTTPError: 503 no worker came free in time or the query timed out;
                500 the worker crashed; what the job raised.
            _ClientGone: the client went away (the worker is replaced).
        """
        loop = asyncio.get_running_loop()
        timeout = self.limits.timeout
        getting = asyncio.ensure_future(self._queue().get())
        done, _ = await asyncio.wait({getting, disconnected}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getting not in done:
            getting.cancel()
            if disconnected in done:
                raise _ClientGone
            raise HTTPError(503, f"every query worker stayed busy for {timeout:g} s; try again later")
        worker = getting.result()
        readable: asyncio.Future[None] = loop.create_future()
        try:
            worker.submit(job, *args)
            loop.add_reader(worker.fileno(), lambda: readable.done() or readable.set_result(None))
            try:
                done, _ = await asyncio.wait({readable, disconnected}, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                loop.remove_reader(worker.fileno())
            value = await asyncio.to_thread(worker.collect) if readable in done else None
        except QueryCrash as err:
            self._replace(worker)
            raise HTTPError(500, str(err)) from err
        except (HTTPError, KGError):
            self._queue().put_nowait(worker)  # the job raised: the worker is well
            raise
        except BaseException:  # cancelled: the worker may still be busy
            self._replace(worker)
            raise
        if readable not in done:  # out of time, or the client has gone: the worker is still busy
            self._replace(worker)
            if disconnected in done:
                raise _ClientGone
            raise HTTPError(503, f"the query ran longer than {timeout:g} s and was stopped; narrow it "
                            "(bind a value, add LIMIT) or ask the endpoint's owner to raise --timeout")
        self._queue().put_nowait(worker)
        return value

    def _replace(self, worker: QueryWorker) -> None:
        worker.kill()
        self._workers.remove(worker)
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        def start() -> QueryWorker:
            worker = QueryWorker(self.graph, memory_mb=self.limits.memory_mb)
            self._workers.append(worker)
            worker.ready()
            return worker
        try:
            worker = await asyncio.to_thread(start)
        except KGError as err:
            print(f"kg: a query worker could not be restarted: {err}", file=sys.stderr)
            return
        self._queue().put_nowait(worker)

    def close(self) -> None:
        """Kill every worker."""
        for worker in self._workers:
            worker.kill()
        self._workers.clear()


# -- HTTP ----------------------------------------------------------------------------

class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request heads and 414/431 for oversized ones."""

    _head = bytearray()
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head = bytearray()
        self._arm()

    def _arm(self) -> None:
        """Close the connection unless a new request's head arrives in time."""
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_late, self.cycle)

    def _head_late(self, cycle: object) -> None:
        if self.cycle is cycle and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # reading a request's head
            self._head += data[: MAX_URI + MAX_HEADERS + 8 - len(self._head)]
            if b"\n" not in self._head and len(self._head) > MAX_URI + 16:
                self._refuse(414, "the request URI is too long; POST the query as application/sparql-query")
                return
            if b"\r\n\r\n" not in self._head and len(self._head) > MAX_URI + MAX_HEADERS:
                self._refuse(431, "the request's header section is too large")
                return
        super().data_received(data)

    def _refuse(self, status: int, message: str) -> None:
        body = f"{message}\n".encode()
        head = (f"HTTP/1.1 {status} {'URI Too Long' if status == 414 else 'Request Header Fields Too Large'}\r\n"
                f"content-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
                "connection: close\r\n\r\n")
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def on_response_complete(self) -> None:
        self._head = bytearray()
        self._arm()  # before a pipelined request starts a new cycle, which the timer then leaves alone
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status, headers=headers)


async def _body(request: Request) -> bytes:
    """The request body, at most :data:`MAX_BODY` bytes, sent within :data:`BODY_TIMEOUT` seconds."""
    length = request.headers.get("content-length")
    if length is not None and int(length) > MAX_BODY:
        raise HTTPError(413, f"the request body is over {MAX_BODY} bytes")

    async def read() -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise HTTPError(413, f"the request body is over {MAX_BODY} bytes")
        return bytes(body)
    try:
        return await asyncio.wait_for(read(), BODY_TIMEOUT)
    except TimeoutError as err:
        raise HTTPError(408, f"the request body did not arrive within {BODY_TIMEOUT:g} s") from err


async def _until_disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _params(request: Request, body: bytes) -> dict[str, list[str]]:
    """The protocol's parameters from the URL and, for a POST, the body."""
    params = parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if request.method != "POST":
        return params
    media, _, rest = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    charset = "utf-8"
    for param in rest.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or charset
    try:
        text = body.decode(charset)
    except (LookupError, UnicodeDecodeError) as err:
        raise HTTPError(400, f"the body is not {charset} text") from err
    if media == "application/sparql-update":
        return {"update": [text]}
    if media == "application/sparql-query":
        if "query" in params:
            raise HTTPError(400, "give the query either in the body or as query=, not both")
        return {**params, "query": [text]}
    if media == _FORM:
        return {**params, **parse_qs(text, keep_blank_values=True)}
    raise HTTPError(415, f"unsupported Content-Type {media!r}; POST application/sparql-query or {_FORM}")


def _app(server: SparqlServer) -> Starlette:
    async def endpoint(request: Request) -> Response:
        scope = request.scope
        watching: asyncio.Task[None] | None = None
        try:
            if len(scope["raw_path"]) + len(scope["query_string"]) + 1 > MAX_URI:
                raise HTTPError(414, "the request URI is too long; POST the query as application/sparql-query")
            if sum(len(k) + len(v) + 4 for k, v in scope["headers"]) > MAX_HEADERS:
                raise HTTPError(431, "the request's header section is too large")
            params = _params(request, await _body(request))
            if "update" in params:
                raise HTTPError(403, "this endpoint is read-only: SPARQL updates are refused")
            queries = params.get("query", [])
            if len(queries) != 1 or not queries[0].strip():
                raise HTTPError(400, "give exactly one non-empty query= parameter "
                                "(or POST the query as application/sparql-query)")
            try:
                check_query(queries[0])
            except QueryError as err:
                raise HTTPError(400, str(err)) from err
            watching = asyncio.ensure_future(_until_disconnected(request))
            media, body = await server.pool.run(answer, (
                queries[0], params.get("default-graph-uri", []), params.get("named-graph-uri", []),
                request.headers.get("accept"), server.limits.max_rows), watching)
        except HTTPError as err:
            close = {"Connection": "close"} if err.status in (408, 413) else None
            return _text(err.status, err.message, close)
        except _ClientGone:
            return Response(status_code=499)  # never seen: the client has gone
        finally:
            if watching is not None:
                watching.cancel()
        charset = "" if media.endswith("xml") else "; charset=utf-8"
        return Response(body, headers={"Content-Type": media + charset, "Vary": "Accept"})

    async def not_found(request: Request, exc: Exception) -> Response:
        return _text(404, f"no such resource; the SPARQL endpoint is {PATH}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _text(405, "this endpoint is read-only: use GET or POST with a query", {"Allow": "GET, HEAD, POST"})

    async def refused(request: Request, exc: HTTPException) -> Response:
        return _text(exc.status_code, exc.detail, exc.headers)

    return Starlette(routes=[Route(PATH, endpoint, methods=["GET", "HEAD", "POST"])],
                     exception_handlers={404: not_found, 405: not_allowed, HTTPException: refused})


class SparqlServer:
    """The endpoint: a listening socket, the worker pool, and uvicorn serving one from the other."""

    def __init__(self, graph: str | Path, host: str, port: int, *, limits: Limits, workers: int,
                 quiet: bool) -> None:
        self.limits = limits
        self.pool = WorkerPool(graph, workers, limits)
        self.pool.start()
        try:
            self.socket = _listen(host, port)
        except KGError:
            self.pool.close()
            raise
        config = uvicorn.Config(_app(self), http=_Protocol, lifespan="off", log_config=None,
                                log_level="warning" if quiet else "info", access_log=not quiet,
                                timeout_keep_alive=KEEP_ALIVE, backlog=BACKLOG, limit_concurrency=MAX_CONNECTIONS,
                                h11_max_incomplete_event_size=2 * (MAX_URI + MAX_HEADERS), server_header=False)
        self._server = uvicorn.Server(config)
        self._stopped = threading.Event()

    @property
    def server_port(self) -> int:
        """The port listened on (useful after ``port=0``)."""
        return self.socket.getsockname()[1]

    @property
    def url(self) -> str:
        """The endpoint's URL, e.g. ``http://127.0.0.1:7878/query``."""
        host = self.socket.getsockname()[0]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.server_port}{PATH}"

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (from another thread) or Ctrl-C (in the main thread)."""
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self.pool.close()
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for :meth:`serve_forever` to return."""
        self._server.should_exit = True
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        """Close the socket and kill the workers."""
        self.socket.close()
        self.pool.close()

    def __enter__(self) -> SparqlServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server_close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as err:
        sock.close()
        raise KGError(f"cannot listen on {host}:{port} ({err.strerror or err}); "
                      "pass another --port, or --port 0 for any free one") from err
    sock.setblocking(False)
    return sock


def make_server(graph: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                limits: Limits | None = None, workers: int | None = None, quiet: bool = False) -> SparqlServer:
    """Start the query workers and bind the endpoint to ``host:port``, without serving yet.

    Args:
        graph: a graph path as :func:`kg.query.open_store` takes.
        host: the address to listen on; 127.0.0.1 keeps it on this machine.
        port: the port; 0 picks a free one (see ``server.server_port``).
        limits: per query: time, rows and memory (the defaults of :class:`kg.query.Limits`).
        workers: query worker processes, each holding the graph (default :data:`DEFAULT_WORKERS`).
        quiet: do not log requests to stderr.

    Returns:
        The server: call ``serve_forever()`` (in a thread for tests), then
        ``shutdown()`` and ``server_close()``.

    Raises:
        GraphError: the graph cannot be read.
        KGError: the port is not 0–65535, or the address cannot be listened on
            (the port is in use, or the host is not this machine's).
    """
    if not 0 <= port <= 65535:
        raise KGError(f"--port {port}: expected a port number from 0 to 65535 (0 picks a free one)")
    return SparqlServer(graph, host, port, limits=limits or Limits(),
                        workers=DEFAULT_WORKERS if workers is None else workers, quiet=quiet)


def serve(graph: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          limits: Limits | None = None, workers: int | None = None, quiet: bool = False,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the graph at ``http://host:port/query`` until interrupted.

    Args:
        graph: a graph path as :func:`kg.query.open_store` takes.
        host: the address to listen on (127.0.0.1 unless told otherwise).
        port: the port to listen on.
        limits: per query: time, rows and memory.
        workers: query worker processes.
        quiet: do not log requests to stderr.
        on_ready: called with the endpoint's URL once it listens (the CLI prints it);
            by default the URL goes to stderr.

    Raises:
        GraphError: the graph cannot be read.
        KGError: the address cannot be listened on.
    """
    with make_server(graph, host, port, limits=limits, workers=workers, quiet=quiet) as server:
        (on_ready or (lambda url: print(f"kg: serving {url}", file=sys.stderr)))(server.url)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
