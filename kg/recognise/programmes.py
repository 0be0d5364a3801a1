"""Programmes: a curated lexicon of national programmes and open-class rules.

A programme is a named, repeatable campaign, plan, mechanism, platform or
brand (gold/GUIDELINE.md). Three sources find them, strongest first:

* the lexicon ``pipelines/programmes.jsonl``: national or widely used
  programmes with their variants (“八五”普法规划 → 八五普法, 新时代“枫桥经验” →
  枫桥经验), matched on a view of the text without quotation marks;
* quoted names (“…”, 「…」, ‘…’) that a programme head follows or ends:
  “护企安商、法润民生”专项行动 → 护企安商、法润民生专项行动, “XX”平台 → XX平台,
  “XX”品牌 → XX, “乡村说法” → 乡村说法; a quoted name after a launch verb
  (开展“XX”，) and a quoted Latin-and-Han brand (“e法通”) count too;
* unquoted ``XX专项行动`` / ``XX专项斗争`` / ``XX工程`` with a bounded name
  whose leading verbs and adverbs are stripped.

The rule lists (heads, verbs, stop names, ideology patterns) live in
``pipelines/programme_rules.json``. Nothing inside 《…》 is a programme (a
document title), nor a quoted name right after a conferral trigger (an
honour's part), nor ideology or slogans (习近平法治思想, 关键少数).

:func:`programme_runs` links the programmes to the reporting district: a
programme is run unless every sentence naming it attributes it to another
place or only studies it (学习借鉴…).

Example:
    >>> [m.canonical for m in find_programmes("深入实施“八五”普法规划。", Context())]
    ['八五普法']
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import re._constants as _sre  # the regex parser's opcodes, to read where a pattern can begin
import re._parser as _sre_parse
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import KGError
from kg.resources import data_dir
from kg.text import CLOSING as _CLOSING
from kg.text import HAN as _HAN
from kg.text import OPENING as _OPENING
from kg.text import PARENS as _PARENS
from kg.text import QUOTES as _QUOTES
from kg.text import alternation as _alternation
from kg.text import book_title_spans, sentence_spans
from kg.text import clause_start as _clause_start
from kg.text import clean as _clean
from kg.text import inside as _inside
from kg.types import Context, Mention, Relation

__all__ = [
    "find_programmes",
    "programme_words",
    "programme_runs",
    "sentence_spans",
    "book_title_spans",
    "LEXICON_PATH",
    "RULES_PATH",
]

_PIPELINES = data_dir("pipelines")
LEXICON_PATH = _PIPELINES / "programmes.jsonl"
RULES_PATH = _PIPELINES / "programme_rules.json"

_SPACES = re.compile(r"\s+")
_DIGITS_OR_LATIN = re.compile(r"^[0-9A-Za-z+·.\-]+$")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_HAS_HAN = re.compile(f"[{_HAN}]")
_BAD_CONTENT = re.compile(r"[。；！？!?，,：:]|\d{4}年|\d+[%％]")
# years, counts, dates and a town that lead up to a name: 2023年, 56件, 每年九月为, 第三周为,
# 骆驼街道(乡镇(街道)法治化综合改革)
_YEAR_PREFIX = re.compile(r"^(?:\d{4}年度?|\d{4}-\d{4}年|[\d一二三四五六七八九十百]+[件个项场次批]"
                          r"|每年[^为，。]{0,6}为|第[一二三四五]周为|[\u4e00-\u9fff]{2,5}?(?:街道|镇)(?=[\u4e00-\u9fff(（]{4}))")

# Priorities when candidates overlap: the lexicon wins, then quoted names.
_LEXICON, _QUOTED, _UNQUOTED = 3, 2, 1


def _fail(path: Path, what: str, err: Exception | None = None) -> KGError:
    return KGError(
        f"{path}: {what}. The file ships with the repository (pipelines/); restore it "
        f"from version control or fix the line named, then run again"
        + (f" ({err})" if err else "")
    )


# -- data ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Lexicon:
    pattern: re.Pattern[str]  # every literal alias in one plain alternation (fast: it opens with a literal)
    literal: dict[str, str]  # alias → canonical
    regexes: tuple[tuple[re.Pattern[str], str], ...]  # pattern → canonical ("{0}": the matched text)
    # the patterns by the characters they can begin with, so each is tried only where one stands
    first: re.Pattern[str] | None = None
    by_first: dict[str, re.Pattern[str]] = field(default_factory=dict)
    anywhere: re.Pattern[str] | None = None  # the patterns that may begin with any character

    def finditer(self, view: str) -> list[tuple[int, int]]:
        """Spans of aliases and patterns in ``view``: leftmost, then longest, never overlapping."""
        found = [m.span() for m in self.pattern.finditer(view)]
        if self.anywhere is not None:
            found += [m.span() for m in self.anywhere.finditer(view)]
        if self.first is not None:
            for m in self.first.finditer(view):
                hit = self.by_first[m.group()].match(view, m.start())
                if hit and hit.end() > hit.start():
                    found.append(hit.span())
        found.sort(key=lambda span: (span[0], -span[1]))
        out, end = [], -1
        for start, stop in found:
            if start >= end:
                out.append((start, stop))
                end = stop
        return out


def _first_chars(items) -> tuple[set[str] | None, bool]:
    """The characters a parsed regex can begin with (None: any), and whether it can match nothing."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            return out | {chr(av)}, False
        if op is _sre.IN:
            chars = set()
            for o, a in av:
                if o is _sre.LITERAL:
                    chars.add(chr(a))
                elif o is _sre.RANGE and a[1] - a[0] < 256:
                    chars.update(map(chr, range(a[0], a[1] + 1)))
                else:
                    return None, False
            return out | chars, False
        if op is _sre.SUBPATTERN or op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op is _sre.BRANCH:
            if op is _sre.BRANCH:
                parts = [_first_chars(alt) for alt in av[1]]
                empty = any(e for _, e in parts)
            else:
                sub, empty = _first_chars(av[3] if op is _sre.SUBPATTERN else av[2])
                parts = [(sub, empty)]
                empty = empty or op is not _sre.SUBPATTERN and av[0] == 0
            if any(chars is None for chars, _ in parts):
                return None, False
            out |= set().union(*(chars for chars, _ in parts))
            if not empty:
                return out, False
            continue
        if op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT):
            continue  # zero-width: what follows begins the match
        return None, False
    return out, True


