"""Finding files, detecting encodings, extracting article text from HTML."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import InputError
from kg.ingest import SUFFIXES, decode, html_text, iter_files, read, read_bytes, read_file, screen
from kg.types import RawDocument, Skip

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SIMPLIFIED = "镇海区司法局坚持依法行政，法治政府建设取得新成效。\n二是严格行政执法。"
TRADITIONAL = "江北區全域實現兩大應用協同運行，法治政府建設取得新成效。\n二是嚴格行政執法。"

PAGE = """<html><head><title>关于2023年度某区法治政府建设情况的报告_某区人民政府网</title>
<script>var tracker = "脚本里的字";</script><style>p { color: red }</style></head>
<body><div class="top-nav"><a>首页</a> &gt; <a>政务公开</a></div>
<div id="breadcrumb">当前位置：首页 &gt; 通知公告</div><ul class="menu"><li>机构设置</li></ul>
<table class="xxgk"><tr><td>索引号:</td><td>123/2024</td><td>主题分类:</td><td>司法</td></tr>
<tr><td>发布机构:</td><td>区司法局</td></tr></table>
<div class="TRS_Editor"><p>2023年，区司法局坚持依法行政。<br>第二行<b>加粗</b>文字。</p>
<ul><li>一是健全机制。</li><li>二是强化监督。</li></ul>
<table><tr><td>项目</td><td>数量<p>内嵌段落</p></td></tr></table>
<p>{body}</p></div>
<div class="footer">版权所有 主办单位</div><div class="share">分享到</div>
<noscript>请启用脚本</noscript><form><input name="q">站内搜索</form></body></html>"""


@pytest.fixture
def write(tmp_path):
    """Write bytes to a file below tmp_path and return its path."""

    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (SIMPLIFIED.encode("utf-8"), SIMPLIFIED, "utf-8"),
        (b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"), SIMPLIFIED, "utf-8-sig"),
        (b"\xff\xfe" + SIMPLIFIED.encode("utf-16-le"), SIMPLIFIED, "utf-16"),
        (b"\xfe\xff" + SIMPLIFIED.encode("utf-16-be"), SIMPLIFIED, "utf-16"),
        (SIMPLIFIED.encode("gbk"), SIMPLIFIED, "gb18030"),
        (SIMPLIFIED.encode("gb2312"), SIMPLIFIED, "gb18030"),
        (TRADITIONAL.encode("gb18030"), TRADITIONAL, "gb18030"),
        (TRADITIONAL.encode("big5"), TRADITIONAL, "big5"),
        (SIMPLIFIED.encode("gbk")[:-1], SIMPLIFIED[:-1], "gb18030"),  # truncated: the broken tail goes
        (TRADITIONAL.encode("big5")[:-1], TRADITIONAL[:-1], "big5"),
        (SIMPLIFIED.encode("utf-8")[:-1], SIMPLIFIED[:-1], "utf-8"),
        (b"plain ASCII report", "plain ASCII report", "utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "gbk", "gb2312", "gb18030-trad", "big5",
         "gbk-truncated", "big5-truncated", "utf8-truncated", "ascii"],
)
def test_decode(data, text, encoding):
    assert decode(data) == (text, encoding)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 8, "binary file \\(NUL bytes"),
        (b"\x01\x02\x03\x04report" * 40, "binary file \\(\\d+ control"),
        (b"\xff\xfe" + "ab\x01\x02\x03\x04\x05".encode("utf-16-le") * 20, "binary file"),
        ("café crème brûlée à la française".encode("latin-1") * 10, "cannot decode.*re-save it as UTF-8"),
    ],
    ids=["nul", "controls", "utf16-controls", "latin1"],
)
def test_decode_rejects(data, reason):
    with pytest.raises(ValueError, match=reason):
        decode(data)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\t\r\n  ", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("report.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("scripts.html", b"<html><script>var a = 1;</script></html>", "no article text"),
    ],
)
def test_read_file_skips(write, name, data, reason):
    rec = read_file(write(name, data))
    assert isinstance(rec, Skip)
    assert reason in rec.reason and "\n" not in rec.reason


def test_read_file_unreadable(tmp_path):
    missing = read_file(tmp_path / "gone.txt")  # e.g. removed mid-build
    assert isinstance(missing, Skip) and missing.reason.startswith("cannot read")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert read_file(folder).reason == "not a regular file (a folder); only regular files are read"


def test_read_file_permission(write, monkeypatch):
    import kg.ingest

    path = write("secret.txt", b"text")

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    # chmod 0 does not stop root, so the denial is simulated where the bytes are read
    monkeypatch.setattr(kg.ingest, "read_bytes", denied)
    skip = read_file(path)
    assert isinstance(skip, Skip) and skip.reason.startswith("cannot read") and "Permission denied" in skip.reason


def test_read_file_record(write):
    data = TRADITIONAL.encode("big5")
    rec = read_file(write("a/report.TXT", data))
    assert isinstance(rec, RawDocument)
    assert (rec.text, rec.encoding, rec.fmt) == (TRADITIONAL, "big5", "txt")
    assert rec.source.endswith(os.path.join("a", "report.TXT"))
    assert len(rec.sha256) == 64 and rec.sha256 == __import__("hashlib").sha256(data).hexdigest()


def test_html_page():
    text = html_text(PAGE.replace("{body}", "正文很长的一段话。" * 20))
    lines = text.splitlines()
    assert lines[0] == "关于2023年度某区法治政府建设情况的报告"
    assert lines[1:3] == ["索引号: | 123/2024 | 主题分类: | 司法", "发布机构: | 区司法局"]
    assert lines[3:8] == ["2023年，区司法局坚持依法行政。", "第二行加粗文字。", "一是健全机制。", "二是强化监督。",
                          "项目 | 数量 内嵌段落"]
    for furniture in ("脚本", "color", "首页", "当前位置", "机构设置", "版权所有", "分享到", "请启用", "站内搜索"):
        assert furniture not in text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>一段</p><p>二段</p>", "一段\n二段"),
        ("<div>行一<br>行二<br/>行三</div>", "行一\n行二\n行三"),
        ("<table><tr><th>名称</th><td>数量</td></tr><tr><td> </td><td>3</td></tr></table>", "名称 | 数量\n3"),
        ("<h1>标题</h1><div id='content'>正文。</div>", "标题\n正文。"),
        ("<title>页面标题 - 某区政府</title><p>正文。</p>", "页面标题\n正文。"),
        ("<title>正文</title><p>正文。</p>", "正文。"),  # the title is already in the content
        ("<p>法治\n   建设</p>", "法治 建设"),
        ("<div class='nav'>导航</div><div class='sidebar'>侧栏</div><div class='pagination'>1 2</div><p>正文。</p>",
         "正文。"),
        ("<body><p>正文</p><aside>旁白</aside><header>页眉</header><footer>页脚</footer><iframe>框</iframe></body>",
         "正文"),
    ],
)
def test_html_text(html, text):
    assert html_text(html) == text


def test_html_page_wrapped_in_a_form():
    body = "法治政府建设取得新成效。" * 20  # ASP.NET pages wrap everything in one form
    html = f"<body><form id='form1'><div class='content'><p>{body}</p></div><form>搜索</form></form></body>"
    assert html_text(html) == body


def test_html_nested_table_stays_in_its_cell():
    html = "<table><tr><td>外</td><td><table><tr><td>内一</td><td>内二</td></tr></table></td></tr></table>"
    assert html_text(html) == "外 | 内一 内二"


def test_html_prefers_content_container():
    body = "法治政府建设取得新成效。" * 20
    html = (f"<body><div class='list'>{'相关文章标题' * 10}</div><div class='wrap'>"
            f"<div class='article-content'><p>{body}</p></div><div class='other'>{'其他链接' * 5}</div></div></body>")
    assert html_text(html) == body


def test_deeply_nested_html():
    html = "<html><body>" + "<div>" * 10_000 + "深处的正文。" + "</div>" * 10_000 + "</body></html>"
    assert html_text(html) == "深处的正文。"
    html = "<body>" + "<div class='content'>" * 3_000 + "深处的正文。" * 30 + "</div>" * 3_000 + "</body>"
    assert html_text(html) == "深处的正文。" * 30


def test_read_html_file(write):
    page = PAGE.replace("{body}", "正文很长的一段话。" * 20)
    rec = read_file(write("page.htm", page.encode("gb18030")))
    assert (rec.fmt, rec.encoding) == ("html", "gb18030")
    assert rec.text.startswith("关于2023年度某区法治政府建设情况的报告\n索引号")


def test_iter_files(tmp_path, write):
    for name in ("b/2.HTML", "b/1.txt", "a.md", "c.htm", "notes.pdf", ".hidden/x.txt", "b/.cache/y.txt",
                 "b/c/d/deep.txt", "z.TXT"):
        write(name, b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a.md", "c.htm", "z.TXT", "b/1.txt", "b/2.HTML", "b/c/d/deep.txt"]
    explicit = list(iter_files([tmp_path / "notes.pdf", str(tmp_path / "a.md"), tmp_path / "a.md"]))
    assert explicit == [tmp_path / "notes.pdf", tmp_path / "a.md"]  # named files always, each once
    assert list(iter_files(str(tmp_path / "b" / "c"))) == [tmp_path / "b" / "c" / "d" / "deep.txt"]  # one path


def test_iter_files_symlink_loop(tmp_path, write):
    write("top/report.txt", b"x")
    (tmp_path / "top" / "loop").symlink_to(tmp_path / "top", target_is_directory=True)
    (tmp_path / "top" / "self").symlink_to(tmp_path / "top" / "self")  # a dangling self-link
    assert [p.name for p in iter_files([tmp_path / "top"])] == ["report.txt"]


@pytest.mark.parametrize("missing", ["no/such/folder", "report-2023.txt"])
def test_iter_files_missing(tmp_path, write, missing):
    write("ok.txt", b"x")
    with pytest.raises(InputError, match=rf"input path not found: .*{missing}.* pass an existing file"):
        list(iter_files([tmp_path / "ok.txt", tmp_path / missing]))


def test_read_seeds():
    records = list(read([SEEDS]))
    assert len(records) == 5 and all(isinstance(r, RawDocument) for r in records)
    assert {r.encoding for r in records} == {"utf-8"}
    assert set(SUFFIXES.values()) == {"txt", "md", "html"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".html"]))
def test_read_file_never_raises(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    assert isinstance(read_file(path), RawDocument | Skip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="gb18030", exclude_categories=["Cs"]), max_size=200))
def test_read_file_never_raises_on_text(tmp_path, text):
    path = tmp_path / "fuzz.html"
    path.write_bytes(("<p>" + text).encode("gb18030"))
    assert isinstance(read_file(path), RawDocument | Skip)


# --- only regular files are read: nothing else is opened in a way that could wait ------------------

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def _device(path: Path) -> Path:
    path.symlink_to("/dev/zero")  # endless: reading it would never finish
    return path


@pytest.mark.parametrize(("make", "kind"), [(_fifo, "a FIFO"), (_socket, "a socket"),
                                            (_device, "a character device")])
def test_files_that_are_not_regular_are_skipped_not_read(tmp_path, make, kind):
    path = make(tmp_path / "report.txt")  # nobody writes to the FIFO: opening it to read would wait forever
    assert screen(path) == read_file(path) == Skip(str(path), f"not a regular file ({kind}); only regular files "
                                                               "are read")
    assert [p.name for p in iter_files([tmp_path])] == ["report.txt"]  # found, then skipped with its reason


def test_a_fifo_put_in_a_files_place_after_screening_does_not_hang(tmp_path):
    path = _fifo(tmp_path / "report.txt")
    with pytest.raises(OSError, match="not a regular file"):
        read_bytes(path)


@pytest.mark.parametrize(("size", "max_chars", "reason"), [
    (0, None, "empty file"),
    (4001, 1000, "too long: 4,001 bytes, over the 1,000-character limit"),
])
def test_screen_decides_from_the_file_system_alone(tmp_path, size, max_chars, reason):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * size)
    assert reason in screen(path, max_chars).reason
    path.write_bytes(b"x" * 4000)
    assert screen(path, 1000) is None
