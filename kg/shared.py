"""Programmes run by more than one district, and how much districts overlap.

A district runs a programme when a ``lgkg:ProgrammeParticipation`` has as
participant the district itself, or an agency whose ``lgkg:jurisdiction`` is
the district. A district is a county-level division (``lgkg:level "county"``)
or a place that issued a report (``lgkg:reportingDistrict``); a city or
province running a programme does not count. The participations come from
:data:`PARTICIPATIONS`, every district's, whatever its province.

Two districts overlap by the programmes both run: the count, and the Jaccard
index ``|A ∩ B| / |A ∪ B|`` over all the programmes each runs.

Example:
    >>> result = shared_programmes(open_store("out/graph.ttl"))
    >>> print(format_shared(result))
    >>> draw_matrix(result, "out/shared.png")
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KGError
from kg.query import format_rows, run_query

__all__ = [
    "CJK_FONT_FAMILIES",
    "PARTICIPATIONS",
    "District",
    "SharedProgramme",
    "Overlap",
    "SharedProgrammes",
    "shared_programmes",
    "format_shared",
    "find_cjk_font",
    "draw_matrix",
]

#: Every participation of a district: programme, place, district, adcode, year.
PARTICIPATIONS = """\
PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>

SELECT ?programme ?place ?district ?adcode ?year
WHERE {
  # The district took part (kg build names the reporting district as the participant).
  ?participation lgkg:participant ?place ;
                 lgkg:programme ?programmeNode .
  ?place lgkg:level "county" ;
         rdfs:label ?placeLabel .
  ?programmeNode rdfs:label ?programmeLabel .
  # Optional parts last: the engine does not reorder patterns across them.
  OPTIONAL { ?place lgkg:adcode ?adcode }
  OPTIONAL { ?participation prov:wasDerivedFrom/lgkg:reportYear ?year }
  BIND (STR(?programmeLabel) AS ?programme)
  BIND (STR(?placeLabel) AS ?district)
}
"""

#: Font families tried, in order, for the Chinese text of the matrix picture.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN",
    "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Noto Sans CJK JP", "Noto Serif CJK SC",
)
# File-name fragments of the same fonts, for when matplotlib's font cache predates their install.
_CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehan", "wqy", "droidsansfallback", "uming",
                   "simhei", "msyh", "pingfang")
_INSTALL_HINT = ("install a font that shows Chinese, e.g. `apt-get install fonts-wqy-microhei` "
                 "(or fonts-noto-cjk), or pass font=PATH to a .ttf/.ttc/.otf file")


@dataclass(frozen=True, order=True)
class District:
    """A district that runs at least one programme.

    Attributes:
        adcode: its GB/T 2260 code, or ``""``.
        label: its canonical name.
        iri: its node in the graph.
    """

    adcode: str
    label: str
    iri: str


@dataclass(frozen=True)
class SharedProgramme:
    """A programme run by two or more districts.

    Attributes:
        programme: the programme's canonical name.
        districts: each district running it (shown name) with the report years
            in which it does, in code order.
    """

    programme: str
    districts: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def count(self) -> int:
        """How many districts run the programme."""
        return len(self.districts)


@dataclass(frozen=True)
class Overlap:
    """Two districts that run at least one programme in common.

    Attributes:
        a: the first district's shown name (lower code first).
        b: the second district's shown name.
        shared: the programmes both run.
        jaccard: ``len(shared) / len(union)`` of the programmes each runs.
    """

    a: str
    b: str
    shared: tuple[str, ...]
    jaccard: float


@dataclass(frozen=True)
class SharedProgrammes:
    """What :func:`shared_programmes` found.

    Attributes:
        programmes: programmes run by ≥ 2 districts, most districts first.
        overlaps: district pairs sharing ≥ 1 programme, most shared first.
        districts: shown names of every district that runs some programme, in code order.
        runs: per district (shown name), the programmes it runs, sorted.
        years: (district, programme, report years) for every programme a district runs.
    """

    programmes: tuple[SharedProgramme, ...]
    overlaps: tuple[Overlap, ...]
    districts: tuple[str, ...]
    runs: tuple[tuple[str, tuple[str, ...]], ...]
    years: tuple[tuple[str, str, tuple[int, ...]], ...] = ()


def _shown_names(districts: set[District]) -> dict[District, str]:
    """Labels, with the code added where two districts share a label (城关区 in 兰州 and 拉萨)."""
    by_label: dict[str, int] = defaultdict(int)
    for d in districts:
        by_label[d.label] += 1
    return {d: f"{d.label} ({d.adcode})" if by_label[d.label] > 1 and d.adcode else d.label for d in districts}


def shared_programmes(store: ox.Store) -> SharedProgrammes:
    """Find the programmes run by more than one district, and the districts' overlap.

    Args:
        store: from :func:`kg.query.open_store`.

    Returns:
        The shared programmes with their districts and years, and every pair of
        districts with at least one programme in common.

    Example:
        >>> [(p.programme, p.count) for p in shared_programmes(store).programmes]
        [('八五普法', 3), ('枫桥经验', 2)]
    """
    _, rows = run_query(store, PARTICIPATIONS, {})
    years: dict[tuple[str, District], set[int]] = defaultdict(set)
    for programme, place, label, adcode, year in rows:  # the SELECT's order
        found = years[(programme, District(adcode=adcode, label=label, iri=place))]  # no year still counts
        if year.lstrip("-").isdigit():
            found.add(int(year))
    shown = _shown_names({d for _, d in years})
    order = sorted(shown)
    runs: dict[District, set[str]] = defaultdict(set)
    by_programme: dict[str, dict[District, set[int]]] = defaultdict(dict)
    for (programme, district), ys in years.items():
        runs[district].add(programme)
        by_programme[programme][district] = ys
    programmes = tuple(sorted(
        (SharedProgramme(programme, tuple((shown[d], tuple(sorted(by_programme[programme][d])))
                                          for d in sorted(by_programme[programme])))
         for programme in by_programme if len(by_programme[programme]) >= 2),
        key=lambda p: (-p.count, p.programme)))
    overlaps = []
    for a, b in combinations(order, 2):
        shared = runs[a] & runs[b]
        if shared:
            overlaps.append(Overlap(shown[a], shown[b], tuple(sorted(shared)),
                                    len(shared) / len(runs[a] | runs[b])))
    overlaps.sort(key=lambda o: (-len(o.shared), -o.jaccard, o.a, o.b))
    return SharedProgrammes(
        programmes=programmes,
        overlaps=tuple(overlaps),
        districts=tuple(shown[d] for d in order),
        runs=tuple((shown[d], tuple(sorted(runs[d]))) for d in order),
        years=tuple((shown[d], programme, tuple(sorted(ys)))
                    for (programme, d), ys in sorted(years.items(), key=lambda kv: (kv[0][1], kv[0][0]))),
    )


def format_shared(result: SharedProgrammes) -> str:
    """The result as text: programme → districts (years), then the overlap of district pairs.

    Example:
        >>> print(format_shared(result))
        programme  districts  run by
        ---------  ---------  ------------------------------------------
        八五普法   3          镇海区 (2022, 2023), 鲤城区 (2023), 城关区 (2022)
        …
    """
    if not result.programmes:
        return (f"no programme is run by more than one district "
                f"({len(result.districts)} districts run a programme)")

    def with_years(name: str, ys: tuple[int, ...]) -> str:
        return f"{name} ({', '.join(map(str, ys))})" if ys else name

    programmes = format_rows(
        ["programme", "districts", "run by"],
        [[p.programme, str(p.count), ", ".join(with_years(n, ys) for n, ys in p.districts)]
         for p in result.programmes])
    overlaps = format_rows(
        ["district", "district", "shared", "jaccard", "programmes"],
        [[o.a, o.b, str(len(o.shared)), f"{o.jaccard:.2f}", ", ".join(o.shared)] for o in result.overlaps])
    return f"{programmes}\n\n{overlaps}"


def find_cjk_font(font: str | Path | None = None) -> str:
    """The family name of an installed font that shows Chinese, registered with matplotlib.

    Args:
        font: a font file to use instead of searching.

    Raises:
        KGError: ``font`` is not a readable font file, or no such font is installed.
    """
    from matplotlib import font_manager  # noqa: PLC0415 - matplotlib is only needed for pictures

    manager = font_manager.fontManager
    if font is not None:
        try:
            manager.addfont(str(font))
            return font_manager.FontProperties(fname=str(font)).get_name()
        except (OSError, RuntimeError, ValueError) as err:
            raise KGError(f"{font}: not a font file matplotlib can read ({err}); {_INSTALL_HINT}") from err
    families = {f.name for f in manager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in families:
            return family
    # matplotlib caches the font list; a font installed after the cache was made is not in it.
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "").replace("_", "") for hint in _CJK_FILE_HINTS):
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    families = {f.name for f in manager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in families:
            return family
    raise KGError(f"no font that shows Chinese found (tried {', '.join(CJK_FONT_FAMILIES[:6])} …); "
                  f"{_INSTALL_HINT}")


def draw_matrix(result: SharedProgrammes, png_path: str | Path, *, font: str | Path | None = None,
                all_programmes: bool = False) -> Path:
    """Draw the district × programme matrix as a PNG, written atomically.

    Rows are districts, columns programmes (those run by ≥ 2 districts, or all
    with ``all_programmes``); a filled cell means the district runs the
    programme and shows the report years.

    Args:
        result: from :func:`shared_programmes`.
        png_path: where to write the picture; its folder is created.
        font: a font file that shows Chinese (searched for when not given).
        all_programmes: include programmes run by one district only.

    Returns:
        The path written.

    Raises:
        KGError: matplotlib is missing, no Chinese font is found, or nothing to draw.
    """
    try:
        from matplotlib import rc_context  # noqa: PLC0415
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError as err:
        raise KGError("drawing the matrix needs matplotlib; install it with `pip install matplotlib`") from err
    from kg.export import atomic_write  # noqa: PLC0415

    runs = dict(result.runs)
    if all_programmes:
        columns = sorted({p for progs in runs.values() for p in progs},
                         key=lambda p: (-sum(p in progs for progs in runs.values()), p))
    else:
        columns = [p.programme for p in result.programmes]
    rows = [d for d in result.districts if any(p in runs[d] for p in columns)]
    if not columns or not rows:
        raise KGError("no programme is run by more than one district, so there is no matrix to draw; "
                      "pass all_programmes=True (--all) to draw every programme")
    years = {(name, programme): ys for name, programme, ys in result.years}
    family = find_cjk_font(font)
    matrix = [[1.0 if p in runs[d] else 0.0 for p in columns] for d in rows]

    with rc_context({"font.family": [family], "font.sans-serif": [family], "axes.unicode_minus": False}):
        fig = Figure(figsize=(max(4.0, 1.1 * len(columns) + 2.0), max(2.5, 0.45 * len(rows) + 1.8)), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.6, aspect="auto")
        ax.set_xticks(range(len(columns)), labels=columns, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(rows)), labels=rows)
        ax.set_xticks([x - 0.5 for x in range(1, len(columns))], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
        for i, d in enumerate(rows):
            for j, p in enumerate(columns):
                if years.get((d, p)):
                    ax.text(j, i, "\n".join(map(str, years[(d, p)])), ha="center", va="center",
                            fontsize=8, color="white")
        ax.set_title("区县 × 项目：共同开展的项目" if not all_programmes else "区县 × 项目")
        fig.tight_layout()
        path = Path(png_path)
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png")
    return path
