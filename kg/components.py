"""The recognisers as spaCy pipeline components, registered as factories.

Each component reads the report's :class:`~kg.types.Context` from
``doc.user_data["lgkg_context"]`` (a blank context when there is none), adds
its mentions to ``doc.user_data["lgkg_mentions"]`` (relations to
``"lgkg_relations"``) and exposes them as ``Span``s in ``doc.spans["lgkg"]``:
``label_`` is the type (``AGENCY``, ``PLACE``, ``PROGRAMME``, ``HONOUR``),
``id_`` the canonical name, and the registered extensions carry what the
graph needs:

* ``span._.lgkg_jurisdiction``: an agency's jurisdiction, a place's parent;
* ``span._.lgkg_code``: a place's division code;
* ``span._.lgkg_kind``: the entity type, as the graph names it;
* ``span._.lgkg_evidence``: the sentence the span stands in;
* ``doc._.lgkg_relations``: the ``runs`` and ``awarded`` relations.

Every factory declares its settings in ``default_config``: ``rules``, the
named rules it runs in order (each recogniser module's ``RULES``; leave one
out to switch it off), and loads its data files at ``initialize``. A user's
own pipeline can name them:

    [components.lgkg_agencies]
    factory = "lgkg_agencies"
    rules = ["national", "headed"]

The factories are also exposed through the ``spacy_factories`` entry point.

Example:
    >>> nlp = spacy.blank("zh"); nlp.add_pipe("lgkg_places"); nlp.initialize()
    >>> [(s.label_, s.id_) for s in nlp("甘肃省兰州市").spans["lgkg"]]
    [('PLACE', '甘肃省'), ('PLACE', '兰州市')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.recognise import agencies, honours, places, programmes
from kg.recognise.agencies import find_agencies
from kg.recognise.honours import find_honours
from kg.recognise.places import find_places
from kg.recognise.programmes import find_programmes, programme_runs
from kg.text import sentence_spans
from kg.types import Context, Mention, Relation

__all__ = ["PlaceRecogniser", "AgencyRecogniser", "ProgrammeRecogniser", "HonourRecogniser", "mentions_of",
           "CONTEXT_KEY", "MENTIONS_KEY", "RELATIONS_KEY", "SPANS_KEY"]

CONTEXT_KEY = "lgkg_context"
MENTIONS_KEY = "lgkg_mentions"
RELATIONS_KEY = "lgkg_relations"
SPANS_KEY = "lgkg"


def _evidence(span: Span) -> str:
    text = span.doc.text
    for start, end in sentence_spans(text):
        if start <= span.start_char < end:
            return text[start:end].strip()
    return span.text


for _name, _default in (("lgkg_jurisdiction", ""), ("lgkg_code", ""), ("lgkg_kind", "")):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
if not Span.has_extension("lgkg_evidence"):
    Span.set_extension("lgkg_evidence", getter=_evidence)
if not Doc.has_extension("lgkg_relations"):
    Doc.set_extension("lgkg_relations", getter=lambda doc: list(doc.user_data.get(RELATIONS_KEY, [])))


def mentions_of(doc: Doc, kind: str | None = None) -> list[Mention]:
    """The mentions the components have found in ``doc`` (of one type, or all)."""
    found = doc.user_data.get(MENTIONS_KEY, [])
    return [m for m in found if kind is None or m.type == kind]


def _context(doc: Doc) -> Context:
    return doc.user_data.get(CONTEXT_KEY) or Context()


def _add(doc: Doc, mentions: list[Mention]) -> None:
    """Record ``mentions`` and expose each as a span with its canonical name as ``id_``."""
    doc.user_data.setdefault(MENTIONS_KEY, []).extend(mentions)
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    for m in mentions:
        span = doc.char_span(m.start, m.end, label=m.type.upper(), span_id=m.canonical, alignment_mode="expand")
        if span is not None:
            span._.lgkg_jurisdiction = m.parent
            span._.lgkg_code = m.code
            span._.lgkg_kind = m.type
            spans.append(span)
    doc.spans[SPANS_KEY] = spans


def _checked(rules: Iterable[str], known: tuple[str, ...], component: str) -> tuple[str, ...]:
    rules = tuple(rules)
    unknown = [r for r in rules if r not in known]
    if unknown:
        raise ValueError(f"{component}: unknown rule(s) {', '.join(unknown)} in the config's rules; "
                         f"the rules are {', '.join(known)}")
    return rules


class _Recogniser:
    """What every lgkg component shares: its named rules and the data it loads at ``initialize``."""

    name = ""
    known: tuple[str, ...] = ()
    loaders: tuple[Callable[[], object], ...] = ()

    def __init__(self, *, rules: Iterable[str]) -> None:
        self.rules = _checked(rules, self.known, self.name)

    def initialize(self, get_examples: Callable[[], Iterable[object]] | None = None, *,
                   nlp: Language | None = None) -> None:
        """Load the component's data files now rather than on the first document."""
        for load in self.loaders:
            load()


