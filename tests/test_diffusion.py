"""Adoption over years and provinces, the curves, and the shipped queries, on the graph of test_panel.py.

八五普法 there: first named by 北仑区 and 西湖区 in 2021, 镇海区 and 鄞州区 in 2022,
鲤城区 in 2023; 东城区 never. Six districts have dated reports: four in 浙江省,
one in 福建省, one in 北京市.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import pytest
from test_panel import evidence, report, write_adoption_graph
from test_shared import png_size

from kg.cli import main
from kg.diffusion import NATIONAL, Curve, Diffusion, YearRow, diffusion, draw_curves, format_diffusion
from kg.errors import KGError
from kg.panel import load_adoptions
from kg.query import bindable_variables, open_store, resolve_query, run_query


@pytest.fixture(scope="module")
def graph_ttl(tmp_path_factory):
    return write_adoption_graph(tmp_path_factory.mktemp("adoption"))


@pytest.fixture(scope="module")
def store(graph_ttl):
    return open_store(graph_ttl)


@pytest.fixture(scope="module")
def result(store) -> Diffusion:
    return diffusion(load_adoptions(store), "八五普法")


def test_national_years(result):
    # districts with a report that year, new adopters, adopters so far, their share of the six
    assert [(r.year, r.reporting, r.new, r.adopters) for r in result.national.years] == [
        (2021, 3, 2, 2), (2022, 3, 2, 4), (2023, 3, 1, 5)]
    assert [r.share for r in result.national.years] == pytest.approx([2 / 6, 4 / 6, 5 / 6])
    assert (result.national.scope, result.national.districts, result.national.adopters) == (NATIONAL, 6, 5)


def test_first_adopters_with_their_evidence(result):
    assert [(a.year, a.district, a.adcode) for a in result.national.first] == [
        (2021, "西湖区", "330106"), (2021, "北仑区", "330206")]
    first = result.national.first[1]
    assert (first.report, first.evidence) == (str(report("bl2021")), evidence("bl2021", "八五普法"))
    assert (first.city, first.province) == ("宁波市", "浙江省")


def test_provinces(result):
    # by first adoption, never last
    assert [(c.scope, c.districts, c.adopters, c.first_year) for c in result.provinces] == [
        ("浙江省", 4, 4, 2021), ("福建省", 1, 1, 2023), ("北京市", 1, 0, None)]
    zhejiang, fujian, beijing = result.provinces
    assert [r.share for r in zhejiang.years] == pytest.approx([2 / 4, 4 / 4, 4 / 4])
    assert [r.share for r in fujian.years] == [0.0, 0.0, 1.0]
    assert [a.district for a in fujian.first] == ["鲤城区"] and beijing.first == ()


def test_format(result):
    text = format_diffusion(result)
    assert text.startswith("八五普法: adopted by 5 of 6 districts with reports (83.3%), first in 2021\n")
    assert "2022  3          2    4         66.7%" in text
    assert "浙江省    4          4         2021   西湖区, 北仑区  50.0%  100.0%  100.0%" in text
    assert f"福建省    2023  鲤城区    {evidence('lc2023', '八五普法')}" in text


def test_unknown_programme(store):
    with pytest.raises(KGError, match="no district's reports name the programme '枫桥'; did you mean 枫桥经验"):
        diffusion(load_adoptions(store), "枫桥")


def test_draw_curves(result, tmp_path):
    path = tmp_path / "out" / "curves.png"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")  # a box for a missing character
        assert draw_curves(result, path, size=(900, 540)) == path
    data = path.read_bytes()
    assert png_size(data) == (900, 540) and len(data) > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["curves.png"]  # no temporary file left


def test_draw_31_provinces(tmp_path):
    names = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区"]
    years = range(2014, 2025)

    def curve(scope: str, k: int) -> Curve:
        rows = tuple(YearRow(y, 10, 1, min(10, max(0, y - 2014 - k % 5)), min(1.0, max(0, y - 2014 - k % 5) / 10))
                     for y in years)
        return Curve(scope, 10, rows, ())

    many = Diffusion("八五普法", curve(NATIONAL, 0), tuple(curve(n, k) for k, n in enumerate(names)), ())
    path = tmp_path / "many.png"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        draw_curves(many, path)
    assert png_size(path.read_bytes()) == (1400, 800)


def test_cli_diffusion(graph_ttl, tmp_path, capsys):
    assert main(["diffusion", "八五普法", str(graph_ttl), "--png", str(tmp_path / "c.png")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("八五普法: adopted by 5 of 6") and err == f"kg: adoption curves drawn to {tmp_path}/c.png\n"
    assert png_size((tmp_path / "c.png").read_bytes()) == (1400, 800)
    assert main(["diffusion", "八五普法", str(graph_ttl), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["national"]["years"][-1] == {"year": 2023, "reporting": 3, "new": 1, "adopters": 5, "share": 5 / 6}


@pytest.mark.parametrize("argv, message", [
    (["diffusion", "八五", "{graph}"], "kg: no district's reports name the programme '八五'"),
    (["diffusion", "八五普法", "{tmp}/none.ttl"], "kg: {tmp}/none.ttl: no such graph"),
    (["diffusion", "八五普法", "{graph}", "--png", "{tmp}/c.png", "--font", "{graph}"], "kg: {graph}: not a font file"),
])
def test_cli_errors_are_one_line(graph_ttl, tmp_path, capsys, argv, message):
    fill = {"graph": str(graph_ttl), "tmp": str(tmp_path)}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(**fill)) and err.count("\n") == 1


# -- the shipped queries ask the same -----------------------------------------


def ask(store, name, **bindings):
    return run_query(store, resolve_query(name), bindings)


@pytest.mark.parametrize("name", ["first-adoptions", "adoption-by-year"])
def test_queries_declare_programme_and_province(name):
    assert bindable_variables(resolve_query(name)) == {"programme": "zh-Hans", "province": "zh-Hans"}


def test_first_adoptions_by_programme(store):
    header, rows = ask(store, "first-adoptions", programme="八五普法")
    assert header == ["programme", "province", "district", "adcode", "firstYear", "report", "evidence"]
    assert [(r[2], r[4], r[5], r[6]) for r in rows] == [
        ("西湖区", "2021", str(report("xh2021")), evidence("xh2021", "八五普法")),
        ("北仑区", "2021", str(report("bl2021")), evidence("bl2021", "八五普法")),
        ("镇海区", "2022", str(report("zh2022")), evidence("zh2022", "八五普法")),
        ("鄞州区", "2022", str(report("yz2022b")), evidence("yz2022b", "八五普法")),
        ("鲤城区", "2023", str(report("lc2023")), evidence("lc2023", "八五普法"))]


def test_first_adoptions_agree_with_the_panel(store, result):
    _, rows = ask(store, "first-adoptions", programme="八五普法")
    assert [(int(r[4]), r[3], r[2], r[5], r[6]) for r in rows] == [
        (a.year, a.adcode, a.district, a.report, a.evidence) for a in result.adopters]


def test_first_adoptions_by_province(store):
    _, rows = ask(store, "first-adoptions", province="浙江省")
    assert {(r[0], r[2], r[4]) for r in rows} == {
        ("八五普法", "西湖区", "2021"), ("八五普法", "北仑区", "2021"), ("八五普法", "镇海区", "2022"),
        ("八五普法", "鄞州区", "2022"), ("枫桥经验", "镇海区", "2021")}
    assert ask(store, "first-adoptions", programme="枫桥经验", province="福建省")[1] == []


def test_adoption_by_year(store):
    header, rows = ask(store, "adoption-by-year", programme="八五普法", province="浙江省")
    assert header == ["programme", "province", "year", "newAdopters", "adopters", "districts", "share"]
    assert [(r[2], r[3], r[4], r[5], float(r[6])) for r in rows] == [
        ("2021", "2", "2", "4", 0.5), ("2022", "2", "4", "4", 1.0), ("2023", "0", "4", "4", 1.0)]


def test_adoption_by_year_from_the_first_adoption_on(store):
    _, rows = ask(store, "adoption-by-year", programme="八五普法")
    assert [(r[1], r[2], r[4]) for r in rows if r[1] != "浙江省"] == [("福建省", "2023", "1")]


def test_format_cuts_long_sentences(result):
    long = dataclasses.replace(result.national.first[0], evidence="深入推进八五普法" * 20)
    text = format_diffusion(dataclasses.replace(result, national=dataclasses.replace(result.national, first=(long,))))
    assert "深入推进八五普法" * 7 + "深入推…" in text and "深入推进八五普法" * 8 not in text
