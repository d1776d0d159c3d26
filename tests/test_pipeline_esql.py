"""Conversion of minimal inline rules with the CloudTrail ES|QL pipelines: exact queries and errors."""

from __future__ import annotations

import pytest
from sigma.backends.elasticsearch import ESQLBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaConfigurationError, SigmaError, SigmaTransformationError
from sigma.pipelines.cloudtrail import cloudtrail_ecs_esql_pipeline, cloudtrail_esql_pipeline
from sigma.pipelines.cloudtrail.ecs import ECS_FIELDS, ecs_field, extracted_column, grok_command
from sigma.pipelines.cloudtrail.esql import ARN_RLIKE, quote_field, region_eval_commands

HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""
RAW_FROM = "from cloudtrail-* metadata _id, _index, _version\n"
ECS_FROM = "from logs-aws.cloudtrail-* metadata _id, _index, _version\n"


def convert(detection: str, ecs: bool = False, output_format: str = "default", **options: str) -> str:
    factory = cloudtrail_ecs_esql_pipeline if ecs else cloudtrail_esql_pipeline
    backend = ESQLBackend(processing_pipeline=factory(**options))
    return backend.convert(SigmaCollection.from_yaml(HEADER + detection), output_format)[0]


def test_esql_strings_compare_lower_case():
    query = convert("""
    selection:
        eventSource: RDS.amazonaws.com
        eventName:
            - CopyDBSnapshot
            - CopyDBClusterSnapshot
    condition: selection
""")
    assert query == RAW_FROM + (
        '| where to_lower(eventSource)=="rds.amazonaws.com" and '
        '(to_lower(eventName) in ("copydbsnapshot", "copydbclustersnapshot"))'
    )


def test_esql_wildcards_and_modifiers_lower_case():
    query = convert("""
    selection:
        userAgent|startswith: AWS-CLI/
        eventName: Copy*Snapshot
    condition: selection
""")
    assert query == RAW_FROM + (
        '| where starts_with(to_lower(userAgent), "aws-cli/") and to_lower(eventName) like "copy*snapshot"'
    )


def test_esql_cased_modifier_stays_case_sensitive():
    query = convert("""
    selection:
        eventName|cased: CopyDBSnapshot
    condition: selection
""")
    assert query == RAW_FROM + '| where eventName=="CopyDBSnapshot"'


def test_esql_null_and_empty_keep_their_meaning():
    query = convert("""
    selection:
        errorCode:
            - Success
            - null
            - ''
    condition: selection
""")
    assert query == RAW_FROM + (
        '| where to_lower(errorCode)=="success" or to_lower(errorCode) is null or to_lower(errorCode)==""'
    )


def test_esql_numbers_beside_strings_split():
    query = convert("""
    selection:
        recipientAccountId:
            - 123456789012
            - Unknown
    condition: selection
""")
    assert query == RAW_FROM + '| where to_lower(recipientAccountId)=="unknown" or recipientAccountId==123456789012'


def test_esql_negated_selection_guards_missing_field():
    query = convert("""
    selection:
        eventName: CopyDBSnapshot
    filter:
        userIdentity.invokedBy: backup.amazonaws.com
    condition: selection and not filter
""")
    assert query == RAW_FROM + (
        '| where to_lower(eventName)=="copydbsnapshot" and '
        'not (userIdentity.invokedBy is not null and to_lower(userIdentity.invokedBy)=="backup.amazonaws.com")'
    )


def test_esql_negated_fieldref_guards_both_fields():
    query = convert("""
    filter:
        userIdentity.accountId|fieldref: recipientAccountId
    condition: not filter
""")
    assert query == RAW_FROM + (
        "| where not (userIdentity.accountId is not null and recipientAccountId is not null and "
        "userIdentity.accountId==recipientAccountId)"
    )


def test_esql_region_comparison_inserts_eval():
    query = convert("""
    selection:
        requestParameters.sourceRegion|exists: true
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection and not filter
""")
    where = (
        "| where (requestParameters.sourceDBSnapshotIdentifier is not null or "
        "requestParameters.sourceDBClusterSnapshotIdentifier is not null or "
        "requestParameters.sourceRegion is not null or responseElements.sourceRegion is not null) "
        "and not rds_source_region==rds_destination_region"
    )
    assert query == RAW_FROM + region_eval_commands() + "\n" + where


def test_esql_region_eval_parses_arns():
    commands = region_eval_commands().splitlines()
    assert len(commands) == 2
    assert commands[0].startswith("| eval rds_destination_region = to_lower(awsRegion), ")
    assert (
        'rds_region_1 = case(requestParameters.sourceDBSnapshotIdentifier rlike "arn:[^:]+:rds:[^:]+:.*", '
        'to_lower(mv_slice(split(requestParameters.sourceDBSnapshotIdentifier, ":"), 3, 3)), null)'
    ) in commands[0]
    assert "rds_region_4 = to_lower(responseElements.sourceRegion)" in commands[0]
    assert commands[1].endswith("rds_region_4, rds_destination_region)")


