"""Offline ATT&CK names for the threat mapping of SIEM rules, built from Sigma ``attack.*`` tags.

pySigma's own ATT&CK data downloads MITRE's catalogue at run time, but conversion here must
work offline. So the few tactics and techniques the project's rules use are listed below,
with names and ids from MITRE ATT&CK Enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigma.rule import SigmaRule

from .errors import ConversionError

# Sigma tactic tag -> (tactic id, tactic name).
TACTICS: dict[str, tuple[str, str]] = {
    "exfiltration": ("TA0010", "Exfiltration"),
    "collection": ("TA0009", "Collection"),
    "impact": ("TA0040", "Impact"),
    "defense_evasion": ("TA0005", "Defense Evasion"),
}

# Technique id -> (technique name, Sigma tactic tags the technique belongs to).
TECHNIQUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "T1537": ("Transfer Data to Cloud Account", ("exfiltration",)),
    "T1530": ("Data from Cloud Storage", ("collection",)),
    "T1485": ("Data Destruction", ("impact",)),
    "T1578": ("Modify Cloud Compute Infrastructure", ("defense_evasion",)),
}


@dataclass(frozen=True)
class Technique:
    """An ATT&CK technique with the tactic it is mapped under."""

    tactic_id: str
    tactic_name: str
    technique_id: str
    technique_name: str


def rule_techniques(rule: SigmaRule) -> list[Technique]:
    """Pair each technique tag of the rule with each of the rule's tactic tags it belongs to."""
    tags = [tag.name.lower() for tag in rule.tags if tag.namespace == "attack"]
    tactics = [tag for tag in tags if not _is_technique(tag)]
    techniques = [tag.upper() for tag in tags if _is_technique(tag)]
    for tag in tactics:
        if tag not in TACTICS:
            raise ConversionError(_unknown("tactic", f"attack.{tag}", "TACTICS"))
    result = []
    for technique_id in techniques:
        if technique_id not in TECHNIQUES:
            raise ConversionError(_unknown("technique", f"attack.{technique_id.lower()}", "TECHNIQUES"))
        name, technique_tactics = TECHNIQUES[technique_id]
        for tactic in tactics:
            if tactic in technique_tactics:
                tactic_id, tactic_name = TACTICS[tactic]
                result.append(Technique(tactic_id, tactic_name, technique_id, name))
    return result


def _is_technique(tag: str) -> bool:
    return tag.startswith("t") and tag[1:5].isdigit()


def _unknown(kind: str, tag: str, table: str) -> str:
    return (
        f"ATT&CK {kind} tag '{tag}' is not in the offline table. Add its id and name to "
        f"{table} in converters/attack.py, or remove the tag."
    )
