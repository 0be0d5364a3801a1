"""Honours: titles after conferral triggers, and who received them.

An honour is a title, award or ranking the report says was conferred
(gold/GUIDELINE.md): it follows a trigger (获评, 被评为, 荣获, 被命名为, 被授予,
入选, 被表彰为 …), possibly with the conferring body between 被 and the verb
(被省司法厅命名为) or right after the trigger (获评省司法厅“…”). The title runs
to the end of its clause and must end with an honour head (先进集体, 示范村,
司法所, 调委会, 项目, 奖 …) — or, after a strong trigger, carry an honour
marker (示范, 先进, 优秀 …) — so that a whole clause is never taken for one.
Targets not yet won (争创, 力争, 申报 …) are skipped.

Canonical names drop quotes, 称号/荣誉称号, counts (1家), years (2019年度) and
batch words (第三批, 首批), and keep level words: 被命名为“第三批四星级调委会”
→ 四星级调委会; 全省第三批省级法治示范区 → 省级法治示范区. Honours coordinated
after the first (被评为A，B / A、B) share its recipients, and elliptical ones
(全国民主法治示范村2个、省级4个) are spelt out (省级民主法治示范村).

The recipient is the entity closest before the trigger in its clause, with
those coordinated with it (A、B获评…); a clause that starts with the trigger
takes the sentence's subject; failing that, 我区/全区 mean the reporting
district, 我局 (or no subject at all) the issuing agency.

The lists live in ``pipelines/honour_rules.json``.

Example:
    >>> hs, aw = find_honours("东山司法所获评省级“枫桥式”司法所。", ctx, agencies)
    >>> hs[0].canonical, aw[0].subject
    ('省级枫桥式司法所', '东山司法所')
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KGError
from kg.resources import data_dir
from kg.text import HAN as _HAN
from kg.text import PARENS as _PARENS
from kg.text import QUOTES as _QUOTES
from kg.text import alternation as _alt
from kg.text import book_title_spans, clause_start, sentence_spans
from kg.text import clean as _clean
from kg.types import Context, Mention, Relation

__all__ = ["find_honours", "HONOUR_RULES_PATH"]

HONOUR_RULES_PATH = data_dir("pipelines") / "honour_rules.json"

_CLAUSE_STOP = "，,。；;：:！？!?\n"
_SENT_YEAR = re.compile(r"(?<![\d\-—–~至到])((?:19|20)\d\d)\s*年(?!度?\s*[-—–~至到])")
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年")
_LEAD_FILLER = re.compile(
    r"^(?:(?:\d{4}年(?:度)?|\d{1,2}月(?:份)?|今年|去年|同年|年内|全年|其中|同时|此外|另外|并|还|也|均|已|先后|"
    r"(?:一|近|多|历)年来|今年以来|近[\d一二三两四五]+年(?:来)?|"
    r"成功|再次|又|连续\S{1,3}年|荣|喜|分别|相继|一举)[，,]?)*$")
_AGENCY_END = re.compile(r"(?:厅|局|部|委|办|政府|委员会|办公室|院|会|组|中心|联)(?:联合|共同|正式)?$")
_TRAILING = re.compile(r"(?:等|之一)$")
_NOT_A_TITLE = re.compile(r"的|或者|以及|和个人|和单位|等单位")  # a clause, not a name
_CONJ = re.compile(r"^(?:[、和及与]|以及)$")


@dataclass(frozen=True)
class _Rules:
    trigger: re.Pattern[str]
    strong: frozenset[str]
    not_after: str
    not_before: re.Pattern[str]
    target: re.Pattern[str]
    head: re.Pattern[str]
    marker: re.Pattern[str]
    reject: re.Pattern[str]
    suffix: re.Pattern[str]
    level: re.Pattern[str]
    double_level: re.Pattern[str]
    batch: re.Pattern[str]
    year: re.Pattern[str]
    count: re.Pattern[str]
    conferrer: re.Pattern[str]
    continuation: re.Pattern[str]
    elliptic: re.Pattern[str]
    max_chars: int
    min_chars: int
    district_subjects: tuple[str, ...]
    agency_subjects: tuple[str, ...]
    person: re.Pattern[str]
    counted: re.Pattern[str]


def _read_rules(path: Path) -> _Rules:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        verbs = _alt(d["agent_verbs"])
        # the conferrer runs up to the first conferral verb, never past it or another 被
        agent = (f"被(?P<who>(?:(?!被|{verbs})[^{re.escape(_CLAUSE_STOP + _QUOTES)}\\s])"
                 f"{{1,{int(d['agent_max_chars'])}}}?)(?P<verb>{verbs})")
        trigger = re.compile(f"(?P<agent>{agent})|(?P<trig>{_alt(d['strong_triggers'] + d['weak_triggers'])})")
        levels = _alt(d["level_words"])
        heads = [h.translate(_PARENS) for h in d["heads"]]
        rules = _Rules(
            trigger=trigger,
            strong=frozenset(d["strong_triggers"]),
            not_after="".join(d["trigger_not_after"]),
            not_before=re.compile(f"(?:{_alt(d['trigger_not_before'])})"),
            target=re.compile(f"(?:{_alt(d['targets'])})"),
            head=re.compile(f"(?:{_alt(heads)})$"),
            marker=re.compile(f"(?:{_alt(d['markers'])})"),
            reject=re.compile(f"(?:{_alt(d['reject_endings'])})$"),
            suffix=re.compile(f"(?:{_alt(d['strip_suffixes'])})$"),
            level=re.compile(f"^(?:{levels})"),
            double_level=re.compile(f"^(?:{levels})(?=(?:{levels}))"),
            batch=re.compile(d["batch_pattern"]),
            year=re.compile(d["year_pattern"]),
            count=re.compile(d["count_pattern"]),
            conferrer=re.compile(
                f"[{_HAN}]{{2,12}}?(?:{_alt(d['conferrer_heads'])})(?=[“\"「『‘\\d第首全])"),
            continuation=re.compile(
                f"^(?:和|及|以及|并|还)?(?:{levels}|{d['batch_pattern']}|[“\"「『‘]|\\d{{4}}|[省市区县州](?=[{_HAN}]))"),
            elliptic=re.compile(f"、({levels})\\s*(?:[\\d一二三四五六七八九十两百]+)\\s*[家个所名处项]"),
            max_chars=int(d["title_max_chars"]),
            min_chars=int(d["title_min_chars"]),
            district_subjects=tuple(d["district_subjects"]),
            agency_subjects=tuple(d["agency_subjects"]),
            person=re.compile(_alt(d["person_words"])),
            counted=re.compile(d["count_subject_pattern"]),
        )
    except OSError as err:
        raise KGError(f"{path}: cannot read the honour rules ({err}); restore the file from "
                      f"version control (it ships in pipelines/)") from err
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, re.error) as err:
        raise KGError(f"{path}: not an honour rules file ({err}); it needs the keys listed in its "
                      f"_doc (strong_triggers, weak_triggers, heads …) — fix the file and run again") from err
    return rules


@functools.cache
def _rules(path: Path = HONOUR_RULES_PATH) -> _Rules:
    return _read_rules(path)


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` starts: an honour's clause may run long (80 characters)."""
    return clause_start(text, pos, 80)


