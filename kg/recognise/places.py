"""Places: administrative divisions named in a report, checked against the gazetteer.

Provinces, prefecture cities and counties are found anywhere by their full
names (at each position the longest name wins: 峄城区, not 城区); short forms
(宁波, 镇海) only for the report's own district, city and province and for
provinces, where a report uses them freely. Towns and villages are matched
only inside the reporting district's own subtree, so that the 650 k village
names of China do not flood the output; a town's short form (九龙湖) counts
only when the document also names the town in full.

Example:
    >>> [m.canonical for m in find_places("宁波市镇海区九龙湖镇", ctx)]
    ['宁波市', '镇海区', '九龙湖镇']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from kg.divisions import Gazetteer, gazetteer
from kg.text import HAN_CHAR as _HAN
from kg.text import TOWN_SUFFIXES, drop_nested, stands_alone, town_stem
from kg.types import Context, Division, Mention

__all__ = ["find_places"]

_SUFFIX_END = re.compile(r"[省市区县旗州盟]|地区")


def _mention(text: str, start: int, end: int, canonical: str, code: str = "", parent: str = "") -> Mention:
    return Mention("place", canonical, text[start:end], "", start, end, code, parent)


def _choose(divs: list[Division], ctx: Context, text: str, gaz: Gazetteer) -> Division | None:
    """One division among same-named ones: the one in the report's own area, else one the text places."""
    if len(divs) == 1:
        return divs[0]
    for anchor in (ctx.district, ctx.city, ctx.province):
        if anchor is None:
            continue
        inside = [d for d in divs if gaz.contains(anchor, d) or d.code == anchor.code]
        if len(inside) == 1:
            return inside[0]
    placed = [d for d in divs if (p := gaz.parent(d)) is not None and p.name in text]
    return placed[0] if len(placed) == 1 else None


def _divisions(text: str, ctx: Context, gaz: Gazetteer) -> list[Mention]:
    out: list[Mention] = []
    for m in _SUFFIX_END.finditer(text):
        end = m.end()
        for length in range(12, 1, -1):
            start = end - length
            if start < 0:
                continue
            name = text[start:end]
            divs = [d for d in gaz.named(name) if d.name == name or _HAN.match(name[-1]) and name[-1] == d.name[-1]]
            if not divs:
                continue
            if length == 2 and not stands_alone(text, start):
                break  # 城区, 新县: two-character names only where they begin a word (河南省范县 does)
            div = _choose(divs, ctx, text, gaz)
            if div is not None:
                out.append(_mention(text, start, end, div.name, div.code))
            break
    return out


# A short name that starts a street's or a building's name is not the place: 长安大道, 宁波路, 江北中学.
_FACILITY = re.compile(r"(?:大道|大街|路|街(?!道)|巷|广场|公园|小区|花园|大厦|大桥|中学|小学|医院|宾馆|饭店|酒店|车站)")


def _short_forms(text: str, ctx: Context, gaz: Gazetteer, taken: list[tuple[int, int]]) -> list[Mention]:
    wanted: dict[str, Division] = {}
    for div in (ctx.district, ctx.city, ctx.province):
        if div is not None and div.short and len(div.short) >= 2:
            wanted[div.short] = div
    for code, div in gaz.by_code.items():
        if div.level == "province" and len(div.short) >= 2:
            wanted.setdefault(div.short, div)
    if not wanted:
        return []
    pattern = re.compile("|".join(sorted(map(re.escape, wanted), key=len, reverse=True)))
    out = []
    for m in pattern.finditer(text):
        if any(s <= m.start() < e for s, e in taken) or _FACILITY.match(text, m.end()):
            continue
        div = wanted[m.group()]
        out.append(_mention(text, m.start(), m.end(), div.name, div.code))
    return out


@functools.lru_cache(maxsize=64)
def _subtree_pattern(county_code: str) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """A pattern of the county's towns and villages, and each name's canonical form."""
    canon: dict[str, str] = {}
    for town, villages in gazetteer().towns(county_code).items():
        canon[town] = town
        for village in villages:
            if len(village) >= 3:
                canon.setdefault(village, village)
    if not canon:
        return None, canon
    return re.compile("|".join(sorted(map(re.escape, canon), key=len, reverse=True))), canon


_ZONE = re.compile(r"(?:国家级|省级)?(经济技术开发区|高新技术产业开发区|经济开发区|高新区|工业园区|产业集聚区)")


def _zones(text: str, ctx: Context, found: list[Mention]) -> list[Mention]:
    """Development zones: the district's own when named bare or after its name (经济技术开发区 → 长葛经济技术开发区).

    A zone is no administrative division (no code); it matters as a recipient
    of honours and as a site of programmes.
    """
    if ctx.district is None:
        return []
    ends = {m.end: m for m in found}
    out = []
    for m in _ZONE.finditer(text):
        before = ends.get(m.start())
        if before is not None and before.canonical == ctx.district.name:
            start = before.start
        elif not _HAN.match(text[m.start() - 1:m.start()] or " ") or text[m.start() - 1] in "的和与及、在将对为":
            start = m.start()
        else:
            continue  # 石化开发区, another place's zone: named by words this rule cannot bound
        out.append(_mention(text, start, m.end(), ctx.district.short + m.group(1), parent=ctx.district.name))
    return out


