"""Offline ATT&CK mapping of Sigma tags."""

from __future__ import annotations

import pytest
from sigma.rule import SigmaRuleTag

from converters.attack import Technique, rule_techniques
from converters.errors import ConversionError
from converters.rules import LoadedRule


def with_tags(loaded: LoadedRule, *tags: str):
    rule = loaded.fresh()
    rule.tags = [SigmaRuleTag.from_str(tag) for tag in tags]
    return rule


def test_attack_project_rule_maps_t1537(project_rule: LoadedRule):
    assert rule_techniques(project_rule.rule) == [
        Technique("TA0010", "Exfiltration", "T1537", "Transfer Data to Cloud Account")
    ]


def test_attack_technique_outside_tactic_dropped(project_rule: LoadedRule):
    rule = with_tags(project_rule, "attack.collection", "attack.t1537")
    assert rule_techniques(rule) == []


def test_attack_two_tactics_pair_correctly(project_rule: LoadedRule):
    rule = with_tags(project_rule, "attack.exfiltration", "attack.collection", "attack.t1537", "attack.t1530")
    assert [(t.tactic_id, t.technique_id) for t in rule_techniques(rule)] == [("TA0010", "T1537"), ("TA0009", "T1530")]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("attack.t9999", "technique tag 'attack.t9999' is not in the offline table"),
        ("attack.t1537.001", "technique tag 'attack.t1537.001' is not in the offline table"),
        ("attack.lateral_movement", "tactic tag 'attack.lateral_movement' is not in the offline table"),
    ],
    ids=["technique", "subtechnique", "tactic"],
)
def test_attack_unknown_tag_raises(project_rule: LoadedRule, tag: str, message: str):
    rule = with_tags(project_rule, "attack.exfiltration", tag)
    with pytest.raises(ConversionError, match=message):
        rule_techniques(rule)
