"""Agencies: a jurisdiction and a body, by productive patterns over body heads.

An agency is a body head (司法局, 人民法院, 调委会 … in ``pipelines/agencies.json``)
with what stands before it:

* a place the place recogniser found (镇海区司法局, 九龙湖镇调委会);
* a bare level word (区司法局, 市委, 省司法厅), resolved to the report's own
  district, city or province — so 区司法局 in 镇海区's report is 镇海区司法局;
* a coordinated pair of level words (市、区两级司法局): one agency each;
* for heads that take a proper name (律师事务所, 调解工作室 …), the name itself,
  quoted or not (“永和”调解工作室 → 永和调解工作室);
* nothing, for national bodies (司法部, 中央依法治国办).

我局 and 本局 are the issuing agency.

Example:
    >>> [m.canonical for m in find_agencies("区司法局会同市委政法委", ctx, [])]
    ['镇海区司法局', '宁波市委政法委']
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from kg.resources import data_dir
from kg.text import FUNCTION_CHARS as _FUNCTION_CHARS
from kg.text import LEVEL_COORDINATION, book_title_spans, coordinated_levels, drop_nested, town_stem
from kg.types import Context, Division, Mention

__all__ = ["find_agencies", "canonical_issuer", "agency_words", "AGENCY_DATA"]

AGENCY_DATA = data_dir("pipelines") / "agencies.json"
_LIST_ITEM = re.compile(r"、((?:(?![省市区县旗])[\u4e00-\u9fff]){1,6}?(?:局|委|办|中心|联|会|院))(?=[、，,。和及与等])")
# A count or a batch (3家, 四个, 第二批) is no name; a numeral inside one (九龙湖) is.
_COUNTED = re.compile(r"[0-9]|^[一二三四五六七八九十百千万两多几]+[个家名批所项类]|^第|[个家名批]$")
_NAME_CHAR = r"[\u4e00-\u9fffA-Za-z0-9()（）]"


@functools.cache
def _data() -> dict:
    """The agency data, with the committees of every level spelt out (依法治区办, 依法治县办 …)."""
    with open(AGENCY_DATA, encoding="utf-8") as fh:
        data = json.load(fh)
    family = {head.format(lv): canonical.format(lv)
              for head, canonical in data["level_heads"].items() for lv in data["levels"]}
    data["heads"] = [*family, *data["heads"]]
    data["party_heads"] = [*family, *data["party_heads"]]
    data["committee_heads"] = sorted(set(family.values()))
    data["canonical"] = {**data["canonical"], **{h: c for h, c in family.items() if h != c}}
    return data


def agency_words() -> list[str]:
    """Body names and heads that segmentation should keep whole (for the user dictionary)."""
    data = _data()
    return [*data["heads"], *data["named_heads"], *data["national"]]


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = _data()
    alt = lambda words: "|".join(sorted(map(re.escape, set(words)), key=len, reverse=True))  # noqa: E731
    # a head followed by what makes it part of another word is no head there (市委办局, 政府办事)
    guarded = {h: "".join(f"(?!{re.escape(w)})" for w in ws) for h, ws in data["head_not_before"].items()}
    heads = re.compile("|".join(re.escape(h) + guarded.get(h, "")
                                for h in sorted(set(data["heads"] + data["named_heads"]), key=len, reverse=True)))
    national = re.compile(f"(?:{alt(data['national'] + list(data['national_aliases']))})")
    pronouns = re.compile(f"(?:{alt(data['pronouns'])})")
    return heads, national, pronouns


def _level_place(level: str, ctx: Context) -> Division | None:
    """What a bare level word (区, 县, 市, 省 …) means in this report."""
    district = ctx.district
    if level in "区县旗" and district is not None:
        return district
    if level == "市":
        if district is not None and district.name.endswith("市"):
            return district
        return ctx.city
    if level == "省":
        return ctx.province
    if level in "州盟" and ctx.city is not None and ctx.city.name.endswith(level):
        return ctx.city  # 州司法局 in a county of 临夏回族自治州, 盟委 in one of 兴安盟
    if level == "地" and ctx.city is not None and ctx.city.name.endswith("地区"):
        return ctx.city  # 地委 in a county of 喀什地区
    return None


def _prefix(target: Division, level: str, committee: str) -> str:
    """How a body's name begins for a jurisdiction given by a level word.

    A prefecture's party committee is 喀什地委, not 喀什地区委; a county whose
    name is one character and its level, or a 新区, writes its committee 新县县委, 浦东新区区委.
    """
    if level == "地" and target.name.endswith("地区"):
        return target.name[:-1]
    if committee and _doubles_its_level(target.name):
        return target.name + target.name[-1]
    return target.name


def _doubles_its_level(name: str) -> bool:
    """新县县委, 浦东新区区委: a one-character county, or a 新区, writes its level twice before 委."""
    return len(name) == 2 and name.endswith("县") or name.endswith("新区")


def _canonical_head(head: str) -> str:
    return _data()["canonical"].get(head, head)


def _agency(text: str, start: int, end: int, canonical: str, jurisdiction: str = "") -> Mention:
    return Mention("agency", canonical, text[start:end], "", start, end, "", jurisdiction)


def _walk_back(text: str, hs: int, limit: int) -> int | None:
    """Where a proper name before ``hs`` starts, or None when it does not stand at a boundary."""
    stop, words = _data()["stop_chars"], _data()["stop_char_words"]
    i = hs
    while i > 0 and re.match(_NAME_CHAR, text[i - 1]) and (text[i - 1] not in stop or text[i - 2:i] in words):
        i -= 1
        if hs - i > limit:
            return None
    return i


def _named(text: str, hs: int, he: int, head: str) -> Mention | None:
    """A proper name before a head: “永和”调解工作室, 浙江同璟律师事务所, 鲤中司法所."""
    data = _data()
    quoted = re.search(r"[“\"]([^”\"]{1,10})[”\"]([\u4e00-\u9fff]{0,4})$", text[max(0, hs - 16):hs])
    if quoted:
        start, name = hs - len(quoted.group(0)), quoted.group(1) + quoted.group(2)
    else:
        limit = 4 if head in data["town_heads"] else 14
        found = _walk_back(text, hs, limit)
        if found is None:
            return None
        start, name = found, text[found:hs]
        opener = re.match(rf"^.*(?:{'|'.join(data['opener_verbs'])})", name)
        if opener:
            start, name = start + opener.end(), name[opener.end():]
        for word in sorted(data["not_names"], key=len, reverse=True):
            if name.startswith(word) and len(name) > len(word):
                start, name = start + len(word), name[len(word):]
                break
        if head.endswith(("律师事务所", "司法鉴定所", "司法鉴定中心")):
            # A firm's name opens with its province or city: 浙江同璟, 广东铭泓.
            at = _first_place(name)
            if at is None:
                return None
            if "(" not in name[:at] and "（" not in name[:at]:
                start, name = start + at, name[at:]  # else 浙杭(宁波): the place is in the brackets
    if name in data["generic_names"] or name.endswith(tuple(data["generic_name_endings"])):
        return None  # 律师调解室, 普法工作室, 公安派出所: a kind of room or station, not a named one
    before = _CLAUSE_BREAK.split(text[max(0, start - 6):start])[-1]  # within the name's own clause
    if any(t in before for t in data["triggers"]) or any(w in name for w in data["honour_words"]):
        return None  # 获评省级“枫桥式”司法所 is an honour
    # 新华街道司法所: a town's own name before 街道 (街道 alone, 各街道, 镇街 are no name)
    stem = re.sub(r"(?:街道|社区|村)$", "", name) if head in data["town_heads"] else name
    if (len(re.findall(r"[\u4e00-\u9fff]", stem)) < 2 or _COUNTED.search(name)
            or name in data["not_names"] or any(w in stem for w in data["not_names"] if len(w) > 1)):
        return None
    return _agency(text, start, he, name + head)


@functools.cache
def _place_prefixes() -> frozenset[str]:
    from kg.divisions import gazetteer  # noqa: PLC0415

    out = set()
    for div in gazetteer().by_code.values():
        if div.level in ("province", "city"):
            out.update(f for f in (div.name, div.short) if len(f) >= 2)
    return frozenset(out)


def _first_place(name: str) -> int | None:
    prefixes = _place_prefixes()
    for i in range(len(name) - 1):
        if name[i:i + 2] in prefixes or name[i:i + 3] in prefixes:
            return i
    return None


#: The agency rules in the order they run; each can be left out (``rules=`` here, ``rules`` in the config).
RULES = ("national", "pronouns", "abbreviations", "provincial_committees", "headed", "generic_bodies", "sub_bodies",
         "quoted_bodies", "title_issuers", "list_carry", "shared_heads")


def find_agencies(text: str, ctx: Context, places: list[Mention], *, rules: Collection[str] = RULES) -> list[Mention]:
    """Every agency named in ``text``, in order of position.

    Args:
        text: normalised (Simplified) text.
        ctx: the report's district, city, province and issuing agency.
        places: the places found in ``text`` (jurisdictions for agencies).
        rules: the names of the rules to run (:data:`RULES`, all by default).
    """
    out: list[Mention] = []
    if "national" in rules:
        out += _national(text)
    if "pronouns" in rules and ctx.agency:  # 我局, 本局: the issuing agency
        out += [_agency(text, m.start(), m.end(), ctx.agency) for m in _patterns()[2].finditer(text)]
        if ctx.agency.endswith("局"):  # 局党组, 我局党委: the issuing bureau's party group
            out += [_agency(text, m.start(), m.end(), ctx.agency + m.group(1)) for m in _OWN_PARTY_GROUP.finditer(text)]
    if "abbreviations" in rules:
        out += _abbreviations(text, ctx)
    if "provincial_committees" in rules:
        out += _provincial_committees(text, ctx)
    if "headed" in rules:
        _headed(text, ctx, places, out)
    if "generic_bodies" in rules:
        out += _generic(text, ctx, places, out)
    if "sub_bodies" in rules:
        out += _sub_bodies(text, out)
    if "quoted_bodies" in rules:
        out += _quoted_bodies(text, out)
    out = _outside_titles(text, out, issuers="title_issuers" in rules)
    if "list_carry" in rules:
        out += _list_carry(text, out)
    if "shared_heads" in rules:
        out += _shared_heads(text, places, out)
    return drop_nested({(a.start, a.end, a.canonical): a for a in out}.values(), keep_same_start=True)


_OWN_PARTY_GROUP = re.compile(r"(?:(?<=[我本])|(?<![\u4e00-\u9fff]))(?:[我本])?局(党组|党委)")


def _national(text: str) -> list[Mention]:
    """Bodies that need no jurisdiction: 司法部, 中央依法治国办 (and their usual abbreviations)."""
    aliases = _data()["national_aliases"]
    return [_agency(text, m.start(), m.end(), aliases.get(m.group(), m.group())) for m in _patterns()[1].finditer(text)
            if text[m.end():m.end() + 1] != "门"]  # 公安部门 is a class of departments


def _abbreviations(text: str, ctx: Context) -> list[Mention]:
    """省厅, 市局: what a justice bureau's report calls its superiors."""
    out: list[Mention] = []
    if ctx.agency.endswith("司法局"):
        for short, (level, head) in _data()["abbreviations"].items():
            target = _level_place(level, ctx)
            if target is not None:
                out += [_agency(text, m.start(), m.end(), target.name + head, target.name)
                        for m in re.finditer(re.escape(short), text)]
    return out


