"""The edge-of-output sanitisers: CSV cells, XML text, terminal text."""

import pytest

from kg.safe import csv_cell, terminal_text, xml_text


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"),
    ("-依法治区", "'-依法治区"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("镇海区司法局", "镇海区司法局"),
    ("a=b", "a=b"),
    ("", ""),
    (3, 3),
])
def test_csv_cell(cell, expected):
    assert csv_cell(cell) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("标题\x1b[31m", "标题[31m"),
    ("a\x01b\ufffec", "abc"),
    ("a\tb\nc\rd", "a\tb\nc\rd"),
    ("普通文本", "普通文本"),
])
def test_xml_text(text, expected):
    assert xml_text(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("a\x07b", "a\\x07b"),
    ("a\x9bb", "a\\x9bb"),
    ("行\t一\n二", "行\t一\n二"),
])
def test_terminal_text(text, expected):
    assert terminal_text(text) == expected
