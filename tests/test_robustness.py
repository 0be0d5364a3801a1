"""Nothing lost on bad files: a corpus of broken inputs builds to completion, every skip reported.

Property tests: metadata and the recognisers take any text without crashing
(ingest and normalisation have theirs in test_ingest.py and test_normalise.py).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.namespace import DCTERMS

import kg.build
import kg.ingest
from kg.build import build
from kg.metadata import read_metadata
from kg.recognise.agencies import find_agencies
from kg.recognise.honours import find_honours
from kg.recognise.places import find_places
from kg.recognise.programmes import find_programmes, programme_runs
from kg.types import Context, Division, Metadata

SEED = {p.name[:3]: p for p in SEEDS.glob("*.txt")}
GBK_REPORT = "兰州市城关区司法局2022年法治政府建设工作总结\n2022年，区司法局深入推进“八五”普法，全面推进依法治区。"

# Good files (name → where the text comes from, and the district it must resolve to).
GOOD = {
    "a b 🙂 report.txt": (SEED["000"], "镇海区"),
    "line\nbreak.txt": (SEED["001"], "鲤城区"),
    "tab\tand ＃ full-width.md": (SEED["002"], "宝安区"),
    "truncated-gbk.txt": (None, "城关区"),
    "deeply-nested.html": (None, "游仙区"),
}
# Bad files (name → a phrase its skip reason must hold).
BAD = {
    "binary.txt": "binary file",
    "png-named-as.txt": "binary file",
    "empty.txt": "empty file",
    "blank.md": "no text",
    "utf16-without-bom.txt": "binary file",
    "huge-single-line.txt": "too long",
    "unreadable.txt": "cannot read",
    "dangling-link.txt": "cannot read",
    "removed-after-listing.txt": "cannot read",
    "only-furniture.html": "no article text",
}


def nested_html(depth: int) -> str:
    body = SEED["004"].read_text(encoding="utf-8").replace("\n", "</p><p>")
    return f"<html><body>{'<div>' * depth}<p>{body}</p>{'</div>' * depth}</body></html>"


def make_corpus(root: Path) -> Path:
    """Write the broken corpus; return the folder."""
    corpus = root / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for name, (source, _) in GOOD.items():
        if source is not None:
            shutil.copyfile(source, corpus / name)
    (corpus / "truncated-gbk.txt").write_bytes(GBK_REPORT.encode("gbk")[:-1])  # half a character at the end
    (corpus / "deeply-nested.html").write_text(nested_html(10_000), encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (corpus / "png-named-as.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4096))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text(" \n\u3000\n\t\n", encoding="utf-8")
    (corpus / "utf16-without-bom.txt").write_bytes(GBK_REPORT.encode("utf-16-le"))
    line = SEED["000"].read_text(encoding="utf-8").replace("\n", "")
    with open(corpus / "huge-single-line.txt", "w", encoding="utf-8") as fh:  # 50 MB, one line
        for _ in range(50 * 2**20 // len(line.encode("utf-8")) + 1):
            fh.write(line)
    (corpus / "unreadable.txt").write_text(GBK_REPORT, encoding="utf-8")
    (corpus / "removed-after-listing.txt").write_text(GBK_REPORT, encoding="utf-8")
    (corpus / "only-furniture.html").write_text("<html><body><nav>首页 > 政务公开</nav><footer>版权所有</footer>"
                                                "</body></html>", encoding="utf-8")
    (corpus / "dangling-link.txt").symlink_to(corpus / "nowhere.txt")
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)  # a folder that contains itself
    (corpus / "sub" / "ignored.pdf").write_bytes(b"%PDF-1.4")
    return corpus


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The corpus built in this process, with an unreadable file and one that vanishes mid-build."""
    root = tmp_path_factory.mktemp("broken")
    corpus = make_corpus(root)
    real_read_bytes, real_iter_files = kg.ingest.read_bytes, kg.build.iter_files

    def read_bytes(path):  # tests run as root, who may read anything: refuse as chmod 000 would
        if path.name == "unreadable.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(path)

    def listed_then_removed(paths):
        files = list(real_iter_files(paths))
        (corpus / "removed-after-listing.txt").unlink()
        return files

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kg.ingest, "read_bytes", read_bytes)
        mp.setattr(kg.build, "iter_files", listed_then_removed)
        report = build([corpus], root / "out", jobs=1, quiet=True)
    return corpus, root / "out", report


def test_every_file_is_a_document_or_a_reported_skip(broken):
    _, out, report = broken
    on_disk = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert on_disk == report
    names = [Path(r["source"]).name for r in report["reports"]]
    skipped = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert report["files"] == len(names) + len(skipped) == len(GOOD) + len(BAD)
    assert sorted(names) == sorted(GOOD)


@pytest.mark.parametrize(("name", "reason"), sorted(BAD.items()))
def test_each_bad_file_is_skipped_with_its_reason(broken, name, reason):
    _, _, report = broken
    skipped = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert reason in skipped[name]
    assert "\n" not in skipped[name] and "Traceback" not in skipped[name]


def test_the_huge_file_is_skipped_by_size_and_says_how_to_read_it(broken):
    _, _, report = broken
    reason = next(s["reason"] for s in report["skipped"] if s["source"].endswith("huge-single-line.txt"))
    assert "1,000,000" in reason and "--max-chars" in reason