_PROVINCIAL_COMMITTEE = re.compile(r"(?:(?:自治区)?党委|省委)?(?:全面)?依法治(.)(委员会办公室|委员会|办)")


def _provincial_committees(text: str, ctx: Context) -> list[Mention]:
    """依法治疆委员会, 依法治黔办: the report's province's committee, named by its one-character abbreviation."""
    province = ctx.province
    if province is None:
        return []
    abbreviations = _data()["province_abbreviations"]
    party = "党委" if province.name.endswith("自治区") else "委"
    out = []
    for m in _PROVINCIAL_COMMITTEE.finditer(text):
        short = abbreviations.get(m.group(1))
        if short is None or not province.name.startswith(short):
            continue  # 依法治区, 依法治县 are the levels' own; another province's abbreviation is not ours
        body = f"依法治{m.group(1)}办" if m.group(2) != "委员会" else f"依法治{m.group(1)}委员会"
        out.append(_agency(text, m.start(), m.end(), province.name + party + body, province.name))
    return out


def _list_carry(text: str, found: list[Mention]) -> list[Mention]:
    """区工信局、科创局、工商联: the jurisdiction carries along a list."""
    out: list[Mention] = []
    for a in [a for a in found if a.parent and a.surface[:1] not in "我本"]:
        pos = a.end
        while (item := _LIST_ITEM.match(text, pos)) is not None:
            if any(b.start < item.end(1) and item.start(1) < b.end for b in found + out):
                break
            out.append(_agency(text, item.start(1), item.end(1), a.parent + item.group(1), a.parent))
            pos = item.end(1)
    return out


