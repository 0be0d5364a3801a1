"""How one programme spread: adopters per year, nationally and per province, and who came first.

A district adopts a programme in the first year one of its own reports names
it as run (:mod:`kg.panel` says exactly when that is). For each year from the
first to the last report year in the graph, a curve counts the districts with
a report that year, the new adopters and all adopters so far, and their share
among the districts with reports (in any year) of its scope: the country, or
one province. The first adopters are the districts of the earliest year, with
the report and the sentence that name the programme.

Example:
    >>> result = diffusion(load_adoptions(open_store("out/graph.ttl")), "八五普法")
    >>> print(format_diffusion(result))
    >>> draw_curves(result, "diffusion.png")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from kg.errors import KGError
from kg.panel import Adoptions, District, check_filters
from kg.query import format_rows

__all__ = [
    "NATIONAL",
    "Adopter",
    "YearRow",
    "Curve",
    "Diffusion",
    "diffusion",
    "format_diffusion",
    "diffusion_json",
    "draw_curves",
]

#: The scope of the national curve.
NATIONAL = "全国"


@dataclass(frozen=True, order=True)
class Adopter:
    """A district's first mention of the programme.

    Attributes:
        year: the year of that report.
        adcode, district, city, province: the district.
        report: the report's IRI.
        evidence: the sentence that names the programme.
    """

    year: int
    adcode: str
    district: str
    city: str
    province: str
    report: str
    evidence: str


@dataclass(frozen=True)
class YearRow:
    """One year of a curve.

    Attributes:
        year: the year.
        reporting: districts of the scope with a report that year.
        new: districts whose first mention is that year.
        adopters: districts whose first mention is that year or before.
        share: ``adopters`` among the scope's districts with reports (0 to 1).
    """

    year: int
    reporting: int
    new: int
    adopters: int
    share: float


@dataclass(frozen=True)
class Curve:
    """The cumulative adoption of a scope: the country or one province.

    Attributes:
        scope: :data:`NATIONAL` or the province's name.
        districts: the scope's districts with reports.
        years: one row per year, the same years for every scope.
        first: the scope's earliest adopters (all of the earliest year), in code order.
    """

    scope: str
    districts: int
    years: tuple[YearRow, ...]
    first: tuple[Adopter, ...]

    @property
    def adopters(self) -> int:
        """Districts that adopted by the last year."""
        return self.years[-1].adopters if self.years else 0

    @property
    def first_year(self) -> int | None:
        """The year of the first adoption, or ``None``."""
        return self.first[0].year if self.first else None


@dataclass(frozen=True)
class Diffusion:
    """What :func:`diffusion` found for one programme.

    Attributes:
        programme: its canonical name.
        national: the national curve.
        provinces: one curve per province with reporting districts, in order of
            first adoption (never last), then name.
        adopters: every adopter, by year and code.
    """

    programme: str
    national: Curve
    provinces: tuple[Curve, ...]
    adopters: tuple[Adopter, ...]


def _curve(scope: str, districts: list[District], adopters: list[Adopter], years: range,
           reporting: dict[int, set[str]]) -> Curve:
    iris = {d.iri for d in districts}
    new: dict[int, int] = defaultdict(int)
    for a in adopters:
        new[a.year] += 1
    rows, total = [], 0
    for year in years:
        total += new[year]
        rows.append(YearRow(year, len(reporting[year] & iris), new[year], total,
                            total / len(districts) if districts else 0.0))
    earliest = min((a.year for a in adopters), default=None)
    return Curve(scope, len(districts), tuple(rows),
                 tuple(sorted((a for a in adopters if a.year == earliest), key=lambda a: (a.adcode, a.district))))


def diffusion(adoptions: Adoptions, programme: str) -> Diffusion:
    """The adoption of ``programme`` by year, nationally and per province, and its first adopters.

    Args:
        adoptions: from :func:`kg.panel.load_adoptions`.
        programme: a programme's canonical name.

    Raises:
        KGError: no district's reports name ``programme`` (with the closest name that they do).

    Example:
        >>> [(r.year, r.adopters) for r in diffusion(adoptions, "八五普法").national.years]
        [(2021, 1), (2022, 2), (2023, 3)]
    """
    check_filters(adoptions, programmes=[programme])
    report_years = sorted({year for _, year in adoptions.reports})
    years = range(report_years[0], report_years[-1] + 1) if report_years else range(0)
    reporting: dict[int, set[str]] = defaultdict(set)
    for place, year in adoptions.reports:
        reporting[year].add(place)
    adopters = sorted(
        Adopter(m.year, d.adcode, d.name, d.city, d.province, m.report, m.evidence)
        for d in adoptions.districts if (m := adoptions.first.get((d.iri, programme))))
    by_province: dict[str, list[District]] = defaultdict(list)
    for d in adoptions.districts:
        if d.province:
            by_province[d.province].append(d)
    provinces = [_curve(name, members, [a for a in adopters if a.province == name], years, reporting)
                 for name, members in by_province.items()]
    provinces.sort(key=lambda c: (c.first_year is None, c.first_year or 0, c.scope))
    return Diffusion(programme, _curve(NATIONAL, list(adoptions.districts), adopters, years, reporting),
                     tuple(provinces), tuple(adopters))


def _clip(text: str, most: int = 60) -> str:
    """A sentence cut to ``most`` characters for a table (the JSON keeps it whole)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def format_diffusion(result: Diffusion) -> str:
    """The result as text: the national years, the first adopters, and the provinces.

    Sentences longer than 60 characters are cut (:func:`diffusion_json` has them whole).

    Example:
        >>> print(format_diffusion(result))
        八五普法: adopted by 3 of 5 districts with reports (60.0%), first in 2021
        …
    """
    national = result.national
    head = (f"{result.programme}: adopted by {national.adopters} of {national.districts} districts with reports "
            f"({_percent(national.years[-1].share if national.years else 0.0)}), first in {national.first_year}")
    years = format_rows(["year", "reporting", "new", "adopters", "share"],
                        [[str(r.year), str(r.reporting), str(r.new), str(r.adopters), _percent(r.share)]
                         for r in national.years])
    first = format_rows(["year", "district", "adcode", "province", "report", "evidence"],
                        [[str(a.year), a.district, a.adcode, a.province, a.report, _clip(a.evidence)]
                         for a in national.first])
    shown = [r.year for r in national.years]
    provinces = format_rows(
        ["province", "districts", "adopters", "first", "first adopters", *map(str, shown)],
        [[c.scope, str(c.districts), str(c.adopters), str(c.first_year or ""),
          ", ".join(a.district for a in c.first), *(_percent(r.share) for r in c.years)]
         for c in result.provinces])
    first_by_province = format_rows(
        ["province", "year", "district", "evidence"],
        [[c.scope, str(a.year), a.district, _clip(a.evidence)] for c in result.provinces for a in c.first])
    return (f"{head}\n\n{years}\n\nfirst adopters\n{first}\n\nby province (cumulative share of the districts "
            f"with reports)\n{provinces}\n\nfirst adopters by province\n{first_by_province}")


