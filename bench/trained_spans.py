"""Does a trained span model find what the rules miss? Leave-documents-out figures.

Usage:
    .venv/bin/python bench/trained_spans.py [--folds 5] [--epochs 10] [--tokenizer pkuseg|char]
                                            [--component spancat|ner] [--threshold 0.5] [--seed 0]

Method:
    1. Data. The 43 dev openings (../shared/dev/docs, gold ../shared/gold/dev) and the
       5 seed reports (seeds/, gold ../shared/gold/seeds), read and normalised as
       ``kg build`` does. The gold has no offsets, so every gold name and alias is
       projected onto the normalised text by exact search, with quotes, book-title
       marks and whitespace skipped (the gold writes names without them); of
       overlapping matches of one type only the longest are kept (区司法局 inside
       镇海区司法局 is not a second span). Optional items are not used as positives.
    2. Model. A blank ``zh`` pipeline with one ``spancat`` (hashed NORM/PREFIX/SUFFIX/SHAPE
       embeddings, a 4-layer CNN of width 96, n-gram suggester of 1-10 tokens, threshold
       0.5), trained from scratch on sentence-sized chunks. Tokens are the project's
       own pkuseg segmentation (``kg.pipeline.load_pipeline().make_doc``, user
       dictionary included); a gold span whose edges are not token edges (pkuseg glues
       区/县 to the verb before it: 召开区|政府) cannot be a training span and is dropped,
       the count is printed. ``--tokenizer char`` uses one token per character instead
       (suggester 1-20; about 4x slower per epoch). ``--component ner`` trains a
       transition-based ``ner`` on agency/programme/honour (no place: places nest in
       agencies) instead.
    3. Cross-validation by whole documents: the 48 documents are shuffled with a fixed
       seed and cut into k folds; each fold's model is trained on the other folds only
       and predicts the fold's documents.
    4. Scoring, per document and type, with ``kg evaluate``'s own matcher
       (``kg.evaluate._score_doc``: names compared without quotes and spaces, a name
       hits the gold name or an alias, one prediction per gold item, optional items
       ignored), micro-averaged over the 48 documents, for three systems:
         rules        the labels ``kg build`` writes (mention canonical names; places
                      by their gazetteer name);
         model        the model's spans as names: of nested predictions of one type
                      only the outermost, and of two names where one holds the other
                      only the longer (an alias merge the model lacks);
         rules+model  the rules' names plus each model name that neither overlaps a
                      rule mention of its type in the text nor is held in a rule name
                      or surface of its type.
       The rules' figures equal those of ``kg build`` + ``kg evaluate`` on the same
       files. The keep rule: rules+model must raise recall over rules on the three
       main types (agency, programme, honour, micro-averaged) while keeping precision
       >= 0.90. Also printed: the same tables on D31-D43 alone, the main3 figures at
       spancat score cut-offs 0.2-0.9 (one training run, spans filtered afterwards),
       and how many of the rules' misses the model alone finds. The rules were
       written while looking at these documents' gold, so their figures are
       in-sample; the model's are not.

Settings and runtime: 5 folds x 10 epochs (batch 32, dropout 0.1, Adam defaults) on
one thread: about 6 minutes on a 2-core machine, rules included (spancat on pkuseg
tokens: ~6 s an epoch; char tokens ~20 s, too slow for 5 folds in 10 minutes; ner:
~2 s pkuseg, ~4 s char). The epochs were cut from the 20-30 a spancat usually gets
to stay under 10 minutes; 20 epochs on the first fold gave no better model (main3
recall 0.29 against 0.35 at cut-off 0.5).

Scratch files (trained fold models, for their size) go to /tmp/spans/.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCRATCH = Path("/tmp/spans")
sys.path.insert(0, str(ROOT))

from kg.divisions import gazetteer  # noqa: E402
from kg.evaluate import ENTITY_TYPES, Gold, Prediction, TypeScore, _score_doc, load_gold  # noqa: E402
from kg.evaluate import normalise as name_form  # noqa: E402
from kg.extract import extract  # noqa: E402
from kg.ingest import read_file  # noqa: E402
from kg.metadata import read_metadata  # noqa: E402
from kg.normalise import normalise  # noqa: E402
from kg.pipeline import load_pipeline  # noqa: E402

MAIN = ("agency", "programme", "honour")
SYSTEMS = ("rules", "model", "rules+model")
_SKIP = set("“”‘’\"'「」『』《》")
_CHUNK = re.compile(r"[。！？；\n]+")


# ---------------------------------------------------------------- data

class DocData:
    """One document: normalised text, gold, rule names and mentions, tokens, projected gold spans."""

    def __init__(self, name: str, text: str, gold: Gold, rule_names: dict[str, set[str]],
                 rule_spans: dict[str, list[tuple[int, int]]], tokens: list[tuple[int, int]]) -> None:
        self.name, self.text, self.gold = name, text, gold
        self.rule_names, self.rule_spans, self.tokens = rule_names, rule_spans, tokens
        self.spans = project(text, gold)


def project(text: str, gold: Gold) -> list[tuple[int, int, str]]:
    """Gold names and aliases found in ``text`` (quotes and spaces skipped); per type the outermost matches."""
    keep = [i for i, c in enumerate(text) if c not in _SKIP and not c.isspace()]
    stripped = "".join(text[i] for i in keep).replace("（", "(").replace("）", ")")
    out = []
    for kind in ENTITY_TYPES:
        found: set[tuple[int, int]] = set()
        for entity in gold.entities[kind]:
            for form in entity.forms:
                if form:
                    found.update((keep[m.start()], keep[m.end() - 1] + 1)
                                 for m in re.finditer(re.escape(form), stripped))
        out += [(s, e, kind) for s, e in found
                if not any(s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2 in found)]
    return sorted(out)


def load_docs(char_tokens: bool) -> tuple[list[DocData], dict[str, int]]:
    """Read, normalise, run the rules over and tokenise the 48 documents; also the projection coverage."""
    nlp = load_pipeline()
    gaz = gazetteer()
    gold = {**load_gold(SHARED / "gold" / "dev"), **load_gold(SHARED / "gold" / "seeds")}
    paths = sorted((SHARED / "dev" / "docs").glob("*.txt")) + sorted((ROOT / "seeds").glob("*.txt"))
    docs = []
    for path in paths:
        if path.stem not in gold:
            continue
        doc = normalise(read_file(path))
        mentions, _ = extract(doc, read_metadata(doc.text), nlp)
        names: dict[str, set[str]] = defaultdict(set)
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for m in mentions:
            label = m.canonical
            if m.type == "place" and m.code and m.code in gaz.by_code:  # as kg.graph labels a division
                label = gaz.current(gaz.by_code[m.code]).name
            names[m.type].add(label)
            names[m.type + ":forms"].update({m.canonical, m.surface})
            spans[m.type].append((m.start, m.end))
        tokens = ([(i, i + 1) for i in range(len(doc.text))] if char_tokens
                  else [(t.idx, t.idx + len(t.text)) for t in nlp.make_doc(doc.text)])
        docs.append(DocData(path.stem, doc.text, gold[path.stem], names, spans, tokens))
    coverage = {"items": 0, "projected": 0}
    for d in docs:
        for kind in ENTITY_TYPES:
            for entity in d.gold.entities[kind]:
                coverage["items"] += 1
                coverage["projected"] += any(name_form(d.text[s:e]) in entity.forms
                                             for s, e, k in d.spans if k == kind)
    return docs, coverage


def chunks(d: DocData) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Sentence-sized pieces of a document: (start, end, their non-blank tokens)."""
    out, pos, ti = [], 0, 0
    bounds = [m.end() for m in _CHUNK.finditer(d.text)] + [len(d.text)]
    for end in bounds:
        toks = []
        while ti < len(d.tokens) and d.tokens[ti][1] <= end:
            s, e = d.tokens[ti]
            if s >= pos and d.text[s:e].strip():
                toks.append((s, e))
            ti += 1
        if toks:
            out.append((pos, end, toks))
        pos = end
    return out


