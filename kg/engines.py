"""Engines: where the per-document work runs — this process, a process pool, or a Dask cluster.

Every engine runs the per-document function it is given (the build passes
:func:`kg.build.process_file`: one file in, one :class:`~kg.types.Extraction`
or :class:`~kg.types.Skip` out), with the spaCy pipeline loaded at most once
per process, on the first document that needs it, and kept there: a worker
that only meets files to skip never loads it. Each runner takes the files
still to read and yields one record per file, in any order (the build sorts).
A file that raises becomes a skip saying why; so does a file whose worker
process dies under it. Nothing a single file does ends the build; a pipeline
that cannot be loaded does, with one line.

``local``
    :func:`run_local`: one process for ``jobs <= 1``, else a
    :class:`~concurrent.futures.ProcessPoolExecutor` of ``jobs`` workers.
    Workers die with the process that started them, whatever ends it (on
    Linux the kernel sends them SIGKILL, elsewhere a thread watches the
    parent), so a killed build leaves no worker behind. Workers that live long grow
    spaCy's string store, so each pool serves at most :data:`RECYCLE_EVERY`
    documents and is then replaced by a fresh one (``max_tasks_per_child``
    would do this per worker, but it deadlocks on Python 3.11:
    python/cpython#115634). Measured on the law corpus, a worker's resident
    memory rises from 870 MB to 950 MB over its first 200 documents and by
    under 10 MB over the next 1,000, while reloading costs ~5 s: a pool per
    1,000 documents keeps both small.

``dask``
    :func:`run_dask`: batches of paths mapped with ``client.map`` over a Dask
    ``LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)``,
    or over a running cluster given by its scheduler's address. The model is
    loaded once per worker process, on its first task, and cached in this
    module keyed by the config file. Results are gathered as they complete.

Running on a Slurm cluster
--------------------------

Every worker needs the project installed (the same version: the cache key
includes it) and must see the input files, the output folder's parent and the
pipeline config at the same absolute paths, i.e. on a shared filesystem. Give
each worker one thread and ~2 GB (the model takes ~1 GB).

1. Start a scheduler and workers with dask-jobqueue (``pip install
   dask-jobqueue``), in a Python session on the login node that stays open::

       from dask_jobqueue import SLURMCluster

       cluster = SLURMCluster(cores=1, processes=1, memory="2GB", walltime="04:00:00",
                              job_script_prologue=["source /path/to/lgkg/.venv/bin/activate"],
                              worker_extra_args=["--lifetime", "55m", "--lifetime-stagger", "5m"],
                              scheduler_options={"port": 8786})
       cluster.scale(jobs=32)           # 32 Slurm jobs, one worker process each
       print(cluster.scheduler_address)  # tcp://10.1.2.3:8786

   (Without dask-jobqueue: ``dask scheduler --port 8786`` on one node, and
   ``srun dask worker tcp://10.1.2.3:8786 --nworkers 1 --nthreads 1
   --memory-limit 2GB`` in a batch job.) ``--lifetime`` retires each worker
   after a while, as the local pools are recycled (their string store grows);
   with ``--lifetime-restart`` a worker outside jobqueue comes back fresh. A
   task lost with a worker is retried elsewhere by the scheduler.

2. Build against it; the build itself (cache, graph, export) runs where you
   start it::

       kg build /shared/reports -o /shared/out --engine dask --scheduler tcp://10.1.2.3:8786

Example:
    >>> from kg.build import process_file
    >>> files = sorted(Path("seeds").glob("*.txt"))
    >>> sorted(r.source for r in run_local(files, 2, work=process_file)) == [str(f) for f in files]
    True
    >>> len(list(run_dask(files, process_file, workers=2)))
    5
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import dataclasses
import functools
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from kg.errors import KGError
from kg.pipeline import DEFAULT_CONFIG, load_pipeline, pkuseg_model_dir
from kg.types import Extraction, Skip

__all__ = ["ENGINES", "RECYCLE_EVERY", "Work", "run", "run_local", "run_dask"]

#: The engines :func:`run` knows.
ENGINES = ("local", "dask")
#: Documents one process pool serves before it is replaced by a fresh one.
RECYCLE_EVERY = 1000

Record = Extraction | Skip


class Work(Protocol):
    """The per-document function: ``work(path, nlp, max_chars=...)`` → a record.

    It must be importable by name (a module-level function), as worker
    processes receive it by reference.
    """

    def __call__(self, path: str, nlp: Any, *, max_chars: int | None) -> Record: ...


# The models loaded in this process, by config path (None: the shipped config).
_MODELS: dict[str | None, Any] = {}
_DASK_HINT = "install the dask extra: pip install 'lgkg[dask]'"
# Workers are spawned, never forked: the parent may run threads (a progress bar, a Dask client).
_SPAWN = multiprocessing.get_context("spawn")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def run(engine: str, paths: Sequence[str | Path], work: Work, *, jobs: int, config: str | None = None,
        scheduler: str | None = None, max_chars: int | None = None) -> Iterator[Record]:
    """Run ``work`` on each of ``paths`` with the engine named ``engine``; yield one record per file, in any order.

    Args:
        engine: ``local`` or ``dask``.
        paths: the files to process.
        work: the per-document function (see :class:`Work`).
        jobs: worker processes (for ``dask`` without a scheduler, the LocalCluster's workers).
        config: a pipeline config file; the shipped one by default.
        scheduler: the address of a running Dask scheduler (``dask`` only).
        max_chars: skip documents longer than this many characters; ``None``: no limit.

    Raises:
        KGError: an unknown engine, a scheduler without ``dask``, a missing or
            unreadable config or model, or dask not installed: at once, before
            any work. A pipeline that cannot be loaded, on iteration.
    """
    if engine not in ENGINES:
        raise KGError(f"unknown engine {engine!r}; use one of: {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise KGError(f"--scheduler {scheduler} needs --engine dask (the {engine} engine has no scheduler)")
    if engine == "dask":
        return run_dask(paths, work, config, scheduler=scheduler, workers=jobs, max_chars=max_chars)
    return run_local(paths, jobs, config, work=work, max_chars=max_chars)


def _config_key(config: str | Path | None) -> str | None:
    """The config as an absolute path (workers may run elsewhere), checked in this process.

    The file must exist and parse as a spaCy config; whether its components
    load is known only when the pipeline is loaded.
    """
    if config is None:
        pkuseg_model_dir()  # fails here, with a fix, rather than in every worker
        return None
    path = Path(config).resolve()
    if not path.is_file():
        raise KGError(f"pipeline config {config} not found; pass an existing file or omit it to use "
                      f"{DEFAULT_CONFIG}")
    from thinc.api import Config  # noqa: PLC0415 - spaCy's config reader, heavy to import

    try:
        Config().from_disk(path, interpolate=False)
    except Exception as err:  # noqa: BLE001 - configparser, thinc and decoding errors alike
        raise KGError(f"pipeline config {config} cannot be read: {_one_line(err)}; fix it, or omit --config to "
                      f"use {DEFAULT_CONFIG}") from err
    return str(path)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:300] + " …"


def _model(config: str | None, max_chars: int | None) -> Any:
    """The pipeline for ``config``, loaded once in this process; it accepts documents up to ``max_chars``.

    Raises:
        KGError: the pipeline cannot be loaded from ``config``.
    """
    nlp = _MODELS.get(config)
    if nlp is None:
        try:
            nlp = _MODELS[config] = load_pipeline(config)
        except KGError:
            raise
        except Exception as err:  # noqa: BLE001 - spaCy, thinc and the components raise many kinds
            raise KGError(f"the pipeline cannot be loaded from {config or DEFAULT_CONFIG}: "
                          f"{type(err).__name__}: {_one_line(err)}; fix the config or omit --config") from err
    nlp.max_length = max(nlp.max_length, max_chars or sys.maxsize)
    return nlp


class _Lazy:
    """The pipeline for a config, loaded on first use: a file skipped before extraction costs no load.

    Stands in for ``spacy.Language`` (calls and attributes go to the loaded
    pipeline). A failed load fails every later use at once, without loading again.
    """

    def __init__(self, config: str | None, max_chars: int | None) -> None:
        self._config, self._max_chars = config, max_chars
        self._failure: KGError | None = None

    def loaded(self) -> Any:
        if self._failure is not None:
            raise self._failure
        try:
            return _model(self._config, self._max_chars)
        except KGError as err:
            self._failure = err
            raise

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.loaded()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.loaded(), name)


def _safe(work: Work, path: str, nlp: Any, max_chars: int | None) -> Record:
    """``work(path, nlp)``, with any exception but a pipeline that cannot load turned into a skip."""
    try:
        return work(path, nlp, max_chars=max_chars)
    except KGError:
        raise
    except Exception as err:  # noqa: BLE001 - one bad file must not end the build
        return Skip(path, f"failed while processing: {type(err).__name__}: {err}")


# --- local -------------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _die_with(parent: int) -> None:
    """End this process when ``parent`` ends, however it ends (SIGKILL included)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)
            return
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="kg-parent-watch").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker(work: Work, config: str | None, max_chars: int | None, parent: int) -> None:
    _die_with(parent)
    # A worker's heap is ~1 GB of small objects that the interpreter would free one by one at exit
    # (seconds per pool); nothing in it needs finalising once the pool has its results.
    atexit.register(os._exit, 0)
    _WORKER.update(work=work, nlp=_Lazy(config, max_chars), max_chars=max_chars)


