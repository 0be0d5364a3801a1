import pytest

from kg.divisions import short_forms


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("江北区", {"330205", "500105"}),  # same name, two cities
        ("朝阳区", {"110105", "220104"}),
        ("龙华区", {"440309", "460106"}),
        ("科右中旗", {"152222"}),  # short form of 科尔沁右翼中旗
        ("东乌旗", {"152525"}),
        ("镇宁自治县", {"520423"}),
        ("游仙区", {"510704"}),
    ],
)
def test_counties_by_name(gaz, name, codes):
    assert {d.code for d in gaz.counties_named(name)} == codes


def test_chain_reaches_province(gaz):
    assert [d.name for d in gaz.chain(gaz.by_code["330211"])] == ["镇海区", "宁波市", "浙江省"]


def test_counties_of_a_city(gaz):
    names = {d.name for d in gaz.counties_in("341300")}  # 宿州市
    assert {"砀山县", "萧县", "埇桥区"} <= names and all(d.parent == "341300" for d in gaz.counties_in("341300"))
    assert gaz.counties_in("999999") == []


def test_municipality_district_sits_under_the_municipality(gaz):
    assert [d.name for d in gaz.chain(gaz.by_code["110105"])] == ["朝阳区", "北京市"]


def test_counties_created_after_2021_come_from_the_newer_data(gaz):
    # 海门区 (320614) replaced 海门市 in 2020-21; the newer data set adds the new code.
    assert "320614" in gaz.by_code and gaz.by_code["320614"].name == "海门区"


def test_towns_and_villages_of_a_county(gaz):
    towns = gaz.towns("330211")
    assert "九龙湖镇" in towns and "九龙湖村" in towns["九龙湖镇"]


@pytest.mark.parametrize(
    ("name", "short", "level", "forms"),
    [
        ("镇宁布依族苗族自治县", "镇宁", "county", {"镇宁", "镇宁自治县"}),
        ("恩施土家族苗族自治州", "恩施", "city", {"恩施", "恩施州", "恩施自治州"}),
        ("山西转型综合改革示范区", "示范区", "county", set()),  # a tail is no abbreviation
        ("宁波市", "宁波", "city", {"宁波"}),
    ],
)
def test_short_forms(name, short, level, forms):
    assert short_forms(name, short, level) == forms
