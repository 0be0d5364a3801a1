"""Build speed and memory: seeds ×1, ×4, ×16 and the law corpus, against the targets of issue 6.

Usage:
    .venv/bin/python bench/build_speed.py [--corpus PATH] [--limit N] [--jobs 2] [--repeats 1,4,16]
                                          [--stage-docs N] [--no-seeds] [--no-corpus]

(``make bench`` runs it with the defaults.) For each run the script

* times the real build: ``kg build INPUT -o OUT --jobs 2`` in a child
  process, sampling the resident memory of that process and all its workers
  together every 0.1 s (with psutil, which dask.distributed installs; without
  it, the largest single process is shown);
* times the stages one by one in this process: ingest, normalise, metadata,
  segment (pkuseg) and recognise (the rule components and linking) for each
  document (on the first ``--stage-docs`` documents when
  there are more), then graph and export over every document the build
  extracted (read back from its cache).

and prints a table per run, a summary table, and a last line with the targets:
≥ 50 k chars/s on the corpus with 2 cores; peak RSS ≤ 2.5 GB; chars/s at ×16
within 15 % of ×1; zero crashes (every file in the graph or in the report's
skips, none skipped for an exception).

``--corpus PATH`` (default ``../shared/corpus``, the 3,475 law texts) and
``--limit N`` (an evenly spaced sample of N of its files) allow a quick run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import kg.build
from kg.build import CACHE_DIR
from kg.divisions import gazetteer
from kg.export import write_graphml, write_turtle
from kg.extract import extract
from kg.graph import build_graph
from kg.ingest import iter_files, read_file
from kg.metadata import read_metadata
from kg.normalise import normalise
from kg.types import Extraction, Skip

try:
    import psutil
except ImportError:  # the figure falls back to the largest single process
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"
STAGES = ("ingest", "normalise", "metadata", "segment", "recognise", "graph", "export")
CRASHES = ("failed while processing", "the worker process died", "failed on a Dask worker")
GB = 1 << 30


@dataclass
class Run:
    """What one run measured."""

    name: str
    files: int = 0
    documents: int = 0
    skipped: int = 0
    crashes: int = 0
    missing: int = 0
    chars: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    rss: int = 0
    rss_note: str = "all processes"
    triples: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    stage_docs: int = 0

    @property
    def rate(self) -> float:
        return self.chars / self.wall if self.wall else 0.0

    def net_rate(self, startup: float) -> float:
        """Chars/s once the fixed start-up (spawning workers, loading models) is taken off."""
        return self.chars / (self.wall - startup) if self.wall > startup else 0.0


def tree_rss(proc) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(inputs: list[Path], out: Path, jobs: int) -> tuple[float, float, int, str]:
    """Run ``kg build`` in a child process.

    Returns:
        Wall seconds, CPU seconds of the build and all its workers, peak RSS in
        bytes, and how the RSS was measured.
    """
    cpu = _children_cpu()
    cmd = [sys.executable, "-m", "kg.cli", "build", *map(str, inputs), "-o", str(out), "--jobs", str(jobs), "-q"]
    log = out.parent / f"{out.name}.log"  # not a pipe: kg build says a line per unresolved file
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        child = subprocess.Popen(cmd, cwd=ROOT, stderr=fh)
        peak = 0
        if psutil is not None:
            proc = psutil.Process(child.pid)
            while child.poll() is None:
                try:
                    peak = max(peak, tree_rss(proc))
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.1)
        child.wait()
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if child.returncode != 0:
        sys.exit(f"bench: kg build failed ({child.returncode}); its messages are in {log}:\n"
                 + "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[:20]))
    if psutil is None:
        return wall, cpu, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, "largest process"
    return wall, cpu, peak, "all processes"


class Stages:
    """Times the stages one by one in this process, with the pipeline loaded once."""

    def __init__(self) -> None:
        self._nlp = None

    @property
    def nlp(self):
        if self._nlp is None:
            from kg.pipeline import load_pipeline  # noqa: PLC0415 - only when timing stages

            self._nlp = load_pipeline()
        return self._nlp

    def documents(self, files: list[Path], seconds: dict[str, float]) -> None:
        nlp = self.nlp
        for path in files:
            raw = _clock(seconds, "ingest", lambda: read_file(path))
            if isinstance(raw, Skip):
                continue
            doc = _clock(seconds, "normalise", lambda: normalise(raw))
            if not doc.text.strip():
                continue
            md = _clock(seconds, "metadata", lambda: read_metadata(doc.text))
            # extract() = segmentation (pkuseg, in make_doc) + the recognisers and linking; timed
            # apart by segmenting once more on its own and taking that from the whole.
            _clock(seconds, "segment", lambda: nlp.make_doc(doc.text))
            _clock(seconds, "extract", lambda: extract(doc, md, nlp))
        whole = seconds.pop("extract", 0.0)
        seconds["recognise"] = max(0.0, whole - seconds.get("segment", 0.0))

    @staticmethod
    def graph_and_export(extractions: list[Extraction], seconds: dict[str, float]) -> None:
        gaz = gazetteer()
        graph = _clock(seconds, "graph", lambda: build_graph(extractions, gaz=gaz))
        with tempfile.TemporaryDirectory() as tmp:
            _clock(seconds, "export", lambda: (write_turtle(graph, Path(tmp, "g.ttl")),
                                               write_graphml(graph, Path(tmp, "g.graphml"))))


def _clock(seconds: dict[str, float], stage: str, fn: Callable):
    started = time.perf_counter()
    result = fn()
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started
    return result


def cached_extractions(cache: Path, sources: list[str]) -> list[Extraction]:
    """The build's extractions, read back from its cache as a rebuild would."""
    found = (kg.build.cached(cache, Path(s))[0] for s in sources)
    return [ex for ex in found if ex is not None]


