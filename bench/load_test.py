"""Load on the endpoint: 50 concurrent clients × 20 queries on the graph of the seeds.

Builds the seeds (or takes a graph given as the first argument), starts
``kg serve`` on a free port of 127.0.0.1, lets 50 clients each run the
shipped queries 20 times in turn over a keep-alive connection, checks every
answer against the same query run directly on the graph, prints p50/p99
latency, and stops the server.

    .venv/bin/python bench/load_test.py [GRAPH] [--clients 50] [--queries 20] [--workers N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.query import list_queries, open_store, resolve_query, run_query  # noqa: E402
from kg.serve import DEFAULT_WORKERS, make_server  # noqa: E402


def expected_answers(graph: Path) -> dict[str, list[list[str]]]:
    """Each shipped query's rows, run in this process: what every answer must equal."""
    store = open_store(graph)
    return {name: sorted(run_query(store, resolve_query(name))[1]) for name in list_queries()}


def rows_of(body: bytes) -> list[list[str]]:
    data = json.loads(body)
    names = data["head"]["vars"]
    return sorted([[b[n]["value"] if n in b else "" for n in names] for b in data["results"]["bindings"]])


def client(port: int, jobs: list[str], expected: dict[str, list[list[str]]],
           latencies: list[float], failures: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for name in jobs:
            start = time.perf_counter()
            conn.request("GET", f"/query?{urlencode({'query': resolve_query(name)})}",
                         headers={"Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - start)
            if response.status != 200:
                failures.append(f"{name}: HTTP {response.status} {body[:200]!r}")
            elif rows_of(body) != expected[name]:
                failures.append(f"{name}: the answer differs from the query run directly")
    except (OSError, http.client.HTTPException) as err:
        failures.append(f"connection: {err}")
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", nargs="?", help="graph.ttl (default: build seeds/ into a temporary folder)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--queries", type=int, default=20, help="queries per client")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="query worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.graph:
            graph = Path(args.graph)
        else:
            from kg.build import build  # noqa: PLC0415

            build([ROOT / "seeds"], tmp, jobs=1, quiet=True)
            graph = Path(tmp) / "graph.ttl"
        expected = expected_answers(graph)
        names = sorted(expected)
        server = make_server(graph, port=0, quiet=True, workers=args.workers)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        latencies: list[float] = []
        failures: list[str] = []
        try:
            clients = [threading.Thread(target=client, args=(
                server.server_port, [names[(c + i) % len(names)] for i in range(args.queries)],
                expected, latencies, failures)) for c in range(args.clients)]
            start = time.perf_counter()
            for t in clients:
                t.start()
            for t in clients:
                t.join()
            wall = time.perf_counter() - start
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    total = args.clients * args.queries
    ms = sorted(1000 * x for x in latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else float("nan")
    print(f"{args.clients} clients × {args.queries} queries ({len(names)} shipped queries in turn), "
          f"{args.workers} workers: {len(latencies)}/{total} answered, {len(failures)} wrong or failed, "
          f"{wall:.1f} s, {len(latencies) / wall:.0f} queries/s; "
          f"latency p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms")
    for failure in failures[:10]:
        print(f"  {failure}", file=sys.stderr)
    return 0 if not failures and len(latencies) == total else 1


if __name__ == "__main__":
    sys.exit(main())
