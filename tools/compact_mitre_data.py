"""Build the compact MITRE ATT&CK and D3FEND files that `make check` ships.

pySigma's tag validators read only a few properties of each ATT&CK and D3FEND
object (see sigma/data/mitre_attack.py and mitre_d3fend.py in pySigma 1.5.1).
This script keeps exactly those, so the shipped files are small but give the
same validation results as the full downloads.

Usage (needs a local clone of each source repository):
    python tools/compact_mitre_data.py attack CTI_CLONE OUT.json VERSION
    python tools/compact_mitre_data.py d3fend ONTOLOGY_CLONE OUT.json VERSION
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Object folders of mitre/cti's enterprise-attack tree that pySigma reads.
ATTACK_FOLDERS = (
    "x-mitre-tactic",
    "attack-pattern",
    "intrusion-set",
    "malware",
    "tool",
    "course-of-action",
    "x-mitre-data-source",
)
# The properties pySigma reads, plus "id" and "type" that STIX requires.
ATTACK_KEPT = (
    "type",
    "id",
    "name",
    "x_mitre_shortname",
    "kill_chain_phases",
    "revoked",
    "x_mitre_deprecated",
)
D3FEND_ONTOLOGY = "src/ontology/d3fend-protege.ttl"
# One Turtle statement block per subject, separated by blank lines.
D3FEND_ID = re.compile(r':d3fend-id "(D3-[A-Z0-9-]+)"')
D3FEND_LABEL = re.compile(r'rdfs:label "([^"]+)"')
D3FEND_TACTIC = re.compile(r"^:\w+ a :DefensiveTactic\b")


def compact_attack_object(obj: dict) -> dict:
    """Keep the properties pySigma reads and the ATT&CK id reference."""
    kept = {key: obj[key] for key in ATTACK_KEPT if key in obj}
    kept["external_references"] = [
        {"source_name": ref["source_name"], "external_id": ref["external_id"]}
        for ref in obj.get("external_references", [])
        if ref.get("source_name") == "mitre-attack" and "external_id" in ref
    ]
    return kept


def build_attack(clone: Path, version: str) -> dict:
    """Collect the enterprise objects of a mitre/cti clone into one STIX bundle."""
    objects = [
        {
            "type": "x-mitre-collection",
            "id": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
            "name": "Enterprise ATT&CK (compact extract)",
            "x_mitre_version": version,
        }
    ]
    for folder in ATTACK_FOLDERS:
        for path in sorted((clone / "enterprise-attack" / folder).glob("*.json")):
            for obj in json.loads(path.read_text(encoding="utf-8"))["objects"]:
                if not obj.get("revoked") and not obj.get("x_mitre_deprecated"):
                    objects.append(compact_attack_object(obj))
    return {"type": "bundle", "id": "bundle--compact-enterprise-attack", "objects": objects}


def build_d3fend(clone: Path, version: str) -> dict:
    """Collect D3FEND tactics and techniques from the ontology's Turtle source."""
    text = (clone / D3FEND_ONTOLOGY).read_text(encoding="utf-8")
    graph: list[dict] = [
        {
            "@id": "http://d3fend.mitre.org/ontologies/d3fend.owl",
            "@type": "owl:Ontology",
            "owl:versionIRI": {"@id": f"http://d3fend.mitre.org/ontologies/d3fend/{version}"},
        }
    ]
    for block in text.split("\n\n"):
        label = D3FEND_LABEL.search(block)
        if label is None:
            continue
        if D3FEND_TACTIC.match(block.strip()):
            graph.append(
                {"@type": ["d3f:DefensiveTactic", "owl:Class"], "rdfs:label": label.group(1)}
            )
        technique = D3FEND_ID.search(block)
        if technique:
            graph.append({"d3f:d3fend-id": technique.group(1), "rdfs:label": label.group(1)})
    return {"@graph": graph}


def one_object_per_line(data: dict) -> str:
    """Serialise the top-level list one object per line, so updates diff well."""
    ((key, items),) = ((k, v) for k, v in data.items() if isinstance(v, list))
    head = {k: v for k, v in data.items() if k != key}
    lines = [json.dumps(item, sort_keys=True, ensure_ascii=False) for item in items]
    opening = (
        json.dumps(head, sort_keys=True)[:-1] + (", " if head else "") + json.dumps(key) + ": ["
    )
    return opening + "\n" + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str]) -> int:
    """Write the compact file named on the command line."""
    if len(argv) != 4 or argv[0] not in ("attack", "d3fend"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, clone, out, version = argv[0], Path(argv[1]), Path(argv[2]), argv[3]
    data = build_attack(clone, version) if kind == "attack" else build_d3fend(clone, version)
    out.write_text(one_object_per_line(data), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