def measure(name: str, inputs: list[Path], jobs: int, stages: Stages, stage_docs: int) -> Run:
    """Build ``inputs`` for real, then time its stages; print the run's table."""
    run = Run(name)
    with tempfile.TemporaryDirectory(prefix="lgkg-bench-out-") as tmp:
        out = Path(tmp, "out")
        run.wall, run.cpu, run.rss, run.rss_note = timed_build(inputs, out, jobs)
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        run.files, run.documents, run.triples = report["files"], report["documents"], report["triples"]
        run.skipped = len(report["skipped"])
        run.crashes = sum(s["reason"].startswith(CRASHES) for s in report["skipped"])
        run.missing = run.files - run.documents - run.skipped
        run.chars = sum(r["chars"] for r in report["reports"])
        files = list(iter_files(inputs))
        extractions = cached_extractions(out / CACHE_DIR, [r["source"] for r in report["reports"]])
        run.stage_docs = min(len(files), stage_docs)
        stages.documents(files[: run.stage_docs], run.stages)
        stages.graph_and_export(extractions, run.stages)
    print_run(run)
    return run


def startup_seconds(jobs: int, folder: Path) -> float:
    """Wall seconds of a build of ``jobs`` one-line reports: the fixed cost every build pays.

    That is starting the workers, loading the segmentation model and the
    division data in each, and writing the (tiny) outputs. The best of two runs.
    """
    folder.mkdir(parents=True)
    for i in range(max(2, jobs)):
        (folder / f"tiny{i}.txt").write_text(f"{i}. 区司法局开展八五普法工作。\n", encoding="utf-8")
    best = float("inf")
    for attempt in range(2):
        out = folder.parent / f"startup-out{attempt}"
        best = min(best, timed_build([folder], out, jobs)[0])
        shutil.rmtree(out, ignore_errors=True)
    return best


def print_run(run: Run) -> None:
    sample = "" if run.stage_docs == run.files else f"; ingest…recognise on {run.stage_docs} of {run.files} docs"
    rows = [
        ("documents", f"{run.documents:,} of {run.files:,} files ({run.skipped} skipped, {run.crashes} crashed, "
                      f"{run.missing} missing)"),
        ("characters", f"{run.chars:,}"),
        ("wall seconds", f"{run.wall:.1f}"),
        ("chars/s", f"{run.rate:,.0f}"),
        ("CPU seconds (cores busy)", f"{run.cpu:.1f} ({run.cpu / run.wall:.2f})"),
        (f"peak RSS ({run.rss_note})", f"{run.rss / GB:.2f} GB"),
        ("triples out", f"{run.triples:,}"),
        ("seconds per stage", f"(one process{sample})"),
        *((f"  {stage}", f"{run.stages.get(stage, 0.0):.2f}") for stage in STAGES),
    ]
    width = max(len(key) for key, _ in rows)
    print(f"\n== {run.name} ==")
    for key, value in rows:
        print(f"{key:{width}}  {value}")
    sys.stdout.flush()


def print_summary(runs: list[Run], jobs: int, startup: float) -> None:
    head = ["run", "docs", "chars", "wall s", "chars/s", "net chars/s", "cores", "peak RSS", "triples", *STAGES]
    rows = [[r.name, f"{r.documents:,}", f"{r.chars:,}", f"{r.wall:.1f}", f"{r.rate:,.0f}",
             f"{r.net_rate(startup):,.0f}", f"{r.cpu / r.wall:.2f}",
             f"{r.rss / GB:.2f} GB",
             f"{r.triples:,}", *(f"{r.stages.get(s, 0.0):.1f}" for s in STAGES)] for r in runs]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print(f"\n== summary (kg build --jobs {jobs}; start-up {startup:.1f} s, taken off for net chars/s; "
          "stages in seconds, one process) ==")
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))))