# -- titles -----------------------------------------------------------------------
# 并被市委授予…, 同时荣获…: a second conferral begins, the first title has ended
_NEXT_CONFERRAL = re.compile(r"(?:并|同时|还|又)(?:被|获|荣获|入选)")


def _clause_end(text: str, start: int, limit: int) -> int:
    """End of the clause from ``start``: at punctuation (and 、) outside quotes and brackets."""
    depth, quoted, i = 0, False, start
    stop = min(len(text), limit)
    while i < stop:
        c = text[i]
        if c in "(（":
            depth += 1
        elif c in ")）":
            depth = max(0, depth - 1)
        elif c in "“「『‘":
            quoted = True
        elif c in "”」』’":
            quoted = False
        elif c == '"':
            quoted = not quoted
        elif not quoted and depth == 0 and (c in _CLAUSE_STOP or c == "、" or _NEXT_CONFERRAL.match(text, i)):
            return i
        elif c in "。；;\n":
            return i
        i += 1
    return i


def _trim(text: str, ts: int, te: int, rules: _Rules) -> int:
    """Drop counts, 称号 and 等 from the end of a title; return its new end."""
    while te > ts:
        raw = text[ts:te].rstrip()
        te = ts + len(raw)
        raw_q = raw.rstrip(_QUOTES)
        for pat in (rules.count, rules.suffix, _TRAILING):
            m = pat.search(raw_q)
            if m and m.start() > 0:
                te = ts + m.start()
                break
        else:
            return te
    return te


