"""Run the pipeline over one normalised document: mentions and relations with evidence.

The recognisers see the normalised (Simplified) text; everything they find
is mapped back through the document's offset map, so each mention keeps its
original-script form and each relation its evidence sentence as the file
has it, with offsets into the original text.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from kg.divisions import Gazetteer, gazetteer
from kg.recognise.agencies import canonical_issuer, find_agencies
from kg.recognise.places import find_places
from kg.types import Context, Document, Mention, Metadata, Relation

__all__ = ["context_for", "extract"]


# what issues a county's report: a bureau, the government or its office, a party body; not a
# mediation committee or a service centre that the opening happens to name first
_AUTHOR_HEAD = re.compile(r"(?:局|政府|政府办公室|委|委办公室|办|人民法院|人民检察院)$")


def context_for(md: Metadata, gaz: Gazetteer | None = None, *, opening: str = "") -> Context:
    """The context the recognisers need: district, city, province and issuing agency.

    The issuing agency comes from the header's 发布机构, else the title, else the
    first agency of the district that the opening sentences name (区司法局在…).
    """
    gaz = gaz or gazetteer()
    district = md.district
    city = province = None
    if district is not None:
        chain = gaz.chain(district)
        city = chain[1] if len(chain) > 1 else None
        province = chain[-1] if len(chain) > 1 else None
    ctx = Context(district=district, city=city, province=province, year=md.year)
    places_of = lambda s: find_places(s, ctx, gaz=gaz)  # noqa: E731
    agency = canonical_issuer(md.agency, md.title, ctx, places_of)
    if not agency and district is not None and opening:
        first = next((a for a in find_agencies(opening, ctx, places_of(opening))
                      if a.parent == district.name and _AUTHOR_HEAD.search(a.canonical)), None)
        agency = first.canonical if first else ""
    return dataclasses.replace(ctx, agency=agency)


def extract(doc: Document, md: Metadata, nlp: Any) -> tuple[list[Mention], list[Relation]]:
    """Mentions and relations of one document, mapped back to its original text."""
    from kg.components import CONTEXT_KEY, MENTIONS_KEY, RELATIONS_KEY  # noqa: PLC0415 - needs spaCy

    ctx = context_for(md, opening=doc.text[:300])
    sdoc = nlp.make_doc(doc.text)
    sdoc.user_data[CONTEXT_KEY] = ctx
    sdoc = next(iter(nlp.pipe([sdoc])))
    mentions = []
    for m in sdoc.user_data.get(MENTIONS_KEY, []):
        start, end = doc.original_span(m.start, m.end)
        mentions.append(dataclasses.replace(m, original=doc.original[start:end]))
    relations = []
    for r in sdoc.user_data.get(RELATIONS_KEY, []):
        start, end = doc.original_span(r.start, r.end)
        relations.append(dataclasses.replace(r, evidence=doc.original[start:end].strip() or r.evidence,
                                             original_start=start, original_end=end))
    return mentions, relations