_TOWN_SUFFIX = re.compile(r"(?:街道|镇|乡|苏木|村|社区|嘎查)$")


def _shared_heads(text: str, places: list[Mention], found: list[Mention]) -> list[Mention]:
    """北外滩街道、嘉兴路街道人民调解委员会: towns or villages listed before one body head share it."""
    place_at = {p.start: p for p in places}
    place_end = {p.end: p for p in places}
    covered = _covered(len(text), found)
    out: list[Mention] = []
    for a in found:
        p = place_at.get(a.start)
        kind = _TOWN_SUFFIX.search(p.canonical) if p is not None else None
        if kind is None or not a.canonical.startswith(p.canonical) or len(a.canonical) == len(p.canonical):
            continue
        body, pos = a.canonical[len(p.canonical):], a.start
        while pos > 1 and text[pos - 1] in "、和及与" and (q := place_end.get(pos - 1)) is not None \
                and q.canonical.endswith(kind.group()):
            if not covered[q.start]:
                out.append(_agency(text, q.start, q.end, q.canonical + body, q.canonical))
            pos = q.start
    return out


@dataclass(frozen=True)
class _Head:
    """One body head in the text and what the rules need to know about it."""

    text: str
    ctx: Context
    hs: int  # where the head starts
    he: int  # where it ends
    head: str
    js: int  # where what names its jurisdiction must end (before 委 of 区委政法委)
    committee: str  # "委" when the body is a party committee's
    place_end: dict[int, Mention]
    found_end: dict[int, Mention]  # what the rules have found so far, by where it ends (the last one)

    @property
    def body(self) -> str:
        return self.committee + _canonical_head(self.head)


