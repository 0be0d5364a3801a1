"""The ontology and its SHACL shapes: load them, validate graphs, generate ``kg.vocab``.

``ontology/lgkg.ttl`` is the one source of the project's vocabulary. The
closed namespace :class:`kg.vocab.LGKG` is generated from it, so a term that
is not in the ontology fails as soon as code touches it::

    .venv/bin/python -m kg.ontology          # rewrite kg/vocab.py
    .venv/bin/python -m kg.ontology --check  # exit 1 if kg/vocab.py is stale

Example:
    >>> from kg.ontology import validate
    >>> conforms, report = validate(graph)
    >>> conforms or print(report)
    True
"""

from __future__ import annotations

import argparse
import keyword
import sys
from collections.abc import Sequence
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from kg.errors import KGError
from kg.resources import data_dir

__all__ = [
    "ONTOLOGY_DIR",
    "ONTOLOGY_FILE",
    "SHAPES_FILE",
    "NAMESPACE",
    "DATA_NAMESPACE",
    "VOCAB_FILE",
    "load_ontology",
    "load_shapes",
    "validate",
    "ontology_terms",
    "render_vocab",
    "main",
]

#: The ``ontology/`` folder: the checkout's, or the installed package data.
ONTOLOGY_DIR = data_dir("ontology")
ONTOLOGY_FILE = ONTOLOGY_DIR / "lgkg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
#: The generated module.
VOCAB_FILE = Path(__file__).resolve().parent / "vocab.py"

#: The ontology's namespace: every ``lgkg:`` term starts with it.
NAMESPACE = "https://w3id.org/lgkg/ontology#"
#: The base of every IRI the build mints (places, entities, reports, relations).
DATA_NAMESPACE = "https://w3id.org/lgkg/id/"

#: The kinds of term the generated namespace lists, in the order it lists them.
_KINDS = (
    (OWL.Class, "Classes"),
    (OWL.ObjectProperty, "Object properties"),
    (OWL.DatatypeProperty, "Datatype properties"),
    (OWL.AnnotationProperty, "Annotation properties"),
)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise KGError(
            f"The ontology file {path} does not exist. kg reads it from the repository's "
            f"ontology/ folder ({ONTOLOGY_DIR}), beside the kg package: install the project "
            f"editable from a full checkout (pip install -e .) or restore the file."
        )
    return path


def _parse(path: str | Path) -> Graph:
    path = _existing(Path(path))
    try:
        return Graph().parse(path, format="turtle")
    except Exception as err:  # rdflib raises several unrelated types for bad Turtle
        raise KGError(f"Cannot parse {path} as Turtle: {err}. Fix the file and retry.") from err


def load_ontology() -> Graph:
    """The OWL ontology, ``ontology/lgkg.ttl``, as a new graph.

    Raises:
        KGError: the file is missing or is not valid Turtle.
    """
    return _parse(ONTOLOGY_FILE)


def load_shapes() -> Graph:
    """The SHACL shapes, ``ontology/shapes.ttl``, as a new graph.

    Raises:
        KGError: the file is missing or is not valid Turtle.
    """
    return _parse(SHAPES_FILE)


def validate(graph: Graph) -> tuple[bool, str]:
    """Check ``graph`` against the project's SHACL shapes.

    The ontology is mixed into a copy of the graph (so ``sh:class`` sees the
    ``rdfs:subClassOf`` axioms); no inference is run, so the check stays fast
    (two to three seconds for 20,000 triples). ``graph`` itself is not changed.

    Args:
        graph: the graph to check, e.g. the result of ``kg.graph.build_graph``.

    Returns:
        ``(conforms, report)``: whether the graph conforms, and pySHACL's
        human-readable validation report.

    Example:
        >>> conforms, report = validate(build_graph(extractions))
    """
    import pyshacl  # imported here: it is slow to import and only validation needs it

    conforms, _results, text = pyshacl.validate(
        graph,
        shacl_graph=load_shapes(),
        ont_graph=load_ontology(),
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
        meta_shacl=False,
        advanced=False,
        js=False,
    )
    return bool(conforms), str(text)


def _text(g: Graph, term: URIRef, prop: URIRef, lang: str) -> str:
    for value in sorted(g.objects(term, prop)):
        if isinstance(value, Literal) and value.language == lang:
            return " ".join(str(value).split())
    return ""