@pytest.mark.parametrize(("name", "district"), [(name, d) for name, (_, d) in sorted(GOOD.items())])
def test_each_good_file_has_its_district_in_the_graph(broken, name, district):
    _, out, report = broken
    assert {Path(r["source"]).name: r["district"] for r in report["reports"]}[name] == district
    g = Graph().parse(out / "graph.ttl", format="turtle")
    rows = g.query("""
        PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?src ?name WHERE { ?r dcterms:source ?src ; lgkg:reportingDistrict/rdfs:label ?name }""")
    assert (name, district) in {(Path(str(src)).name, str(n)) for src, n in rows}


@pytest.mark.slow
def test_the_broken_corpus_builds_in_worker_processes_too(tmp_path):
    corpus = make_corpus(tmp_path)
    report = build([corpus], tmp_path / "out", jobs=2, quiet=True, use_cache=False)
    assert report["files"] == report["documents"] + len(report["skipped"])
    assert sorted(Path(r["source"]).name for r in report["reports"]) == sorted(
        [*GOOD, "unreadable.txt", "removed-after-listing.txt"])  # readable here
    assert not [s for s in report["skipped"] if s["reason"].startswith(("failed", "the worker process died"))]


def test_max_chars_can_be_raised_or_lowered(tmp_path):
    report = build([SEED["004"], SEED["000"]], tmp_path, jobs=1, quiet=True, use_cache=False, max_chars=6_000)
    assert report["documents"] == 1 and "over the 6,000-character limit" in report["skipped"][0]["reason"]
    report = build([SEED["004"]], tmp_path, jobs=1, quiet=True, use_cache=False, max_chars=None)
    assert report["documents"] == 1


def test_a_file_symlink_loop_is_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(SEED["000"], corpus / "good.txt")
    (corpus / "self.txt").symlink_to(corpus / "self.txt")
    report = build([corpus], tmp_path / "out", jobs=1, quiet=True)
    assert report["documents"] == 1 and "self.txt" in report["skipped"][0]["source"]


def test_a_file_name_that_is_not_utf8_is_read(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    try:
        name = os.fsdecode(b"report-\xff\xfe.txt")
        shutil.copyfile(SEED["000"], corpus / name)
    except (OSError, UnicodeError):
        pytest.skip("this filesystem refuses names that are not UTF-8")
    report = build([corpus], tmp_path / "out", jobs=1, quiet=True)
    assert report["documents"] == 1 and report["reports"][0]["district"] == "镇海区"
    assert report["reports"][0]["source"].endswith("report-\\xff\\xfe.txt")
    graph = Graph().parse(tmp_path / "out" / "graph.ttl")
    assert any(str(o).endswith("report-\\xff\\xfe.txt") for o in graph.objects(None, DCTERMS.source))


# --- property tests: any text in, no crash, offsets inside the text ---------------------------------

DOMAIN = list("区县市省镇街道村司法局人民政府法院检察院委员会办公室荣获评为称号先进集体全国示范创建开展实施推进工作"
              "普法治依年月日第一二三四五六七八九十0123456789“”《》（）()、，。；：\n 　")
PHRASES = ["镇海区", "宁波市", "浙江省", "区司法局", "区人民政府", "城关区", "“八五”普法", "枫桥经验",
           "荣获", "被评为", "全国法治政府建设示范区", "称号", "2022年", "开展", "专项行动", "。", "\n",
           "发布机构：", "成文日期：2023-01-05", "索引号", "一村（居）一法律顾问", "“", "”", "《", "》"]
TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(DOMAIN), max_size=300),
    st.lists(st.one_of(st.sampled_from(PHRASES), st.text(max_size=5)), max_size=40).map("".join),
)
ZHENHAI = Division("330211", "镇海区", "镇海", "county", "330200")
CONTEXTS = [
    Context(),
    Context(district=ZHENHAI, city=Division("330200", "宁波市", "宁波", "city", "330000"),
            province=Division("330000", "浙江省", "浙江", "province"), agency="镇海区司法局", year=2022),
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_spans_inside(text: str, mentions) -> None:
    for m in mentions:
        assert 0 <= m.start <= m.end <= len(text)
        assert m.surface == text[m.start : m.end]


@PROPERTY
@given(text=TEXTS)
def test_read_metadata_takes_any_text(text):
    md = read_metadata(text)
    assert isinstance(md, Metadata)
    assert md.year is None or isinstance(md.year, int)
    assert md.district is None or md.district.level == "county"


@PROPERTY
@given(text=TEXTS, ctx=st.sampled_from(CONTEXTS))
def test_recognisers_take_any_text(text, ctx):
    places = find_places(text, ctx)
    agencies = find_agencies(text, ctx, places)
    programmes = find_programmes(text, ctx)
    honours, awards = find_honours(text, ctx, [*places, *agencies, *programmes])
    runs = programme_runs(text, ctx, programmes)
    for mentions in (places, agencies, programmes, honours):
        assert_spans_inside(text, mentions)
    for relation in [*awards, *runs]:
        assert 0 <= relation.start <= relation.end <= len(text)