@dataclass(frozen=True)
class _Rules:
    quote: re.Pattern[str]
    tail: re.Pattern[str]
    extend: re.Pattern[str]
    keep_heads: frozenset[str]
    brand_heads: frozenset[str]
    channel_heads: frozenset[str]
    countable: frozenset[str]
    agency_chars: str
    bounded: frozenset[str]
    content_head: re.Pattern[str]
    launch_before: re.Pattern[str]
    honour_before: re.Pattern[str]
    unquoted: re.Pattern[str]
    verb_required: frozenset[str]
    generic_sensitive: frozenset[str]
    unquoted_max: int
    strip_prefix: re.Pattern[str]
    reject_words: re.Pattern[str]
    stop: frozenset[str]
    ideology: re.Pattern[str]
    not_programme: re.Pattern[str]
    slogan_prefixes: tuple[str, ...]
    formula: re.Pattern[str]
    formula_not_before: re.Pattern[str]
    numbered: re.Pattern[str]
    formula_after_verb: re.Pattern[str]
    law_into: re.Pattern[str]


def _read_lexicon(path: Path) -> _Lexicon:
    literal_alts: list[str] = []
    literal: dict[str, str] = {}
    regexes: list[tuple[re.Pattern[str], str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise _fail(path, "cannot read the programme lexicon", err) from err
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            name = row["canonical"]
            aliases = [a.translate(_PARENS) for a in row.get("aliases", [])]
            patterns = [(re.compile(p), p) for p in row.get("patterns", [])]
            if not isinstance(name, str) or not (aliases or patterns):
                raise TypeError("a canonical name and at least one alias or pattern are needed")
            if not isinstance(row.get("source"), str) or not row["source"].strip():
                raise TypeError("a source is needed: the document or body that names the programme")
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, re.error) as err:
            raise _fail(path, f"line {no} is not a lexicon entry "
                        '({"canonical": str, "aliases": [str], "patterns": [regex], "source": str})', err) from err
        for alias in aliases:
            literal.setdefault(alias, name)
            literal_alts.append(re.escape(alias))
        regexes += [(compiled, name) for compiled, _ in patterns]
    by_first: dict[str, list[str]] = {}
    anywhere: list[str] = []
    for compiled, source in {(p, p.pattern) for p, _ in regexes}:
        chars, empty = _first_chars(_sre_parse.parse(source))
        if chars is None or empty:  # no telling where it begins: tried everywhere, on its own
            anywhere.append(f"(?:{source})")
            continue
        for c in chars:
            by_first.setdefault(c, []).append(source)
    literal_alts = sorted(set(literal_alts), key=len, reverse=True)
    first = re.compile(f"[{''.join(map(re.escape, sorted(by_first)))}]") if by_first else None
    return _Lexicon(re.compile("|".join(literal_alts) or "(?!)"), literal, tuple(regexes), first,
                    {c: re.compile("|".join(f"(?:{p})" for p in sorted(ps, key=len, reverse=True)))
                     for c, ps in by_first.items()},
                    re.compile("|".join(anywhere)) if anywhere else None)


_NUMERAL = "一二三四五六七八九十两"
_NOT_A_COUNT = "(?![对年次个项批级类种名户月日天周期部套条])"


def _read_rules(path: Path) -> _Rules:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        opening = "".join(sorted({o for o, _ in data["quote_pairs"]}))
        closing = "".join(sorted({c for _, c in data["quote_pairs"]}))
        n = int(data["max_quoted_chars"])
        quote = re.compile(
            f"([{re.escape(opening)}])((?:[^{re.escape(_QUOTES)}\\n《》]|《[^》{re.escape(_QUOTES)}\\n]{{1,12}}》)"
            f"{{1,{n}}}?)([{re.escape(closing)}])")
        heads = data["keep_heads"] + data["brand_heads"] + data["channel_heads"] + data["event_heads"] \
            + data["weak_heads"]
        skip = _alternation(data["tail_skip_prefixes"])
        word = f"(?!开展|进行|期间|实施|推进)(?![等的和与及在对为是了中将把被由从向于各、])[{_HAN}]"
        tail = re.compile(
            f"(?:{skip})*((?:{word}){{0,{int(data['tail_max_chars'])}}}?)({_alternation(heads)})")
        extend = re.compile(_alternation(data["keep_heads"] + data["brand_heads"] + data["event_heads"]))
        rules = _Rules(
            quote=quote,
            tail=tail,
            extend=extend,
            keep_heads=frozenset(data["keep_heads"]),
            brand_heads=frozenset(data["brand_heads"]),
            channel_heads=frozenset(data["channel_heads"]),
            countable=frozenset(data["countable_heads"]),
            agency_chars=data["agency_chars"],
            bounded=frozenset(data["bounded_heads"]),
            content_head=re.compile(f"(?:{_alternation(data['content_heads'])})$"),
            launch_before=re.compile(
                f"(?:{_alternation(data['launch_verbs'])})(?:{_alternation(data['adverbs'])})?[了的]?"
                f"(?:(?![的中之时后前])[{_HAN}]){{0,4}}$"),
            honour_before=re.compile(f"(?:{_alternation(data['honour_triggers_before'])})"),
            unquoted=re.compile(f"(?:{_alternation(data['unquoted_heads'])})"),
            verb_required=frozenset(data["verb_required_heads"]),
            generic_sensitive=frozenset(data["generic_sensitive_heads"]),
            unquoted_max=int(data["unquoted_max_chars"]),
            strip_prefix=re.compile(f"^(?:{_alternation(data['unquoted_strip_prefixes'])})"),
            reject_words=re.compile(f"(?:{_alternation(data['unquoted_reject_words'])})"),
            stop=frozenset(data["stop_names"]),
            ideology=re.compile("|".join(f"(?:{p})" for p in data["ideology_patterns"])),
            not_programme=re.compile(f"(?:{_alternation(data['non_programme_endings'])})$"),
            slogan_prefixes=tuple(data["place_slogan_prefixes"]),
            formula=re.compile(data["formula_pattern"]),
            formula_not_before=re.compile(_alternation(data["formula_not_before"])),
            numbered=re.compile(data["numbered_pattern"]),
            # 深入开展五问五破机关作风建设: two numerals, each before one character, right after a launch
            # verb; what a formula's parts count (一对一, 三年两次, 两个三级) is no name
            formula_after_verb=re.compile(
                f"(?:{_alternation(data['launch_verbs'])})(?:{_alternation(data['adverbs'])})?"
                f"(([{_NUMERAL}]){_NOT_A_COUNT}([{_HAN}])([{_NUMERAL}]){_NOT_A_COUNT}([{_HAN}]))"),
            law_into=re.compile(f"《([{_HAN}]{{1,12}}?(?:法|法典|条例))》(进(?:{_alternation(data['law_into_places'])}))"),
        )
    except OSError as err:
        raise _fail(path, "cannot read the programme rules", err) from err
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, re.error) as err:
        raise _fail(path, "is not a programme rules file (see its _doc and the module docstring)", err) from err
    return rules


