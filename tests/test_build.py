"""End to end: kg build on the seeds, read back with SPARQL; the CLI's error paths."""

import json

import pytest
from conftest import SEEDS
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build
from kg.cli import main
from kg.ontology import validate

SEED_DISTRICTS = {
    "000_56af94ac1350a89a": ("镇海区", "330211", 2022),
    "001_9cb749d2ab4cd0fc": ("鲤城区", "350502", 2023),
    "002_53330ba47b92bb3c": ("宝安区", "440306", 2021),
    "003_8a596ebcca1d5ce5": ("江北区", "330205", 2023),
    "004_94ac708e86507105": ("游仙区", "510704", 2019),
}


def test_seed_districts_codes_and_years_read_back_with_sparql(seeds_out):
    out, _ = seeds_out
    g = Graph().parse(out / "graph.ttl", format="turtle")
    rows = g.query("""
        PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?src ?name ?code ?year ?province WHERE {
          ?r a lgkg:Report ; dcterms:source ?src ; lgkg:reportYear ?year ;
             lgkg:reportingDistrict ?d .
          ?d rdfs:label ?name ; lgkg:adcode ?code ; lgkg:withinPlace/lgkg:withinPlace ?p .
          ?p rdfs:label ?province .
        }""")
    got = {str(src).rsplit("/", 1)[-1][:-4]: (str(n), str(c), int(y)) for src, n, c, y, _ in rows}
    assert got == SEED_DISTRICTS


def test_seed_graph_conforms_to_the_shapes(seeds_out):
    out, _ = seeds_out
    conforms, text = validate(Graph().parse(out / "graph.ttl", format="turtle"))
    assert conforms, text[:3000]


def test_build_report(seeds_out):
    out, report = seeds_out
    on_disk = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert on_disk["documents"] == 5 and on_disk["skipped"] == [] and on_disk["districts_resolved"] == 5
    by_doc = {r["source"].rsplit("/", 1)[-1]: r for r in on_disk["reports"]}
    assert by_doc["001_9cb749d2ab4cd0fc.txt"]["garbled"], "seed 001's garbled lines are recorded"
    assert by_doc["003_8a596ebcca1d5ce5.txt"]["script"] == "traditional"
    assert set(report["outputs"]) >= {"graph.ttl", "graph.graphml", "report.json"}


def test_rebuild_uses_the_cache_and_gives_the_same_graph(seeds_out, tmp_path):
    out, _ = seeds_out
    again = build([SEEDS], out, jobs=1, quiet=True)
    assert again["from_cache"] == 5
    first = Graph().parse(out / "graph.ttl", format="turtle")
    scratch = tmp_path / "scratch"
    build([SEEDS], scratch, jobs=1, quiet=True, use_cache=False)
    assert isomorphic(first, Graph().parse(scratch / "graph.ttl", format="turtle"))


def test_missing_path_exits_non_zero_with_one_line(tmp_path, capsys):
    status = main(["build", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "nope" in err[0]
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_bad_files_are_skipped_and_the_build_goes_on(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "good.txt").write_text("兰州市城关区司法局2022年工作总结\n2022年,区司法局深入推进“八五”普法。", encoding="gb18030")
    report = build([corpus], tmp_path / "out", jobs=1, quiet=True)
    assert {s["source"].rsplit("/", 1)[-1] for s in report["skipped"]} == {"empty.txt", "binary.txt"}
    assert report["documents"] == 1 and report["reports"][0]["district"] == "城关区"


def test_interrupted_write_leaves_previous_output_whole(tmp_path, monkeypatch):
    from kg import export

    target = tmp_path / "graph.ttl"
    target.write_text("previous", encoding="utf-8")

    def boom(fh):
        fh.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export._write_with(target, boom, "wb")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_evaluate_cli_prints_the_table(seeds_out, tmp_path, capsys):
    out, _ = seeds_out
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "000_56af94ac1350a89a.json").write_text(json.dumps({
        "doc": "000_56af94ac1350a89a",
        "district": {"name": "镇海区", "city": "宁波市", "province": "浙江省"}, "year": 2022,
        "entities": {"agency": [{"name": "镇海区司法局", "aliases": ["区司法局"]}], "place": [],
                     "programme": [], "honour": []},
        "optional": {"agency": [], "place": [], "programme": [], "honour": []},
        "relations": {"runs": [], "awarded": []}}, ensure_ascii=False), encoding="utf-8")
    assert main(["evaluate", str(gold), str(out / "graph.ttl"), "--json", str(tmp_path / "s.json")]) == 0
    printed = capsys.readouterr().out
    assert "agency" in printed and "1/1 correct" in printed
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
