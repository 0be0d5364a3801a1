"""The per-document cache: one extraction per input file's content, as plain JSON.

A build stores every document's :class:`~kg.types.Extraction` under
``OUTDIR/cache/`` and reads it back when the same content comes again, so a
rebuild of a grown corpus extracts only new or changed files. An entry is
data, never code: a JSON object with a schema name and version, the pipeline
version, the SHA-256 of the input file it was made from, and a checksum of
the extraction. Reading checks all of them and rebuilds the dataclasses field
by field with their declared types; an entry that fails any check (damaged,
truncated, from another version, planted, or copied from another file's
entry) is reported and the document is extracted again.

Example:
    >>> save(Path("out/cache"), extraction)
    >>> hit, problem = load(Path("out/cache"), extraction.sha256, "seeds/a.txt")
    >>> hit == dataclasses.replace(extraction, source="seeds/a.txt"), problem
    (True, '')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any

from kg.export import atomic_write
from kg.pipeline import PIPELINE_VERSION
from kg.types import Extraction

__all__ = ["SCHEMA", "VERSION", "SUFFIX", "key", "entry_path", "encode", "decode", "load", "save"]

#: The schema name every entry carries.
SCHEMA = "lgkg.extraction"
#: The entry layout's version; an entry of another version is recomputed.
VERSION = 2
#: The suffix of entry files.
SUFFIX = ".json"
# Entries are a few hundred kilobytes; anything far larger is not one.
_MAX_BYTES = 64 * 2**20


def key(digest: str) -> str:
    """The cache key of a file's content hash under this pipeline version."""
    return hashlib.sha256(f"{digest}:{PIPELINE_VERSION}".encode()).hexdigest()


def entry_path(cache: Path, digest: str) -> Path:
    """Where the entry for content ``digest`` lives."""
    return cache / f"{key(digest)}{SUFFIX}"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def encode(ex: Extraction) -> dict[str, Any]:
    """The entry for ``ex`` (its ``source`` left out: the same content may come from any path)."""
    body = {name: value for name, value in dataclasses.asdict(ex).items() if name != "source"}
    return {"schema": SCHEMA, "version": VERSION, "pipeline": PIPELINE_VERSION, "sha256": ex.sha256,
            "checksum": hashlib.sha256(_canonical(body)).hexdigest(), "extraction": body}


def decode(entry: Any, digest: str, source: str) -> Extraction:
    """The extraction in ``entry``, made for content ``digest``, read from ``source``.

    Raises:
        ValueError: the entry is not one this version wrote for this content;
            the message says what is wrong.
    """
    if not isinstance(entry, dict):
        raise ValueError("is not a JSON object")
    for name, expected in (("schema", SCHEMA), ("version", VERSION), ("pipeline", PIPELINE_VERSION)):
        if entry.get(name) != expected:
            raise ValueError(f"has {name} {entry.get(name)!r}, not {expected!r}")
    if entry.get("sha256") != digest:
        raise ValueError("was made from another file's content")
    body = entry.get("extraction")
    if not isinstance(body, dict) or hashlib.sha256(_canonical(body)).hexdigest() != entry.get("checksum"):
        raise ValueError("does not match its checksum")
    ex = _typed(Extraction, {**body, "source": source}, "extraction")
    if ex.sha256 != digest:
        raise ValueError("was made from another file's content")
    return ex


def _typed(tp: Any, value: Any, where: str) -> Any:
    """``value`` (parsed JSON) as an instance of the type ``tp``, checked all the way down."""
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ValueError(f"{where} is not an object")
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp)}
        if unknown := set(value) - set(fields):
            raise ValueError(f"{where} has unknown fields {sorted(unknown)}")
        missing = [name for name, f in fields.items() if name not in value
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ValueError(f"{where} lacks {missing}")
        return tp(**{name: _typed(hints[name], item, f"{where}.{name}") for name, item in value.items()})
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        for option in typing.get_args(tp):
            try:
                return _typed(option, value, where)
            except ValueError:
                pass
        raise ValueError(f"{where} is not {tp}")
    if origin is tuple:
        item_type, _ = typing.get_args(tp)  # tuple[X, ...]: the only tuples in kg.types
        if not isinstance(value, list):
            raise ValueError(f"{where} is not a list")
        return tuple(_typed(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if tp is type(None):
        if value is None:
            return None
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp in (str, bool, float) and type(value) is tp:
        return value
    raise ValueError(f"{where} is not {getattr(tp, '__name__', tp)}")


def load(cache: Path, digest: str, source: str) -> tuple[Extraction | None, str]:
    """The cached extraction of content ``digest`` read from ``source``, or why there is none to use.

    Never raises and never runs anything the file holds.

    Returns:
        ``(extraction, "")`` for a good entry; ``(None, "")`` when there is no
        entry; ``(None, problem)`` when the entry cannot be used (a short
        phrase for a warning; the document is then extracted again).
    """
    path = entry_path(cache, digest)
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return None, ""
    except OSError as err:
        return None, f"cannot be read ({err.strerror or err})"
    if len(data) > _MAX_BYTES:
        return None, "is too large to be an entry"
    try:
        return decode(json.loads(data.decode("utf-8")), digest, source), ""
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "is not JSON (damaged, or not written by this version)"
    except (ValueError, TypeError, RecursionError) as err:
        return None, str(err)


def save(cache: Path, ex: Extraction) -> None:
    """Store ``ex`` under its content hash, atomically."""
    with atomic_write(entry_path(cache, ex.sha256), "wb") as fh:
        fh.write(_canonical(encode(ex)))