def _work(path: str) -> Record:
    return _safe(_WORKER["work"], path, _WORKER["nlp"], _WORKER["max_chars"])


def run_local(paths: Iterable[str | Path], jobs: int, config: str | Path | None = None, *, work: Work,
              max_chars: int | None = None, chunk: int = RECYCLE_EVERY) -> Iterator[Record]:
    """Run ``work`` on each file in this process (``jobs <= 1``) or in a pool of ``jobs`` processes.

    The pool is replaced by a fresh one once it has extracted ``chunk``
    documents (files skipped do not count: they do not grow the model). In
    this process the model is loaded once, when a document first needs it,
    and kept for later calls.

    Args:
        paths: the files.
        jobs: worker processes.
        config: a pipeline config file; the shipped one by default.
        work: the per-document function (see :class:`Work`).
        max_chars: skip documents longer than this; ``None``: no limit.
        chunk: documents extracted per pool.

    Returns:
        An iterator of one record per file, in any order.

    Raises:
        KGError: the config or the segmentation model is missing (at once); the
            pipeline cannot be loaded (on iteration).
    """
    paths = [str(p) for p in paths]
    config = _config_key(config)
    if jobs <= 1 or len(paths) <= 1:
        return _in_process(paths, work, config, max_chars)
    init = functools.partial(_init_worker, work, config, max_chars, os.getpid())
    return _pooled(paths, jobs, init, _work, chunk=chunk)


