"""Places and agencies on sentences written for the tests (districts from several provinces)."""

import pytest

from kg.extract import context_for
from kg.recognise.agencies import find_agencies
from kg.recognise.places import find_places
from kg.types import Metadata


def canon(mentions):
    return [m.canonical for m in mentions]


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("620102", "兰州市城关区司法局组织开展普法活动。", ["兰州市", "城关区"]),
        ("450103", "广西壮族自治区南宁市青秀区推进法治建设。", ["广西壮族自治区", "南宁市", "青秀区"]),
        ("330211", "九龙湖镇与骆驼街道开展联合执法,九龙湖村获评示范村。", ["九龙湖镇", "骆驼街道", "九龙湖村"]),
        ("330211", "宁波积极推进法治建设。", ["宁波市"]),  # bare name of the report's own city
        ("330211", "在宁波路设立法律服务点,走进镇海中学。", []),  # a street and a school, not places
        ("620102", "全省全市全区开展普法。", []),  # scopes are no places
        # one suffix for a list of the district's towns; a name not in its subtree is left alone
        ("620102", "在雁北、雁南和东岗街道设立调解室。", ["雁北街道", "雁南街道", "东岗街道"]),
        ("620102", "在西湖、雁南街道设立调解室。", ["雁南街道"]),
        # a development zone named bare or after the district's name is the district's
        ("411082", "经济技术开发区获评省级法治园区。", ["长葛经济技术开发区"]),
        ("411082", "长葛经济技术开发区开展普法。", ["长葛经济技术开发区"]),
        ("411082", "许昌市高新区开展普法。", ["许昌市"]),  # another place's zone is not the district's
        # a community named right after its town is a place, though the division data do not list it
        ("500120", "璧城街道大堰社区获评示范社区。", ["璧城街道", "大堰社区"]),
        # villages that open a clause and receive a title are places, listed or not
        ("532529", "2023年，龙井村、桃源社区获评省级民主法治示范村（社区）。", ["龙井村", "桃源社区"]),
        ("532529", "全县12个村获评示范村，各村被评为先进。", []),
        ("500120", "青杠街道白云村村委会、青杠街道各村、璧城街道开展进村、璧城街道村民。",
         ["青杠街道", "白云村", "青杠街道", "璧城街道", "璧城街道"]),
    ],
)
def test_places(context_of, code, text, expected):
    assert canon(find_places(text, context_of(code))) == expected


def test_same_named_county_in_own_city_wins(context_of):
    found = find_places("江北区开展法治宣传。", context_of("330205"))
    assert [(m.canonical, m.code) for m in found] == [("江北区", "330205")]


