"""Do pkuseg's words bound the names the recognisers find? Figures for the token-pattern question.

Usage:
    .venv/bin/python bench/token_alignment.py [PATH ...]   (default: seeds/ and ../shared/dev/docs)

For every document the script runs the shipped pipeline and reports, per
entity type, how many of the mentions found start and end on a token
boundary of pkuseg's segmentation (with the project's user dictionary): a
token pattern (spaCy ``Matcher``/``PhraseMatcher``) can only ever propose a
candidate whose edges are token edges, so the share of aligned mentions is
the most a purely token-based recogniser could find of what the character
rules find now. It also times segmentation against recognition, and a
``PhraseMatcher`` over the programme lexicon's literal aliases against the
character-level lexicon pass.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.extract import context_for  # noqa: E402
from kg.ingest import read_file  # noqa: E402
from kg.metadata import read_metadata  # noqa: E402
from kg.normalise import normalise  # noqa: E402
from kg.pipeline import load_pipeline  # noqa: E402
from kg.types import Skip  # noqa: E402


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(p.rglob("*.txt")) + sorted(p.rglob("*.htm*")) if p.is_dir() else [p]
    return out


def main(argv: list[str]) -> int:
    from spacy.matcher import PhraseMatcher  # noqa: PLC0415

    from kg.components import CONTEXT_KEY, MENTIONS_KEY  # noqa: PLC0415
    from kg.recognise.programmes import _lexicon  # noqa: PLC0415

    paths = argv or [str(ROOT / "seeds"), str(ROOT.parent / "shared" / "dev" / "docs")]
    nlp = load_pipeline()
    aligned, total = Counter(), Counter()
    seg_s = rec_s = phrase_s = 0.0
    chars = 0
    lex = _lexicon()
    matcher = PhraseMatcher(nlp.vocab)
    matcher.add("PROGRAMME", [nlp.make_doc(alias) for alias in lex.literal])
    lexicon_found = phrase_found = 0
    for path in _files(paths):
        raw = read_file(path)
        if isinstance(raw, Skip):
            continue
        doc = normalise(raw)
        md = read_metadata(doc.text)
        chars += len(doc.text)
        t0 = time.perf_counter()
        sdoc = nlp.make_doc(doc.text)
        t1 = time.perf_counter()
        sdoc.user_data[CONTEXT_KEY] = context_for(md, opening=doc.text[:300])
        for _, proc in nlp.pipeline:
            sdoc = proc(sdoc)
        t2 = time.perf_counter()
        hits = matcher(sdoc)
        t3 = time.perf_counter()
        seg_s, rec_s, phrase_s = seg_s + t1 - t0, rec_s + t2 - t1, phrase_s + t3 - t2
        starts = {t.idx for t in sdoc}
        ends = {t.idx + len(t) for t in sdoc}
        for m in sdoc.user_data.get(MENTIONS_KEY, []):
            total[m.type] += 1
            aligned[m.type] += m.start in starts and m.end in ends
        literal = [m for m in sdoc.user_data.get(MENTIONS_KEY, [])
                   if m.type == "programme" and m.surface.replace("“", "").replace("”", "") in lex.literal]
        lexicon_found += len(literal)
        phrase_found += len(hits)
    print(f"{sum(total.values())} mentions in {chars:,} characters")
    print(f"{'type':10} {'mentions':>9} {'on token edges':>15}")
    for kind in sorted(total):
        print(f"{kind:10} {total[kind]:9d} {aligned[kind] / total[kind]:14.1%}")
    print(f"all        {sum(total.values()):9d} {sum(aligned.values()) / max(1, sum(total.values())):14.1%}")
    print(f"segmentation {seg_s:.2f} s, rule recognition {rec_s:.2f} s, "
          f"PhraseMatcher over the lexicon's literal aliases {phrase_s:.3f} s")
    print(f"literal lexicon aliases found by the character rules: {lexicon_found}; "
          f"PhraseMatcher matches over tokens: {phrase_found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
