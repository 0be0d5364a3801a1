"""Programme recognition and ``runs`` on sentences written for these tests."""

from __future__ import annotations

import json
import re

import opencc
import pytest

from kg.errors import KGError
from kg.recognise import programmes as P
from kg.recognise.programmes import find_programmes, programme_runs, sentence_spans
from kg.types import Context, Division

DISTRICT = Division("320115", "江宁区", "江宁", "county", "320100")
CITY = Division("320100", "南京市", "南京", "city", "320000")
PROVINCE = Division("320000", "江苏省", "江苏", "province")
CTX = Context(district=DISTRICT, city=CITY, province=PROVINCE, agency="江宁区司法局", year=2023)


def names(text: str) -> list[str]:
    return [m.canonical for m in find_programmes(text, CTX)]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("深入实施“八五”普法规划", "八五普法"),
        ("全面完成“七五”普法总结验收", "七五普法"),
        ("六五普法期间", "六五普法"),
        ("坚持和发展新时代“枫桥经验”", "枫桥经验"),
        ("推进“一社区一法律顾问”工作", "一村(居)一法律顾问"),
        ("全面落实一村（居）一法律顾问制度", "一村(居)一法律顾问"),
        ("开通12348法律咨询热线", "12348公共法律服务热线"),
        ("优化“12348”公共法律服务热线服务", "12348公共法律服务热线"),
        ("用好12348热线", "12348公共法律服务热线"),
        ("全面推行行政执法“三项制度”", "行政执法三项制度"),
        ("严格执行行政执法公示、执法全过程记录和重大执法决定法制审核制度", "行政执法三项制度"),
        ("推行“双随机、一公开”监管", "双随机一公开"),
        ("落实“谁执法、谁普法”责任", "谁执法谁普法"),
        ("全面推开“大综合一体化”行政执法改革", "大综合一体化行政执法改革"),
        ("深入开展“我为群众办实事”实践活动，", "我为群众办实事实践活动"),
        ("常态化开展扫黑除恶斗争", "扫黑除恶"),
        ("组织开展民法典宣传月活动", "民法典宣传月"),
        ("开展宪法宣传周系列活动", "宪法宣传周"),
        ("构建15分钟公共法律服务圈", "15分钟公共法律服务圈"),
        ("深入开展法律“七进”活动", "法律七进"),
        ("实施“法律明白人”培养工程", "法律明白人培育"),
        ("为中小企业开展法治体检", "法治体检"),
        ("坚持以案释法", "以案释法"),
        ("推进智慧矫正中心建设", "智慧矫正"),
        ("深化“放管服”改革", "放管服改革"),
        ("深入开展民主法治示范村（社区）创建", "民主法治示范村创建"),
        ("启动全国法治政府建设示范区创建", "法治政府建设示范创建"),
        ("积极创建全省法治政府建设示范区", "法治政府建设示范创建"),
        ("争创全国法治政府建设示范县", "法治政府建设示范创建"),
        ("争创全国法治政府建设示范旗", "法治政府建设示范创建"),
        ("扎实开展党史学习教育", "党史学习教育"),
        ("推动法律进企业", "法律进企业"),
        # national programmes, named in reports of any province
        ("深入开展党纪学习教育，", "党纪学习教育"),
        ("扎实开展深入贯彻中央八项规定精神学习教育", "中央八项规定精神学习教育"),
        ("推进“两学一做”学习教育常态化制度化", "两学一做学习教育"),
        ("深化“证照分离”改革", "证照分离改革"),
        ("推进政务服务“一网通办”", "一网通办"),
        ("推行“一件事一次办”", "一件事一次办"),
        ("畅通12345政务服务便民热线", "12345政务服务便民热线"),
        ("开展“4·15”全民国家安全教育日宣传", "全民国家安全教育日"),
        ("在“12·4”国家宪法日开展宣传", "国家宪法日"),
        ("积极开展市域社会治理现代化试点", "市域社会治理现代化试点"),
        ("推进认罪认罚从宽制度", "认罪认罚从宽制度"),
        ("完善“两法衔接”机制", "两法衔接"),
        ("扎实开展“枫桥式”人民调解委员会创建活动", "枫桥式人民调解委员会创建"),
        ("开展“枫桥式”派出所创建", "枫桥式公安派出所创建"),
        ("开展宪法进校园活动", "宪法进校园"),
        ("争创全国守法普法示范县", "守法普法示范创建"),
        ("畅通12309检察服务热线", "12309检察服务热线"),
        ("推进无讼村(社区)创建", "无讼村(社区)创建"),
        ("开展“减假暂”专项检查。", "减假暂专项检查"),
        ("实现“川渝通办”事项210项。", "川渝通办"),
        ("推行“四议两公开”工作法", "四议两公开"),
        ("实施法治宣传教育“八五”规划", "八五普法"),
        ("深化行政执法体制改革", "行政执法体制改革"),
        ("推进市域社会治理现代化", "市域社会治理现代化试点"),
        ("深化“三治融合”基层治理", "三治融合"),
        ("开展普法强基补短板专项行动", "普法强基补短板专项行动"),
    ],
)
def test_lexicon_variants(text: str, canonical: str) -> None:
    assert canonical in names(text)


