"""Score a built graph against document-level gold files (gold/GUIDELINE.md).

The unit is the document, so scoring compares sets of names per document and
type, then micro-averages over all gold documents.

Scoring choices:
    * Names are normalised before comparing: quotes and book-title marks
      (“”‘’"'「」『』《》) and all whitespace are removed, full-width parentheses
      become half-width. Labels are scored; ``skos:altLabel`` is only reported.
    * A prediction matches a gold item if it equals the item's name or one of
      its aliases. Each gold item is matched at most once: predictions equal to
      a gold name are paired first, the rest by maximum bipartite matching.
    * A prediction that matches no free gold item but an ``optional`` item is
      ignored (neither TP nor FP).
    * A prediction that matches only gold items already matched is a FP and is
      listed as a *duplicate*: the graph holds two distinct names for one
      thing, a failure to merge (``区司法局`` beside ``镇海区司法局``).
    * ``runs`` compares programme labels with the gold runs, a gold run also
      matching the aliases of its entry in ``entities.programme``.
      ``awarded`` compares (recipient, honour) pairs; the recipient matches the
      name or aliases of any gold entity (of any type, optional included) with
      that canonical name, the honour those of the honour. A pair whose
      recipient or honour is optional is ignored.
    * A gold document with no report in the graph counts every gold item as FN
      and its district and year as wrong; reports without gold are ignored.
    * Precision, recall or F1 over an empty denominator is 0.0.

Example:
    >>> scores = evaluate("gold/seeds", "out/graph.ttl")
    >>> print(format_table(scores))
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from kg.errors import GoldError, GraphError
from kg.query import open_store

__all__ = [
    "ENTITY_TYPES", "TYPES", "GoldEntity", "Gold", "Prediction", "TypeScore", "DocScore", "Scores",
    "normalise", "load_gold", "load_predictions", "evaluate", "format_table", "format_verbose", "scores_to_json",
]

ENTITY_TYPES = ("agency", "place", "programme", "honour")
TYPES = (*ENTITY_TYPES, "runs", "awarded")

_STRIP = {ord(c): None for c in "“”‘’\"'「」『』《》"} | {ord("（"): "(", ord("）"): ")"}


def normalise(name: str) -> str:
    """The form names are compared in: ``“八五” 普法（规划）`` → ``八五普法(规划)``."""
    return re.sub(r"\s+", "", name.translate(_STRIP))


@dataclass(frozen=True)
class GoldEntity:
    """A gold entity: its canonical name and the other spellings in the document."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def forms(self) -> frozenset[str]:
        return frozenset(normalise(n) for n in (self.name, *self.aliases))


@dataclass(frozen=True)
class Gold:
    """One gold file. ``entities`` and ``optional`` map each entity type to its items."""

    doc: str
    district: str
    year: int | None
    entities: Mapping[str, tuple[GoldEntity, ...]]
    optional: Mapping[str, tuple[GoldEntity, ...]]
    runs: tuple[str, ...]
    awarded: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Prediction:
    """What the graph says about one document.

    Attributes:
        entities: type → label → the entity's ``skos:altLabel`` values.
        awarded: (recipient label, honour label) pairs.
    """

    doc: str
    sources: tuple[str, ...]
    district: str | None
    year: int | None
    entities: Mapping[str, Mapping[str, tuple[str, ...]]]
    runs: frozenset[str]
    awarded: frozenset[tuple[str, str]]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass(frozen=True)
