"""Report identity: one report per normalised text, wherever its files lie; near-duplicates listed and merged."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import SEEDS
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, PROV, RDF

from kg.build import build
from kg.identity import THRESHOLD, group_reports, signature, similar_pairs, text_digest
from kg.query import open_store, resolve_query, run_query
from kg.types import Division, Extraction, Metadata
from kg.vocab import LGKG

# A report written for these tests: a made-up 2022 summary of 镇海区.
TITLE = "宁波市镇海区司法局2022年法治建设工作总结"
BODY = """2022年，镇海区司法局坚持以习近平法治思想为指导，扎实推进法治政府建设。
一、深入开展八五普法。全区组织法治宣传活动一百二十场，覆盖群众三万余人次，推动民法典进农村、进社区、进企业。
二、坚持和发展新时代枫桥经验。健全人民调解、行政调解、司法调解联动机制，全年调处各类矛盾纠纷一千余件，调解成功率百分之九十八。
三、推进公共法律服务体系建设。依托12348公共法律服务热线，为群众提供法律咨询五千余次，办理法律援助案件三百余件。
四、加强行政执法监督。开展行政执法案卷评查，规范行政裁量权基准，提升执法规范化水平。
五、强化法治队伍建设。组织执法人员专题培训八期，推动领导干部带头尊法学法守法用法。
六、推进基层依法治理。深化民主法治示范村创建，指导各村修订完善村规民约，培育农村学法用法示范户二百户。
七、做好社区矫正和安置帮教工作。全年接收社区矫正对象八十余名，落实分类管理和个别化教育，未发生脱管漏管。
八、优化法治化营商环境。组建企业法律服务团，走访民营企业一百余家，开展法治体检，帮助企业防范经营风险。
九、抓好重大行政决策合法性审查。全年审查规范性文件十二件、重大合同二十余份，提出修改意见六十条。
十、提升行政复议质效。畅通复议申请渠道，全年办理行政复议案件五十余件，纠错率稳步提升。
下一步，镇海区司法局将继续围绕中心、服务大局，为建设法治镇海提供有力保障。
宁波市镇海区司法局
2023年1月10日
"""
REPORT = f"{TITLE}\n{BODY}"
# The same report saved from another site: other page furniture around the same text.
MIRROR = f"{TITLE}\n{BODY}本文转载自镇海发布微信公众号，转载请注明出处，联系电话0574-86000000\n"
# The next year's report: much the same text, but another year and title.
NEXT_YEAR = REPORT.replace("2022", "2023").replace("2023年1月10日", "2024年1月12日")


def _extraction(source: str, text: str, *, title: str = TITLE, year: int = 2022, code: str = "330211") -> Extraction:
    district = Division(code, "镇海区", "镇海", "county", "330200")
    return Extraction(source, f"raw:{source}", "utf-8", "simplified",
                      Metadata(title=title, year=year, district=district),
                      text_sha256=text_digest(text), minhash=signature(text))


@pytest.mark.parametrize(("a", "b", "same"), [
    ("一 二\n三", "一  二 三", True),        # whitespace runs are one space
    (REPORT, REPORT + "\n\n", True),
    (REPORT, MIRROR, False),
])
def test_text_digest_is_the_normalised_text(a, b, same):
    assert (text_digest(a) == text_digest(b)) is same


def test_mirror_is_a_near_duplicate_and_a_distinct_report_is_not():
    sigs = {"report": signature(REPORT), "mirror": signature(MIRROR),
            "other": signature("镇海区人民政府2022年度法治政府建设情况报告，全年推进依法行政各项工作。" * 3)}
    pairs = similar_pairs(sigs)
    assert [(a, b) for a, b, _ in pairs] == [("mirror", "report")]
    assert THRESHOLD <= pairs[0][2] <= 1.0


@pytest.mark.parametrize(("other", "merged"), [
    (_extraction("b/mirror.txt", MIRROR), True),                                   # district, year, title agree
    (_extraction("b/mirror.txt", MIRROR, year=2021), False),                        # another year
    (_extraction("b/mirror.txt", MIRROR, title="镇海区司法局工作总结"), False),       # another title
    (_extraction("b/mirror.txt", MIRROR, code="330205"), False),                    # another district
])
def test_near_duplicates_merge_only_when_district_year_and_title_agree(other, merged):
    groups, near = group_reports([_extraction("a/report.txt", REPORT), other])
    assert len(groups) == (1 if merged else 2)
    assert len(near) == 1 and near[0]["merged"] is merged and near[0]["similarity"] >= THRESHOLD
    assert {*near[0]["sources"], *near[0]["similar_to"]} == {"a/report.txt", "b/mirror.txt"}


def test_exact_copies_are_one_group_whatever_their_order():
    copies = [_extraction(f"{folder}/report.txt", REPORT) for folder in ("z", "a", "m")]
    for order in (copies, copies[::-1]):
        groups, near = group_reports(order)
        assert [[e.source for e in g] for g in groups] == [["a/report.txt", "m/report.txt", "z/report.txt"]]
        assert near == []


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory):
    """Two copies of one report in different folders, a mirror of it, and the next year's report, built once."""
    root = tmp_path_factory.mktemp("identity")
    for path, text in (("site/2022/report.txt", REPORT), ("download/copy of report.txt", REPORT),
                       ("mirror/report.txt", MIRROR), ("site/2023/report.txt", NEXT_YEAR)):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    report = build([root], root / "out", jobs=1, quiet=True)
    return root, Graph().parse(root / "out" / "graph.ttl", format="turtle"), report


