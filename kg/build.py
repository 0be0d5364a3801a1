"""The build: files in, graph and report out. Only this module knows the stage order.

``process_file`` is the unit of work — one file in, one
:class:`~kg.types.Extraction` (or :class:`~kg.types.Skip`) out, with the
loaded pipeline as its only state — so it runs unchanged in this process, in
a pool of worker processes, or on a cluster. Extractions are cached under
the output folder by content hash and pipeline version: a rebuild of a grown
corpus reads only new or changed files, and a killed build resumes.

Example:
    >>> summary = build(["seeds"], "out")
    >>> summary["documents"]
    5
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kg import __version__, engines
from kg.divisions import gazetteer
from kg.export import atomic_write, write_formats, write_graphml, write_json, write_turtle
from kg.extract import extract
from kg.graph import build_graph
from kg.ingest import iter_files, read_file
from kg.metadata import read_metadata
from kg.normalise import normalise
from kg.pipeline import PIPELINE_VERSION
from kg.types import Extraction, Skip

__all__ = ["process_file", "build", "CACHE_DIR", "MAX_CHARS"]

#: Folder below the output folder that holds one extraction per document.
CACHE_DIR = "cache"
#: Longest document read by default, in characters (spaCy's own ``max_length``); 1 M takes about 40 s.
MAX_CHARS = 1_000_000


def process_file(path: str | Path, nlp: Any, *, max_chars: int | None = MAX_CHARS) -> Extraction | Skip:
    """Read, normalise and extract one file: the build's unit of work.

    Args:
        path: the file.
        nlp: the loaded spaCy pipeline (see :func:`kg.pipeline.load_pipeline`).
        max_chars: skip a document longer than this many characters; ``None``: no limit.

    Returns:
        The document's extraction record, or a skip with its reason.
    """
    too_long = "split the file, or raise the limit with --max-chars"
    with contextlib.suppress(OSError):  # read_file says why a file cannot be read
        if max_chars is not None and (size := os.stat(path).st_size) > 4 * max_chars:
            return Skip(str(path), f"too long: {size:,} bytes, over the {max_chars:,}-character limit; {too_long}")
    raw = read_file(Path(path))
    if isinstance(raw, Skip):
        return raw
    if max_chars is not None and len(raw.text) > max_chars:
        return Skip(raw.source, f"too long: {len(raw.text):,} characters, over the {max_chars:,}-character limit; "
                                 f"{too_long}")
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
    )


def _key(digest: str) -> str:
    """The cache key of a file's content hash under this pipeline version."""
    return hashlib.sha256(f"{digest}:{PIPELINE_VERSION}".encode()).hexdigest()


def _cache_key(path: Path) -> str | None:
    try:
        return _key(hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return None


def _cached(cache: Path, key: str | None, source: str) -> Extraction | None:
    if key is None:
        return None
    try:
        with open(cache / f"{key}.pickle", "rb") as fh:
            ex = pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError):
        return None
    return dataclasses.replace(ex, source=source) if isinstance(ex, Extraction) else None


def _store(cache: Path, ex: Extraction) -> None:
    with atomic_write(cache / f"{_key(ex.sha256)}.pickle", "wb") as fh:
        pickle.dump(ex, fh, protocol=pickle.HIGHEST_PROTOCOL)


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
        InputError: a path does not exist.
        KGError: an unknown engine, or dask missing for the ``dask`` engine.
    """
    started = time.perf_counter()
    outdir = Path(outdir)
    files = list(iter_files(paths))
    cache = outdir / CACHE_DIR
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: dict[str, Extraction | Skip] = {}
    todo: list[Path] = []
    lookup = use_cache and cache.is_dir()  # a first build has nothing to look up: no file is hashed twice
    for path in files:
        hit = _cached(cache, _cache_key(path), str(path)) if lookup else None
        if hit is not None:
            results[str(path)] = hit
        else:
            todo.append(path)
    run = engines.run(engine, todo, jobs=jobs, config=config, scheduler=scheduler, max_chars=max_chars)
    for item in _progress(run, len(todo), quiet):
        results[item.source] = item
        if isinstance(item, Extraction) and use_cache:
            _store(cache, item)
    results = {key: _printable(item) for key, item in results.items()}
    extractions = [r for r in results.values() if isinstance(r, Extraction)]
    skips = sorted((r for r in results.values() if isinstance(r, Skip)), key=lambda s: s.source)
    graph = build_graph(extractions, gaz=gazetteer())
    write_turtle(graph, outdir / "graph.ttl")
    nxg = write_graphml(graph, outdir / "graph.graphml")
    written = ["graph.ttl", "graph.graphml", *write_formats(graph, nxg, outdir, list(formats)), "report.json"]
    if store:
        from kg.store import write_store  # noqa: PLC0415 - only when asked

        written.insert(-1, write_store(outdir / "graph.ttl", outdir / "store").name)
    report = _report(files, extractions, skips, len(graph), nxg.number_of_nodes(),
                     time.perf_counter() - started, len(files) - len(todo))
    report["outputs"] = written
    if validate:
        from kg.ontology import validate as shacl  # noqa: PLC0415 - pyshacl is slow to import

        conforms, text = shacl(graph)
        report["shacl"] = {"conforms": conforms, "report": "" if conforms else text[:20000]}
    write_json(report, outdir / "report.json")
    return report


def _printable(item: Extraction | Skip) -> Extraction | Skip:
    """The item with a source that can be written: bytes of a non-UTF-8 file name as ``\\xff``."""
    source = item.source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return item if source == item.source else dataclasses.replace(item, source=source)


def _report(files: list[Path], extractions: list[Extraction], skips: list[Skip], triples: int,
            nodes: int, seconds: float, cached: int) -> dict[str, Any]:
    docs = []
    for ex in sorted(extractions, key=lambda e: e.source):
        md = ex.metadata
        docs.append({
            "source": ex.source,
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
        "triples": triples,
        "graphml_nodes": nodes,
        "seconds": round(seconds, 2),
        "reports": docs,
    }
