"""The lgkg ontology's terms as a closed namespace.

GENERATED from ontology/lgkg.ttl by kg/ontology.py; do not edit by hand.
After changing the ontology, regenerate it with

    .venv/bin/python -m kg.ontology

tests/test_ontology.py fails while this file and the ontology differ.
A term that the ontology does not declare fails loudly:

    >>> LGKG.nonsense
    Traceback (most recent call last):
    AttributeError: term 'nonsense' not in namespace 'https://w3id.org/lgkg/ontology#'
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

__all__ = ["LGKG", "DATA"]

#: The base of every IRI the build mints (places, entities, reports, relations).
DATA = Namespace("https://w3id.org/lgkg/id/")


class LGKG(DefinedNamespace):
    """lgkg legal-governance knowledge-graph ontology."""

    _NS = Namespace("https://w3id.org/lgkg/ontology#")
    _fail = True

    # Classes (owl:Class)
    AdcodeSpell: URIRef  # administrative code spell / 行政区划代码沿革
    Agency: URIRef  # Agency / 机构
    Honour: URIRef  # Honour / 荣誉
    HonourAward: URIRef  # Honour award / 荣誉授予
    NamedEntity: URIRef  # Named entity / 命名实体
    Place: URIRef  # Place / 地点
    Programme: URIRef  # Programme / 项目
    ProgrammeParticipation: URIRef  # Programme participation / 项目参与
    Report: URIRef  # Report / 报告

    # Object properties (owl:ObjectProperty)
    adcodeHistory: URIRef  # adcode history / 代码沿革
    conferredBy: URIRef  # conferred by / 授予机构
    honour: URIRef  # honour / 所授荣誉
    issuingAgency: URIRef  # issuing agency / 发布机构
    jurisdiction: URIRef  # jurisdiction / 管辖地
    mentions: URIRef  # mentions / 提及
    participant: URIRef  # participant / 参与者
    programme: URIRef  # programme / 所涉项目
    receivedHonour: URIRef  # received honour / 获得荣誉
    recipient: URIRef  # recipient / 获得者
    reportingDistrict: URIRef  # reporting district / 报告地区
    runsProgramme: URIRef  # runs programme / 开展项目
    withinPlace: URIRef  # within place / 直接所属地点

    # Datatype properties (owl:DatatypeProperty)
    adcode: URIRef  # administrative division code / 行政区划代码
    encoding: URIRef  # encoding / 字符编码
    evidence: URIRef  # evidence / 原文证据
    evidenceEnd: URIRef  # evidence end / 证据结束位置
    evidenceStart: URIRef  # evidence start / 证据起始位置
    fromYear: URIRef  # from year / 启用年份
    heldCode: URIRef  # held code / 所用代码
    level: URIRef  # level / 行政层级
    reportYear: URIRef  # report year / 报告年度
    script: URIRef  # script / 字形
    untilYear: URIRef  # until year / 停用年份
    year: URIRef  # year / 授予年份