def test_town_short_form_only_when_named_in_full(context_of):
    ctx = context_of("330211")
    assert canon(find_places("九龙湖司法所开展调解。", ctx)) == []
    assert canon(find_places("九龙湖镇成立调解室,九龙湖司法所开展调解。", ctx)) == ["九龙湖镇", "九龙湖镇"]
    assert canon(find_places("九龙湖镇成立调解室,九龙湖小学开展普法。", ctx)) == ["九龙湖镇"]  # a school's name


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("620102", "区司法局会同市司法局和省司法厅开展检查。", ["城关区司法局", "兰州市司法局", "甘肃省司法厅"]),
        ("620102", "在区委区政府的领导下,区委依法治区办统筹推进。", ["城关区委", "城关区政府", "城关区委依法治区办"]),
        ("620102", "区依法治区办印发工作要点。", ["城关区委依法治区办"]),
        ("620102", "联系市、区两级司法局开展调研。", ["兰州市司法局", "城关区司法局"]),
        ("620102", "积极与区工信局、科创局、工商联等部门对接。", ["城关区工信局", "城关区科创局", "城关区工商联"]),
        ("620102", "我局认真贯彻司法部部署。", ["城关区司法局", "司法部"]),
        ("450103", "广西壮族自治区南宁市青秀区人民法院审结案件。", ["青秀区人民法院"]),
        ("450103", "区检察院与区法院联合开展活动。", ["青秀区人民检察院", "青秀区人民法院"]),
        ("450103", "指导广西桂海律师事务所开展公益服务。", ["广西桂海律师事务所"]),
        ("450103", "成立“连心”调解工作室,化解纠纷。", ["连心调解工作室"]),
        ("450103", "全区各部门积极参与。", []),
        ("450103", "长塘司法所获评省级“枫桥式”司法所。", ["长塘司法所"]),  # the second is an honour
        ("450103", "共引进3家律师事务所。", []),
        # a subdistrict's own name before 街道 and a town head; 街道 with no name, or a scope word, is none
        ("230822", "新华街道司法所、城东街道人民调解委员会联合调解。", ["新华街道司法所", "城东街道人民调解委员会"]),
        ("230822", "各街道司法所、辖区街道派出所和城区街道司法所参加。", []),
        ("450103", "南宁市律师协会青秀分会开展培训。", ["南宁市律师协会青秀分会", "南宁市律师协会"]),
        ("450103", "联合民盟南宁市委开展普法。", ["民盟南宁市委"]),
        ("450103", "认真落实中办、国办印发的意见。", ["中共中央办公厅", "国务院办公厅"]),
        # a title names its issuers where it begins, and no other body
        ("450103", "学习《中共中央关于全面推进依法治国若干重大问题的决定》。", ["中共中央"]),
        ("450103", "学习《中华人民共和国人民法院组织法》。", []),
        ("320281", "转发《中共江阴市委办公室 江阴市人民政府办公室关于加强法治建设的通知》", ["江阴市委办公室", "江阴市政府办公室"]),
        ("610626", "转发《县委依法治县办关于成立“重点工程法治服务领导小组”的通知》",
         ["吴起县委依法治县办", "重点工程法治服务领导小组"]),
        ("540102", "学习《西藏自治区党委自治区人民政府关于加强法治建设的意见》", ["西藏自治区党委", "西藏自治区政府"]),
        # committees of law-based governance named after a verb, and a prefecture's party committee (地委)
        ("500115", "年内两次召开全面依法治区委员会全体会议。", ["长寿区委全面依法治区委员会"]),
        ("653130", "依法治县办牵头督察,传达地委依法治地委员会的部署。", ["巴楚县委依法治县办", "喀什地委全面依法治地委员会"]),
        ("653130", "当地委托律师代理。", []),
        ("653101", "地区行署部署。", ["喀什地区行署"]),
        # the party committee's own bodies: its office and its school; not an office on its own
        ("140522", "县委党校开设法治专题课,县委办公室印发通知。", ["阳城县委党校", "阳城县委办公室"]),
        ("140522", "局办公室负责。", []),
        # a one-character county writes its level twice in its party committee's name
        ("411523", "县委、县政府主要负责人,新县县委常委会研究。", ["新县县委", "新县政府", "新县县委常委会"]),
        ("310115", "区委政法委、浦东新区区委全面依法治区委员会和区政府。",
         ["浦东新区区委政法委", "浦东新区区委全面依法治区委员会", "浦东新区政府"]),
        # a level word repeats the place just named: 泉州市委市政府 in a county-level city's report
        ("320281", "报送无锡市委市政府、江阴市委。", ["无锡市委", "无锡市政府", "江阴市委"]),
        # a county report's government party group, with or without its level
        ("430621", "县人民政府党组专题研究法治工作,政府党组会议学法三次。",
         ["岳阳县人民政府党组", "岳阳县政府党组"]),
        ("210311", "区委法治建设委员会召开全体会议。", ["千山区委法治建设委员会"]),
        # a party committee's full name, with the city before the county: its usual name, 区委
        ("621102", "中共定西市安定区委员会 定西市安定区人民政府", ["安定区委", "安定区政府"]),
        ("411523", "中共新县委员会印发意见。", ["新县县委"]),
        # a body's name may hold one 和 (政务服务和大数据管理局); a level char that opens a word is no level
        ("621102", "区政务服务和大数据管理局、区司法局和财政局、县域治理中心。",
         ["安定区政务服务和大数据管理局", "安定区司法局"]),
        # county bodies named by their usual short heads, the party committee's offices among them
        ("621102", "区禁毒办、区综治办、区委政研室、区侨联、区档案馆参加。",
         ["安定区禁毒办", "安定区综治办", "安定区委政研室", "安定区侨联", "安定区档案馆"]),
        # a police station or a people's tribunal by its own short name; 公安派出所 is a kind
        ("621102", "凤翔派出所、巉口人民法庭联合调解,经公安派出所核实。", ["凤翔派出所", "巉口人民法庭"]),
        # service stations and rooms of towns and communities; forensic institutes named like firms;
        # a mediation committee of a trade; community corrections bodies
        ("621102", "凤翔镇公共法律服务站、中华路社区公共法律服务室建成,各村公共法律服务室全覆盖。",
         ["凤翔镇公共法律服务站", "中华路社区公共法律服务室"]),
        ("621102", "甘肃正德司法鉴定所参与鉴定,委托司法鉴定所。", ["甘肃正德司法鉴定所"]),
        ("621102", "区道路交通事故纠纷人民调解委员会、区社区矫正管理局。",
         ["安定区道路交通事故纠纷人民调解委员会", "安定区社区矫正管理局"]),
        # the party committee's and the government's offices and the law society by their short names;
        # 委办局 (commissions, offices and bureaus) and 政府办事 are other words
        ("621124", "县委办、县政府办和县律协联合督查,市直各委办局到县政府办事。",
         ["临洮县委办公室", "临洮县政府办公室", "临洮县律师协会", "临洮县政府"]),
        # a court's or a police bureau's own units, named after it with its full name
        ("621124", "县法院执行局、县公安局城关派出所参加。",
         ["临洮县人民法院执行局", "临洮县人民法院", "临洮县公安局城关派出所", "临洮县公安局"]),
        # the usual short forms of courts and of the supreme court and procuratorate
        ("621102", "市中院、省高院、最高检和最高法联合调研。",
         ["定西市中级人民法院", "甘肃省高级人民法院", "最高人民检察院", "最高人民法院"]),
        # towns listed before one body head share it; a county body after a town does not
        ("310109", "北外滩街道、嘉兴路街道人民调解委员会和欧阳路街道、区司法局。",
         ["北外滩街道人民调解委员会", "嘉兴路街道人民调解委员会", "虹口区司法局"]),
        # committees whose name holds 安全, the full 禁毒委员会, leading groups of the county
        ("621124", "县安全生产委员会、县禁毒委员会和县普法领导小组参加,会议成立领导小组。",
         ["临洮县安全生产委员会", "临洮县禁毒委员会", "临洮县普法领导小组"]),
        # a subdistrict's office and its party working committee
        ("310109", "北外滩街道办事处、嘉兴路街道党工委参加,各街道办事处配合。", ["北外滩街道办事处", "嘉兴路街道党工委"]),
        # a town's short name that opens with a character that stops other names (内官营镇)
        ("621102", "内官营司法所获评省级枫桥式司法所。", ["内官营司法所"]),
        # the issuing bureau's own party group, named with no level
        ("620102", "局党组专题研究法治工作,公安局党委、分局党组参加。", ["城关区司法局党组"]),
        ("210311", "《关于转发最高人民法院关于行政审判工作意见的通知》", ["最高人民法院"]),
        # any body of a jurisdiction, also where its head is not a bureau's
        ("110108", "区园林绿化局、区红十字会开展活动。", ["海淀区园林绿化局", "海淀区红十字会"]),
        # bodies of every kind after a level word: the armed forces department, fire and traffic brigades,
        # the law society, a high court, the party committee's commissions and offices
        ("450881", "市人武部、市消防救援大队、市公安局交警大队联合开展。",
         ["桂平市人民武装部", "桂平市消防救援大队", "桂平市公安局交警大队", "桂平市公安局"]),
        ("450881", "市法学会、市律师协会联合开展。", ["桂平市法学会", "桂平市律师协会"]),
        ("450881", "自治区高级人民法院、贵港市中级人民法院。", ["广西壮族自治区高级人民法院", "贵港市中级人民法院"]),
        ("450881", "市委全面深化改革委员会、市委巡察办。", ["桂平市委全面深化改革委员会", "桂平市委巡察办"]),
        ("450881", "成立工作大队。", []),
        # a university by its name; a research institute of a national body; a county's own office named bare
        ("510704", "邀请西南政法大学诉讼法学专家授课。", ["西南政法大学"]),
        ("510704", "商洽商务部国际贸易经济合作研究院研究员。", ["商务部国际贸易经济合作研究院", "商务部"]),
        ("510704", "全面承接原政府法制办职能。", ["游仙区政府法制办"]),
        # schools are bodies; a level word before one is the report's own county
        ("330211", "凤凰村成功创建示范村,实验小学被评为法治教育观测点。", ["实验小学"]),
        ("330211", "区实验小学获评示范校,全区中小学开展法治教育。", ["镇海区实验小学"]),
        ("330211", "理论学习中心组集中学习,常务会议集中学法,组织大学生、中学生旁听庭审。", []),
        ("330211", "支持普通中学、民族小学和研究型大学开展法治教育。", []),  # kinds of school
        ("152221", "旗普法办联合旗教育局开展巡讲。", ["科尔沁右翼前旗普法办", "科尔沁右翼前旗教育局"]),
        # a province's committee named with its abbreviation: only the report's own province's
        ("652928", "贯彻依法治疆委员会第二次会议精神。", ["新疆维吾尔自治区党委依法治疆委员会"]),
        ("520102", "省委依法治黔委员会办公室印发要点。", ["贵州省委依法治黔办"]),
        ("620102", "学习依法治疆委员会会议精神。", []),
        ("652928", "县人民法院与县司法局建立府院联动机制。", ["阿瓦提县人民法院", "阿瓦提县司法局"]),
        ("652928", "县社会组织服务中心开展培训。", ["阿瓦提县社会组织服务中心"]),
        # a province's body after a city's level word, and a rank, name no body
        ("621122", "省、自治区、直辖市高级人民法院依法审理。", []),
        ("621122", "市高级人民法院和省级人民政府征兵办公室。", []),
        # 我市/本县 before a body: the report's own county's
        ("450881", "我市法律援助中心被评定为五星级法律援助中心。", ["桂平市法律援助中心"]),
        ("620102", "我区人民法院、本区检察院联合开展活动。", ["城关区人民法院", "城关区人民检察院"]),
        ("450881", "我市委托律师代理案件。", []),
        # 旗 coordinates like any level word: 盟、旗两级 and 市、县、旗三级 give one body per level
        ("152221", "联系盟、旗两级司法局开展调研。", ["兴安盟司法局", "科尔沁右翼前旗司法局"]),
        ("150422", "组建市、旗两级调解委员会。", ["赤峰市人民调解委员会", "巴林左旗人民调解委员会"]),
        ("450103", "加强与公安部门协作。", []),
        ("450103", "指导广西桂海(南宁)律师事务所成立党支部。", ["广西桂海(南宁)律师事务所"]),
        ("450103", "设立律师调解室和普法工作室。", []),
        ("620102", "甘肃省兰州市城关区区司法局", ["城关区司法局"]),  # a site header saying 区 twice
        ("450103", "青秀区区委召开全会。", ["青秀区委"]),
        # bodies set up under a quoted name; a quoted name before 创建 is a campaign
        ("450103", "与市法院共同成立“行政争议府院协同化解中心”,签署备忘录。", ["南宁市人民法院", "行政争议府院协同化解中心"]),
        ("450103", "对接区人民法院“金融调处中心”和“巡回审判法庭”。",
         ["青秀区人民法院金融调处中心", "青秀区人民法院", "巡回审判法庭"]),
        ("450103", "开展“智慧矫正中心”创建工作。", []),
        ("450103", "开展“法律进社区”活动。", []),
        ("620102", "依法治区委员会守法普法协调小组发挥作用。", ["城关区委全面依法治区委员会守法普法协调小组",
                                                           "城关区委全面依法治区委员会"]),
        ("620102", "联系市、区惠民帮扶中心开展帮扶。", ["兰州市惠民帮扶中心", "城关区惠民帮扶中心"]),
        ("620102", "用好区政府法律顾问团。", ["城关区政府法律顾问团", "城关区政府"]),
        # 州 and 盟: the prefecture of a county in an autonomous prefecture or a league
        ("622921", "州司法局、州委依法治州办指导。", ["临夏回族自治州司法局", "临夏回族自治州委依法治州办"]),
        ("622921", "州、县两级司法局", ["临夏回族自治州司法局", "临夏县司法局"]),
        ("152222", "盟司法局和盟委指导。", ["兴安盟司法局", "兴安盟委"]),
        ("620102", "州司法局", []),  # 兰州市 is no 州
        ("653130", "地区司法局和县司法局", ["喀什地区司法局", "巴楚县司法局"]),  # 地区: the prefecture
        ("653130", "与地区中级人民法院对接", ["喀什地区中级人民法院"]),
        ("620102", "地区司法局", []),
        # 党委: a county's is its 县委; an autonomous region's keeps the name it goes by
        ("450103", "自治区党委全面依法治区委员会印发方案。", ["广西壮族自治区党委全面依法治区委员会"]),
        ("450103", "自治区党委、自治区人民政府", ["广西壮族自治区党委", "广西壮族自治区政府"]),
        ("622921", "县党委、州党委", ["临夏县委", "临夏回族自治州委"]),
        ("620102", "自治区司法厅", []),  # 甘肃省 is no 自治区
        ("330211", "九龙湖镇党委开展学习。", ["九龙湖镇党委"]),
        # the party committee's departments, and the Youth League's committee
        ("620102", "区委组织部、区委宣传部和团区委", ["城关区委组织部", "城关区委宣传部", "共青团城关区委"]),
    ],
)
def test_agencies(context_of, code, text, expected):
    ctx = context_of(code)
    assert canon(find_agencies(text, ctx, find_places(text, ctx))) == expected