@pytest.mark.slow
def test_two_copies_and_a_mirror_are_one_report_with_three_sources(corpus_build):
    root, g, report = corpus_build
    reports = set(g.subjects(RDF.type, LGKG.Report))
    assert len(reports) == 2 and report["documents"] == 4 and report["report_nodes"] == 2
    by_year = {int(g.value(r, LGKG.reportYear)): r for r in reports}
    assert {str(s) for s in g.objects(by_year[2022], DCTERMS.source)} == {
        str(root / "site/2022/report.txt"), str(root / "download/copy of report.txt"), str(root / "mirror/report.txt")}
    assert {str(s) for s in g.objects(by_year[2023], DCTERMS.source)} == {str(root / "site/2023/report.txt")}
    # the merged report's facts are stated once, not once per file
    programmes = [p for p in g.subjects(PROV.wasDerivedFrom, by_year[2022])
                  if (p, RDF.type, LGKG.ProgrammeParticipation) in g]
    assert programmes and len(programmes) == len({g.value(p, LGKG.programme) for p in programmes})


@pytest.mark.slow
def test_report_json_lists_duplicates_and_near_duplicates(corpus_build):
    root, _, _ = corpus_build
    report = json.loads((root / "out" / "report.json").read_text(encoding="utf-8"))
    [dup] = report["duplicates"]
    assert len(dup["sources"]) == 3
    pairs = {(frozenset(p["sources"]) | frozenset(p["similar_to"]), p["merged"]) for p in report["near_duplicates"]}
    copies = {str(root / "site/2022/report.txt"), str(root / "download/copy of report.txt")}
    assert (frozenset(copies | {str(root / "mirror/report.txt")}), True) in pairs
    assert all(p["similarity"] >= THRESHOLD for p in report["near_duplicates"])
    iri_of = {r["source"]: r["report"] for r in report["reports"]}
    assert len({iri_of[s] for s in copies | {str(root / "mirror/report.txt")}}) == 1
    assert iri_of[str(root / "site/2023/report.txt")] != iri_of[str(root / "site/2022/report.txt")]


@pytest.mark.slow
def test_the_reports_query_gives_one_row_per_report_with_its_files(corpus_build):
    root, _, _ = corpus_build
    header, rows = run_query(open_store(root / "out" / "graph.ttl"), resolve_query("reports"))
    sources = [row[header.index("source")].split(" | ") for row in rows]
    assert sorted(map(len, sources)) == [1, 3]
    assert str(root / "mirror/report.txt") in max(sources, key=len)


def _without_sources(path) -> Graph:
    g = Graph().parse(path, format="turtle")
    g.remove((None, DCTERMS.source, None))
    return g


@pytest.mark.slow
def test_seeds_built_from_two_folders_are_isomorphic_but_for_their_sources(tmp_path):
    graphs = []
    for folder in ("here", "there/and/deeper"):
        shutil.copytree(SEEDS, tmp_path / folder)
        build([tmp_path / folder], tmp_path / f"out-{len(graphs)}", jobs=1, quiet=True)
        graphs.append(tmp_path / f"out-{len(graphs)}" / "graph.ttl")
    first, second = map(_without_sources, graphs)
    if not isomorphic(first, second):
        _, only_first, only_second = graph_diff(to_isomorphic(first), to_isomorphic(second))
        pytest.fail(f"only in the first build:\n{only_first.serialize(format='nt')[:3000]}\n"
                    f"only in the second:\n{only_second.serialize(format='nt')[:3000]}")
    sources = {str(s) for s in Graph().parse(graphs[0], format="turtle").objects(None, DCTERMS.source)}
    assert len(sources) == 5 and all("here" in s for s in sources)
    assert set(first.subjects(RDF.type, LGKG.Report)) == set(second.subjects(RDF.type, LGKG.Report))
    assert all(isinstance(r, URIRef) for r in first.subjects(RDF.type, LGKG.Report))
