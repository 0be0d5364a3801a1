"""Normalisation: furniture, pinyin, mojibake, Traditional → Simplified, and the offset map."""

from __future__ import annotations

import doctest
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg.normalise
from kg.normalise import (
    garbled_runs,
    is_furniture,
    normalise,
    plausibility,
    repair_run,
    strip_furniture,
    strip_pinyin,
    to_simplified,
    unify_whitespace,
)
from kg.types import RawDocument

SEEDS = {p.name[:3]: p for p in (Path(__file__).resolve().parent.parent / "seeds").glob("*.txt")}
T2S = opencc.OpenCC("t2s")


def raw(text: str) -> RawDocument:
    return RawDocument("test.txt", text, "utf-8", "txt")


def seed(key: str) -> RawDocument:
    return raw(SEEDS[key].read_text(encoding="utf-8"))


def garble(sentence: str, lead: bytes = b"\xa1", errors: str = "replace") -> str:
    """GBK bytes read one byte out of step, as a badly scraped page shows them."""
    return (lead + sentence.encode("gbk")).decode("gb18030", errors=errors)


def test_docstring_examples():
    assert doctest.testmod(kg.normalise).failed == 0


@pytest.mark.parametrize(
    ("text", "expected", "origins"),
    [
        ("a\r\nb", "a\nb", [0, 1, 3]),
        ("a\rb\r", "a\nb\n", [0, 1, 2, 3]),
        ("\u3000\u3000正文\xa0。", "  正文 。", [0, 1, 2, 3, 4, 5]),
        ("全角ＡＢＣ１２３", "全角ＡＢＣ１２３", list(range(8))),  # full-width forms stay
    ],
)
def test_unify_whitespace(text, expected, origins):
    assert unify_whitespace(text, range(len(text))) == (expected, origins)


@pytest.mark.parametrize(
    "line",
    [
        "首页 > 政务公开 > 政府信息公开 > 法定主动公开内容",
        "首頁 > 政務公開 > 司法局 > 法定主動公開內容 > 30應主動公開的其他政府信息",
        "- 首頁 > 政務公開 > 司法局",
        "网站首页 >> 信息公开 >> 工作总结",
        "首页 » 新闻中心 » 通知公告",
        "首页 > 通知公告",
        "当前位置：首页 > 政务公开",
        "當前位置：首頁",
        "字体:【    】 打印",
        "字体:【 大 中 小 】 打印",
        "【字体：大 中 小】【打印本页】【关闭窗口】",
        "字號：T|T 分享到：",
        "打印本页 | 关闭窗口",
        "關閉窗口",
        "分享到：",
        "扫一扫在手机上查看当前页面",
        "浏览次数：1024",
        "瀏覽次數(shù):",
        "瀏覽次數：",
        "访问量：35",
        "阅读次数: 88 次数",
        "栏目索引",
        "相关内容",
        "相关链接",
        "上一篇：关于开展普法宣传的通知",
        "下一篇：無",
    ],
)
def test_furniture(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "索引号: | 002958773/2023-201332 | 主题分类: | 司法 |",
        "發布機構: 區司法局 成文日期: 2024-03-28",
        "发布日期:2024年3月28日",
        "2020-03-10 10:03文章来源:司法局",
        "发布时间：2023-01-01 浏览次数：12",  # a header row that also counts views keeps its date
        "镇海区司法局2022年工作总结",
        "一、2023年法治政府建设情况",
        "大 中 小",
        "申请 > 受理 > 审查 > 决定。",  # a sentence, not a breadcrumb
        "收入 > 支出 > 结余，本年度预算执行情况良好，各项工作有序推进。" * 2,
        "全区共开展法治宣传教育活动558场。相关内容见附件。",
        "打印机采购项目完成招标",
    ],
)
def test_not_furniture(line):
    assert not is_furniture(line)


def test_strip_furniture_counts_and_maps():
    text = "首页 > 政务公开 > 通知\n报告标题\n打印本页 关闭窗口\n正文。"
    out, origins, removed = strip_furniture(text, range(len(text)))
    assert (out, removed) == ("报告标题\n正文。", 2)
    assert all(text[o] == c for o, c in zip(origins, out, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("區(qū)司法局", "區司法局"),
        ("發(fā)布機(jī)構(gòu)", "發布機構"),
        ("公共法律服務(wù)", "公共法律服務"),
        ("瀏覽次數(shù):", "瀏覽次數:"),
        ("綠（lǜ）色", "綠色"),
        ("女(nǚ)", "女"),
        ("嗯(ń)", "嗯"),
        ("先(xiān)進(jìn)", "先進"),
        ("西(xī'ān)安", "西安"),
        ("建設（shè）", "建設"),
        ("(2021-2025年)", "(2021-2025年)"),
        ("區(街道)", "區(街道)"),
        ("部門(ZJ)", "部門(ZJ)"),
        ("區(qu)", "區(qu)"),
        ("區 (qū)", "區 (qū)"),  # not right after a Han character
        ("abc(qū)", "abc(qū)"),
        ("區(qū 1)", "區(qū 1)"),  # letters only
        ("區(ā)(ZJ)(ō)", "區(ZJ)(ō)"),
        ("《綱要(2021—2025)》", "《綱要(2021—2025)》"),
    ],
)
def test_strip_pinyin(text, expected):
    out, origins = strip_pinyin(text, range(len(text)))
    assert out == expected
    assert all(text[o] == c for o, c in zip(origins, out, strict=True))