class TypeScore:
    """Counts for one type; precision, recall and F1 derive from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def __add__(self, other: TypeScore) -> TypeScore:
        return TypeScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class DocScore:
    """One gold document: counts, misses (FN), false hits (FP) and duplicates per type.

    ``duplicates`` pairs each duplicate false hit with the gold name it repeats.
    Awarded pairs are written ``recipient → honour``.
    """

    doc: str
    found: bool
    counts: Mapping[str, TypeScore]
    misses: Mapping[str, tuple[str, ...]]
    false_hits: Mapping[str, tuple[str, ...]]
    duplicates: Mapping[str, tuple[tuple[str, str], ...]]
    district: tuple[str, str | None]
    year: tuple[int | None, int | None]


@dataclass(frozen=True)
class Scores:
    """Micro-averaged scores per type over all gold documents."""

    types: Mapping[str, TypeScore]
    docs: tuple[DocScore, ...]

    @property
    def district_correct(self) -> int:
        return sum(d.found and normalise(d.district[0]) == normalise(d.district[1] or "") for d in self.docs)

    @property
    def year_correct(self) -> int:
        return sum(d.found and d.year[0] == d.year[1] for d in self.docs)

    @property
    def missing_docs(self) -> tuple[str, ...]:
        return tuple(d.doc for d in self.docs if not d.found)


def _entities(data: object, where: str, path: Path) -> tuple[GoldEntity, ...]:
    """Gold items of one type: ``{"name": str, "aliases": [str]}`` objects, or plain name strings."""
    if not isinstance(data, list) or not all(
        isinstance(e, str)
        or isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("aliases", []), list)
        for e in data
    ):
        raise GoldError(f"{path}: {where} must be a list of names or of {{\"name\": str, \"aliases\": [str]}} "
                        "(see gold/GUIDELINE.md)")
    return tuple(GoldEntity(e) if isinstance(e, str) else GoldEntity(e["name"], tuple(map(str, e.get("aliases", []))))
                 for e in data)


def _read_gold(path: Path) -> Gold:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GoldError(f"{path}: not readable as UTF-8 JSON ({err}); fix or remove the file") from err
    try:
        district, entities, relations = data["district"]["name"], data["entities"], data["relations"]
        runs, awarded = relations["runs"], [(a["recipient"], a["honour"]) for a in relations["awarded"]]
        doc, year, optional = data["doc"], data["year"], data.get("optional", {})
    except (KeyError, TypeError) as err:
        raise GoldError(f"{path}: missing or malformed key {err} (see gold/GUIDELINE.md for the format)") from err
    if doc != path.stem:
        raise GoldError(f"{path}: \"doc\" is {doc!r} but must be the file name without extension, {path.stem!r}")
    if not (year is None or isinstance(year, int)) or not isinstance(district, str):
        raise GoldError(f"{path}: \"year\" must be an integer and \"district.name\" a string")
    if not isinstance(entities, dict) or not isinstance(optional, dict):
        raise GoldError(f"{path}: \"entities\" and \"optional\" must be objects keyed by {', '.join(ENTITY_TYPES)}")
    return Gold(
        doc=doc,
        district=district,
        year=year,
        entities={t: _entities(entities.get(t, []), f"entities.{t}", path) for t in ENTITY_TYPES},
        optional={t: _entities(optional.get(t, []), f"optional.{t}", path) for t in ENTITY_TYPES},
        runs=tuple(dict.fromkeys(runs)),
        awarded=tuple(dict.fromkeys(awarded)),
    )


def load_gold(gold_dir: str | Path) -> dict[str, Gold]:
    """Read every ``*.json`` in ``gold_dir``, keyed by doc; raise GoldError naming a bad file."""
    paths = sorted(Path(gold_dir).glob("*.json"))
    if not paths:
        raise GoldError(f"{gold_dir}: no *.json gold files found; give the folder holding them")
    return {g.doc: g for g in map(_read_gold, paths)}


_PREFIXES = """
PREFIX lgkg: <https://w3id.org/lgkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
_REPORTS = _PREFIXES + """SELECT ?r ?src ?district ?year WHERE { ?r a lgkg:Report ; dcterms:source ?src .
  OPTIONAL { ?r lgkg:reportingDistrict/rdfs:label ?district } OPTIONAL { ?r lgkg:reportYear ?year } }"""
_MENTIONS = _PREFIXES + """SELECT ?r ?cls ?label ?alt WHERE { ?r a lgkg:Report ; lgkg:mentions ?e .
  VALUES ?cls { lgkg:Agency lgkg:Place lgkg:Programme lgkg:Honour }
  ?e a ?cls ; rdfs:label ?label . OPTIONAL { ?e skos:altLabel ?alt } }"""
_RUNS = _PREFIXES + """SELECT ?r ?name WHERE { ?p a lgkg:ProgrammeParticipation ;
  prov:wasDerivedFrom ?r ; lgkg:programme/rdfs:label ?name . ?r a lgkg:Report }"""
_AWARDED = _PREFIXES + """SELECT ?r ?rec ?hon WHERE { ?a a lgkg:HonourAward ; prov:wasDerivedFrom ?r ;
  lgkg:recipient/rdfs:label ?rec ; lgkg:honour/rdfs:label ?hon . ?r a lgkg:Report }"""