def ontology_terms(g: Graph, namespace: str = NAMESPACE) -> dict[str, URIRef]:
    """Local name → kind (``owl:Class``, ``owl:ObjectProperty`` …) of every term in ``namespace``.

    Example:
        >>> ontology_terms(load_ontology())["Agency"]
        rdflib.term.URIRef('http://www.w3.org/2002/07/owl#Class')
    """
    kinds = [kind for kind, _ in _KINDS]
    terms: dict[str, URIRef] = {}
    for kind in kinds:
        for term in g.subjects(RDF.type, kind):
            if isinstance(term, URIRef) and term.startswith(namespace) and term != URIRef(namespace):
                name = term[len(namespace):]
                if name in terms and terms[name] != kind:
                    raise KGError(
                        f"lgkg:{name} is declared both {g.qname(terms[name])} and {g.qname(kind)} "
                        f"in the ontology; declare it as one kind."
                    )
                terms[name] = kind
    return terms


def render_vocab(ttl_path: str | Path, *, namespace: str = NAMESPACE) -> str:
    """The source of ``kg/vocab.py``, generated from the ontology at ``ttl_path``.

    One annotated attribute per class and property of ``namespace`` declared
    in the file, grouped by kind and sorted by name, with its English and
    Chinese labels as a comment; names that are not Python identifiers go to
    ``_extras``. The output depends only on the file's triples, so it is the
    same on every machine.

    Raises:
        KGError: the file is missing or not valid Turtle, or declares no term.

    Example:
        >>> "class LGKG(DefinedNamespace):" in render_vocab(ONTOLOGY_FILE)
        True
    """
    path = Path(ttl_path)
    g = _parse(path)
    terms = ontology_terms(g, namespace)
    if not terms:
        raise KGError(
            f"{path} declares no owl:Class or owl property in <{namespace}>; "
            f"is it the lgkg ontology?"
        )
    title = _text(g, URIRef(namespace.rstrip("#/")), RDFS.label, "en") or "The lgkg ontology"
    body: list[str] = []
    extras: list[str] = []
    for kind, heading in _KINDS:
        names = sorted(name for name, k in terms.items() if k == kind)
        if not names:
            continue
        body.append(f"\n    # {heading} ({g.qname(kind)})\n")
        for name in names:
            term = URIRef(namespace + name)
            labels = [_text(g, term, RDFS.label, "en"), _text(g, term, RDFS.label, "zh-Hans")]
            comment = " / ".join(label for label in labels if label) or name
            if name.isidentifier() and not keyword.iskeyword(name):
                body.append(f"    {name}: URIRef  # {comment}\n")
            else:
                extras.append(f"        {name!r},  # {comment}\n")
    if extras:
        body.append("\n    # Terms that are not Python identifiers: LGKG[\"name\"]\n")
        body.append("    _extras = [\n" + "".join(extras) + "    ]\n")
    return _VOCAB_TEMPLATE.format(
        source=path.name, title=title, namespace=namespace, data=DATA_NAMESPACE, body="".join(body)
    )


_VOCAB_TEMPLATE = '''"""The lgkg ontology's terms as a closed namespace.

GENERATED from ontology/{source} by kg/ontology.py; do not edit by hand.
After changing the ontology, regenerate it with

    .venv/bin/python -m kg.ontology

tests/test_ontology.py fails while this file and the ontology differ.
A term that the ontology does not declare fails loudly:

    >>> LGKG.nonsense
    Traceback (most recent call last):
    AttributeError: term 'nonsense' not in namespace '{namespace}'
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

__all__ = ["LGKG", "DATA"]

#: The base of every IRI the build mints (places, entities, reports, relations).
DATA = Namespace("{data}")


class LGKG(DefinedNamespace):
    """{title}."""

    _NS = Namespace("{namespace}")
    _fail = True
{body}'''


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kg.ontology [--check]``: regenerate (or check) ``kg/vocab.py``."""
    parser = argparse.ArgumentParser(
        prog="python -m kg.ontology",
        description=f"Generate {VOCAB_FILE.name} from {ONTOLOGY_FILE}.",
    )
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the generated module is out of date")
    parser.add_argument("--ontology", type=Path, default=ONTOLOGY_FILE, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=VOCAB_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        source = render_vocab(args.ontology)
    except KGError as err:
        print(f"kg: {err}", file=sys.stderr)
        return 2
    current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
    if args.check:
        if current != source:
            print(f"kg: {args.output} is out of date with {args.ontology}; "
                  f"run: python -m kg.ontology", file=sys.stderr)
            return 1
        return 0
    if current != source:
        args.output.write_text(source, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(f"{args.output} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
