"""Time `kg site` on the ≈ 1 M-triple graph of bench/query_speed.py and weigh what the pages load.

Usage: .venv/bin/python bench/site_speed.py [--reports N] [--keep DIR] [--no-browser]

Prints the seconds `kg site` takes (graph loading included), the bytes the
home page loads in all (the page, its styles and scripts, ECharts, the map and
its data; the search index, loaded when the search box is first used, is given
apart), the largest entity page, and — in Debian's Chromium, driven by
Playwright as the tests do — how long a search takes in the page (median of a
set of queries, after the index has loaded). Targets: < 60 s, < 3 MB, < 300 KB,
< 100 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from query_speed import synthetic  # noqa: E402

from kg.graph import build_graph  # noqa: E402
from kg.site import write_site  # noqa: E402

QUERIES = ["枫桥", "楓橋經驗", "八五普法", "专项行动", "司法局", "人民法院", "城关区", "先进集体", "法治", "三调联动"]


def home_bytes(site: Path) -> tuple[int, int]:
    """Bytes of index.html and everything it loads with src/href (stylesheet, scripts), and of the search index."""
    page = site / "index.html"
    html = page.read_text(encoding="utf-8")
    loaded = set(re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"#]+)"', html))
    total = page.stat().st_size + sum((site / rel).stat().st_size for rel in loaded)
    return total, (site / "data" / "search.js").stat().st_size


def largest_page(site: Path) -> tuple[int, str]:
    sizes = [(p.stat().st_size, str(p.relative_to(site)))
             for kind in ("district", "programme", "honour", "agency") for p in (site / kind).glob("*.html")]
    return max(sizes)


def browser_search_ms(site: Path) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        page = browser.new_page()
        page.goto((site / "index.html").resolve().as_uri())
        page.focus("#q")
        page.keyboard.type("枫")
        page.wait_for_function("window.LGKG_SEARCH !== undefined")
        page.wait_for_selector("#results li")
        # The browser's clock is coarse: time 20 runs of each query and divide.
        times = page.evaluate("""(queries) => queries.map(q => {
            const t = performance.now();
            for (let i = 0; i < 20; i++) lgkgSearch(q, 20);
            return (performance.now() - t) / 20; })""", QUERIES)
        browser.close()
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=6000)
    parser.add_argument("--keep", type=Path, help="write the graph and the site here and keep them")
    parser.add_argument("--no-browser", action="store_true", help="skip the search timing in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        graph = build_graph(synthetic(args.reports))
        triples = len(graph)
        graph.serialize(folder / "graph.nt", format="nt", encoding="utf-8")
        del graph
        started = time.perf_counter()
        summary = write_site(folder / "graph.nt", folder / "site")
        seconds = time.perf_counter() - started
        site = folder / "site"
        home, search = home_bytes(site)
        size, name = largest_page(site)
        print(f"graph: {args.reports} reports, {triples:,} triples")
        print(f"kg site: {seconds:.1f} s (target < 60 s), {summary['pages']:,} pages, "
              f"{summary['bytes'] / 1e6:.1f} MB written")
        print(f"home page: {home / 1e6:.2f} MB loaded in all (target < 3 MB); "
              f"search index {search / 1e6:.2f} MB more on first search")
        print(f"largest entity page: {size / 1e3:.0f} KB, {name} (target < 300 KB)")
        if not args.no_browser:
            median, slowest = browser_search_ms(site)
            print(f"search in Chromium: {median:.2f} ms median, {slowest:.2f} ms slowest of {len(QUERIES)} queries "
                  "(target < 100 ms)")
        ok = seconds < 60 and home < 3e6 and size < 300e3
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