def test_agency_keeps_its_jurisdiction(context_of):
    ctx = context_of("620102")
    text = "区司法局开展工作。"
    (agency,) = find_agencies(text, ctx, find_places(text, ctx))
    assert (agency.canonical, agency.parent, agency.surface) == ("城关区司法局", "城关区", "区司法局")


@pytest.mark.parametrize(
    ("code", "field", "expected"),
    [
        ("621122", "司法局", "陇西县司法局"),  # 来源: 司法局 on the county's own site
        ("152525", "人民政府办公室", "东乌珠穆沁旗政府办公室"),
        ("621122", "县司法局", "陇西县司法局"),
        ("621122", "内蒙古法治网", ""),  # a website is no issuing body
        ("621122", "委员会", ""),
    ],
)
def test_issuer_from_a_bare_head(context_of, code, field, expected):
    assert context_of(code, field).agency == expected


def test_a_bare_head_in_the_header_wins_over_the_title(gaz):
    """发布机构: 人民政府办公室 names the issuer, though the title names the government."""
    md = Metadata(agency="人民政府办公室", title="东乌珠穆沁旗人民政府关于法治政府建设情况的报告",
                  district=gaz.by_code["152525"])
    assert context_for(md, gaz).agency == "东乌珠穆沁旗政府办公室"


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("河南省范县人民政府2023年法治政府建设情况报告", "范县"),  # after a province's suffix
        ("信阳市新县司法局工作总结", "新县"),
    ],
)
def test_metadata_and_places_agree_on_two_character_counties(gaz, text, county):
    """A report resolves only to a county its own places contain."""
    from kg.metadata import resolve_district

    district, _ = resolve_district(text, "", text, gaz=gaz)
    assert district is not None and district.name == county
    found = find_places(text, context_for(Metadata(district=district), gaz), gaz=gaz)
    assert county in [m.canonical for m in found]