# 目标考核先进单位, 目标管理优秀单位: 目标 inside a title names an appraisal, not a goal
_TARGET_WORDS_IN_NAMES = re.compile(r"目标(?:考核|管理|责任|绩效)")


def _valid(title: str, strong: bool, rules: _Rules) -> bool:
    core = re.sub(r"\([^()]*\)$", "", title)  # 示范乡镇(街道): the head is before the brackets
    if not (rules.min_chars <= len(core) <= rules.max_chars) or not re.search(f"[{_HAN}]", core):
        return False
    if rules.target.search(_TARGET_WORDS_IN_NAMES.sub("", title)) or "《" in title or rules.reject.search(core) \
            or _NOT_A_TITLE.search(title):
        return False
    headed = bool(rules.head.search(core) or rules.head.search(title))
    if strong:
        return headed or (bool(rules.marker.search(title)) and len(core) <= 30)
    return headed and bool(rules.marker.search(title) or rules.level.match(title))


def _canonical(title: str, rules: _Rules) -> str:
    name = _clean(title)
    name = rules.year.sub("", name)
    name = rules.batch.sub("", name)
    name = rules.double_level.sub("", name)
    return name


# -- recipients ---------------------------------------------------------------------
def _in_books(books: list[tuple[int, int]], e: Mention) -> bool:
    return any(a <= e.start and e.end <= b for a, b in books)


def _in_a_quoted_name(text: str, e: Mention) -> bool:
    """红河 in “法治红河”普法品牌: a place or body inside a quoted name is part of that name, no recipient."""
    opened = text.rfind("“", max(0, e.start - 12), e.start)
    return opened >= 0 and "”" not in text[opened:e.start] and "”" in text[e.end:e.end + 12] \
        and (opened < e.start - 1 or text[e.end:e.end + 1] != "”")


def _closest(text: str, ents: list[Mention], lo: int, hi: int, skip: tuple[int, int] | None,
             books: list[tuple[int, int]]) -> list[Mention]:
    """The entity closest before ``hi`` (from ``lo``), with those coordinated with it."""
    pool = [e for e in ents if e.start >= lo and e.end <= hi and e.type != "honour"
            and not (skip and e.start >= skip[0] and e.end <= skip[1]) and not _in_books(books, e)
            and not (e.type != "programme" and _in_a_quoted_name(text, e))]
    if not pool:
        return []
    best = max(pool, key=lambda e: (e.end, -e.start))
    if best.type == "programme":  # 区司法局推进“XX”工作获评…: the body is the subject
        opener = min(pool, key=lambda e: (e.start, -e.end))
        lead = re.sub(r"[，,\s]", "", text[lo:opener.start])
        if opener.type in ("agency", "place") and opener.end <= best.start and (
                not lead or _LEAD_FILLER.match(lead)):
            best = max((e for e in pool if e.start == opener.start), key=lambda e: e.end)
    out, left = [best], best.start
    while True:
        before = [e for e in pool if e.end <= left]
        if not before:
            break
        # 北外滩街道、嘉兴路街道调委会: of a place and the body it names by a shared head, the body
        prev = max(before, key=lambda e: (e.end, -e.start, e.type == "agency"))
        gap = text[prev.end:left]
        if gap == "":  # 沙井街道后亭社区: a place before its village is part of the name
            left = prev.start
            continue
        if _CONJ.match(gap.strip()):
            out.append(prev)
            left = prev.start
            continue
        break
    return out