def _headed(text: str, ctx: Context, places: list[Mention], out: list[Mention]) -> None:
    """A body head with what stands before it: a place, a level word, a committee, a name; adds to ``out``.

    The jurisdiction rules in :data:`_JURISDICTION_RULES` are tried in order; the
    first that decides (returns a list, even an empty one) ends the search.
    """
    data = _data()
    place_end = {m.end: m for m in places}
    party = set(data["party_heads"])
    party_at = re.compile("|".join(map(re.escape, sorted(party, key=len, reverse=True))))
    covered = _covered(len(text), out)
    found_end = {a.end: a for a in out}
    for m in _patterns()[0].finditer(text):
        hs, he, head = m.start(), m.end(), m.group()
        if covered[hs] or head in ("委", "党委", "委员会") and party_at.match(text, he):
            continue
        committee, js = "", hs  # 区委 before a party body: 区委依法治区办, 市委政法委
        if head in party and text[hs - 1:hs] == "委":
            committee, js = "委", hs - (2 if text[hs - 2:hs] == "党委" else 1)
        elif _canonical_head(head) in data["committee_heads"]:
            committee = "委"  # 区依法治区办 is the committee's office all the same
        elif head in data["party_only_heads"]:
            continue  # 办公室, 党校 name a body only as the party committee's
        h = _Head(text, ctx, hs, he, head, js, committee, place_end, found_end)
        for rule in _JURISDICTION_RULES:
            found = rule(h)
            if found is not None:
                out.extend(found)
                _cover(covered, found)
                found_end.update((a.end, a) for a in found)
                break


def _covered(size: int, mentions: list[Mention]) -> bytearray:
    """A mark per character of the text: 1 where one of ``mentions`` stands (overlaps checked in O(1))."""
    covered = bytearray(size + 1)
    _cover(covered, mentions)
    return covered


def _cover(covered: bytearray, mentions: Iterable[Mention]) -> None:
    for a in mentions:
        covered[a.start:a.end] = b"\x01" * (a.end - a.start)


def _own_bare(h: _Head) -> list[Mention] | None:
    """政府党组会议专题学法: a county report's own government's party group, named with no level."""
    levels = _data()["levels"]
    if h.head in _data()["own_bare_heads"] and h.ctx.district is not None \
            and (h.hs == 0 or h.text[h.hs - 1] not in levels) and h.hs not in h.place_end:
        return [_agency(h.text, h.hs, h.he, h.ctx.district.name + _canonical_head(h.head), h.ctx.district.name)]
    return None


# 中共 or 中国共产党 and perhaps the city before a county: what opens a party committee's full name
_PARTY_NAME_BEFORE = re.compile(r"(?:中共|中国共产党)(?:[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|州|盟|地区))?$")


