"""The endpoint under attack and bad luck: federation, runaway queries, crashes, and HTTP that lies.

Each test talks to a server started here on a free port of 127.0.0.1 (raw
sockets where HTTP clients would tidy the request up), with short limits so
that every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from urllib.parse import quote, urlencode

import pytest
from conftest import serving
from test_query import write_graph
from test_query_safety import CARTESIAN, SERVICES, nobody_connected

from kg import serve
from kg.query import Limits

ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setattr(serve, "HEAD_TIMEOUT", 1.0)
    with serving(write_graph(tmp_path_factory.mktemp("graph")), workers=2,
                 limits=Limits(timeout=2, max_rows=50)) as server:
        yield server
    mp.undo()


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.server_port), timeout=10)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body; what follows it stays for the next call."""
    stream = _streams.setdefault(sock, sock.makefile("rb"))
    status_line = stream.readline()
    if not status_line:
        raise ConnectionError("closed before a response")
    headers = {}
    for line in iter(stream.readline, b"\r\n"):
        if not line:
            raise ConnectionError("closed inside a response")
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, stream.read(int(headers.get("content-length", "0")))


_streams: dict[socket.socket, object] = {}


def exchange(server, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_response(sock)


def get(server, query: str, accept: str = "application/sparql-results+json") -> tuple[int, dict[str, str], bytes]:
    target = f"/query?{urlencode({'query': query})}"
    return exchange(server, f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n"
                            "Connection: close\r\n\r\n".encode())


def still_answers(server) -> bool:
    status, _, body = get(server, ASK)
    return status == 200 and json.loads(body)["boolean"] is True


# -- no query reaches the network -------------------------------------------------------



@pytest.mark.parametrize("template", SERVICES)
def test_service_refused_before_execution(server, listener, template):
    sock, url = listener
    status, headers, body = get(server, template.replace("{url}", url))
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert body.decode().startswith("SERVICE is refused") and body.count(b"\n") == 1
    assert nobody_connected(sock)


def test_from_and_graph_parameters_stay_in_the_store(server, listener):
    sock, url = listener
    status, _, body = get(server, f"SELECT * FROM <{url}> FROM NAMED <{url}> WHERE {{ ?s ?p ?o }}")
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    status, _, _ = exchange(server, f"GET /query?{urlencode({'query': ASK, 'default-graph-uri': url})} HTTP/1.1\r\n"
                                    "Host: x\r\nConnection: close\r\n\r\n".encode())
    assert status == 200
    assert nobody_connected(sock)


# -- limits ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_timeout_then_next_query(server):
    status, _, body = get(server, CARTESIAN)
    assert status == 503 and b"ran longer than 2 s" in body
    assert still_answers(server)


def test_row_limit(server):
    status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 400 and b"more than 50 rows" in body
    status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 50", "text/csv")
    assert status == 200 and body.count(b"\r\n") == 51


def test_too_deep_is_a_400(server):
    status, _, body = get(server, "SELECT * WHERE " + "{" * 3000 + "}" * 3000)
    assert status == 400 and b"nests brackets 3000 deep" in body


def test_crashed_worker_gives_500_and_is_replaced(server):
    replaced = server.pool.replaced
    outcome: list[tuple[int, dict[str, str], bytes]] = []
    thread = threading.Thread(target=lambda: outcome.append(get(server, CARTESIAN)))
    thread.start()
    victims: set[int] = set()
    for _ in range(100):  # the query reaches a worker within a moment; kill both, the busy one crashes it
        time.sleep(0.05)
        for pid in server.pool.pids:
            if pid not in victims:
                os.kill(pid, signal.SIGKILL)
                victims.add(pid)
        if len(victims) >= 2:
            break
    thread.join(timeout=30)
    status, _, body = outcome[0]
    assert status == 500
    assert body.startswith(b"the query stopped the SPARQL engine (signal SIGKILL)") and body.count(b"\n") == 1
    assert server.pool.replaced > replaced
    for _ in range(100):
        if still_answers(server):
            break
        time.sleep(0.1)
    assert still_answers(server)


def test_client_gone_cancels_the_query(server):
    replaced = server.pool.replaced
    with connect(server) as sock:
        sock.sendall(f"GET /query?{urlencode({'query': CARTESIAN})} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.3)
    for _ in range(100):  # the worker is replaced well before the 2 s time limit would end it
        if server.pool.replaced > replaced:
            break
        time.sleep(0.01)
    assert server.pool.replaced > replaced
    assert still_answers(server)


# -- HTTP ----------------------------------------------------------------------------------

SMUGGLED = f"GET /query?{urlencode({'query': ASK})} HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("method, path", [("PUT", "/query"), ("DELETE", "/query"), ("PATCH", "/query"),
                                          ("POST", "/other"), ("GET", "/query")])