@pytest.mark.parametrize(
    ("sentence", "lead", "errors", "repair"),
    [
        ("（三）深化行政执法体制改革，提升执法水平。", b"\xa1", "replace", "（三）深化行政执法体制改革，提升执法水平"),
        ("（三）深化行政执法体制改革，提升执法水平。", b"\xb0", "ignore", "（三）深化行政执法体制改革，提升执法水"),
        ("全面推进依法治区工作，法治建设取得成效。", b"\xa1", "replace", "全面推进依法治区工作，法治建设取得成效"),
        ("（二）強化法治宣傳教育，營造良好法治氛圍", b"\xa1", "ignore", "（二）強化法治宣傳教育，營"),
    ],
)
def test_mojibake_detected_and_repaired(sentence, lead, errors, repair):
    garbled = garble(sentence, lead, errors)
    text = "区司法局2023年工作总结\n" + garbled + "\n二是严格执法。"
    doc = normalise(raw(text))
    (span,) = doc.garbled
    assert span.repair == repair
    assert span.text == text[span.start : span.end] and span.start == text.index(garbled)
    assert T2S.convert(repair) in doc.text
    assert doc.text.endswith("\n二是严格执法。") and not garbled_runs(doc.text)


def test_mojibake_unrepairable_is_blanked():
    text = "正文。\n?。ǘ^力創新創優,推動法治政府建設\n深入人心?!?2348"
    doc = normalise(raw(text))
    assert [(s.text, s.repair) for s in doc.garbled] == [("?。ǘ^", ""), ("?!?", "")]
    assert "\n    力创新创优,推动法治政府建设\n深入人心   2348" in doc.text


def test_repair_run_keeps_only_plausible_text():
    assert repair_run("?。ㄒ唬﹫猿秩嬉婪ㄖ螀^").startswith("（一）堅持")
    assert repair_run("?!?") == ""
    assert repair_run("ㄈ") == ""


@pytest.mark.parametrize(
    "text",
    [
        "浙江雄镇律师事务所为澥浦镇炼化一体化重点工程提供法律帮助。",
        "浙江同璟律师事务所专队服务蛟川街道，小枧沟司法所获表彰。",
        "张璟、李璟、王澥参加培训。",
        "這是什麼?為什麼要這樣做?",
        "依據《綱要(2021—2025)》",
        "Café 咖啡馆、Zürich 代表团来访。",
        "采用α、β两种方案,温度≥80℃。",
        "江北區(qū)全域?qū)崿F(xiàn)",
    ],
)
def test_clean_text_not_garbled(text):
    assert garbled_runs(text) == []


def test_seeds():
    docs = {key: normalise(seed(key)) for key in SEEDS}
    assert {key for key, doc in docs.items() if doc.garbled} == {"001"}
    assert any(s.repair.startswith("（一）堅持") for s in docs["001"].garbled)
    assert "（一）坚持" in docs["001"].text
    assert {key for key, doc in docs.items() if doc.script == "traditional"} == {"001", "003"}
    # No pinyin is left but in one mis-scraped stretch, where it follows no Han character.
    rest = docs["003"].text.replace("?qū)崿F(xiàn)", "", 1)
    assert not any(c in rest for c in "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ")
    assert docs["004"].text.startswith("绵阳市游仙区司法局2019年法治政府建设年度报告\n")
    assert "字体" not in docs["004"].text and docs["004"].removed_lines == 1
    assert "浏览次数" not in docs["003"].text and "发布机构: 区司法局" in docs["003"].text
    assert docs["002"].text.startswith("2021年上半年") and docs["002"].removed_lines == 2
    assert "索 引 号:QZ01104-3000-2024-00004" in docs["001"].text


def _check_offsets(doc):
    assert len(doc.offsets) == len(doc.text)
    assert all(a <= b for a, b in zip(doc.offsets, doc.offsets[1:]))
    assert all(0 <= o < len(doc.original) for o in doc.offsets)


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_offset_round_trip(key):
    doc = normalise(seed(key))
    _check_offsets(doc)
    garbled = {i for s in doc.garbled for i in range(s.start, s.end)}
    for i, ch in enumerate(doc.text):
        o = doc.offsets[i]
        if o not in garbled and ch != " ":
            assert T2S.convert(doc.original[o]) == ch or doc.original[o] == ch
    start = doc.text.index("法治政府")
    assert T2S.convert(doc.original[slice(*doc.original_span(start, start + 4))]) == "法治政府"


def test_to_simplified_maps_length_changes():
    text = "區政府發布報告，開展調解\n二噁英檢測"  # a phrase that OpenCC maps to an astral character
    out, origins, script = to_simplified(text, range(len(text)))
    assert (out, script) == (T2S.convert(text), "traditional")
    assert len(origins) == len(out)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("区政府发布报告，开展调解。", "simplified"),
        ("區政府發布報告，開展調解。", "traditional"),
        ("区政府发布报告，开展调解，發現" + "法治建设" * 10, "simplified"),  # a few stray forms
        ("覆盖全区，乾隆年间。", "simplified"),
    ],
)
def test_script(text, script):
    assert normalise(raw(text)).script == script


def test_plausibility():
    assert plausibility("法治政府建设") == 1.0 > plausibility("楊笥") > plausibility("鍒嗘瀽") == 0.0
    assert plausibility("ASCII only") == 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("區发法治 \n\r\u3000\xa0()（）qūā>»?！。ㄒ螀^\ufffd\ue000a1【】打印首頁浏览次數")
               | st.characters(exclude_categories=[]), max_size=120))  # surrogates too
def test_normalise_invariants(text):
    doc = normalise(raw(text))
    _check_offsets(doc)
    assert all(0 <= s.start < s.end <= len(text) for s in doc.garbled)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["首頁 > 政務公開 > 通知", "區(qū)司法局", garble("全面推进依法治区工作。"),
                                 "浏览次数：3", "正文。", "?!?", "\r\n", ""]), max_size=8))
def test_normalise_invariants_on_report_like_text(parts):
    _check_offsets(normalise(raw("\n".join(parts))))
