"""Extraction records → one RDF graph, with IRIs minted from what things are.

A place that is an administrative division is named by its code, anything
else by its type and canonical name, a report by its normalised text (see
:mod:`kg.identity`: the same text in two files is one report, with both
paths as ``dcterms:source``), and a participation or award by what it links.
The same input therefore gives the same IRIs whatever the order of the
files, the number of workers or the folder the files lie in.

Example:
    >>> g = build_graph(extractions)
    >>> len(g) > 0
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.divisions import Gazetteer, gazetteer
from kg.identity import group_reports, identity
from kg.types import Division, Extraction, Mention, Relation
from kg.vocab import DATA, LGKG

__all__ = ["build_graph", "place_iri", "entity_iri", "report_iri", "bind_prefixes", "CLASSES"]

CLASSES = {"agency": LGKG.Agency, "place": LGKG.Place, "programme": LGKG.Programme, "honour": LGKG.Honour}
_LEVELS = {"province": "province", "city": "city", "county": "county"}


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def place_iri(code: str) -> URIRef:
    """The IRI of the division with GB/T 2260 code ``code``."""
    return DATA[f"place/{code}"]


def entity_iri(kind: str, name: str, *, within: str = "") -> URIRef:
    """The IRI of a named entity: its type and canonical name, percent-encoded.

    Places below the county (towns, villages) carry their county's code, as
    the same village name recurs across China.

    Example:
        >>> entity_iri("programme", "枫桥经验")
        rdflib.term.URIRef('https://w3id.org/lgkg/id/programme/%E6%9E%AB%E6%A1%A5%E7%BB%8F%E9%AA%8C')
    """
    key = quote(name, safe="")
    return DATA[f"{kind}/{within}/{key}" if within else f"{kind}/{key}"]


def report_iri(key: str) -> URIRef:
    """The IRI of the report known by ``key``, the digest of its normalised text (:func:`kg.identity.identity`)."""
    return DATA[f"report/{_digest(key)}"]


def bind_prefixes(g: Graph) -> Graph:
    """Bind the prefixes the project's graphs use."""
    g.bind("lgkg", LGKG._NS)
    g.bind("lgkgid", DATA)
    g.bind("dcterms", DCTERMS)
    g.bind("prov", PROV)
    g.bind("skos", SKOS)
    return g


def _jurisdiction_code(m: Mention, codes: dict[str, str]) -> str:
    """The code of the place an agency serves: its recorded jurisdiction, else the
    longest place name its canonical name starts with (我局 → 镇海区司法局 → 镇海区)."""
    if m.parent in codes:
        return codes[m.parent]
    prefixes = [name for name in codes if m.canonical.startswith(name)]
    return codes[max(prefixes, key=len)] if prefixes else ""