@functools.cache
def _lexicon(path: Path = LEXICON_PATH) -> _Lexicon:
    return _read_lexicon(path)


@functools.cache
def _rules(path: Path = RULES_PATH) -> _Rules:
    return _read_rules(path)


def programme_words() -> list[str]:
    """The lexicon's names and aliases, for the segmenter's user dictionary."""
    lex = _lexicon()
    names = {*lex.literal, *lex.literal.values(), *(name for _, name in lex.regexes)}
    return sorted(n for n in names if "{" not in n)  # "{0}": a pattern that names itself


@functools.cache
def _place_names() -> frozenset[str]:
    """Short and full names of divisions, to tell 法治江宁 (a slogan) from 法治进家."""
    from kg.divisions import gazetteer  # noqa: PLC0415 - loaded once, only if needed

    return frozenset(gazetteer().names())  # a missing gazetteer is an error, not a rule quietly off


# -- text helpers ---------------------------------------------------------------
def _strip_view(text: str) -> tuple[str, list[int]]:
    """The text without quotation marks and blanks, and each kept char's offset."""
    keep, offsets = [], []
    for m in re.finditer(f"[^{re.escape(_QUOTES)}\\s]+", text):
        keep.append(m.group())
        offsets.extend(range(m.start(), m.end()))
    return "".join(keep).translate(_PARENS), offsets


