"""The `elastic` command behind `make elastic`: output files, sigma-cli parity and errors.

Kept apart from test_cli.py so that branches adding other targets do not edit one file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import RULE_PATH
from .test_cli import SIGMA_CLI, assert_one_line_error, run

QUERY_FILES = ["aws_rds_snapshot_cross_region.ecs.esql", "aws_rds_snapshot_cross_region.raw.esql"]


def test_elastic_writes_queries_and_ndjson(tmp_path: Path):
    result = run("elastic", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "elastic"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*QUERY_FILES, "kibana-rules.ndjson", "cloudtrail-raw-component-template.json"]
    )
    template = json.loads((folder / "cloudtrail-raw-component-template.json").read_text())
    assert template["template"]["mappings"]["properties"]["eventTime"] == {"type": "date"}
    rules = [json.loads(line) for line in (folder / "kibana-rules.ndjson").read_text().splitlines()]
    assert [rule["type"] for rule in rules] == ["esql", "esql"]
    queries = {name: (folder / name).read_text().rstrip("\n") for name in QUERY_FILES}
    assert {rule["query"] for rule in rules} == set(queries.values())
    assert result.stdout.startswith("from cloudtrail-* metadata _id, _index, _version\n")
    assert "from logs-aws.cloudtrail-* metadata _id, _index, _version\n" in result.stdout


def test_elastic_index_options(tmp_path: Path):
    result = run("elastic", "--out", tmp_path, "--index", "aws-cloudtrail", "--ecs-index", "logs-aws.cloudtrail-prod")
    assert result.returncode == 0, result.stderr
    raw = (tmp_path / "elastic" / QUERY_FILES[1]).read_text()
    ecs = (tmp_path / "elastic" / QUERY_FILES[0]).read_text()
    assert raw.startswith("from aws-cloudtrail metadata ")
    assert ecs.startswith("from logs-aws.cloudtrail-prod metadata ")


@pytest.mark.parametrize(("pipeline", "name"), [("cloudtrail_esql", QUERY_FILES[1]), ("cloudtrail_ecs_esql", QUERY_FILES[0])])
def test_sigma_cli_prints_same_esql(pipeline: str, name: str, tmp_path: Path):
    assert run("elastic", "--out", tmp_path).returncode == 0
    ours = (tmp_path / "elastic" / name).read_text().strip()
    theirs = subprocess.run(
        [str(SIGMA_CLI), "convert", "-t", "esql", "-p", pipeline, str(RULE_PATH)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout.strip() == ours


def test_sigma_cli_lists_esql_pipelines():
    listing = subprocess.run(
        [str(SIGMA_CLI), "list", "pipelines"], capture_output=True, text=True, timeout=120, check=False,
    )
    assert "cloudtrail_esql" in listing.stdout
    assert "cloudtrail_ecs_esql" in listing.stdout


@pytest.mark.parametrize(("output_format", "language"), [("lucene", "Lucene"), ("kql", "KQL"), ("eql", "EQL")])
def test_elastic_field_comparison_format_fails(output_format: str, language: str, tmp_path: Path):
    result = run("elastic", "--format", output_format, "--out", tmp_path / "out")
    assert_one_line_error(
        result,
        f"error: {language} cannot compare two fields, so it cannot express the field comparison "
        "'requestParameters.sourceRegion|fieldref: awsRegion'",
        "Use the ES|QL rules instead",
    )
    assert not (tmp_path / "out").exists()


def test_elastic_invalid_index_leaves_no_file(tmp_path: Path):
    result = run("elastic", "--index", "cloudtrail | drop *", "--out", tmp_path / "out")
    assert_one_line_error(result, "Invalid Elasticsearch index pattern 'cloudtrail | drop *'")
    assert not (tmp_path / "out").exists()


def test_elastic_unconvertible_rule_leaves_no_file(tmp_path: Path):
    rule = tmp_path / "nested.yml"
    rule.write_text(RULE_PATH.read_text().replace(
        "        awsRegion|exists: true\n",
        "        awsRegion|exists: true\n        requestParameters.tags.key: owner\n",
    ))
    result = run("elastic", "--rule", rule, "--out", tmp_path / "out")
    assert_one_line_error(result, "nested.yml: cannot convert to ES|QL (Elastic AWS integration)", "nested ones")
    assert not (tmp_path / "out").exists()
