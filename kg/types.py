"""The records that flow between the stages.

Every stage takes records and returns records; all of them are frozen
dataclasses defined here, so a newcomer finds the shape of the data in one
place. Offsets are character offsets (Python ``str`` indices).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "RawDocument",
    "Skip",
    "GarbledSpan",
    "Document",
    "Division",
    "DivisionChange",
    "Metadata",
    "Context",
    "Mention",
    "Relation",
    "Extraction",
]


@dataclass(frozen=True)
class RawDocument:
    """A file as read: decoded text in its original script.

    Attributes:
        source: the path of the input file, as given on the command line
            (joined with the path below a given folder).
        text: the decoded text; for HTML, the article text extracted from it.
        encoding: the detected encoding (``utf-8``, ``gb18030``, ``big5`` …).
        fmt: ``txt``, ``md`` or ``html``.
        sha256: hex digest of the file's bytes.
    """

    source: str
    text: str
    encoding: str
    fmt: str
    sha256: str = ""


@dataclass(frozen=True)
class Skip:
    """A file that was not used, and why (one line, for the build report)."""

    source: str
    reason: str


@dataclass(frozen=True)
class GarbledSpan:
    """A run of mojibake in the original text, excluded from extraction.

    Attributes:
        start: offset of the run in the original text.
        end: end offset (exclusive) in the original text.
        text: the garbled run as it stands.
        repair: the verified repair, or ``""`` when none was kept.
    """

    start: int
    end: int
    text: str
    repair: str = ""


@dataclass(frozen=True)
class Document:
    """A normalised document: Simplified text with a map back to the original.

    Attributes:
        source: as in :class:`RawDocument`.
        original: the text as read (the ``RawDocument.text``).
        text: normalised text: furniture and pinyin annotations removed,
            Traditional converted to Simplified, mojibake blanked.
        offsets: for every character of ``text``, the offset in ``original``
            it came from; ``len(offsets) == len(text)``.
        encoding: as in :class:`RawDocument`.
        script: ``simplified`` or ``traditional`` (of the original).
        garbled: mojibake runs found in the original.
        removed_lines: count of page-furniture lines dropped.
    """

    source: str
    original: str
    text: str
    offsets: tuple[int, ...]
    encoding: str = "utf-8"
    script: str = "simplified"
    garbled: tuple[GarbledSpan, ...] = ()
    removed_lines: int = 0
    sha256: str = ""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``text`` back to a span of ``original``.

        Example:
            >>> doc.original[slice(*doc.original_span(3, 7))]
        """
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True)
class Division:
    """An administrative division (GB/T 2260), county level or above.

    Attributes:
        code: six-digit code, e.g. ``"330211"``.
        name: full name, e.g. ``"镇海区"``.
        short: short name, e.g. ``"镇海"``.
        level: ``province``, ``city`` or ``county``.
        parent: code of the containing division, ``""`` for a province.
    """

    code: str
    name: str
    short: str
    level: str
    parent: str = ""


@dataclass(frozen=True)
class DivisionChange:
    """A county-level division renamed, recoded or merged into another (撤县设区 …).

    Attributes:
        old_name: the name before the change.
        new_code: the code after it, today's where later changes are followed.
        new_name: the name after it.
        old_code: the code before it, ``""`` where the data do not say.
        year: the year of the change, ``None`` where the data do not say.
    """

    old_name: str
    new_code: str
    new_name: str
    old_code: str = ""
    year: int | None = None


@dataclass(frozen=True)
class Metadata:
    """What a report says about itself.

    Attributes:
        title: the report's title, or ``""``.
        agency: the issuing agency as written (发布机构 or signature).
        issued: ISO date the report was written or published, or ``""``.
        year: the year reported on, or ``None``.
        district: the reporting county-level division, or ``None``.
        district_evidence: how the district was found (for the build report).
    """

    title: str = ""
    agency: str = ""
    issued: str = ""
    year: int | None = None
    district: Division | None = None
    district_evidence: str = ""


@dataclass(frozen=True)
class Context:
    """What the recognisers know of the report they read.

    Attributes:
        district: the reporting county-level division, if resolved.
        city: the prefecture city (or municipality) above it.
        province: the province above it.
        agency: the canonical name of the issuing agency (what 我局 means), or ``""``.
        year: the year reported on, if known.
    """

    district: Division | None = None
    city: Division | None = None
    province: Division | None = None
    agency: str = ""
    year: int | None = None


@dataclass(frozen=True)
class Mention:
    """An entity found in a document.

    Attributes:
        type: ``agency``, ``place``, ``programme`` or ``honour``.
        canonical: the canonical Simplified name (the node's label).
        surface: the text as it stands in the normalised document.
        original: the same span in the original script.
        start: offset in the normalised text.
        end: end offset in the normalised text.
        code: the division code, for places that are divisions.
        parent: for places, the canonical name of the containing place;
            for agencies, the canonical name of their jurisdiction.
    """

    type: str
    canonical: str
    surface: str
    original: str
    start: int
    end: int
    code: str = ""
    parent: str = ""


@dataclass(frozen=True)
class Relation:
    """A programme run by, or an honour conferred on, an entity.

    Attributes:
        kind: ``runs`` or ``awarded``.
        subject_type: the entity type of the participant or recipient.
        subject: its canonical name.
        object: canonical name of the programme or honour.
        evidence: the sentence (normalised text from a recogniser, the original
            script once the extraction maps it back).
        start: offset of the sentence in the normalised text.
        end: end offset of the sentence in the normalised text.
        year: the year of the conferral, where known.
        conferrer: the conferring body's canonical name, where given.
        original_start: offset of the sentence in the original text (-1 until mapped back).
        original_end: end offset of the sentence in the original text (-1 until mapped back).
    """

    kind: str
    subject_type: str
    subject: str
    object: str
    evidence: str
    start: int
    end: int
    year: int | None = None
    conferrer: str = ""
    original_start: int = -1
    original_end: int = -1


@dataclass(frozen=True)
class Extraction:
    """Everything one document yields: the unit the build merges.

    It holds no model objects and pickles cheaply, so it crosses process
    boundaries and is stored per document for incremental builds.

    Attributes:
        sha256: hex digest of the file's bytes (the cache key).
        text_sha256: hex digest of the normalised text: the report's identity
            (see :mod:`kg.identity`); ``""`` for a record made without one.
        minhash: the MinHash signature of the normalised text, for finding
            near-duplicates; ``()`` for a record made without one.
    """

    source: str
    sha256: str
    encoding: str
    script: str
    metadata: Metadata
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    garbled: tuple[GarbledSpan, ...] = ()
    removed_lines: int = 0
    chars: int = 0
    divisions: tuple[Division, ...] = field(default=())
    text_sha256: str = ""
    minhash: tuple[int, ...] = ()
