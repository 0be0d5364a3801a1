"""The ``kg`` command: parses arguments, calls one library function, prints.

Exit status 0 on success; 2 with a one-line ``kg: …`` message on stderr for
bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kg import __version__
from kg.errors import KGError

FORMATS = ("nt", "jsonld", "gexf", "csv")

__all__ = ["main"]


def _cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build  # noqa: PLC0415 - keep `kg --help` fast

    report = build(args.paths, args.output, jobs=args.jobs, config=args.config,
                   use_cache=not args.no_cache, quiet=args.quiet, formats=args.format or (),
                   validate=args.validate, engine=args.engine, scheduler=args.scheduler, store=args.store,
                   **({} if args.max_chars is None else {"max_chars": args.max_chars or None}))
    print(f"kg: {report['documents']} documents ({report['from_cache']} from cache), "
          f"{len(report['skipped'])} skipped, districts resolved {report['districts_resolved']}/"
          f"{report['documents']}, {report['triples']} triples in {report['seconds']} s → {args.output}",
          file=sys.stderr)
    _listed([f"skipped {s['source']}: {s['reason']}" for s in report["skipped"]], args.output)
    _listed([f"no district resolved for {source}" for source in report["unresolved"]], args.output)
    _listed([f"{u['kind']} relation {u['subject']} → {u['object']} in {u['source']} not linked: no {u['missing']} node"
             for u in report.get("unlinked_relations", [])], args.output)
    _listed([f"warning: {warning}" for warning in report["warnings"]], args.output)
    if "shacl" in report:
        print(f"kg: SHACL: {'conforms' if report['shacl']['conforms'] else 'does NOT conform (see report.json)'}",
              file=sys.stderr)
    return 0 if report.get("shacl", {}).get("conforms", True) else 1


def _listed(lines: list[str], output: str, *, most: int = 10) -> None:
    """Print the first ``most`` lines on stderr and say where the rest are."""
    for line in lines[:most]:
        print(f"kg: {line}", file=sys.stderr)
    if len(lines) > most:
        print(f"kg: … and {len(lines) - most} more like these in {output}/report.json", file=sys.stderr)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from kg.evaluate import evaluate, format_table, format_verbose, scores_to_json  # noqa: PLC0415
    from kg.export import write_json  # noqa: PLC0415

    scores = evaluate(args.gold, args.graph)
    print(format_table(scores))
    if args.verbose:
        print(format_verbose(scores))
    if args.json:
        write_json(scores_to_json(scores), args.json)
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from kg.errors import QueryError  # noqa: PLC0415
    from kg.query import Limits, format_rows, list_queries, query_graph  # noqa: PLC0415

    if args.query is None:
        for name, about in list_queries().items():
            print(f"{name:26} {about}")
        return 0
    bindings = {}
    for item in args.bind or ():
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise QueryError(f"--bind takes NAME=VALUE, got {item!r}")
        bindings[name.lstrip("?$")] = value
    limits = Limits(timeout=args.timeout, max_rows=args.max_rows, memory_mb=args.max_memory)
    text = format_rows(*query_graph(args.graph, args.query, bindings, limits=limits), args.format)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _cmd_shared(args: argparse.Namespace) -> int:
    from kg.query import open_store  # noqa: PLC0415
    from kg.shared import draw_matrix, format_shared, shared_programmes  # noqa: PLC0415

    result = shared_programmes(open_store(args.graph))
    print(format_shared(result))
    if args.png:
        path = draw_matrix(result, args.png, font=args.font, all_programmes=args.all)
        print(f"kg: matrix drawn to {path}", file=sys.stderr)
    return 0


def _cmd_panel(args: argparse.Namespace) -> int:
    from kg.panel import panel  # noqa: PLC0415

    frame, adoptions = panel(args.graph, args.output, programmes=args.programme or (),
                             provinces=args.province or (), wide=args.wide)
    print(f"kg: panel of {len(frame)} rows × {len(frame.columns)} columns ({len(adoptions.districts)} districts "
          f"with dated reports, {len(adoptions.programmes)} programmes named) → {args.output}", file=sys.stderr)
    if adoptions.undated:
        print(f"kg: {adoptions.undated} reports without a year or a reporting district are not in the panel",
              file=sys.stderr)
    return 0


def _cmd_diffusion(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from kg.diffusion import diffusion, diffusion_json, draw_curves, format_diffusion  # noqa: PLC0415
    from kg.panel import load_adoptions  # noqa: PLC0415
    from kg.query import open_store  # noqa: PLC0415

    result = diffusion(load_adoptions(open_store(args.graph)), args.programme)
    if args.format == "json":
        print(json.dumps(diffusion_json(result), ensure_ascii=False, indent=2))
    else:
        print(format_diffusion(result))
    if args.png:
        path = draw_curves(result, args.png, font=args.font)
        print(f"kg: adoption curves drawn to {path}", file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from kg.query import Limits  # noqa: PLC0415
    from kg.serve import is_loopback, serve  # noqa: PLC0415

    if not is_loopback(args.host):
        print(f"kg: warning: listening on {args.host} makes the endpoint reachable by other machines, with no "
              "authentication or TLS; keep 127.0.0.1 and put a reverse proxy in front (see the README)",
              file=sys.stderr)
    limits = Limits(timeout=args.timeout, max_rows=args.max_rows, memory_mb=args.max_memory)
    serve(args.graph, args.host, args.port, limits=limits, workers=args.workers, quiet=args.quiet,
          on_ready=lambda url: print(f"kg: serving {url} (read-only; Ctrl-C stops)", file=sys.stderr))
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    from kg.site import write_site  # noqa: PLC0415

    summary = write_site(args.graph, args.output, map_tolerance=args.map_tolerance)
    print(f"kg: {summary['pages']} pages, {summary['bytes'] / 1e6:.1f} MB in {summary['seconds']} s → "
          f"{summary['output']}/index.html ({summary['on_map']} reporting districts on the map)", file=sys.stderr)
    off = summary["off_map"]
    if off:
        print(f"kg: {len(off)} reporting districts not on the map (their codes are not in the map data): "
              f"{'、'.join(off[:10])}{' …' if len(off) > 10 else ''}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kg`` command."""
    p = argparse.ArgumentParser(prog="kg", description="Knowledge graphs of legal-governance entities "
                                "from Chinese county rule-of-law reports.")
    p.add_argument("--version", action="version", version=f"lgkg {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the graph of reports in files and folders")
    b.add_argument("paths", nargs="+", help="files and folders (.txt, .md, .html, .htm)")
    b.add_argument("-o", "--output", required=True, help="output folder")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--config", default=None, help="pipeline config (default: pipelines/lgkg.cfg)")
    b.add_argument("--no-cache", action="store_true", help="re-extract every file")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.add_argument("--format", action="append", choices=FORMATS,
                   help="also write this format (repeatable): nt, jsonld, gexf, csv")
    b.add_argument("--validate", action="store_true", help="check the graph against ontology/shapes.ttl")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: --jobs processes (default); dask: a Dask cluster (see `python -m pydoc kg.engines`)")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: a running scheduler, e.g. tcp://host:8786 (default: a local cluster)")
    b.add_argument("--store", action="store_true", help="also write an Oxigraph store to OUTDIR/store")
    b.add_argument("--max-chars", type=int, metavar="N",
                   help="skip documents longer than N characters (default: 1000000; 0: no limit)")
    b.set_defaults(func=_cmd_build)
    # A mistyped option or value is one line too, like every other error of kg build.
    b.error = lambda message: b.exit(2, f"kg: build: {message}; see `kg build --help`\n")  # type: ignore[method-assign]

    e = sub.add_parser("evaluate", help="score a graph against gold files")
    e.add_argument("gold", help="folder of gold JSON files (gold/GUIDELINE.md)")
    e.add_argument("graph", help="graph.ttl written by kg build")
    e.add_argument("-v", "--verbose", action="store_true", help="misses and false hits per document")
    e.add_argument("--json", metavar="FILE", help="also write the scores as JSON")
    e.set_defaults(func=_cmd_evaluate)

    q = sub.add_parser("query", help="run a SPARQL query (text, @file.rq or a shipped query's name)")
    q.add_argument("graph", help="graph.ttl (or an Oxigraph store folder)")
    q.add_argument("query", nargs="?", help="the query; leave out to list the shipped queries")
    q.add_argument("--bind", action="append", metavar="NAME=VALUE", help="bind a variable (repeatable)")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="stop the query after this long")
    q.add_argument("--max-rows", type=int, default=100_000, metavar="N", help="refuse answers of more rows")
    q.add_argument("--max-memory", type=int, default=2048, metavar="MIB",
                   help="memory the query may use beyond the loaded graph")
    q.set_defaults(func=_cmd_query)

    s = sub.add_parser("shared-programmes", help="programmes run by more than one district")
    s.add_argument("graph", help="graph.ttl (or an Oxigraph store folder)")
    s.add_argument("--png", metavar="FILE", help="draw the district × programme matrix")
    s.add_argument("--all", action="store_true", help="draw every programme, not only shared ones")
    s.add_argument("--font", help="a CJK font family or file for --png")
    s.set_defaults(func=_cmd_shared)

    n = sub.add_parser("panel", help="the district × year × programme adoption panel")
    n.add_argument("graph", help="graph.ttl (or an Oxigraph store folder)")
    n.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.csv, FILE.parquet or FILE.dta")
    n.add_argument("--programme", action="append", help="only this programme (repeatable)")
    n.add_argument("--province", action="append", help="only this province's districts (repeatable)")
    n.add_argument("--wide", action="store_true", help="one row per district, first-adoption year per programme")
    n.set_defaults(func=_cmd_panel)

    f = sub.add_parser("diffusion", help="adopters of a programme per year and province, first adopters")
    f.add_argument("programme", help="the programme's canonical name, e.g. 八五普法")
    f.add_argument("graph", help="graph.ttl (or an Oxigraph store folder)")
    f.add_argument("--png", metavar="FILE", help="draw the cumulative adoption curves")
    f.add_argument("--font", help="a CJK font file for --png")
    f.add_argument("--format", choices=("table", "json"), default="table")
    f.set_defaults(func=_cmd_diffusion)

    v = sub.add_parser("serve", help="a read-only SPARQL endpoint on localhost")
    v.add_argument("graph", help="graph.ttl (or an Oxigraph store folder)")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    v.add_argument("--port", type=int, default=7878, help="port to listen on (default: 7878; 0: any free one)")
    v.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="stop a query after this long")
    v.add_argument("--max-rows", type=int, default=100_000, metavar="N", help="refuse answers of more rows")
    v.add_argument("--max-memory", type=int, default=2048, metavar="MIB",
                   help="memory a query may use beyond the loaded graph")
    v.add_argument("--workers", type=int, default=None, metavar="N",
                   help="query worker processes, each holding the graph (default: cores, at most 4)")
    v.add_argument("--quiet", action="store_true", help="no request log")
    v.set_defaults(func=_cmd_serve)

    t = sub.add_parser("site", help="a static, offline HTML explorer of the graph, with a county map")
    t.add_argument("graph", help="graph.ttl, a build folder, or an Oxigraph store folder")
    t.add_argument("-o", "--output", required=True, help="the site's folder (SITEDIR/index.html)")
    t.add_argument("--map-tolerance", type=float, default=0.015, metavar="DEGREES",
                   help="how far a simplified county boundary may stray (default: 0.015)")
    t.set_defaults(func=_cmd_site)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kg`` command; return its exit status."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KGError as err:
        print(f"kg: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kg: interrupted; earlier outputs are left whole", file=sys.stderr)
        return 130
    except BrokenPipeError:  # kg query … | head: the reader has what it wanted
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush stays quiet
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