def print_targets(runs: list[Run], startup: float) -> None:
    by_name = {r.name: r for r in runs}
    verdicts = []
    corpus = next((r for r in runs if r.name.startswith("corpus")), None)
    if corpus:
        verdicts.append(f"corpus ≥ 50k chars/s: {corpus.rate / 1000:.1f}k {'PASS' if corpus.rate >= 50_000 else 'FAIL'}"
                        + ("" if corpus.name == "corpus" else f" ({corpus.name})"))
    peak = max(r.rss for r in runs)
    verdicts.append(f"peak RSS ≤ 2.5 GB: {peak / GB:.2f} GB {'PASS' if peak <= 2.5 * GB else 'FAIL'}")
    one, sixteen = by_name.get("seeds ×1"), by_name.get("seeds ×16")
    if one and sixteen:
        change = sixteen.rate / one.rate - 1
        net = sixteen.net_rate(startup) / one.net_rate(startup) - 1 if one.net_rate(startup) else float("inf")
        verdicts.append(f"×16 chars/s within 15% of ×1: {change:+.0%} {'PASS' if abs(change) <= 0.15 else 'FAIL'}, "
                        f"net of start-up {net:+.0%} {'PASS' if abs(net) <= 0.15 else 'FAIL'}")
    # Linear time means a fixed start-up plus a constant cost per character: the rate between
    # successive sizes (the marginal rate) stays the same as the corpus grows.
    ordered = sorted(runs, key=lambda r: r.chars)
    marginal = [f"{a.name}→{b.name} {(b.chars - a.chars) / (b.wall - a.wall) / 1000:.1f}k"
                for a, b in zip(ordered, ordered[1:]) if b.wall > a.wall and b.chars > a.chars]
    if marginal:
        verdicts.append(f"marginal chars/s: {', '.join(marginal)}")
    crashes = sum(r.crashes + r.missing for r in runs)
    verdicts.append(f"zero crashes: {crashes} {'PASS' if crashes == 0 else 'FAIL'}")
    print("\ntargets (issue 6):")
    for verdict in verdicts:
        print(f"  {verdict}")


def seeds_times(n: int, folder: Path) -> Path:
    """``seeds/`` copied ``n`` times under different names."""
    folder.mkdir(parents=True)
    for i in range(n):
        for path in sorted(SEEDS.glob("*.txt")):
            shutil.copyfile(path, folder / f"r{i:02d}_{path.name}")
    return folder


def corpus_sample(corpus: Path, limit: int | None, folder: Path) -> tuple[list[Path], str]:
    """The corpus folder itself, or links to an evenly spaced sample of ``limit`` of its files."""
    if not limit:
        return [corpus], "corpus"
    files = list(iter_files([corpus]))
    step = max(1, len(files) // limit)
    folder.mkdir(parents=True)
    for i, path in enumerate(files[::step][:limit]):
        os.symlink(path.resolve(), folder / f"{i:05d}_{path.name}")
    return [folder], f"corpus, {min(limit, len(files))} of {len(files)} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"corpus folder (default {CORPUS})")
    parser.add_argument("--limit", type=int, default=None, help="build only N files of the corpus")
    parser.add_argument("--jobs", type=int, default=2, help="kg build --jobs (default 2)")
    parser.add_argument("--repeats", default="1,4,16", help="copies of seeds/ (default 1,4,16)")
    parser.add_argument("--stage-docs", type=int, default=400,
                        help="time ingest…recognise on at most N documents per run (default 400)")
    parser.add_argument("--no-seeds", action="store_true", help="skip the seeds runs")
    parser.add_argument("--no-corpus", action="store_true", help="skip the corpus run")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.2f} at start, psutil {'yes' if psutil else 'no (RSS of the largest process only)'}")
    stages = Stages()
    runs = []
    with tempfile.TemporaryDirectory(prefix="lgkg-bench-in-") as tmp:
        startup = startup_seconds(args.jobs, Path(tmp, "startup"))
        print(f"start-up: {startup:.1f} s (a build of {max(2, args.jobs)} one-line reports, best of two)")
        if not args.no_seeds:
            for n in (int(x) for x in args.repeats.split(",")):
                folder = seeds_times(n, Path(tmp, f"seeds{n}"))
                runs.append(measure(f"seeds ×{n}", [folder], args.jobs, stages, args.stage_docs))
        if not args.no_corpus:
            if not args.corpus.is_dir():
                print(f"bench: no corpus at {args.corpus}; pass --corpus PATH or --no-corpus", file=sys.stderr)
            else:
                inputs, name = corpus_sample(args.corpus, args.limit, Path(tmp, "corpus"))
                runs.append(measure(name, inputs, args.jobs, stages, args.stage_docs))
    if runs:
        print(f"\nload average {os.getloadavg()[0]:.2f} at the end (other work on the machine slows every figure)")
        print_summary(runs, args.jobs, startup)
        print_targets(runs, startup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
