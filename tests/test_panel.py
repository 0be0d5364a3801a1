"""The adoption panel on a graph written for it, with every expected value worked out by hand.

Six districts report between 2021 and 2023: three in 宁波市 (镇海区 every year,
北仑区 in 2021 and 2023, 鄞州区 twice in 2022), 西湖区 in 杭州市, 鲤城区 in
福建省, and 东城区 in 北京市 (a municipality: its own city). 镇海区 names
八五普法 in 2022 only and 枫桥经验 every year; one of its reports has no year
and names 法治体检, so that programme is in no panel. ``write_adoption_graph``
is shared with test_diffusion.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from conftest import turtle_file
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import PROV

from kg.cli import main
from kg.errors import KGError
from kg.panel import adoption_panel, load_adoptions, panel, panel_format, wide_panel, write_panel
from kg.query import open_store
from kg.vocab import DATA, LGKG

# code, name, level, parent code
PLACES = [
    ("330000", "浙江省", "province", ""), ("330200", "宁波市", "city", "330000"),
    ("330100", "杭州市", "city", "330000"), ("330211", "镇海区", "county", "330200"),
    ("330206", "北仑区", "county", "330200"), ("330212", "鄞州区", "county", "330200"),
    ("330106", "西湖区", "county", "330100"), ("350000", "福建省", "province", ""),
    ("350500", "泉州市", "city", "350000"), ("350502", "鲤城区", "county", "350500"),
    ("110000", "北京市", "province", ""), ("110101", "东城区", "county", "110000"),
]
# report key, district code (None: unresolved), year (None: undated), programmes named as run
REPORTS = [
    ("zh2021", "330211", 2021, ["枫桥经验"]),
    ("zh2022", "330211", 2022, ["八五普法", "枫桥经验"]),
    ("zh2023", "330211", 2023, ["枫桥经验"]),
    ("zhnone", "330211", None, ["八五普法", "法治体检"]),
    ("bl2021", "330206", 2021, ["八五普法"]),
    ("bl2023", "330206", 2023, []),
    ("yz2022a", "330212", 2022, []),
    ("yz2022b", "330212", 2022, ["八五普法"]),
    ("xh2021", "330106", 2021, ["八五普法"]),
    ("lc2023", "350502", 2023, ["八五普法"]),
    ("dc2022", "110101", 2022, ["枫桥经验"]),
    ("lost2022", None, 2022, ["八五普法"]),
]


def place(code: str):
    return DATA[f"place/{code}"]


def report(key: str):
    return DATA[f"report/{key}"]


def evidence(key: str, programme: str) -> str:
    return f"{key}：深入推进{programme}。"


def make_adoption_graph() -> Graph:
    g = Graph()
    for code, name, level, parent in PLACES:
        g.add((place(code), RDF.type, LGKG.Place))
        g.add((place(code), RDFS.label, Literal(name, lang="zh-Hans")))
        g.add((place(code), LGKG.adcode, Literal(code)))
        g.add((place(code), LGKG.level, Literal(level)))
        if parent:
            g.add((place(code), LGKG.withinPlace, place(parent)))
    for key, code, year, programmes in REPORTS:
        g.add((report(key), RDF.type, LGKG.Report))
        if code:
            g.add((report(key), LGKG.reportingDistrict, place(code)))
        if year:
            g.add((report(key), LGKG.reportYear, Literal(year)))
        for programme in programmes:
            node, event = DATA[f"programme/{programme}"], DATA[f"participation/{key}/{programme}"]
            g.add((node, RDF.type, LGKG.Programme))
            g.add((node, RDFS.label, Literal(programme, lang="zh-Hans")))
            g.add((event, RDF.type, LGKG.ProgrammeParticipation))
            g.add((event, LGKG.participant, place(code) if code else place("330211")))
            g.add((event, LGKG.programme, node))
            g.add((event, PROV.wasDerivedFrom, report(key)))
            g.add((event, LGKG.evidence, Literal(evidence(key, programme))))
    return g


def write_adoption_graph(folder: Path) -> Path:
    return turtle_file(make_adoption_graph(), folder)


@pytest.fixture(scope="module")
def graph_ttl(tmp_path_factory) -> Path:
    return write_adoption_graph(tmp_path_factory.mktemp("adoption"))


@pytest.fixture(scope="module")
def adoptions(graph_ttl):
    return load_adoptions(open_store(graph_ttl))


@pytest.fixture(scope="module")
def long(adoptions):
    return adoption_panel(adoptions)


def row(frame, district: str, year: int, programme: str) -> dict:
    found = frame[(frame.district == district) & (frame.year == year) & (frame.programme == programme)]
    assert len(found) == 1, f"{district} {year} {programme}: {len(found)} rows"
    return found.iloc[0].to_dict()


def test_what_the_graph_holds(adoptions):
    assert adoptions.programmes == ("八五普法", "枫桥经验")  # 法治体检 only in a report without a year
    assert adoptions.provinces == ("北京市", "浙江省", "福建省")
    assert [d.adcode for d in adoptions.districts] == ["110101", "330106", "330206", "330211", "330212", "350502"]
    assert adoptions.undated == 2


def test_one_row_per_district_year_and_programme(long):
    # district-years: 镇海区 3, 北仑区 2, 鄞州区 1, 西湖区 1, 鲤城区 1, 东城区 1; two programmes each
    assert len(long) == 9 * 2
    assert list(long.columns) == [
        "adcode", "district", "city", "province", "year", "programme", "reported", "adopted", "first_year",
        "has_report", "n_reports", "first_evidence", "first_report", "city_peers", "city_share_prev",
        "province_peers", "province_share_prev"]
    assert long[["adcode", "year", "programme"]].apply(tuple, axis=1).is_monotonic_increasing
    assert set(long.has_report) == {1}


@pytest.mark.parametrize("year, reported, adopted", [(2021, 0, 0), (2022, 1, 1), (2023, 0, 1)])
def test_a_district_followed_over_three_years(long, year, reported, adopted):
    r = row(long, "镇海区", year, "八五普法")
    assert (r["reported"], r["adopted"], r["first_year"]) == (reported, adopted, 2022)
    assert r["first_evidence"] == evidence("zh2022", "八五普法")
    assert r["first_report"] == str(report("zh2022"))
    assert (r["adcode"], r["city"], r["province"], r["n_reports"]) == ("330211", "宁波市", "浙江省", 1)


@pytest.mark.parametrize("year", [2021, 2022, 2023])
def test_a_programme_named_every_year(long, year):
    r = row(long, "镇海区", year, "枫桥经验")
    assert (r["reported"], r["adopted"], r["first_year"]) == (1, 1, 2021)


def test_never_named(long):
    r = row(long, "北仑区", 2023, "枫桥经验")
    assert (r["reported"], r["adopted"]) == (0, 0)
    assert r["first_year"] is None or math.isnan(r["first_year"]) or str(r["first_year"]) == "<NA>"
    assert r["first_evidence"] == "" and r["first_report"] == ""


def test_reports_of_one_year_are_counted(long):
    r = row(long, "鄞州区", 2022, "八五普法")
    assert (r["n_reports"], r["reported"], r["first_year"]) == (2, 1, 2022)
    assert r["first_report"] == str(report("yz2022b"))


# 八五普法 first years: 北仑区 2021, 西湖区 2021, 镇海区 2022, 鄞州区 2022, 鲤城区 2023, 东城区 never.
# Peers are the other districts with reports of the same city / province.
@pytest.mark.parametrize("district, year, city_peers, city_share, province_peers, province_share", [
    ("镇海区", 2021, 2, 0 / 2, 3, 0 / 3),  # nobody by 2020
    ("镇海区", 2022, 2, 1 / 2, 3, 2 / 3),  # 北仑区 by 2021; in 浙江 北仑区 and 西湖区
    ("镇海区", 2023, 2, 2 / 2, 3, 3 / 3),  # 北仑区 and 鄞州区 by 2022; its own adoption not counted
    ("北仑区", 2021, 2, 0 / 2, 3, 0 / 3),
    ("北仑区", 2023, 2, 2 / 2, 3, 3 / 3),
    ("鄞州区", 2022, 2, 1 / 2, 3, 2 / 3),
    ("西湖区", 2021, 0, None, 3, 0 / 3),   # alone in 杭州市
    ("鲤城区", 2023, 0, None, 0, None),    # alone in 福建省
    ("东城区", 2022, 0, None, 0, None),    # 北京市 is its city and province
])
def test_neighbour_shares_by_hand(long, district, year, city_peers, city_share, province_peers, province_share):
    r = row(long, district, year, "八五普法")
    assert (r["city_peers"], r["province_peers"]) == (city_peers, province_peers)
    for got, want in ((r["city_share_prev"], city_share), (r["province_share_prev"], province_share)):
        assert math.isnan(got) if want is None else got == pytest.approx(want)


def test_municipality_is_its_districts_city(long):
    assert row(long, "东城区", 2022, "枫桥经验")["city"] == "北京市"


def test_filters(adoptions, long):
    only = adoption_panel(adoptions, programmes=["八五普法"], provinces=["浙江省"])
    assert set(only.programme) == {"八五普法"} and set(only.province) == {"浙江省"}
    assert len(only) == 7
    # a filter does not change the shares, which count every district with reports
    whole = long[(long.programme == "八五普法") & (long.province == "浙江省")].reset_index(drop=True)
    pd.testing.assert_frame_equal(only.reset_index(drop=True), whole, check_categorical=False)


@pytest.mark.parametrize("kwargs, match", [
    ({"programmes": ["八五普法规划"]}, "no district's reports name the programme '八五普法规划'; did you mean 八五普法"),
    ({"programmes": ["法治体检"]}, "programme '法治体检'"),
    ({"provinces": ["浙江"]}, "no district's reports name the province '浙江'; did you mean 浙江省"),
])
def test_unknown_filter_values(adoptions, kwargs, match):
    with pytest.raises(KGError, match=match):
        adoption_panel(adoptions, **kwargs)


def test_wide(adoptions):
    wide = wide_panel(adoptions)
    assert list(wide.columns) == ["adcode", "district", "city", "province", "first_report_year",
                                  "last_report_year", "n_reports", "八五普法", "枫桥经验"]
    by = wide.set_index("district")
    assert by.loc["镇海区", "八五普法"] == 2022 and by.loc["镇海区", "枫桥经验"] == 2021
    assert by.loc["镇海区", ["first_report_year", "last_report_year", "n_reports"]].tolist() == [2021, 2023, 3]
    assert by["八五普法"].isna().tolist() == [True, False, False, False, False, False]  # 东城区 first


def test_parquet_round_trip(long, tmp_path):
    write_panel(long, tmp_path / "panel.parquet")
    table = pq.read_table(tmp_path / "panel.parquet")
    assert table.num_rows == len(long) and table.column_names == list(long.columns)
    back = table.to_pandas()
    r = row(back, "镇海区", 2023, "八五普法")
    assert (r["reported"], r["adopted"], r["first_year"], r["first_report"]) == (0, 1, 2022, str(report("zh2022")))


def test_stata_round_trip(long, tmp_path):
    write_panel(long, tmp_path / "panel.dta")
    back, meta = pyreadstat.read_dta(str(tmp_path / "panel.dta"))
    assert list(back.columns) == list(long.columns) and len(back) == len(long)
    assert meta.column_names_to_labels["first_year"] == "首次提及年度"
    r = row(back, "镇海区", 2022, "八五普法")
    assert (r["reported"], r["first_year"], r["first_evidence"]) == (1, 2022, evidence("zh2022", "八五普法"))
    assert r["province_share_prev"] == pytest.approx(2 / 3)


def test_stata_wide_names_programmes_by_label(adoptions, tmp_path):
    write_panel(wide_panel(adoptions), tmp_path / "wide.dta")
    back, meta = pyreadstat.read_dta(str(tmp_path / "wide.dta"))
    assert list(back.columns)[-2:] == ["p001", "p002"]
    assert [meta.column_names_to_labels[c] for c in ("p001", "p002")] == ["八五普法", "枫桥经验"]
    assert back.set_index("district").loc["镇海区", "p001"] == 2022


def test_csv_cells_never_run_as_formulas(adoptions, tmp_path):
    frame = adoption_panel(adoptions)
    frame["first_evidence"] = frame["first_evidence"].cat.rename_categories(
        lambda c: "=HYPERLINK(1)" if c.startswith("zh2022") else c)
    write_panel(frame, tmp_path / "panel.csv")
    text = (tmp_path / "panel.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith('"adcode","district"')
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


@pytest.mark.parametrize("name", ["panel.xlsx", "panel", "panel.CSV.bak"])
def test_bad_extension(name):
    with pytest.raises(KGError, match=r"written as \.csv, \.parquet or \.dta \(Stata\), chosen by the extension"):
        panel_format(name)


def test_panel_writes_nothing_before_checking_the_extension(graph_ttl, tmp_path):
    with pytest.raises(KGError, match="name the file e.g. panel.csv"):
        panel(tmp_path / "missing.ttl", tmp_path / "panel.xlsx")
    assert not list(tmp_path.iterdir())


def test_cli_panel(graph_ttl, tmp_path, capsys):
    assert main(["panel", str(graph_ttl), "-o", str(tmp_path / "p.parquet"), "--programme", "八五普法",
                 "--province", "浙江省", "--wide"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("kg: panel of 4 rows × 8 columns (6 districts with dated reports, 2 programmes named)")
    assert "kg: 2 reports without a year or a reporting district are not in the panel" in err
    assert pq.read_table(tmp_path / "p.parquet").column("八五普法").to_pylist() == [2021, 2021, 2022, 2022]


@pytest.mark.parametrize("argv, message", [
    (["panel", "{graph}", "-o", "{tmp}/p.xlsx"], "kg: {tmp}/p.xlsx: the panel is written as .csv, .parquet or .dta"),
    (["panel", "{graph}", "-o", "{tmp}/p.csv", "--programme", "八五"], "kg: no district's reports name the programme"),
    (["panel", "{tmp}/none.ttl", "-o", "{tmp}/p.csv"], "kg: {tmp}/none.ttl: no such graph; give the graph.ttl"),
])
def test_cli_errors_are_one_line(graph_ttl, tmp_path, capsys, argv, message):
    fill = {"graph": str(graph_ttl), "tmp": str(tmp_path)}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(**fill)) and err.count("\n") == 1
    assert not (tmp_path / "p.csv").exists()
