"""Engines and builds at scale: the same graph whatever runs it, incremental and resumed builds, the store."""

from __future__ import annotations

import os
import shutil
import sys

import pytest
from conftest import SEEDS
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg import engines
from kg.build import CACHE_DIR, build, process_file
from kg.cli import main
from kg.errors import KGError
from kg.query import open_store, resolve_query, run_query
from kg.store import write_store
from kg.types import Extraction, Metadata, Skip

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def graph_of(out) -> Graph:
    return Graph().parse(out / "graph.ttl", format="turtle")


def assert_same_graph(first: Graph, second: Graph) -> None:
    """Isomorphic, or fail showing the triples on each side only (rdflib's test/utils idiom)."""
    if isomorphic(first, second):
        return
    _, only_first, only_second = graph_diff(to_isomorphic(first), to_isomorphic(second))
    dump = lambda g: "\n".join(sorted(" ".join(t.n3() for t in triple) for triple in g)[:60])  # noqa: E731
    pytest.fail(f"graphs differ\n--- only in the first ({len(only_first)}):\n{dump(only_first)}\n"
                f"--- only in the second ({len(only_second)}):\n{dump(only_second)}")


@pytest.fixture(scope="session")
def plain(tmp_path_factory) -> Graph:
    """seeds/ built in this process (jobs=1), the reference for every other build."""
    out = tmp_path_factory.mktemp("plain")
    build([SEEDS], out, jobs=1, quiet=True, use_cache=False)
    return graph_of(out)


@pytest.mark.slow
def test_two_jobs_give_the_same_graph_as_one(plain, tmp_path):
    report = build([SEEDS], tmp_path, jobs=2, quiet=True, use_cache=False)
    assert report["documents"] == 5 and report["skipped"] == []
    assert_same_graph(plain, graph_of(tmp_path))


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_graph(plain, tmp_path):
    report = build([SEEDS], tmp_path, jobs=2, quiet=True, use_cache=False, engine="dask")
    assert report["documents"] == 5 and report["skipped"] == []
    assert_same_graph(plain, graph_of(tmp_path))


@pytest.mark.slow
def test_incremental_build_equals_the_build_from_scratch(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    for path in SEED_FILES[:3]:
        shutil.copy(path, corpus)
    assert build([corpus], out, jobs=1, quiet=True)["from_cache"] == 0
    for path in SEED_FILES[3:]:
        shutil.copy(path, corpus)
    grown = build([corpus], out, jobs=1, quiet=True)
    assert (grown["documents"], grown["from_cache"]) == (5, 3)
    build([corpus], tmp_path / "scratch", jobs=1, quiet=True, use_cache=False)
    assert_same_graph(graph_of(tmp_path / "scratch"), graph_of(out))

    changed = corpus / SEED_FILES[0].name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n2022年，区司法局开展“八五”普法。\n",
                       encoding="utf-8")
    assert build([corpus], out, jobs=1, quiet=True)["from_cache"] == 4


@pytest.mark.slow
def test_a_killed_build_resumes_where_it_stopped(plain, tmp_path, monkeypatch):
    real = engines.run_local

    def killed_after_two(*args, **kwargs):
        for done, record in enumerate(real(*args, **kwargs)):
            if done == 2:
                raise KeyboardInterrupt
            yield record

    monkeypatch.setattr(engines, "run_local", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        build([SEEDS], tmp_path, jobs=1, quiet=True)
    assert not (tmp_path / "graph.ttl").exists()
    assert len(list((tmp_path / CACHE_DIR).glob("*.json"))) == 2
    monkeypatch.undo()
    resumed = build([SEEDS], tmp_path, jobs=1, quiet=True)
    assert (resumed["documents"], resumed["from_cache"]) == (5, 2)
    assert_same_graph(plain, graph_of(tmp_path))


@pytest.mark.slow
def test_the_store_answers_shipped_queries(plain, tmp_path, capsys):
    assert main(["build", str(SEEDS), "-o", str(tmp_path), "--jobs", "1", "-q", "--store"]) == 0
    store = open_store(tmp_path / "store")
    assert len(store) == len(plain)
    header, rows = run_query(store, resolve_query("reports"))
    assert len(rows) == 5 and "district" in header
    capsys.readouterr()
    assert main(["query", str(tmp_path / "store"), "programmes-by-district", "--bind", "district=镇海区",
                 "--format", "csv"]) == 0
    assert "镇海区" in capsys.readouterr().out
    # a rebuild replaces the store whole and leaves nothing beside it
    assert main(["build", str(SEEDS), "-o", str(tmp_path), "--jobs", "1", "-q", "--store"]) == 0
    assert len(open_store(tmp_path / "store")) == len(plain)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".store")]


