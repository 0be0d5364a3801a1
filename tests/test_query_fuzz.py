"""Generated SPARQL thrown at ``kg query`` and at the endpoint: a result, a 4xx or a timeout, never a dead process.

The queries are the shapes that overflow the engine's stack or run away:
deep nesting of groups, brackets and OPTIONAL, long chains of operators and
negations, big unions, long property paths, cartesian products, and
``SERVICE``. Few examples, each with a short time limit.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from conftest import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_endpoint_hardening import exchange
from test_query import write_graph

from kg.errors import QueryError
from kg.query import Limits, query_graph

pytestmark = pytest.mark.slow

TRIPLE = "?s ?p ?o"


def _nested(n: int) -> str:
    return "SELECT * WHERE " + "{" * n + TRIPLE + "}" * n


SHAPES = {
    "groups": _nested,
    "brackets": lambda n: f"SELECT * WHERE {{ {TRIPLE} FILTER({'(' * n}true{')' * n}) }}",
    "optional": lambda n: f"SELECT * WHERE {{ {TRIPLE} " + f"OPTIONAL {{ {TRIPLE} " * n + "}" * n + "}",
    "sum": lambda n: f"SELECT * WHERE {{ {TRIPLE} FILTER({'+'.join(['1'] * n)} > 0) }}",
    "not": lambda n: f"SELECT * WHERE {{ {TRIPLE} FILTER({'!' * n}false) }}",
    "union": lambda n: "SELECT * WHERE { " + " UNION ".join([f"{{ {TRIPLE} }}"] * n) + " }",
    "path": lambda n: "SELECT * WHERE { ?s " + "/".join(["<http://x/p>"] * n) + " ?o }",
    "cartesian": lambda n: "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
        f"?s{i} ?p{i} ?o{i} ." for i in range(min(n, 6))) + " }",
    "service": lambda n: f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:9/{n}> {{ {TRIPLE} }} }}",
}

queries = st.builds(lambda shape, n: SHAPES[shape](n), st.sampled_from(sorted(SHAPES)),
                    st.one_of(st.integers(1, 50), st.integers(50, 30_000)))


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return write_graph(tmp_path_factory.mktemp("graph"))


@pytest.fixture(scope="module")
def server(graph):
    with serving(graph, workers=2, limits=Limits(timeout=1, max_rows=1000)) as server:
        yield server


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_kg_query_answers_or_says_why(graph, query):
    try:
        header, rows = query_graph(graph, query, limits=Limits(timeout=1, max_rows=1000))
    except QueryError as err:  # refused, too many rows, timed out, crashed: one line naming the query
        assert str(err).startswith("query '") and "\n" not in str(err)
    else:
        assert isinstance(header, list) and isinstance(rows, list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_endpoint_answers_or_refuses(server, query):
    body = urlencode({"query": query}).encode()
    status, _, answer = exchange(server, b"POST /query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    assert status in (200, 400, 503), (status, answer[:200])
    if status == 200:
        json.loads(answer)
    # The server is alive and answers the next query.
    status, _, answer = exchange(server, f"GET /query?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n"
                                         "Connection: close\r\n\r\n".encode())
    assert status in (200, 503)
