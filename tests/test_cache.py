"""The per-document cache is data, checked on read: planted, swapped or damaged entries are recomputed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import re
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import cache
from kg.build import CACHE_DIR, build
from kg.types import Division, Extraction, GarbledSpan, Mention, Metadata, Relation

SEED_FILES = sorted(SEEDS.glob("*.txt"))
ZHENHAI = Division("330211", "镇海区", "镇海", "county", "330200")
EXTRACTION = Extraction(
    source="corpus/a.txt", sha256="ab" * 32, encoding="gb18030", script="traditional",
    metadata=Metadata(title="镇海区2022年法治政府建设年度报告", agency="镇海区司法局", issued="2023-01-10",
                      year=2022, district=ZHENHAI, district_evidence="title"),
    mentions=(Mention("agency", "镇海区司法局", "区司法局", "區司法局", 3, 7, "", "镇海区"),
              Mention("place", "镇海区", "镇海区", "鎮海區", 0, 3, "330211", "宁波市")),
    relations=(Relation("runs", "place", "镇海区", "八五普法", "推进“八五”普法。", 10, 19),
               Relation("awarded", "agency", "镇海区司法局", "全国模范司法所", "荣获…", 20, 30, 2021, "司法部")),
    garbled=(GarbledSpan(40, 44, "鍙告硶", "司法"),),
    removed_lines=2, chars=120, divisions=(ZHENHAI,),
    text_sha256="cd" * 32, minhash=tuple(range(0, 2**32, 2**24)),
)


class Planted:
    """What an attacker's pickle would hold: unpickling it creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def entry_bytes(ex: Extraction = EXTRACTION) -> bytes:
    return json.dumps(cache.encode(ex), ensure_ascii=False).encode("utf-8")


def test_an_entry_reads_back_as_the_same_extraction(tmp_path):
    cache.save(tmp_path, EXTRACTION)
    hit, problem = cache.load(tmp_path, EXTRACTION.sha256, "elsewhere/a.txt")
    assert problem == "" and hit == dataclasses.replace(EXTRACTION, source="elsewhere/a.txt")
    assert cache.load(tmp_path, "cd" * 32, "b.txt") == (None, "")  # no entry: no problem either


@pytest.mark.parametrize(("change", "problem"), [
    (lambda e: e.update(schema="pickle"), "has schema 'pickle'"),
    (lambda e: e.update(version=0), f"has version 0, not {cache.VERSION}"),
    (lambda e: e.update(pipeline="0.0.0-other"), "has pipeline '0.0.0-other'"),
    (lambda e: e.update(sha256="cd" * 32), "was made from another file's content"),
    (lambda e: e["extraction"].update(chars=121), "does not match its checksum"),
    (lambda e: e["extraction"]["metadata"].update(year="2022"), "does not match its checksum"),
])
def test_an_entry_that_is_not_ours_for_this_content_is_refused(tmp_path, change, problem):
    entry = cache.encode(EXTRACTION)
    change(entry)
    cache.entry_path(tmp_path, EXTRACTION.sha256).write_text(json.dumps(entry), encoding="utf-8")
    hit, said = cache.load(tmp_path, EXTRACTION.sha256, "a.txt")
    assert hit is None and problem in said


@pytest.mark.parametrize(("body", "problem"), [
    ({"chars": "120"}, "extraction.chars is not int"),
    ({"metadata": {"district": {"code": 330211}}}, "extraction.metadata.district"),
    ({"mentions": {"type": "agency"}}, "extraction.mentions is not a list"),
    ({"mentions": [{"type": "agency"}]}, "extraction.mentions[0] lacks"),
    ({"__class__": "os.system"}, "unknown fields ['__class__']"),
    ({"removed_lines": True}, "extraction.removed_lines is not int"),
])
def test_a_well_sealed_entry_of_the_wrong_shape_is_refused(tmp_path, body, problem):
    entry = json.loads(entry_bytes())
    entry["extraction"].update(body)
    entry["checksum"] = hashlib.sha256(cache._canonical(entry["extraction"])).hexdigest()
    with pytest.raises(ValueError, match=re.escape(problem)):
        cache.decode(entry, EXTRACTION.sha256, "a.txt")


