"""kg shared-programmes on the seed graph, against what the seed gold implies."""

import json
from collections import defaultdict

import pytest
from conftest import ROOT

from kg.query import open_store
from kg.shared import shared_programmes

GOLD = ROOT.parent / "shared" / "gold" / "seeds"


@pytest.fixture(scope="module")
def shared(seeds_out):
    out, _ = seeds_out
    return shared_programmes(open_store(out / "graph.ttl"))


def pairs(result):
    return {(p.programme, d) for p in result.programmes for d, _ in p.districts}


def test_baiwu_pufa_is_shared_by_four_districts(shared):
    (row,) = [p for p in shared.programmes if p.programme == "八五普法"]
    assert {"镇海区", "鲤城区", "宝安区", "江北区"} <= {d for d, _ in row.districts}


@pytest.mark.skipif(not GOLD.is_dir(), reason="the seed gold lives in ../shared/gold/seeds beside the checkout")
def test_shared_programmes_agree_with_the_gold(shared):
    runs = defaultdict(set)
    for path in GOLD.glob("*.json"):
        gold = json.loads(path.read_text(encoding="utf-8"))
        for name in gold["relations"]["runs"]:
            runs[name].add(gold["district"]["name"])
    want = {(p, d) for p, ds in runs.items() if len(ds) >= 2 for d in ds}
    got = pairs(shared)
    tp = len(want & got)
    precision, recall = tp / len(got), tp / len(want)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.80, (sorted(want - got), sorted(got - want))
