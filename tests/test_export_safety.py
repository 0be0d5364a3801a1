"""Exports stay valid and safe whatever the reports hold: XML without forbidden characters, CSV without formulas,
files as readable as the user's umask says."""

from __future__ import annotations

import csv
import os
import stat

import networkx as nx
import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS

from kg.export import to_networkx, write_csv_tables, write_formats, write_gexf, write_graphml, write_turtle
from kg.graph import build_graph
from kg.types import Extraction, Mention, Metadata

FORBIDDEN = "\x1b[31m\x01\ufffe"  # ESC (a terminal colour), U+0001, U+FFFE: none of them allowed in XML 1.0
TITLE = f"镇海区{FORBIDDEN}2022年法治政府建设年度报告"
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def report(gaz, title: str = TITLE, programmes: tuple[str, ...] = ()) -> Extraction:
    return Extraction(
        source="corpus/a.txt", sha256="a", encoding="utf-8", script="simplified",
        metadata=Metadata(title=title, year=2022, district=gaz.by_code["330211"]),
        mentions=tuple(Mention("programme", p, p, p, 0, len(p)) for p in programmes),
    )


def test_forbidden_characters_leave_graphml_and_gexf_but_stay_in_turtle(gaz, tmp_path):
    graph = build_graph([report(gaz)])
    write_turtle(graph, tmp_path / "graph.ttl")
    projection = write_graphml(graph, tmp_path / "graph.graphml")
    write_gexf(projection, tmp_path / "graph.gexf")
    clean = TITLE.replace(FORBIDDEN, "[31m")
    for read in (nx.read_graphml, nx.read_gexf):  # both refused the file before
        name = "graph.graphml" if read is nx.read_graphml else "graph.gexf"
        labels = {data["label"] for _, data in read(tmp_path / name).nodes(data=True)}
        assert clean in labels
    titles = {str(t) for t in Graph().parse(tmp_path / "graph.ttl").objects(None, DCTERMS.title)}
    assert titles == {TITLE}


def test_the_graphml_keeps_the_projection_it_returns_whole(gaz, tmp_path):
    graph = build_graph([report(gaz)])
    assert {d["label"] for _, d in write_graphml(graph, tmp_path / "g.graphml").nodes(data=True)} == {
        d["label"] for _, d in to_networkx(graph).nodes(data=True)}


def test_csv_cells_a_spreadsheet_would_run_are_text(gaz, tmp_path):
    graph = build_graph([report(gaz, title="=cmd|' /C calc'!A0", programmes=tuple(FORMULAS))])
    write_csv_tables(to_networkx(graph), tmp_path / "nodes.csv", tmp_path / "edges.csv")
    with open(tmp_path / "nodes.csv", encoding="utf-8", newline="") as fh:
        labels = [row["Label"] for row in csv.DictReader(fh)]
    assert "'=cmd|' /C calc'!A0" in labels
    assert {f"'{f}" for f in FORMULAS} <= set(labels)
    assert not [label for label in labels if label.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_outputs_follow_the_umask(gaz, tmp_path, umask, mode):
    graph = build_graph([report(gaz, title="报告")])
    old = os.umask(umask)
    try:
        write_turtle(graph, tmp_path / "graph.ttl")
        names = write_formats(graph, write_graphml(graph, tmp_path / "graph.graphml"), tmp_path,
                              ["nt", "jsonld", "gexf", "csv"])
    finally:
        os.umask(old)
    for name in ["graph.ttl", "graph.graphml", *names]:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
