"""District and year resolution on the dev reports: prints the share right.

Usage: .venv/bin/python bench/dev_districts.py [DEV_DIR]   (default ../shared/dev)

DEV_DIR holds docs/*.txt and index.jsonl with each document's district,
city, province and year. The script builds the folder with `kg build` into a
temporary folder and compares the resolved district (name and city) and year.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from kg.build import build
from kg.divisions import gazetteer


def main(dev: Path) -> int:
    want = {r["doc"]: r for r in map(json.loads, (dev / "index.jsonl").read_text(encoding="utf-8").splitlines())}
    gaz = gazetteer()
    with tempfile.TemporaryDirectory() as out:
        report = build([dev / "docs"], out, quiet=True)
    got = {Path(r["source"]).stem: r for r in report["reports"]}
    district_ok = year_ok = 0
    for doc, row in sorted(want.items()):
        r = got.get(doc, {})
        div = gaz.by_code.get(r.get("adcode") or "")
        city = gaz.parent(div) if div else None
        ok = div is not None and div.name == row["district"] and city is not None and city.name == row["city"]
        district_ok += ok
        year_ok += r.get("year") == row["year"]
        if not ok or r.get("year") != row["year"]:
            print(f"{doc}: want {row['district']} ({row['city']}) {row['year']}; "
                  f"got {div.name if div else None} ({city.name if city else None}) {r.get('year')}")
    n = len(want)
    print(f"district right (name and city): {district_ok}/{n} = {district_ok / n:.1%}")
    print(f"year right: {year_ok}/{n} = {year_ok / n:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "dev"))