def _after_place(h: _Head) -> list[Mention] | None:
    """A place the place recogniser found: 镇海区司法局, 九龙湖镇调委会, 合川区区司法局."""
    text, js = h.text, h.js
    place = h.place_end.get(js)
    doubled = h.place_end.get(js - 1)  # 合川区区司法局: the level said twice, as site headers do
    if place is None and doubled is not None and doubled.canonical.endswith(text[js - 1:js]):
        place = doubled
    if place is None:
        return None
    data = _data()
    # A town, and a named body, keep the form the text gives: 九龙湖司法所, 宝安公证处.
    prefix = place.canonical if place.code and h.head not in data["named_heads"] else place.surface
    league = next((p for p in data["party_prefixes"] if text[:place.start].endswith(p)), "")
    # 九龙湖镇党委 stays, and so does 内蒙古自治区党委 (a region's usual name)
    keep = h.head == "党委" and (not place.code or place.canonical.endswith("自治区"))
    body = h.head if keep else _canonical_head(h.head)
    if h.head == "委员会" and _PARTY_NAME_BEFORE.search(text, max(0, place.start - 14), place.start):
        body = "委"  # 中共定西市安定区委员会: the party committee's full name, 安定区委
    if place.code and (h.committee or body.startswith("委")) and _doubles_its_level(prefix):
        prefix += prefix[-1]  # 新县县委, 浦东新区区委: the level written twice
    return [_agency(text, place.start - len(league), h.he, league + prefix + h.committee + body, place.canonical)]


def _after_autonomous(h: _Head) -> list[Mention] | None:
    """自治区司法厅, 自治州司法局: the report's province or prefecture, never the district."""
    text, js = h.text, h.js
    if text[max(0, js - 3):js] not in ("自治区", "自治州"):
        return None
    region = text[js - 3:js] == "自治区"
    target = h.ctx.province if region else h.ctx.city
    if target is None or not target.name.endswith(text[js - 3:js]):
        return []  # 自治州 in the report of a county of no autonomous prefecture
    body = h.body
    if region and (h.committee or h.head == "党委"):  # 自治区党委 is the region's party committee's name
        body = "党" + body
    return [_agency(text, js - 3, h.he, target.name + body, target.name)]


def _after_prefecture_area(h: _Head) -> list[Mention] | None:
    """地区司法局: the prefecture (喀什地区), never the county."""
    text, js, ctx = h.text, h.js, h.ctx
    if text[max(0, js - 2):js] != "地区":
        return None
    before = text[js - 3:js - 2] or " "
    if ctx.city is None or not ctx.city.name.endswith("地区") \
            or re.match(_NAME_CHAR, before) and before not in _FUNCTION_CHARS:
        return []
    return [_agency(text, js - 2, h.he, ctx.city.name + h.body, ctx.city.name)]


def _after_coordination(h: _Head) -> list[Mention] | None:
    """市、区两级司法局, 盟、旗两级: one body per level."""
    coord = LEVEL_COORDINATION.search(h.text, max(0, h.js - 10), h.js)
    if coord is None:
        return None
    return [_agency(h.text, coord.start(), h.he, target.name + h.body, target.name)
            for lv in coordinated_levels(coord.group(1)) if (target := _level_place(lv, h.ctx)) is not None]


def _after_repeat(h: _Head) -> list[Mention] | None:
    """无锡市委市政府, 贵港市委、市政府: a level word that repeats the place just named."""
    level = h.text[h.js - 1:h.js]
    gap = 1 if h.text[h.js - 2:h.js - 1] in ("、", "和", "与", "及") and h.js >= 2 else 0
    before = h.found_end.get(h.js - 1 - gap)
    same = before.parent if level and before is not None and before.parent.endswith(level) else ""
    return [_agency(h.text, h.js - 1, h.he, same + h.body, same)] if same else None


def _after_level(h: _Head) -> list[Mention] | None:
    """A bare level word: 区司法局 is the report's district's, 市委 its city's, 团县委 the Youth League's."""
    data, text, js = _data(), h.text, h.js
    level = text[js - 1:js]
    if not level:
        return None
    before_level = text[js - 2] if js >= 2 else ""
    # 州 and 盟 end many names (苏州, 广州): a bare one only after a boundary or a function word.
    prefecture = level in "州盟" and (not re.match(_NAME_CHAR, before_level or " ")
                                     or before_level in _FUNCTION_CHARS)
    # 地委 only where the report's prefecture is a 地区, and not in 当地委托
    prefecture = prefecture or level == "地" and before_level not in "当各本外" \
        and text[h.he:h.he + 1] not in "托员屈"
    # 我市法律援助中心, 本县人民法院: the report's own district's body
    own = before_level in "我本" and h.ctx.district is not None and h.ctx.district.name.endswith(level) \
        and level in "市区县旗" and h.head not in ("委", "委员会", "党委")
    if not (level in "省市区县旗" and (not before_level or before_level not in data["not_before_level"])
            or prefecture or own):
        return None
    target = _level_place(level, h.ctx)
    if target is None:
        return None
    if h.head in data["province_heads"] and target.level != "province":
        return []  # 直辖市高级人民法院: a province's body, not the city's
    league = "共青团" if before_level == "团" and h.head == "委" else ""  # 团县委: the Youth League's
    prefix = _prefix(target, level, h.committee or _canonical_head(h.head)[:1] == "委")
    return [_agency(text, js - 1 - len(league[2:]), h.he, league + prefix + h.body, target.name)]


