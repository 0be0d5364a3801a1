"""Builds that behave: one per output folder, checked before any work, nothing written without reports,
no model loaded for files that are skipped, no worker left behind when the build is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

import kg.build
from kg import engines
from kg.build import CACHE_DIR, LOCK_FILE, build, process_file
from kg.cli import main
from kg.errors import KGError
from kg.store import write_store
from kg.types import Skip

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kg: "), err
    return err[0]


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if any document reaches an engine."""

    def refuse(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(engines, "run", refuse)


@pytest.fixture()
def previous(seeds_out, tmp_path) -> tuple[Path, dict[str, bytes]]:
    """An output folder holding a good build, and the bytes of its outputs."""
    out = tmp_path / "out"
    shutil.copytree(seeds_out[0], out)
    return out, {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def unchanged(out: Path, files: dict[str, bytes]) -> bool:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == files


# --- one build per output folder ---------------------------------------------------------------------

def test_a_second_build_into_a_folder_in_use_stops_with_one_line(previous, capsys, no_work):
    out, files = previous
    with kg.build._output_lock(out):  # a build in progress (flock: a second open file is a second holder)
        assert main(["build", str(SEEDS), "-o", str(out), "--store"]) == 2
    line = one_line_error(capsys)
    assert f"another kg build (process {os.getpid()}) is writing to {out}" in line
    assert unchanged(out, files)


def test_the_folder_is_free_again_when_a_build_ends_however_it_ends(tmp_path):
    with pytest.raises(RuntimeError), kg.build._output_lock(tmp_path):
        raise RuntimeError
    with kg.build._output_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text(encoding="ascii") == f"{os.getpid()}\n"  # named in the refusal


def test_the_store_never_touches_another_writers_temporary_folder(tmp_path):
    from rdflib import Graph, Literal, URIRef

    theirs = tmp_path / ".store.tmp"  # where the store used to be built, by every writer alike
    theirs.mkdir()
    (theirs / "CURRENT").write_text("being written", encoding="utf-8")
    graph = Graph()
    graph.add((URIRef("urn:a"), URIRef("urn:b"), Literal("c")))
    write_store(graph, tmp_path / "store")
    write_store(graph, tmp_path / "store")
    assert (theirs / "CURRENT").read_text(encoding="utf-8") == "being written"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.tmp", "store"]


def test_leftovers_of_a_killed_build_are_cleared_by_the_next(seeds_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(seeds_out[0], out)
    (out / ".graph.ttl.x1y2.tmp").write_text("half", encoding="utf-8")
    (out / ".store.abc.tmp").mkdir()
    build([SEEDS], out, jobs=1, quiet=True)
    assert not list(out.glob(".*.tmp"))


# --- nothing written without reports ---------------------------------------------------------------

@pytest.mark.parametrize("contents", [{}, {"a.txt": b"", "b.md": b" \n", "c.pdf": b"%PDF"}],
                         ids=["empty folder", "only files to skip"])
def test_a_build_that_finds_no_report_leaves_the_previous_outputs(previous, tmp_path, capsys, contents):
    out, files = previous
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in contents.items():
        (corpus / name).write_bytes(data)
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1"]) == 2
    line = one_line_error(capsys)
    assert f"no report found in {corpus}" in line and f"{out} keeps its previous outputs" in line
    assert unchanged(out, files)


# --- options and the output folder, before any work ------------------------------------------------

@pytest.mark.parametrize(("options", "message"), [
    (["--jobs", "0"], "--jobs must be a whole number of at least 1, got 0"),
    (["--jobs", "-2"], "--jobs must be a whole number of at least 1, got -2"),
    (["--max-chars", "-5"], "--max-chars must be a whole number of at least 1, got -5"),
])
def test_numbers_out_of_range_are_one_line_before_any_work(tmp_path, capsys, no_work, options, message):
    assert main(["build", str(SEEDS), "-o", str(tmp_path / "out"), *options]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("options", "message"), [
    (["--jobs", "two"], "argument --jobs: invalid int value: 'two'"),
    (["--max-chars", "1e6"], "argument --max-chars: invalid int value: '1e6'"),
    (["--format", "xlsx"], "argument --format: invalid choice: 'xlsx'"),
])
def test_values_that_are_not_numbers_are_one_line_too(tmp_path, capsys, no_work, options, message):
    with pytest.raises(SystemExit) as stopped:
        main(["build", str(SEEDS), "-o", str(tmp_path / "out"), *options])
    assert stopped.value.code == 2 and message in one_line_error(capsys)


def test_an_output_path_that_is_a_file_is_refused_before_any_work(tmp_path, capsys, no_work):
    target = tmp_path / "out"
    target.write_text("not a folder", encoding="utf-8")
    assert main(["build", str(SEEDS), "-o", str(target)]) == 2
    assert f"the output folder {target} is a file" in one_line_error(capsys)
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, no_work,
                                                                             monkeypatch):
    import tempfile

    def read_only(*args, **kwargs):  # chmod does not stop root: refuse as a read-only mount would
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert main(["build", str(SEEDS), "-o", str(tmp_path / "out")]) == 2
    assert f"cannot write to the output folder {tmp_path / 'out'}: Read-only file system" in one_line_error(capsys)


@pytest.mark.parametrize(("text", "message"), [
    ("[nlp\nlang = zh", "cannot be read"),
    ('[nlp]\nlang = "no-such-language"\npipeline = []\n', "the pipeline cannot be loaded from"),
], ids=["does not parse", "does not load"])
def test_a_bad_config_is_one_line(tmp_path, capsys, text, message):
    config = tmp_path / "bad.cfg"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(SEED_FILES[0]), "-o", str(out), "--jobs", "1", "--no-cache",
                 "--config", str(config)]) == 2
    line = one_line_error(capsys)
    assert str(config) in line and message in line
    assert not (out / "graph.ttl").exists()


