"""Time each shipped query, and `kg panel`, on a generated graph of the shape `kg build` writes.

Usage: .venv/bin/python bench/query_speed.py [--reports N]   (default 6,000 reports, ≈ 1 M triples)

The graph is built by the project's own graph stage (kg.graph.build_graph)
from synthetic extraction records: real county codes from the division data,
a pool of programme, agency and honour names, participations and awards with
evidence. It is loaded into Oxigraph as `kg query` does, and every shipped
query is run with a typical binding (the two adoption queries with each of
their bindings); the table gives the seconds of each. The full listing of
`participations` with nothing bound is timed apart. Then `kg panel` is timed
as the command runs it, from the graph file to the written panel, for the
long panel (CSV and Parquet), the wide one, and Stata for one programme.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from kg.divisions import gazetteer
from kg.graph import build_graph
from kg.panel import panel
from kg.query import list_queries, open_store, resolve_query, run_query
from kg.types import Extraction, Mention, Metadata, Relation


def synthetic(n_reports: int, seed: int = 7) -> list[Extraction]:
    rng = random.Random(seed)
    gaz = gazetteer()
    counties = sorted((d for d in gaz.by_code.values() if d.level == "county"), key=lambda d: d.code)
    programmes = [f"专项行动{i:03d}" for i in range(400)] + ["八五普法", "枫桥经验", "三调联动", "法治体检"]
    honours = [f"全省先进集体{i:03d}" for i in range(200)]
    out = []
    for i in range(n_reports):
        county = counties[i % len(counties)]
        year = 2015 + i % 10
        agencies = [f"{county.name}{head}" for head in ("司法局", "人民法院", "人民检察院", "政府", "委")]
        progs = rng.sample(programmes, 15)
        mentions = [Mention("agency", a, a, a, 0, len(a), "", county.name) for a in agencies]
        mentions += [Mention("programme", p, p, p, 0, len(p)) for p in progs]
        mentions += [Mention("honour", h, h, h, 0, len(h)) for h in rng.sample(honours, 3)]
        relations = [Relation("runs", "place", county.name, p, f"深入推进{p}。", 10 * k, 10 * k + 8,
                              original_start=10 * k, original_end=10 * k + 8) for k, p in enumerate(progs)]
        relations += [Relation("awarded", "agency", agencies[0], m.canonical, f"获评{m.canonical}。", 500 + k, 520 + k,
                               year=year, original_start=500 + k, original_end=520 + k)
                      for k, m in enumerate(mentions[-3:])]
        out.append(Extraction(f"corpus/{county.code}-{year}-{i}.txt", str(i), "utf-8", "simplified",
                              Metadata(title=f"{county.name}{year}年法治政府建设年度报告", year=year, district=county),
                              tuple(mentions), tuple(relations)))
    return out


ADOPTION_BINDINGS = [{"programme": "八五普法"}, {"province": "浙江省"}, {"programme": "八五普法", "province": "浙江省"}]
BINDINGS = {
    "programmes-by-district": [{"district": "镇海区"}],
    "districts-by-programme": [{"programme": "八五普法"}],
    "honours-by-district": [{"district": "镇海区"}],
    "agencies-by-district": [{"district": "镇海区"}],
    "participations": [{"province": "浙江省"}],
    "first-adoptions": ADOPTION_BINDINGS,
    "adoption-by-year": ADOPTION_BINDINGS,
}
#: The panels timed: (what, file name, options of kg.panel.panel).
PANELS = [
    ("long", "panel.csv", {}),
    ("long", "panel.parquet", {}),
    ("wide", "wide.parquet", {"wide": True}),
    ("long, 八五普法", "panel.dta", {"programmes": ["八五普法"]}),
]
# Stata's strings are fixed-width, so the whole long panel as .dta is large (600 MB here) and slow to write: not timed.


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=6000)
    args = parser.parse_args()
    started = time.perf_counter()
    graph = build_graph(synthetic(args.reports))
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        triples = len(graph)
        del graph
        started = time.perf_counter()
        store = open_store(path)
        loaded = time.perf_counter() - started
        print(f"graph: {args.reports} reports, {triples:,} triples (built in {built:.1f} s, loaded in {loaded:.1f} s)")
        print(f"{'query':28} {'bound':34} {'rows':>7} {'seconds':>8}")
        worst = 0.0
        for name in list_queries():
            for bindings in BINDINGS.get(name, [{}]):
                started = time.perf_counter()
                _, rows = run_query(store, resolve_query(name), bindings)
                seconds = time.perf_counter() - started
                worst = max(worst, seconds)
                bound = ", ".join(f"{k}={v}" for k, v in bindings.items()) or "-"
                print(f"{name:28} {bound:34} {len(rows):>7} {seconds:>8.3f}")
        started = time.perf_counter()
        _, rows = run_query(store, resolve_query("participations"), {})
        print(f"(participations with nothing bound lists every row: {len(rows):,} rows in "
              f"{time.perf_counter() - started:.2f} s; not a question but a dump)")
        print(f"target: every query under 1 s on ≥ 1 M triples: {'met' if worst < 1 and triples >= 1e6 else 'NOT met'}")
        del store
        print(f"\n{'kg panel (graph file → panel)':32} {'rows':>10} {'MB':>7} {'seconds':>8}")
        slowest = 0.0
        for what, name, options in PANELS:
            started = time.perf_counter()
            frame, _ = panel(path, Path(tmp) / name, **options)
            seconds = time.perf_counter() - started
            slowest = max(slowest, seconds)
            size = (Path(tmp) / name).stat().st_size / 1e6
            print(f"{what + ' → ' + name:32} {len(frame):>10,} {size:>7.1f} {seconds:>8.2f}")
        met = slowest < 10 and triples >= 1e6
        print(f"target: kg panel under 10 s on ≥ 1 M triples: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
