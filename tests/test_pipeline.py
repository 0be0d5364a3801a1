"""The spaCy pipeline: config, segmenter, user dictionary, factories, components."""

from importlib.metadata import entry_points

import pytest
import spacy

from kg.components import MENTIONS_KEY, mentions_of
from kg.errors import KGError
from kg.pipeline import load_pipeline, user_dictionary
from kg.types import Context


def test_pipeline_from_config(nlp):
    assert nlp.lang == "zh"
    assert nlp.pipe_names == ["lgkg_places", "lgkg_agencies", "lgkg_programmes", "lgkg_honours"]


@pytest.mark.parametrize("term", ["八五普法", "枫桥经验", "司法局", "律师事务所"])
def test_user_dictionary_keeps_domain_terms_whole(nlp, term):
    assert term in user_dictionary().read_text(encoding="utf-8").splitlines()
    assert term in [t.text for t in nlp.make_doc(f"区里推进{term}工作")]


def test_components_write_mentions_and_spans(nlp, context_of):
    doc = nlp.make_doc("2023年,区司法局深入推进“八五”普法,九龙湖司法所获评省级“枫桥式”司法所。")
    doc.user_data["lgkg_context"] = context_of("330211")
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    found = {(m.type, m.canonical) for m in doc.user_data[MENTIONS_KEY]}
    assert {("agency", "镇海区司法局"), ("programme", "八五普法"), ("agency", "九龙湖司法所"),
            ("honour", "省级枫桥式司法所")} <= found
    assert {s.label_ for s in doc.spans["lgkg"]} >= {"AGENCY", "PROGRAMME", "HONOUR"}
    assert [m.canonical for m in mentions_of(doc, "programme")] == ["八五普法"]
    kinds = {(r.kind, r.subject, r.object) for r in doc.user_data["lgkg_relations"]}
    assert ("awarded", "九龙湖司法所", "省级枫桥式司法所") in kinds and ("runs", "镇海区", "八五普法") in kinds


def test_factories_are_entry_points_a_user_pipeline_can_name():
    names = {ep.name for ep in entry_points(group="spacy_factories")}
    assert {"lgkg_places", "lgkg_agencies", "lgkg_programmes", "lgkg_honours"} <= names
    user = spacy.blank("zh")  # character segmentation: no model needed
    user.add_pipe("lgkg_places")
    doc = user.make_doc("宁波市镇海区")
    doc.user_data["lgkg_context"] = Context()
    doc = user.get_pipe("lgkg_places")(doc)
    assert [m.canonical for m in mentions_of(doc, "place")] == ["宁波市", "镇海区"]


def test_missing_config_names_the_file(tmp_path):
    with pytest.raises(KGError, match="nope.cfg not found"):
        load_pipeline(tmp_path / "nope.cfg")


def test_relations_keep_normalised_and_original_offsets_apart(nlp, tmp_path):
    """A Traditional report: the evidence is the file's own sentence at the file's own offsets."""
    from kg.extract import extract
    from kg.ingest import read_file
    from kg.metadata import read_metadata
    from kg.normalise import normalise

    path = tmp_path / "r.txt"
    path.write_text("甘肅省蘭州市城關區司法局\n城關區深入推進“八五”普法。\n", encoding="utf-8")
    doc = normalise(read_file(path))
    _, relations = extract(doc, read_metadata(doc.text), nlp)
    run = next(r for r in relations if r.kind == "runs")
    assert doc.original[run.original_start:run.original_end].strip() == run.evidence == "城關區深入推進“八五”普法。"
    assert doc.text[run.start:run.end].strip() == "城关区深入推进“八五”普法。"
