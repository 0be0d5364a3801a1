"""SPARQL over a built graph: open it, find a query, bind values, run it safely, print the answer.

Queries live in ``.rq`` files. The project ships one per question in
``kg/queries/``, each starting with a ``#`` line that says what it answers,
and a ``#@bind NAME [LANG]`` line for each variable a value may be bound to.
Values are passed as SPARQL substitutions and are never formatted into the
query text, so a value such as ``镇海区" } #`` is compared as a string and
cannot change the query. Only declared variables can be bound, and only when
the query first matches them in a required triple pattern of its ``WHERE``
clause, so a bound value filters the answer and never relabels it.

Every query is checked before it runs (:func:`check_query`): ``SERVICE``
(federation, which would make the engine send requests over the network) is
refused, and so are queries nested or chained deeper than the engine's stack
can take. :func:`query_graph` then runs the query in a child process
(:class:`QueryWorker`) with a time limit, a memory limit and a row limit, so
a query that runs away or crashes the engine ends with one line, not with
the process.

Example:
    >>> header, rows = query_graph("out/graph.ttl", "programmes-by-district", {"district": "镇海区"})
    >>> print(format_rows(header, rows, "table"))
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import json
import multiprocessing
import os
import re
import signal
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import GraphError, KGError, QueryError
from kg.safe import csv_cell, terminal_text

__all__ = [
    "FORMATS",
    "Limits",
    "QueryRefused",
    "QueryTimeout",
    "QueryCrash",
    "QueryWorker",
    "open_store",
    "list_queries",
    "resolve_query",
    "describe_query",
    "query_variables",
    "bindable_variables",
    "check_query",
    "take_rows",
    "run_query",
    "query_graph",
    "term_text",
    "format_rows",
]

#: Output formats of :func:`format_rows`.
FORMATS = ("table", "csv", "json")

#: Deepest nesting of ``{ ( [`` a query may have. The engine parses and
#: evaluates recursively: about 2,000 nested groups overflow its stack.
MAX_DEPTH = 100
#: Most operators (``+ - * / ! && || = < > | ^``, ``UNION``, ``OPTIONAL``,
#: ``MINUS``) a query may hold: a property path of about 900 steps, or some
#: 8,000 chained operators or unions, overflow the engine's stack.
MAX_OPERATORS = 500
#: Longest query text accepted, in characters.
MAX_QUERY_CHARS = 1 << 20
#: Seconds a worker may take to load the graph.
LOAD_TIMEOUT = 600.0
#: Stack of the thread a worker runs queries on: eight times the usual, so
#: the limits above keep a wide margin.
_WORKER_STACK = 64 << 20

#: Files an on-disk Oxigraph (RocksDB) store always holds.
_STORE_MARKER = "CURRENT"

# The lexemes of SPARQL text the checks need. Strings, IRIs and comments come
# first so that nothing inside them is taken for a variable, keyword or bracket.
_LEXEMES = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\""""
    r"""|<[^<>"{}|^`\\\s]*>|\#[^\n]*"""
    r"""|[?$](?P<var>\w+)"""
    r"""|(?P<word>[A-Za-z_][\w.\-]*(?::[\w.\-%]*)?|:[\w.\-%]*)"""
    r"""|(?P<open>[{(\[])|(?P<close>[})\]])"""
    r"""|(?P<op>&&|\|\||!=|<=|>=|[-+*/|^!=<>])""",
    re.DOTALL,
)
# SPARQL lets any part of a query be written as \uXXXX or \UXXXXXXXX escapes.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_COUNTED_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS"})
_BIND_LINE = re.compile(r"^#@bind[ \t]+(\w+)(?:[ \t]+([A-Za-z]+(?:-[A-Za-z0-9]+)*))?[ \t]*$", re.M)


class QueryRefused(QueryError):
    """The query asks for what is never run here: federation, or more nesting than the engine takes."""


class QueryTimeout(QueryError):
    """The query ran longer than its time limit and was stopped."""


class QueryCrash(QueryError):
    """The query stopped the process that ran it (a stack overflow, or the memory limit)."""


