"""Scoring arithmetic on small hand-made gold files and graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import GoldError, GraphError
from kg.evaluate import (
    evaluate,
    format_table,
    format_verbose,
    load_gold,
    load_predictions,
    normalise,
    scores_to_json,
)

DOC = "000_abc"
CLASSES = {"agency": "Agency", "place": "Place", "programme": "Programme", "honour": "Honour"}


def gold_doc(doc: str = DOC, **parts) -> dict:
    """A gold record; ``parts`` gives entities/optional per type as {name: [aliases]}, runs and awarded."""
    return {
        "doc": doc,
        "district": {"name": parts.get("district", "镇海区"), "city": "宁波市", "province": "浙江省"},
        "year": parts.get("year", 2022),
        "entities": {t: [{"name": n, "aliases": a} for n, a in parts.get(t, {}).items()] for t in CLASSES},
        "optional": {t: [{"name": n, "aliases": a} for n, a in parts.get("opt_" + t, {}).items()] for t in CLASSES},
        "relations": {
            "runs": parts.get("runs", []),
            "awarded": [{"recipient": r, "honour": h} for r, h in parts.get("awarded", [])],
        },
    }


def report_ttl(doc: str = DOC, district: str | None = "镇海区", year: int | None = 2022, **parts) -> str:
    """Turtle for one report as `kg build` writes it; ``parts`` as in :func:`gold_doc`, aliases become altLabels."""
    r = f"<urn:report:{doc}>"
    lines = [f'{r} a lgkg:Report ; dcterms:source "seeds/{doc}.txt" .']
    if district:
        lines.append(f'{r} lgkg:reportingDistrict <urn:place:{district}> . <urn:place:{district}> a lgkg:Place ; rdfs:label "{district}"@zh-Hans .')
    if year:
        lines.append(f'{r} lgkg:reportYear "{year}"^^xsd:gYear .')
    node = {}
    for t, cls in CLASSES.items():
        for label, alts in parts.get(t, {}).items():
            node[label] = iri = f"<urn:{t}:{label}>"
            lines.append(f'{r} lgkg:mentions {iri} . {iri} a lgkg:{cls} ; rdfs:label "{label}"@zh-Hans .')
            lines += [f'{iri} skos:altLabel "{a}"@zh-Hans .' for a in alts]
    for i, name in enumerate(parts.get("runs", [])):
        lines.append(f'<urn:run:{doc}:{i}> a lgkg:ProgrammeParticipation ; prov:wasDerivedFrom {r} ; lgkg:programme {node[name]} .')
    for i, (rec, hon) in enumerate(parts.get("awarded", [])):
        lines.append(f'<urn:award:{doc}:{i}> a lgkg:HonourAward ; prov:wasDerivedFrom {r} ; lgkg:recipient {node[rec]} ; lgkg:honour {node[hon]} .')
    return "\n".join(lines) + "\n"


PREFIXES = """@prefix lgkg: <https://w3id.org/lgkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.fixture
def score(tmp_path: Path):
    """Write gold records and report Turtle to tmp_path and evaluate them."""

    def run(golds: list[dict], reports: list[str]):
        gold_dir = tmp_path / "gold"
        gold_dir.mkdir(exist_ok=True)
        for g in golds:
            (gold_dir / f"{g['doc']}.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
        graph = tmp_path / "graph.ttl"
        graph.write_text(PREFIXES + "".join(reports), encoding="utf-8")
        return evaluate(gold_dir, graph)

    return run


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("“八五”普法", "八五普法"),
        ("《民法典》", "民法典"),
        ("省级「枫桥式」司法所", "省级枫桥式司法所"),
        ("浙杭（宁波）律师事务所", "浙杭(宁波)律师事务所"),
        (" 镇海区\u3000司法局 ", "镇海区司法局"),
        ("'谁执法谁普法'", "谁执法谁普法"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_precision_recall_f1_arithmetic(score) -> None:
    gold = gold_doc(agency={"甲局": [], "乙局": [], "丙局": []})
    s = score([gold], [report_ttl(agency={"甲局": [], "乙局": [], "丁局": []})])
    a = s.types["agency"]
    assert (a.tp, a.fp, a.fn) == (2, 1, 1)
    assert a.precision == pytest.approx(2 / 3)
    assert a.recall == pytest.approx(2 / 3)
    assert a.f1 == pytest.approx(2 / 3)
    assert s.docs[0].misses["agency"] == ("丙局",)
    assert s.docs[0].false_hits["agency"] == ("丁局",)


def test_micro_average_over_docs(score) -> None:
    golds = [gold_doc("a", place={"甲镇": [], "乙镇": []}), gold_doc("b", place={"丙镇": []})]
    reports = [report_ttl("a", place={"甲镇": [], "乙镇": [], "丁镇": [], "戊镇": []}), report_ttl("b", place={"丙镇": []})]
    p = score(golds, reports).types["place"]
    assert (p.tp, p.fp, p.fn) == (3, 2, 0)
    assert (p.precision, p.recall, p.f1) == (pytest.approx(0.6), 1.0, pytest.approx(0.75))


@pytest.mark.parametrize(
    ("predicted", "tp", "fp", "fn"),
    [
        ({"镇海区司法局": []}, 1, 0, 0),  # exact
        ({"区司法局": []}, 1, 0, 0),  # alias
        ({"“区司法局”": []}, 1, 0, 0),  # alias after normalising
        ({"镇海区司法局": [], "区司法局": []}, 1, 1, 0),  # failure to merge: duplicate is FP
        ({"司法局": []}, 0, 1, 1),  # no match
        ({"人民日报": []}, 0, 0, 1),  # optional name: ignored
        ({"人民日报社": []}, 0, 0, 1),  # optional alias: ignored
        ({}, 0, 0, 1),
    ],
)
def test_entity_matching(score, predicted, tp, fp, fn) -> None:
    gold = gold_doc(agency={"镇海区司法局": ["区司法局", "我局"]}, opt_agency={"人民日报": ["人民日报社"]})
    a = score([gold], [report_ttl(agency=predicted)]).types["agency"]
    assert (a.tp, a.fp, a.fn) == (tp, fp, fn)


@pytest.mark.parametrize(
    ("predicted", "tp", "fp", "fn"),
    [
        ({"人民日报": []}, 0, 0, 1),  # optional given as a plain string: ignored
        ({"新华社": []}, 0, 1, 1),  # not optional: a false hit
    ],
)
def test_optional_items_as_plain_strings(score, predicted, tp, fp, fn) -> None:
    gold = gold_doc(agency={"镇海区司法局": []})
    gold["optional"]["agency"] = ["人民日报"]
    a = score([gold], [report_ttl(agency=predicted)]).types["agency"]
    assert (a.tp, a.fp, a.fn) == (tp, fp, fn)


def test_duplicate_is_reported_with_its_gold_entity(score) -> None:
    gold = gold_doc(agency={"镇海区司法局": ["区司法局"]})
    s = score([gold], [report_ttl(agency={"镇海区司法局": [], "区司法局": []})])
    assert s.docs[0].duplicates["agency"] == (("区司法局", "镇海区司法局"),)
    assert "区司法局 (duplicate of 镇海区司法局)" in format_verbose(s)


def test_exact_name_wins_and_matching_is_maximal(score) -> None:
    # "x" is an alias of both; "y" only of 甲. A greedy pass would pair x→甲 and leave y unmatched.
    gold = gold_doc(programme={"甲": ["x", "y"], "乙": ["x"]})
    p = score([gold], [report_ttl(programme={"x": [], "y": []})]).types["programme"]
    assert (p.tp, p.fp, p.fn) == (2, 0, 0)
    # the exact name takes its gold entity even when an alias of another sorts first
    gold = gold_doc(programme={"乙": ["甲"], "甲": []})
    doc = score([gold], [report_ttl(programme={"甲": []})]).docs[0]
    assert doc.misses["programme"] == ("乙",)


@pytest.mark.parametrize(
    ("runs", "tp", "fp", "fn"),
    [
        (["枫桥经验", "八五普法"], 2, 0, 0),
        (["新时代枫桥经验"], 1, 0, 1),  # alias from entities.programme
        (["枫桥经验", "新时代枫桥经验"], 1, 1, 1),  # duplicate
        (["习近平法治思想"], 0, 0, 2),  # optional programme
        (["智慧矫正"], 0, 1, 2),  # a gold programme the district does not run
    ],
)
def test_runs(score, runs, tp, fp, fn) -> None:
    gold = gold_doc(
        programme={"枫桥经验": ["新时代枫桥经验"], "八五普法": [], "智慧矫正": []},
        opt_programme={"习近平法治思想": []},
        runs=["枫桥经验", "八五普法"],
    )
    predicted = {name: [] for name in runs}
    r = score([gold], [report_ttl(programme=predicted, runs=runs)]).types["runs"]
    assert (r.tp, r.fp, r.fn) == (tp, fp, fn)


@pytest.mark.parametrize(
    ("pairs", "tp", "fp", "fn"),
    [
        ([("镇海区司法局", "全省先进集体")], 1, 0, 1),
        ([("区司法局", "先进集体")], 1, 0, 1),  # recipient and honour by alias
        ([("九龙湖", "全国民主法治示范村")], 0, 1, 2),  # recipient alias of an entity with another name
        ([("九龙湖村", "全国民主法治示范村"), ("镇海区司法局", "全省先进集体")], 2, 0, 0),
        ([("镇海区司法局", "全国民主法治示范村")], 0, 1, 2),  # wrong pairing
        ([("镇海区司法局", "省级枫桥式司法所")], 0, 0, 2),  # optional honour
        ([("镇海区司法局", "全省先进集体"), ("区司法局", "全省先进集体")], 1, 1, 1),  # duplicate
    ],
)
def test_awarded(score, pairs, tp, fp, fn) -> None:
    gold = gold_doc(
        agency={"镇海区司法局": ["区司法局"]},
        place={"九龙湖村": [], "九龙湖镇": ["九龙湖"]},
        honour={"全省先进集体": ["先进集体"], "全国民主法治示范村": []},
        opt_honour={"省级枫桥式司法所": []},
        awarded=[("镇海区司法局", "全省先进集体"), ("九龙湖村", "全国民主法治示范村")],
    )
    ents: dict[str, dict[str, list]] = {"agency": {}, "place": {}, "honour": {}}
    for rec, hon in pairs:
        ents["place" if "九龙湖" in rec else "agency"][rec] = []
        ents["honour"][hon] = []
    a = score([gold], [report_ttl(awarded=pairs, **ents)]).types["awarded"]
    assert (a.tp, a.fp, a.fn) == (tp, fp, fn)


def test_missing_doc_counts_all_gold_as_fn(score) -> None:
    golds = [
        gold_doc("a", agency={"甲局": []}, programme={"八五普法": []}, runs=["八五普法"]),
        gold_doc("b", agency={"乙局": [], "丙局": []}, honour={"先进集体": []}, awarded=[("乙局", "先进集体")]),
    ]
    s = score(golds, [report_ttl("a", agency={"甲局": []}, programme={"八五普法": []}, runs=["八五普法"]),
                      report_ttl("zzz_no_gold", agency={"丁局": []})])
    assert s.missing_docs == ("b",)
    counts = {t: (c.tp, c.fp, c.fn) for t, c in s.types.items()}
    assert counts == {"agency": (1, 0, 2), "place": (0, 0, 0), "programme": (1, 0, 0),
                      "honour": (0, 0, 1), "runs": (1, 0, 0), "awarded": (0, 0, 1)}
    assert (s.district_correct, s.year_correct) == (1, 1)
    assert "no report in the graph for b" in format_table(s)


@pytest.mark.parametrize(
    ("predicted", "correct"),
    [(("镇海区", 2022), (1, 1)), (("北仑区", 2023), (0, 0)), ((None, None), (0, 0))],
)
def test_district_and_year(score, predicted, correct) -> None:
    s = score([gold_doc()], [report_ttl(district=predicted[0], year=predicted[1])])
    assert (s.district_correct, s.year_correct) == correct


def test_load_predictions(tmp_path: Path) -> None:
    graph = tmp_path / "graph.ttl"
    graph.write_text(PREFIXES + report_ttl(agency={"镇海区司法局": ["区司法局"]}, place={"九龙湖镇": []}), encoding="utf-8")
    pred = load_predictions(graph)[DOC]
    assert pred.sources == (f"seeds/{DOC}.txt",)
    assert (pred.district, pred.year) == ("镇海区", 2022)
    assert pred.entities["agency"] == {"镇海区司法局": ("区司法局",)}
    assert pred.entities["place"] == {"九龙湖镇": ()}  # the district is a prediction only where it is mentioned
    assert pred.runs == frozenset() and pred.awarded == frozenset()


def test_a_report_read_from_two_files_counts_for_both_docs(tmp_path: Path) -> None:
    """The same text in two files is one report with two sources; each file's gold sees its mentions."""
    ttl = report_ttl(agency={"镇海区司法局": []}) + f'<urn:report:{DOC}> dcterms:source "mirror/copy_b.txt" .\n'
    (tmp_path / "graph.ttl").write_text(PREFIXES + ttl, encoding="utf-8")
    preds = load_predictions(tmp_path / "graph.ttl")
    assert set(preds) == {DOC, "copy_b"}
    assert preds["copy_b"].entities["agency"] == preds[DOC].entities["agency"] == {"镇海区司法局": ()}


def test_load_predictions_from_oxigraph_store(tmp_path: Path) -> None:
    import pyoxigraph

    store = pyoxigraph.Store(str(tmp_path / "store"))
    store.load(PREFIXES + report_ttl(agency={"甲局": []}), format=pyoxigraph.RdfFormat.TURTLE)
    store.flush()
    del store
    assert load_predictions(tmp_path / "store")[DOC].entities["agency"] == {"甲局": ()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not readable as UTF-8 JSON"),
        (json.dumps({"doc": DOC, "year": 2022}), "missing or malformed key 'district'"),
        (json.dumps({**gold_doc(), "relations": {"runs": []}}), "missing or malformed key 'awarded'"),
        (json.dumps({**gold_doc(), "doc": "other"}), "must be the file name"),
        (json.dumps({**gold_doc(), "year": "2022"}), "must be an integer"),
        (json.dumps({**gold_doc(), "entities": {"agency": [{"aliases": []}]}}), r"entities\.agency must be a list"),
        (json.dumps({**gold_doc(), "optional": {"agency": [3]}}), r"optional\.agency must be a list"),
    ],
)
def test_malformed_gold(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / f"{DOC}.json").write_text(text, encoding="utf-8")
    with pytest.raises(GoldError, match=message) as info:
        load_gold(tmp_path)
    assert f"{DOC}.json" in str(info.value) and "\n" not in str(info.value)


def test_empty_gold_dir(tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="no \\*.json gold files"):
        load_gold(tmp_path)


@pytest.mark.parametrize("content", [None, "this is not turtle <"])
def test_unreadable_graph(tmp_path: Path, content: str | None) -> None:
    graph = tmp_path / "graph.ttl"
    if content is not None:
        graph.write_text(content, encoding="utf-8")
    with pytest.raises(GraphError, match="graph.ttl: cannot read the graph"):
        load_predictions(graph)


def test_reports(score) -> None:
    gold = gold_doc(agency={"镇海区司法局": ["区司法局"], "宁波市司法局": []}, awarded=[])
    s = score([gold], [report_ttl(agency={"镇海区司法局": [], "司法局": []}, year=2021)])
    table = format_table(s).splitlines()
    assert table[0].split() == ["type", "P", "R", "F1", "tp", "fp", "fn"]
    assert table[1].split() == ["agency", "0.500", "0.500", "0.500", "1", "1", "1"]
    assert table[-2:] == ["district    1/1 correct", "year        0/1 correct"]
    verbose = format_verbose(s)
    assert "missed 宁波市司法局" in verbose and "false  司法局" in verbose
    data = json.loads(json.dumps(scores_to_json(s), ensure_ascii=False))
    assert data["types"]["agency"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert data["year"] == {"correct": 0, "total": 1, "accuracy": 0.0}
    assert data["docs"][DOC]["misses"]["agency"] == ["宁波市司法局"]
