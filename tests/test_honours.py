"""Honours and ``awarded`` relations on sentences written for these tests."""

from __future__ import annotations

import json

import pytest

from kg.errors import KGError
from kg.recognise import honours as H
from kg.recognise.honours import find_honours
from kg.types import Context, Division, Mention

DISTRICT = Division("320115", "江宁区", "江宁", "county", "320100")
CTX = Context(district=DISTRICT, agency="江宁区司法局", year=2023)


def ent(text: str, surface: str, kind: str = "agency", canonical: str = "", nth: int = 0) -> Mention:
    """A mention of ``surface`` (its ``nth`` occurrence) in ``text``, as another recogniser gives it."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return Mention(kind, canonical or surface, surface, surface, start, start + len(surface))


def honours(text: str, entities: list[Mention] = ()) -> list[str]:
    return [m.canonical for m in find_honours(text, CTX, list(entities))[0]]


def awards(text: str, entities: list[Mention] = (), ctx: Context = CTX) -> list[tuple[str, str]]:
    return [(r.subject, r.object) for r in find_honours(text, ctx, list(entities))[1]]


@pytest.mark.parametrize(
    ("text", "honour"),
    [
        ("东山司法所获评省级“枫桥式”司法所。", "省级枫桥式司法所"),
        ("江宁区被评为全国“六五”普法先进区。", "全国六五普法先进区"),
        ("区司法局评为全市普法工作先进集体。", "全市普法工作先进集体"),
        ("东山司法所荣获“全国模范司法所”称号。", "全国模范司法所"),
        ("区司法局获得全省法律援助工作先进单位荣誉称号。", "全省法律援助工作先进单位"),
        ("区司法局获全省人民调解工作先进集体。", "全省人民调解工作先进集体"),
        ("东山村被命名为全国民主法治示范村。", "全国民主法治示范村"),
        ("省司法厅命名东山村为省级民主法治示范村。", ""),  # 命名…为 split: not read
        ("东山调委会被授予“省级金牌调委会”称号。", "省级金牌调委会"),
        ("该案例入选全省行政执法优秀案例。", "全省行政执法优秀案例"),
        ("东山司法所被表彰为全国模范司法所。", "全国模范司法所"),
        ("江宁区被确定为全省法治政府建设示范县。", "全省法治政府建设示范县"),
        ("东山村成功创建全国民主法治示范村。", "全国民主法治示范村"),
        ("江宁区荣膺全国首批“法治政府建设示范区”称号。", "全国法治政府建设示范区"),
        ("区司法局入选全国普法工作先进单位名单。", "全国普法工作先进单位"),
        # rankings, a cup, a prize won in a contest
        ("江宁区荣登全国综合实力百强区榜单。", "全国综合实力百强区"),
        ("江宁区再次捧得“长安杯”。", "长安杯"),
        ("区司法局夺得全市普法知识竞赛一等奖。", "全市普法知识竞赛一等奖"),
        ("东山村成功创建省级“无讼村”。", "省级无讼村"),
        # a colon between the trigger and its title
        ("区司法局荣获：全市人民调解工作先进集体。", "全市人民调解工作先进集体"),
        # 目标 in an appraisal's name is no goal
        ("区司法局获评2022年度全市司法行政工作目标考核先进单位。", "全市司法行政工作目标考核先进单位"),
    ],
)
def test_triggers(text: str, honour: str) -> None:
    assert honours(text) == ([honour] if honour else [])


@pytest.mark.parametrize(
    "text",
    [
        "积极争创全国民主法治示范村。",
        "力争获评省级“枫桥式”司法所。",
        "计划争创市级文明规范公正司法所2家。",
        "年内创建省级民主法治示范村3个。",
        "申报全国法治政府建设示范区。",
        "工作获得上级领导肯定。",
        "获群众一致好评。",
        "年度考核被评为优秀等次。",
        "调研成果入选《法治蓝皮书》。",
        "查获违法案件12起。",
        "群众获得感明显增强。",
        "获得市财政资金支持建设公共法律服务中心。",
    ],
)
def test_not_honours(text: str) -> None:
    assert honours(text) == []


@pytest.mark.parametrize(
    ("text", "honour"),
    [
        ("河西调委会被市司法局命名为“第三批四星级调委会”。", "四星级调委会"),
        ("获评2021年度全市人民调解工作先进单位。", "全市人民调解工作先进单位"),
        ("区司法局获评2011-2015年全省法治宣传教育先进集体。", "全省法治宣传教育先进集体"),
        ("江宁区被评为全市首批市级法治示范区。", "市级法治示范区"),
        ("东山街道获评全市第三批法治示范乡镇(街道)。", "全市法治示范乡镇(街道)"),
        ("该项目入选省2023年度法治建设优秀案例。", "省法治建设优秀案例"),
        ("作品获第五届全省法治微电影大赛优秀作品奖。", "全省法治微电影大赛优秀作品奖"),
    ],
)
def test_batch_and_year_words_leave_the_canonical_name(text: str, honour: str) -> None:
    [m] = find_honours(text, CTX, [])[0]
    assert m.canonical == honour
    assert m.surface == text[m.start:m.end]


def test_level_words_are_kept_and_coordinated_honours_share_the_recipient() -> None:
    text = "江宁区被评为全国“六五”普法先进区，全市首批市级法治示范区。"
    ents = [ent(text, "江宁区", "place")]
    assert awards(text, ents) == [("江宁区", "全国六五普法先进区"), ("江宁区", "市级法治示范区")]


def test_clause_starting_with_the_trigger_takes_the_sentence_subject() -> None:
    text = "区司法局扎实推进矛盾化解工作，被评为全省司法行政系统先进集体、全省“六五”普法先进集体。"
    ents = [ent(text, "区司法局", canonical="江宁区司法局")]
    assert awards(text, ents) == [
        ("江宁区司法局", "全省司法行政系统先进集体"),
        ("江宁区司法局", "全省六五普法先进集体"),
    ]


def test_coordinated_recipients() -> None:
    text = "我区东山街道上坊社区、秣陵街道殷巷社区荣获江苏省“民主法治示范社区”称号。"
    ents = [ent(text, "东山街道", "place"), ent(text, "上坊社区", "place"),
            ent(text, "秣陵街道", "place"), ent(text, "殷巷社区", "place")]
    assert awards(text, ents) == [("上坊社区", "江苏省民主法治示范社区"), ("殷巷社区", "江苏省民主法治示范社区")]


def test_each_clause_has_its_own_recipient() -> None:
    text = "2021年，区委依法治区办被评为全市法治建设成绩突出集体，区司法局获评全省公共法律服务工作先进集体。"
    ents = [ent(text, "区委依法治区办", canonical="江宁区委依法治区办"),
            ent(text, "区司法局", canonical="江宁区司法局")]
    rels = find_honours(text, CTX, ents)[1]
    assert [(r.subject, r.object, r.year) for r in rels] == [
        ("江宁区委依法治区办", "全市法治建设成绩突出集体", 2021),
        ("江宁区司法局", "全省公共法律服务工作先进集体", 2021),
    ]


@pytest.mark.parametrize(
    ("text", "recipient", "who", "conferrer"),
    [
        ("河西调委会被省司法厅命名为“四星级调委会”。", "河西调委会", "省司法厅", "江苏省司法厅"),
        ("区公证处获评市司法局“公证质量评查优秀单位”。", "区公证处", "市司法局", "南京市司法局"),
        ("东山司法所被市人民政府办公室授予“优秀创新”项目。", "东山司法所", "", "市人民政府办公室"),
        ("东山司法所获评全国模范司法所。", "东山司法所", "", ""),
    ],
)
def test_conferrer(text: str, recipient: str, who: str, conferrer: str) -> None:
    ents = [ent(text, recipient)] + ([ent(text, who, canonical=conferrer)] if who else [])
    [rel] = find_honours(text, CTX, ents)[1]
    assert (rel.subject, rel.conferrer) == (recipient, conferrer)


def test_coordinated_conferrers() -> None:
    text = "区司法局被司法部、全国普法办联合评为全国普法工作先进单位。"
    ents = [ent(text, "区司法局", canonical="江宁区司法局"), ent(text, "司法部"), ent(text, "全国普法办")]
    [rel] = find_honours(text, CTX, ents)[1]
    assert (rel.subject, rel.object) == ("江宁区司法局", "全国普法工作先进单位")
    assert rel.conferrer in {"司法部", "全国普法办"}


def test_conferrer_is_not_the_recipient() -> None:
    text = "河西调委会被省司法厅命名为“四星级调委会”。"
    ents = [ent(text, "河西调委会"), ent(text, "省司法厅", canonical="江苏省司法厅")]
    [rel] = find_honours(text, CTX, ents)[1]
    assert (rel.subject, rel.object, rel.conferrer) == ("河西调委会", "四星级调委会", "江苏省司法厅")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我区获评全省法治建设先进县（市、区）。", [("place", "江宁区")]),
        ("全区获评全省平安建设先进区。", [("place", "江宁区")]),
        ("我局获评全省司法行政系统先进集体。", [("agency", "江宁区司法局")]),
        ("获评2021年度全市人民调解工作先进单位。", [("agency", "江宁区司法局")]),
        ("三个调委会被评为“市级规范化调委会”。", []),  # the recipients are not named
        ("成功创建省级民主法治示范社区2个、市级5个。", []),  # a tally
        # nobody named: a county-level title is the district's, a village's needs the village
        ("成功创建省级法治政府建设示范县。", [("place", "江宁区")]),
        ("获评全国法治政府建设示范县(市、区)。", [("place", "江宁区")]),
        ("获评省级民主法治示范村。", []),
        # a person received it: no body is the recipient
        ("我局干部张三被评为全省优秀公务员。", []),
    ],
)
def test_recipient_fallbacks(text: str, expected: list[tuple[str, str]]) -> None:
    rels = find_honours(text, CTX, [])[1]
    assert [(r.subject_type, r.subject) for r in rels] == expected


def test_a_second_conferral_after_bei_does_not_hide_the_first() -> None:
    text = "区司法局被评为全省先进单位并被市委授予奖牌。"
    office = [ent(text, "区司法局", canonical="江宁区司法局")]
    assert awards(text, office) == [("江宁区司法局", "全省先进单位")]


def test_a_person_after_the_body_is_the_recipient_not_the_body() -> None:
    text = "区法律援助中心律师李四获评全省优秀律师,区法律援助中心获评全省先进集体。"
    centre = [ent(text, "区法律援助中心", canonical="江宁区法律援助中心", nth=n) for n in (0, 1)]
    assert awards(text, centre) == [("江宁区法律援助中心", "全省先进集体")]


def test_elliptical_levels_are_spelt_out() -> None:
    assert honours("2021年成功创建全国民主法治示范村2个、省级4个、市级6个。") == [
        "全国民主法治示范村", "省级民主法治示范村", "市级民主法治示范村"]


def test_programme_recipient_and_evidence() -> None:
    text = "一、总体情况\n“和美”调解品牌入选全省法治政府建设“优秀创新”项目，成效明显。"
    ents = [ent(text, "“和美”调解品牌", "programme", "和美调解品牌")]
    [rel] = find_honours(text, CTX, ents)[1]
    assert (rel.kind, rel.subject_type, rel.subject, rel.object) == (
        "awarded", "programme", "和美调解品牌", "全省法治政府建设优秀创新项目")
    assert text[rel.start:rel.end] == rel.evidence
    assert rel.year == 2023  # no year in the sentence: the report's


def test_subject_body_wins_over_a_programme_it_runs() -> None:
    text = "区司法局深入推进“八五”普法工作获评全省普法工作先进集体。"
    ents = [ent(text, "区司法局", canonical="江宁区司法局"), ent(text, "“八五”普法", "programme", "八五普法")]
    assert awards(text, ents) == [("江宁区司法局", "全省普法工作先进集体")]


def test_entities_inside_book_titles_are_not_recipients() -> None:
    text = "由《江宁法韵》改编的情景剧获全省法治文艺作品一等奖。"
    ents = [ent(text, "江宁", "place", "江宁区")]  # inside the book title
    assert awards(text, ents) == []


def test_bad_rules_file(tmp_path) -> None:
    path = tmp_path / "honour_rules.json"
    path.write_text(json.dumps({"strong_triggers": ["获评"]}), encoding="utf-8")
    with pytest.raises(KGError, match="not an honour rules file"):
        H._read_rules(path)
    with pytest.raises(KGError, match="cannot read the honour rules"):
        H._read_rules(tmp_path / "absent.json")


def test_batch_and_year_words_stay_in_the_surface_for_aliases() -> None:
    text = "河西调委会被市司法局命名为“第三批四星级调委会”。"
    [m] = find_honours(text, CTX, [])[0]
    assert (m.canonical, m.surface) == ("四星级调委会", "“第三批四星级调委会”")


def test_year_of_the_title_when_the_sentence_has_none() -> None:
    text = "区司法局获评2021年度全市人民调解工作先进单位。"
    [rel] = find_honours(text, CTX, [ent(text, "区司法局", canonical="江宁区司法局")])[1]
    assert rel.year == 2021


GUIPING = Context(district=Division("450881", "桂平市", "桂平", "county", "450800"), agency="桂平市司法局", year=2023)


@pytest.mark.parametrize(
    ("text", "places", "expected"),
    [
        # titles joined by 和 after one trigger are each conferred
        ("我市荣获全国法治政府建设示范县(市、区)、全省平安建设先进县和全国七五普法先进县称号。", [],
         [("桂平市", "全国法治政府建设示范县(市、区)"), ("桂平市", "全省平安建设先进县"), ("桂平市", "全国七五普法先进县")]),
        ("我局被评为全省司法行政系统先进集体和全市人民调解工作先进单位。", [],
         [("桂平市司法局", "全省司法行政系统先进集体"), ("桂平市司法局", "全市人民调解工作先进单位")]),
        # one title with 与 inside it stays one
        ("谷塘村获评全国法治与德治示范村。", ["谷塘村"], [("谷塘村", "全国法治与德治示范村")]),
        # 分别: the titles go to the recipients in order
        ("谷塘村、沙坡村分别获评全国民主法治示范村和自治区级民主法治示范村。", ["谷塘村", "沙坡村"],
         [("谷塘村", "全国民主法治示范村"), ("沙坡村", "自治区级民主法治示范村")]),
        # a counted subject names no recipient
        ("全市有3个村被评为自治区级民主法治示范村。", [], []),
        ("全区共有12家单位荣获全省普法先进单位。", [], []),
        # 创建为 confers like 创建成为; 自治区级 is a level word
        ("谷塘村成功创建为自治区级民主法治示范村。", ["谷塘村"], [("谷塘村", "自治区级民主法治示范村")]),
        # more conferral verbs: 成为, 被列入…名单, 被评定为, 获评为; 首个 is no part of the title
        ("我市成为全区首个法治政府建设示范市。", [], [("桂平市", "全区法治政府建设示范市")]),
        ("下湾镇被列入全国乡村治理示范镇名单。", ["下湾镇"], [("下湾镇", "全国乡村治理示范镇")]),
        ("下湾镇被评定为全区五星级平安乡镇。", ["下湾镇"], [("下湾镇", "全区五星级平安乡镇")]),
        ("我市获评为全区法治建设先进县(市、区)。", [], [("桂平市", "全区法治建设先进县(市、区)")]),
        ("法治宣传成为推动发展的重要力量。", [], []),
        ("2023年，市被评为全区平安县(市、区)。", [], [("桂平市", "全区平安县(市、区)")]),  # the bare level word
        # a place inside a quoted brand is part of the brand's name, not the recipient
        ("我市“法治桂平”普法品牌入选全区普法依法治理创新案例。", ["桂平"], [("桂平市", "全区普法依法治理创新案例")]),
        ("全市3个村（社区）被命名为自治区级民主法治示范村（社区）。", [], []),
        # 分别 with three titles, the last two joined by 和 and the last with no honour head of its own
        ("市人民法院、市人民检察院、市公安局分别荣获全区政法系统先进集体、全区检察机关先进集体和全区优秀公安局称号。",
         ["市人民法院", "市人民检察院", "市公安局"],
         [("市人民法院", "全区政法系统先进集体"), ("市人民检察院", "全区检察机关先进集体"), ("市公安局", "全区优秀公安局")]),
        # a count of the honours received is no tally of bodies made; 一年来 opens a clause like 今年
        ("一年来，先后获得“全区模范司法所”“全区法治宣传教育先进集体”等荣誉10余项。", [],
         [("桂平市司法局", "全区模范司法所"), ("桂平市司法局", "全区法治宣传教育先进集体")]),
        # 该办, 该队: an office or a brigade named before
        ("市委依法治市办统筹推进法治建设,该办获评全区法治建设先进单位。", ["市委依法治市办"],
         [("市委依法治市办", "全区法治建设先进单位")]),
        # quoted titles side by side
        ("我市荣获“全国法治政府建设示范县(市、区)”“全区平安县(市、区)”等荣誉称号。", [],
         [("桂平市", "全国法治政府建设示范县(市、区)"), ("桂平市", "全区平安县(市、区)")]),
        # 该所, 该村: the body or place of that kind named last
        ("下湾镇司法所扎实开展调解工作。该所被司法部授予“全国模范司法所”荣誉称号。", ["下湾镇司法所"],
         [("下湾镇司法所", "全国模范司法所")]),
        ("谷塘村建成法治文化广场,沙坡村修订村规民约,该村获评自治区级民主法治示范村。", ["谷塘村", "沙坡村"],
         [("沙坡村", "自治区级民主法治示范村")]),
    ],
)
def test_lists_of_titles_and_of_recipients(text, places, expected) -> None:
    ents = [ent(text, p, "place" if p.endswith(("村", "镇", "桂平")) else "agency") for p in places]
    assert awards(text, ents, GUIPING) == expected


def test_titles_created_in_number_are_honours_with_no_recipient() -> None:
    text = "全市共创建国家级民主法治示范村2个、自治区级8个。"
    assert [m.canonical for m in find_honours(text, GUIPING, [])[0]] == ["国家级民主法治示范村", "自治区级民主法治示范村"]
    assert awards(text, [], GUIPING) == []


@pytest.mark.parametrize(
    ("opening", "agency"),
    [
        ("区司法局在区委的领导下，扎实推进各项工作。", "城关区司法局"),
        # a mediation committee the opening names first did not write the report
        ("区人民调解委员会、雁北街道人民调解委员会被评为先进集体。", ""),
    ],
)
def test_the_author_taken_from_the_opening_is_a_body_that_issues_reports(opening: str, agency: str) -> None:
    from kg.divisions import gazetteer
    from kg.extract import context_for
    from kg.types import Metadata

    gaz = gazetteer()
    ctx = context_for(Metadata(district=gaz.by_code["620102"]), gaz, opening=opening)
    assert ctx.agency == agency
    # so 我局 in a report with no author found names no recipient
    text = opening + "我局选送的微视频荣获全国法治动漫微电影作品征集展示活动优秀作品奖。"
    assert [r.subject for r in find_honours(text, ctx, [])[1] if "作品" in r.object] == ([agency] if agency else [])


def test_of_a_place_and_the_body_it_names_by_a_shared_head_the_body_receives() -> None:
    text = "下湾镇、石龙镇司法所分别获评全区模范司法所和全区规范化司法所。"
    ents = [ent(text, "下湾镇", "place"), ent(text, "下湾镇", "agency", "下湾镇司法所"), ent(text, "石龙镇司法所")]
    assert awards(text, ents, GUIPING) == [("下湾镇司法所", "全区模范司法所"), ("石龙镇司法所", "全区规范化司法所")]