@dataclass(frozen=True)
class Limits:
    """What one query may use.

    Attributes:
        timeout: seconds the query may run (``--timeout``).
        max_rows: most rows (or triples) an answer may have (``--max-rows``).
        memory_mb: MiB of memory the query may take beyond the loaded graph (``--max-memory``).

    Raises:
        QueryError: a limit is not above 0.
    """

    timeout: float = 30.0
    max_rows: int = 100_000
    memory_mb: int = 2048

    def __post_init__(self) -> None:
        for option, value in (("--timeout", self.timeout), ("--max-rows", self.max_rows),
                              ("--max-memory", self.memory_mb)):
            if not value > 0:
                raise QueryError(f"{option} {value}: expected a number above 0")


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
            except (OSError, RuntimeError, ValueError) as err:  # RocksDB reports damage as RuntimeError
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


def _looks_like_a_name(text: str) -> bool:
    """``text`` is one word such as ``programes-by-district``: meant as a shipped query's name, not SPARQL."""
    return re.fullmatch(r"[\w.\-]+", text) is not None


def resolve_query(text_or_ref: str) -> str:
    """The text of a query given as ``@file.rq``, a shipped query's name, or SPARQL text.

    Args:
        text_or_ref: ``@path`` reads that file; a name from :func:`list_queries`
            (with or without ``.rq``) reads the shipped file; anything else is
            taken as the query itself.

    Raises:
        QueryError: an ``@`` file is missing or unreadable, the text is empty,
            or a single word that names no shipped query.

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
        if name in shipped:
            text = shipped[name].read_text(encoding="utf-8")
        elif _looks_like_a_name(name):
            close = get_close_matches(name, list(shipped), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise QueryError(f"no shipped query is named {terminal_text(name)!r}; {hint}give one of "
                             f"{', '.join(sorted(shipped))}, @FILE.rq, or SPARQL text")
        else:
            text = text_or_ref
    if not text.strip():
        raise QueryError(f"empty query; give SPARQL text, @FILE.rq or one of: {', '.join(sorted(_shipped()))}")
    return text


def describe_query(text_or_ref: str) -> str:
    """How an error names a query: the shipped name, ``@file``, or the start of its text.

    Example:
        >>> describe_query("SELECT * WHERE { ?s ?p ?o } LIMIT 10000")
        "'SELECT * WHERE { ?s ?p ?o } LIMIT …'"
    """
    ref = text_or_ref.strip()
    if ref.startswith("@") or ref.removesuffix(".rq") in _shipped():
        return terminal_text(ref)
    text = _one_line(ref)
    return repr(terminal_text(text if len(text) <= 32 else text[:31] + "…"))


def query_variables(query: str) -> list[str]:
    """The names of the variables a query mentions, in order of first mention.

    ``?`` and ``$`` inside strings, IRIs and comments are not variables.

    Example:
        >>> query_variables('SELECT ?a WHERE { ?a <http://x/?q> "?b" } # ?c')
        ['a']
    """
    seen: dict[str, None] = {}
    for match in _LEXEMES.finditer(query):
        if match.lastgroup == "var":
            seen.setdefault(match.group("var"), None)
    return list(seen)


def bindable_variables(query: str) -> dict[str, str | None]:
    """The variables a query declares bindable, each with the language its values are tagged with.

    A line ``#@bind district zh-Hans`` declares ``?district`` bindable, its
    values bound as ``"…"@zh-Hans`` literals; ``#@bind code`` binds plain strings.

    Example:
        >>> bindable_variables("#@bind district zh-Hans\\n#@bind code\\nSELECT ...")
        {'district': 'zh-Hans', 'code': None}
    """
    return {name: lang or None for name, lang in _BIND_LINE.findall(query)}


def _decode_escapes(query: str) -> str:
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else ""
    return _ESCAPE.sub(char, query)


def check_query(query: str) -> None:
    """Refuse what must never run: federation, and queries the engine's stack cannot take.

    ``SERVICE`` (also spelt with ``\\u`` escapes, in any case) is refused
    before the engine sees the query, so no query reaches the network.

    Raises:
        QueryRefused: the query uses ``SERVICE``, nests deeper than
            :data:`MAX_DEPTH`, holds more than :data:`MAX_OPERATORS` operators,
            or is longer than :data:`MAX_QUERY_CHARS`.

    Example:
        >>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
        Traceback (most recent call last):
        kg.query.QueryRefused: SERVICE is refused: ...
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryRefused(f"the query is {len(query)} characters long; at most {MAX_QUERY_CHARS} are run")
    depth = deepest = operators = 0
    for match in _LEXEMES.finditer(_decode_escapes(query)):
        kind = match.lastgroup
        if kind == "word":
            word = match.group().upper()
            if word == "SERVICE":
                raise QueryRefused("SERVICE is refused: queries run on this graph only and never reach "
                                   "the network; remove the SERVICE clause")
            operators += word in _COUNTED_WORDS
        elif kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth -= 1
        elif kind == "op":
            operators += 1
    if deepest > MAX_DEPTH:
        raise QueryRefused(f"the query nests brackets {deepest} deep; at most {MAX_DEPTH} levels are run, "
                           "so flatten the groups or expressions")
    if operators > MAX_OPERATORS:
        raise QueryRefused(f"the query holds {operators} operators, unions and optionals; at most "
                           f"{MAX_OPERATORS} are run, so split it (VALUES or IN lists instead of long chains)")