def load_predictions(graph_path: str | Path) -> dict[str, Prediction]:
    """Read a graph written by ``kg build`` (Turtle, or an Oxigraph store folder), keyed by doc.

    The doc of a report is the file-name stem of its ``dcterms:source``; a
    report read from several files (the same text twice) counts for each of
    their docs, and reports sharing a stem are merged.
    """
    try:
        store = open_store(graph_path)
    except GraphError as err:  # kg evaluate names what it was reading
        raise GraphError(f"{graph_path}: cannot read the graph: {str(err).removeprefix(f'{graph_path}: ')}") from err
    docs_of: dict[str, set[str]] = defaultdict(set)
    sources, district, year = defaultdict(set), {}, {}
    for row in store.query(_REPORTS):
        doc = PurePosixPath(unquote(row["src"].value).replace("\\", "/")).stem
        docs_of[str(row["r"])].add(doc)
        sources[doc].add(row["src"].value)
        if row["district"] is not None:
            district.setdefault(doc, row["district"].value)
        if row["year"] is not None and (m := re.match(r"-?\d+", row["year"].value)):
            year.setdefault(doc, int(m.group()))
    entities: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(dict))
    runs, awarded = defaultdict(set), defaultdict(set)

    def rows(query: str):  # a report without dcterms:source has no doc and is skipped
        return ((doc, row) for row in store.query(query) for doc in docs_of.get(str(row["r"]), ()))

    for doc, row in rows(_MENTIONS):
        kind = row["cls"].value.rpartition("#")[2].lower()
        alts = entities[doc][kind].setdefault(row["label"].value, set())
        if row["alt"] is not None:
            alts.add(row["alt"].value)
    for doc, row in rows(_RUNS):
        runs[doc].add(row["name"].value)
    for doc, row in rows(_AWARDED):
        awarded[doc].add((row["rec"].value, row["hon"].value))
    return {
        doc: Prediction(
            doc=doc,
            sources=tuple(sorted(sources[doc])),
            district=district.get(doc),
            year=year.get(doc),
            entities={t: {k: tuple(sorted(v)) for k, v in entities[doc][t].items()} for t in ENTITY_TYPES},
            runs=frozenset(runs[doc]),
            awarded=frozenset(awarded[doc]),
        )
        for doc in sorted(set().union(*docs_of.values()))
    }


def _augment(p: int, edges: Sequence[list[int]], owner: dict[int, int], seen: set[int]) -> bool:
    for g in edges[p]:
        if g not in seen:
            seen.add(g)
            if g not in owner or _augment(owner[g], edges, owner, seen):
                owner[g] = p
                return True
    return False


def _match(preds: Iterable[tuple[str, ...]], golds: Sequence[tuple[str, ...]],
           forms: Sequence[tuple[frozenset[str], ...]], optional: tuple[frozenset[str], ...]):
    """Pair predicted items (names, or (recipient, honour) pairs) with gold items.

    A prediction hits gold item ``g`` if each of its normalised parts is among
    ``forms[g]``; exact hits (all parts equal the gold names) are paired first,
    then a maximum matching. An unpaired prediction with a part in
    ``optional`` is ignored. Returns (TypeScore, misses, false hits,
    duplicates as (prediction, gold)), items written ``a → b``.
    """
    preds = sorted(set(preds))
    keys = [tuple(map(normalise, p)) for p in preds]
    exact = [tuple(map(normalise, g)) for g in golds]
    edges = [[g for g, f in enumerate(forms) if all(k in fs for k, fs in zip(key, f))] for key in keys]
    fixed: dict[int, int] = {}
    for p, gs in enumerate(edges):
        g = next((g for g in gs if keys[p] == exact[g] and g not in fixed), None)
        if g is not None:
            fixed[g] = p
    owner: dict[int, int] = {}
    free = [[g for g in gs if g not in fixed] for gs in edges]
    for p in sorted(set(range(len(preds))) - set(fixed.values())):
        _augment(p, free, owner, set())
    owner |= fixed
    unpaired = [p for p in range(len(preds)) if p not in owner.values()
                and not any(k in opt for k, opt in zip(keys[p], optional))]
    show = " → ".join
    return (
        TypeScore(len(owner), len(unpaired), len(golds) - len(owner)),
        tuple(show(g) for i, g in enumerate(golds) if i not in owner),
        tuple(show(preds[p]) for p in unpaired),
        tuple((show(preds[p]), show(golds[edges[p][0]])) for p in unpaired if edges[p]),
    )


_NOTHING = Prediction("", (), None, None, {t: {} for t in ENTITY_TYPES}, frozenset(), frozenset())


