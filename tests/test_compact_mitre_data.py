"""The script that builds the compact ATT&CK and D3FEND files from their source repositories."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from .conftest import ROOT

SPEC = importlib.util.spec_from_file_location(
    "compact_mitre_data", ROOT / "tools" / "compact_mitre_data.py"
)
assert SPEC is not None
assert SPEC.loader is not None
compact = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(compact)

TECHNIQUE = {
    "type": "attack-pattern",
    "id": "attack-pattern--d4bdbdea-eaec-4071-b4f9-5105e12ea4b6",
    "name": "Transfer Data to Cloud Account",
    "description": "long text that is dropped",
    "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "exfiltration"}],
    "external_references": [
        {
            "source_name": "mitre-attack",
            "external_id": "T1537",
            "url": "https://attack.mitre.org/techniques/T1537",
        },
        {"source_name": "AWS EBS Snapshot Sharing", "url": "https://docs.aws.amazon.com/"},
    ],
}
REVOKED = {
    "type": "attack-pattern",
    "id": "attack-pattern--1",
    "name": "Old",
    "revoked": True,
    "external_references": [{"source_name": "mitre-attack", "external_id": "T9999"}],
}
TURTLE = """\
:Detect a :DefensiveTactic,
        owl:Class ;
    rdfs:label "Detect" .

:NetworkTrafficAnalysis a owl:Class ;
    rdfs:label "Network Traffic Analysis" ;
    :d3fend-id "D3-NTA" .

:Unlabelled a owl:Class .
"""


def _write_bundle(folder: Path, name: str, obj: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"type": "bundle", "objects": [obj]}))


def test_compact_attack_keeps_read_properties(tmp_path: Path):
    folder = tmp_path / "enterprise-attack" / "attack-pattern"
    _write_bundle(folder, "a.json", TECHNIQUE)
    _write_bundle(folder, "b.json", REVOKED)
    bundle = compact.build_attack(tmp_path, "18.1")
    collection, technique = bundle["objects"]
    assert collection["x_mitre_version"] == "18.1"
    assert technique == {
        "type": "attack-pattern",
        "id": TECHNIQUE["id"],
        "name": "Transfer Data to Cloud Account",
        "kill_chain_phases": TECHNIQUE["kill_chain_phases"],
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1537"}],
    }


def test_compact_d3fend_reads_turtle(tmp_path: Path):
    ontology = tmp_path / compact.D3FEND_ONTOLOGY
    ontology.parent.mkdir(parents=True)
    ontology.write_text(TURTLE)
    graph = compact.build_d3fend(tmp_path, "1.2.0")["@graph"]
    assert graph[0]["owl:versionIRI"] == {"@id": "http://d3fend.mitre.org/ontologies/d3fend/1.2.0"}
    assert graph[1:] == [
        {"@type": ["d3f:DefensiveTactic", "owl:Class"], "rdfs:label": "Detect"},
        {"d3f:d3fend-id": "D3-NTA", "rdfs:label": "Network Traffic Analysis"},
    ]


def test_compact_output_is_json_lines(tmp_path: Path):
    text = compact.one_object_per_line({"type": "bundle", "objects": [{"a": 1}, {"b": 2}]})
    assert json.loads(text) == {"type": "bundle", "objects": [{"a": 1}, {"b": 2}]}
    assert text.splitlines()[1:3] == ['{"a": 1},', '{"b": 2}']


def test_compact_main_rejects_bad_arguments(capsys):
    assert compact.main(["stix"]) == 2
    assert "Usage" in capsys.readouterr().err