def test_traditional_text_once_converted() -> None:
    text = opencc.OpenCC("t2s").convert("堅持和發展新時代“楓橋經驗”")
    assert names(text) == ["枫桥经验"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("组织开展“护企安商、法润民生”专项行动", "护企安商、法润民生专项行动"),
        ("部署“清朗校园”集中行动", "清朗校园集中行动"),
        ("打造“和美”调解品牌", "和美调解品牌"),
        ("推出“法韵乡音”普法品牌", "法韵乡音"),
        ("上线“智慧普法”平台", "智慧普法平台"),
        ("推广“五步调解”工作法", "五步调解工作法"),
        ("建立“三色预警”工作机制", "三色预警工作机制"),
        ("实施“百名律师助百村”工程", "百名律师助百村工程"),
        ("开展“送法下乡”活动30场", "送法下乡"),
        ("开发“e法通”小程序", "e法通"),
        ("持续开展“法润万家”，受众10万人次", "法润万家"),
        ("推出“乡村说法”", "乡村说法"),
        ("组织开展为期三个月的电信网络诈骗打击整治专项行动", "电信网络诈骗打击整治专项行动"),
        ("启动农村法治带头人培育工程", "农村法治带头人培育工程"),
        ("开展「法治进万家」宣传活动", "法治进万家"),
        ("开设“陇法通”官方抖音号，发布短视频", "陇法通"),  # a channel: the quoted name is the brand
        ("建成“桂小法”共享法治直播间", "桂小法"),
        # heads that end a plain name: a study campaign, a discussion, a publicity month, a pilot's creation
        ("深入开展四史学习教育，", "四史学习教育"),
        ("在全系统开展解放思想大讨论", "解放思想大讨论"),
        ("持续推进“三级公共法律服务体系建设”。", "三级公共法律服务体系建设"),  # a level modifier stays
        ("积极推进刑罚执行一体化建设。", "刑罚执行一体化建设"),
        ("推进梅林街道乡镇(街道)综合行政执法改革", "乡镇(街道)综合行政执法改革"),  # the town before is no part
        ("奋力推进基层法治示范区建设和普法工作", "基层法治示范区建设"),
        ("扎实推进新一轮基层党建三年行动计划", "基层党建三年行动计划"),
        ("扎实推进第二批主题教育", "主题教育"),
        ("深入推进学习型模范机关创建", "学习型模范机关创建"),
        ("组织“法律明白人”培训6次", "法律明白人培育"),
        ("线下设立“办不成事”窗口", "办不成事窗口"),
        ("举办法治宣传月活动", "法治宣传月"),
        ("每年十二月为本县法治宣传月", "法治宣传月"),
        ("启动法治乡镇(街道)示范创建", "法治乡镇(街道)示范创建"),
        ("推进滨江新城法治示范区创建", "滨江新城法治示范区创建"),
        ("深入推进乡镇(街道)法治化综合改革", "乡镇(街道)法治化综合改革"),
        ("推进综合行政执法改革", "综合行政执法改革"),
        ("确定12件法治为民办实事项目", "法治为民办实事"),  # the count is not part of the name
        # a year of a campaign (提升年, 突破年) after a verb
        ("深入开展行政执法规范提升年活动", "行政执法规范提升年"),
        ("全面开展营商环境突破年行动", "营商环境突破年"),
        # creations of model cities, sites and schools
        ("积极推进社会信用体系建设示范城市创建", "社会信用体系建设示范城市创建"),
        ("深化依法治校示范校创建", "依法治校示范校创建"),
        # a quoted numbered formula is a name by itself
        ("深化“两述两评”和“三抓三促”联动", "三抓三促"),
        ("全面推行“五抓五促”", "五抓五促"),
        # a numeral name before a method's or mechanism's head, whatever describes it before
        ("推行化解专业市场矛盾纠纷六零工作法", "六零工作法"),
        ("创新五步调解法", "五步调解法"),
        ("建立三色预警机制", "三色预警机制"),
    ],
)
def test_quoted_and_open_class_programmes(text: str, canonical: str) -> None:
    assert canonical in names(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二是深入开展三比三促机关作风建设。", ["三比三促"]),
        ("在各村推行四议两公开工作法。", ["四议两公开"]),
        ("坚持五湖四海，选好干部。", []),  # an idiom
        ("2023年是项目建设攻坚年。", []),  # a year named, no campaign carried out
        ("对整改情况开展“回头看”。", []),  # a review of the work, no programme
        ("开展一对一帮扶，开展两个全覆盖行动。", []),  # what the numerals count is no name
        ("实施三年两步走计划。", []),
        ("推行一村一品。", []),
    ],
)
def test_unquoted_formula_after_a_launch_verb(text: str, expected: list[str]) -> None:
    assert [n for n in names(text) if n in expected or not expected] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开展“《民法典》进万家”活动", ["民法典进万家"]),  # a law's title inside the quoted name
        ("组织《民法典》进农村、《宪法》进校园宣讲", ["民法典进农村", "宪法进校园"]),
        ("送《中华人民共和国民法典》进社区", ["民法典进社区"]),
        ("认真学习《民法典》,印发“《实施方案》”", []),  # a law studied, a title in quotes
    ],
)
def test_a_law_carried_somewhere_is_a_campaign(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_coordinated_quotes_share_the_head() -> None:
    assert names("打造“清风”“暖阳”系列调解品牌") == ["清风调解品牌", "暖阳调解品牌"]


def test_a_quoted_name_that_ends_in_the_shared_head_does_not_take_it_twice() -> None:
    assert names("部署“重点行业领域安全隐患排查专项行动”和“春雷”行动") == ["重点行业领域安全隐患排查专项行动", "春雷行动"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开展扫黑除恶专项斗争。", {"扫黑除恶专项斗争"}),
        ("常态化开展扫黑除恶斗争。", {"扫黑除恶"}),
        ("巩固扫黑除恶专项斗争成果，推进常态化扫黑除恶。", {"扫黑除恶专项斗争"}),  # one programme, its fuller name
    ],
)
def test_a_lexicon_name_and_its_fuller_form_in_one_report(text, expected) -> None:
    assert set(names(text)) == expected


