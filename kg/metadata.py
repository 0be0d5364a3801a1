"""What a report says about itself: title, issuer, dates and its district.

Government pages carry a header table (索引号, 发布机构, 成文日期 …), a title,
a body and often a signature. The reporting district is resolved from all of
them by weighing evidence: a county-level name in the title or the issuing
agency counts most, the signature next, then the opening of the body and
every other mention; same-named counties (宁波's and 重庆's 江北区) are told
apart by which city and province the text names. Nothing is guessed: a
district that the text never names stays unresolved.

Example:
    >>> md = read_metadata(doc.text)
    >>> md.district.name, md.year
    ('镇海区', 2022)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.divisions import Gazetteer, gazetteer
from kg.text import stands_alone
from kg.types import Division, Metadata

__all__ = ["read_metadata", "header_fields", "find_title", "report_year", "resolve_district"]

_KEYS_AGENCY = ("发布机构", "发文机关", "发布单位", "文章来源", "信息来源", "来源")
_KEYS_DATE = ("成文日期", "公文生成日期", "生成日期", "发文日期", "发布日期", "发布时间", "日期", "时间")
_ALL_KEYS = (*_KEYS_AGENCY, *_KEYS_DATE, "索引号", "主题分类", "体裁分类", "组配分类", "公开方式",
             "文号", "备注/文号", "主题词", "有效性", "公开范围", "浏览次数", "字号", "分享到", "打印",
             "作者", "点击", "阅读", "访问量", "责任编辑", "编辑")
_KEY_ALT = "|".join(sorted((re.escape(k) for k in _ALL_KEYS), key=len, reverse=True))
_SEP = r"\s*[:：|]?\s*\|?\s*"
_DATE = r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
_TITLE_WORDS = re.compile(r"报告|总结|要点|情况|计划|工作|年度|规划|述职|汇报")
_ENUMERATED = re.compile(r"^\s*([一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_HEADER_LINE = re.compile(rf"^\W*({_KEY_ALT})\s*[:：|]")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)(20[0-4]\d)\s*[-—–~至到]\s*(20[0-4]\d)\s*年")


def header_fields(text: str, *, lines: int = 25) -> dict[str, str]:
    """Read the header table's fields from the first lines of a report.

    Returns:
        ``agency`` (发布机构 or 来源) and ``issued`` (ISO date) where present.

    Example:
        >>> header_fields("发布机构: | 区司法局 | 成文日期: | 2023-03-22 |")
        {'agency': '区司法局', 'issued': '2023-03-22'}
    """
    head = "\n".join(text.splitlines()[:lines])
    out: dict[str, str] = {}
    for key in _KEYS_AGENCY:
        m = re.search(rf"{re.escape(key)}{_SEP}([^\s|:：]{{2,40}}?)(?=\s|\||$|{_KEY_ALT}|\d{{4}}-)", head, re.M)
        if m and not re.fullmatch(r"[\d\-:/ ]+", m.group(1)):
            out["agency"] = m.group(1)
            break
    for key in _KEYS_DATE:
        m = re.search(rf"{re.escape(key)}{_SEP}{_DATE}", head)
        if m:
            out["issued"] = _iso(m)
            break
    else:
        m = re.search(_DATE, head)
        if m and 1990 <= int(m.group(1)) <= 2049:
            out["issued"] = _iso(m)
    return out


def _iso(m: re.Match[str]) -> str:
    y, mo, d = (int(x) for x in m.groups()[-3:])
    mo, d = min(max(mo, 1), 12), min(max(d, 1), 31)
    return f"{y:04d}-{mo:02d}-{d:02d}"


def find_title(text: str, *, lines: int = 15) -> str:
    """The report's title: an early short line that names a report.

    Example:
        >>> find_title("索引号: 1\\n镇海区司法局2022年工作总结\\n2022年以来……。")
        '镇海区司法局2022年工作总结'
    """
    for line in text.splitlines()[:lines]:
        line = line.strip(" \t-|")
        if (4 <= len(line) <= 80 and "。" not in line and not _HEADER_LINE.match(line)
                and not _ENUMERATED.match(line)
                and _TITLE_WORDS.search(line) and re.search(r"[\u4e00-\u9fff]{4}", line)
                and not line.endswith((":", "：", "，", ","))):
            return line
    return ""


def report_year(title: str, body: str, issued: str) -> int | None:
    """The year a report is mainly about.

    A range in the title (``2015-2020年``) gives its last year; otherwise the
    first year of the title, then the first year the body opens with, then
    the year before the issue date for reports issued in the first half.

    Example:
        >>> report_year("2022年工作总结和2023年工作要点", "", "2023-03-22")
        2022
    """
    issued_year = int(issued[:4]) if issued else None

    def plausible(y: int) -> bool:
        return issued_year is None or y <= issued_year

    if m := _YEAR_RANGE.search(title):
        return int(m.group(2))
    years = [int(y) for y in _YEAR.findall(title) if plausible(int(y))]
    if years:
        return years[0]
    # The body's opening: years of its own, not of ranges or cited documents.
    opening = re.sub(r"《[^》]*》|[(（][^)）]*[)）]", "", body[:400])
    opening = _YEAR_RANGE.sub("", opening)
    years = [int(y) for y in re.findall(r"(?<!\d)(19[89]\d|20[0-4]\d)年", opening) if plausible(int(y))]
    if years:
        return years[0]
    if issued_year is not None:
        return issued_year - 1 if int(issued[5:7]) <= 6 else issued_year
    return None


@dataclass
class _Evidence:
    score: float = 0.0
    where: list[str] = field(default_factory=list)


def _county_mentions(text: str, gaz: Gazetteer, *, min_len: int = 3) -> list[tuple[int, int, Division]]:
    """County-level names (full forms, and short forms that keep a suffix) in ``text``.

    At each end position only the longest name counts (峄城区, not 城区), and
    names shorter than ``min_len`` (城区, 郊区: also common words) only where
    the caller allows them.
    """
    found = []
    for m in re.finditer(r"[区县市旗]", text):
        end = m.end()
        for length in range(11, min_len - 1, -1):
            start = end - length
            if start < 0:
                continue
            divs = gaz.counties_named(text[start:end])
            if divs and length == 2 and not stands_alone(text, start):
                break  # 示范县 is no 范县, 全新县域 no 新县
            if divs:
                found.extend((start, end, div) for div in divs)
                break
    return found


def _named_any(text: str, div: Division) -> int:
    forms = {div.name, div.short} - {""}
    return sum(text.count(f) for f in forms if len(f) >= 2)


def resolve_district(title: str, agency: str, text: str, *,
                     gaz: Gazetteer | None = None) -> tuple[Division | None, str]:
    """Resolve the county-level division whose report this is.

    Args:
        title: the report's title.
        agency: the issuing agency from the header table.
        text: the whole normalised text.
        gaz: the gazetteer (the shared one by default).

    Returns:
        The division, or ``None``, and a short account of the evidence.
    """
    gaz = gaz or gazetteer()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    signature = "\n".join(lines[-6:])
    opening = text[:300]
    evidence: dict[str, _Evidence] = defaultdict(_Evidence)
    divs: dict[str, Division] = {}
    weights = (("title", title, 10.0), ("agency", agency, 8.0), ("signature", signature, 6.0),
               ("opening", opening, 3.0))
    for where, part, weight in weights:
        for _, _, div in _county_mentions(part, gaz, min_len=2 if where != "opening" else 3):
            divs[div.code] = div
            if where not in evidence[div.code].where:
                evidence[div.code].score += weight
                evidence[div.code].where.append(where)
    body_counts = Counter(div.code for _, _, div in _county_mentions(text, gaz))
    for code, n in body_counts.items():
        divs.setdefault(code, gaz.by_code[code])
        evidence[code].score += min(n, 10) * 1.0
        evidence[code].where.append(f"body×{n}")
    if not divs:
        # Only short forms (镇海, 江北): admit those of the cities the text names.
        cities = {d.code for m in re.finditer(r"[市州盟]", text) for size in range(3, 10)
                  for d in gaz.named(text[max(0, m.end() - size):m.end()]) if d.level in ("city", "province")}
        counties = [div for city in cities for div in gaz.counties_in(city)]
        for div in counties:
            code = div.code
            if div.short and len(div.short) >= 2:
                n = text.count(div.short)
                if n:
                    divs[code] = div
                    evidence[code].score += min(n, 10) * 0.5
                    evidence[code].where.append(f"short×{n}")
        if not divs:
            # no county named at all: the county of the named city whose towns the report names
            for div in counties:
                code, level = div.code, div.name[-1]
                if level in "县区旗" \
                        and re.search(f"[全我本]{level}|{level}(?:委|政府|司法局)", text):
                    towns = sum(1 for town in gaz.towns(code) if len(town) >= 3 and town in text)
                    if towns >= 2:
                        divs[code] = div
                        evidence[code].score += min(towns, 5) * 1.5
                        evidence[code].where.append(f"towns×{towns}")
    if not divs:
        return None, "no county-level name in the text"
    for code, div in divs.items():
        up = gaz.chain(div)[1:]
        for i, higher in enumerate(up):
            n = _named_any(text, higher)
            if n:
                evidence[code].score += (2.0 if i == 0 else 1.0) + min(n, 5) * 0.2
            if i == 0 and (higher.name + div.name in text or higher.short + div.name in text):
                evidence[code].score += 5.0
    if len({div.name for div in divs.values()}) < len(divs):
        # counties of one name (鼓楼区 in 南京 and 福州): the one whose towns the report names
        for code in divs:
            towns = sum(1 for town in gaz.towns(code) if len(town) >= 3 and town in text)
            if towns:
                evidence[code].score += min(towns, 5) * 1.5
                evidence[code].where.append(f"towns×{towns}")
    best = max(divs, key=lambda c: (evidence[c].score, -int(c)))
    return gaz.current(divs[best]), ", ".join(evidence[best].where)


def read_metadata(text: str, *, gaz: Gazetteer | None = None) -> Metadata:
    """Title, issuer, issue date, year and district of a normalised report."""
    fields = header_fields(text)
    title = find_title(text)
    body_start = text.find(title) + len(title) if title else 0
    body = "\n".join(ln for ln in text[body_start:].splitlines() if not _HEADER_LINE.match(ln.strip(" -")))
    issued = fields.get("issued", "")
    district, how = resolve_district(title, fields.get("agency", ""), text, gaz=gaz)
    return Metadata(
        title=title,
        agency=fields.get("agency", ""),
        issued=issued,
        year=report_year(title, body.strip(), issued),
        district=district,
        district_evidence=how,
    )
