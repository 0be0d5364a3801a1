"""Write graphs: Turtle, and a NetworkX projection as Gephi-ready GraphML.

Every file is written atomically: to a temporary file in the same folder,
then renamed over the target, so an interrupted build leaves the previous
output whole; it gets the permissions the user's umask gives new files.
Values are made safe at this edge and only here (:mod:`kg.safe`): GraphML
and GEXF lose the characters XML 1.0 forbids (Turtle keeps them), and CSV
cells that a spreadsheet would run as a formula are made text.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.safe import csv_cell, xml_text
from kg.vocab import LGKG

__all__ = ["atomic_write", "new_mode", "write_turtle", "write_json", "to_networkx", "write_graphml", "write_gexf",
           "write_ntriples", "write_jsonld", "write_csv_tables", "FORMATS", "write_formats", "TYPE_COLOURS"]

#: Node type → (r, g, b), read by Gephi and Gephi Lite.
TYPE_COLOURS = {
    "Report": (150, 150, 150),
    "Agency": (31, 119, 180),
    "Place": (44, 160, 44),
    "Programme": (255, 127, 14),
    "Honour": (214, 39, 40),
}
_TYPES = {LGKG.Report: "Report", LGKG.Agency: "Agency", LGKG.Place: "Place",
          LGKG.Programme: "Programme", LGKG.Honour: "Honour"}
_EDGES = (LGKG.mentions, LGKG.reportingDistrict, LGKG.withinPlace, LGKG.jurisdiction,
          LGKG.runsProgramme, LGKG.receivedHonour)


_UMASK_LOCK = threading.Lock()


def new_mode(*, folder: bool = False) -> int:
    """The mode ``open`` (or ``mkdir`` for a folder) gives a new file under the process's umask."""
    with _UMASK_LOCK:  # reading the umask means setting it: set straight back, under a lock
        mask = os.umask(0o022)
        os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    The file gets the mode a plain ``open`` would give it (0666 less the
    umask), not the 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, new_mode())
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_with(path: str | Path, writer: Callable[[IO[Any]], None], mode: str = "w") -> None:
    with atomic_write(path, mode) as fh:
        writer(fh)


def write_turtle(g: Graph, path: str | Path) -> None:
    """Serialise ``g`` as Turtle to ``path``, atomically."""
    _write_with(path, lambda fh: g.serialize(fh, format="turtle", encoding="utf-8"), "wb")


def write_json(data: Any, path: str | Path) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    _write_with(path, lambda fh: json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True))


def _label(g: Graph, node: URIRef) -> str:
    labels = sorted(str(o) for o in g.objects(node, RDFS.label))
    return labels[0] if labels else str(g.value(node, LGKG.adcode) or node).rsplit("/", 1)[-1]


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """Project the entity layer of ``g`` onto a NetworkX multigraph.

    Nodes are reports and entities, keyed by IRI; edges are the direct
    relations between them (the reified participations and awards appear as
    their shortcuts ``runsProgramme`` and ``receivedHonour``). Every
    attribute is a plain ``str``, ``int`` or ``float``: rdflib terms stop here.
    """
    out = nx.MultiDiGraph()
    for cls, kind in _TYPES.items():
        for node in sorted(g.subjects(RDF.type, cls)):
            r, gr, b = TYPE_COLOURS[kind]
            if kind == "Report":
                # an untitled report is named after the first of its files, whichever order rdflib gives them in
                sources = sorted(str(o) for o in g.objects(node, DCTERMS.source))
                label = str(g.value(node, DCTERMS.title) or Path(sources[0] if sources else str(node)).stem)
            else:
                label = _label(g, node)
            attrs: dict[str, Any] = {"label": label, "type": kind, "r": r, "g": gr, "b": b}
            code = g.value(node, LGKG.adcode)
            if isinstance(code, Literal):
                attrs["adcode"] = str(code)
            year = g.value(node, LGKG.reportYear)
            if isinstance(year, Literal):
                attrs["year"] = int(year.toPython())
            out.add_node(str(node), **attrs)
    # Edge keys become GraphML edge ids, which graphology (Gephi Lite) needs unique across the file.
    count = 0
    for pred in _EDGES:
        name = str(pred).rsplit("#", 1)[-1]
        for s, o in sorted(g.subject_objects(pred)):
            if str(s) in out and str(o) in out:
                out.add_edge(str(s), str(o), key=f"e{count}", label=name)
                count += 1
    _add_province(out, g)
    for node, deg in out.degree():
        out.nodes[node]["degree"] = int(deg)
        out.nodes[node]["size"] = float(5 + 2 * deg ** 0.5)
    return out


def _add_province(out: nx.MultiDiGraph, g: Graph) -> None:
    """Give every place and report the name of its province, for filtering in Gephi."""
    for node, data in out.nodes(data=True):
        place = URIRef(node)
        if data["type"] == "Report":
            place = g.value(place, LGKG.reportingDistrict)
        seen = 0
        while place is not None and seen < 6:
            up = g.value(place, LGKG.withinPlace)
            if up is None:
                if place is not None and (place, LGKG.adcode, None) in g:
                    data["province"] = _label(g, place)
                break
            place, seen = up, seen + 1