def _governed_level(h: _Head) -> list[Mention] | None:
    """依法治区委员会 alone or after a verb (召开全面依法治区委员会全体会议): the level it governs names it."""
    governs = re.search(r"治([省市区县旗州盟地])", h.head) if h.committee else None
    if governs is None or h.js > 0 and h.text[h.js - 1] in _data()["levels"]:
        return None
    target = _level_place(governs.group(1), h.ctx)
    if target is None:
        return None
    return [_agency(h.text, h.js, h.he, _prefix(target, governs.group(1), h.committee) + h.body, target.name)]


# What a kind of school, not a school's own name, ends with (or holds, for the verbs)
_SCHOOL_KIND = re.compile(r"(?:高级|普通|初级|日制|民族|公办|民办|寄宿制|研究型|职业|特殊教育|类|重点|示范性|一贯制"
                          r"|完全|各级|各类)$|办|避免|扩大|鼓励|举办|设立")


def _whole_town_name(h: _Head, named: Mention) -> Mention:
    """内官营司法所: a town's short name may open with a character that stops other names (内, 上, 中)."""
    if h.ctx.district is None or named.start == 0:
        return named
    towns = _town_short_names(h.ctx.district.code)
    name = named.canonical[:-len(h.head)]
    for extra in (1, 2):
        start = named.start - extra
        if start >= 0 and h.text[start:named.start] + name in towns and name not in towns:
            return _agency(h.text, start, named.end, h.text[start:named.start] + named.canonical, named.parent)
    return named


@functools.cache
def _town_short_names(county_code: str) -> frozenset[str]:
    from kg.divisions import gazetteer  # noqa: PLC0415

    return frozenset(stem for town in gazetteer().towns(county_code) if (stem := town_stem(town)))


def _named_body(h: _Head) -> list[Mention] | None:
    """A proper name before a head that takes one: “永和”调解工作室, 浙江同璟律师事务所."""
    if h.head not in _data()["named_heads"]:
        return None
    school = h.head.endswith("学")
    if school and (h.text[h.he:h.he + 1] in ("习", "生", "前") or h.text[h.hs - 1:h.hs] == "集"):
        return None  # 集中学习, 集中学法, 中学生, 扩大学前教育: no school
    named = _named(h.text, h.hs, h.he, h.head)
    if named is None or school and _SCHOOL_KIND.search(named.canonical[:-len(h.head)]):
        return None  # 高级中学, 民族小学, 研究型大学: a kind of school, not one school
    if h.head in _data()["town_heads"]:
        named = _whole_town_name(h, named)
    level = named.canonical[:1]
    target = _level_place(level, h.ctx) if level in "区县市旗" and len(named.canonical) - len(h.head) >= 3 else None
    if target is not None:  # 区实验小学: the level word is the report's own county
        named = _agency(h.text, named.start, named.end, target.name + named.canonical[1:], target.name)
    return [named]


def _issuer_head(h: _Head) -> list[Mention] | None:
    """A bare head that ends the issuing agency's name (司法局 in a 司法局's report) is the issuer."""
    ctx, text = h.ctx, h.text
    if ctx.agency and ctx.agency.endswith(_canonical_head(h.head)) and h.head not in ("委", "委员会", "政府") \
            and not re.match(r"[\u4e00-\u9fff]", text[h.hs - 1:h.hs] or " "):
        return [_agency(text, h.hs, h.he, ctx.agency)]
    return None


#: How a head finds its jurisdiction, tried in order; the first rule that decides wins.
_JURISDICTION_RULES: tuple[Callable[[_Head], list[Mention] | None], ...] = (
    _own_bare, _after_place, _after_autonomous, _after_prefecture_area, _after_coordination, _after_repeat,
    _after_level, _governed_level, _named_body, _issuer_head,
)


_OPENING_QUOTES = "“「\""
_ISSUER_GAP = re.compile(r"(?:关于)?(?:转发|印发)?(?:中共|中国共产党)?[\s、和与及]*")