class PlaceRecogniser(_Recogniser):
    """Places checked against the administrative-division data."""

    name, known = "lgkg_places", places.RULES
    loaders = (places.gazetteer,)

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_places(doc.text, _context(doc), rules=self.rules))
        return doc


class AgencyRecogniser(_Recogniser):
    """Agencies: jurisdiction + body head, named bodies, national bodies."""

    name, known = "lgkg_agencies", agencies.RULES
    loaders = (agencies._data, agencies._patterns)

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_agencies(doc.text, _context(doc), mentions_of(doc, "place"), rules=self.rules))
        return doc


class ProgrammeRecogniser(_Recogniser):
    """Programmes: the curated lexicon and open-class rules."""

    name, known = "lgkg_programmes", programmes.RULES
    loaders = (programmes._lexicon, programmes._rules)

    def __call__(self, doc: Doc) -> Doc:
        _add(doc, find_programmes(doc.text, _context(doc), rules=self.rules))
        return doc


class HonourRecogniser(_Recogniser):
    """Honours after conferral triggers, their awards, and (``runs``) the programmes the district runs."""

    name, known = "lgkg_honours", honours.RULES
    loaders = (honours._rules,)

    def __init__(self, *, rules: Iterable[str], runs: bool = True) -> None:
        super().__init__(rules=rules)
        self.runs = runs

    def __call__(self, doc: Doc) -> Doc:
        ctx = _context(doc)
        found, awards = find_honours(doc.text, ctx, mentions_of(doc), rules=self.rules)
        _add(doc, found)
        relations: list[Relation] = doc.user_data.setdefault(RELATIONS_KEY, [])
        relations.extend(awards)
        if self.runs:
            relations.extend(programme_runs(doc.text, ctx, mentions_of(doc, "programme")))
        return doc


@Language.factory("lgkg_places", assigns=["doc.spans"], default_config={"rules": list(places.RULES)})
def make_places(nlp: Language, name: str, rules: list[str]) -> PlaceRecogniser:
    return PlaceRecogniser(rules=rules)


@Language.factory("lgkg_agencies", assigns=["doc.spans"], default_config={"rules": list(agencies.RULES)})
def make_agencies(nlp: Language, name: str, rules: list[str]) -> AgencyRecogniser:
    return AgencyRecogniser(rules=rules)


@Language.factory("lgkg_programmes", assigns=["doc.spans"], default_config={"rules": list(programmes.RULES)})
def make_programmes(nlp: Language, name: str, rules: list[str]) -> ProgrammeRecogniser:
    return ProgrammeRecogniser(rules=rules)


@Language.factory("lgkg_honours", assigns=["doc.spans", "doc._.lgkg_relations"],
                  default_config={"rules": list(honours.RULES), "runs": True})
def make_honours(nlp: Language, name: str, rules: list[str], runs: bool) -> HonourRecogniser:
    return HonourRecogniser(rules=rules, runs=runs)
