"""Graph building and export on hand-made extraction records."""

import networkx as nx
import pytest
from rdflib import RDFS, Graph, Literal
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg.export import to_networkx, write_graphml, write_turtle
from kg.graph import build_graph, entity_iri, place_iri
from kg.ontology import validate
from kg.types import Extraction, Mention, Metadata, Relation
from kg.vocab import LGKG


def mention(kind, canonical, surface=None, original=None, code="", parent=""):
    surface = surface or canonical
    return Mention(kind, canonical, surface, original or surface, 0, len(surface), code, parent)


@pytest.fixture()
def extractions(gaz):
    one = Extraction(
        source="corpus/a.txt", sha256="a", encoding="utf-8", script="simplified",
        metadata=Metadata(title="城关区司法局2022年工作总结", issued="2023-01-10", year=2022,
                          district=gaz.by_code["620102"]),
        mentions=(
            mention("place", "兰州市", code="620100"),
            mention("agency", "城关区司法局", "区司法局", parent="城关区"),
            mention("programme", "八五普法", "“八五”普法"),
            mention("honour", "全国民主法治示范村"),
            mention("place", "某某村", parent="城关区"),
        ),
        relations=(
            Relation("runs", "place", "城关区", "八五普法", "深入推进“八五”普法。", 10, 21,
                     original_start=10, original_end=21),
            Relation("awarded", "place", "某某村", "全国民主法治示范村", "某某村获评全国民主法治示范村。", 30, 45,
                     year=2022, original_start=30, original_end=45),
        ),
    )
    two = Extraction(
        source="corpus/b.txt", sha256="b", encoding="big5", script="traditional",
        metadata=Metadata(title="", year=2023, district=gaz.by_code["350502"]),
        mentions=(mention("programme", "八五普法", "八五普法", "八五普法"),
                  mention("programme", "枫桥经验", "枫桥经验", "楓橋經驗")),
        relations=(Relation("runs", "place", "鲤城区", "枫桥经验", "坚持发展楓橋經驗。", 0, 9,
                            original_start=0, original_end=9),),
    )
    return [one, two]


def test_graph_conforms_to_the_shapes(extractions):
    conforms, report = validate(build_graph(extractions))
    assert conforms, report


def test_one_node_per_entity_across_reports(extractions):
    g = build_graph(extractions)
    programme = entity_iri("programme", "八五普法")
    assert len(set(g.subjects(LGKG.mentions, programme))) == 2
    assert (programme, RDFS.label, Literal("八五普法", lang="zh-Hans")) in g


def test_traditional_forms_are_kept_as_zh_hant(extractions):
    g = build_graph(extractions)
    labels = set(g.objects(entity_iri("programme", "枫桥经验"), None))
    assert Literal("楓橋經驗", lang="zh-Hant") in labels


def test_district_chain_and_codes(extractions):
    g = build_graph(extractions)
    district = place_iri("620102")
    assert g.value(district, LGKG.adcode) == Literal("620102")
    assert g.value(g.value(district, LGKG.withinPlace), LGKG.withinPlace) == place_iri("620000")


def test_agency_has_its_jurisdiction(extractions):
    g = build_graph(extractions)
    agencies = list(g.subjects(RDFS.label, Literal("城关区司法局", lang="zh-Hans")))
    assert len(agencies) == 1 and g.value(agencies[0], LGKG.jurisdiction) == place_iri("620102")


def test_same_input_in_another_order_gives_the_same_graph(extractions):
    a, b = build_graph(extractions), build_graph(list(reversed(extractions)))
    if not isomorphic(a, b):
        _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        pytest.fail(f"graphs differ:\n{only_a.serialize(format='nt')}\n---\n{only_b.serialize(format='nt')}")


def test_turtle_round_trip(extractions, tmp_path):
    g = build_graph(extractions)
    write_turtle(g, tmp_path / "g.ttl")
    assert isomorphic(g, Graph().parse(tmp_path / "g.ttl", format="turtle"))
    import pyoxigraph

    assert len(list(pyoxigraph.parse(path=str(tmp_path / "g.ttl"), format=pyoxigraph.RdfFormat.TURTLE))) == len(g)