def _xml_safe(value: Any) -> Any:
    return xml_text(value) if isinstance(value, str) else value


def _for_xml(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` whose ids and string values hold only characters XML 1.0 allows."""
    out = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        out.add_node(xml_text(node), **{k: _xml_safe(v) for k, v in data.items()})
    for u, v, key, data in graph.edges(keys=True, data=True):
        out.add_edge(xml_text(u), xml_text(v), key=_xml_safe(key), **{k: _xml_safe(x) for k, x in data.items()})
    return out


def write_graphml(g: Graph, path: str | Path) -> nx.MultiDiGraph:
    """Write the NetworkX projection of ``g`` as GraphML, atomically.

    Keys are named after their attributes (``named_key_ids``), so no data key
    lands on the ids that Gephi reserves for yEd (``d3``, ``d7``). Characters
    that XML 1.0 forbids are left out of the file (not of the returned projection).
    """
    graph = to_networkx(g)
    safe = _for_xml(graph)
    _write_with(path, lambda fh: nx.write_graphml(safe, fh, named_key_ids=True), "wb")
    return graph


def write_gexf(graph: nx.MultiDiGraph, path: str | Path) -> None:
    """Write the projection as GEXF with ``viz`` colour and size, which Gephi reads natively.

    Characters that XML 1.0 forbids are left out.
    """
    out = nx.MultiDiGraph()
    for node, data in _for_xml(graph).nodes(data=True):
        attrs = {k: v for k, v in data.items() if k not in ("r", "g", "b", "size")}
        attrs["viz"] = {"color": {"r": data["r"], "g": data["g"], "b": data["b"], "a": 1.0},
                        "size": data["size"]}
        out.add_node(node, **attrs)
    for u, v, key, data in _for_xml(graph).edges(keys=True, data=True):
        out.add_edge(u, v, key=key, **data)
    _write_with(path, lambda fh: nx.write_gexf(out, fh), "wb")


def write_ntriples(g: Graph, path: str | Path) -> None:
    """Serialise ``g`` as N-Triples, sorted so that equal graphs give equal files."""
    lines = sorted(g.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines())
    _write_with(path, lambda fh: fh.write("\n".join(line for line in lines if line) + "\n"))


def write_jsonld(g: Graph, path: str | Path) -> None:
    """Serialise ``g`` as JSON-LD with a context of the project's prefixes."""
    context = {prefix: str(ns) for prefix, ns in g.namespaces() if prefix in
               ("lgkg", "lgkgid", "dcterms", "prov", "skos", "rdfs", "xsd")}
    _write_with(path, lambda fh: g.serialize(fh, format="json-ld", context=context, encoding="utf-8"), "wb")


def write_csv_tables(graph: nx.MultiDiGraph, nodes_path: str | Path, edges_path: str | Path) -> None:
    """Write node and edge tables (Gephi's spreadsheet import reads ``Id``, ``Label``, ``Source``, ``Target``).

    A cell that starts with ``= + - @``, tab or carriage return gets a
    leading apostrophe (:func:`kg.safe.csv_cell`), so a spreadsheet shows
    it as text instead of running it as a formula.
    """
    import csv  # noqa: PLC0415

    keys = sorted({k for _, d in graph.nodes(data=True) for k in d} - {"label"})

    def nodes(fh: IO[Any]) -> None:
        w = csv.writer(fh)
        w.writerow(["Id", "Label", *keys])
        for node, data in sorted(graph.nodes(data=True)):
            w.writerow(map(csv_cell, [node, data["label"], *(data.get(k, "") for k in keys)]))

    def edges(fh: IO[Any]) -> None:
        w = csv.writer(fh)
        w.writerow(["Source", "Target", "Label"])
        for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["label"])):
            w.writerow(map(csv_cell, [u, v, data["label"]]))

    _write_with(nodes_path, nodes)
    _write_with(edges_path, edges)


#: Extra formats ``kg build --format`` can write (Turtle and GraphML are always written).
FORMATS = ("nt", "jsonld", "gexf", "csv")


def write_formats(g: Graph, graph: nx.MultiDiGraph, outdir: Path, formats: list[str]) -> list[str]:
    """Write the requested extra formats into ``outdir``; return the file names written."""
    written = []
    for fmt in formats:
        if fmt == "nt":
            write_ntriples(g, outdir / "graph.nt")
            written.append("graph.nt")
        elif fmt == "jsonld":
            write_jsonld(g, outdir / "graph.jsonld")
            written.append("graph.jsonld")
        elif fmt == "gexf":
            write_gexf(graph, outdir / "graph.gexf")
            written.append("graph.gexf")
        elif fmt == "csv":
            write_csv_tables(graph, outdir / "nodes.csv", outdir / "edges.csv")
            written += ["nodes.csv", "edges.csv"]
    return written
