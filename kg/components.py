"""The recognisers as spaCy pipeline components, registered as factories.

Each component reads the report's :class:`~kg.types.Context` from
``doc.user_data["lgkg_context"]``, adds its mentions to
``doc.user_data["lgkg_mentions"]`` (relations to ``"lgkg_relations"``) and
exposes them as spans in ``doc.spans["lgkg"]``, so a user's own pipeline can
name them in a config:

    [components.lgkg_agencies]
    factory = "lgkg_agencies"

The factories are also exposed through the ``spacy_factories`` entry point.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from kg.recognise.agencies import find_agencies
from kg.recognise.honours import find_honours
from kg.recognise.places import find_places
from kg.recognise.programmes import find_programmes, programme_runs
from kg.types import Context, Mention

__all__ = ["PlaceRecogniser", "AgencyRecogniser", "ProgrammeRecogniser", "HonourRecogniser", "mentions_of"]

CONTEXT_KEY = "lgkg_context"
MENTIONS_KEY = "lgkg_mentions"
RELATIONS_KEY = "lgkg_relations"
SPANS_KEY = "lgkg"


def mentions_of(doc: Doc, kind: str | None = None) -> list[Mention]:
    """The mentions the components have found in ``doc`` (of one type, or all)."""
    found = doc.user_data.get(MENTIONS_KEY, [])
    return [m for m in found if kind is None or m.type == kind]


def _context(doc: Doc) -> Context:
    return doc.user_data.get(CONTEXT_KEY) or Context()


def _add(doc: Doc, mentions: list[Mention]) -> None:
    doc.user_data.setdefault(MENTIONS_KEY, []).extend(mentions)
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    for m in mentions:
        span = doc.char_span(m.start, m.end, label=m.type.upper(), alignment_mode="expand")
        if span is not None:
            spans.append(span)
    doc.spans[SPANS_KEY] = spans


class PlaceRecogniser:
    """Places checked against the administrative-division data."""

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_places(doc.text, _context(doc)))
        return doc


class AgencyRecogniser:
    """Agencies: jurisdiction + body head, named bodies, national bodies."""

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_agencies(doc.text, _context(doc), mentions_of(doc, "place")))
        return doc


class ProgrammeRecogniser:
    """Programmes: the curated lexicon and open-class rules."""

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_programmes(doc.text, _context(doc)))
        return doc


class HonourRecogniser:
    """Honours after conferral triggers, their awards, and the programmes the district runs."""

    def __init__(self, *, runs: bool = True) -> None:
        self.runs = runs

    def __call__(self, doc: Doc) -> Doc:
        ctx = _context(doc)
        honours, awards = find_honours(doc.text, ctx, mentions_of(doc))
        _add(doc, honours)
        relations = doc.user_data.setdefault(RELATIONS_KEY, [])
        relations.extend(awards)
        if self.runs:
            relations.extend(programme_runs(doc.text, ctx, mentions_of(doc, "programme")))
        return doc


@Language.factory("lgkg_places")
def make_places(nlp: Language, name: str) -> PlaceRecogniser:
    return PlaceRecogniser()


@Language.factory("lgkg_agencies")
def make_agencies(nlp: Language, name: str) -> AgencyRecogniser:
    return AgencyRecogniser()


@Language.factory("lgkg_programmes")
def make_programmes(nlp: Language, name: str) -> ProgrammeRecogniser:
    return ProgrammeRecogniser()


@Language.factory("lgkg_honours", default_config={"runs": True})
def make_honours(nlp: Language, name: str, runs: bool) -> HonourRecogniser:
    return HonourRecogniser(runs=runs)