def test_coordinated_lexicon_names_share_their_head() -> None:
    assert names("建立诉调、检调、公调对接机制") == ["诉调对接", "检调对接", "公调对接"]
    assert names("推进访调和律调对接") == ["访调对接", "律调对接"]
    assert names("加强调解、对接工作") == []


def test_one_canonical_for_a_name_with_and_without_its_head() -> None:
    text = "组织实施“法护营商”专项行动。持续推进“法护营商”，成效明显。“法护营商”专项行动获好评。"
    assert set(names(text)) == {"法护营商专项行动"}


@pytest.mark.parametrize(
    "text",
    [
        "印发《关于开展“法治护航”专项行动的通知》",  # a document title
        "制定《八五普法规划》",
        "深入学习贯彻“习近平法治思想”",  # ideology
        "坚决做到“两个维护”",
        "推动“关键少数”带头学法",
        "全面推进“法治江宁”建设",  # a slogan of a place
        "获评全省“枫桥式”司法所",  # an honour's part
        "开展法治宣传教育活动",  # generic, no name
        "成立“老兵调解”工作室",  # a body
        "打造“青少年法治教育基地”",  # a site
        "探索“定制化”服务模式",  # a manner
        "推进重点领域改革",
        "开展“事前、事中、事后”监管",
        "全年安排“联合检查”计划50个",  # a count of items, not a plan
        "支持“三无三假”人员落户",  # a formula that names a kind of people
        "退休党支部被推荐为“三强五好”支部",
        "确保示范创建取得实效",  # no name before the head
        "着力开展综合示范创建",
        "深化综合改革",
        "开展学习教育",
        "推进依法治区工作顺利完成机构改革",
        "实施重点领域三年行动计划",
        "推进城乡一体化建设",
        "市人民政府应当加大对示范区建设的支持",
        "完善第三方调解机制",  # a numeral that is no name's
        "一是健全工作机制，二是完善考核机制",  # an enumeration
        "建立统一窗口工作机制",  # 一 inside a word
        "完善劳动关系三方机制",
        "将法律知识列入学习教育内容",  # a verb inside the run
        "健全两级审核机制",
        "形成一对一帮扶机制",
        "建立一站式服务模式",
    ],
)
def test_not_programmes(text: str) -> None:
    assert names(text) == []


def test_mentions_carry_offsets_and_surface() -> None:
    text = "一是深入实施“八五”普法规划。"
    [m] = find_programmes(text, CTX)
    assert (m.type, m.surface, m.original) == ("programme", text[m.start:m.end], "")
    assert m.surface == "“八五”普法"


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("我区深入开展“法润乡村”专项行动。", True),
        ("区司法局持续推进“一村(居)一法律顾问”。", True),
        ("全面推广南京市“宁法通”平台。", True),  # the report's own city
        ("组织干部赴外地学习借鉴“百姓说事”经验。", False),
        ("赴先进地区参观“法治小院”平台。", False),
        ("杭州市推广的“民情通”平台在全国得到认可。", False),
        ("组织赴浙江省诸暨市学习“枫桥经验”。", False),  # a study trip
        ("深入学习推广新时代“枫桥经验”。", True),
    ],
)
def test_runs_unless_another_place_or_study(text: str, run: bool) -> None:
    progs = find_programmes(text, CTX)
    assert progs
    rels = programme_runs(text, CTX, progs)
    assert bool(rels) is run


