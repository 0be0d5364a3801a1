"""The district × year × programme adoption panel, as studies of policy diffusion use it.

A district *names a programme as run* in a year when one of its own reports of
that year (``lgkg:reportingDistrict`` the district, ``lgkg:reportYear`` the
year) holds a ``lgkg:ProgrammeParticipation`` whose participant is the
district (``kg build`` names the reporting district as the participant,
whichever of its bodies did the work). Its *first mention* of a programme is
the participation of the earliest such year; between reports of one year,
the lowest report IRI.

The panel has one row per district × year × programme for every year in
which the district has at least one dated report, and every programme some
district names:

=====================  ===========================================================
column                 meaning
=====================  ===========================================================
adcode                 the district's GB/T 2260 code
district               its name
city, province         the city and province it lies in (``""`` when it has none; a
                       municipality's district has the municipality as both)
year                   the report year
programme              the programme's canonical name
reported               1 if the district's reports of that year name it as run
adopted                1 from the first year on (``year >= first_year``)
first_year             the first year any report of the district names it (empty: never)
has_report             1: the district has a report that year (every row has; kept
                       for merging onto a full district × year frame)
n_reports              the district's reports of that year
first_evidence         the sentence of the first mention
first_report           the IRI of the report of the first mention
city_peers             the other districts of the same city with reports (any year)
city_share_prev        the share of those that had adopted by the previous year
province_peers         as ``city_peers``, in the province
province_share_prev    as ``city_share_prev``, in the province
=====================  ===========================================================

A share is empty when there is no peer to count. Reports without a year or
without a reporting district have no place in the panel; :class:`Adoptions`
counts them.

Example:
    >>> adoptions = load_adoptions(open_store("out/graph.ttl"))
    >>> frame = adoption_panel(adoptions, programmes=["八五普法"])
    >>> write_panel(frame, "panel.dta")
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyoxigraph as ox

from kg.errors import KGError
from kg.query import run_query

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PANEL_FORMATS",
    "COLUMN_LABELS",
    "District",
    "FirstMention",
    "Adoptions",
    "load_adoptions",
    "check_filters",
    "adoption_panel",
    "wide_panel",
    "panel_format",
    "write_panel",
    "panel",
]

#: Extensions :func:`write_panel` writes, each in its format.
PANEL_FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".dta": "Stata"}

#: Variable labels written into a ``.dta`` file.
COLUMN_LABELS = {
    "adcode": "行政区划代码 (GB/T 2260)",
    "district": "区县",
    "city": "所属地级市",
    "province": "所属省份",
    "year": "报告年度",
    "programme": "项目",
    "reported": "当年报告提及开展 (1/0)",
    "adopted": "已采纳: 年度 >= 首次年度 (1/0)",
    "first_year": "首次提及年度",
    "has_report": "当年有报告 (1/0)",
    "n_reports": "当年报告数",
    "first_evidence": "首次提及原文",
    "first_report": "首次提及报告 IRI",
    "city_peers": "同市其他有报告区县数",
    "city_share_prev": "同市其他区县上年末已采纳比例",
    "province_peers": "同省其他有报告区县数",
    "province_share_prev": "同省其他区县上年末已采纳比例",
    "first_report_year": "首份报告年度",
    "last_report_year": "末份报告年度",
}

_PREFIXES = """\
PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

#: Every place that issued a report, with its codes, city and province.
PLACES = _PREFIXES + """
SELECT DISTINCT ?place ?district ?adcode ?cityNode ?city ?provinceNode ?province
WHERE {
  ?report lgkg:reportingDistrict ?place .
  ?place rdfs:label ?placeLabel .
  OPTIONAL { ?place lgkg:adcode ?adcode }
  OPTIONAL { ?place lgkg:withinPlace ?cityNode .
             ?cityNode lgkg:level "city" ; rdfs:label ?cityLabel }
  OPTIONAL { ?place lgkg:withinPlace/lgkg:withinPlace? ?provinceNode .
             ?provinceNode lgkg:level "province" ; rdfs:label ?provinceLabel }
  BIND (STR(?placeLabel) AS ?district)
  BIND (STR(?cityLabel) AS ?city)
  BIND (STR(?provinceLabel) AS ?province)
}
"""

#: Every report: its district and year, where known.
REPORTS = _PREFIXES + """
SELECT ?report ?place ?year
WHERE {
  ?report a lgkg:Report .
  OPTIONAL { ?report lgkg:reportingDistrict ?place }
  OPTIONAL { ?report lgkg:reportYear ?year }
}
"""