def test_a_failed_store_write_leaves_the_previous_store(plain, tmp_path, monkeypatch):
    import pyoxigraph

    write_store(plain, tmp_path / "store")

    def no_space(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pyoxigraph.Store, "bulk_load", no_space)
    with pytest.raises(KGError, match="cannot write the Oxigraph store .*No space left"):
        write_store(Graph(), tmp_path / "store")
    monkeypatch.undo()
    assert len(open_store(tmp_path / "store")) == len(plain)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"engine": "spark"}, "unknown engine 'spark'; use one of: local, dask"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "needs --engine dask"),
        ({"config": "nowhere.cfg"}, "pipeline config nowhere.cfg not found"),
    ],
)
def test_engine_errors_come_before_any_output(options, message, tmp_path):
    with pytest.raises(KGError, match=message):
        build([SEEDS], tmp_path, jobs=1, quiet=True, use_cache=False, **options)
    assert not (tmp_path / "graph.ttl").exists()


def test_missing_dask_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(KGError, match=r"pip install 'lgkg\[dask\]'"):
        build([SEEDS], tmp_path, jobs=1, quiet=True, engine="dask")


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(KGError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        list(engines.run_dask(SEED_FILES[:1], process_file, scheduler="tcp://127.0.0.1:9"))


@pytest.mark.slow
def test_a_failing_dask_task_skips_its_files(tmp_path):
    config = tmp_path / "broken.cfg"
    config.write_text('[nlp]\nlang = "no-such-language"\npipeline = []\n', encoding="utf-8")
    records = list(engines.run_dask(SEED_FILES[:2], process_file, config, workers=1))
    assert sorted(r.source for r in records) == [str(p) for p in SEED_FILES[:2]]
    assert all(isinstance(r, Skip) and r.reason.startswith("failed on a Dask worker") for r in records)


@pytest.fixture()
def pools(monkeypatch) -> list[int]:
    """Counts the process pools the engine starts."""
    started: list[int] = []

    class Counted(engines.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(engines, "ProcessPoolExecutor", Counted)
    return started


def test_pools_are_recycled_after_chunk_extractions(pools):
    records = list(engines._pooled([f"doc{i}" for i in range(6)], 1, _no_setup, _extracts_docs, chunk=2))
    assert sorted(r.source for r in records) == [f"doc{i}" for i in range(6)]
    assert 2 <= len(pools) <= 3  # a pool may finish what it holds past its second extraction


def test_files_skipped_do_not_recycle_pools(pools):
    paths = ["doc0", *(f"blank{i}" for i in range(60)), "doc1"]
    records = list(engines._pooled(paths, 2, _no_setup, _extracts_docs, chunk=2))
    assert sorted(r.source for r in records) == sorted(paths) and pools == [2]


# Workers for the pool tests: module-level, so spawned processes can import them.
def _no_setup() -> None:
    pass


def _dies_at_start() -> None:
    os._exit(3)


def _extracts_docs(path: str) -> Extraction | Skip:
    return Extraction(path, "", "utf-8", "simplified", Metadata()) if path.startswith("doc") else Skip(path, "blank")


def _crashes_on_boom(path: str) -> Skip:
    if "boom" in path:
        os._exit(3)  # as a worker killed for memory would
    return Skip(path, "read")


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_its_file():
    paths = ["a", "b", "boom", "c", "d", "e", "f"]
    records = {r.source: r.reason for r in engines._pooled(paths, 2, _no_setup, _crashes_on_boom)}
    assert sorted(records) == sorted(paths)
    assert records.pop("boom").startswith("the worker process died while reading it")
    assert set(records.values()) == {"read"}


def test_workers_that_die_on_start_are_an_error_not_skips():
    with pytest.raises(KGError, match="worker processes die as they start"):
        list(engines._pooled(["a", "b"], 2, _dies_at_start, _crashes_on_boom))


def test_engines_do_not_import_the_build():
    import subprocess

    code = "import sys, kg.engines; print('kg.build' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
