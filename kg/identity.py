"""Which documents are one report: identity from the normalised text.

A report is its normalised text, wherever its files lie: files whose
normalised texts are equal (up to whitespace) are one report, read from each
of them. Files whose texts differ only a little — the same report saved with
other page furniture — are near-duplicates: their MinHash signatures (over
character 5-grams) estimate a Jaccard similarity of at least
:data:`THRESHOLD`. Near-duplicates are listed with their similarity, and are
one report when their district, year and title agree.

Everything here is a function of the texts alone, so the same files give
the same reports from any folder.

Example:
    >>> text_digest("一 二\\n三") == text_digest("一  二 三")
    True
    >>> groups, near = group_reports(extractions)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from kg.types import Extraction

__all__ = ["THRESHOLD", "NUM_PERM", "text_digest", "signature", "similar_pairs", "group_reports", "identity"]

#: Near-duplicates are at least this similar (estimated Jaccard similarity of character 5-grams).
THRESHOLD = 0.9
#: Permutations of a MinHash signature.
NUM_PERM = 256
_SHINGLE = 5
_SEED = 1
_BATCH = 4096
_SCHEME = "affine32"  # datasketch 2's default, named: stored signatures stay comparable


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def text_digest(text: str) -> str:
    """The SHA-256 of a normalised text, its runs of whitespace taken as one space."""
    return hashlib.sha256(_collapsed(text).encode("utf-8")).hexdigest()


def signature(text: str) -> tuple[int, ...]:
    """The MinHash signature of a normalised text: :data:`NUM_PERM` integers."""
    from datasketch import MinHash  # noqa: PLC0415 - numpy and scipy load only for documents

    text = _collapsed(text)
    shingles = {text[i:i + _SHINGLE] for i in range(max(1, len(text) - _SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    ordered = sorted(shingles)
    for start in range(0, len(ordered), _BATCH):  # a batch costs NUM_PERM × its size in memory
        mh.update_batch([s.encode("utf-8") for s in ordered[start:start + _BATCH]])
    return tuple(int(v) for v in mh.hashvalues)


def similar_pairs(signatures: dict[str, tuple[int, ...]], *,
                  threshold: float = THRESHOLD) -> list[tuple[str, str, float]]:
    """Pairs of keys whose signatures are at least ``threshold`` similar, each pair once, sorted.

    Candidates come from locality-sensitive hashing, so the work grows with
    the number of signatures, not with its square.

    Returns:
        ``(a, b, similarity)`` with ``a < b``, the similarity rounded to three places.
    """
    from datasketch import MinHash, MinHashLSH  # noqa: PLC0415

    usable = {k: MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME, hashvalues=v)
              for k, v in sorted(signatures.items()) if len(v) == NUM_PERM}
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for k, mh in usable.items():
        lsh.insert(k, mh)
    pairs = set()
    for k, mh in usable.items():
        for other in lsh.query(mh):
            if other != k:
                a, b = sorted((k, other))
                similarity = usable[a].jaccard(usable[b])
                if similarity >= threshold:
                    pairs.add((a, b, round(similarity, 3)))
    return sorted(pairs)


def identity(ex: Extraction) -> str:
    """The key a report is known by: the digest of its normalised text (of its source, for a record without one)."""
    return ex.text_sha256 or hashlib.sha256(f"source:{ex.source}".encode()).hexdigest()


def _agree(a: Extraction, b: Extraction) -> bool:
    ma, mb = a.metadata, b.metadata
    return (bool(ma.title) and ma.title == mb.title and ma.year == mb.year
            and ma.district is not None and mb.district is not None and ma.district.code == mb.district.code)


def group_reports(extractions: Iterable[Extraction]) -> tuple[list[list[Extraction]], list[dict[str, Any]]]:
    """Gather extractions into reports.

    Returns:
        The reports, each a list of extractions with its representative
        first (the one whose text digest, then file digest, sorts first: the
        report's IRI and literals come from it), in the order of their
        representatives; and the near-duplicate pairs, each with the sources
        of both sides, the similarity and whether they were merged.
    """
    by_key: dict[str, list[Extraction]] = {}
    for ex in sorted(extractions, key=lambda e: (identity(e), e.sha256, e.source)):
        by_key.setdefault(identity(ex), []).append(ex)
    parent = {key: key for key in by_key}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    near = []
    for a, b, similarity in similar_pairs({k: v[0].minhash for k, v in by_key.items()}):
        merged = _agree(by_key[a][0], by_key[b][0])
        if merged:
            ra, rb = sorted((root(a), root(b)))
            parent[rb] = ra
        near.append({"sources": [e.source for e in by_key[a]], "similar_to": [e.source for e in by_key[b]],
                     "similarity": similarity, "merged": merged})
    groups: dict[str, list[Extraction]] = {}
    for key in sorted(by_key):
        groups.setdefault(root(key), []).extend(by_key[key])
    return [groups[key] for key in sorted(groups)], near
