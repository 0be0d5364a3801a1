"""Shared fixtures: the gazetteer and the pipeline load once per session."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.divisions import Gazetteer, gazetteer
from kg.extract import context_for
from kg.types import Context, Metadata

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return gazetteer()


@pytest.fixture(scope="session")
def nlp():
    from kg.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def context_of(gaz):
    """A context for a district given by code, with an issuing agency."""

    def make(code: str, agency_field: str = "区司法局") -> Context:
        return context_for(Metadata(agency=agency_field, district=gaz.by_code[code]), gaz)

    return make


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory):
    """The seeds built once: (output folder, build report)."""
    from kg.build import build

    out = tmp_path_factory.mktemp("seeds")
    report = build([SEEDS], out, jobs=1, quiet=True)
    return out, report


@pytest.fixture
def listener():
    """A socket on 127.0.0.1 that records whether anyone connected to it, and a URL that names it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}/sparql"
    sock.close()


def turtle_file(graph, folder: Path) -> Path:
    """``graph`` written as ``folder/graph.ttl``, as kg build names it; its path."""
    path = folder / "graph.ttl"
    graph.serialize(path, format="turtle", encoding="utf-8")
    return path


@contextlib.contextmanager
def serving(graph: Path, **options) -> Iterator[object]:
    """``kg serve`` on 127.0.0.1 (a free port) in a thread, stopped on leaving the block."""
    from kg.serve import make_server

    server = make_server(graph, port=0, quiet=True, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