def _sentence_subject(text: str, ents: list[Mention], s0: int, pos: int,
                      books: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """The subject of the sentence: the first agency or place that opens a clause before ``pos``."""
    for e in ents:
        if e.start < s0 or e.end > pos or e.type not in ("agency", "place") or _in_books(books, e):
            continue
        lead = text[max(s0, _clause_start(text, e.start)):e.start]
        if not lead.strip() or _LEAD_FILLER.match(re.sub(r"[，,\s]", "", lead)):
            return [(e.type, e.canonical)]
    return []


_ANAPHOR = re.compile(r"该([所局院处镇乡村会站室庭办委队]|中心|街道|社区|委员会)")


def _anaphor(text: str, all_ents: list[Mention], clause_start: int, pos: int) -> list[tuple[str, str]]:
    """该所, 该局, 该村 … before the trigger: the last body or place named before with that head."""
    m = _ANAPHOR.search(text, clause_start, pos)
    if m is None:
        return []
    head = m.group(1)
    for e in reversed(all_ents):
        if e.end <= m.start() and e.type in ("agency", "place") and e.canonical.endswith(head):
            return [(e.type, e.canonical)]
    return []


# A title that names a county-level place (示范县, 先进区, 示范县(市、区)) is the district's own.
_DISTRICT_TITLE = re.compile(r"[区县旗](?:\([^()]*\))?$")
# One for a village or a community needs it named: the report's author is not one.
_VILLAGE_TITLE = re.compile(r"(?:村|社区|村居)(?:\([^()]*\))?$")


def _subject_fallback(text: str, s0: int, pos: int, ctx: Context, rules: _Rules,
                      titles: list[str] = ()) -> tuple[str, str] | None:
    lead = text[s0:pos].strip()
    lead = re.sub(r"^[\s一二三四五六七八九十\d]+[、.．)）]", "", lead).strip()  # 一是、(1)
    bare = re.sub(r"[，,\s]", "", lead)
    if ctx.district and bare and ctx.district.name.endswith(bare[-1]) and bare[-1] in "县区市旗" \
            and _LEAD_FILLER.match(bare[:-1]):
        return "place", ctx.district.name  # 县被评为…, 2023年，区荣获…: the level word alone is the district
    for word in rules.district_subjects:
        if lead.startswith(word) or re.match(rf"^\S{{0,8}}[，,]?{word}", lead):
            return ("place", ctx.district.name) if ctx.district else None
    for word in rules.agency_subjects:
        if word in lead[:8]:
            return ("agency", ctx.agency) if ctx.agency else None
    if _LEAD_FILLER.match(re.sub(r"[，,\s]", "", lead)):  # 获评2019年度…: the report's author
        if ctx.district and titles and all(_DISTRICT_TITLE.search(t) for t in titles):
            return "place", ctx.district.name  # 成功创建省级法治政府建设示范县: the district itself
        if titles and all(_VILLAGE_TITLE.search(t) for t in titles):
            return None
        if ctx.agency:
            return "agency", ctx.agency
        if ctx.district:
            return "place", ctx.district.name
    return None


def _year(text: str, s0: int, pos: int, title: str, ctx: Context) -> int | None:
    years = _SENT_YEAR.findall(text, s0, pos)
    if years:
        return int(years[-1])
    m = _TITLE_YEAR.search(title)
    if m and not re.search(r"\d\s*[-—–~至到]\s*$", title[:m.start()]):
        return int(m.group(1))
    return ctx.year


def _conferrer(text: str, span: tuple[int, int] | None, ents: list[Mention]) -> str:
    if span is None:
        return ""
    inside = [e for e in ents if e.type == "agency" and e.start >= span[0] and e.end <= span[1]]
    if inside:
        return max(inside, key=lambda e: e.end - e.start).canonical
    return _clean(text[span[0]:span[1]])


# -- the recogniser --------------------------------------------------------------------
#: The honour rules that can be left out (``rules=`` here, ``rules`` in the config); the trigger
#: and title rules always run.
RULES = ("title_conjunctions", "counted_subjects", "anaphora", "respectively")


def find_honours(text: str, ctx: Context, entities: list[Mention], *,
                 rules: Collection[str] = RULES) -> tuple[list[Mention], list[Relation]]:
    """Honours conferred in ``text`` and the ``awarded`` relations to their recipients.

    Args:
        text: normalised Simplified text.
        ctx: the report's context (district, issuing agency, year) for fallbacks.
        entities: agencies, places and programmes found by the other recognisers.

    Returns:
        Honour mentions (one per occurrence, ``original`` empty) and one
        ``awarded`` relation per recipient and honour, the sentence as evidence.

    Example:
        >>> hs, aw = find_honours("区司法局被省司法厅评为先进集体。", ctx, ents)
        >>> aw[0].conferrer
        '浙江省司法厅'
    """
    data = _rules()
    all_ents = sorted(entities, key=lambda e: (e.start, -e.end))
    ent_starts = [e.start for e in all_ents]
    all_books = book_title_spans(text)
    mentions: list[Mention] = []
    relations: list[Relation] = []
    seen: set[tuple[str, str, str, int]] = set()
    for s0, s1 in sentence_spans(text):
        if not data.trigger.search(text, s0, s1):
            continue
        sent_recipients: list[tuple[str, str]] = []
        # only what lies in this sentence: the scans below stay local
        ents = all_ents[bisect.bisect_left(ent_starts, s0):bisect.bisect_left(ent_starts, s1)]
        books = [(a, b) for a, b in all_books if a < s1 and b > s0] if all_books else []
        cursor = s0
        for trig in data.trigger.finditer(text, s0, s1):
            if trig.start() < cursor:
                continue
            found = _conferral(text, trig, s0, s1, data, books, ents, split="title_conjunctions" in rules)
            if found is None:
                continue
            titles, conf_span, title_end = found
            cursor = title_end
            pos = trig.start()
            if conf_span and text[conf_span[0] - 1] == "被":
                pos = min(pos, conf_span[0] - 1)  # the recipient stands before 被
            clause_start = max(s0, _clause_start(text, pos))
            recips = [(e.type, e.canonical) for e in
                      reversed(_closest(text, ents, clause_start, pos, conf_span, books))]
            named_before = [e.end for e in ents if clause_start <= e.start and e.end <= pos and e.type != "honour"]
            after_named = max(named_before, default=clause_start)
            counted = "counted_subjects" in rules and data.counted.search(text[after_named:pos].rstrip("被"))
            if data.person.search(text, after_named, pos) or counted:
                # 我局干部张三被评为…: a person received it; 全县有3个村被评为…: bodies the report does not name
                recips, sent_recipients = [], []
                person = True
            else:
                person = False
            lead_text = re.sub(r"[，,\s]", "", text[clause_start:pos])
            tally = any(t[3] for t in titles)
            if not recips and not person and "anaphora" in rules:
                recips = _anaphor(text, all_ents, clause_start, pos)  # 该所被司法部授予…
            if not recips and not tally and not person and (not lead_text or _LEAD_FILLER.match(lead_text)) \
                    and clause_start > s0:
                recips = list(sent_recipients) or _sentence_subject(text, ents, s0, pos, books)
            if not recips and not tally and not person:
                fb = _subject_fallback(text, s0, pos, ctx, data, [t[2] for t in titles])
                recips = [fb] if fb else []
            sent_recipients = recips or sent_recipients
            conferrer = _conferrer(text, conf_span, ents)
            evidence = text[s0:s1].strip()
            lead = len(text[s0:s1]) - len(text[s0:s1].lstrip())
            respectively = "respectively" in rules and len(recips) == len(titles) > 1 \
                and text[max(s0, pos - 2):pos] == "分别"
            for i, (ts, te, canonical, _) in enumerate(titles):
                mentions.append(Mention("honour", canonical, text[ts:te], "", ts, te))
                year = _year(text, s0, pos, text[ts:te], ctx)
                # 甲村、乙村分别获评A和B: the first title is the first's, the second the second's
                for stype, subject in [recips[i]] if respectively else recips:
                    key = (stype, subject, canonical, s0)
                    if key in seen:
                        continue
                    seen.add(key)
                    relations.append(Relation("awarded", stype, subject, canonical, evidence,
                                              s0 + lead, s0 + lead + len(evidence), year, conferrer))
    return mentions, relations


def _conferral(text: str, trig: re.Match, s0: int, s1: int, rules: _Rules,
               books: list[tuple[int, int]], ents: list[Mention], *, split: bool = True):
    """What one trigger confers: (titles, conferrer span or None, end of the last title) or None.

    Each title is ``(start, end, canonical, tally)``.
    """
    if trig.group("agent"):
        strong, conf_span = True, trig.span("who")
        if not _AGENCY_END.search(trig.group("who")):
            return None
    else:
        verb = trig.group("trig")
        strong, conf_span = verb in rules.strong, None
        if trig.start() > 0 and text[trig.start() - 1] in rules.not_after and verb.startswith(("获", "评")):
            return None
        if rules.not_before.match(text, trig.start() + len(verb) - 1 if verb == "获得" else trig.end()):
            return None
    clause_start = max(s0, _clause_start(text, trig.start()))
    clause = text[clause_start:trig.start()]
    if rules.target.search(clause):
        return None  # 力争获评…: a target, not a conferral
    if conf_span is None and not trig.group("agent"):
        by = clause.rfind("被")  # 被司法部、全国普法办联合评为: the bodies after 被 confer
        if by >= 0 and _AGENCY_END.search(clause[by + 1:]):
            conf_span = (clause_start + by + 1, trig.start())
    ts = trig.end()
    while ts < s1 and (text[ts].isspace() or text[ts] in "：:"):  # 先后荣获：A、B
        ts += 1
    if ts >= s1 or text[ts] == "《" or any(a <= ts < b for a, b in books):
        return None
    # the conferring body may follow the trigger: 获评省司法厅“…”
    ent = next((e for e in ents if e.type == "agency" and e.start == ts
                and re.match(r"[“\"「『‘\d第首全]", text[e.end:e.end + 1])), None)
    if ent is not None:
        conf_span, ts = (ent.start, ent.end), ent.end
    else:
        m = rules.conferrer.match(text, ts)
        if m:
            conf_span, ts = (m.start(), m.end()), m.end()
    te = _clause_end(text, ts, min(s1, ts + rules.max_chars + 12))
    titles = _coordinated_titles(text, ts, te, strong, rules, split=split)
    if not titles:
        return None
    first = titles[0]
    end = te
    # elliptical: 全国民主法治示范村2个、省级4个、市级6个
    level = rules.level.match(first[2])
    while level and end < s1:
        m = rules.elliptic.match(text, end)
        if not m:
            break
        body = first[2][level.end():]
        titles.append((m.start(1), m.end(1), m.group(1) + body, True))
        end = m.end()
    # coordinated: 被评为A，B / A、B
    while end < s1 and text[end] in "，,、":
        ns = end + 1
        seg_end = _clause_end(text, ns, min(s1, ns + rules.max_chars + 12))
        seg = text[ns:seg_end]
        if not rules.continuation.match(seg) or rules.trigger.search(seg) or rules.target.search(seg):
            break
        lead = re.match(r"^(?:和|及|以及|并|还)", seg)
        nxt = _coordinated_titles(text, ns + (lead.end() if lead else 0), seg_end, True, rules, split=split)
        if not nxt:
            break
        titles += nxt
        end = seg_end
    return titles, conf_span, end


_TITLE_CONJ = re.compile(r"以及|和|及|与")


def _coordinated_titles(text: str, ts: int, te: int, strong: bool, rules: _Rules, *,
                        split: bool = True) -> list[tuple[int, int, str, bool]]:
    """The titles from ``ts`` to ``te``: one, or two joined by 和/及/与 when each half is a title of its own.

    荣获全省平安建设先进区和全国七五普法先进区 confers two titles; 全国法治与德治
    示范村 one, as 全国法治 alone ends with no honour head.
    """
    whole = _title(text, ts, te, strong, rules)
    if not split:
        return [whole] if whole is not None else []
    joint = text.find("”“", ts, te)  # “A”“B”等荣誉称号: two quoted titles side by side
    if joint > ts:
        left = _title(text, ts, joint + 1, strong, rules)
        rest = _coordinated_titles(text, joint + 1, te, True, rules)
        if left is not None and rest:
            return [left, *rest]
    for m in _TITLE_CONJ.finditer(text, ts, te):
        if any(q in text[ts:m.start()] for q in "“「『") and text[ts:m.start()].count("”") == 0:
            continue  # inside a quoted title
        left = _title(text, ts, m.start(), strong, rules)
        right = _title(text, m.end(), te, True, rules)
        if left is not None and right is not None and rules.head.search(left[2]) \
                and (rules.head.search(right[2]) or _parallel(left[2], right[2], rules)):
            return [left, *_coordinated_titles(text, m.end(), te, True, rules)]
    return [whole] if whole is not None else []


def _parallel(left: str, right: str, rules: _Rules) -> bool:
    """全省检察机关先进集体和全省优秀公安局: both halves open with a level word and the right one has a marker.

    全国法治与德治示范村 stays one title: 德治示范村 opens with no level word.
    """
    return bool(rules.level.match(left) and rules.level.match(right) and rules.marker.search(right))


def _title(text: str, ts: int, te: int, strong: bool, rules: _Rules) -> tuple[int, int, str, bool] | None:
    """A title from ``ts`` to ``te``: (start, end, canonical, whether it was a tally such as 1家)."""
    counted = rules.count.search(text[ts:te].rstrip())
    # 示范村2个: how many were made, with no recipient named; 等荣誉10余项: how many the subject received
    tally = bool(counted) and not re.search(r"(?:荣誉|称号|奖项|表彰)$", text[ts:ts + counted.start()])
    te = _trim(text, ts, te, rules)
    raw = text[ts:te]
    name = _clean(raw).strip("、")
    if not _valid(name, strong, rules):
        return None
    canonical = _canonical(raw, rules)
    if not _valid(canonical, True, rules) and not rules.head.search(re.sub(r"\([^()]*\)$", "", canonical)):
        return None
    return ts, te, canonical, tally
