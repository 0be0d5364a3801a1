"""Write a graph into an on-disk Oxigraph store, for graphs too big to parse on every query.

The store is a folder (RocksDB) that ``kg query``, ``kg shared-programmes``
and ``kg serve`` open read-only through :func:`kg.query.open_store`, at once,
instead of parsing Turtle. It is bulk-loaded from the graph's N-Triples into
a temporary folder of its own beside the target (a unique name, so two
writers never share one), then renamed over it, so an interrupted build
leaves the previous store whole.

Example:
    >>> write_store(graph, "out/store")
    PosixPath('out/store')
    >>> len(kg.query.open_store("out/store")) == len(graph)
    True
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.errors import KGError
from kg.export import new_mode

__all__ = ["write_store"]


def write_store(graph: Graph | str | Path, path: str | Path) -> Path:
    """Bulk-load ``graph`` into a new Oxigraph store at ``path``, replacing what was there.

    The store is built in a new folder ``.NAME.<random>.tmp`` beside ``path``
    and renamed into place once complete and closed; temporary files and
    folders of other writers are never touched.

    Args:
        graph: the graph, or an RDF file holding it (graph.ttl, as ``kg build``
            has just written it: loaded as it is, not serialised again).
        path: the store's folder (created; an earlier store there is replaced).

    Returns:
        The store's folder.

    Raises:
        KGError: the store cannot be written (no space, no permission); the
            previous store, if any, is left as it was.
    """
    path = Path(path)
    tmp = old = triples = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        tmp.chmod(new_mode(folder=True))  # as mkdir would make it, not mkdtemp's 0700
        old = tmp.with_name(tmp.name.removesuffix(".tmp") + ".old.tmp")
        if isinstance(graph, Graph):
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".nt.tmp", dir=path.parent)
            os.close(fd)
            triples = Path(name)
            graph.serialize(triples, format="nt", encoding="utf-8")
            source, fmt = triples, ox.RdfFormat.N_TRIPLES
        else:
            source = Path(graph)
            fmt = ox.RdfFormat.from_extension(source.suffix.lstrip(".").lower()) or ox.RdfFormat.TURTLE
        store = ox.Store(str(tmp))
        store.bulk_load(path=str(source), format=fmt)
        store.flush()
        del store  # closes the database before its folder moves
        _swap(tmp, path, old)
    except (OSError, ValueError, SyntaxError) as err:
        if tmp is not None:
            _remove(tmp)
        raise KGError(f"cannot write the Oxigraph store {path}: {err}; check the space and permissions of "
                      f"{path.parent}") from err
    finally:
        if triples is not None:
            triples.unlink(missing_ok=True)
    _remove(old)
    return path


def _swap(new: Path, path: Path, old: Path) -> None:
    """Rename ``new`` to ``path``, moving what is there to ``old`` first (a folder cannot be renamed over)."""
    moved = path.exists() or path.is_symlink()
    if moved:
        os.replace(path, old)
    try:
        os.replace(new, path)
    except OSError:
        if moved:
            os.replace(old, path)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