def _outside_titles(text: str, found: list[Mention], *, issuers: bool = True) -> list[Mention]:
    """Drop agencies inside a 《…》 title but (with ``issuers``) the bodies named where it begins.

    《中共江阴市委办公室 江阴市人民政府办公室关于…》 names two bodies that
    issued it; 《…人民法院组织法》 names none.
    """
    titles = book_title_spans(text)
    if not titles:
        return found
    order = sorted(range(len(found)), key=lambda i: (found[i].start, -found[i].end))
    starts = [found[i].start for i in order]
    kept: set[int] = set()
    inside: set[int] = set()
    for s, e in titles:  # the agencies starting inside each title, found by bisection: no title × agency scan
        pos = _ISSUER_GAP.match(text, s + 1).end()
        for i in order[bisect.bisect_right(starts, s):bisect.bisect_left(starts, e)]:
            a = found[i]
            if a.end >= e:
                continue
            inside.add(i)
            if issuers and a.start <= pos:  # before pos: a shorter reading of the issuer just taken (江阴市委)
                if a.start == pos:
                    pos = _ISSUER_GAP.match(text, a.end).end()
                kept.add(i)
    return [a for i, a in enumerate(found)  # a body set up under a quoted name is named, title or not
            if i not in inside or i in kept or a.surface[:1] in _OPENING_QUOTES]


def _sub_bodies(text: str, found: list[Mention]) -> list[Mention]:
    """An agency followed by a body of its own: 律师协会镇海分会, 人民法院金融调处中心."""
    data = _data()
    heads = "|".join(map(re.escape, sorted(data["sub_bodies"], key=len, reverse=True)))
    stop = re.escape(data["stop_chars"])
    pattern = re.compile(rf"((?:(?![{stop}、，。；])[\u4e00-\u9fff]){{0,10}}?({heads}))")
    out = []
    for a in found:
        m = pattern.match(text, a.end)
        if m is None:
            continue
        body, head = m.group(1), m.group(2)
        if any(body[: len(body) - len(head)].startswith(w) and len(body) > len(head) for w in data["not_names"]) \
                or any(v in body for v in data["opener_verbs"]) \
                or text[m.end():m.end() + 1] == "组" or text[m.end():m.end() + 2] == "工作" \
                or head in ("中心", "研究院") and len(body) - len(head) < 2:
            continue
        out.append(_agency(text, a.start, m.end(), a.canonical + body, a.parent))
    return out


_QUOTED_NAME = re.compile(r"[“「\"]([^“”「」\"\n，。；：]{2,20}?)[”」\"]")
_CAMPAIGN_AFTER = re.compile(r"创建|建设|试点|工作|活动|品牌|行动")  # “智慧矫正中心”创建: a campaign
_CLAUSE_BREAK = re.compile(r"[，,。；;：:！？\n]")


def _quoted_bodies(text: str, found: list[Mention]) -> list[Mention]:
    """Bodies set up under a quoted name: 成立“金融纠纷多元化解中心”, 区人民法院“金融调处中心”和“巡回法庭”.

    The quote must end in a body head and follow an agency (whose body it
    is), a set-up verb in the same clause, or another such quote after 和/、;
    one followed by 创建, 建设 … names a campaign, not a body.
    """
    data = _data()
    heads = tuple(data["quoted_heads"])
    ends = {a.end: a for a in found}
    out: list[Mention] = []
    last = -1
    for m in _QUOTED_NAME.finditer(text):
        name = m.group(1)
        head = next((h for h in heads if name.endswith(h)), "")
        if not head or len(name) - len(head) < 2 or name in data["generic_names"] \
                or any(w in name for w in data["honour_words"]) or re.search(r"[0-9A-Za-z]", name) \
                or _CAMPAIGN_AFTER.match(text, m.end()):
            continue
        owner = ends.get(m.start())
        clause = _CLAUSE_BREAK.split(text[max(0, m.start() - 12):m.start()])[-1]
        if owner is not None:
            out.append(_agency(text, owner.start, m.end(), owner.canonical + name, owner.parent))
        elif any(v in clause for v in data["setup_verbs"]) or last >= 0 and text[last:m.start()] in "和、及与":
            out.append(_agency(text, m.start(), m.end(), name))
        else:
            continue
        last = m.end()
    return out


# Verbs no body's own name holds (社会组织服务中心 does hold 组织, so not every opener verb is here).
_BODY_BREAKING_VERBS = ("建立", "成立", "设立", "开展", "推动", "依托", "邀请", "聘请", "选派")


