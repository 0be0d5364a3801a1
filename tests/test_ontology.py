"""The ontology, its generated namespace, and the SHACL shapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg import ontology
from kg.errors import KGError
from kg.ontology import (
    NAMESPACE,
    ONTOLOGY_DIR,
    ONTOLOGY_FILE,
    SHAPES_FILE,
    VOCAB_FILE,
    load_ontology,
    load_shapes,
    ontology_terms,
    render_vocab,
    validate,
)
from kg.vocab import DATA, LGKG

PACKAGE_DIR = Path(ontology.__file__).resolve().parent
TERMS = ontology_terms(load_ontology())  # at import: the parametrised tests need the names
ZH = "zh-Hans"


@pytest.fixture(scope="session")
def onto() -> Graph:
    return load_ontology()


# --- the generated namespace ---------------------------------------------------------


def test_vocab_module_is_generated_from_the_ontology():
    assert VOCAB_FILE.read_text(encoding="utf-8") == render_vocab(ONTOLOGY_FILE), (
        "kg/vocab.py is out of date with ontology/lgkg.ttl; run: .venv/bin/python -m kg.ontology"
    )


def test_render_vocab_is_deterministic():
    assert render_vocab(ONTOLOGY_FILE) == render_vocab(ONTOLOGY_FILE)


def test_vocab_lists_every_term():
    assert set(TERMS) >= {"Report", "Agency", "Place", "Programme", "Honour",
                          "ProgrammeParticipation", "HonourAward", "evidenceStart", "conferredBy"}
    for name in TERMS:
        assert name in LGKG
        assert getattr(LGKG, name) == URIRef(NAMESPACE + name)


def _package_sources() -> list[Path]:
    return sorted(p for p in (*PACKAGE_DIR.rglob("*.py"), *PACKAGE_DIR.rglob("*.rq"))
                  if p.name not in {"vocab.py", "ontology.py"})  # the generated module, its template


_USES = (re.compile(r"\bLGKG\.([A-Za-z]\w*)"), re.compile(r"\bLGKG\[\s*[\"'](\w+)[\"']\s*\]"),
         re.compile(r"(?<![\w/#])lgkg:([A-Za-z]\w*)"))


def _used_terms() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in _package_sources():
        text = path.read_text(encoding="utf-8")
        for pattern in _USES:
            for name in pattern.findall(text):
                used.setdefault(name, set()).add(str(path.relative_to(PACKAGE_DIR.parent)))
    return used


def test_every_term_the_package_uses_is_in_the_ontology():
    used = _used_terms()
    assert {"Report", "adcode"} <= set(used), "the scan found no LGKG uses; is the pattern broken?"
    unknown = {name: sorted(files) for name, files in used.items() if name not in TERMS}
    assert not unknown, f"terms used in kg/ but not declared in ontology/lgkg.ttl: {unknown}"


@pytest.mark.parametrize("name", ["nonsense", "Agencies", "reportingdistrict", "evidence_start"])
def test_undefined_term_fails_loudly(name):
    with pytest.raises(AttributeError, match=name):
        getattr(LGKG, name)
    with pytest.raises(AttributeError, match=name):
        LGKG[name]


def test_data_namespace():
    assert str(DATA) == "https://w3id.org/lgkg/id/"
    assert not str(DATA).startswith(NAMESPACE)


def test_main_writes_and_checks(tmp_path, capsys):
    out = tmp_path / "vocab.py"
    assert ontology.main(["--check", "--output", str(out)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert ontology.main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_vocab(ONTOLOGY_FILE)
    assert ontology.main(["--check", "--output", str(out)]) == 0
    assert ontology.main(["--check"]) == 0  # the checked-in module


# --- the ontology files ----------------------------------------------------------------


def test_ontology_dir_is_the_repository_folder():
    assert ONTOLOGY_DIR == PACKAGE_DIR.parent / "ontology"
    assert ONTOLOGY_FILE.is_file() and SHAPES_FILE.is_file()


@pytest.mark.parametrize("path", [ONTOLOGY_FILE, SHAPES_FILE], ids=lambda p: p.name)
def test_parses_with_rdflib_and_oxigraph(path):
    g = Graph().parse(path, format="turtle")
    triples = list(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) == len(g) > 50
    store = pyoxigraph.Store()
    store.load(path=path, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(g)


def test_ontology_header(onto):
    header = URIRef(NAMESPACE.rstrip("#"))
    assert (header, RDF.type, OWL.Ontology) in onto
    assert onto.value(header, OWL.versionInfo) is not None


@pytest.mark.parametrize("name", sorted(TERMS))
@pytest.mark.parametrize("prop", [RDFS.label, RDFS.comment], ids=["label", "comment"])
def test_every_term_is_documented_in_both_languages(onto, name, prop):
    values = [v for v in onto.objects(LGKG[name], prop) if isinstance(v, Literal)]
    for lang in (ZH, "en"):
        assert [v for v in values if v.language == lang and str(v).strip()], \
            f"lgkg:{name} has no {onto.qname(prop)} @{lang}"
    assert (LGKG[name], RDFS.isDefinedBy, URIRef(NAMESPACE.rstrip("#"))) in onto


def _classes_in(g: Graph, node) -> set:
    """The named classes in ``node``, looking inside owl:unionOf lists."""
    if isinstance(node, URIRef):
        return {node}
    members = g.value(node, OWL.unionOf)
    return {m for m in g.items(members)} if members is not None else set()


def test_domains_and_ranges_name_declared_terms(onto):
    for prop in (RDFS.domain, RDFS.range, RDFS.subClassOf):
        for s, o in onto.subject_objects(prop):
            if isinstance(s, URIRef) and s.startswith(NAMESPACE):
                for cls in _classes_in(onto, o):
                    if cls.startswith(NAMESPACE):
                        assert TERMS.get(cls[len(NAMESPACE):]) == OWL.Class, f"{s} {prop} {cls}"


@pytest.mark.parametrize("name", sorted(n for n, k in TERMS.items() if k != OWL.Class))
def test_every_property_has_a_domain_and_range(onto, name):
    assert onto.value(LGKG[name], RDFS.domain) is not None
    assert onto.value(LGKG[name], RDFS.range) is not None


@pytest.mark.parametrize("name", ["adcode", "evidence", "evidenceStart", "evidenceEnd", "year", "reportYear",
                                  "level", "encoding", "script"])
def test_datatype_properties(name):
    assert TERMS[name] == OWL.DatatypeProperty


def test_missing_ontology_names_the_path(monkeypatch, tmp_path):
    missing = tmp_path / "ontology" / "lgkg.ttl"
    monkeypatch.setattr(ontology, "ONTOLOGY_FILE", missing)
    with pytest.raises(KGError, match=re.escape(str(missing))):
        load_ontology()
    monkeypatch.setattr(ontology, "SHAPES_FILE", missing)
    with pytest.raises(KGError, match="pip install -e"):
        load_shapes()


def test_bad_turtle_names_the_file(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix lgkg: <https://w3id.org/lgkg/ontology#> .\nlgkg:A a ", encoding="utf-8")
    with pytest.raises(KGError, match=r"Cannot parse .*bad\.ttl"):
        render_vocab(bad)


def test_ontology_without_terms_is_refused(tmp_path):
    empty = tmp_path / "empty.ttl"
    empty.write_text("<https://example.org/a> a <http://www.w3.org/2002/07/owl#Class> .\n", encoding="utf-8")
    with pytest.raises(KGError, match="declares no"):
        render_vocab(empty)


# --- SHACL ------------------------------------------------------------------------------

REPORT = DATA["report/r1"]
PROVINCE, CITY, DISTRICT = DATA["place/330000"], DATA["place/330200"], DATA["place/330211"]
VILLAGE = DATA["place/330211/%E6%9D%91"]
AGENCY, COURT = DATA["agency/a"], DATA["agency/b"]
PROGRAMME, HONOUR = DATA["programme/p"], DATA["honour/h"]
PARTICIPATION, AWARD = DATA["participation/1"], DATA["award/1"]
SPELL, FORMER = DATA["place/330211/adcode/330211"], DATA["place/330211/adcode/330201"]


def _date(text: str) -> Literal:
    # XSD is an open DefinedNamespace that warns when pytest probes a module
    # attribute, so it is not imported at module level.
    from rdflib.namespace import XSD

    return Literal(text, datatype=XSD.date)


def good_graph() -> Graph:
    """A small graph that uses every class and property, and conforms."""
    g = Graph()
    add = g.add
    for node, name, code, level, parent in (
        (PROVINCE, "浙江省", "330000", "province", None),
        (CITY, "宁波市", "330200", "city", PROVINCE),
        (DISTRICT, "镇海区", "330211", "county", CITY),
    ):
        add((node, RDF.type, LGKG.Place))
        add((node, RDFS.label, Literal(name, lang=ZH)))
        add((node, LGKG.adcode, Literal(code)))
        add((node, LGKG.level, Literal(level)))
        if parent is not None:
            add((node, LGKG.withinPlace, parent))
    add((DISTRICT, SKOS.altLabel, Literal("镇海", lang=ZH)))
    for spell, code, prop, year in ((SPELL, "330211", LGKG.fromYear, 1985), (FORMER, "330201", LGKG.untilYear, 1985)):
        add((DISTRICT, LGKG.adcodeHistory, spell))
        add((spell, RDF.type, LGKG.AdcodeSpell))
        add((spell, LGKG.heldCode, Literal(code)))
        add((spell, prop, Literal(year)))
    add((VILLAGE, RDF.type, LGKG.Place))
    add((VILLAGE, RDFS.label, Literal("某村", lang=ZH)))
    add((VILLAGE, LGKG.withinPlace, DISTRICT))
    for node, cls, name in ((AGENCY, LGKG.Agency, "镇海区司法局"), (COURT, LGKG.Agency, "镇海区人民法院"),
                            (PROGRAMME, LGKG.Programme, "枫桥经验"),
                            (HONOUR, LGKG.Honour, "全国法治政府建设示范区")):
        add((node, RDF.type, cls))
        add((node, RDFS.label, Literal(name, lang=ZH)))
        add((REPORT, LGKG.mentions, node))
    add((AGENCY, SKOS.altLabel, Literal("區司法局", lang="zh-Hant")))
    add((AGENCY, LGKG.jurisdiction, DISTRICT))
    add((REPORT, LGKG.mentions, DISTRICT))
    add((REPORT, RDF.type, LGKG.Report))
    add((REPORT, DCTERMS.source, Literal("seeds/000.txt")))
    add((REPORT, DCTERMS.source, Literal("mirror/000.txt")))  # the same text in two files is one report
    add((REPORT, DCTERMS.title, Literal("镇海区2023年法治政府建设年度报告", lang=ZH)))
    add((REPORT, DCTERMS.issued, _date("2024-01-31")))
    add((REPORT, LGKG.reportYear, Literal(2023)))
    add((REPORT, LGKG.reportingDistrict, DISTRICT))
    add((REPORT, LGKG.issuingAgency, AGENCY))
    add((REPORT, LGKG.encoding, Literal("utf-8")))
    add((REPORT, LGKG.script, Literal("simplified")))
    for p, o in ((RDF.type, LGKG.ProgrammeParticipation), (LGKG.participant, DISTRICT),
                 (LGKG.programme, PROGRAMME), (PROV.wasDerivedFrom, REPORT),
                 (LGKG.evidence, Literal("我区深入践行枫桥经验。")),
                 (LGKG.evidenceStart, Literal(120)), (LGKG.evidenceEnd, Literal(131))):
        add((PARTICIPATION, p, o))
    add((DISTRICT, LGKG.runsProgramme, PROGRAMME))
    for p, o in ((RDF.type, LGKG.HonourAward), (LGKG.recipient, DISTRICT), (LGKG.honour, HONOUR),
                 (PROV.wasDerivedFrom, REPORT), (LGKG.evidence, Literal("我区被命名为全国法治政府建设示范区。")),
                 (LGKG.evidenceStart, Literal(200)), (LGKG.evidenceEnd, Literal(218)),
                 (LGKG.year, Literal(2022)), (LGKG.conferredBy, COURT)):
        add((AWARD, p, o))
    add((DISTRICT, LGKG.receivedHonour, HONOUR))
    return g


def test_good_graph_conforms():
    g = good_graph()
    before = len(g)
    conforms, report = validate(g)
    assert conforms, report
    assert len(g) == before, "validate must not change the graph it checks"


def test_good_graph_uses_every_term():
    used = {p for _, p, _ in good_graph()} | set(good_graph().objects(None, RDF.type))
    assert {str(LGKG[n]) for n in TERMS} - {str(u) for u in used} == {str(LGKG.NamedEntity)}


Mutation = Callable[[Graph], None]


def _remove(*pattern) -> Mutation:
    return lambda g: g.remove(pattern)


def _add(*triple) -> Mutation:
    return lambda g: g.add(triple)


def _set(s, p, o) -> Mutation:
    return lambda g: g.set((s, p, o))


BAD = [
    # (id, mutation, text the report must contain)
    ("two zh-Hans labels", _add(AGENCY, RDFS.label, Literal("区司法局", lang=ZH)), "rdfs:label"),
    ("label not zh-Hans", _set(PROGRAMME, RDFS.label, Literal("Fengqiao", lang="en")), "rdfs:label"),
    ("label missing", _remove(HONOUR, RDFS.label, None), "rdfs:label"),
    ("plain-string label", _set(VILLAGE, RDFS.label, Literal("某村")), "rdfs:label"),
    ("adcode of five digits", _set(DISTRICT, LGKG.adcode, Literal("33021")), "adcode"),
    ("adcode as integer", _set(DISTRICT, LGKG.adcode, Literal(330211)), "adcode"),
    ("two adcodes", _add(DISTRICT, LGKG.adcode, Literal("330212")), "adcode"),
    ("unknown level", _set(DISTRICT, LGKG.level, Literal("district")), "level"),
    ("within two places", _add(VILLAGE, LGKG.withinPlace, CITY), "withinPlace"),
    ("within an agency", _set(VILLAGE, LGKG.withinPlace, AGENCY), "withinPlace"),
    ("two jurisdictions", _add(AGENCY, LGKG.jurisdiction, CITY), "jurisdiction"),
    ("participation without evidence", _remove(PARTICIPATION, LGKG.evidence, None), "evidence"),
    ("empty evidence", _set(PARTICIPATION, LGKG.evidence, Literal("")), "evidence"),
    ("participation without report", _remove(PARTICIPATION, PROV.wasDerivedFrom, None), "wasDerivedFrom"),
    ("participant is a programme", _set(PARTICIPATION, LGKG.participant, PROGRAMME), "participant"),
    ("two programmes", _add(PARTICIPATION, LGKG.programme, HONOUR), "programme"),
    ("evidence ends before it starts", _set(PARTICIPATION, LGKG.evidenceEnd, Literal(100)), "evidenceStart"),
    ("award without honour", _remove(AWARD, LGKG.honour, None), "honour"),
    ("award without recipient", _remove(AWARD, LGKG.recipient, None), "recipient"),
    ("recipient is a report", _set(AWARD, LGKG.recipient, REPORT), "recipient"),
    ("year as string", _set(AWARD, LGKG.year, Literal("2022")), "year"),
    ("conferred by a place", _set(AWARD, LGKG.conferredBy, CITY), "conferredBy"),
    ("report with an empty source", _add(REPORT, DCTERMS.source, Literal("")), "source"),
    ("code spell of five digits", _set(SPELL, LGKG.heldCode, Literal("33021")), "heldCode"),
    ("code spell without code", _remove(FORMER, LGKG.heldCode, None), "heldCode"),
    ("two until years", _add(FORMER, LGKG.untilYear, Literal(1990)), "untilYear"),
    ("from year as string", _set(SPELL, LGKG.fromYear, Literal("1985")), "fromYear"),
    ("history is a place", _add(DISTRICT, LGKG.adcodeHistory, CITY), "adcodeHistory"),
    ("report without source", _remove(REPORT, DCTERMS.source, None), "source"),
    ("two reporting districts", _add(REPORT, LGKG.reportingDistrict, CITY), "reportingDistrict"),
    ("two report years", _add(REPORT, LGKG.reportYear, Literal(2024)), "reportYear"),
    ("invalid issued date", _set(REPORT, DCTERMS.issued, _date("2024-02-30")), "issued"),
    ("issued as string", _set(REPORT, DCTERMS.issued, Literal("2024-01-31")), "issued"),
    ("two titles", _add(REPORT, DCTERMS.title, Literal("另一个标题", lang=ZH)), "title"),
    ("mentions a report", _add(REPORT, LGKG.mentions, DATA["report/r2"]), "mentions"),
    ("runs an honour", _add(AGENCY, LGKG.runsProgramme, HONOUR), "runsProgramme"),
    ("a programme runs a programme", _add(PROGRAMME, LGKG.runsProgramme, PROGRAMME), "runsProgramme"),
    ("receives a programme", _add(AGENCY, LGKG.receivedHonour, PROGRAMME), "receivedHonour"),
    ("blank-node entity", lambda g: g.add((BNode(), RDF.type, LGKG.Honour)), "IRI"),
]


@pytest.mark.parametrize("mutate, expected", [pytest.param(m, e, id=i) for i, m, e in BAD])
def test_bad_graph_fails(mutate, expected):
    g = good_graph()
    mutate(g)
    conforms, report = validate(g)
    assert not conforms
    assert expected in report, report


def synthetic_graph(reports: int) -> Graph:
    """About 146 triples per report: places, agencies, and their relations."""
    g = Graph()
    province = DATA["place/990000"]
    g.add((province, RDF.type, LGKG.Place))
    g.add((province, RDFS.label, Literal("某省", lang=ZH)))
    for r in range(reports):
        report, district = DATA[f"report/{r}"], DATA[f"place/33{r:04d}"]
        for p, o in ((RDF.type, LGKG.Place), (RDFS.label, Literal(f"{r}区", lang=ZH)),
                     (LGKG.adcode, Literal(f"33{r:04d}")), (LGKG.withinPlace, province)):
            g.add((district, p, o))
        for p, o in ((RDF.type, LGKG.Report), (DCTERMS.source, Literal(f"{r}.txt")),
                     (LGKG.reportYear, Literal(2023)), (LGKG.reportingDistrict, district)):
            g.add((report, p, o))
        for k in range(6):
            agency, programme, honour = DATA[f"agency/{r}/{k}"], DATA[f"programme/{k}"], DATA[f"honour/{k}"]
            for node, cls in ((agency, LGKG.Agency), (programme, LGKG.Programme), (honour, LGKG.Honour)):
                g.add((node, RDF.type, cls))
                g.add((node, RDFS.label, Literal(f"{node}", lang=ZH)))
                g.add((report, LGKG.mentions, node))
            g.add((agency, SKOS.altLabel, Literal(f"{k}局", lang=ZH)))
            g.add((agency, LGKG.jurisdiction, district))
            for node, kind, subject, shortcut, obj in (
                (DATA[f"participation/{r}/{k}"], LGKG.ProgrammeParticipation, agency, LGKG.runsProgramme,
                 programme),
                (DATA[f"award/{r}/{k}"], LGKG.HonourAward, district, LGKG.receivedHonour, honour),
            ):
                first, second = ((LGKG.participant, LGKG.programme) if kind == LGKG.ProgrammeParticipation
                                 else (LGKG.recipient, LGKG.honour))
                for p, o in ((RDF.type, kind), (first, subject), (second, obj), (PROV.wasDerivedFrom, report),
                             (LGKG.evidence, Literal("某句。")), (LGKG.evidenceStart, Literal(k)),
                             (LGKG.evidenceEnd, Literal(k + 3))):
                    g.add((node, p, o))
                g.add((subject, shortcut, obj))
    return g


@pytest.mark.slow
def test_a_large_graph_of_every_class_conforms():
    g = synthetic_graph(140)
    assert 19_000 < len(g) < 22_000
    conforms, report = validate(g)
    assert conforms, report[:2000]
