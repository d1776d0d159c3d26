"""Conversion of minimal inline rules with the CloudTrail Splunk pipeline: exact SPL and errors."""

from __future__ import annotations

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError, SigmaTransformationError
from sigma.pipelines.cloudtrail import cloudtrail_splunk_pipeline
from sigma.pipelines.cloudtrail.splunk import region_eval_commands

HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""


def convert(detection: str, **options: str) -> str:
    rule = SigmaCollection.from_yaml(HEADER + detection)
    backend = SplunkBackend(processing_pipeline=cloudtrail_splunk_pipeline(**options))
    return backend.convert(rule)[0]


def test_splunk_plain_selection_gets_sourcetype():
    query = convert("""
    selection:
        eventName: CopyDBSnapshot
    condition: selection
""")
    assert query == 'sourcetype="aws:cloudtrail" eventName="CopyDBSnapshot"'


def test_splunk_index_and_sourcetype_options():
    query = convert("""
    selection:
        eventName: CopyDBSnapshot
    condition: selection
""", index="aws", sourcetype="aws:cloudtrail:lake")
    assert query == 'index="aws" sourcetype="aws:cloudtrail:lake" eventName="CopyDBSnapshot"'


def test_splunk_region_comparison_inserts_eval():
    query = convert("""
    selection:
        requestParameters.sourceRegion|exists: true
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection and not filter
""")
    base = (
        'sourcetype="aws:cloudtrail" requestParameters.sourceDBSnapshotIdentifier=* OR '
        "requestParameters.sourceDBClusterSnapshotIdentifier=* OR requestParameters.sourceRegion=* "
        "OR responseElements.sourceRegion=*"
    )
    where = "| where NOT 'rds_source_region'='rds_destination_region'"
    assert query == base + "\n" + region_eval_commands() + "\n" + where


def test_splunk_region_eval_quotes_dotted_fields():
    commands = region_eval_commands()
    assert "lower('awsRegion')" in commands
    assert "match('requestParameters.sourceDBSnapshotIdentifier', \"^arn:[^:]+:rds:[^:]+:\")" in commands
    assert "split('requestParameters.sourceDBClusterSnapshotIdentifier', \":\"), 3)" in commands
    assert commands.count("| eval ") == 2


def test_splunk_positive_comparison_keeps_its_sense():
    query = convert("""
    selection:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection
""")
    assert query.endswith("\n| where 'rds_source_region'='rds_destination_region'")
    assert region_eval_commands() in query


def test_splunk_other_fieldref_stays_stock():
    query = convert("""
    selection:
        userIdentity.accountId|fieldref: recipientAccountId
    condition: not selection
""")
    assert query == "sourcetype=\"aws:cloudtrail\"\n| where NOT 'userIdentity.accountId'='recipientAccountId'"


def test_splunk_fieldref_in_negated_group_raises():
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="inside a negated group.*drop the negation"):
        convert("""
    selection:
        eventName: CopyDBSnapshot
    filter:
        eventSource: rds.amazonaws.com
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection and not filter
""")


def test_splunk_regex_in_negated_group_raises():
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="regular expression on 'userAgent' is inside a negated group"):
        convert("""
    selection:
        eventName: CopyDBSnapshot
    filter:
        eventSource: rds.amazonaws.com
        userAgent|re: '^aws-cli/'
    condition: selection and not filter
""")


def test_splunk_fieldref_under_or_raises():
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="ORed with other conditions"):
        convert("""
    selection:
        eventName: CopyDBSnapshot
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection or not filter
""")


def test_splunk_one_of_filters_raises():
    # `not 1 of filter_*` is an OR below the NOT, even with a single filter.
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="filter_main_\\*"):
        convert("""
    selection:
        eventName: CopyDBSnapshot
    filter_main_same_region:
        requestParameters.sourceRegion|fieldref: awsRegion
    filter_main_backup:
        userIdentity.invokedBy: backup.amazonaws.com
    condition: selection and not 1 of filter_main_*
""")


def test_splunk_source_region_exists_false_raises():
    with pytest.raises(SigmaTransformationError, match="exists: false' is not supported"):
        convert("""
    selection:
        requestParameters.sourceRegion|exists: false
    condition: selection
""")


def test_splunk_source_region_other_fieldref_raises():
    with pytest.raises(SigmaTransformationError, match="can only be compared with 'awsRegion'"):
        convert("""
    selection:
        requestParameters.sourceRegion|fieldref: eventSource
    condition: selection
""")


def test_splunk_other_logsource_raises():
    with pytest.raises(Exception, match="only converts rules with 'logsource: product: aws"):
        SplunkBackend(processing_pipeline=cloudtrail_splunk_pipeline()).convert(
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


def test_splunk_two_comparisons_share_one_eval():
    query = convert("""
    selection:
        requestParameters.sourceRegion|fieldref: awsRegion
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection and not filter
""")
    assert query.count(region_eval_commands()) == 1
    assert query.index(region_eval_commands()) < query.index("| where")


def test_splunk_derived_field_without_where_raises():
    with pytest.raises(SigmaTransformationError, match="outside a '| where'"):
        convert("""
    selection:
        rds_source_region|fieldref: eventName
    condition: selection
""")
