"""Shared programmes, district overlap and the matrix picture, on the graph of test_query.py."""

from __future__ import annotations

import struct
import warnings

import pytest
from test_query import write_graph

import kg.shared
from kg.errors import KGError
from kg.query import open_store
from kg.shared import SharedProgrammes, draw_matrix, find_cjk_font, format_shared, shared_programmes


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> SharedProgrammes:
    return shared_programmes(open_store(write_graph(tmp_path_factory.mktemp("graph"))))


def test_programmes_run_by_two_or_more_districts(result):
    assert [(p.programme, p.count) for p in result.programmes] == [("八五普法", 3), ("枫桥经验", 2)]


def test_districts_and_years(result):
    by_name = {p.programme: dict(p.districts) for p in result.programmes}
    # In code order; 镇海区 reported 八五普法 in two years.
    assert list(by_name["八五普法"].items()) == [("镇海区", (2022, 2023)), ("鲤城区", (2023,)), ("城关区", (2022,))]
    # 镇海区 runs 枫桥经验 through its 司法局; 宁波市 runs it too, but a city is not a district.
    assert list(by_name["枫桥经验"].items()) == [("镇海区", (2022,)), ("鲤城区", (2023,))]


@pytest.mark.parametrize("unique", ["镇海法治超市", "古城法律驿站", "城关调解品牌"])
def test_programmes_of_one_district_are_not_shared(result, unique):
    assert unique not in {p.programme for p in result.programmes}
    assert any(unique in progs for _, progs in result.runs)


def test_districts(result):
    assert result.districts == ("镇海区", "鲤城区", "城关区")
    assert "宁波市" not in dict(result.runs)


@pytest.mark.parametrize("a, b, shared, jaccard", [
    ("镇海区", "鲤城区", ("八五普法", "枫桥经验"), 2 / 4),
    ("镇海区", "城关区", ("八五普法",), 1 / 4),
    ("鲤城区", "城关区", ("八五普法",), 1 / 4),
])
def test_overlap(result, a, b, shared, jaccard):
    overlap = next(o for o in result.overlaps if (o.a, o.b) == (a, b))
    assert overlap.shared == shared
    assert overlap.jaccard == pytest.approx(jaccard)


def test_overlaps_most_shared_first(result):
    assert [(o.a, o.b, len(o.shared)) for o in result.overlaps] == [
        ("镇海区", "鲤城区", 2), ("镇海区", "城关区", 1), ("鲤城区", "城关区", 1)]


def test_format_shared(result):
    text = format_shared(result)
    assert "八五普法   3          镇海区 (2022, 2023), 鲤城区 (2023), 城关区 (2022)" in text
    assert "枫桥经验   2          镇海区 (2022), 鲤城区 (2023)" in text
    assert "镇海区    鲤城区    2       0.50     八五普法, 枫桥经验" in text
    assert "镇海法治超市" not in text


def test_nothing_shared(tmp_path):
    (tmp_path / "g.ttl").write_text("", encoding="utf-8")
    result = shared_programmes(open_store(tmp_path / "g.ttl"))
    assert result.programmes == () and result.overlaps == ()
    assert format_shared(result) == "no programme is run by more than one district (0 districts run a programme)"
    with pytest.raises(KGError, match="no matrix to draw"):
        draw_matrix(result, tmp_path / "m.png")


def test_duplicate_district_names_get_their_code(tmp_path):
    text = """@prefix lgkg: <https://w3id.org/lgkg/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix id: <https://w3id.org/lgkg/id/> .
    id:place\\/620102 a lgkg:Place ; rdfs:label "城关区"@zh-Hans ; lgkg:adcode "620102" ; lgkg:level "county" .
    id:place\\/540102 a lgkg:Place ; rdfs:label "城关区"@zh-Hans ; lgkg:adcode "540102" ; lgkg:level "county" .
    id:programme\\/p a lgkg:Programme ; rdfs:label "八五普法"@zh-Hans .
    id:a a lgkg:ProgrammeParticipation ; lgkg:participant id:place\\/620102 ; lgkg:programme id:programme\\/p .
    id:b a lgkg:ProgrammeParticipation ; lgkg:participant id:place\\/540102 ; lgkg:programme id:programme\\/p .
    """
    (tmp_path / "g.ttl").write_text(text, encoding="utf-8")
    result = shared_programmes(open_store(tmp_path / "g.ttl"))
    assert result.programmes[0].districts == (("城关区 (540102)", ()), ("城关区 (620102)", ()))
    assert result.overlaps[0].jaccard == 1.0


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("all_programmes", [False, True])
def test_draw_matrix(result, tmp_path, all_programmes):
    pytest.importorskip("matplotlib")
    path = tmp_path / "out" / "matrix.png"
    with warnings.catch_warnings():
        # A character the font lacks would be drawn as a box: matplotlib warns, we fail.
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        assert draw_matrix(result, path, all_programmes=all_programmes) == path
    data = path.read_bytes()
    width, height = png_size(data)
    assert 300 <= width <= 3000 and 200 <= height <= 2000
    assert len(data) > 5000
    assert [p.name for p in path.parent.iterdir()] == ["matrix.png"]  # no temporary file left


def test_font_found():
    pytest.importorskip("matplotlib")
    assert find_cjk_font()


def test_font_not_a_font(tmp_path):
    pytest.importorskip("matplotlib")
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(KGError, match=r"bad\.ttf: not a font file matplotlib can read .*apt-get install"):
        find_cjk_font(bad)


def test_no_font(monkeypatch):
    font_manager = pytest.importorskip("matplotlib.font_manager")
    monkeypatch.setattr(kg.shared, "CJK_FONT_FAMILIES", ("No Such Font",))
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    with pytest.raises(KGError, match=r"no font that shows Chinese found .*fonts-wqy-microhei"):
        find_cjk_font()
