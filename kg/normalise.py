"""Normalise a document: furniture, pinyin and mojibake out, Traditional to Simplified.

Every step is a pure function ``step(text, origins) -> (text, origins, …)``:
``origins[i]`` is the index in the original text of the character that
produced ``text[i]``. A step lists its edits (start, end, replacement and
the replacement's origins) and ``_splice`` applies them with ``_Builder``,
which appends (text, origins) pieces; so the steps compose and
:func:`normalise` only chains them. The order: line ends and odd spaces,
page furniture, pinyin annotations, mojibake, Traditional → Simplified.

The tables (GB2312 character levels, OpenCC's t2s character map) load once,
lazily, from the Python codecs and the installed OpenCC dictionaries.

Example:
    >>> raw = "首頁 > 政務公開 > 通知\\n區(qū)政府發(fā)布報告，開展調解。"
    >>> doc = normalise(RawDocument("a.txt", raw, "utf-8", "txt"))
    >>> doc.text, doc.removed_lines, doc.script
    ('区政府发布报告，开展调解。', 1, 'traditional')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import opencc

from kg.types import Document, GarbledSpan, RawDocument

__all__ = ["normalise", "unify_whitespace", "strip_furniture", "is_furniture", "strip_pinyin", "repair_mojibake",
           "garbled_runs", "repair_run", "to_simplified", "plausibility"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüḿńňǹ"
_PINYIN = re.compile(rf"(?<=[{_HAN}])[(（](?=[a-zA-Z'’]*[{_TONED}])[a-zA-Z'’{_TONED}]+[)）]")
# Characters that never occur in clean Chinese prose but do in GBK mojibake.
_STRONG = re.compile("[\u3100-\u312f\u31a0-\u31bf\ufffd\ue000-\uf8ff\u3040-\u30ff\u2500-\u257f\ufe50-\ufe6f]")
_MARKED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")  # accented Latin
_GREEK = re.compile("[\u0370-\u04ff]")  # and Cyrillic: real in formulas, but GBK row A6/A7 in mojibake
_CJK_PUNCT = "。！，、；：？“‘（《【「『"
_SUSPECT = re.compile(rf"{_STRONG.pattern}|{_MARKED.pattern}|{_GREEK.pattern}|\?")
_GAP = 4  # plain characters allowed between two garbled ones in a run

_LOCATION = re.compile(r"^(当前位置|您的位置|你的位置|你现在的位置|您现在的位置|所在位置)")
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|›|＞|→)\s*")
_HOME = {"首页", "网站首页", "主页", "返回首页"}
_PREV_NEXT = re.compile(r"^(上一篇|下一篇|上一条|下一条|上一页|下一页)")
_WIDGET_WORDS = (
    "扫一扫在手机上查看当前页面 扫一扫在手机打开当前页 扫一扫 在手机上查看 手机上查看 "
    "打印本页 打印此页 打印页面 打印 关闭窗口 关闭本页 关闭 分享到 分享 收藏本页 收藏 加入收藏 "
    "我要纠错 纠错 字体 字号 默认 视力保护色 护眼 返回顶部 返回 保存本页 保存 "
    "浏览次数 浏览量 访问量 访问次数 阅读次数 阅读量 点击数 点击量 点击次数 次数 "
    "栏目索引 相关内容 相关链接 相关文章 相关新闻 相关信息 相关阅读 微信 微博 QQ空间"
).split()
_WIDGET = re.compile("|".join(sorted(_WIDGET_WORDS, key=len, reverse=True))
                     + "|[大中小]|(?<![A-Za-z])[AT][+-]?(?![A-Za-z])")  # 字号: A+ A- / T T
_FILLER = re.compile(r"[\s\d:：|/\\\-_.,，、【】\[\]()（）<>《》\"“”'‘’·•*#=+]+")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
_LIST_MARK = re.compile(r"^[-·•*]\s*")


@dataclass(frozen=True)
class _Tables:
    common: frozenset[str]  # GB2312 hanzi, and Traditional hanzi whose t2s is one
    level1: frozenset[str]  # the same for GB2312 level 1 (the 3755 most used)
    punct: frozenset[str]  # GB2312 rows 1 and 3: CJK punctuation, full-width forms
    trigger: frozenset[str]  # characters that t2s may change


@cache
def _tables() -> _Tables:
    levels: dict[str, int] = {}
    punct = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                ch = bytes((lead, trail)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if lead >= 0xB0:
                levels[ch] = 1 if lead < 0xD8 else 2
            elif lead in (0xA1, 0xA3):
                punct.add(ch)
    dicts = Path(opencc.__file__).parent / "dictionary"
    t2s: dict[str, str] = {}  # OpenCC's character map, first candidate
    for line in (dicts / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("\t")
        t2s[key] = value.split(" ")[0]
    trigger = {k for k, v in t2s.items() if k != v}
    for line in (dicts / "TSPhrases.txt").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("\t")
        value = value.split(" ")[0]
        trigger.update(key if len(key) != len(value) else (a for a, b in zip(key, value) if a != b))
    for key, value in t2s.items():
        if value in levels:
            levels.setdefault(key, levels[value])
    return _Tables(
        common=frozenset(levels),
        level1=frozenset(k for k, v in levels.items() if v == 1),
        punct=frozenset(punct | set("“”‘’—…·")),
        trigger=frozenset(trigger),
    )


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


_Edit = tuple[int, int, str, Sequence[int]]


class _Builder:
    """Appends (text, origins) pieces; every step builds its output with one."""

    __slots__ = ("_parts", "origins")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.origins: list[int] = []

    def add(self, text: str, origins: Sequence[int]) -> None:
        """Append ``text`` whose characters came from ``origins`` (same length)."""
        self._parts.append(text)
        self.origins.extend(origins)

    def build(self) -> tuple[str, list[int]]:
        return "".join(self._parts), self.origins


def _splice(text: str, origins: Sequence[int], edits: Iterable[_Edit]) -> tuple[str, list[int]]:
    """Apply ``(start, end, new, new_origins)`` edits, in order, copying what lies between."""
    out, pos = _Builder(), 0
    for start, end, new, new_origins in edits:
        out.add(text[pos:start], origins[pos:start])
        out.add(new, new_origins)
        pos = end
    out.add(text[pos:], origins[pos:])
    return out.build()


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _t2s(text: str) -> str:
    return text if _tables().trigger.isdisjoint(text) else _converter().convert(text)


def unify_whitespace(text: str, origins: Sequence[int]) -> tuple[str, list[int]]:
    """Turn ``\\r\\n`` and ``\\r`` into ``\\n``, NBSP and U+3000 into a plain space.

    Example:
        >>> unify_whitespace("a\\r\\nb\\u3000c", range(6))
        ('a\\nb c', [0, 1, 3, 4, 5])
    """
    text = text.replace("\xa0", " ").replace("\u3000", " ")
    edits = [(m.start(), m.end(), "\n", origins[m.start() : m.start() + 1]) for m in re.finditer(r"\r\n?", text)]
    return _splice(text, origins, edits)


def is_furniture(line: str) -> bool:
    """Whether a line is page furniture: breadcrumb, widget, counter or navigation label.

    Judged by shape, on the Simplified form of the line: short, no
    sentence-final punctuation, and made of navigation separators or widget
    words. Header-table rows (索引号, 发布机构 …) are not furniture.

    Example:
        >>> [is_furniture(s) for s in ("首頁 > 政務公開 > 通知", "字体:【 大 中 小 】 打印", "发布机构: 区司法局")]
        [True, True, False]
    """
    s = line.strip()
    if not s or len(s) > 120 or _SENTENCE_END.search(s):
        return False
    s = _LIST_MARK.sub("", _t2s(_PINYIN.sub("", s)))
    if _LOCATION.match(s):
        return True
    parts = [p.strip() for p in _CRUMB_SEP.split(s)]
    if (len(parts) >= 3 and all(len(p) <= 25 for p in parts)) or (len(parts) == 2 and parts[0] in _HOME):
        return True
    if _PREV_NEXT.match(s):
        return len(s) <= 60
    if len(s) > 60:
        return False
    words = _WIDGET.findall(s)
    return any(len(w) > 1 for w in words) and not _FILLER.sub("", _WIDGET.sub("", s))


def strip_furniture(text: str, origins: Sequence[int]) -> tuple[str, list[int], int]:
    """Drop the lines :func:`is_furniture` finds; returns text, origins and the count.

    Example:
        >>> strip_furniture("打印本页\\n正文。", range(8))
        ('正文。', [5, 6, 7], 1)
    """
    edits = [(pos, pos + len(line) + 1, "", ()) for pos, line in _lines(text) if is_furniture(line)]
    return (*_splice(text, origins, edits), len(edits))


def strip_pinyin(text: str, origins: Sequence[int]) -> tuple[str, list[int]]:
    """Remove ruby pinyin that follows a Han character: ``區(qū)`` → ``區``.

    Only a parenthesised run of Latin letters with a tone mark goes;
    ``(街道)``, ``(ZJ)`` or ``(qu)`` stay.

    Example:
        >>> strip_pinyin("發(fā)布(ZJ)", range(9))[0]
        '發布(ZJ)'
    """
    return _splice(text, origins, [(m.start(), m.end(), "", ()) for m in _PINYIN.finditer(text)])


def _kind(line: str, i: int, tables: _Tables) -> str:
    """``S`` strong mojibake sign, ``W`` weak, ``R`` rare Han, ``N`` less common Han, ``P`` plain."""
    c = line[i]
    if _STRONG.match(c):
        return "S"
    if _MARKED.match(c):
        near = line[i - 1 : i] + line[i + 1 : i + 2]
        return "P" if re.search("[A-Za-z]", near) else "S"
    if _GREEK.match(c):
        return "W"
    if c == "?":
        nxt = line[i + 1 : i + 2]
        glued = nxt and not nxt.isascii() and (i == 0 or line[i - 1] in _CJK_PUNCT or nxt in _CJK_PUNCT)
        return "S" if glued else "W"
    if c == "!" and "?" in line[i - 1 : i] + line[i + 1 : i + 2]:
        return "W"
    if _HAN_RE.match(c):
        return "N" if c in tables.common and c not in tables.level1 else "P" if c in tables.common else "R"
    return "P"


def _run_end(line: str, end: int) -> int:
    """Extend a run over the lone ASCII byte where GBK decoding fell back in step."""
    for j in range(end, min(end + 4, len(line))):
        c = line[j]
        if c.isascii():
            nxt = line[j + 1 : j + 2]
            lone = "@" <= c <= "~" and not line[j - 1].isascii() and not (nxt.isascii() and nxt.isalnum())
            return j + 1 if lone else end
    return end


def garbled_runs(text: str) -> list[tuple[int, int]]:
    """Find mojibake runs: maximal stretches dense in characters clean text lacks.

    A run needs a strong sign (Bopomofo, U+FFFD, private use, kana, box
    drawing, stray accented letters, a ``?`` glued to CJK text), or at least
    three weak ones (rare Han, ``?``) making half its length. Rare but real
    characters (澥, 璟) alone never make a run.

    Example:
        >>> garbled_runs("正文。\\n?。ㄒ唬﹫猿秩嬉婪ㄖ螀^,統籌推進")
        [(4, 16)]
    """
    tables = _tables()
    rare = frozenset(c for c in set(text) - tables.common if _HAN_RE.match(c))
    if not rare and not _SUSPECT.search(text):
        return []
    runs = []
    for start, line in _lines(text):
        if rare.isdisjoint(line) and not _SUSPECT.search(line):
            continue
        kinds = [_kind(line, i, tables) for i in range(len(line))]
        clusters: list[list[int]] = []
        for i, kind in enumerate(kinds):
            if kind in "SWR":
                if clusters and kinds[clusters[-1][-1] + 1 : i].count("P") <= _GAP:
                    clusters[-1].append(i)
                else:
                    clusters.append([i])
        for cluster in clusters:
            flagged = [kinds[j] for j in cluster]
            length = cluster[-1] - cluster[0] + 1
            if "S" in flagged or (len(flagged) >= 3 and len(flagged) >= length / 2):
                first = 0 if cluster[0] == 1 and not line[0].isascii() else cluster[0]  # a line's first byte
                runs.append((start + first, start + _run_end(line, cluster[-1] + 1)))
    return runs


def _repair_score(text: str, tables: _Tables) -> float:
    """Share of GB2312 level-1 Han in a candidate repair; 0 if anything is implausible."""
    han = _HAN_RE.findall(text)
    ok = all(c in tables.common or c in tables.punct or (c.isascii() and c.isprintable()) for c in text)
    if len(han) < 2 or not ok or _SUSPECT.search(text.replace("?", "")):
        return 0.0
    return sum(c in tables.level1 for c in han) / len(han)


def repair_run(run: str) -> str:
    """Undo GBK decoded one byte out of step, or ``""`` when no plausible repair exists.

    Example:
        >>> repair_run("?。ㄒ唬﹫猿秩嬉婪ㄖ螀^")
        '（一）堅持孺依法治區'
    """
    tables, best, best_score = _tables(), "", 0.0
    for variant in dict.fromkeys((run, run.lstrip("?"))):
        data = variant.replace("\ufffd", "").encode("gb18030", errors="ignore")
        for skip in (1, 2):
            cand = data[skip:].decode("gb18030", errors="replace").strip("\ufffd")
            score = _repair_score(cand, tables)
            if score > best_score:
                best, best_score = cand, score
    return best if best_score >= 0.8 else ""


def repair_mojibake(text: str, origins: Sequence[int]) -> tuple[str, list[int], list[GarbledSpan]]:
    """Replace each garbled run by its repair, or by spaces when none is plausible.

    Repaired characters map proportionally onto the run's origins; the spans
    are reported with offsets in the original text.

    Example:
        >>> repair_mojibake("a?！?b", range(5))[0]
        'a   b'
    """
    edits, spans = [], []
    for a, b in garbled_runs(text):
        fix = repair_run(text[a:b])
        new = fix or " " * (b - a)
        edits.append((a, b, new, [origins[a + j * (b - a) // len(new)] for j in range(len(new))]))
        spans.append(GarbledSpan(origins[a], origins[b - 1] + 1, text[a:b], fix))
    return (*_splice(text, origins, edits), spans)


def to_simplified(text: str, origins: Sequence[int]) -> tuple[str, list[int], str]:
    """Convert Traditional to Simplified with OpenCC; returns text, origins and the script.

    Lines without a convertible character are copied; a converted line of the
    same length maps 1:1, otherwise it is converted character by character.
    The script is ``traditional`` when at least 5 and 3% of the Han characters changed.

    Example:
        >>> to_simplified("區政府發布報告，開展調解", range(12))[::2]
        ('区政府发布报告，开展调解', 'traditional')
    """
    trigger = _tables().trigger
    if trigger.isdisjoint(text):
        return text, list(origins), "simplified"
    edits, changed, cc = [], 0, _converter()
    for pos, line in _lines(text):
        if trigger.isdisjoint(line):
            continue
        conv = cc.convert(line)
        pieces = list(conv) if len(conv) == len(line) else [cc.convert(ch) for ch in line]
        changed += sum(p != ch for p, ch in zip(pieces, line, strict=True))
        new_origins = [origins[pos + i] for i, piece in enumerate(pieces) for _ in piece]
        edits.append((pos, pos + len(line), "".join(pieces), new_origins))
    han = len(_HAN_RE.findall(text))
    return (*_splice(text, origins, edits), "traditional" if changed >= 5 and changed >= 0.03 * han else "simplified")


def plausibility(text: str) -> float:
    """How Chinese a decoding looks: the mean weight of its non-ASCII characters.

    Common Han (GB2312 level 1, or Traditional forms of it) and CJK
    punctuation weigh 1, less common Han (level 2) 0.5, anything else 0;
    text without non-ASCII characters scores 1.0. Used to choose between
    candidate decodings of a file.

    Example:
        >>> plausibility("法治政府建设"), plausibility("楊笥"), plausibility("鍒嗘瀽")
        (1.0, 0.75, 0.0)
    """
    tables = _tables()
    wide = [c for c in text if not c.isascii() and not c.isspace()]
    if not wide:
        return 1.0
    good = sum(c in tables.level1 or c in tables.punct for c in wide)
    return (good + sum(c in tables.common for c in wide if c not in tables.level1) / 2) / len(wide)


def normalise(raw: RawDocument) -> Document:
    """Normalise a raw document into Simplified text with an offset map.

    Args:
        raw: the document as read by :mod:`kg.ingest`.

    Returns:
        The :class:`~kg.types.Document`; ``doc.original[doc.offsets[i]]``
        is the character that produced ``doc.text[i]``.

    Example:
        >>> normalise(RawDocument("a.txt", "關閉窗口\\n法治建設。", "big5", "txt")).text
        '法治建设。'
    """
    text, origins = unify_whitespace(raw.text, range(len(raw.text)))
    text, origins, removed = strip_furniture(text, origins)
    text, origins = strip_pinyin(text, origins)
    text, origins, spans = repair_mojibake(text, origins)
    text, origins, script = to_simplified(text, origins)
    garbled = tuple(replace(s, text=raw.text[s.start : s.end]) for s in spans)
    return Document(raw.source, raw.text, text, tuple(origins), encoding=raw.encoding, script=script,
                    garbled=garbled, removed_lines=removed, sha256=raw.sha256)
