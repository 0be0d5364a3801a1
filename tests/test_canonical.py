"""Canonicalisation across surface forms and reports: one node per real entity."""

import pytest
from rdflib import RDFS, SKOS, Graph, Literal

from kg.build import build
from kg.graph import entity_iri, place_iri
from kg.vocab import LGKG

SIMPLIFIED = """镇海区司法局2022年工作总结
2022年,我局在区委领导和市司法局指导下,深入推进“八五”普法,落实八五普法规划,坚持和发展新时代“枫桥经验”。宁波各地积极参与。
镇海区司法局
2023年1月5日
"""
TRADITIONAL = """鎮海區司法局2023年工作總結
2023年,區司法局堅持發展楓橋經驗,推進八五普法。
"""


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "a.txt").write_text(SIMPLIFIED, encoding="utf-8")
    (corpus / "b.txt").write_bytes(TRADITIONAL.encode("big5"))
    out = tmp_path_factory.mktemp("out")
    build([corpus], out, jobs=1, quiet=True, use_cache=False)
    return Graph().parse(out / "graph.ttl", format="turtle")


@pytest.mark.parametrize(
    ("kind", "canonical", "forms"),
    [
        ("programme", "枫桥经验", {("楓橋經驗", "zh-Hant")}),
        ("programme", "八五普法", {("“八五”普法", "zh-Hans")}),
    ],
)
def test_variants_are_one_node_with_alt_labels(graph, kind, canonical, forms):
    node = entity_iri(kind, canonical)
    assert graph.value(node, RDFS.label) == Literal(canonical, lang="zh-Hans")
    alt = {(str(o), o.language) for o in graph.objects(node, SKOS.altLabel)}
    assert forms <= alt
    assert len(set(graph.subjects(LGKG.mentions, node))) == 2  # both reports, one node


@pytest.mark.parametrize(
    ("canonical", "surface"),
    [("镇海区司法局", "区司法局"), ("镇海区司法局", "我局"), ("宁波市司法局", "市司法局"), ("镇海区委", "区委")],
)
def test_short_agency_forms_resolve_in_the_district(graph, canonical, surface):
    nodes = list(graph.subjects(RDFS.label, Literal(canonical, lang="zh-Hans")))
    assert len(nodes) == 1
    assert surface in {str(o) for o in graph.objects(nodes[0], SKOS.altLabel)}


def test_bare_city_name_is_the_city_with_its_code(graph):
    city = place_iri("330200")
    assert graph.value(city, RDFS.label) == Literal("宁波市", lang="zh-Hans")
    assert graph.value(city, LGKG.adcode) == Literal("330200")
    assert "宁波" in {str(o) for o in graph.objects(city, SKOS.altLabel)}
