"""The lgkg components on spaCy's data model: spans with ids and extensions, rules switched from the config."""

from __future__ import annotations

import pytest
import spacy

from kg.components import CONTEXT_KEY
from kg.divisions import gazetteer
from kg.extract import context_for
from kg.types import Metadata

COMPONENTS = ("lgkg_places", "lgkg_agencies", "lgkg_programmes", "lgkg_honours")


def pipeline(**rules: list[str]):
    """A blank Chinese pipeline with the four components; ``rules`` overrides a component's rule list."""
    nlp = spacy.blank("zh")
    for name in COMPONENTS:
        nlp.add_pipe(name, config={"rules": rules[name]} if name in rules else {})
    nlp.initialize()
    return nlp


def names(nlp, text: str, code: str) -> set[str]:
    doc = run(nlp, text, code)
    return {s.id_ for s in doc.spans["lgkg"]}


def run(nlp, text: str, code: str = "620102"):
    gaz = gazetteer()
    doc = nlp.make_doc(text)
    doc.user_data[CONTEXT_KEY] = context_for(Metadata(agency="区司法局", district=gaz.by_code[code]), gaz)
    return next(iter(nlp.pipe([doc])))


def test_spans_carry_type_canonical_name_and_extensions() -> None:
    doc = run(pipeline(), "区司法局会同甘肃省司法厅开展“八五”普法。雁北街道获评全省法治建设先进街道。")
    spans = {(s.label_, s.id_): s for s in doc.spans["lgkg"]}
    agency = spans[("AGENCY", "城关区司法局")]
    assert agency._.lgkg_jurisdiction == "城关区" and agency._.lgkg_kind == "agency"
    assert spans[("PLACE", "甘肃省")]._.lgkg_code == "620000"
    assert spans[("PROGRAMME", "八五普法")]._.lgkg_evidence == "区司法局会同甘肃省司法厅开展“八五”普法。"
    assert [(r.kind, r.object) for r in doc._.lgkg_relations] == [
        ("awarded", "全省法治建设先进街道"), ("runs", "八五普法")]


# One sentence per rule that only that rule finds: with the rule left out of the config, its name is gone.
RULE_TABLE = [
    ("lgkg_places", "zones", "经济技术开发区开展普法。", "330211", "镇海经济技术开发区"),
    ("lgkg_places", "short_forms", "宁波积极推进法治建设。", "330211", "宁波市"),
    ("lgkg_agencies", "national", "认真贯彻司法部部署。", "620102", "司法部"),
    ("lgkg_agencies", "pronouns", "我局认真贯彻部署。", "620102", "城关区司法局"),
    ("lgkg_agencies", "list_carry", "与区工信局、科创局等部门对接。", "620102", "城关区科创局"),
    ("lgkg_agencies", "title_issuers", "印发《城关区司法局关于开展调解的通知》。", "620102", "城关区司法局"),
    ("lgkg_agencies", "shared_heads", "酒泉路街道、张掖路街道司法所联合调解。", "620102", "酒泉路街道司法所"),
    ("lgkg_programmes", "lexicon", "深入实施“八五”普法规划。", "620102", "八五普法"),
    ("lgkg_programmes", "quoted", "组织开展“清风护企”专项行动。", "620102", "清风护企专项行动"),
    ("lgkg_programmes", "unquoted", "深入开展四史学习教育。", "620102", "四史学习教育"),
    ("lgkg_programmes", "numbered", "推行化解物业纠纷五步工作法。", "620102", "五步工作法"),
    ("lgkg_programmes", "formula", "深入开展三比三促作风建设。", "620102", "三比三促"),
    ("lgkg_programmes", "law_into", "组织《民法典》进农村宣讲。", "620102", "民法典进农村"),
    ("lgkg_honours", "title_conjunctions", "我区荣获全省平安建设先进区和全国七五普法先进区称号。", "620102",
     "全国七五普法先进区"),
]


@pytest.mark.parametrize(("component", "rule", "text", "code", "name"), RULE_TABLE)
def test_each_rule_can_be_switched_off(component, rule, text, code, name) -> None:
    others = [r for r in pipeline().get_pipe(component).known if r != rule]
    assert name in names(pipeline(), text, code)
    assert name not in names(pipeline(**{component: others}), text, code)


def test_an_unknown_rule_names_the_known_ones() -> None:
    nlp = spacy.blank("zh")
    with pytest.raises(ValueError, match="unknown rule.*nationl.*the rules are national"):
        nlp.add_pipe("lgkg_agencies", config={"rules": ["nationl"]})


def test_factories_declare_their_settings() -> None:
    nlp = pipeline()
    assert nlp.config["components"]["lgkg_honours"]["runs"] is True
    assert "headed" in nlp.config["components"]["lgkg_agencies"]["rules"]
