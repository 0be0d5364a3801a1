"""SPARQL over a built graph: open it, find a query, bind values, print the answer.

Queries live in ``.rq`` files. The project ships one per question in
``kg/queries/``, each starting with a ``#`` line that says what it answers and
which variables can be bound. Values are passed as SPARQL substitutions and
are never formatted into the query text, so a value such as ``镇海区" } #``
is compared as a string and cannot change the query.

Oxigraph substitutes a variable only where the query projects it: a bindable
variable must appear in the ``SELECT`` clause (the shipped queries put it
first).

Example:
    >>> store = open_store("out/graph.ttl")
    >>> header, rows = run_query(store, resolve_query("programmes-by-district"), {"district": "镇海区"})
    >>> print(format_rows(header, rows, "table"))
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import GraphError, QueryError

__all__ = [
    "FORMATS",
    "open_store",
    "list_queries",
    "resolve_query",
    "query_variables",
    "run_query",
    "term_text",
    "format_rows",
]

#: Output formats of :func:`format_rows`.
FORMATS = ("table", "csv", "json")

#: Files an on-disk Oxigraph (RocksDB) store always holds.
_STORE_MARKER = "CURRENT"

# One token of SPARQL text that may hold a ``?name``: strings, IRIs and comments
# come first so that a ``?`` inside them is not taken for a variable.
_TOKENS = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\""""
    r"""|<[^<>"{}|^`\\\s]*>|\#[^\n]*|[?$](\w+)""",
    re.DOTALL,
)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def open_store(graph: str | Path) -> ox.Store:
    """Open a graph written by ``kg build`` for querying.

    Args:
        graph: an RDF file (Turtle, N-Triples, N-Quads, TriG or RDF/XML, by its
            extension; Turtle when the extension says nothing), a folder holding
            an on-disk Oxigraph store (opened read-only), or a build folder
            holding ``graph.ttl``.

    Returns:
        A store: in memory for a file, read-only for an Oxigraph folder.

    Raises:
        GraphError: the path is missing, or the file cannot be parsed.

    Example:
        >>> len(open_store("out/graph.ttl")) > 0
        True
    """
    path = Path(graph)
    hint = "give the graph.ttl written by `kg build`, or the Oxigraph store folder it writes"
    if not path.exists():
        raise GraphError(f"{path}: no such graph; {hint}")
    if path.is_dir():
        if (path / _STORE_MARKER).is_file():
            try:
                return ox.Store.read_only(str(path))
            except OSError as err:
                raise GraphError(f"{path}: cannot open the Oxigraph store ({_one_line(err)}); {hint}") from err
        if (path / "graph.ttl").is_file():
            path = path / "graph.ttl"
        else:
            raise GraphError(f"{path}: a folder that is neither an Oxigraph store nor holds graph.ttl; {hint}")
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower()) or ox.RdfFormat.TURTLE
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except SyntaxError as err:
        raise GraphError(f"{path}: not valid {fmt.name} ({_one_line(err)}); {hint}") from err
    except (OSError, ValueError) as err:
        raise GraphError(f"{path}: cannot read the graph ({_one_line(err)}); {hint}") from err
    return store


def _shipped() -> dict[str, Traversable]:
    folder = resources.files("kg") / "queries"
    return {item.name[: -len(".rq")]: item for item in folder.iterdir() if item.name.endswith(".rq")}


def list_queries() -> dict[str, str]:
    """The shipped queries: name → the description on their first line.

    Example:
        >>> "programmes-by-district" in list_queries()
        True
    """
    out = {}
    for name, item in sorted(_shipped().items()):
        first = item.read_text(encoding="utf-8").partition("\n")[0]
        out[name] = first.lstrip("#").strip()
    return out