def test_runs_one_relation_per_programme_with_first_sentence() -> None:
    text = "一、总体情况\n学习借鉴外地“百姓说事”经验。我区推行“百姓说事”经验；全面实施“八五”普法规划。“八五”普法成效明显。"
    rels = programme_runs(text, CTX, find_programmes(text, CTX))
    assert [(r.kind, r.subject_type, r.subject, r.object) for r in rels] == [
        ("runs", "place", "江宁区", "百姓说事经验"),
        ("runs", "place", "江宁区", "八五普法"),
    ]
    for r in rels:
        assert text[r.start:r.end] == r.evidence
    assert rels[0].evidence == "我区推行“百姓说事”经验；"


@pytest.mark.parametrize(
    ("ctx", "subject"),
    [
        (Context(agency="某县司法局"), ("agency", "某县司法局")),
        (Context(), None),
    ],
)
def test_runs_subject_without_district(ctx: Context, subject) -> None:
    text = "深入实施“八五”普法规划。"
    rels = programme_runs(text, ctx, find_programmes(text, ctx))
    assert ([(r.subject_type, r.subject) for r in rels][:1] or [None])[0] == subject


def test_sentence_spans() -> None:
    assert sentence_spans("甲。乙；\n丙") == [(0, 2), (2, 4), (5, 6)]


def test_speed_is_linear_enough() -> None:
    text = "全区深入开展“法润乡村”专项行动，落实“谁执法谁普法”责任制，获评省级“枫桥式”司法所。" * 2000
    assert len(find_programmes(text, CTX)) == 4000


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"canonical": "八五普法"}\n', "line 1"),
        ("not json\n", "line 1"),
        ('{"canonical": "X", "patterns": ["(unclosed"], "source": "s"}\n', "line 1"),
        ('{"canonical": "X", "aliases": ["X"]}\n', "line 1.*source"),  # every entry names its source
        ('{"canonical": "X", "aliases": ["X"], "source": "s"}\n{"canonical": "Y", "aliases": ["Y"], "source": " "}\n',
         "line 2"),
    ],
)
def test_bad_lexicon_names_file_and_line(tmp_path, content: str, match: str) -> None:
    path = tmp_path / "programmes.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KGError, match=match) as err:
        P._read_lexicon(path)
    assert str(path) in str(err.value)


def test_missing_lexicon(tmp_path) -> None:
    with pytest.raises(KGError, match="cannot read the programme lexicon"):
        P._read_lexicon(tmp_path / "absent.jsonl")


def test_bad_rules(tmp_path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"quote_pairs": []}), encoding="utf-8")
    with pytest.raises(KGError, match="not a programme rules file"):
        P._read_rules(path)


def test_shipped_data_loads() -> None:
    assert P._lexicon().literal["八五普法"] == "八五普法"
    assert "专项行动" in P._rules().keep_heads


def test_lexicon_patterns_are_tried_only_where_they_can_begin() -> None:
    import re._parser as sre_parse

    chars, empty = P._first_chars(sre_parse.parse("(?:4[.·]?15)?(?:全民)?国家安全教育日"))
    assert chars == {"4", "全", "国"} and not empty
    assert P._first_chars(sre_parse.parse("(?:[\u4e00-\u9fff]{2}型)?模范机关创建"))[0] is None  # any Han: everywhere
    assert P._first_chars(sre_parse.parse("(?<=落实)双随机"))[0] == {"双"}  # a lookbehind consumes nothing
    assert P._first_chars(sre_parse.parse("(?:一村)?"))[1]  # may match nothing


def test_the_lexicon_scan_finds_what_one_alternation_finds() -> None:
    lex = P._lexicon()
    alternation = re.compile("|".join(sorted(
        {re.escape(a) for a in lex.literal} | {f"(?:{p.pattern})" for p, _ in lex.regexes}, key=len, reverse=True)))
    text = ("开展“4·15”全民国家安全教育日、宪法宣传周和民法典宣传月活动,推进“八五”普法,建立诉调、检调、公调对接机制,"
            "深入推进学习型模范机关创建,落实行政执法三项制度和“双随机、一公开”监管。")
    view = P._strip_view(text)[0]
    assert lex.finditer(view) == [m.span() for m in alternation.finditer(view) if m.end() > m.start()]
