"""The read-only SPARQL endpoint, run in a thread on a free port of 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from test_query import write_graph

from kg.errors import GraphError, KGError
from kg.serve import make_server

PREFIX = "PREFIX lgkg: <https://w3id.org/lgkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
DISTRICTS = PREFIX + "SELECT ?name WHERE { ?r lgkg:reportingDistrict/rdfs:label ?l BIND (STR(?l) AS ?name) } " \
                     "GROUP BY ?name ORDER BY ?name"
NAMES = ["城关区", "镇海区", "鲤城区"]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    server = make_server(write_graph(tmp_path_factory.mktemp("graph")), port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def call(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def get(endpoint: str, query: str, accept: str | None = None, **params: str):
    return call(f"{endpoint}?{urlencode({'query': query, **params})}", headers={"Accept": accept} if accept else {})


def json_names(body: bytes) -> list[str]:
    return [b["name"]["value"] for b in json.loads(body)["results"]["bindings"]]


def test_listens_on_localhost(endpoint):
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/query")


def test_get_json_by_default(endpoint):
    status, media, body = get(endpoint, DISTRICTS)
    assert (status, media) == (200, "application/sparql-results+json")
    assert json_names(body) == NAMES


@pytest.mark.parametrize("accept, media", [
    ("text/csv", "text/csv"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html;q=0.9, text/csv;q=0.5, */*;q=0.1", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("application/*", "application/sparql-results+json"),
])
def test_format_by_accept(endpoint, accept, media):
    status, got, body = get(endpoint, DISTRICTS, accept)
    assert (status, got) == (200, media)
    text = body.decode("utf-8")
    assert all(name in text for name in NAMES)
    if media == "text/csv":
        assert list(csv.reader(io.StringIO(text))) == [["name"], *([n] for n in NAMES)]


def test_not_acceptable(endpoint):
    status, _, body = get(endpoint, DISTRICTS, "image/png")
    assert status == 406
    assert b"application/sparql-results+json" in body


def test_post_query_body(endpoint):
    status, media, body = call(endpoint, data=DISTRICTS.encode("utf-8"),
                               headers={"Content-Type": "application/sparql-query"})
    assert (status, media) == (200, "application/sparql-results+json")
    assert json_names(body) == NAMES


def test_post_form(endpoint):
    status, media, body = call(endpoint, data=urlencode({"query": DISTRICTS}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"})
    assert (status, media) == (200, "text/csv")
    assert body.decode("utf-8").split() == ["name", *NAMES]


def test_ask(endpoint):
    status, _, body = get(endpoint, PREFIX + "ASK { ?r a lgkg:Report }")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_construct_gives_turtle(endpoint):
    status, media, body = get(endpoint, PREFIX + "CONSTRUCT WHERE { ?r a lgkg:Report }")
    assert (status, media) == (200, "text/turtle")
    assert body.count(b"ontology#Report") == 4


UPDATE = "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }"


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_update_refused(endpoint, how):
    if how == "get":
        status, _, body = call(f"{endpoint}?{urlencode({'update': UPDATE})}")
    elif how == "form":
        status, _, body = call(endpoint, data=urlencode({"update": UPDATE}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        status, _, body = call(endpoint, data=UPDATE.encode(), headers={"Content-Type": "application/sparql-update"})
    assert status == 403
    assert b"read-only" in body
    # Nothing was written.
    assert json.loads(get(endpoint, "ASK { <http://x/a> ?p ?o }")[2])["boolean"] is False


def test_update_as_query_is_a_bad_query(endpoint):
    status, _, body = get(endpoint, UPDATE)
    assert status == 400
    assert body.startswith(b"the query does not parse: ")


@pytest.mark.parametrize("query", ["SELEC ?x WHERE { }", "SELECT ?x WHERE { ?x ?p }"])
def test_bad_query(endpoint, query):
    status, media, body = get(endpoint, query)
    assert (status, media) == (400, "text/plain")
    assert body.decode("utf-8").startswith("the query does not parse: ")


def test_missing_query(endpoint):
    status, _, body = call(endpoint)
    assert status == 400 and b"query=" in body


@pytest.mark.parametrize("path", ["/", "/sparql", "/query/x", "/update"])
def test_other_paths(endpoint, path):
    status, _, _ = call(endpoint.removesuffix("/query") + path + "?" + urlencode({"query": DISTRICTS}))
    assert status == 404


def test_other_methods(endpoint):
    status, _, _ = call(endpoint, data=b"x", method="PUT")
    assert status == 405


def test_unsupported_content_type(endpoint):
    status, _, _ = call(endpoint, data=b"{}", headers={"Content-Type": "application/json"})
    assert status == 415


def test_missing_graph(tmp_path):
    with pytest.raises(GraphError, match="no such graph"):
        make_server(tmp_path / "missing.ttl", port=0)


def test_port_in_use(endpoint, tmp_path):
    port = int(endpoint.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(KGError, match=rf"cannot listen on 127\.0\.0\.1:{port} .*--port"):
        make_server(write_graph(tmp_path), port=port)