def _score_doc(gold: Gold, pred: Prediction | None) -> DocScore:
    p = pred or _NOTHING
    opt = {t: frozenset().union(*(e.forms for e in gold.optional[t])) for t in ENTITY_TYPES}
    named: dict[str, frozenset[str]] = defaultdict(frozenset)
    for e in (e for t in ENTITY_TYPES for e in (*gold.entities[t], *gold.optional[t])):
        named[e.name] |= e.forms
    programmes = {e.name: e.forms for e in gold.entities["programme"]}

    def form(name: str, within: Mapping[str, frozenset[str]] = named) -> frozenset[str]:
        return within.get(name) or frozenset({normalise(name)})

    cases = {t: ([(n,) for n in p.entities[t]], [(e.name,) for e in gold.entities[t]],
                 [(e.forms,) for e in gold.entities[t]], (opt[t],)) for t in ENTITY_TYPES}
    cases["runs"] = ([(n,) for n in p.runs], [(n,) for n in gold.runs],
                     [(form(n, programmes),) for n in gold.runs], (opt["programme"],))
    cases["awarded"] = (p.awarded, gold.awarded, [(form(r), form(h)) for r, h in gold.awarded],
                        (frozenset().union(*opt.values()), opt["honour"]))
    results = {t: _match(*case) for t, case in cases.items()}
    return DocScore(
        doc=gold.doc,
        found=pred is not None,
        counts={t: r[0] for t, r in results.items()},
        misses={t: r[1] for t, r in results.items()},
        false_hits={t: r[2] for t, r in results.items()},
        duplicates={t: r[3] for t, r in results.items()},
        district=(gold.district, p.district),
        year=(gold.year, p.year),
    )


def evaluate(gold_dir: str | Path, graph_path: str | Path) -> Scores:
    """Score the graph at ``graph_path`` against the gold files in ``gold_dir``."""
    gold, preds = load_gold(gold_dir), load_predictions(graph_path)
    docs = tuple(_score_doc(g, preds.get(doc)) for doc, g in sorted(gold.items()))
    totals = {t: sum((d.counts[t] for d in docs), TypeScore()) for t in TYPES}
    return Scores(types=totals, docs=docs)


def format_table(scores: Scores) -> str:
    """A plain-text table of P/R/F1 and counts per type, then district and year accuracy."""
    lines = [f"{'type':<12}{'P':<7}{'R':<7}{'F1':<7}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for t, s in scores.types.items():
        lines.append(f"{t:<12}{s.precision:<7.3f}{s.recall:<7.3f}{s.f1:<7.3f}{s.tp:>5}{s.fp:>5}{s.fn:>5}")
    n = len(scores.docs)
    lines += [f"{'district':<12}{scores.district_correct}/{n} correct",
              f"{'year':<12}{scores.year_correct}/{n} correct"]
    if scores.missing_docs:
        lines.append(f"no report in the graph for {', '.join(scores.missing_docs)}: all their gold items count as FN")
    return "\n".join(lines)


def format_verbose(scores: Scores) -> str:
    """Per document, the misses (FN) and false hits (FP) of every type."""
    out = []
    for d in scores.docs:
        out.append(d.doc + ("" if d.found else "  (no report in the graph)"))
        out.append(f"  district  gold {d.district[0]}  predicted {d.district[1] or '-'}")
        out.append(f"  year      gold {d.year[0]}  predicted {d.year[1] or '-'}")
        for t in TYPES:
            dup = dict(d.duplicates[t])
            hits = [f"{h} (duplicate of {dup[h]})" if h in dup else h for h in d.false_hits[t]]
            for label, items in (("missed", d.misses[t]), ("false", hits)):
                if items:
                    out.append(f"  {t:<10}{label:<7}{'; '.join(items)}")
    return "\n".join(out)


def _counts(s: TypeScore) -> dict:
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}


def scores_to_json(scores: Scores) -> dict:
    """A JSON-ready dict of the totals and the per-document details (for ``--json FILE``)."""
    n = len(scores.docs)
    return {
        "types": {t: _counts(s) for t, s in scores.types.items()},
        "district": {"correct": scores.district_correct, "total": n, "accuracy": _ratio(scores.district_correct, n)},
        "year": {"correct": scores.year_correct, "total": n, "accuracy": _ratio(scores.year_correct, n)},
        "missing_docs": list(scores.missing_docs),
        "docs": {
            d.doc: {
                "found": d.found,
                "district": {"gold": d.district[0], "predicted": d.district[1]},
                "year": {"gold": d.year[0], "predicted": d.year[1]},
                "counts": {t: _counts(c) for t, c in d.counts.items()},
                "misses": {t: list(v) for t, v in d.misses.items()},
                "false_hits": {t: list(v) for t, v in d.false_hits.items()},
                "duplicates": {t: [list(p) for p in v] for t, v in d.duplicates.items()},
            }
            for d in scores.docs
        },
    }