class _Builder:
    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.g = bind_prefixes(Graph())
        self.unlinked: list[dict[str, str]] = []

    def division(self, div: Division) -> URIRef:
        """The node of today's division for ``div``: one node through renamings and recodings."""
        div = self.gaz.current(div)
        node = place_iri(div.code)
        if (node, RDF.type, LGKG.Place) in self.g:
            return node
        self.g.add((node, RDF.type, LGKG.Place))
        self.g.add((node, RDFS.label, Literal(div.name, lang="zh-Hans")))
        self.g.add((node, LGKG.adcode, Literal(div.code)))
        self.g.add((node, LGKG.level, Literal(_LEVELS.get(div.level, div.level))))
        for form in {div.short, *(c.old_name for c in self.gaz.changes(div))} - {div.name, ""}:
            self.g.add((node, SKOS.altLabel, Literal(form, lang="zh-Hans")))
        for code, start, until in self.gaz.code_history(div):
            spell = DATA[f"place/{div.code}/adcode/{code}"]
            self.g.add((node, LGKG.adcodeHistory, spell))
            self.g.add((spell, RDF.type, LGKG.AdcodeSpell))
            self.g.add((spell, LGKG.heldCode, Literal(code)))
            for prop, year in ((LGKG.fromYear, start), (LGKG.untilYear, until)):
                if year is not None:
                    self.g.add((spell, prop, Literal(year)))
        parent = self.gaz.parent(div)
        if parent is not None:
            self.g.add((node, LGKG.withinPlace, self.division(parent)))
        return node

    def entity(self, m: Mention, district: Division | None, codes: dict[str, str]) -> URIRef:
        if m.type == "place" and m.code and m.code in self.gaz.by_code:
            node = self.division(self.gaz.by_code[m.code])
        else:
            # Towns and villages carry their county's code, agencies their jurisdiction's:
            # there is a 城关区司法局 in 兰州 and another in 拉萨.
            within = (district.code if m.type == "place" and district else
                      _jurisdiction_code(m, codes) if m.type == "agency" else "")
            node = entity_iri(m.type, m.canonical, within=within)
            self.g.add((node, RDF.type, CLASSES[m.type]))
            self.g.add((node, RDFS.label, Literal(m.canonical, lang="zh-Hans")))
            if m.type == "place" and district is not None:
                self.g.add((node, LGKG.withinPlace, self.division(district)))
        for form, lang in ((m.surface, "zh-Hans"), (m.original, "zh-Hant")):
            form = form.strip()
            if form and form != m.canonical and (lang == "zh-Hans" or m.original != m.surface):
                self.g.add((node, SKOS.altLabel, Literal(form, lang=lang)))
        return node

    def add(self, members: list[Extraction]) -> None:
        """Add one report: its representative's literals, facts and relations, every member's source and mentions."""
        ex = members[0]
        md = ex.metadata
        report = report_iri(identity(ex))
        g = self.g
        g.add((report, RDF.type, LGKG.Report))
        for member in members:
            g.add((report, DCTERMS.source, Literal(member.source)))
        g.add((report, LGKG.encoding, Literal(ex.encoding)))
        g.add((report, LGKG.script, Literal(ex.script)))
        if md.title:
            g.add((report, DCTERMS.title, Literal(md.title, lang="zh-Hans")))
        if md.issued:
            g.add((report, DCTERMS.issued, Literal(md.issued, datatype=XSD.date)))
        if md.year is not None:
            g.add((report, LGKG.reportYear, Literal(md.year)))
        if md.district is not None:
            g.add((report, LGKG.reportingDistrict, self.division(md.district)))
        codes = {m.canonical: m.code for m in ex.mentions if m.type == "place" and m.code}
        if md.district is not None:
            codes.update((d.name, d.code) for d in self.gaz.chain(md.district))
        nodes: dict[tuple[str, str], URIRef] = {}
        for m in (m for member in members for m in member.mentions):
            node = self.entity(m, md.district, codes)
            nodes[(m.type, m.canonical)] = node
            g.add((report, LGKG.mentions, node))
            code = _jurisdiction_code(m, codes) if m.type == "agency" else ""
            if code in self.gaz.by_code:
                g.add((node, LGKG.jurisdiction, self.division(self.gaz.by_code[code])))
        for rel in ex.relations:
            self.relation(rel, report, nodes, md.district, ex.source)

    def relation(self, rel: Relation, report: URIRef, nodes: dict[tuple[str, str], URIRef],
                 district: Division | None, report_source: str = "") -> None:
        g = self.g
        subject = nodes.get((rel.subject_type, rel.subject))
        if subject is None and rel.subject_type == "place" and district is not None \
                and rel.subject == district.name:
            subject = self.division(district)
        obj_type = "programme" if rel.kind == "runs" else "honour"
        obj = nodes.get((obj_type, rel.object))
        if subject is None or obj is None:
            self.unlinked.append({"source": report_source, "kind": rel.kind, "subject": rel.subject,
                                  "object": rel.object, "missing": "subject" if subject is None else obj_type})
            return
        if rel.kind == "runs":
            node = DATA[f"participation/{_digest(str(subject), str(obj), str(report))}"]
            g.add((node, RDF.type, LGKG.ProgrammeParticipation))
            g.add((node, LGKG.participant, subject))
            g.add((node, LGKG.programme, obj))
            g.add((subject, LGKG.runsProgramme, obj))
        else:
            node = DATA[f"award/{_digest(str(subject), str(obj), str(report), str(rel.original_start))}"]
            g.add((node, RDF.type, LGKG.HonourAward))
            g.add((node, LGKG.recipient, subject))
            g.add((node, LGKG.honour, obj))
            g.add((subject, LGKG.receivedHonour, obj))
            if rel.year is not None:
                g.add((node, LGKG.year, Literal(rel.year)))
            if rel.conferrer and ("agency", rel.conferrer) in nodes:
                g.add((node, LGKG.conferredBy, nodes[("agency", rel.conferrer)]))
        if (node, LGKG.evidence, None) not in g:
            g.add((node, PROV.wasDerivedFrom, report))
            g.add((node, LGKG.evidence, Literal(rel.evidence)))
            g.add((node, LGKG.evidenceStart, Literal(rel.original_start)))
            g.add((node, LGKG.evidenceEnd, Literal(rel.original_end)))


def build_graph(extractions: Iterable[Extraction], *, gaz: Gazetteer | None = None,
                unlinked: list[dict[str, str]] | None = None,
                near_duplicates: list[dict[str, Any]] | None = None) -> Graph:
    """Merge extraction records into one graph, one report per normalised text.

    Args:
        extractions: one record per document, in any order.
        gaz: the gazetteer (the shared one by default).
        unlinked: if given, receives one record per relation whose subject or
            object is no node of the document (source, kind, subject, object,
            what is missing), instead of the relation being dropped unseen.
        near_duplicates: if given, receives the near-duplicate pairs (see
            :func:`kg.identity.group_reports`).

    Returns:
        The RDF graph, with the project's prefixes bound.
    """
    builder = _Builder(gaz or gazetteer())
    reports, near = group_reports(extractions)
    for members in reports:
        builder.add(members)
    if unlinked is not None:
        unlinked.extend(builder.unlinked)
    if near_duplicates is not None:
        near_duplicates.extend(near)
    return builder.g