def _in_process(paths: list[str], work: Work, config: str | None, max_chars: int | None) -> Iterator[Record]:
    nlp = _Lazy(config, max_chars)
    for path in paths:
        yield _safe(work, path, nlp, max_chars)


def _pooled(paths: list[str], jobs: int, init: Callable[[], None], work: Callable[[str], Record], *,
            chunk: int = RECYCLE_EVERY) -> Iterator[Record]:
    """Run ``work(path)`` for each path in pools of ``jobs`` processes, each set up by ``init``.

    A pool is handed a few paths at a time, in order, and is replaced by a
    fresh one once it has returned ``chunk`` extractions.

    When a worker process dies (killed for memory, a crash in native code),
    the pool breaks and every path it held fails with it. The culprit is
    among the first ``jobs + 1`` of those (the pool hands out work in order
    and queues one task ahead): each of them runs again alone in a fresh
    single-process pool, the rest in a fresh pool of ``jobs``. A path that
    kills its worker when alone is skipped with the reason.

    Raises:
        KGError: worker processes die as they start, before any file; the
            pipeline cannot be loaded (the pool's queued work is dropped).
    """
    todo = collections.deque(paths)
    while todo:
        lost = yield from _pool_pass(todo, jobs, init, work, max(1, chunk))
        todo.extendleft(reversed(lost[jobs + 1 :]))
        for path in lost[: jobs + 1]:
            yield _alone(path, init, work)


def _pool_pass(todo: collections.deque[str], jobs: int, init: Callable[[], None],
               work: Callable[[str], Record], chunk: int) -> Iterator[Record]:
    """Yield the records of one pool, which takes paths from ``todo`` until it has made ``chunk`` extractions.

    Returns:
        The paths lost to a broken pool, in the order they were handed out.
    """
    window = 2 * jobs + 2  # enough to keep every worker busy; few to lose if the pool breaks
    running: dict[Future[Record], str] = {}
    order: dict[str, int] = {}
    lost: list[str] = []
    extracted = 0
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=_SPAWN, initializer=init)
    try:
        while todo or running:
            while todo and len(running) < window and extracted < chunk and not lost:
                path = todo.popleft()
                order[path] = len(order)
                running[pool.submit(work, path)] = path
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                path = running.pop(future)
                try:
                    record = future.result()
                except BrokenProcessPool:
                    lost.append(path)
                    continue
                extracted += isinstance(record, Extraction)
                yield record
    finally:  # on an error or an interrupt, queued files are dropped rather than run
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(lost, key=order.__getitem__)