def _first_match_is_required(query: str, name: str) -> bool:
    """The first mention of ``?name`` in the WHERE clause is in a required triple pattern.

    That is: directly in the clause's top group (not inside OPTIONAL, MINUS,
    UNION, a subquery or a nested group), outside any brackets (BIND, FILTER,
    expressions), and not a VALUES variable.
    """
    groups = brackets = 0
    previous = ""
    for match in _LEXEMES.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind == "open":
            groups, brackets = (groups + 1, brackets) if text == "{" else (groups, brackets + 1)
        elif kind == "close":
            groups, brackets = (groups - 1, brackets) if text == "}" else (groups, brackets - 1)
        elif kind == "var" and groups and match.group("var") == name:
            return groups == 1 and brackets == 0 and previous != "VALUES"
        elif kind == "word":
            previous = text.upper()
    return False


def _substitutions(query: str, bindings: Mapping[str, str]) -> dict[ox.Variable, ox.Literal]:
    declared = bindable_variables(query)
    substitutions = {}
    for given, value in bindings.items():
        name = given.lstrip("?$")
        if name not in declared:
            known = query_variables(query)
            if name not in known:
                have = ", ".join(f"?{v}" for v in known) or "none"
                raise QueryError(f"--bind {name}: the query has no variable ?{name}; its variables are {have}")
            can = f"bind one of {', '.join(f'?{v}' for v in declared)}" if declared else "it has none"
            raise QueryError(f"--bind {name}: the query does not declare ?{name} bindable (a value could relabel "
                             f"its rows); {can}, or add '#@bind {name}' to a copy of the query that matches "
                             f"?{name} in a required triple pattern")
        if not _first_match_is_required(query, name):
            raise QueryError(f"--bind {name}: the query declares ?{name} bindable but first matches it outside "
                             f"a required triple pattern (in OPTIONAL, UNION, BIND, VALUES or a nested group), "
                             f"where a value would relabel rows instead of filtering them; match ?{name} "
                             "in the WHERE clause's top group first")
        # A declared language (``#@bind district zh-Hans``) binds a tagged literal, which Oxigraph looks up by index.
        substitutions[ox.Variable(name)] = ox.Literal(value, language=declared[name]) if declared[name] \
            else ox.Literal(value)
    return substitutions


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A result term as plain text: an IRI, ``_:id``, a literal's lexical form, or ``""``."""
    if term is None:
        return ""
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def _projected(store: ox.Store, query: str) -> str:
    try:
        result = store.query(query)
    except (SyntaxError, RuntimeError, OSError, ValueError):
        return "none"
    names = [f"?{v.value}" for v in result.variables] if isinstance(result, ox.QuerySolutions) else []
    return ", ".join(names) or "none"


def take_rows(results: Any, max_rows: int | None) -> list[Any]:
    """The solutions or triples of ``results``, refusing an answer of more than ``max_rows``.

    Raises:
        QueryError: more than ``max_rows`` of them.
    """
    rows = list(results if max_rows is None else islice(results, max_rows + 1))
    if max_rows is not None and len(rows) > max_rows:
        raise QueryError(f"the answer has more than {max_rows} rows; narrow the query (bind a value, add LIMIT) "
                         "or raise --max-rows")
    return rows