#: Every programme a district's own report names the district as running, with the evidence.
MENTIONS = _PREFIXES + """
SELECT ?place ?report ?programme ?evidence
WHERE {
  ?report lgkg:reportingDistrict ?place .
  ?participation prov:wasDerivedFrom ?report ;
                 lgkg:participant ?place ;
                 lgkg:programme ?programmeNode .
  ?programmeNode rdfs:label ?programmeLabel .
  OPTIONAL { ?participation lgkg:evidence ?evidence }
  BIND (STR(?programmeLabel) AS ?programme)
}
"""


@dataclass(frozen=True, order=True)
class District:
    """A district with at least one dated report.

    Attributes:
        adcode: its GB/T 2260 code (today's, where it has held several), or ``""``.
        name: its name.
        iri: its node.
        city, province: the names of the city and province it lies in, or ``""``.
        city_iri, province_iri: their nodes, or ``""``.
    """

    adcode: str
    name: str
    iri: str
    city: str = ""
    province: str = ""
    city_iri: str = ""
    province_iri: str = ""


@dataclass(frozen=True, order=True)
class FirstMention:
    """The first report of a district that names a programme as run.

    Attributes:
        year: that report's year.
        report: its IRI.
        evidence: the sentence.
    """

    year: int
    report: str
    evidence: str


@dataclass(frozen=True)
class Adoptions:
    """What a graph says about who runs which programme when.

    Attributes:
        districts: every district with a dated report, in code order.
        reports: (district IRI, year) → how many reports the district has for that year.
        reported: (district IRI, year, programme) for each programme named as run that year.
        first: (district IRI, programme) → the first mention.
        undated: reports left out for having no year or no reporting district.
    """

    districts: tuple[District, ...]
    reports: dict[tuple[str, int], int]
    reported: frozenset[tuple[str, int, str]]
    first: dict[tuple[str, str], FirstMention]
    undated: int = 0

    @property
    def programmes(self) -> tuple[str, ...]:
        """Every programme some district names as run, sorted."""
        return tuple(sorted({programme for _, programme in self.first}))

    @property
    def provinces(self) -> tuple[str, ...]:
        """Every province with a district that reports, sorted."""
        return tuple(sorted({d.province for d in self.districts if d.province}))


def _year(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,4}", text.strip()) else None


def _today_code(iri: str, codes: set[str]) -> str:
    """A place holding several codes is minted from today's: the one its IRI ends with."""
    for code in codes:
        if iri.endswith("/" + code):
            return code
    return min(codes, default="")


def load_adoptions(store: ox.Store) -> Adoptions:
    """Read the districts, their reports by year and the programmes they name from a graph.

    Args:
        store: from :func:`kg.query.open_store`.

    Example:
        >>> load_adoptions(open_store("out/graph.ttl")).programmes[:2]
        ('12348公共法律服务热线', '八五普法')
    """
    reports: dict[tuple[str, int], int] = defaultdict(int)
    year_of: dict[str, tuple[str, int]] = {}
    every_report = run_query(store, REPORTS)[1]
    for report, place, year in every_report:
        y = _year(year) if year else None
        if place and y is not None and (report not in year_of or (place, y) < year_of[report]):
            year_of[report] = (place, y)  # a report with two years or districts counts once, in the first
    undated = len({row[0] for row in every_report} - set(year_of))
    for place, y in year_of.values():
        reports[(place, y)] += 1
    places: dict[str, dict[str, str | set[str]]] = {}
    for place, name, adcode, city_iri, city, province_iri, province in run_query(store, PLACES)[1]:
        if not city_iri:  # a district of a municipality (北京市, 重庆市 …): the municipality is its city too
            city, city_iri = province, province_iri
        found = places.setdefault(place, {"name": name, "codes": set(), "city": city, "city_iri": city_iri,
                                          "province": province, "province_iri": province_iri})
        if adcode:
            found["codes"].add(adcode)  # type: ignore[union-attr]
    dated = {place for place, _ in reports}
    districts = tuple(sorted(
        District(adcode=_today_code(iri, p["codes"]), name=str(p["name"]), iri=iri,  # type: ignore[arg-type]
                 city=str(p["city"]), province=str(p["province"]), city_iri=str(p["city_iri"]),
                 province_iri=str(p["province_iri"]))
        for iri, p in places.items() if iri in dated))
    reported: set[tuple[str, int, str]] = set()
    first: dict[tuple[str, str], FirstMention] = {}
    for place, report, programme, evidence in run_query(store, MENTIONS)[1]:
        if report not in year_of:
            continue
        year = year_of[report][1]
        reported.add((place, year, programme))
        mention = FirstMention(year, report, evidence)
        if (place, programme) not in first or mention < first[(place, programme)]:
            first[(place, programme)] = mention
    return Adoptions(districts=districts, reports=dict(reports), reported=frozenset(reported),
                     first=first, undated=undated)


