import pytest

from kg.metadata import find_title, header_fields, read_metadata, report_year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("索引号: | 1/2023 | 主题分类: | 司法 |\n成文日期: | 2023-03-22 |\n发布机构: | 区司法局 |",
         {"agency": "区司法局", "issued": "2023-03-22"}),
        ("- 发布机构:某某县司法局\n- 公文生成日期:2024-01-31", {"agency": "某某县司法局", "issued": "2024-01-31"}),
        ("发布机构: 区司法局 成文日期: 2024-03-28", {"agency": "区司法局", "issued": "2024-03-28"}),
        ("日期:2022-03-22 15:56 来源:某区政府 打印页面", {"agency": "某区政府", "issued": "2022-03-22"}),
        ("时间:2022-01-20 09-09来源:司法局作者:点击:", {"agency": "司法局", "issued": "2022-01-20"}),
        ("没有表头的一段正文。", {}),
    ],
)
def test_header_fields(text, expected):
    assert header_fields(text) == expected


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("索引号: 1\n某某县司法局2022年工作总结\n2022年以来……。", "某某县司法局2022年工作总结"),
        ("一、2023年重点工作完成情况\n正文。", ""),  # a section heading is no title
        ("关于2023年度某市某区法治政府建设情况的报告\n正文", "关于2023年度某市某区法治政府建设情况的报告"),
    ],
)
def test_find_title(text, title):
    assert find_title(text) == title


@pytest.mark.parametrize(
    ("title", "body", "issued", "year"),
    [
        ("2022年工作总结和2023年工作要点", "", "2023-03-22", 2022),
        ("关于2015-2020年度法治政府建设有关情况的报告", "", "2021-03-29", 2020),
        ("", "2021年上半年,区司法局……", "", 2021),
        ("", "按照《法治政府建设实施纲要(2021—2025年)》要求,2023年,我县……", "2024-01-10", 2023),
        ("", "今年以来……", "2024-02-01", 2023),  # issued early in a year: reports the year before
        ("", "今年以来……", "", None),
    ],
)
def test_report_year(title, body, issued, year):
    assert report_year(title, body, issued) == year


@pytest.mark.parametrize(
    ("text", "name", "code"),
    [
        # named only in the signature
        ("区司法局在区委的领导下开展工作。\n二、下一步计划\n继续努力。\n某县某地\n游仙区司法局\n2020年1月5日",
         "游仙区", "510704"),
        # two 江北区: the text's city decides
        ("关于2023年度宁波市江北区法治政府建设情况的报告\n全区……", "江北区", "330205"),
        ("重庆市江北区司法局2020年工作总结\n全区……", "江北区", "500105"),
        # two 鼓楼区 and no city named: the one whose subdistricts the report names
        ("鼓楼区司法局2023年工作总结\n温泉街道、东街街道获评法治示范街道。", "鼓楼区", "350102"),
        ("鼓楼区司法局2023年工作总结\n湖南路街道获评法治示范街道。", "鼓楼区", "320106"),
        # a bare 区司法局 plus the district's short name and its city
        ("区司法局2022年工作总结\n今年,宁波市法治镇海建设……法治镇海。", "镇海区", "330211"),
        # short forms of banners and autonomous counties
        ("东乌旗人民政府关于2020年度法治政府建设情况的报告", "东乌珠穆沁旗", "152525"),
        # the longest name wins (峄城区, not 城区)
        ("峄城区司法局2022年度法治政府建设情况的报告", "峄城区", "370404"),
        # two-character names where they begin a word
        ("濮阳市范县司法局2022年工作总结\n全县……", "范县", "410926"),
        ("2022年,赵县深入推进法治政府建设。", "赵县", "130133"),
    ],
)
def test_district_resolution(text, name, code):
    md = read_metadata(text)
    assert md.district is not None and (md.district.name, md.district.code) == (name, code)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # no county named: the county of the named city whose towns the report names, if it speaks as a county
        ("县司法局2023年工作总结\n落实宿州市司法局部署,全县开展普法。砀城镇、良梨镇建成法治广场。", "砀山县"),
        ("市司法局2023年工作总结\n宿州市开展普法。砀城镇、良梨镇建成法治广场。", None),  # the city's own report
        ("县司法局2023年工作总结\n落实宿州市司法局部署,全县开展普法。砀城镇建成法治广场。", None),  # one town
    ],
)
def test_a_county_named_only_by_its_city_and_towns(text, name):
    md = read_metadata(text)
    assert (md.district.name if md.district else None) == name


def test_no_district_named_stays_unresolved():
    assert read_metadata("区司法局2022年工作总结\n全区法治建设取得成效。").district is None


def test_a_two_character_name_inside_a_word_is_no_district():
    # 示范县 ends in 范县, 全新县域 holds 新县: neither is named here
    text = "县司法局2022年工作总结\n我县争创全国法治政府建设示范县,打造全新县域治理格局。"
    assert read_metadata(text).district is None