def test_a_planted_pickle_runs_no_code(tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(Planted(marker))
    path = cache.entry_path(tmp_path, EXTRACTION.sha256)
    path.write_bytes(payload)
    path.with_suffix(".pickle").write_bytes(payload)  # where the old cache kept entries
    hit, problem = cache.load(tmp_path, EXTRACTION.sha256, "a.txt")
    assert hit is None and problem.startswith("is not JSON")
    pickle.loads(payload)  # the payload is live: unpickling it would create the marker
    assert marker.exists()
    marker.unlink()
    cache.load(tmp_path, EXTRACTION.sha256, "a.txt")
    assert not marker.exists()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_entries_never_crash_and_never_pass_for_good(tmp_path, data):
    good = entry_bytes()
    damaged = data.draw(st.one_of(
        st.builds(lambda cut: good[:cut], st.integers(0, len(good) - 1)),  # truncated
        st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), min_size=1, max_size=8)
        .map(lambda flips: _flipped(good, flips)),
        st.binary(max_size=64),
    ))
    cache.entry_path(tmp_path, EXTRACTION.sha256).write_bytes(damaged)
    hit, problem = cache.load(tmp_path, EXTRACTION.sha256, EXTRACTION.source)
    if damaged != good:
        assert hit in (None, EXTRACTION)  # a flip inside insignificant whitespace still reads right
        assert hit is not None or problem


def _flipped(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for at, value in flips:
        out[at] = value
    return bytes(out)


# --- in a build -------------------------------------------------------------------------------------

@pytest.fixture()
def built(seeds_out, tmp_path):
    """Two seed reports built into a fresh folder (copied from the session's build, cache included)."""
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    for path in SEED_FILES[:2]:
        shutil.copy(path, corpus)
    shutil.copytree(seeds_out[0] / CACHE_DIR, out / CACHE_DIR)
    first = build([corpus], out, jobs=1, quiet=True)
    assert first["from_cache"] == 2 and first["warnings"] == []
    return corpus, out, first


def entry_of(out: Path, source: Path) -> Path:
    return cache.entry_path(out / CACHE_DIR, hashlib.sha256(source.read_bytes()).hexdigest())


def test_a_planted_pickle_in_the_cache_runs_no_code_during_a_build(built, tmp_path):
    corpus, out, first = built
    marker = tmp_path / "ran"
    target = entry_of(out, corpus / SEED_FILES[0].name)
    target.write_bytes(pickle.dumps(Planted(marker)))
    report = build([corpus], out, jobs=1, quiet=True)
    assert not marker.exists()
    assert report["from_cache"] == 1 and report["triples"] == first["triples"]
    assert len(report["warnings"]) == 1 and "is not JSON" in report["warnings"][0]
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == cache.SCHEMA  # recomputed and stored


def test_an_entry_swapped_in_from_another_report_is_detected(built):
    corpus, out, first = built
    one, two = (entry_of(out, corpus / p.name) for p in SEED_FILES[:2])
    shutil.copyfile(two, one)  # report 0 would get report 1's extraction
    report = build([corpus], out, jobs=1, quiet=True)
    assert report["warnings"] == [f"cache entry {one.name} for {corpus / SEED_FILES[0].name} was made from "
                                  "another file's content; extracted again"]
    assert [r["district"] for r in report["reports"]] == [r["district"] for r in first["reports"]]
    assert report["triples"] == first["triples"]


@pytest.mark.parametrize("damage", [b"\x80\x04", b"{}", b"[" * 100_000, None])
def test_a_damaged_entry_never_crashes_the_build(built, damage):
    corpus, out, first = built
    target = entry_of(out, corpus / SEED_FILES[1].name)
    data = target.read_bytes()
    target.write_bytes(damage if damage is not None else data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :])
    report = build([corpus], out, jobs=1, quiet=True)
    assert report["from_cache"] == 1 and len(report["warnings"]) == 1
    assert report["triples"] == first["triples"]