def check_filters(adoptions: Adoptions, *, programmes: Sequence[str] = (),
                  provinces: Sequence[str] = ()) -> None:
    """Refuse a programme no district names, or a province with no reporting district.

    Raises:
        KGError: naming the value, the closest known one, and where to list them.
    """
    for given, known, what, listing in (
            (programmes, adoptions.programmes, "programme", "`kg query GRAPH districts-by-programme` lists them"),
            (provinces, adoptions.provinces, "province", f"the graph has {', '.join(adoptions.provinces) or 'none'}")):
        for value in given:
            if value not in known:
                close = get_close_matches(value, known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise KGError(f"no district's reports name the {what} {value!r}; {hint}give the canonical name "
                              f"of one that does ({listing})")


def _selected(adoptions: Adoptions, programmes: Sequence[str], provinces: Sequence[str]
              ) -> tuple[list[District], list[str]]:
    check_filters(adoptions, programmes=programmes, provinces=provinces)
    districts = [d for d in adoptions.districts if not provinces or d.province in provinces]
    chosen = sorted(set(programmes)) if programmes else list(adoptions.programmes)
    return districts, chosen


def _peer_shares(first_year: np.ndarray, group: np.ndarray, row_district: np.ndarray,
                 row_programme: np.ndarray, row_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the district's peers in its group and the share of them adopted by the year before.

    Args:
        first_year: districts × programmes, the first year (0: never).
        group: each district's group (city or province) index, -1 for none.
        row_district, row_programme, row_year: each row's district, programme and year.
    """
    n_groups = int(group.max(initial=-1)) + 1
    if n_groups == 0 or not len(row_year):
        return np.zeros(len(row_year), dtype=np.int32), np.full(len(row_year), np.nan)
    y0 = int(min(first_year[first_year > 0].min(initial=row_year.min()), row_year.min())) - 1
    y1 = int(max(first_year.max(), row_year.max()))
    members = np.bincount(group[group >= 0], minlength=n_groups)
    # adopted[g, p, t]: districts of group g whose first year of programme p is ≤ y0 + t.
    adopted = np.zeros((n_groups, first_year.shape[1], y1 - y0 + 1), dtype=np.int32)
    d_idx, p_idx = np.nonzero((first_year > 0) & (group[:, None] >= 0))
    np.add.at(adopted, (group[d_idx], p_idx, first_year[d_idx, p_idx] - y0), 1)
    adopted = np.cumsum(adopted, axis=2)
    in_group = group[row_district] >= 0
    g = np.maximum(group[row_district], 0)
    by_prev = adopted[g, row_programme, row_year - 1 - y0]
    own = first_year[row_district, row_programme]
    by_prev = by_prev - ((own > 0) & (own <= row_year - 1))  # peers are the other districts
    peers = np.where(in_group, members[g] - 1, 0)
    share = np.full(len(row_year), np.nan)
    np.divide(by_prev, peers, out=share, where=in_group & (peers > 0))
    return peers.astype(np.int32), share


def _categorical(values: Sequence[str], codes: np.ndarray) -> pd.Categorical:
    """``values[codes]`` as a categorical column (the values may repeat)."""
    import pandas as pd  # noqa: PLC0415

    categories, inverse = np.unique(np.array(values, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes] if len(codes) else codes.astype(np.int64),
                                     categories=pd.Index(categories, dtype="str"))


def _group_index(districts: Sequence[District], key: str) -> np.ndarray:
    index: dict[str, int] = {}
    return np.array([index.setdefault(getattr(d, key), len(index)) if getattr(d, key) else -1
                     for d in districts], dtype=np.int64)


def adoption_panel(adoptions: Adoptions, *, programmes: Sequence[str] = (),
                   provinces: Sequence[str] = ()) -> pd.DataFrame:
    """The long panel: one row per district × report year × programme (see the module's table).

    Peers and shares count every district with reports, whatever the filters:
    a province filter keeps whole provinces, so their shares do not change.

    Args:
        adoptions: from :func:`load_adoptions`.
        programmes: only these programmes (canonical names).
        provinces: only the districts of these provinces.

    Raises:
        KGError: a programme or province the graph does not have (:func:`check_filters`).

    Example:
        >>> adoption_panel(adoptions, programmes=["八五普法"])[["district", "year", "reported", "first_year"]]
    """
    import pandas as pd  # noqa: PLC0415 - pandas loads in a second; only the panel needs it

    selected, chosen = _selected(adoptions, programmes, provinces)
    everyone = list(adoptions.districts)
    at = {d.iri: i for i, d in enumerate(everyone)}
    every_programme = list(adoptions.programmes)
    column_of = {p: j for j, p in enumerate(every_programme)}
    first_year = np.zeros((len(everyone), len(every_programme)), dtype=np.int64)
    for (place, programme), mention in adoptions.first.items():
        if place in at:
            first_year[at[place], column_of[programme]] = mention.year
    keep = {d.iri for d in selected}
    district_years = sorted((at[place], y) for place, y in adoptions.reports if place in keep)
    n_rows = len(district_years) * len(chosen)
    dy_district = np.array([d for d, _ in district_years], dtype=np.int64)
    dy_year = np.array([y for _, y in district_years], dtype=np.int64)
    dy_reports = np.array([adoptions.reports[(everyone[d].iri, y)] for d, y in district_years], dtype=np.int32)
    chosen_columns = np.array([column_of[p] for p in chosen], dtype=np.int64)

    row_district = np.repeat(dy_district, len(chosen))
    row_year = np.repeat(dy_year, len(chosen))
    row_choice = np.tile(np.arange(len(chosen)), len(district_years))
    row_programme = chosen_columns[row_choice] if len(chosen) else row_choice
    first = first_year[row_district, row_programme] if n_rows else np.zeros(0, dtype=np.int64)

    reported = np.zeros(n_rows, dtype=np.int8)
    dy_at = {(d, y): i for i, (d, y) in enumerate(district_years)}
    choice_of = {p: k for k, p in enumerate(chosen)}
    for place, year, programme in adoptions.reported:
        row = dy_at.get((at.get(place, -1), year))
        if row is not None and programme in choice_of:
            reported[row * len(chosen) + choice_of[programme]] = 1

    # Text columns are categorical: codes into each column's distinct values, built without a string per row.
    evidence = np.zeros(first_year.shape, dtype=np.int64)
    report = np.zeros(first_year.shape, dtype=np.int64)
    texts: dict[str, list[str]] = {"first_evidence": [""], "first_report": [""]}
    for (place, programme), mention in adoptions.first.items():
        if place in at:
            for codes, name, value in ((evidence, "first_evidence", mention.evidence),
                                       (report, "first_report", mention.report)):
                codes[at[place], column_of[programme]] = len(texts[name])
                texts[name].append(value)

    columns: dict[str, object] = {}
    for name, key in (("adcode", "adcode"), ("district", "name"), ("city", "city"), ("province", "province")):
        columns[name] = _categorical([getattr(d, key) for d in everyone], row_district)
    columns["year"] = row_year.astype(np.int32)
    columns["programme"] = _categorical(chosen, row_choice)
    columns["reported"] = reported
    columns["adopted"] = ((first > 0) & (row_year >= first)).astype(np.int8)
    columns["first_year"] = pd.arrays.IntegerArray(first.astype(np.int32), first == 0)
    columns["has_report"] = np.ones(n_rows, dtype=np.int8)
    columns["n_reports"] = np.repeat(dy_reports, len(chosen))
    columns["first_evidence"] = _categorical(texts["first_evidence"], evidence[row_district, row_programme])
    columns["first_report"] = _categorical(texts["first_report"], report[row_district, row_programme])
    for scope in ("city", "province"):
        peers, share = _peer_shares(first_year, _group_index(everyone, f"{scope}_iri"),
                                    row_district, row_programme, row_year)
        columns[f"{scope}_peers"] = peers
        columns[f"{scope}_share_prev"] = share
    return pd.DataFrame(columns)


def wide_panel(adoptions: Adoptions, *, programmes: Sequence[str] = (),
               provinces: Sequence[str] = ()) -> pd.DataFrame:
    """One row per district, one column per programme holding its first-adoption year (empty: never).

    Before the programme columns: adcode, district, city, province,
    ``first_report_year``, ``last_report_year`` and ``n_reports`` (all years).

    Raises:
        KGError: a programme or province the graph does not have.
    """
    import pandas as pd  # noqa: PLC0415

    selected, chosen = _selected(adoptions, programmes, provinces)
    years: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for (place, year), n in adoptions.reports.items():
        years[place].append(year)
        counts[place] += n
    columns: dict[str, object] = {
        "adcode": pd.array([d.adcode for d in selected], dtype="str"),
        "district": pd.array([d.name for d in selected], dtype="str"),
        "city": pd.array([d.city for d in selected], dtype="str"),
        "province": pd.array([d.province for d in selected], dtype="str"),
        "first_report_year": np.array([min(years[d.iri]) for d in selected], dtype=np.int32),
        "last_report_year": np.array([max(years[d.iri]) for d in selected], dtype=np.int32),
        "n_reports": np.array([counts[d.iri] for d in selected], dtype=np.int32),
    }
    for programme in chosen:
        columns[programme] = pd.array([m.year if (m := adoptions.first.get((d.iri, programme))) else None
                                       for d in selected], dtype="Int32")
    return pd.DataFrame(columns)


def panel_format(path: str | Path) -> str:
    """The format a panel file's extension asks for.

    Raises:
        KGError: an extension other than ``.csv``, ``.parquet``, ``.dta``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PANEL_FORMATS:
        raise KGError(f"{path}: the panel is written as .csv, .parquet or .dta (Stata), chosen by the "
                      f"extension, not {suffix or 'no extension'!r}; name the file e.g. panel.csv")
    return suffix


def _stata_names(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Column names Stata accepts (letters, digits, _; ≤ 32); others become p001 … with the name as label."""
    renamed, labels = {}, {}
    n = 0
    for column in frame.columns:
        if re.fullmatch(r"[A-Za-z_]\w{0,31}", column) and column.isascii():
            labels[column] = COLUMN_LABELS.get(column, column)
        else:
            n += 1
            renamed[column] = f"p{n:03d}"
            labels[f"p{n:03d}"] = column
    return frame.rename(columns=renamed), labels


def write_panel(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a panel in the format of the file's extension, atomically.

    ``.csv`` is UTF-8 with a header; a text cell that a spreadsheet would run
    as a formula gets a leading apostrophe (:func:`kg.safe.csv_cell`).
    ``.parquet`` keeps the column types. ``.dta`` (Stata 14+, UTF-8) labels
    each variable; columns named by programmes (``--wide``) are ``p001`` …
    with the programme's name as their label.

    Raises:
        KGError: the extension (:func:`panel_format`), or the file cannot be written.
    """
    import pandas as pd  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    from pyarrow import csv as pa_csv  # noqa: PLC0415
    from pyarrow import parquet as pq  # noqa: PLC0415

    from kg.export import atomic_write  # noqa: PLC0415
    from kg.safe import csv_cell  # noqa: PLC0415

    suffix = panel_format(path)
    path = Path(path)
    try:
        if suffix == ".dta":
            import pyreadstat  # noqa: PLC0415

            stata, labels = _stata_names(frame)
            with tempfile.TemporaryDirectory() as tmp:
                scratch = os.path.join(tmp, "panel.dta")
                pyreadstat.write_dta(stata, scratch, column_labels=labels)
                with atomic_write(path, "wb") as fh, open(scratch, "rb") as src:
                    shutil.copyfileobj(src, fh)
            return path
        if suffix == ".csv":
            frame = frame.rename(columns=csv_cell)  # a copy; --wide names columns by programmes
            for column in frame.columns:
                values = frame[column]
                if isinstance(values.dtype, pd.CategoricalDtype):
                    safe = [csv_cell(c) for c in values.cat.categories]
                    frame[column] = (values.cat.rename_categories(safe) if len(set(safe)) == len(safe)
                                     else values.astype(object).map(csv_cell))
                elif values.dtype == "str" or values.dtype == object:
                    frame[column] = values.map(csv_cell)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with atomic_write(path, "wb") as fh:
            if suffix == ".csv":
                pa_csv.write_csv(table, fh)
            else:
                pq.write_table(table, fh)
    except OSError as err:
        raise KGError(f"{path}: cannot write the panel ({err}); choose a writable place") from err
    return path


def panel(graph: str | Path | ox.Store, output: str | Path, *, programmes: Iterable[str] = (),
          provinces: Iterable[str] = (), wide: bool = False) -> tuple[pd.DataFrame, Adoptions]:
    """Read a graph and write its panel: what ``kg panel`` does.

    Args:
        graph: a graph file or store folder (:func:`kg.query.open_store`), or an open store.
        output: the file; its extension chooses the format.
        programmes, provinces: filters, as in :func:`adoption_panel`.
        wide: one row per district with first-adoption years (:func:`wide_panel`).

    Returns:
        The frame written and what it was made from.
    """
    from kg.query import open_store  # noqa: PLC0415

    panel_format(output)  # before any work
    store = graph if isinstance(graph, ox.Store) else open_store(graph)
    adoptions = load_adoptions(store)
    make = wide_panel if wide else adoption_panel
    frame = make(adoptions, programmes=tuple(programmes), provinces=tuple(provinces))
    write_panel(frame, output)
    return frame, adoptions