def test_graphml_for_gephi(extractions, tmp_path):
    write_graphml(build_graph(extractions), tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() > 0
    for _, data in back.nodes(data=True):
        assert data["label"] and data["type"] in {"Report", "Agency", "Place", "Programme", "Honour"}
        assert isinstance(data["r"], int) and isinstance(data["size"], float)
    assert all(data["label"] for *_, data in back.edges(data=True))
    text = (tmp_path / "g.graphml").read_text(encoding="utf-8")
    assert 'id="d3"' not in text and 'id="d7"' not in text  # yEd's ids, which Gephi hard-codes


def test_networkx_attributes_are_plain(extractions):
    nxg = to_networkx(build_graph(extractions))
    for _, data in nxg.nodes(data=True):
        assert all(type(v) in (str, int, float, bool) for v in data.values())
    assert {d["label"] for *_, d in nxg.edges(data=True)} >= {"mentions", "runsProgramme", "withinPlace"}


def test_extra_formats(extractions, tmp_path):
    from kg.export import write_formats

    g = build_graph(extractions)
    written = write_formats(g, to_networkx(g), tmp_path, ["nt", "jsonld", "gexf", "csv"])
    assert written == ["graph.nt", "graph.jsonld", "graph.gexf", "nodes.csv", "edges.csv"]
    assert isomorphic(g, Graph().parse(tmp_path / "graph.nt", format="nt"))
    assert isomorphic(g, Graph().parse(tmp_path / "graph.jsonld", format="json-ld"))
    gexf = nx.read_gexf(tmp_path / "graph.gexf")
    assert gexf.number_of_nodes() == to_networkx(g).number_of_nodes()
    assert "viz:color" in (tmp_path / "graph.gexf").read_text(encoding="utf-8")
    assert (tmp_path / "nodes.csv").read_text(encoding="utf-8").startswith("Id,Label,")


def test_relations_that_name_no_node_are_reported(gaz) -> None:
    ex = Extraction(
        source="corpus/c.txt", sha256="c", encoding="utf-8", script="simplified",
        metadata=Metadata(title="", year=2023, district=gaz.by_code["620102"]),
        mentions=(mention("programme", "八五普法"),),
        relations=(Relation("runs", "place", "城关区", "枫桥经验", "坚持发展枫桥经验。", 0, 9, original_start=0, original_end=9),
                   Relation("awarded", "agency", "某局", "全国模范司法所", "某局获评。", 0, 5, original_start=0, original_end=5)),
    )
    unlinked: list[dict[str, str]] = []
    build_graph([ex], gaz=gaz, unlinked=unlinked)
    assert unlinked == [
        {"source": "corpus/c.txt", "kind": "runs", "subject": "城关区", "object": "枫桥经验", "missing": "programme"},
        {"source": "corpus/c.txt", "kind": "awarded", "subject": "某局", "object": "全国模范司法所", "missing": "subject"},
    ]


def test_evidence_offsets_are_the_original_texts(gaz) -> None:
    """The recognisers' offsets (normalised text) and the file's offsets are separate fields."""
    ex = Extraction(
        source="corpus/d.txt", sha256="d", encoding="utf-8", script="simplified",
        metadata=Metadata(title="", year=2023, district=gaz.by_code["620102"]),
        mentions=(mention("programme", "八五普法"),),
        relations=(Relation("runs", "place", "城关区", "八五普法", "推进八五普法。", 3, 10,
                            original_start=40, original_end=47),),
    )
    g = build_graph([ex], gaz=gaz)
    starts = {int(o) for o in g.objects(None, LGKG.evidenceStart)}
    assert starts == {40}


def test_an_untitled_report_is_labelled_after_its_first_file() -> None:
    from rdflib import RDF, Literal, URIRef
    from rdflib.namespace import DCTERMS

    g = Graph()
    report = URIRef("https://w3id.org/lgkg/id/report/x")
    g.add((report, RDF.type, LGKG.Report))
    for source in ("z/mirror.txt", "a/report.txt", "m/copy.txt"):
        g.add((report, DCTERMS.source, Literal(source)))
    assert to_networkx(g).nodes[str(report)]["label"] == "report"
