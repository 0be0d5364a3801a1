"""``kg query`` under limits: federation refused, crashes and timeouts in one line, bindings that only filter.

Queries from users run in a child process; these tests start real workers on
the small graph of test_query.py and end them. Nothing here listens anywhere
but 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket

import pytest
from test_query import write_graph

from kg import cli
from kg.errors import GraphError, KGError, QueryError
from kg.query import (
    MAX_DEPTH,
    MAX_OPERATORS,
    Limits,
    QueryCrash,
    QueryRefused,
    QueryTimeout,
    QueryWorker,
    bindable_variables,
    check_query,
    format_rows,
    open_store,
    query_graph,
    resolve_query,
    run_query,
)

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return write_graph(tmp_path_factory.mktemp("graph"))


@pytest.fixture(scope="module")
def store(graph):
    return open_store(graph)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# -- federation ----------------------------------------------------------------------

SERVICES = [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "select * where { service silent <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { S\\u0045RVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o LATERAL { BIND (IRI(CONCAT('{url}', STR(?o))) AS ?u) SERVICE ?u { ?x ?y ?z } } }",
    "PREFIX ex: <http://x/>\nSELECT * WHERE {\n  # a comment } {\n  SERVICE\n<{url}>{?s ?p ?o} }",
]




def nobody_connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return True
    conn.close()
    return False


@pytest.mark.parametrize("template", SERVICES)
def test_service_refused_and_nothing_sent(capsys, graph, listener, template):
    sock, url = listener
    status, out, err = run_cli(capsys, "query", str(graph), template.replace("{url}", url))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "SERVICE is refused" in err and "remove the SERVICE clause" in err
    assert nobody_connected(sock)


@pytest.mark.parametrize("query", [
    'SELECT ?s WHERE { ?s ?p "SERVICE <http://x/>" }',
    "SELECT ?service WHERE { ?service ?p ?o }",
    "PREFIX service: <http://x/>\nSELECT ?s WHERE { ?s service:p ?o }",
    "SELECT ?s WHERE { ?s <http://x/SERVICE> ?o } # SERVICE",
])
def test_service_as_text_is_not_federation(store, query):
    check_query(query)
    run_query(store, query)


# -- queries the engine's stack cannot take --------------------------------------------

def deep(n: int) -> str:
    return "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n


@pytest.mark.parametrize("query, match", [
    (deep(MAX_DEPTH + 1), "nests brackets 101 deep"),
    (deep(2500), "nests brackets 2500 deep"),
    ("SELECT * WHERE { FILTER(" + "!" * 20000 + "true) }", r"holds 20001 operators"),
    ("SELECT * WHERE { FILTER(" + "+".join(["1"] * 9000) + ") }", "holds 9000 operators"),
    ("SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 20000) + " }", "holds 20000 operators"),
    ("SELECT * WHERE { ?s " + "/".join(["<http://x/p>"] * 1000) + " ?o }", "holds 1000 operators"),
    ("SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 300 + "}" * 300 + "}", "nests brackets 301 deep"),
])
def test_too_deep_refused_up_front(query, match):
    with pytest.raises(QueryRefused, match=match):
        check_query(query)


def test_limits_leave_room_for_real_queries(store):
    check_query(deep(MAX_DEPTH - 1))
    check_query("SELECT * WHERE { FILTER(" + "+".join(["1"] * MAX_OPERATORS) + ") }")
    for name in ("reports", "participations", "agencies-by-district", "shared-programmes"):
        check_query(resolve_query(name))


def overflow(store):
    """A job that overflows the engine's stack, bypassing the up-front check."""
    n = 400_000
    return store.query("SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n)


def test_crashing_worker_is_one_error_not_a_dead_parent(graph):
    with QueryWorker(graph) as worker:
        worker.ready()
        worker.submit(overflow)
        with pytest.raises(QueryCrash, match=r"stopped the SPARQL engine \(signal SIG\w+\).*simplify it") as info:
            worker.result(timeout=60)
    assert "\n" not in str(info.value)


def test_memory_limit(graph):
    query = "SELECT ?a ?c ?f ?i WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    with pytest.raises(QueryError, match=r"more than 32 MiB; simplify it or raise --max-memory"):
        query_graph(graph, query, limits=Limits(memory_mb=32, timeout=120, max_rows=10**9))


def test_timeout(graph):
    with pytest.raises(QueryTimeout, match=r"^query 'SELECT \(COUNT\(\*\) AS \?n\) WHERE \{…': the query ran "
                                           r"longer than 1 s and was stopped; .* or raise --timeout$"):
        query_graph(graph, CARTESIAN, limits=Limits(timeout=1))


def test_row_limit(graph):
    with pytest.raises(QueryError, match=r"more than 5 rows; .* or raise --max-rows"):
        query_graph(graph, "SELECT * WHERE { ?s ?p ?o }", limits=Limits(max_rows=5))
    assert len(query_graph(graph, "SELECT * WHERE { ?s ?p ?o } LIMIT 5", limits=Limits(max_rows=5))[1]) == 5


@pytest.mark.parametrize("option", ["--timeout", "--max-rows", "--max-memory"])
def test_limits_must_be_positive(capsys, graph, option):
    status, _, err = run_cli(capsys, "query", str(graph), "reports", option, "0")
    assert status == 2 and err in (f"kg: {option} 0: expected a number above 0\n",
                                   f"kg: {option} 0.0: expected a number above 0\n")


def test_worker_dies_with_its_parent_pipe(graph):
    worker = QueryWorker(graph)
    worker.ready()
    pid = worker.pid
    worker.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# -- the command's one-line errors ------------------------------------------------------

@pytest.mark.parametrize("argv, expected", [
    (["programes-by-district"], r"^kg: no shipped query is named 'programes-by-district'; "
                                r"did you mean programmes-by-district\? give one of .*@FILE\.rq, or SPARQL text$"),
    (["SELECT * WHERE { ?s ?p }"], r"^kg: query 'SELECT \* WHERE \{ \?s \?p \}': the query does not parse: "
                                   r".*; check its SPARQL syntax$"),
    ([CARTESIAN, "--timeout", "0.5"], r"^kg: query '.*': the query ran longer than 0\.5 s and was stopped"),
    ([deep(3000)], r"^kg: query 'SELECT \* WHERE \{\{\{.*': the query nests brackets 3000 deep"),
])
def test_one_line_errors(capsys, graph, argv, expected):
    status, out, err = run_cli(capsys, "query", str(graph), *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert __import__("re").match(expected, err.rstrip("\n"))


def test_damaged_store(capsys, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "CURRENT").write_text("MANIFEST-000001\n")
    (store / "MANIFEST-000001").write_bytes(b"\x00garbage" * 10)
    status, _, err = run_cli(capsys, "query", str(store), "reports")
    assert status == 2
    assert err.startswith(f"kg: {store}: cannot open the Oxigraph store (") and err.count("\n") == 1


def test_damaged_store_read_directly(tmp_path):
    (tmp_path / "CURRENT").write_text("nonsense")
    with pytest.raises(GraphError, match="cannot open the Oxigraph store"):
        open_store(tmp_path)


# -- bindings filter, never relabel ------------------------------------------------------

@pytest.mark.parametrize("name, variable", [("reports", "district"), ("programmes-by-district", "year"),
                                            ("programmes-by-district", "evidence"),
                                            ("honours-by-district", "year")])
def test_undeclared_variables_cannot_be_bound(capsys, graph, name, variable):
    status, out, err = run_cli(capsys, "query", str(graph), name, "--bind", f"{variable}=镇海区")
    assert status == 2 and out == ""
    assert f"--bind {variable}: the query does not declare ?{variable} bindable" in err


@pytest.mark.parametrize("query, bindable", [
    ("#@bind d zh-Hans\nSELECT ?d WHERE { ?s <http://x/p> ?d }", True),
    ("#@bind d\nSELECT ?d WHERE { ?s <http://x/p> ?x OPTIONAL { ?s <http://x/q> ?d } }", False),
    ("#@bind d\nSELECT ?d WHERE { { ?s <http://x/p> ?d } UNION { ?s <http://x/q> ?d } }", False),
    ("#@bind d\nSELECT ?d WHERE { ?s <http://x/p> ?x BIND (STR(?x) AS ?d) }", False),
    ("#@bind d\nSELECT ?d WHERE { VALUES ?d { 'a' } ?s <http://x/p> ?d }", False),
    ("#@bind d\nSELECT ?d WHERE { ?s <http://x/p> ?x FILTER (?x = ?d) }", False),
])
def test_declared_variable_must_be_first_matched_where_required(store, query, bindable):
    assert list(bindable_variables(query)) == ["d"]
    if bindable:
        run_query(store, query, {"d": "x"})
    else:
        with pytest.raises(QueryError, match=r"--bind d: .* first matches it outside a required triple pattern"):
            run_query(store, query, {"d": "x"})


def test_bindable_declarations():
    assert bindable_variables(resolve_query("programmes-by-district")) == {"district": "zh-Hans"}
    assert bindable_variables(resolve_query("reports")) == {}
    assert bindable_variables("#@bind a\n#@bind b en\n# @bind c\nSELECT") == {"a": None, "b": "en"}


# -- output that cannot act on a terminal or a spreadsheet -------------------------------

EVIL = ["=HYPERLINK(\"http://x\")", "-1+2", "+3", "@SUM(A1)", "\tx", "a\x1b[31mred\x1b[0m", "b\x9bc", "ok"]


def test_table_escapes_control_characters():
    text = format_rows(["v\x1b"], [[v] for v in EVIL])
    assert "\x1b" not in text and "\x9b" not in text
    assert "a\\x1b[31mred\\x1b[0m" in text and "b\\x9bc" in text and "v\\x1b" in text


def test_csv_cells_are_neutralised():
    import csv
    import io

    cells = [row[0] for row in csv.reader(io.StringIO(format_rows(["v"], [[v] for v in EVIL], "csv")))][1:]
    assert cells[:5] == ["'=HYPERLINK(\"http://x\")", "'-1+2", "'+3", "'@SUM(A1)", "'\tx"]
    assert cells[5:] == ["a\\x1b[31mred\\x1b[0m", "b\\x9bc", "ok"]


def test_json_escapes_control_characters_losslessly():
    import json

    text = format_rows(["v"], [[v] for v in EVIL], "json")
    assert "\x1b" not in text and "\x9b" not in text
    assert [row["v"] for row in json.loads(text)] == EVIL


def test_query_prints_a_title_with_escapes(capsys, graph):
    status, out, _ = run_cli(capsys, "query", str(graph), 'SELECT ?t WHERE { BIND ("标题\\u001b]0;pwned\\u0007" AS ?t) }')
    assert status == 0
    assert "\x1b" not in out and "\x07" not in out and "标题\\x1b]0;pwned\\x07" in out


# -- kg serve's arguments ----------------------------------------------------------------

@pytest.mark.parametrize("port", ["99999", "-1"])
def test_port_out_of_range(capsys, graph, port):
    status, _, err = run_cli(capsys, "serve", str(graph), "--port", port)
    assert status == 2
    assert err == f"kg: --port {port}: expected a port number from 0 to 65535 (0 picks a free one)\n"


def test_host_beyond_loopback_warns(capsys, tmp_path):
    # The graph is missing, so nothing is ever bound; the warning comes first.
    status, _, err = run_cli(capsys, "serve", str(tmp_path / "missing.ttl"), "--host", "0.0.0.0")
    lines = err.splitlines()
    assert status == 2 and len(lines) == 2
    assert lines[0].startswith("kg: warning: listening on 0.0.0.0 makes the endpoint reachable by other machines")
    assert "reverse proxy" in lines[0] and "no such graph" in lines[1]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_does_not_warn(capsys, tmp_path, host):
    _, _, err = run_cli(capsys, "serve", str(tmp_path / "missing.ttl"), "--host", host)
    assert "warning" not in err


def test_cli_defaults_are_the_limits():
    options = {a.dest: a.default for a in cli.parser()._subparsers._group_actions[0].choices["query"]._actions}
    assert (options["timeout"], options["max_rows"], options["max_memory"]) == (
        Limits.timeout, Limits.max_rows, Limits.memory_mb)


def test_errors_are_kg_errors():
    assert issubclass(QueryRefused, KGError) and issubclass(QueryCrash, QueryError)
    assert signal.SIGKILL  # workers are killed, never asked