def resolve_query(text_or_ref: str) -> str:
    """The text of a query given as ``@file.rq``, a shipped query's name, or SPARQL text.

    Args:
        text_or_ref: ``@path`` reads that file; a name from :func:`list_queries`
            (with or without ``.rq``) reads the shipped file; anything else is
            taken as the query itself.

    Raises:
        QueryError: an ``@`` file is missing or unreadable, or the text is empty.

    Example:
        >>> resolve_query("reports").startswith("#")
        True
    """
    if text_or_ref.startswith("@"):
        path = Path(text_or_ref[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise QueryError(f"{path}: cannot read the query file ({_one_line(err)}); "
                             "give @PATH of a UTF-8 .rq file") from err
    else:
        shipped = _shipped()
        name = text_or_ref.strip().removesuffix(".rq")
        text = shipped[name].read_text(encoding="utf-8") if name in shipped else text_or_ref
    if not text.strip():
        raise QueryError(f"empty query; give SPARQL text, @FILE.rq or one of: {', '.join(sorted(_shipped()))}")
    return text


def query_variables(query: str) -> list[str]:
    """The names of the variables a query mentions, in order of first mention.

    ``?`` and ``$`` inside strings, IRIs and comments are not variables.

    Example:
        >>> query_variables('SELECT ?a WHERE { ?a <http://x/?q> "?b" } # ?c')
        ['a']
    """
    seen: dict[str, None] = {}
    for match in _TOKENS.finditer(query):
        if match.group(1):
            seen.setdefault(match.group(1), None)
    return list(seen)


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A result term as plain text: an IRI, ``_:id``, a literal's lexical form, or ``""``."""
    if term is None:
        return ""
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


_BIND_LANG = re.compile(r"^#@bind\s+(\w+)\s+([A-Za-z]+(?:-[A-Za-z0-9]+)*)\s*$", re.M)


def _projected(store: ox.Store, query: str) -> str:
    try:
        result = store.query(query)
    except (SyntaxError, RuntimeError, OSError, ValueError):
        return "none"
    names = [f"?{v.value}" for v in result.variables] if isinstance(result, ox.QuerySolutions) else []
    return ", ".join(names) or "none"


def run_query(store: ox.Store, query: str, bindings: Mapping[str, str] | None = None,
              ) -> tuple[list[str], list[list[str]]]:
    """Run a SPARQL query with values bound to some of its variables.

    Each value is bound as a plain string literal through Oxigraph's
    ``substitutions``; the query text is never changed.

    Args:
        store: from :func:`open_store`.
        query: SPARQL 1.1 query text (see :func:`resolve_query`).
        bindings: variable name (without ``?``) → string value.

    Returns:
        The header and the rows, every cell as text (unbound is ``""``).
        ``ASK`` gives one column ``ask``; ``CONSTRUCT`` and ``DESCRIBE`` give
        ``subject``, ``predicate``, ``object``.

    Raises:
        QueryError: a binding names no variable of the query, or one the query
            does not project; the query does not parse or fails.

    Example:
        >>> run_query(store, "SELECT ?d WHERE { ?r <https://w3id.org/lgkg/ontology#reportYear> ?y }"
        ...           " GROUP BY ?d", {})
    """
    bindings = dict(bindings or {})
    known = query_variables(query)
    unknown = [name for name in bindings if name.lstrip("?$") not in known]
    if unknown:
        have = ", ".join(f"?{v}" for v in known) or "none"
        raise QueryError(f"--bind {unknown[0]}: the query has no variable ?{unknown[0].lstrip('?$')}; "
                         f"its variables are {have}")
    langs = dict(_BIND_LANG.findall(query))
    substitutions = {}
    for name, value in bindings.items():
        name = name.lstrip("?$")
        # A query may declare that a variable is matched as a label (``#@bind district zh-Hans``):
        # the value is then bound as a language-tagged literal, which Oxigraph looks up by index.
        substitutions[ox.Variable(name)] = ox.Literal(value, language=langs[name]) if name in langs \
            else ox.Literal(value)
    try:
        result = store.query(query, substitutions=substitutions or None)
        if isinstance(result, ox.QueryBoolean):
            return ["ask"], [["true" if bool(result) else "false"]]
        if isinstance(result, ox.QuerySolutions):
            header = [v.value for v in result.variables]
            return header, [[term_text(term) for term in solution] for solution in result]  # in header order
        return ["subject", "predicate", "object"], [
            [term_text(t.subject), term_text(t.predicate), term_text(t.object)] for t in result]
    except SyntaxError as err:
        raise QueryError(f"the query does not parse: {_one_line(err)}") from err
    except RuntimeError as err:
        message = _one_line(err)
        if "projection" in message and (missing := re.search(r"\?(\w+)", message)):
            raise QueryError(f"--bind {missing.group(1)}: only variables in the SELECT clause can be bound, "
                             f"and ?{missing.group(1)} is not; add it there, or bind one of "
                             f"{_projected(store, query)}") from err
        raise QueryError(f"the query failed: {message}") from err
    except (OSError, ValueError, TypeError) as err:
        raise QueryError(f"the query failed: {_one_line(err)}") from err


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide and full-width characters take two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_rows(header: Sequence[str], rows: Sequence[Sequence[str]], fmt: str = "table") -> str:
    """Format query results as an aligned table, CSV, or JSON.

    Args:
        header: column names.
        rows: cells as text.
        fmt: ``table`` (aligned for Chinese text: wide characters count two
            columns; newlines in cells shown as spaces), ``csv`` (RFC 4180 with
            a header line), or ``json`` (a list of objects, one per row).

    Returns:
        The text, without a trailing newline for ``table`` and ``json``.

    Raises:
        QueryError: an unknown format.

    Example:
        >>> print(format_rows(["名称", "n"], [["八五普法", "3"]]))
        名称      n
        --------  -
        八五普法  3
    """
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([dict(zip(header, row, strict=True)) for row in rows], ensure_ascii=False, indent=2)
    if fmt != "table":
        raise QueryError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    cells = [[" ".join(str(c).split()) for c in row] for row in rows]
    widths = [max([_width(h), *(_width(row[i]) for row in cells)]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
