"""The ``kg`` command: parses arguments, calls one library function, prints.

Exit status 0 on success; 2 with a one-line ``kg: …`` message on stderr for
bad input.
"""

from __future__ import annotations

import argparse
import json
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
                   validate=args.validate)
    print(f"kg: {report['documents']} documents ({report['from_cache']} from cache), "
          f"{len(report['skipped'])} skipped, districts resolved {report['districts_resolved']}/"
          f"{report['documents']}, {report['triples']} triples in {report['seconds']} s → {args.output}",
          file=sys.stderr)
    for skip in report["skipped"]:
        print(f"kg: skipped {skip['source']}: {skip['reason']}", file=sys.stderr)
    for source in report["unresolved"]:
        print(f"kg: no district resolved for {source}", file=sys.stderr)
    if "shacl" in report:
        print(f"kg: SHACL: {'conforms' if report['shacl']['conforms'] else 'does NOT conform (see report.json)'}",
              file=sys.stderr)
    return 0 if report.get("shacl", {}).get("conforms", True) else 1


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
    b.set_defaults(func=_cmd_build)

    e = sub.add_parser("evaluate", help="score a graph against gold files")
    e.add_argument("gold", help="folder of gold JSON files (gold/GUIDELINE.md)")
    e.add_argument("graph", help="graph.ttl written by kg build")
    e.add_argument("-v", "--verbose", action="store_true", help="misses and false hits per document")
    e.add_argument("--json", metavar="FILE", help="also write the scores as JSON")
    e.set_defaults(func=_cmd_evaluate)
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


if __name__ == "__main__":
    sys.exit(main())
