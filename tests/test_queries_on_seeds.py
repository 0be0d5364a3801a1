"""Each shipped query on the graph of the seeds, with its expected rows."""

import pytest

from kg.query import bindable_variables, list_queries, open_store, resolve_query, run_query


@pytest.fixture(scope="module")
def store(seeds_out):
    out, _ = seeds_out
    return open_store(out / "graph.ttl")


def rows_of(store, name, **bind):
    header, rows = run_query(store, resolve_query(name), bind)
    return [dict(zip(header, row)) for row in rows]


def test_reports(store):
    got = {(r["district"], r["adcode"], r["year"]) for r in rows_of(store, "reports")}
    assert got == {("镇海区", "330211", "2022"), ("鲤城区", "350502", "2023"), ("宝安区", "440306", "2021"),
                   ("江北区", "330205", "2023"), ("游仙区", "510704", "2019")}


def test_districts_by_programme(store):
    rows = rows_of(store, "districts-by-programme", programme="八五普法")
    assert {r["district"] for r in rows} == {"镇海区", "鲤城区", "宝安区", "江北区"}


def test_programmes_by_district(store):
    rows = rows_of(store, "programmes-by-district", district="游仙区")
    assert {"七五普法", "枫桥经验", "扫黑除恶专项斗争"} <= {r["programme"] for r in rows}
    assert all(r["evidence"] and r["year"] == "2019" for r in rows)


def test_honours_by_district(store):
    rows = rows_of(store, "honours-by-district", district="游仙区")
    assert {("小枧沟司法所", "全国模范司法所"), ("新桥镇调委会", "五星级调委会")} <= {
        (r["recipient"], r["honour"]) for r in rows}


def test_agencies_by_district(store):
    rows = rows_of(store, "agencies-by-district", district="江北区")
    assert {"江北区司法局", "江北区委", "宁波市委"} <= {r["agency"] for r in rows}
    assert {r["jurisdiction"] for r in rows if r["agency"] == "江北区司法局"} == {"江北区"}


def test_shared_programmes(store):
    rows = {r["programme"]: r for r in rows_of(store, "shared-programmes")}
    assert rows["八五普法"]["districts"] == "4"
    assert all(int(r["districts"]) >= 2 for r in rows.values())


def test_participations(store):
    rows = rows_of(store, "participations")
    assert len({r["district"] for r in rows}) == 5 and len(rows) > 50
    assert {r["province"] for r in rows} == {"浙江省", "福建省", "广东省", "四川省"}
    zhejiang = rows_of(store, "participations", province="浙江省")
    assert {r["district"] for r in zhejiang} == {"镇海区", "江北区"}
    assert zhejiang == [r for r in rows if r["province"] == "浙江省"]
    assert {"330211", "330205"} == {r["adcode"] for r in zhejiang}


def test_first_adoptions(store):
    rows = rows_of(store, "first-adoptions", programme="八五普法")
    assert [(r["district"], r["firstYear"]) for r in rows] == [
        ("宝安区", "2021"), ("镇海区", "2022"), ("江北区", "2023"), ("鲤城区", "2023")]
    assert all(r["evidence"] and r["report"] for r in rows)


def test_adoption_by_year(store):
    rows = rows_of(store, "adoption-by-year", programme="八五普法", province="浙江省")
    assert [(r["year"], r["newAdopters"], r["adopters"], r["districts"], float(r["share"])) for r in rows] == [
        ("2022", "1", "1", "2", 0.5), ("2023", "1", "2", "2", 1.0)]


def test_every_shipped_query_is_tested_here():
    tested = {"reports", "districts-by-programme", "programmes-by-district", "honours-by-district",
              "agencies-by-district", "shared-programmes", "participations", "first-adoptions", "adoption-by-year"}
    assert set(list_queries()) == tested


def _bag(header, rows):
    """Rows as a sorted list of tuples, the order-free ``years`` list of a row sorted too."""
    def norm(name, cell):
        return ", ".join(sorted(cell.split(", "))) if name == "years" else cell
    return sorted(tuple(norm(n, c) for n, c in zip(header, row)) for row in rows)


BINDABLE = [(name, variable) for name in list_queries()
            for variable in bindable_variables(resolve_query(name))]


def test_every_shipped_query_declares_what_it_binds():
    assert {name for name, _ in BINDABLE} == {"agencies-by-district", "districts-by-programme",
                                              "honours-by-district", "participations", "programmes-by-district",
                                              "first-adoptions", "adoption-by-year"}


@pytest.mark.parametrize("name, variable", BINDABLE)
def test_binding_filters_never_relabels(store, name, variable):
    """Bound to each value the unbound answer holds (and to one it does not), a query gives exactly those rows."""
    query = resolve_query(name)
    header, rows = run_query(store, query)
    column = header.index(variable)
    values = sorted({row[column] for row in rows})
    assert values, f"{name}: no value of ?{variable} on the seeds"
    for value in [*values, "不存在区"]:
        bound_header, bound = run_query(store, query, {variable: value})
        assert bound_header == header
        assert all(row[column] == value for row in bound)
        assert _bag(header, bound) == _bag(header, [row for row in rows if row[column] == value]), (name, value)