def test_esql_arn_rlike_matches_whole_value():
    assert ARN_RLIKE == "arn:[^:]+:rds:[^:]+:.*"


def test_esql_index_option():
    query = convert("""
    selection:
        eventName: CopyDBSnapshot
    condition: selection
""", index="cloudtrail-prod,cloudtrail-dr")
    assert query.startswith("from cloudtrail-prod,cloudtrail-dr metadata _id, _index, _version\n| where ")


@pytest.mark.parametrize("index", ["a | drop *", "Logs", "", "a,,b", 'x"'], ids=["pipe", "upper", "empty", "empty-part", "quote"])
def test_esql_invalid_index_raises(index: str):
    with pytest.raises(SigmaConfigurationError, match="Invalid Elasticsearch index pattern"):
        cloudtrail_esql_pipeline(index=index)


def test_esql_other_output_format_raises():
    with pytest.raises(SigmaError, match="support only the default output format"):
        convert("""
    selection:
        eventName: CopyDBSnapshot
    condition: selection
""", output_format="kibana_ndjson")


def test_esql_other_logsource_raises():
    with pytest.raises(SigmaError, match="only converts rules with 'logsource: product: aws"):
        ESQLBackend(processing_pipeline=cloudtrail_esql_pipeline()).convert(
            SigmaCollection.from_yaml("""
title: Test
status: test
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\\\cmd.exe'
    condition: selection
""")
        )


def test_ecs_fields_renamed():
    query = convert("""
    selection:
        eventSource: rds.amazonaws.com
        awsRegion|exists: true
        userIdentity.arn|endswith: ':user/admin'
    condition: selection
""", ecs=True)
    assert query == ECS_FROM + (
        '| where to_lower(event.provider)=="rds.amazonaws.com" and cloud.region is not null and '
        'ends_with(to_lower(aws.cloudtrail.user_identity.arn), ":user/admin")'
    )


def test_ecs_request_parameter_extracted_by_grok():
    query = convert("""
    selection:
        requestParameters.dBSnapshotIdentifier: orders
    condition: selection
""", ecs=True)
    grok = grok_command(extracted_column("requestParameters.dBSnapshotIdentifier"))
    assert query == ECS_FROM + grok + '\n| where to_lower(request_parameters.dBSnapshotIdentifier)=="orders"'
    assert grok.startswith('| grok aws.cloudtrail.request_parameters "^[{](?:(?:[^\\\\[\\\\]{}]|')
    assert grok.endswith(', )?dBSnapshotIdentifier=%{DATA:request_parameters.dBSnapshotIdentifier}[,}]"')


def test_ecs_region_comparison_extracts_candidates():
    query = convert("""
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: not filter
""", ecs=True)
    lines = query.splitlines()
    assert lines[1:5] == [
        grok_command(extracted_column(f"requestParameters.{key}"))
        for key in ("sourceDBSnapshotIdentifier", "sourceDBClusterSnapshotIdentifier", "sourceRegion")
    ] + [grok_command(extracted_column("responseElements.sourceRegion"))]
    assert lines[5] == region_eval_commands(ecs_field).splitlines()[0]
    assert lines[5].startswith("| eval rds_destination_region = to_lower(cloud.region), ")
    assert lines[-1] == "| where not rds_source_region==rds_destination_region"


def test_ecs_nested_request_parameter_raises():
    with pytest.raises(SigmaTransformationError, match="requestParameters.filter.name' cannot be converted"):
        convert("""
    selection:
        requestParameters.filter.name: x
    condition: selection
""", ecs=True)


def test_ecs_unknown_field_raises():
    with pytest.raises(SigmaTransformationError, match="'tlsDetails.tlsVersion' has no known field"):
        convert("""
    selection:
        tlsDetails.tlsVersion: TLSv1.2
    condition: selection
""", ecs=True)


def test_ecs_field_map_covers_rule_fields():
    for raw in ("eventSource", "eventName", "awsRegion", "errorCode", "userIdentity.arn"):
        assert raw in ECS_FIELDS


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("event.provider", "event.provider"), ("@timestamp", "@timestamp"), ("a-b", "`a-b`"), ("a`b", "`a``b`")],
    ids=["dotted", "at-sign", "dash", "backtick"],
)
def test_esql_quote_field(name: str, quoted: str):
    assert quote_field(name) == quoted


def test_esql_detection_negated_once_guarded_everywhere():
    query = convert("""
    filter:
        userAgent: x
    condition: not filter and filter
""")
    assert query == RAW_FROM + (
        '| where not (userAgent is not null and to_lower(userAgent)=="x") and '
        'userAgent is not null and to_lower(userAgent)=="x"'
    )


def test_esql_negated_selector_guarded():
    query = convert("""
    selection:
        eventName: CopyDBSnapshot
    filter_main_backup:
        userIdentity.invokedBy: backup.amazonaws.com
    condition: selection and not 1 of filter_main_*
""")
    assert query.endswith(
        'and not (userIdentity.invokedBy is not null and to_lower(userIdentity.invokedBy)=="backup.amazonaws.com")'
    )