@functools.cache
def _generic_pattern() -> re.Pattern[str]:
    heads = sorted(_data()["generic_heads"], key=len, reverse=True)
    return re.compile("|".join(map(re.escape, heads)))


def _over_and(text: str, i: int, hs: int) -> int:
    """区政务服务和大数据管理局: a body's name may hold one 和 when what stands before it is no body."""
    if i < 2 or text[i - 1] != "和" or hs - i < 2:
        return i
    j = _walk_back(text, i - 1, 8)
    if j is None or j >= i - 2 or re.search(r"[局委办会院所部厅处室站队中心组]$", text[j:i - 1]):
        return i  # 区司法局和财政局: two bodies
    return j


def _generic(text: str, ctx: Context, places: list[Mention], found: list[Mention]) -> list[Mention]:
    """Jurisdiction + a free-form body name + a generic head: 区惠民帮扶中心, 区律师行业党委."""
    data = _data()
    place_start = {m.start: m for m in places}
    out: list[Mention] = []
    covered = _covered(len(text), found)
    for m in _generic_pattern().finditer(text):
        hs, he = m.span()
        if text[he:he + 1] == "组" or 1 in covered[hs:he]:
            continue  # 理论学习中心组 is a study group, not a centre
        i = _walk_back(text, hs, 12)
        if i is None or i >= hs - 1:
            continue
        i = _over_and(text, i, hs)
        place = place_start.get(i)
        if place is not None and place.code:
            name, jurisdiction, body_start = place.canonical, place.canonical, place.end
        elif text[i] in "区县市省旗州盟" and (i == 0 or text[i - 1] not in data["not_before_level"]) \
                and text[i + 1] not in data["not_after_level"]:  # 县域治理中心, 市场监管…: a word, no level
            # 市、区惠民帮扶中心: one body per jurisdiction listed.
            coord = LEVEL_COORDINATION.search(text, max(0, i - 6), i + 1)
            levels = coordinated_levels(coord.group(1)) if coord else [text[i]]
            targets = [t for lv in levels if (t := _level_place(lv, ctx)) is not None]
            if not targets:
                continue
            name, jurisdiction, body_start = targets[-1].name, targets[-1].name, i + 1
            i = coord.start() if coord else i
        else:
            continue
        body = text[body_start:hs]
        if body in data["heads"] or text[he:he + 2] == "工作" or body.startswith("级") \
                or any(text.startswith(h, body_start) for h in data["province_heads"]):
            continue  # 区政府中心工作: a head and a word; 省级人民政府…办公室: a rank; 市高级人民法院: a province's
        if any(v in body for v in _BODY_BREAKING_VERBS) or any(h in body for h in data["heads"] if len(h) >= 3):
            continue  # 县司法局建立府院: a body and a verb, not one body's name
        if not 2 <= len(body) <= 10 or any(body.startswith(w) for w in data["not_names"]) \
                or any(w in body for w in data["honour_words"]) or re.search(r"[0-9一二三四五六七八九十]", body) \
                or body.count("(") != body.count(")") or body.count("（") != body.count("）") \
                or body[:1] in "(（":  # 县（市）区…: a statute's list of levels
            continue
        lead = next((h for h in data["canonical"] if body.startswith(h) and h in data["heads"]), "")
        if lead:  # 县法院执行局: a body named after another's head writes that head canonically
            body = _canonical_head(lead) + body[len(lead):]
        if place is not None and place.code:
            new = [_agency(text, i, he, name + body + m.group(), jurisdiction)]
        else:
            new = [_agency(text, i, he, t.name + body + m.group(), t.name) for t in targets]
        out += new
        _cover(covered, new)
    return out


def canonical_issuer(agency_field: str, title: str, ctx: Context, places_of) -> str:
    """The canonical name of the issuing agency, from the header field or the title.

    Args:
        agency_field: 发布机构 as written (区司法局, 鲤城区司法局).
        title: the report's title.
        ctx: the report's context (without an agency yet).
        places_of: a function from text to its place mentions.
    """
    head = agency_field.strip()
    for source in (agency_field, title):
        if source:
            found = find_agencies(source, ctx, places_of(source))
            if found:
                return found[0].canonical
        if source is agency_field and ctx.district is not None and head in _data()["heads"] \
                and head not in ("委", "委员会", "党委"):
            return ctx.district.name + _canonical_head(head)  # 来源: 司法局 on a county's site is its own
    return ""