@pytest.mark.parametrize("text", ["示范县创建工作有序推进", "全新县域经济发展"])
def test_two_character_county_inside_a_word_is_no_place(context_of, text):
    assert [m.canonical for m in find_places(text, context_of("620102"))] == []


# Each jurisdiction rule with sentences only it decides (set in several provinces).
JURISDICTION_TABLE = [
    ("_own_bare", "430621", "政府党组会议专题学法。", ["岳阳县政府党组"]),
    ("_after_place", "620102", "会同七里河区司法局开展普法。", ["七里河区司法局"]),
    ("_after_place", "411523", "新县县委研究部署。", ["新县县委"]),
    ("_after_autonomous", "450103", "自治区司法厅组织检查。", ["广西壮族自治区司法厅"]),
    ("_after_autonomous", "620102", "自治州司法局组织检查。", []),  # Gansu's 城关区 lies in no autonomous prefecture
    ("_after_prefecture_area", "653130", "地区司法局组织检查。", ["喀什地区司法局"]),
    ("_after_coordination", "152221", "盟、旗两级司法局联合检查。", ["兴安盟司法局", "科尔沁右翼前旗司法局"]),
    ("_after_repeat", "320281", "报送无锡市委市政府。", ["无锡市委", "无锡市政府"]),
    ("_after_repeat", "450881", "在贵港市委、市政府的领导下。", ["贵港市委", "贵港市政府"]),
    ("_after_level", "450881", "市法律援助中心、我市公证处。", ["桂平市法律援助中心", "桂平市公证处"]),
    ("_governed_level", "500115", "适时召开全面依法治区委员会全体会议。", ["长寿区委全面依法治区委员会"]),
    ("_named_body", "450103", "成立“连心”调解工作室。", ["连心调解工作室"]),
    ("_issuer_head", "621122", "司法局组织干部学法。", ["陇西县司法局"]),
]


@pytest.mark.parametrize(("rule", "code", "text", "expected"), JURISDICTION_TABLE)
def test_each_jurisdiction_rule(context_of, rule, code, text, expected):
    from kg.recognise import agencies

    ctx = context_of(code, "司法局" if rule == "_issuer_head" else "区司法局")
    places = find_places(text, ctx)
    assert [m.canonical for m in find_agencies(text, ctx, places, rules=["headed"])] == expected
    # without this rule, the sentence gives something else (or nothing)
    saved = agencies._JURISDICTION_RULES
    try:
        agencies._JURISDICTION_RULES = tuple(r for r in saved if r.__name__ != rule)
        assert [m.canonical for m in find_agencies(text, ctx, places, rules=["headed"])] != expected or not expected
    finally:
        agencies._JURISDICTION_RULES = saved


@pytest.mark.parametrize(
    ("name", "stem"),
    [("九龙湖镇", "九龙湖"), ("沙井街道", "沙井"), ("宝日希勒苏木", "宝日希勒"), ("新镇", ""), ("九龙湖村", "")],
)
def test_one_town_stem_serves_places_and_agencies(name: str, stem: str) -> None:
    from kg.text import town_stem

    assert town_stem(name) == stem
