"""The text toolkit every recogniser and the metadata reader share.

One Han range, one set of quotation marks, one way to cut sentences and
clauses, to find 《…》 titles, to clean a name, to tell whether a short name
begins a word, to read coordinated level words (市、区两级), and to drop
mentions nested in longer ones. Keeping these in one place keeps the stages
agreeing with one another: a county name that metadata accepts is one the
place recogniser finds too.

Example:
    >>> sentence_spans("甲。乙；")
    [(0, 2), (2, 4)]
    >>> clean(" “八五”普法 ")
    '八五普法'
    >>> coordinated_levels("市、县、旗三级")
    ['市', '县', '旗']
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

__all__ = [
    "HAN", "HAN_CHAR", "QUOTES", "OPENING", "CLOSING", "PARENS", "LEVELS", "FUNCTION_CHARS",
    "alternation", "sentence_spans", "clause_start", "book_title_spans", "inside", "clean",
    "stands_alone", "LEVEL_COORDINATION", "coordinated_levels", "drop_nested",
]

#: The CJK Unified Ideographs block, as a character-class range.
HAN = "\u4e00-\u9fff"
HAN_CHAR = re.compile(f"[{HAN}]")
QUOTES = "“”\"‘’「」『』'"
OPENING = "“‘「『\""
CLOSING = "”’」』\""
#: Full-width parentheses to half-width, as canonical names write them.
PARENS = str.maketrans({"（": "(", "）": ")"})
#: The level words of the divisions a report names bare (区司法局, 州委, 旗政府).
LEVELS = "省州盟市区县旗"
#: What a township-level name ends with (沙井街道, 九龙湖镇, 宝日希勒苏木), longest first.
TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡", "苏木")
#: Characters after which a short name still begins a word (和新县, 对范县).
FUNCTION_CHARS = "和与及同向由经对在被将把为并于、"

_SENTENCE_END = re.compile(r"[。！？；;!?\n]")
_CLAUSE_END = re.compile(r"[，,：:。！？；;!?\n]")
_BOOK = re.compile(r"《[^《》\n]{0,80}》")
_BLANKS = re.compile(r"\s+")
_NO_QUOTES = {ord(q): None for q in QUOTES}


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first so that the longest wins at a position."""
    return "|".join(sorted({re.escape(w) for w in words}, key=len, reverse=True))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences as ``(start, end)``, split on 。！？； and newlines, blank ones left out.

    Example:
        >>> sentence_spans("甲。乙；")
        [(0, 2), (2, 4)]
    """
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def clause_start(text: str, pos: int, limit: int = 60) -> int:
    """Where the clause holding ``pos`` starts: after the last ，：。； within ``limit`` characters before it."""
    lo = max(0, pos - limit)
    last = None
    for m in _CLAUSE_END.finditer(text, lo, pos):
        last = m.end()
    return last if last is not None else lo


def book_title_spans(text: str) -> list[tuple[int, int]]:
    """Spans of 《…》 document titles."""
    return [m.span() for m in _BOOK.finditer(text)]


def inside(spans: Sequence[tuple[int, int]], starts: Sequence[int], start: int, end: int) -> bool:
    """Whether ``start`` lies in one of ``spans`` (sorted, ``starts`` their starts)."""
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and spans[i][1] > start and spans[i][0] <= start


def town_stem(name: str) -> str:
    """A town's name without its suffix (九龙湖镇 → 九龙湖), or "" when it has none or too little is left.

    Example:
        >>> town_stem("九龙湖镇"), town_stem("新镇")
        ('九龙湖', '')
    """
    suffix = next((s for s in TOWN_SUFFIXES if name.endswith(s)), "")
    return name[:-len(suffix)] if suffix and len(name) - len(suffix) >= 2 else ""


def clean(name: str) -> str:
    """A name as canonical names write it: no blanks or quotes, half-width parentheses, no 、 or · at the ends.

    Example:
        >>> clean("省级“枫桥式”司法所")
        '省级枫桥式司法所'
    """
    return _BLANKS.sub("", name.translate(PARENS)).translate(_NO_QUOTES).strip("、·")


def stands_alone(text: str, start: int) -> bool:
    """Whether a short (two-character) name at ``start`` begins a word.

    It does after no Han character, after a higher division's suffix
    (河南省范县, 信阳市新县) or after a function word (和新县); 示范县 is no 范县.
    """
    before = text[start - 1:start]
    return not HAN_CHAR.match(before or " ") or before in "省市州盟" or before in FUNCTION_CHARS


#: Level words coordinated before one body head: 市、区两级, 省、市、县、旗四级.
LEVEL_COORDINATION = re.compile(
    f"((?:[{LEVELS}][、和与及]){{1,3}}[{LEVELS}])(?:[两二三四]级)?$")


def coordinated_levels(words: str) -> list[str]:
    """The level words of a coordination, each once, in order (市、县、旗三级 → 市, 县, 旗)."""
    return list(dict.fromkeys(re.findall(f"[{LEVELS}]", words)))


class _Span(Protocol):
    start: int
    end: int
    canonical: str


S = TypeVar("S", bound=_Span)


def drop_nested(found: Iterable[S], *, keep_same_start: bool = False) -> list[S]:
    """Sort by position, longest first, and drop a mention nested in the one before it under another name.

    With ``keep_same_start``, a shorter mention that starts where the longer
    one does stays (江阴市委 beside 江阴市委办公室: both bodies are named).
    """
    out: list[S] = []
    for m in sorted(found, key=lambda m: (m.start, -(m.end - m.start))):
        if out and m.start < out[-1].end and m.end <= out[-1].end and m.canonical != out[-1].canonical \
                and not (keep_same_start and m.start == out[-1].start):
            continue
        out.append(m)
    return out