# -- recognition ------------------------------------------------------------------
@dataclass
class _Candidate:
    start: int
    end: int
    canonical: str
    priority: int
    core: str = ""  # the quoted name alone, for merging XX with XX品牌


def _balance(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span over the quotation mark it opens or closes: 八五”普法 → “八五”普法."""
    surface = text[start:end]
    if start > 0 and text[start - 1] in _OPENING and any(c in _CLOSING for c in surface):
        start -= 1
    if end < len(text) and text[end] in _CLOSING and any(c in _OPENING for c in surface[1:]):
        end += 1
    return start, end


def _lexicon_candidates(text: str, lex: _Lexicon) -> list[_Candidate]:
    view, offsets = _strip_view(text)
    out = []
    for ms, me in lex.finditer(view):
        if me <= ms:
            continue
        surface = view[ms:me]
        name = lex.literal.get(surface)
        if name is None:  # a pattern matched: find which (a handful, on this span only)
            name = next((c for p, c in lex.regexes if p.fullmatch(view, ms, me)), None)
            if name is None:
                continue
        if name == "{0}":
            name = surface
        start, end = offsets[ms], offsets[me - 1] + 1
        start, end = _balance(text, start, end)
        out.append(_Candidate(start, end, name, _LEXICON))
        out += _coordinated_literals(view, offsets, ms, surface, lex)
    return out


def _coordinated_literals(view: str, offsets: list[int], at: int, alias: str, lex: _Lexicon) -> list[_Candidate]:
    """诉调、检调、公调对接: lexicon names listed before one whose head they share (诉调对接, 检调对接).

    Walks back over ``X、`` / ``X和`` items as long as the part before the
    shared head, of the same length, makes another literal of the lexicon.
    """
    out = []
    for cut in range(1, len(alias)):
        head, size = alias[cut:], cut
        pos = at
        while pos - size - 1 >= 0 and view[pos - 1] in "、和与及":
            item = view[pos - size - 1:pos - 1]
            name = lex.literal.get(item + head)
            if name is None or name == "{0}":
                break
            start = offsets[pos - size - 1]
            out.append(_Candidate(start, offsets[pos - 2] + 1, name, _LEXICON))
            pos -= size + 1
        if out:
            break
    return out


def _rejected_name(name: str, rules: _Rules) -> bool:
    if len(name) < 2 or name in rules.stop or rules.ideology.search(name) or _BAD_CONTENT.search(name):
        return True
    if rules.not_programme.search(name):
        return True  # 青少年法治教育基地, 调解工作室: a body or a site
    if name.endswith("化") and len(name) <= 4 and not rules.formula.match(name):
        return True  # “精细化”, “网格化”: a manner, not a name
    if "、" in name and (any(len(part) < 2 for part in name.split("、")) or name.count("、") >= 3):
        return True  # “站、所”: a list of single words
    for prefix in rules.slogan_prefixes:
        if name.startswith(prefix) and 2 <= len(name) - len(prefix) <= 4 and name[len(prefix):] in _place_names():
            return True  # 法治江宁, 平安江宁: a slogan of the place, not a programme
    return False


_CN_NUMERALS = re.compile(r"^[一二三四五六七八九十两百千万零〇]+$")
_COUNTER = re.compile(r"^[一二三四五六七八九十两多数\d]+[个项支大张类条种批件]")
_STOP_AFTER = r"[的等和与及中为已共获被在于]|工作|活动|项目|取得|成效|成果|入选|荣获|得到|受到|成为"
_MEASURE = re.compile(r"\s*[\d一二三四五六七八九十两百]+[个家项场次件]")


def _short(core: str) -> bool:
    """Too short or too bare to name a programme without its head (“365”, “和美”)."""
    return len(core) <= 2 or bool(_DIGITS_OR_LATIN.match(core) or _CN_NUMERALS.match(core))


def _head_after(text: str, pos: int, rules: _Rules) -> tuple[str, str, int]:
    """The programme head after a closing quote: (words before it, head, end) or ("", "", pos)."""
    tail = rules.tail.match(text, pos)
    if not tail:
        return "", "", pos
    words, head, end = tail.group(1), tail.group(2), tail.end()
    # a compound of heads names the thing by its last one: 应用试点项目, 普法宣传活动
    more = rules.extend.match(text, end)
    while more:
        words, head, end = words + head, more.group(), more.end()
        more = rules.extend.match(text, end)
    if text[end:end + 1] and text[end] in rules.agency_chars:
        return "", "", pos  # 志愿服务团, 法律服务站: a body, not a programme
    if head in rules.countable and _MEASURE.match(text, end):
        return "", "", pos  # “XX”计划62个: a count of items
    bounded = head in rules.bounded or _COUNTER.match(words)
    if bounded and _HAS_HAN.match(text[end:end + 1]) and not re.match(_STOP_AFTER, text[end:end + 2]):
        return "", "", pos  # “XX”普法进校园, “A”“B”四支服务团队: the head is not the end
    return words, head, end


_CHAIN_GAP = re.compile(r"[、和及与\s]{0,2}")


def _quoted_candidates(text: str, rules: _Rules, books: list[tuple[int, int]]) -> list[_Candidate]:
    starts = [s for s, _ in books]
    quotes = list(rules.quote.finditer(text))
    out: list[_Candidate] = []
    i = 0
    while i < len(quotes):
        # a chain of coordinated quotes: “A”“B”、“C”系列调解品牌
        chain = [quotes[i]]
        while i + 1 < len(quotes) and _CHAIN_GAP.fullmatch(text, chain[-1].end(), quotes[i + 1].start()):
            i += 1
            chain.append(quotes[i])
        i += 1
        words, head, end = _head_after(text, chain[-1].end(), rules)
        cs = chain[0].start()
        clause = text[_clause_start(text, cs):cs]
        if rules.honour_before.search(clause):
            continue  # 获评“最佳实践”项目: part of an honour
        launched = bool(rules.launch_before.search(_SPACES.sub("", text[max(0, cs - 10):cs])))
        for q in chain:
            qs, qe = q.span()
            if _inside(books, starts, qs, qe):
                continue
            if re.fullmatch(r"《[^》]*》", q.group(2)):
                continue  # “《总体方案》”: a document's title in quotes
            core = _clean(q.group(2)).replace("《", "").replace("》", "")  # “《民法典》进万家”
            if _rejected_name(core, rules):
                continue
            cand = _quoted(text, q, core, words, head, end if q is chain[-1] else qe, launched, rules)
            if cand is not None:
                out.append(cand)
    return out


def _quoted(text: str, q: re.Match, core: str, words: str, head: str, end: int, launched: bool,
            rules: _Rules) -> _Candidate | None:
    qs, qe = q.span()
    if rules.content_head.search(core) and len(core) >= 3:
        if head in rules.keep_heads and not words and not core.endswith(head):  # “智慧普法”平台 → 智慧普法平台
            return _Candidate(qs, end, _clean(core + head), _QUOTED, core)
        return _Candidate(qs, qe, core, _QUOTED, core)  # “乡村说法”: the name says what it is
    if head:
        if _COUNTER.match(words):  # “A”“B”三项机制: the quotes are the items
            keep = head in rules.keep_heads and not _short(core)
            return _Candidate(qs, end, core, _QUOTED, core) if keep else None
        full = _clean(core + words + head)
        if head in rules.keep_heads:
            return _Candidate(qs, end, full, _QUOTED, core)
        if head in rules.channel_heads:  # “法小仙”官方抖音号 → 法小仙: the quoted name is the brand
            return _Candidate(qs, end, full if _short(core) else core, _QUOTED, core)
        if head in rules.brand_heads:  # “法治进家”品牌 → 法治进家; “微视频”述法模式 keeps its words
            long_form = _short(core) or (words and len(core) <= 3)
            return _Candidate(qs, end, full if long_form else core, _QUOTED, core)
        if not _short(core):  # 活动, 工作, 宣传 …: the name is the quoted part
            return _Candidate(qs, end, core, _QUOTED, core)
        return None
    if _HAS_LATIN.search(core) and _HAS_HAN.search(core) and len(core) >= 3:
        return _Candidate(qs, qe, core, _QUOTED, core)  # “e法通”, “i律师”
    if len(core) >= 4 and rules.formula.match(core) and not rules.formula_not_before.match(text, qe):
        return _Candidate(qs, qe, core, _QUOTED, core)  # “三责四化”, “三抓三促”: a numbered formula
    after = text[qe:qe + 1]
    if len(core) >= 3 and launched and (not after or after in "，,。；;、等“\n"):
        return _Candidate(qs, qe, core, _QUOTED, core)
    return None


_NAME_RUN = re.compile(f"[{_HAN}0-9()（）]*$")  # the run of name characters before a head
_INNER_VERB = re.compile(r"开展|实施|推进|深化|启动|打造|组织|落实|持续|部署")
_VERB_BEFORE = re.compile(r"(?:开展|实施|推进|深化|启动|打造|推行|探索)(?:[\u4e00-\u9fff]{2,5}?(?:街道|镇))?$")
# 综合 after a manner (法治化综合改革) is part of a name
_GENERIC_NAME = re.compile(r"(?:重点|民生|民心|基础|形象|建设|系统|体制|机构|各项|全面|(?<!化)综合|领域)$")


def _unquoted_candidates(text: str, rules: _Rules, books: list[tuple[int, int]]) -> list[_Candidate]:
    starts = [s for s, _ in books]
    out = []
    for m in rules.unquoted.finditer(text):
        hs, he = m.span()
        lo = _NAME_RUN.search(text, max(0, hs - 40), hs).start()
        name = text[lo:hs]
        # strip what leads up to the name: verbs, adverbs, scopes, years
        changed = True
        while changed and name:
            changed = False
            for pat in (rules.strip_prefix, _YEAR_PREFIX):
                m2 = pat.match(name)
                if m2:
                    name, lo, changed = name[m2.end():], lo + m2.end(), True
        if "的" in name:  # 为期三个月的矛盾纠纷排查化解专项行动
            cut = name.rindex("的") + 1
            lo, name = lo + cut, name[cut:]
        if len(name) > rules.unquoted_max:  # cut after the last verb inside the run
            cut = [v.end() for v in _INNER_VERB.finditer(name)]
            if not cut:
                continue
            lo, name = lo + cut[-1], name[cut[-1]:]
        head = m.group()
        if len(name) < 2 or len(name) > rules.unquoted_max or rules.reject_words.search(name):
            continue
        if _GENERIC_NAME.fullmatch(name) or head in rules.generic_sensitive and _GENERIC_NAME.search(name):
            continue  # 开展综合示范创建, 重点领域三年行动计划: a modifier, no name
        if head in rules.verb_required and (  # 实施XX工程, 推进XX改革: only with the verb before
                len(name) < 4 or not _VERB_BEFORE.search(text, max(0, lo - 10), lo) or _GENERIC_NAME.search(name)):
            continue
        if _inside(books, starts, lo, he) or _rejected_name(name + head, rules):
            continue
        out.append(_Candidate(lo, he, _clean(name + head), _UNQUOTED, name))
    return out


def _numbered_candidates(text: str, rules: _Rules, books: list[tuple[int, int]]) -> list[_Candidate]:
    """A numeral name before a method or mechanism head: …矛盾纠纷六零工作法 → 六零工作法, 三色预警机制."""
    starts = [s for s, _ in books]
    out = []
    for m in rules.numbered.finditer(text):
        name = m.group(1) + m.group(2)
        if _inside(books, starts, m.start(), m.end()) or _rejected_name(name, rules) \
                or any(stop in name for stop in rules.stop if len(stop) >= 3):
            continue
        out.append(_Candidate(m.start(), m.end(), name, _UNQUOTED, m.group(1)))
    return out


def _formula_candidates(text: str, rules: _Rules, books: list[tuple[int, int]]) -> list[_Candidate]:
    """An unquoted numbered formula after a launch verb: 开展五问五破…, 推行三联三帮 → 五问五破, 三联三帮."""
    starts = [s for s, _ in books]
    out = []
    for m in rules.formula_after_verb.finditer(text):
        name = m.group(1)
        if m.group(3) in _NUMERAL or m.group(5) in _NUMERAL or _inside(books, starts, m.start(1), m.end(1)) \
                or _rejected_name(name, rules) or rules.formula_not_before.match(text, m.end(1)):
            continue
        out.append(_Candidate(m.start(1), m.end(1), name, _UNQUOTED, name))
    return out


# 《民法典》进农村, 《宪法》进万家: a law carried into a kind of place, named by the law's title
def _law_into_candidates(text: str, rules: _Rules) -> list[_Candidate]:
    """开展《民法典》进农村活动 → 民法典进农村: a campaign that carries a law somewhere, not the law's title."""
    return [_Candidate(m.start(), m.end(), m.group(1).removeprefix("中华人民共和国") + m.group(2), _UNQUOTED,
                       m.group(1)) for m in rules.law_into.finditer(text)]


_LEVEL_MODIFIER = re.compile(r"[一二三四五六七八九十两\d]级|[县市区乡镇村、]{2,6}[一二三四五]级")


def _resolve(cands: list[_Candidate]) -> list[_Candidate]:
    """Keep the strongest, then longest, of overlapping candidates; one canonical per name."""
    # “三级公共法律服务体系建设”: a quoted name that is a lexicon name with a short modifier before
    # it keeps the modifier, as the report names it
    for c in cands:
        if c.priority == _LEXICON:
            q = next((q for q in cands if q.priority == _QUOTED and q.start <= c.start and c.end <= q.end
                      and q.canonical.endswith(c.canonical)
                      and _LEVEL_MODIFIER.fullmatch(q.canonical[:len(q.canonical) - len(c.canonical)])), None)
            if q is not None:
                c.canonical = q.canonical
    kept: list[_Candidate] = []
    taken: set[int] = set()
    for c in sorted(cands, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
        span = range(c.start, c.end)
        if any(i in taken for i in span):
            continue
        kept.append(c)
        taken.update(span)
    kept.sort(key=lambda c: c.start)
    # “XX” alone and “XX”专项行动 elsewhere are one programme: the form used most wins,
    # the one with its head on a tie
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for c in kept:
        if c.core:
            forms[_key(c.core)][c.canonical] += 1
    choice = {}
    for core, counts in forms.items():
        choice[core] = max(counts, key=lambda f: (counts[f], _key(f) != core, -len(f)))
    for c in kept:
        if c.core:
            c.canonical = choice[_key(c.core)]
    # a lexicon name that the document also gives with a modifier takes that form:
    # 公共法律服务体系建设 beside 三级公共法律服务体系建设
    names = {c.canonical for c in kept}
    # 扫黑除恶 in a report that also names 扫黑除恶专项斗争 is that one programme, by its fuller name
    lexicon_names = {c.canonical for c in kept if c.priority == _LEXICON}
    for c in kept:
        if c.priority == _LEXICON:
            fuller = [n for n in lexicon_names if n != c.canonical and n.startswith(c.canonical)]
            if fuller:
                c.canonical = min(fuller, key=len)
    for c in kept:
        if c.priority == _LEXICON and len(c.canonical) >= 6:
            longer = [n for n in names if n != c.canonical and n.endswith(c.canonical)
                      and len(n) - len(c.canonical) <= 4]
            if longer:
                c.canonical = min(longer, key=len)
    return kept


def _key(name: str) -> str:
    return re.sub(r"[、,，·\s]", "", name)


#: The programme rules in the order they run; each can be left out (``rules=`` here, ``rules`` in the config).
RULES = ("lexicon", "quoted", "unquoted", "numbered", "formula", "law_into")


def find_programmes(text: str, ctx: Context, *, rules: Collection[str] = RULES) -> list[Mention]:
    """Programmes named in ``text``, one mention per occurrence.

    Args:
        text: normalised Simplified text.
        ctx: what is known of the report (not needed to recognise, kept for symmetry).
        rules: the names of the rules to run (:data:`RULES`, all by default).

    Returns:
        Mentions of type ``programme`` with ``original`` left empty (the caller fills it).

    Example:
        >>> [m.canonical for m in find_programmes("组织开展“护企安商、法润民生”专项行动", Context())]
        ['护企安商、法润民生专项行动']
    """
    data = _rules()
    books = book_title_spans(text)
    starts = [s for s, _ in books]
    cands: list[_Candidate] = []
    if "lexicon" in rules:
        cands += [c for c in _lexicon_candidates(text, _lexicon()) if not _inside(books, starts, c.start, c.end)]
    if "quoted" in rules:
        cands += _quoted_candidates(text, data, books)
    if "unquoted" in rules:
        cands += _unquoted_candidates(text, data, books)
    if "numbered" in rules:
        cands += _numbered_candidates(text, data, books)
    if "formula" in rules:
        cands += _formula_candidates(text, data, books)
    if "law_into" in rules:
        cands += _law_into_candidates(text, data)
    return [Mention("programme", c.canonical, text[c.start:c.end], "", c.start, c.end)
            for c in _resolve(cands)]


# -- runs -------------------------------------------------------------------------
_STUDY = re.compile(r"学习借鉴|借鉴|学习考察|参观|考察|观摩|取经|对标|学习[\u4e00-\u9fff]{0,6}(?:先进|经验|做法)"
                    r"|赴[\u4e00-\u9fff]{2,12}?(?:学习|调研|交流)")  # 赴浙江省诸暨市学习“枫桥经验”: a study trip
_OTHER_PLACE = re.compile(
    f"([{_HAN}]{{2,6}}?(?:省|市|县|区|州|自治区))(?:的|推广的|推行的|首创的|创新的|探索的)?[“\"「]?$")
_SCOPES = frozenset({"全省", "全市", "全区", "全县", "全州", "我区", "我市", "我县", "本市", "本区", "本县",
                     "省市区", "市区", "县区", "各区", "各县", "各市"})


def _own_names(ctx: Context) -> set[str]:
    names: set[str] = set()
    for div in (ctx.district, ctx.city, ctx.province):
        if div is not None:
            names |= {div.name, div.short} - {""}
    return names


def _foreign(text: str, sent: tuple[int, int], m: Mention, own: set[str]) -> bool:
    """Whether the sentence attributes ``m`` to another place or only studies it."""
    clause = text[max(sent[0], _clause_start(text, m.start)):m.start]
    if _STUDY.search(clause):
        return True
    hit = _OTHER_PLACE.search(text[max(sent[0], m.start - 12):m.start])
    if not hit:
        return False
    place, names = hit.group(1), _place_names()
    for size in range(len(place), 1, -1):  # the place may follow other words: 推广杭州市
        name = place[-size:]
        if name in _SCOPES or name in own:
            return False
        if name in names:
            return True
    return False


def programme_runs(text: str, ctx: Context, programmes: list[Mention]) -> list[Relation]:
    """``runs`` relations: the reporting district runs each programme it reports.

    Args:
        text: the normalised text the mentions were found in.
        ctx: the report's context; the subject is ``ctx.district`` (a place),
            else ``ctx.agency`` (an agency); with neither, nothing is returned.
        programmes: programme mentions (other types are ignored).

    Returns:
        One relation per programme, with the first sentence that shows the
        district running it as evidence (offsets into ``text``).

    Example:
        >>> rels = programme_runs(text, ctx, find_programmes(text, ctx))
        >>> rels[0].kind, rels[0].subject_type
        ('runs', 'place')
    """
    if ctx.district is not None:
        subject_type, subject = "place", ctx.district.name
    elif ctx.agency:
        subject_type, subject = "agency", ctx.agency
    else:
        return []
    sents = sentence_spans(text)
    sent_starts = [s for s, _ in sents]
    own = _own_names(ctx)
    out: dict[str, Relation] = {}
    for m in sorted((m for m in programmes if m.type == "programme"), key=lambda m: m.start):
        if m.canonical in out:
            continue
        i = bisect.bisect_right(sent_starts, m.start) - 1
        sent = sents[i] if i >= 0 else (0, len(text))
        if _foreign(text, sent, m, own):
            continue
        evidence = text[sent[0]:sent[1]]
        lead = len(evidence) - len(evidence.lstrip())
        trail = len(evidence.rstrip())
        out[m.canonical] = Relation("runs", subject_type, subject, m.canonical,
                                    evidence.strip(), sent[0] + lead, sent[0] + trail)
    return list(out.values())
