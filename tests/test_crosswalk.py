"""The crosswalk: renamed, recoded and merged counties lead to today's division, with their history."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS

from kg.build import build
from kg.divisions import Gazetteer
from kg.graph import build_graph, place_iri
from kg.metadata import resolve_district
from kg.types import Division, DivisionChange, Extraction, Mention, Metadata
from kg.vocab import LGKG


@pytest.mark.parametrize(("name", "code"), [
    ("任县", "130505"),       # 撤县设区 2020: renamed and recoded, the old name in no data set today
    ("任泽区", "130505"),     # the 2021 data's name under the old code 130526
    ("无为县", "340281"),     # 撤县设市 2019, recoded in the 2025 data
    ("海门市", "320614"),     # 撤市设区 2020
    ("湾里区", "360112"),     # merged into 新建区 in 2019
    ("长岛县", "370614"),     # merged into 蓬莱区 in 2020
    ("上甘岭区", "230719"),   # merged into 友好区 in 2019
    ("镇海区", "330211"),     # unchanged
])
def test_a_former_name_resolves_to_todays_division(gaz, name, code):
    assert [d.code for d in gaz.counties_named(name)] == [code]


@pytest.mark.parametrize(("old", "new"), [("130526", "130505"), ("340225", "340281"), ("360105", "360112"),
                                          ("130505", "130505"), ("330211", "330211")])
def test_a_former_code_leads_to_todays(gaz, old, new):
    assert gaz.current(gaz.by_code[old]).code == new


def test_code_history_with_the_years_each_code_held(gaz):
    div = gaz.by_code["130505"]
    assert gaz.code_history(div) == [("130505", 2020, None), ("130526", None, 2020)]
    assert [gaz.code_in(div, year) for year in (2018, 2019, 2020, 2023)] == ["130526", "130526", "130505", "130505"]
    assert gaz.code_history(gaz.by_code["330211"]) == []


def test_former_codes_keep_their_towns(gaz):
    assert gaz.towns("130505") == gaz.towns("130526") != {}


def test_a_name_another_division_has_today_is_no_alias(gaz):
    # 长治's 城区 became 潞州区 in 2018, but 阳泉, 晋城 and 汕尾 still have a 城区.
    assert {d.code for d in gaz.counties_named("城区")} == {"140302", "140502", "441502"}
    assert "城区" in {c.old_name for c in gaz.changes(gaz.by_code["140403"])}


def test_a_report_of_a_renamed_county_resolves_to_todays_node(gaz):
    district, _ = resolve_district("邢台市任县2019年法治政府建设年度报告", "任县人民政府", "任县人民政府\n2020年1月", gaz=gaz)
    assert district is not None and district.code == "130505"


def test_a_record_naming_the_former_division_lands_on_todays_node(gaz):
    # An extraction made before the crosswalk (a cache entry) still holds the old code.
    former = gaz.by_code["130526"]
    ex = Extraction("a.txt", "ab", "utf-8", "simplified", Metadata(title="任县2019年工作总结", year=2019, district=former),
                    mentions=(Mention("place", "任县", "任县", "任县", 0, 2, "130526", "邢台市"),))
    g = build_graph([ex], gaz=gaz)
    assert set(g.objects(None, LGKG.reportingDistrict)) == set(g.objects(None, LGKG.mentions)) == {place_iri("130505")}
    assert not any(str(s).startswith(str(place_iri("130526"))) for s in g.subjects())


def _toy(tmp_path, changes: str) -> Gazetteer:
    """A gazetteer of one city whose 东甲县 became 东甲区 with a new code, read from a change list of that shape."""
    gaz = Gazetteer()
    for div in (Division("990000", "试验省", "试验", "province"), Division("990100", "乙市", "乙", "city", "990000"),
                Division("990121", "东甲县", "东甲", "county", "990100"), Division("990122", "丙县", "丙", "county", "990100")):
        gaz._add(div)
    gaz._add(Division("990103", "东甲区", "东甲", "county", "990100"))
    gaz._newer = {"990103", "990122"}  # 990121 is gone from the newer data
    path = tmp_path / "changes.txt"
    path.write_text(changes, encoding="utf-8")
    gaz._read_changes(path)
    return gaz


@pytest.mark.parametrize(("changes", "year"), [
    ("", None),                                                                        # the code diff alone: no year
    ("2016-05-01\t国批\t试验省\t试验\t乙市\t乙\t东甲县\t东甲=>试验省\t乙市\t东甲区\n", 2016),  # with the dated change
    ("1816-05-01\t国批\t试验省\t试验\t乙市\t乙=>试验省\t乙市\n", None),                  # a city-level line is passed over
])
def test_crosswalk_from_the_two_data_sets_and_the_change_list(tmp_path, changes, year):
    gaz = _toy(tmp_path, changes)
    assert gaz.current(gaz.by_code["990121"]).code == "990103"
    assert [d.code for d in gaz.counties_named("东甲县")] == ["990103"]
    assert DivisionChange("东甲县", "990103", "东甲区", "990121", year) in gaz.changes(gaz.by_code["990103"])
    assert gaz.current(gaz.by_code["990122"]).code == "990122" and gaz.changes(gaz.by_code["990122"]) == []


RENXIAN_2019 = """邢台市任县司法局2019年工作总结
2019年，任县司法局深入推进全面依法治县，扎实开展七五普法，组织法治宣传进乡村活动四十场。
坚持和发展新时代枫桥经验，健全矛盾纠纷多元化解机制，全年调处矛盾纠纷六百余件。
加强公共法律服务体系建设，任县公共法律服务中心全年接待群众咨询两千余人次。
任县司法局
2020年1月8日
"""
RENZE_2021 = """邢台市任泽区司法局2021年工作总结
2021年，任泽区司法局深入推进全面依法治区，启动八五普法，组织法治宣传进乡村活动五十场。
坚持和发展新时代枫桥经验，健全矛盾纠纷多元化解机制，全年调处矛盾纠纷七百余件。
加强公共法律服务体系建设，任泽区公共法律服务中心全年接待群众咨询三千余人次。
任泽区司法局
2022年1月10日
"""


@pytest.mark.slow
def test_a_county_renamed_between_two_reports_is_one_place_node(tmp_path):
    for name, text in (("2019.txt", RENXIAN_2019), ("2021.txt", RENZE_2021)):
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    report = build([tmp_path / "in"], tmp_path / "out", jobs=1, quiet=True, validate=True)
    assert report["shacl"]["conforms"], report["shacl"]["report"]
    assert {r["adcode"] for r in report["reports"]} == {"130505"}
    g = Graph().parse(tmp_path / "out" / "graph.ttl", format="turtle")
    place = place_iri("130505")
    assert set(g.objects(None, LGKG.reportingDistrict)) == {place}
    assert (place, SKOS.altLabel, Literal("任县", lang="zh-Hans")) in g
    assert (place_iri("130526"), RDF.type, LGKG.Place) not in g
    spells = {(str(g.value(s, LGKG.heldCode)), g.value(s, LGKG.fromYear), g.value(s, LGKG.untilYear))
              for s in g.objects(place, LGKG.adcodeHistory)}
    assert spells == {("130505", Literal(2020), None), ("130526", None, Literal(2020))}