def _ping() -> bool:
    return True


def _alone(path: str, init: Callable[[], None], work: Callable[[str], Record]) -> Record:
    """``work(path)`` in a pool of its own, started and checked first."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN, initializer=init) as pool:
        try:
            pool.submit(_ping).result()
        except BrokenProcessPool as err:
            raise KGError("worker processes die as they start, before reading any file; run with --jobs 1 "
                          "to see why (if you call kg.build from a script, put the call under "
                          "`if __name__ == \"__main__\":`)") from err
        try:
            return pool.submit(work, path).result()
        except BrokenProcessPool:
            return Skip(path, "the worker process died while reading it (out of memory, or a crash in "
                              "native code); the other files were processed")


# --- dask --------------------------------------------------------------------------------------------

def _process_batch(paths: Sequence[str], work: Work, config: str | None, max_chars: int | None,
                   ) -> list[Record]:
    """A Dask task: a batch of paths in, their records out; the model is cached in the worker."""
    nlp = _Lazy(config, max_chars)
    return [_safe(work, path, nlp, max_chars) for path in paths]


def run_dask(paths: Iterable[str | Path], work: Work, config: str | Path | None = None,
             scheduler: str | None = None, workers: int | None = None, *, max_chars: int | None = None,
             ) -> Iterator[Record]:
    """Run ``work`` on each file on a Dask cluster: a new ``LocalCluster``, or the one at ``scheduler``.

    Args:
        paths: the files. Workers read them by absolute path; the records
            name them as given.
        work: the per-document function (see :class:`Work`).
        config: a pipeline config file; the shipped one by default.
        scheduler: a running scheduler's address (``tcp://host:8786``);
            ``None`` starts a ``LocalCluster`` of ``workers`` single-threaded processes.
        workers: processes of the LocalCluster; all cores by default.
        max_chars: skip documents longer than this; ``None``: no limit.

    Returns:
        An iterator of one record per file, in the order the batches finish.
        A batch whose task fails (its worker killed three times, say) gives a
        skip for each of its files.

    Raises:
        KGError: dask.distributed is not installed, the config or model is
            missing (at once), or the scheduler cannot be reached (on iteration).
    """
    try:
        import dask.distributed  # noqa: F401,PLC0415 - an optional extra
    except ImportError as err:
        raise KGError(f"the dask engine needs dask.distributed, which is not installed; {_DASK_HINT}") from err
    given = [str(p) for p in paths]
    return _dask_records(given, work, _config_key(config), scheduler, workers or os.cpu_count() or 1, max_chars)


def _batches(paths: list[str], workers: int) -> list[list[str]]:
    """About four batches per worker, for balance; at most 32 paths in one."""
    size = min(32, max(1, math.ceil(len(paths) / (4 * workers))))
    return [paths[i : i + size] for i in range(0, len(paths), size)]


def _dask_records(given: list[str], work: Work, config: str | None, scheduler: str | None, workers: int,
                  max_chars: int | None) -> Iterator[Record]:
    from dask.distributed import Client, LocalCluster, as_completed  # noqa: PLC0415

    if not given:
        return
    absolute = {os.path.abspath(p): p for p in given}
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler))
            except (OSError, TimeoutError, ValueError) as err:
                raise KGError(f"cannot reach the Dask scheduler at {scheduler} ({err}); start it first "
                              "(see `python -m pydoc kg.engines`), or leave out --scheduler for a local "
                              "cluster") from err
            workers = len(client.scheduler_info().get("workers", {})) or workers
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        batches = _batches(list(absolute), workers)
        futures = client.map(_process_batch, batches, work=work, config=config, max_chars=max_chars, pure=False)
        batch_of = {future.key: batch for future, batch in zip(futures, batches, strict=True)}
        for future in as_completed(futures):
            batch = batch_of.pop(future.key)
            try:
                records = future.result()
            except Exception as err:  # noqa: BLE001 - the batch's files are skipped, the build goes on
                records = [Skip(path, f"failed on a Dask worker: {type(err).__name__}: {err}") for path in batch]
            future.release()  # its result leaves the cluster's memory
            for record in records:
                yield dataclasses.replace(record, source=absolute.get(record.source, record.source))