def run_query(store: ox.Store, query: str, bindings: Mapping[str, str] | None = None, *,
              max_rows: int | None = None) -> tuple[list[str], list[list[str]]]:
    """Run a SPARQL query in this process, with values bound to the variables it declares bindable.

    Each value is bound as a literal through Oxigraph's ``substitutions``; the
    query text is never changed. :func:`query_graph` runs the same in a child
    process with limits; use that for queries from users.

    Args:
        store: from :func:`open_store`.
        query: SPARQL 1.1 query text (see :func:`resolve_query`).
        bindings: variable name (without ``?``) → string value; only
            variables the query declares with ``#@bind`` lines.
        max_rows: refuse answers with more rows than this.

    Returns:
        The header and the rows, every cell as text (unbound is ``""``).
        ``ASK`` gives one column ``ask``; ``CONSTRUCT`` and ``DESCRIBE`` give
        ``subject``, ``predicate``, ``object``.

    Raises:
        QueryRefused: see :func:`check_query`.
        QueryError: a binding names a variable the query does not declare
            bindable, or one it does not project; the query does not parse or fails;
            the answer has more than ``max_rows`` rows.

    Example:
        >>> run_query(store, resolve_query("programmes-by-district"), {"district": "镇海区"})
    """
    check_query(query)
    substitutions = _substitutions(query, dict(bindings or {}))
    try:
        result = store.query(query, substitutions=substitutions or None)
        if isinstance(result, ox.QueryBoolean):
            return ["ask"], [["true" if bool(result) else "false"]]
        if isinstance(result, ox.QuerySolutions):
            header = [v.value for v in result.variables]
            return header, [[term_text(term) for term in solution] for solution in take_rows(result, max_rows)]
        return ["subject", "predicate", "object"], [
            [term_text(t.subject), term_text(t.predicate), term_text(t.object)] for t in take_rows(result, max_rows)]
    except SyntaxError as err:
        raise QueryError(f"the query does not parse: {_one_line(err)}; check its SPARQL syntax") from err
    except RuntimeError as err:
        message = _one_line(err)
        if "projection" in message and (missing := re.search(r"\?(\w+)", message)):
            raise QueryError(f"--bind {missing.group(1)}: only variables in the SELECT clause can be bound, "
                             f"and ?{missing.group(1)} is not; add it there, or bind one of "
                             f"{_projected(store, query)}") from err
        raise QueryError(f"the query failed: {message}") from err
    except (OSError, ValueError, TypeError) as err:
        raise QueryError(f"the query failed: {_one_line(err)}") from err


# -- the child process -------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies, by any signal."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at what it uses now plus ``memory_mb`` MiB."""
    try:
        import resource  # noqa: PLC0415 (POSIX only)

        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = used + _WORKER_STACK + (memory_mb << 20)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time and row limits still hold