def test_body_is_never_a_second_request(server, method, path):
    body = SMUGGLED.encode()
    with connect(server) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
                     + b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = read_response(sock)
        second = read_response(sock)
        assert _streams.pop(sock).read() == b""  # the connection ends: no third answer, to the smuggled ASK
    assert first[0] in (400, 404, 405)
    assert second[0] == 404  # the request after the body, not the body


def test_405_names_the_methods(server):
    status, headers, _ = exchange(server, b"DELETE /query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 405 and headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("length", ["-1", "abc", "1, 2"])
def test_bad_content_length(server, length):
    status, _, _ = exchange(server, f"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                                    "Content-Type: application/sparql-query\r\n\r\nASK {}".encode())
    assert status == 400


def test_413_by_content_length(server):
    status, headers, _ = exchange(server, f"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: {serve.MAX_BODY + 1}"
                                          "\r\nContent-Type: application/sparql-query\r\n\r\n".encode())
    assert status == 413 and headers["connection"] == "close"


def test_413_chunked(server):
    chunk = b"x" * 65536
    with connect(server) as sock:
        sock.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/sparql-query\r\n\r\n")
        try:
            for _ in range(serve.MAX_BODY // len(chunk) + 2):
                sock.sendall(b"10000\r\n" + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _, _ = read_response(sock)
    assert status == 413


def test_chunked_query(server):
    query = ASK.encode()
    status, _, body = exchange(server, b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                       b"Content-Type: application/sparql-query\r\nConnection: close\r\n\r\n"
                                       + f"{len(query):x}\r\n".encode() + query + b"\r\n0\r\n\r\n")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_both_lengths_refused(server):
    status, _, _ = exchange(server, b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                    b"Transfer-Encoding: chunked\r\nContent-Type: application/sparql-query\r\n\r\n"
                                    b"0\r\n\r\n")
    assert status == 400


@pytest.mark.parametrize("size", [serve.MAX_URI + 100, 3 * serve.MAX_URI])
def test_414(server, size):
    status, _, body = exchange(server, f"GET /query?query={quote('#' * size)} HTTP/1.1\r\nHost: x\r\n"
                                       "Connection: close\r\n\r\n".encode())
    assert status == 414 and b"POST" in body


@pytest.mark.parametrize("size", [serve.MAX_HEADERS + 100, 3 * serve.MAX_HEADERS + serve.MAX_URI])
def test_431(server, size):
    status, _, _ = exchange(server, f"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Pad: {'a' * size}\r\n"
                                    "Connection: close\r\n\r\n".encode())
    assert status == 431


def test_keep_alive_answers_in_order(server):
    with connect(server) as sock:
        for query in (ASK, "ASK { <http://x/none> ?p ?o }", ASK):
            sock.sendall(f"GET /query?{urlencode({'query': query})} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answers = [json.loads(read_response(sock)[2])["boolean"] for _ in range(3)]
    assert answers == [True, False, True]


def test_half_sent_request_is_dropped(server):
    with connect(server) as sock:
        sock.sendall(b"GET /query?query=ASK HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(10)
        assert sock.recv(65536) == b""  # closed by the server after HEAD_TIMEOUT, not by this client


def test_idle_connection_is_dropped(server):
    with connect(server) as sock:
        sock.settimeout(10)
        assert sock.recv(65536) == b""


def test_many_clients_at_once(server):
    sockets = [connect(server) for _ in range(60)]
    try:
        for sock in sockets:
            sock.sendall(f"GET /query?{urlencode({'query': ASK})} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                         .encode())
        statuses = [read_response(sock)[0] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert statuses == [200] * 60


@pytest.mark.parametrize("accept, media", [("text/csv", "text/csv"), ("application/sparql-results+xml",
                                            "application/sparql-results+xml"), ("*/*", "application/sparql-results+json")])
def test_negotiation_over_the_pool(server, accept, media):
    status, headers, body = get(server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", accept)
    assert status == 200 and headers["content-type"].startswith(media)
    assert headers["vary"] == "Accept" and body