# --- skipped files cost no model load ----------------------------------------------------------------

def test_files_skipped_by_type_or_size_never_reach_an_engine(seeds_out, tmp_path, monkeypatch):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    shutil.copy(SEED_FILES[0], corpus)
    shutil.copytree(seeds_out[0] / CACHE_DIR, out / CACHE_DIR)
    for i in range(200):
        (corpus / f"empty-{i:03}.txt").write_bytes(b"")
    os.mkfifo(corpus / "pipe.txt")
    handed = []
    real = engines.run
    monkeypatch.setattr(engines, "run", lambda engine, paths, *a, **k: handed.extend(paths) or real(
        engine, paths, *a, **k))
    monkeypatch.setattr(engines, "load_pipeline", lambda config: pytest.fail("a model was loaded"))
    report = build([corpus], out, jobs=2, quiet=True)
    assert handed == [] and report["documents"] == 1 and len(report["skipped"]) == 201
    assert {s["reason"] for s in report["skipped"]} == {
        "empty file", "not a regular file (a FIFO); only regular files are read"}


def skip_without_model(path: str, nlp, *, max_chars: int | None) -> Skip:
    """A per-document function that never needs the model, as for a file that turns out to be blank."""
    return Skip(path, "blank")


@pytest.mark.slow
def test_pool_workers_load_the_model_only_when_a_document_needs_it(tmp_path):
    config = tmp_path / "unloadable.cfg"  # loading it fails: a worker that loads at start breaks the pool
    config.write_text('[nlp]\nlang = "no-such-language"\npipeline = []\n', encoding="utf-8")
    records = list(engines.run_local(["a.txt", "b.txt", "c.txt"], 2, config, work=skip_without_model))
    assert sorted(r.source for r in records) == ["a.txt", "b.txt", "c.txt"]
    assert {r.reason for r in records} == {"blank"}
    with pytest.raises(KGError, match="the pipeline cannot be loaded from"):
        list(engines.run_local(SEED_FILES[:3], 2, config, work=process_file))  # these need the model


# --- no worker outlives its build --------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """Worker processes (spawned by multiprocessing) whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, limit: float = 120.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_workers_die_with_a_killed_build(tmp_path, sig):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, path in enumerate(SEED_FILES * 4):
        shutil.copyfile(path, corpus / f"{i:02}-{path.name}")
    kg_build = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(corpus), "-o", str(tmp_path / "out"),
                                 "--jobs", "2", "-q", "--no-cache"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: len(children(kg_build.pid)) == 2), "the build never started its workers"
        workers = children(kg_build.pid)
        time.sleep(1.0)  # the workers are past their start, loading the model
        kg_build.send_signal(sig)
        kg_build.wait()
        assert wait_for(lambda: not any(map(alive, workers))), "workers outlived the build"
    finally:
        kg_build.kill()
        kg_build.wait()