def _run_job(reply: list[tuple[str, Any]], job: Callable[..., Any], store: ox.Store,
             args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        reply.append(("ok", job(store, *args, **kwargs)))
    except MemoryError:
        reply.append(("error", QueryCrash("the query needed more memory than its limit; narrow it "
                                          "or raise --max-memory")))
    except KGError as err:
        reply.append(("error", err))
    except Exception as err:  # noqa: BLE001 (anything else the engine raises is the query's failure)
        reply.append(("error", QueryError(f"the query failed: {_one_line(err)}")))


def _worker_main(conn: Any, graph: str, memory_mb: int, parent: int) -> None:
    """A query worker: load the graph, then run jobs one at a time until the pipe closes."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        store = open_store(graph)
    except KGError as err:
        conn.send(("error", err))
        return
    _limit_memory(memory_mb)
    # The engine reports a stack overflow on stderr before it aborts; the parent says it in one line.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    threading.stack_size(_WORKER_STACK)
    conn.send(("ready", None))
    while True:
        try:
            job, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        reply: list[tuple[str, Any]] = []
        thread = threading.Thread(target=_run_job, args=(reply, job, store, args, kwargs))
        thread.start()
        thread.join()
        try:
            conn.send(reply[0])
        except (OSError, ValueError):
            return


class QueryWorker:
    """A child process that holds the graph and runs one query at a time.

    The parent waits for each answer with a time limit; a worker that times
    out is killed, and a worker that dies (a stack overflow, the memory limit)
    is reported as :class:`QueryCrash`. Either way the caller starts a new one.
    Workers die with their parent.

    Example:
        >>> with QueryWorker("out/graph.ttl") as worker:
        ...     worker.ready()
        ...     worker.submit(run_query, "ASK { ?s ?p ?o }")
        ...     worker.result(timeout=30)
        (['ask'], [['true']])
    """

    def __init__(self, graph: str | Path, *, memory_mb: int = Limits.memory_mb) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_worker_main, args=(child, str(graph), memory_mb, os.getpid()),
                                        name="kg-query", daemon=True)
        self._process.start()
        child.close()
        self.memory_mb = memory_mb

    @property
    def pid(self) -> int | None:
        """The worker's process id."""
        return self._process.pid

    def fileno(self) -> int:
        """The pipe the answers come on, for an event loop to wait on."""
        return self._conn.fileno()

    def ready(self, timeout: float | None = LOAD_TIMEOUT) -> None:
        """Wait until the worker has loaded the graph.

        Raises:
            GraphError: the graph cannot be read, or takes longer than ``timeout`` to load.
        """
        if not self._conn.poll(timeout):
            self.kill()
            raise GraphError(f"{self._process.name}: the graph did not load within {timeout:g} s")
        try:
            self.collect()
        except QueryCrash as err:
            raise GraphError(f"the graph cannot be loaded: {err}") from err

    def submit(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Send ``job(store, *args, **kwargs)`` to the worker; ``job`` must be a module-level function."""
        self._conn.send((job, args, kwargs))

    def collect(self) -> Any:
        """The answer to the last job, once it has come (blocks until then).

        Raises:
            QueryCrash: the worker died.
            KGError: what the job raised.
        """
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError) as err:
            self._process.join(5)
            code = self._process.exitcode
            self.kill()
            how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit {code}"
            raise QueryCrash(f"the query stopped the SPARQL engine ({how}): it is nested or chained too deeply "
                             f"for the engine's stack, or needs more than {self.memory_mb} MiB; simplify it "
                             "or raise --max-memory") from err
        if kind == "error":
            raise value
        return value

    def result(self, timeout: float) -> Any:
        """The answer to the last job, waiting at most ``timeout`` seconds.

        Raises:
            QueryTimeout: no answer in time; the worker is killed.
            QueryCrash: the worker died.
            KGError: what the job raised.
        """
        if not self._conn.poll(timeout):
            self.kill()
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; narrow it "
                               "(bind a value, add LIMIT) or raise --timeout")
        return self.collect()

    def kill(self) -> None:
        """Stop the worker now (it may be in the middle of a query)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._conn.close()

    def __enter__(self) -> QueryWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def query_graph(graph: str | Path, query: str, bindings: Mapping[str, str] | None = None, *,
                limits: Limits | None = None) -> tuple[list[str], list[list[str]]]:
    """Run a query on a graph in a child process, within limits: what ``kg query`` does.

    Args:
        graph: a graph as :func:`open_store` takes.
        query: SPARQL text, ``@file.rq`` or a shipped query's name (see :func:`resolve_query`).
        bindings: values for the variables the query declares bindable.
        limits: time, rows and memory (the defaults of :class:`Limits`).

    Returns:
        The header and rows, as :func:`run_query` gives them.

    Raises:
        GraphError: the graph cannot be read.
        QueryError: the query cannot be found, is refused, does not parse, fails,
            runs out of time, memory or rows, or crashes the engine; the message
            names the query and what to do.
    """
    limits = limits or Limits()
    text = resolve_query(query)
    try:
        check_query(text)
        with QueryWorker(graph, memory_mb=limits.memory_mb) as worker:
            worker.ready()
            worker.submit(run_query, text, dict(bindings or {}), max_rows=limits.max_rows)
            return worker.result(limits.timeout)
    except QueryError as err:
        raise type(err)(f"query {describe_query(query)}: {err}") from err


# -- output ------------------------------------------------------------------

def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide and full-width characters take two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


# What json.dumps leaves raw that a terminal would act on: DEL and the C1 controls.
_JSON_RAW_CONTROL = re.compile("[\x7f-\x9f]")


def format_rows(header: Sequence[str], rows: Sequence[Sequence[str]], fmt: str = "table") -> str:
    """Format query results as an aligned table, CSV, or JSON, safe to print.

    Control characters never reach the terminal: the table and CSV show them as
    ``\\x1b`` escapes, JSON as ``\\u001b``. CSV cells that a spreadsheet would
    run as a formula (starting with ``= + - @``, tab or carriage return) get a
    leading apostrophe, as OWASP recommends.

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
        for row in (header, *rows):
            writer.writerow([csv_cell(terminal_text(str(cell))) for cell in row])
        return buf.getvalue()
    if fmt == "json":
        text = json.dumps([dict(zip(header, row, strict=True)) for row in rows], ensure_ascii=False, indent=2)
        return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if fmt != "table":
        raise QueryError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    header = [terminal_text(" ".join(str(h).split())) for h in header]
    cells = [[terminal_text(" ".join(str(c).split())) for c in row] for row in rows]
    widths = [max([_width(h), *(_width(row[i]) for row in cells)]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
