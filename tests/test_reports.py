"""End to end on short reports written for the tests in other provinces' styles.

tests/reports holds reports of districts in 甘肃, 广西, 黑龙江 and 内蒙古 (one of
them a GBK-encoded web page with navigation and footer) with gold files in
the format of gold/GUIDELINE.md. They are no substitute for held-out gold,
but they keep the rules honest beyond the seeds' wording.
"""

import pytest
from conftest import ROOT

from kg.build import build
from kg.evaluate import evaluate

REPORTS = ROOT / "tests" / "reports"


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    build([REPORTS], out, jobs=1, quiet=True)
    return evaluate(REPORTS, out / "graph.ttl")


def test_every_district_and_year(scores):
    assert scores.district_correct == len(scores.docs) == 4
    assert scores.year_correct == 4


@pytest.mark.parametrize("kind", ["agency", "place", "programme", "honour", "runs", "awarded"])
def test_quality_per_type(scores, kind):
    assert scores.types[kind].f1 >= 0.85, scores.types[kind]
