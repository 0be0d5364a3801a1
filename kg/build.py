"""The build: files in, graph and report out. Only this module knows the stage order.

``process_file`` is the unit of work — one file in, one
:class:`~kg.types.Extraction` (or :class:`~kg.types.Skip`) out, with the
loaded pipeline as its only state — so it runs unchanged in this process, in
a pool of worker processes, or on a cluster. Extractions are cached under
the output folder by content hash and pipeline version (:mod:`kg.cache`): a
rebuild of a grown corpus reads only new or changed files, and a killed build
resumes.

One build at a time writes into an output folder: a second one started
while the first runs stops at once with one line. The folder is checked
before any work, files that can be skipped from their type and size alone
are skipped before any model is loaded, and a build that finds no report
writes nothing, so the previous outputs stay as they were.

Example:
    >>> summary = build(["seeds"], "out")
    >>> summary["documents"]
    5
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.namespace import DCTERMS

from kg import __version__, engines
from kg.cache import entry_path
from kg.cache import load as cache_load
from kg.cache import save as cache_save
from kg.divisions import gazetteer
from kg.errors import InputError, KGError
from kg.export import FORMATS, write_formats, write_graphml, write_json, write_turtle
from kg.extract import extract
from kg.graph import build_graph
from kg.identity import signature, text_digest
from kg.ingest import SUFFIXES, iter_files, read_bytes, read_file, screen
from kg.metadata import read_metadata
from kg.normalise import normalise
from kg.pipeline import PIPELINE_VERSION
from kg.types import Extraction, Skip

__all__ = ["process_file", "cached", "build", "CACHE_DIR", "LOCK_FILE", "MAX_CHARS"]

#: Folder below the output folder that holds one extraction per document (see :mod:`kg.cache`).
CACHE_DIR = "cache"
#: File in the output folder that one build at a time holds locked.
LOCK_FILE = ".kg-build.lock"
#: Longest document read by default, in characters (spaCy's own ``max_length``); 1 M takes about 40 s.
MAX_CHARS = 1_000_000


def process_file(path: str | Path, nlp: Any, *, max_chars: int | None = MAX_CHARS) -> Extraction | Skip:
    """Read, normalise and extract one file: the build's unit of work.

    Args:
        path: the file.
        nlp: the loaded spaCy pipeline (see :func:`kg.pipeline.load_pipeline`),
            used only when the file holds text to extract from.
        max_chars: skip a document longer than this many characters; ``None``: no limit.

    Returns:
        The document's extraction record, or a skip with its reason.
    """
    skip = screen(Path(path), max_chars)
    raw = skip or read_file(Path(path))
    if isinstance(raw, Skip):
        return raw
    if max_chars is not None and len(raw.text) > max_chars:
        return Skip(raw.source, f"too long: {len(raw.text):,} characters, over the {max_chars:,}-character limit; "
                                 "split the file, or raise the limit with --max-chars")
    doc = normalise(raw)
    if not doc.text.strip():
        return Skip(raw.source, "no text left after removing page furniture and garbled runs")
    md = read_metadata(doc.text)
    mentions, relations = extract(doc, md, nlp)
    return Extraction(
        source=raw.source,
        sha256=raw.sha256,
        encoding=raw.encoding,
        script=doc.script,
        metadata=md,
        mentions=tuple(mentions),
        relations=tuple(relations),
        garbled=doc.garbled,
        removed_lines=doc.removed_lines,
        chars=len(doc.text),
        text_sha256=text_digest(doc.text),
        minhash=signature(doc.text),
    )


def cached(cache: Path, path: Path) -> tuple[Extraction | None, str]:
    """The cached extraction of the file ``path``, or why none can be used (see :func:`kg.cache.load`)."""
    try:
        digest = hashlib.sha256(read_bytes(path)).hexdigest()
    except OSError:
        return None, ""  # the extraction will say why the file cannot be read
    hit, problem = cache_load(cache, digest, str(path))
    return hit, problem and f"cache entry {entry_path(cache, digest).name} for {path} {problem}; extracted again"


def _progress(items: Iterable[Any], total: int, quiet: bool) -> Iterator[Any]:
    if quiet or total <= 5 or not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm  # noqa: PLC0415 - only for terminals

    yield from tqdm(items, total=total, unit="doc", file=sys.stderr)


def build(paths: Iterable[str | Path], outdir: str | Path, *, jobs: int | None = None,
          config: str | None = None, use_cache: bool = True, quiet: bool = False,
          formats: Iterable[str] = (), validate: bool = False, engine: str = "local",
          scheduler: str | None = None, store: bool = False, max_chars: int | None = MAX_CHARS,
          ) -> dict[str, Any]:
    """Build the graph of every report under ``paths`` into ``outdir``.

    Writes ``graph.ttl``, ``graph.graphml`` and ``report.json`` atomically
    (and the Oxigraph store ``store/`` when asked).

    Args:
        paths: files and folders.
        outdir: the output folder (created if missing).
        jobs: worker processes; all cores by default.
        config: a pipeline config file; the shipped one by default.
        use_cache: reuse extractions stored by earlier builds.
        quiet: no progress bar.
        formats: extra formats to write (``nt``, ``jsonld``, ``gexf``, ``csv``).
        validate: check the graph against the SHACL shapes and record the result.
        engine: where documents are processed: ``local`` (``jobs`` processes)
            or ``dask`` (see :mod:`kg.engines`).
        scheduler: the address of a running Dask scheduler; a local cluster by default.
        store: also write an on-disk Oxigraph store to ``outdir/store``.
        max_chars: skip documents longer than this many characters; ``None``: no limit.

    Returns:
        The build report (also written to ``report.json``).

    Raises:
        InputError: a path does not exist, or no report is found under
            ``paths`` (nothing is written then).
        KGError: an option out of range, an output folder that cannot be
            written or that another build is writing to, an unknown engine,
            dask missing for the ``dask`` engine, a pipeline that cannot be loaded.
    """
    started = time.perf_counter()
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    formats = list(formats)
    _check_options(jobs, max_chars, formats)
    outdir = Path(outdir)
    files = list(iter_files(paths))
    where = ", ".join(map(str, paths))
    if not files:
        raise InputError(f"no report found in {where}: no {', '.join(SUFFIXES)} file there (an empty or "
                         f"unmounted folder?); nothing written, {outdir} keeps its previous outputs")
    jobs = jobs or os.cpu_count() or 1
    with _output_lock(outdir):
        cache = outdir / CACHE_DIR
        results: dict[str, Extraction | Skip] = {}
        warnings: list[str] = []
        todo: list[Path] = []
        hits = 0
        lookup = use_cache and cache.is_dir()  # a first build has nothing to look up: no file is hashed twice
        for path in files:
            hit, problem = (None, "") if (skip := screen(path, max_chars)) or not lookup else cached(cache, path)
            if problem:
                warnings.append(problem)
            hits += hit is not None
            if skip or hit:
                results[str(path)] = skip or hit
            else:
                todo.append(path)
        run = engines.run(engine, todo, process_file, jobs=jobs, config=config, scheduler=scheduler,
                          max_chars=max_chars)
        for item in _progress(run, len(todo), quiet):
            results[item.source] = item
            if isinstance(item, Extraction) and use_cache:
                cache_save(cache, item)
        results = {key: _printable(item) for key, item in results.items()}
        extractions = [r for r in results.values() if isinstance(r, Extraction)]
        skips = sorted((r for r in results.values() if isinstance(r, Skip)), key=lambda s: s.source)
        if not extractions:
            raise InputError(f"no report found in {where}: all {len(files)} files skipped (first: {skips[0].source}: "
                             f"{skips[0].reason}); nothing written, {outdir} keeps its previous outputs")
        unlinked: list[dict[str, str]] = []
        near: list[dict[str, Any]] = []
        graph = build_graph(extractions, gaz=gazetteer(), unlinked=unlinked, near_duplicates=near)
        write_turtle(graph, outdir / "graph.ttl")
        nxg = write_graphml(graph, outdir / "graph.graphml")
        written = ["graph.ttl", "graph.graphml", *write_formats(graph, nxg, outdir, formats), "report.json"]
        if store:
            from kg.store import write_store  # noqa: PLC0415 - only when asked

            written.insert(-1, write_store(outdir / "graph.ttl", outdir / "store").name)
        report = _report(files, extractions, skips, len(graph), nxg.number_of_nodes(),
                         time.perf_counter() - started, hits, _report_of_source(graph), near)
        report["outputs"] = written
        report["warnings"] = warnings
        report["unlinked_relations"] = unlinked
        if validate:
            from kg.ontology import validate as shacl  # noqa: PLC0415 - pyshacl is slow to import

            conforms, text = shacl(graph)
            report["shacl"] = {"conforms": conforms, "report": "" if conforms else text[:20000]}
        write_json(report, outdir / "report.json")
    return report


def _check_options(jobs: int | None, max_chars: int | None, formats: list[str]) -> None:
    """Refuse option values that would make a build do nothing useful, before any work."""
    for name, value, floor, hint in (("--jobs", jobs, 1, "leave it out for all cores"),
                                     ("--max-chars", max_chars, 1, "0 on the command line for no limit")):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < floor):
            raise KGError(f"{name} must be a whole number of at least {floor}, got {value!r}; {hint}")
    if unknown := [f for f in formats if f not in FORMATS]:
        raise KGError(f"unknown output format {unknown[0]!r}; use one of: {', '.join(FORMATS)}")


@contextlib.contextmanager
def _output_lock(outdir: Path) -> Iterator[None]:
    """Hold the output folder for one build: check it can be written, lock it, clear what killed builds left.

    The lock is an advisory ``flock`` on :data:`LOCK_FILE`; the system
    releases it when the process ends, however it ends.

    Raises:
        KGError: the folder is a file, cannot be created or written, or
            another build holds it.
    """
    fix = "choose another folder with -o, or make this one writable"
    if outdir.exists() and not outdir.is_dir():
        raise KGError(f"the output folder {outdir} is a file; pass a folder (new or existing) to -o")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd = os.open(outdir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as err:
        raise KGError(f"cannot write to the output folder {outdir}: {err.strerror or err}; {fix}") from err
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise KGError(f"another kg build (process {holder}) is writing to {outdir}; wait for it to finish, "
                          "or build into another folder") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            probe, name = tempfile.mkstemp(prefix=".kg-probe.", dir=outdir)
            os.close(probe)
            os.unlink(name)
        except OSError as err:
            raise KGError(f"cannot write to the output folder {outdir}: {err.strerror or err}; {fix}") from err
        _clear_leftovers(outdir)
        yield
    finally:
        os.close(fd)  # releases the lock


def _clear_leftovers(outdir: Path) -> None:
    """Remove the temporary files and folders that builds killed mid-write left (we hold the lock)."""
    for folder in (outdir, outdir / CACHE_DIR):
        for path in folder.glob(".*.tmp") if folder.is_dir() else ():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _printable(item: Extraction | Skip) -> Extraction | Skip:
    """The item with a source that can be written: bytes of a non-UTF-8 file name as ``\\xff``."""
    source = item.source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return item if source == item.source else dataclasses.replace(item, source=source)


def _report_of_source(graph: Graph) -> dict[str, str]:
    """The IRI of the report each input file was read as."""
    return {str(src): str(report) for report, src in graph.subject_objects(DCTERMS.source)}


def _report(files: list[Path], extractions: list[Extraction], skips: list[Skip], triples: int,
            nodes: int, seconds: float, cached: int, report_of: dict[str, str],
            near: list[dict[str, Any]]) -> dict[str, Any]:
    sources_of: dict[str, list[str]] = {}
    for source, iri in sorted(report_of.items()):
        sources_of.setdefault(iri, []).append(source)
    docs = []
    for ex in sorted(extractions, key=lambda e: e.source):
        md = ex.metadata
        docs.append({
            "source": ex.source,
            "report": report_of.get(ex.source),
            "encoding": ex.encoding,
            "script": ex.script,
            "chars": ex.chars,
            "title": md.title,
            "issued": md.issued,
            "year": md.year,
            "district": md.district.name if md.district else None,
            "adcode": md.district.code if md.district else None,
            "district_evidence": md.district_evidence,
            "furniture_lines_removed": ex.removed_lines,
            "garbled": [{"start": g.start, "end": g.end, "text": g.text, "repair": g.repair} for g in ex.garbled],
            "entities": dict(Counter(m.type for m in {(m.type, m.canonical): m for m in ex.mentions}.values())),
            "relations": dict(Counter(r.kind for r in ex.relations)),
        })
    return {
        "version": __version__,
        "pipeline": PIPELINE_VERSION,
        "files": len(files),
        "documents": len(extractions),
        "skipped": [{"source": s.source, "reason": s.reason} for s in skips],
        "from_cache": cached,
        "districts_resolved": sum(d["district"] is not None for d in docs),
        "unresolved": [d["source"] for d in docs if d["district"] is None],
        "report_nodes": len(set(report_of.values())),
        "duplicates": [{"report": iri, "sources": sources} for iri, sources in sorted(sources_of.items())
                       if len(sources) > 1],
        "near_duplicates": near,
        "triples": triples,
        "graphml_nodes": nodes,
        "seconds": round(seconds, 2),
        "reports": docs,
    }