# ---------------------------------------------------------------- model

def make_nlp(component: str, max_ngram: int, threshold: float):
    import spacy  # noqa: PLC0415

    nlp = spacy.blank("zh")  # the tokenizer is never used: the Docs are built from the tokens above
    tok2vec = {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": 96, "rows": [5000, 1000, 2500, 1000],
                  "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "include_static_vectors": False},
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 96, "window_size": 1,
                   "maxout_pieces": 3, "depth": 4},
    }
    if component == "spancat":
        nlp.add_pipe("spancat", config={
            "spans_key": "sc",
            "threshold": threshold,
            "suggester": {"@misc": "spacy.ngram_range_suggester.v1", "min_size": 1, "max_size": max_ngram},
            "model": {"@architectures": "spacy.SpanCategorizer.v1", "tok2vec": tok2vec,
                      "reducer": {"@layers": "spacy.mean_max_reducer.v1", "hidden_size": 128},
                      "scorer": {"@layers": "spacy.LinearLogistic.v1"}},
        })
    else:
        nlp.add_pipe("ner", config={"model": {
            "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
            "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "tok2vec": tok2vec}})
    return nlp


def examples(nlp, docs: list[DocData], component: str) -> tuple[list, int, int]:
    """Training examples, one per chunk; also the gold spans used and those dropped (not on token edges)."""
    from spacy.tokens import Doc, Span  # noqa: PLC0415
    from spacy.training import Example  # noqa: PLC0415

    out, used, dropped = [], 0, 0
    for d in docs:
        spans = [s for s in d.spans if component == "spancat" or s[2] != "place"]
        for start, end, toks in chunks(d):
            words = [d.text[s:e] for s, e in toks]
            first = {s: i for i, (s, _) in enumerate(toks)}
            last = {e: i + 1 for i, (_, e) in enumerate(toks)}
            ref = Doc(nlp.vocab, words=words, spaces=[False] * len(words))
            inside = [(s, e, k) for s, e, k in spans if start <= s and e <= end]
            aligned = [Span(ref, first[s], last[e], label=k) for s, e, k in inside if s in first and e in last]
            used += len(aligned)
            dropped += len(inside) - len(aligned)
            if component == "spancat":
                ref.spans["sc"] = aligned
            else:  # no overlaps in ner: longest first
                kept: list = []
                for sp in sorted(aligned, key=lambda x: (-len(x), x.start)):
                    if not any(sp.start < o.end and o.start < sp.end for o in kept):
                        kept.append(sp)
                ref.ents = kept
            out.append(Example(Doc(nlp.vocab, words=words, spaces=[False] * len(words)), ref))
    return out, used, dropped


def train(nlp, train_examples: list, epochs: int, seed: int) -> None:
    from spacy.util import minibatch  # noqa: PLC0415
    from thinc.api import fix_random_seed  # noqa: PLC0415

    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp.initialize(lambda: train_examples)
    optimizer = nlp.create_optimizer()
    for _ in range(epochs):
        rng.shuffle(train_examples)
        for batch in minibatch(train_examples, 32):
            nlp.update(batch, sgd=optimizer, drop=0.1)


def predict(nlp, d: DocData, component: str) -> list[tuple[int, int, str, float]]:
    """The model's spans over one document: character offsets into its text, label, score (ner: 1)."""
    from spacy.tokens import Doc  # noqa: PLC0415

    parts = list(chunks(d))
    docs = [Doc(nlp.vocab, words=[d.text[s:e] for s, e in toks], spaces=[False] * len(toks))
            for _, _, toks in parts]
    out = []
    for (_, _, toks), doc in zip(parts, nlp.pipe(docs, batch_size=64)):
        if component == "spancat":
            group = doc.spans.get("sc", [])
            scores = group.attrs.get("scores", [1.0] * len(group)) if len(group) else []
            spans = list(zip(group, scores))
        else:
            spans = [(sp, 1.0) for sp in doc.ents]
        out += [(toks[sp.start][0], toks[sp.end - 1][1], sp.label_, float(p)) for sp, p in spans]
    return out


# ---------------------------------------------------------------- systems and scores

def model_names(d: DocData, spans: list[tuple[int, int, str]]) -> dict[str, dict[str, list[tuple[int, int]]]]:
    """Per type, name → positions: the outermost spans, and of two names where one holds the other the longer."""
    out: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for s, e, k in spans:
        if any(k == k2 and s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2, k2 in spans):
            continue
        name = name_form(d.text[s:e])
        if name:
            out[k][name].append((s, e))
    for k, names in out.items():
        for name in [n for n in names if any(n != o and n in o for o in names)]:
            del names[name]
    return out


def systems(d: DocData, predicted: list[tuple[int, int, str, float]], cut: float) -> dict[str, dict[str, set[str]]]:
    """The names of the three systems in one document, the model's spans taken from score ``cut`` up."""
    model = model_names(d, [(s, e, k) for s, e, k, p in predicted if p >= cut])
    rules = {k: set(d.rule_names.get(k, ())) for k in ENTITY_TYPES}
    union = {k: set(v) for k, v in rules.items()}
    for k, names in model.items():
        forms = {name_form(f) for f in d.rule_names.get(k + ":forms", ())} | {name_form(n) for n in rules[k]}
        taken = d.rule_spans.get(k, [])
        for name, where in names.items():
            if any(name in f for f in forms):
                continue
            if all(any(s < e2 and s2 < e for s2, e2 in taken) for s, e in where):
                continue
            union[k].add(name)
    return {"rules": rules, "model": {k: set(model.get(k, {})) for k in ENTITY_TYPES}, "rules+model": union}


def prediction(doc: str, names: dict[str, set[str]]) -> Prediction:
    """Names of one document in the shape ``kg evaluate`` reads from a graph (no relations)."""
    return Prediction(doc=doc, sources=(), district=None, year=None,
                      entities={k: {n: () for n in names.get(k, ())} for k in ENTITY_TYPES},
                      runs=frozenset(), awarded=frozenset())


def score(d: DocData, names: dict[str, set[str]]) -> dict[str, TypeScore]:
    counts = _score_doc(d.gold, prediction(d.name, names)).counts
    return {k: counts[k] for k in ENTITY_TYPES}


def table(totals: dict[str, dict[str, TypeScore]]) -> str:
    lines = [f"{'system':<13}{'type':<11}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for system in SYSTEMS:
        rows = [*ENTITY_TYPES, "main3"]
        for kind in rows:
            s = totals[system][kind]
            lines.append(f"{system:<13}{kind:<11}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
                         f"{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    return "\n".join(lines)


def totals_of(per_doc: dict[str, dict[str, dict[str, TypeScore]]], docs: list[str]):
    totals = {}
    for system in SYSTEMS:
        t = {k: sum((per_doc[d][system][k] for d in docs), TypeScore()) for k in ENTITY_TYPES}
        t["main3"] = sum((t[k] for k in MAIN), TypeScore())
        totals[system] = t
    return totals


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--tokenizer", choices=("pkuseg", "char"), default="pkuseg")
    ap.add_argument("--component", choices=("spancat", "ner"), default="spancat")
    ap.add_argument("--threshold", type=float, default=0.5, help="spancat's score threshold for the main table")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only-folds", type=int, default=0, help="run only the first N folds (a quick look)")
    args = ap.parse_args(argv)
    spancat = args.component == "spancat"
    cuts = sorted({args.threshold, 0.2, 0.3, 0.5, 0.7, 0.9}) if spancat else [args.threshold]
    max_ngram = 20 if args.tokenizer == "char" else 10
    t0 = time.perf_counter()
    docs, coverage = load_docs(args.tokenizer == "char")
    t_prep = time.perf_counter() - t0
    print(f"{len(docs)} documents; gold items found in the text: {coverage['projected']}/{coverage['items']}; "
          f"rules, projection and {args.tokenizer} tokens in {t_prep:.1f} s")
    print(f"model: {args.component}, {args.tokenizer} tokens"
          + (f", n-grams 1-{max_ngram}, threshold {args.threshold}" if spancat else "")
          + f"; {args.folds} folds by document, {args.epochs} epochs, seed {args.seed}, 1 thread")

    order = sorted(docs, key=lambda d: d.name)
    random.Random(args.seed).shuffle(order)
    folds = [order[i::args.folds] for i in range(args.folds)]
    predicted: dict[str, list[tuple[int, int, str, float]]] = {}
    train_s, sizes, used_total, dropped_total = [], [], 0, 0
    SCRATCH.mkdir(parents=True, exist_ok=True)
    for i, held in enumerate(folds[: args.only_folds or None]):
        held_names = {d.name for d in held}
        nlp = make_nlp(args.component, max_ngram, min(cuts))
        train_ex, used, dropped = examples(nlp, [d for d in docs if d.name not in held_names], args.component)
        used_total += used
        dropped_total += dropped
        t = time.perf_counter()
        train(nlp, train_ex, args.epochs, args.seed)
        train_s.append(time.perf_counter() - t)
        out = SCRATCH / f"fold{i}"
        shutil.rmtree(out, ignore_errors=True)
        nlp.to_disk(out)
        sizes.append(dir_size(out))
        for d in held:
            predicted[d.name] = predict(nlp, d, args.component)
        print(f"fold {i + 1}/{args.folds}: {len(held)} held-out docs, {len(train_ex)} training chunks, "
              f"trained in {train_s[-1]:.0f} s", flush=True)

    by_name = {d.name: d for d in docs}
    scored = sorted(predicted)

    def per_doc_at(cut: float) -> dict[str, dict[str, dict[str, TypeScore]]]:
        return {n: {k: score(by_name[n], v) for k, v in systems(by_name[n], predicted[n], cut).items()}
                for n in scored}

    per_doc = per_doc_at(args.threshold)
    print(f"\nscores on held-out documents ({len(scored)} docs, micro-averaged; main3 = agency+programme+honour)")
    totals = totals_of(per_doc, scored)
    print(table(totals))
    later = [d for d in scored if re.fullmatch(r"D(3[1-9]|4\d)", d)]
    if later:
        print(f"\nthe same on D31-D43 only ({len(later)} docs)")
        print(table(totals_of(per_doc, later)))
    if len(cuts) > 1:
        print("\nmain3 by spancat score cut-off:  model P / R    rules+model P / R   (+tp, +fp over rules)")
        r = totals["rules"]["main3"]
        for cut in cuts:
            t = totals_of(per_doc_at(cut), scored)
            m, u = t["model"]["main3"], t["rules+model"]["main3"]
            print(f"  >= {cut:.1f}{'':<22}{m.precision:.3f} / {m.recall:.3f}    {u.precision:.3f} / {u.recall:.3f}"
                  f"       ({u.tp - r.tp:+d}, {u.fp - r.fp:+d})")

    for cut in sorted({min(cuts), args.threshold}):
        missed = found = 0
        for n in scored:
            names = systems(by_name[n], predicted[n], cut)
            rules_miss = _score_doc(by_name[n].gold, prediction(n, names["rules"])).misses
            model_miss = _score_doc(by_name[n].gold, prediction(n, names["model"])).misses
            for k in MAIN:
                missed += len(rules_miss[k])
                found += len(set(rules_miss[k]) - set(model_miss[k]))
        print(f"of the rules' {missed} main3 misses the model alone finds {found}"
              + (f" (cut-off {cut})" if spancat else ""))

    print(f"\ntraining spans used {used_total}, dropped (edges not on token edges) {dropped_total}, over all folds")
    print(f"training time per fold: {', '.join(f'{s:.0f}' for s in train_s)} s (total {sum(train_s):.0f} s)")
    print(f"model size on disk: {sum(sizes) / len(sizes) / 1e6:.1f} MB per fold model (blank zh + {args.component}"
          + ("; the pkuseg segmenter, the project's own, not counted)" if args.tokenizer == "pkuseg" else ")"))
    print(f"total run time: {time.perf_counter() - t0:.0f} s")

    r, u = totals["rules"]["main3"], totals["rules+model"]["main3"]
    keep = u.recall > r.recall and u.precision >= 0.90
    where = f"main3, cut-off {args.threshold}" if spancat else "main3"
    print(f"\nkeep rule ({where}): recall {r.recall:.3f} -> {u.recall:.3f} "
          f"({u.tp - r.tp:+d} tp, {u.fp - r.fp:+d} fp), precision {r.precision:.3f} -> {u.precision:.3f}: "
          f"{'KEEP the model' if keep else 'do not keep the model'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
