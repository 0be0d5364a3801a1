"""SPARQL over a built graph: opening, shipped queries, bindings, output formats.

The graph is made here by hand with rdflib and the IRI helpers of
``kg.graph``: four reports from three districts (镇海区 twice), programmes that
overlap (八五普法 run by all three, 枫桥经验 by two — once through an agency —
and one programme unique to each), a city that runs a programme (it is not a
district), honours and agencies. ``make_graph`` is shared with
test_shared.py and test_serve.py.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import turtle_file
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import DCTERMS, PROV

from kg.errors import GraphError, QueryError
from kg.graph import bind_prefixes, entity_iri, place_iri, report_iri
from kg.query import (
    format_rows,
    list_queries,
    open_store,
    query_variables,
    resolve_query,
    run_query,
)
from kg.vocab import DATA, LGKG

# code, name, level, parent code
PLACES = [
    ("330000", "浙江省", "province", ""),
    ("330200", "宁波市", "city", "330000"),
    ("330211", "镇海区", "county", "330200"),
    ("350000", "福建省", "province", ""),
    ("350500", "泉州市", "city", "350000"),
    ("350502", "鲤城区", "county", "350500"),
    ("620000", "甘肃省", "province", ""),
    ("620100", "兰州市", "city", "620000"),
    ("620102", "城关区", "county", "620100"),
]
# source, title, year, district code
REPORTS = [
    ("corpus/zhenhai-2022.txt", "镇海区2022年法治政府建设年度报告", 2022, "330211"),
    ("corpus/zhenhai-2023.txt", "镇海区2023年法治政府建设年度报告", 2023, "330211"),
    ("corpus/licheng-2023.txt", "鲤城区2023年法治政府建设情况报告", 2023, "350502"),
    ("corpus/chengguan-2022.txt", "城关区2022年法治政府建设工作报告", 2022, "620102"),
]
# name, jurisdiction code
AGENCIES = [("镇海区司法局", "330211"), ("宁波市司法局", "330200"), ("鲤城区司法局", "350502"),
            ("城关区司法局", "620102")]
# source, participant ("place", code) or ("agency", name), programme, evidence
RUNS = [
    ("corpus/zhenhai-2022.txt", ("place", "330211"), "八五普法", "镇海区深入实施八五普法规划。"),
    ("corpus/zhenhai-2023.txt", ("place", "330211"), "八五普法", "镇海区八五普法中期评估优秀。"),
    # kg build names the reporting district as the participant, whichever of its bodies did the work
    ("corpus/zhenhai-2022.txt", ("place", "330211"), "枫桥经验", "区司法局坚持和发展新时代枫桥经验。"),
    ("corpus/zhenhai-2022.txt", ("place", "330211"), "镇海法治超市", "镇海区建成法治超市。"),
    ("corpus/zhenhai-2022.txt", ("place", "330200"), "枫桥经验", "宁波市推广枫桥经验。"),
    ("corpus/licheng-2023.txt", ("place", "350502"), "八五普法", "鲤城区推进八五普法。"),
    ("corpus/licheng-2023.txt", ("place", "350502"), "枫桥经验", "鲤城区践行枫桥经验。"),
    ("corpus/licheng-2023.txt", ("place", "350502"), "古城法律驿站", "鲤城区设立古城法律驿站。"),
    ("corpus/chengguan-2022.txt", ("place", "620102"), "八五普法", "城关区全面启动八五普法。"),
    ("corpus/chengguan-2022.txt", ("place", "620102"), "城关调解品牌", "城关区打造城关调解品牌。"),
]
# source, recipient, honour, year, evidence
HONOURS = [
    ("corpus/zhenhai-2022.txt", ("place", "330211"), "全国法治政府建设示范区", 2022,
     "镇海区被命名为全国法治政府建设示范区。"),
    ("corpus/licheng-2023.txt", ("agency", "鲤城区司法局"), "全国模范司法所", 2023,
     "鲤城区司法局获评全国模范司法所。"),
    ("corpus/chengguan-2022.txt", ("village", "某某村"), "全国民主法治示范村", 2022,
     "某某村获评全国民主法治示范村。"),
]
# source, mentioned agencies
MENTIONS = [
    ("corpus/zhenhai-2022.txt", ["镇海区司法局", "宁波市司法局"]),
    ("corpus/licheng-2023.txt", ["鲤城区司法局"]),
    ("corpus/chengguan-2022.txt", ["城关区司法局"]),
]


def zh(text: str) -> Literal:
    return Literal(text, lang="zh-Hans")


def make_graph() -> Graph:
    """The test graph, as ``kg build`` would shape it."""
    g = bind_prefixes(Graph())
    for code, name, level, parent in PLACES:
        node = place_iri(code)
        g.add((node, RDF.type, LGKG.Place))
        g.add((node, RDFS.label, zh(name)))
        g.add((node, LGKG.adcode, Literal(code)))
        g.add((node, LGKG.level, Literal(level)))
        if parent:
            g.add((node, LGKG.withinPlace, place_iri(parent)))
    village = entity_iri("place", "某某村", within="620102")
    g.add((village, RDF.type, LGKG.Place))
    g.add((village, RDFS.label, zh("某某村")))
    g.add((village, LGKG.withinPlace, place_iri("620102")))
    agencies = {}
    for name, code in AGENCIES:
        node = agencies[name] = entity_iri("agency", name, within=code)
        g.add((node, RDF.type, LGKG.Agency))
        g.add((node, RDFS.label, zh(name)))
        g.add((node, LGKG.jurisdiction, place_iri(code)))
    for source, title, year, code in REPORTS:
        report = report_iri(source)
        g.add((report, RDF.type, LGKG.Report))
        g.add((report, DCTERMS.source, Literal(source)))
        g.add((report, DCTERMS.title, zh(title)))
        g.add((report, LGKG.reportYear, Literal(year)))
        g.add((report, LGKG.reportingDistrict, place_iri(code)))
        g.add((report, LGKG.mentions, place_iri(code)))
    for source, names in MENTIONS:
        for name in names:
            g.add((report_iri(source), LGKG.mentions, agencies[name]))

    def subject(kind: str, key: str):
        return {"place": place_iri, "agency": agencies.__getitem__,
                "village": lambda _: village}[kind](key)

    def event(node, kind, cls, event_cls, role, link, shortcut, source, who, name, evidence):
        target, report = entity_iri(kind, name), report_iri(source)
        for triple in ((target, RDF.type, cls), (target, RDFS.label, zh(name)), (report, LGKG.mentions, target),
                       (node, RDF.type, event_cls), (node, role, who), (node, link, target),
                       (node, PROV.wasDerivedFrom, report), (node, LGKG.evidence, Literal(evidence)),
                       (who, shortcut, target)):
            g.add(triple)

    for n, (source, (kind, key), programme, evidence) in enumerate(RUNS):
        event(DATA[f"participation/{n}"], "programme", LGKG.Programme, LGKG.ProgrammeParticipation,
              LGKG.participant, LGKG.programme, LGKG.runsProgramme, source, subject(kind, key), programme, evidence)
    for n, (source, (kind, key), honour, year, evidence) in enumerate(HONOURS):
        event(DATA[f"award/{n}"], "honour", LGKG.Honour, LGKG.HonourAward, LGKG.recipient, LGKG.honour,
              LGKG.receivedHonour, source, subject(kind, key), honour, evidence)
        g.add((DATA[f"award/{n}"], LGKG.year, Literal(year)))
    return g


def write_graph(folder: Path) -> Path:
    return turtle_file(make_graph(), folder)


@pytest.fixture(scope="module")
def graph_ttl(tmp_path_factory) -> Path:
    return write_graph(tmp_path_factory.mktemp("graph"))


@pytest.fixture(scope="module")
def store(graph_ttl) -> ox.Store:
    return open_store(graph_ttl)


def ask(store, name, **bindings):
    return run_query(store, resolve_query(name), bindings)


# -- opening graphs -----------------------------------------------------------


def test_open_turtle(store):
    assert len(store) == len(make_graph())


def test_open_ntriples(tmp_path):
    path = tmp_path / "graph.nt"
    make_graph().serialize(path, format="nt", encoding="utf-8")
    assert len(open_store(path)) == len(make_graph())


def test_open_build_folder(graph_ttl):
    assert len(open_store(graph_ttl.parent)) == len(make_graph())


def test_open_oxigraph_store_read_only(tmp_path, graph_ttl):
    folder = tmp_path / "store"
    disk = ox.Store(str(folder))
    disk.bulk_load(path=str(graph_ttl), format=ox.RdfFormat.TURTLE)
    disk.flush()
    del disk
    store = open_store(folder)
    assert ask(store, "shared-programmes")[1][0][:2] == ["八五普法", "3"]
    with pytest.raises(RuntimeError, match="read-write"):
        store.update("INSERT DATA { <http://x> <http://y> <http://z> }")


@pytest.mark.parametrize("make, match", [
    (lambda p: p / "missing.ttl", r"missing\.ttl: no such graph; give the graph\.ttl"),
    (lambda p: (p / "bad.ttl").write_text("@prefix : <http://x/> . :a :b", encoding="utf-8") and p / "bad.ttl",
     r"bad\.ttl: not valid Turtle \(.*line 1.*\); give"),
    (lambda p: p, r"neither an Oxigraph store nor holds graph\.ttl"),
])
def test_open_errors(tmp_path, make, match):
    with pytest.raises(GraphError, match=match) as info:
        open_store(make(tmp_path))
    assert "\n" not in str(info.value)


# -- shipped queries ------------------------------------------------------------


def test_every_shipped_query_is_described_and_runs(store):
    queries = list_queries()
    assert {"programmes-by-district", "districts-by-programme", "honours-by-district",
            "agencies-by-district", "shared-programmes", "reports", "participations"} <= set(queries)
    for name, description in queries.items():
        assert description and not description.startswith("#"), name
        header, _ = run_query(store, resolve_query(name), {})
        assert header, name


@pytest.mark.parametrize("name, variables", [
    ("programmes-by-district", ["district"]),
    ("districts-by-programme", ["programme"]),
    ("honours-by-district", ["district"]),
    ("agencies-by-district", ["district"]),
])
def test_descriptions_name_the_bindable_variables(store, name, variables):
    for variable in variables:
        assert f"?{variable}" in list_queries()[name]
        # Oxigraph substitutes only projected variables.
        header, _ = run_query(store, resolve_query(name), {variable: "无"})
        assert variable in header


def test_programmes_by_district(store):
    header, rows = ask(store, "programmes-by-district", district="镇海区")
    assert header == ["district", "programme", "year", "evidence"]
    assert rows == [
        ["镇海区", "八五普法", "2022", "镇海区深入实施八五普法规划。"],
        ["镇海区", "八五普法", "2023", "镇海区八五普法中期评估优秀。"],
        ["镇海区", "枫桥经验", "2022", "区司法局坚持和发展新时代枫桥经验。"],
        ["镇海区", "镇海法治超市", "2022", "镇海区建成法治超市。"],
    ]


def test_districts_by_programme(store):
    header, rows = ask(store, "districts-by-programme", programme="八五普法")
    assert header == ["programme", "district", "adcode", "years"]
    assert {(r[1], r[2]) for r in rows} == {("镇海区", "330211"), ("鲤城区", "350502"), ("城关区", "620102")}
    assert sorted(rows[0][3].split(", ")) == ["2022", "2023"]  # a list, in no fixed order
    # 宁波市 runs 枫桥经验 too, but a city is not a district.
    _, rows = ask(store, "districts-by-programme", programme="枫桥经验")
    assert [r[1] for r in rows] == ["镇海区", "鲤城区"]


@pytest.mark.parametrize("district, expected", [
    ("镇海区", [["镇海区", "镇海区", "全国法治政府建设示范区", "2022"]]),
    ("鲤城区", [["鲤城区", "鲤城区司法局", "全国模范司法所", "2023"]]),
    ("城关区", [["城关区", "某某村", "全国民主法治示范村", "2022"]]),
])
def test_honours_by_district(store, district, expected):
    header, rows = ask(store, "honours-by-district", district=district)
    assert header == ["district", "recipient", "honour", "year"]
    assert rows == expected


def test_agencies_by_district(store):
    header, rows = ask(store, "agencies-by-district", district="镇海区")
    assert header == ["district", "agency", "jurisdiction"]
    # Its own agency, and the city's agency mentioned in its report.
    assert rows == [["镇海区", "宁波市司法局", "宁波市"], ["镇海区", "镇海区司法局", "镇海区"]]


def test_shared_programmes_query(store):
    header, rows = ask(store, "shared-programmes")
    assert header == ["programme", "districts", "names"]
    assert [r[:2] for r in rows] == [["八五普法", "3"], ["枫桥经验", "2"]]
    assert set(rows[0][2].split(", ")) == {"镇海区", "鲤城区", "城关区"}
    assert set(rows[1][2].split(", ")) == {"镇海区", "鲤城区"}


def test_reports(store):
    header, rows = ask(store, "reports")
    assert header == ["source", "title", "year", "district", "adcode"]
    assert rows == [[s, t, str(y), dict((c, n) for c, n, *_ in PLACES)[code], code]
                    for s, t, y, code in sorted(REPORTS)]


# -- bindings -------------------------------------------------------------------


@pytest.mark.parametrize("value", ['镇海区" } #', "镇海区' } UNION { ?s ?p ?o }", "}{", "?district", "\\", ""])
def test_values_are_bound_never_formatted(store, value):
    header, rows = ask(store, "programmes-by-district", district=value)
    assert header[0] == "district"
    assert rows == []


def test_bound_value_matches_exactly(store):
    assert ask(store, "programmes-by-district", district="镇海")[1] == []
    assert len(ask(store, "programmes-by-district", district="城关区")[1]) == 2


def test_unknown_binding(store):
    with pytest.raises(QueryError, match=r"--bind county: the query has no variable \?county; "
                                         r"its variables are \?district, .*\?programme"):
        ask(store, "programmes-by-district", county="镇海区")


@pytest.mark.parametrize("query, name, projected", [
    ("#@bind v\nSELECT ?s WHERE { ?s ?p ?v }", "v", r"\?s"),
    ("#@bind place\nSELECT ?district WHERE { ?place <http://www.w3.org/2000/01/rdf-schema#label> ?district }",
     "place", r"\?district"),
])
def test_binding_not_projected(store, query, name, projected):
    with pytest.raises(QueryError, match=rf"--bind {name}: only variables in the SELECT clause can be bound, "
                                         rf"and \?{name} is not; add it there, or bind one of {projected}$"):
        run_query(store, query, {name: "镇海区"})


@pytest.mark.parametrize("query, expected", [
    ('SELECT ?a WHERE { ?a <http://x/?q> "?b" } # ?c', ["a"]),
    ("SELECT $x ?y WHERE { $x ?p ?y . ?y <p>? ?z }", ["x", "y", "p", "z"]),
    ("SELECT ?名称 WHERE { ?s ?p ?名称 }", ["名称", "s", "p"]),
    ("SELECT * WHERE { ?s ?p '''multi\n?line''' }", ["s", "p"]),
])
def test_query_variables(query, expected):
    assert query_variables(query) == expected


# -- query text -----------------------------------------------------------------


def test_text_query(store):
    header, rows = run_query(store, "PREFIX lgkg: <https://w3id.org/lgkg/ontology#>\n"
                                    "SELECT (COUNT(*) AS ?n) WHERE { ?r a lgkg:Report }", {})
    assert (header, rows) == (["n"], [["4"]])


def test_file_query(store, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("# reports of a district\n#@bind district zh-Hans\n"
                    "SELECT ?district ?r WHERE { ?place <http://www.w3.org/2000/01/rdf-schema#label> ?district . "
                    "?r <https://w3id.org/lgkg/ontology#reportingDistrict> ?place }", encoding="utf-8")
    header, rows = run_query(store, resolve_query(f"@{path}"), {"district": "镇海区"})
    assert header == ["district", "r"] and len(rows) == 2
    assert {row[0] for row in rows} == {"镇海区"}


def test_missing_query_file():
    with pytest.raises(QueryError, match=r"nope\.rq: cannot read the query file"):
        resolve_query("@nope.rq")


def test_shipped_name_with_extension():
    assert resolve_query("reports.rq") == resolve_query("reports")


def test_ask_and_construct(store):
    assert run_query(store, "ASK { ?s ?p ?o }", {}) == (["ask"], [["true"]])
    header, rows = run_query(store, "CONSTRUCT { ?s <http://x/y> 1 } WHERE { ?s a "
                                    "<https://w3id.org/lgkg/ontology#Report> }", {})
    assert header == ["subject", "predicate", "object"] and len(rows) == 4


@pytest.mark.parametrize("query", ["SELEC ?x WHERE { }", "SELECT ?x WHERE { ?x ?p }",
                                   "SELECT ?x WHERE {\n ?x <p> ?y \n"])
def test_syntax_error(store, query):
    with pytest.raises(QueryError, match=r"^the query does not parse: ") as info:
        run_query(store, query, {})
    assert "\n" not in str(info.value)


def test_empty_query():
    with pytest.raises(QueryError, match=r"empty query; give SPARQL text, @FILE\.rq or one of: .*reports"):
        resolve_query("  ")


# -- output formats ---------------------------------------------------------------


def test_table_is_aligned_for_chinese():
    text = format_rows(["名称", "n"], [["八五普法", "3"], ["ab", "12"]])
    assert text.splitlines() == ["名称      n", "--------  --", "八五普法  3", "ab        12"]


def test_csv(store):
    header, rows = ask(store, "programmes-by-district", district="城关区")
    parsed = list(csv.reader(io.StringIO(format_rows(header, rows, "csv"))))
    assert parsed[0] == header
    assert parsed[1:] == rows


def test_json(store):
    header, rows = ask(store, "districts-by-programme", programme="枫桥经验")
    data = json.loads(format_rows(header, rows, "json"))
    assert [d["district"] for d in data] == ["镇海区", "鲤城区"]
    assert set(data[0]) == {"programme", "district", "adcode", "years"}


def test_unknown_format():
    with pytest.raises(QueryError, match=r"unknown output format 'xml'; use one of table, csv, json"):
        format_rows(["a"], [], "xml")