_VILLAGE_AFTER = re.compile(r"(?![各全每所本该多部])(?!开展|组织|深入|推进|走进|持续|积极|全面)"
                            r"([\u4e00-\u9fff]{2,4}?(?<![进入下到驻])(?:社区|村))(?!民)")


def _villages_after_towns(text: str, found: list[Mention]) -> list[Mention]:
    """A village or community named right after its town (璧城街道大堰社区): a place, though no data lists it.

    The division data lag behind renamings and new communities; a name that
    the text puts under a town it knows is one all the same.
    """
    out = []
    known = {(m.start, m.end) for m in found}
    for town in found:
        if not town.canonical.endswith(TOWN_SUFFIXES) or town.surface != town.canonical:
            continue
        m = _VILLAGE_AFTER.match(text, town.end)
        if m and (m.start(1), m.end(1)) not in known and not any(s <= m.start(1) < e for s, e in known):
            out.append(_mention(text, m.start(1), m.end(1), m.group(1), parent=town.canonical))
    return out


_SUBJECT_VILLAGES = re.compile(
    r"(?:^|(?<=[，,。；;：:\s]))((?:(?![各全每本该多有共])[\u4e00-\u9fff]{2,4}?(?:村|社区)[、和])*"
    r"(?![各全每本该多有共])[\u4e00-\u9fff]{2,4}?(?:村|社区))(?=被|获|荣获|入选|成功|先后|分别)")


def _villages_as_subjects(text: str, found: list[Mention]) -> list[Mention]:
    """Villages that open a clause and receive something (龙井村、桃源社区获评…): places, listed or not."""
    out = []
    taken = [(m.start, m.end) for m in found]
    for m in _SUBJECT_VILLAGES.finditer(text):
        pos = m.start(1)
        for name in re.split(r"[、和]", m.group(1)):
            start, end = pos, pos + len(name)
            pos = end + 1
            if not any(s < end and start < e for s, e in taken):
                out.append(_mention(text, start, end, name))
    return out


def _towns(text: str, ctx: Context) -> list[Mention]:
    if ctx.district is None:
        return []
    pattern, canon = _subtree_pattern(ctx.district.code)
    if pattern is None:
        return []
    out = [_mention(text, m.start(), m.end(), canon[m.group()], parent=ctx.district.name)
           for m in pattern.finditer(text)]
    out += _coordinated(text, out, canon, ctx.district.name)
    # Short forms of the towns named in full (九龙湖 for 九龙湖镇).
    shorts = {stem: m.canonical for m in out if (stem := town_stem(m.canonical))}
    if shorts:
        taken = [(m.start, m.end) for m in out]
        for m in re.finditer("|".join(sorted(map(re.escape, shorts), key=len, reverse=True)), text):
            if not any(s <= m.start() < e for s, e in taken) and not _FACILITY.match(text, m.end()):
                out.append(_mention(text, m.start(), m.end(), shorts[m.group()], parent=ctx.district.name))
    return out


_LIST_ITEM_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,5})[、和及与]$")


def _coordinated(text: str, towns: list[Mention], canon: dict[str, str], district: str) -> list[Mention]:
    """Towns listed with one suffix for all: 沙井、新桥、福永街道 → 沙井街道, 新桥街道 (each in the subtree)."""
    out = []
    for m in towns:
        suffix = next((s for s in TOWN_SUFFIXES if m.canonical.endswith(s) and text.startswith(m.canonical, m.start)),
                      None)
        pos = m.start
        while suffix and (item := _LIST_ITEM_BEFORE.search(text, max(0, pos - 6), pos)) is not None:
            name = item.group(1)
            full = next((name[i:] + suffix for i in range(len(name) - 1) if name[i:] + suffix in canon), None)
            if full is None:
                break
            start = item.end(1) - (len(full) - len(suffix))
            out.append(_mention(text, start, item.end(1), canon[full], parent=district))
            pos = start
    return out


#: The place rules in the order they run; each can be left out (``rules=`` here, ``rules`` in the config).
RULES = ("divisions", "towns", "short_forms", "villages_after_towns", "villages_as_subjects", "zones")


def find_places(text: str, ctx: Context, *, gaz: Gazetteer | None = None,
                rules: Collection[str] = RULES) -> list[Mention]:
    """Every place named in ``text``, in order of position.

    Args:
        text: normalised (Simplified) text.
        ctx: the report's district, city and province.
        gaz: the gazetteer (the shared one by default).
        rules: the names of the rules to run (:data:`RULES`, all by default).
    """
    gaz = gaz or gazetteer()
    found = _divisions(text, ctx, gaz) if "divisions" in rules else []
    if "towns" in rules:
        found += _towns(text, ctx)
    if "short_forms" in rules:
        found += _short_forms(text, ctx, gaz, [(m.start, m.end) for m in found])
    if "villages_after_towns" in rules:
        found += _villages_after_towns(text, found)
    if "villages_as_subjects" in rules:
        found += _villages_as_subjects(text, found)
    if "zones" in rules:
        found += _zones(text, ctx, found)
    return drop_nested(found)  # 沙井街道, not 沙井 inside it