def diffusion_json(result: Diffusion) -> dict[str, object]:
    """The result as plain JSON-ready data."""
    return asdict(result)


def _styles(n: int) -> list[tuple[tuple[float, ...], str, str]]:
    """``n`` (colour, line style, marker) triples that stay apart with 31 provinces.

    Ten strong colours with solid lines for the first ten (the legend's top),
    then twenty more dashed and twenty more dotted; the markers cycle on
    another period, so no two lines share all three.
    """
    from matplotlib import colormaps  # noqa: PLC0415

    palette = ([(colormaps["tab10"](i), "-") for i in range(10)] + [(colormaps["tab20b"](i), "--") for i in range(20)]
               + [(colormaps["tab20c"](i), ":") for i in range(20)])
    markers = "os^Dv<>PX"
    return [(*palette[i % len(palette)], markers[i % len(markers)]) for i in range(n)]


def draw_curves(result: Diffusion, png_path: str | Path, *, font: str | Path | None = None,
                size: tuple[int, int] = (1400, 800), provinces: Iterable[str] = ()) -> Path:
    """Draw the cumulative adoption curves as a PNG, written atomically.

    One line per province (its share of districts with reports that had
    adopted by each year), the national curve thick and black on top, and a
    legend outside the plot ordered by the last year's share, each province
    with its adopters and districts; colour, dash and marker together keep
    31 provinces apart.

    Args:
        result: from :func:`diffusion`.
        png_path: where to write the picture; its folder is created.
        font: a font file that shows Chinese (searched for when not given, as
            :func:`kg.shared.find_cjk_font` does).
        size: width and height in pixels.
        provinces: draw only these provinces (all when empty).

    Returns:
        The path written.

    Raises:
        KGError: matplotlib is missing, no Chinese font is found, or no year to draw.
    """
    try:
        from matplotlib import rc_context  # noqa: PLC0415
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
        from matplotlib.ticker import PercentFormatter  # noqa: PLC0415
    except ImportError as err:
        raise KGError("drawing the curves needs matplotlib; install it with `pip install matplotlib`") from err
    from kg.export import atomic_write  # noqa: PLC0415
    from kg.shared import find_cjk_font  # noqa: PLC0415

    if not result.national.years:
        raise KGError("the graph has no dated report, so there is no year to draw; build reports whose year "
                      "is known (lgkg:reportYear)")
    wanted = set(provinces)
    curves = sorted((c for c in result.provinces if not wanted or c.scope in wanted),
                    key=lambda c: (-c.years[-1].share, c.first_year or 9999, c.scope))
    family = find_cjk_font(font)
    dpi = 100
    with rc_context({"font.family": [family], "font.sans-serif": [family], "axes.unicode_minus": False}):
        fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        years = [r.year for r in result.national.years]
        for curve, (colour, style, marker) in zip(curves, _styles(len(curves)), strict=True):
            ax.plot(years, [r.share for r in curve.years], color=colour, linestyle=style, marker=marker,
                    markersize=3.5, linewidth=1.2, alpha=0.9, label=f"{curve.scope} {curve.adopters}/{curve.districts}")
        national = result.national
        ax.plot(years, [r.share for r in national.years], color="black", linewidth=3.2, marker="o",
                markersize=5, zorder=10, label=f"{NATIONAL} {national.adopters}/{national.districts}")
        handles, labels = ax.get_legend_handles_labels()
        handles, labels = handles[-1:] + handles[:-1], labels[-1:] + labels[:-1]  # the nation first
        columns = 1 if len(labels) <= 18 else 2
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=columns, fontsize=8,
                  frameon=False, title="省份 采纳/有报告区县", title_fontsize=9)
        ax.set_xticks(years, labels=[str(y) for y in years])
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_xlabel("报告年度")
        ax.set_ylabel("累计采纳比例（有报告的区县）")
        ax.set_title(f"{result.programme}：累计采纳曲线")
        fig.subplots_adjust(left=0.07, bottom=0.09, top=0.93, right=0.80 if columns == 1 else 0.68)
        path = Path(png_path)
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
    return path
