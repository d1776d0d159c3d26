"""SPL conversion of the project rule and the savedsearches.conf it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from converters.errors import ConversionError
from converters.rules import LoadedRule
from converters.splunk import (
    SplunkOptions,
    convert_spl,
    saved_search_stanza,
    savedsearches_conf,
)


def parse_conf(text: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    path = tmp_path / "savedsearches.conf"
    path.write_text(text, encoding="utf-8")
    parser = TABConfigParser()
    parser.read(str(path))
    # The parser keeps the continuation backslash at the end of each line of a
    # multi-line value; Splunk drops it and keeps the line break.
    return {
        section: {key: value.replace(" \\\n", "\n") for key, value in parser.items(section)}
        for section in parser.sections()
    }


@pytest.fixture(scope="module")
def spl(project_rule: LoadedRule) -> str:
    return convert_spl(project_rule)


def test_spl_starts_with_sourcetype(spl: str):
    assert spl.startswith('sourcetype="aws:cloudtrail" eventSource="rds.amazonaws.com" ')


def test_spl_index_option(project_rule: LoadedRule):
    query = convert_spl(project_rule, SplunkOptions(index="cloudtrail", sourcetype="aws:cloudtrail"))
    assert query.startswith('index="cloudtrail" sourcetype="aws:cloudtrail" ')


def test_spl_tables_output_fields(spl: str):
    assert spl.endswith(
        " | table eventName,eventSource,awsRegion,recipientAccountId,sourceIPAddress,userAgent,"
        "userIdentity.arn,requestParameters.sourceDBSnapshotIdentifier,"
        "requestParameters.sourceDBClusterSnapshotIdentifier,requestParameters.sourceRegion"
    )


def test_savedsearches_keys(project_rule: LoadedRule, spl: str, tmp_path: Path):
    conf = parse_conf(savedsearches_conf([saved_search_stanza(project_rule.rule, spl)]), tmp_path)
    stanza = "AWS RDS Snapshot Copied To Another Region"
    assert list(conf) == [stanza]
    settings = conf[stanza]
    assert settings["search"] == spl
    assert settings["cron_schedule"] == "*/15 * * * *"
    assert settings["dispatch.earliest_time"] == "-30m@m"
    assert settings["dispatch.latest_time"] == "now"
    assert settings["enableSched"] == "1"
    assert settings["alert.severity"] == "3"
    assert settings["alert.suppress"] == "1"
    assert settings["alert.suppress.period"] == "60m"
    assert settings["alert.suppress.fields"] == "userIdentity.arn"
    assert settings["alert.digest_mode"] == "0"
    assert settings["counttype"] == "number of events"
    assert settings["relation"] == "greater than"
    assert settings["quantity"] == "0"
    assert settings["description"].startswith("Detects a successful copy of an Amazon RDS")
    assert "\n" not in settings["description"]
    assert json.loads(settings["action.correlationsearch.annotations"]) == {"mitre_attack": ["T1537"]}


def test_savedsearches_window_overlaps_schedule():
    # The window (30 minutes) is longer than the schedule interval (15 minutes).
    from converters import splunk

    assert splunk.CRON_SCHEDULE.startswith("*/15 ")
    assert int(splunk.EARLIEST_TIME.strip("-").split("m")[0]) > 15


def test_savedsearches_multiline_search_round_trips(project_rule: LoadedRule, tmp_path: Path):
    spl = 'sourcetype="aws:cloudtrail" userAgent="a\\\\"\n| where x="y"\n| table a'
    conf = parse_conf(savedsearches_conf([saved_search_stanza(project_rule.rule, spl)]), tmp_path)
    settings = conf["AWS RDS Snapshot Copied To Another Region"]
    assert settings["search"] == spl
    assert settings["cron_schedule"] == "*/15 * * * *"


def test_savedsearches_trailing_backslash_raises(project_rule: LoadedRule):
    with pytest.raises(ConversionError, match="ends with a backslash, which Splunk reads as a line continuation"):
        saved_search_stanza(project_rule.rule, 'userAgent="x" | table a\\')


def test_savedsearches_stanza_name_drops_brackets(project_rule: LoadedRule):
    rule = project_rule.fresh()
    rule.title = "Copy [test]\nsecond line"
    assert saved_search_stanza(rule, "a=1").splitlines()[0] == "[Copy (test) second line]"
