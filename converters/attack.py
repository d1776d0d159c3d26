"""MITRE ATT&CK tactics and techniques from Sigma tags, in the forms Panther and Sentinel use."""

from __future__ import annotations

from sigma.rule import SigmaRule

# Enterprise tactics: Sigma tag name -> (tactic id, Sentinel's AttackTactic name).
# Source: attack.mitre.org enterprise tactics list (v15); Sentinel's enum in the
# Azure-Sentinel repository's detection template validation.
TACTICS = {
    "reconnaissance": ("TA0043", "Reconnaissance"),
    "resource_development": ("TA0042", "ResourceDevelopment"),
    "initial_access": ("TA0001", "InitialAccess"),
    "execution": ("TA0002", "Execution"),
    "persistence": ("TA0003", "Persistence"),
    "privilege_escalation": ("TA0004", "PrivilegeEscalation"),
    "defense_evasion": ("TA0005", "DefenseEvasion"),
    "credential_access": ("TA0006", "CredentialAccess"),
    "discovery": ("TA0007", "Discovery"),
    "lateral_movement": ("TA0008", "LateralMovement"),
    "collection": ("TA0009", "Collection"),
    "command_and_control": ("TA0011", "CommandAndControl"),
    "exfiltration": ("TA0010", "Exfiltration"),
    "impact": ("TA0040", "Impact"),
}

# Technique names for Panther tags. Techniques not listed here get no name tag.
TECHNIQUE_NAMES = {
    "T1537": "Transfer Data to Cloud Account",
}


def _attack_tags(rule: SigmaRule) -> list[str]:
    return [tag.name.lower().replace("-", "_") for tag in rule.tags if tag.namespace == "attack"]


def tactics(rule: SigmaRule) -> list[tuple[str, str]]:
    """Return (tactic id, Sentinel tactic name) for each ATT&CK tactic tag of the rule."""
    return [TACTICS[name] for name in _attack_tags(rule) if name in TACTICS]


def techniques(rule: SigmaRule) -> list[str]:
    """Return the ATT&CK technique ids of the rule's tags, such as T1537 or T1078.004."""
    return [
        name.upper() for name in _attack_tags(rule) if name.startswith("t") and name[1:2].isdigit()
    ]


def technique_names(rule: SigmaRule) -> list[str]:
    """Return the names of the rule's techniques that TECHNIQUE_NAMES lists."""
    return [TECHNIQUE_NAMES[t] for t in techniques(rule) if t in TECHNIQUE_NAMES]


def report_pairs(rule: SigmaRule) -> list[str]:
    """Return Panther's MITRE ATT&CK report entries, TACTIC:TECHNIQUE.

    Sigma tags do not say which tactic a technique serves, so every tactic is paired with
    every technique. A rule with several tactics may therefore get pairs that ATT&CK does
    not list.
    """
    return [
        f"{tactic_id}:{technique}"
        for tactic_id, _ in tactics(rule)
        for technique in techniques(rule)
    ]
