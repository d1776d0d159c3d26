"""Generate a synthetic CloudTrail archive in the AWS S3 export layout, for benchmarks and tests.

Records use documentation values only: account 123456789012 and addresses from
192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24. The generator is deterministic for a
given seed. It returns the eventID of every record the project's rule must match, so a
benchmark can compare each engine's matches with the expected ones.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Changes whenever the generator writes different records for the same spec, so that a
# benchmark regenerates an archive it kept from an earlier version.
GENERATOR_VERSION = 2
ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
ADDRESSES = tuple(
    f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113") for host in range(10, 60)
)
USER_AGENTS = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79 lang/python#3.11.8",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
    "console.amazonaws.com",
    "AWS Internal",
)

# (eventSource, eventName, weight): a mix in the proportions of a busy account, where
# read-only calls from automation dominate. Weights are relative, not measured from a
# real account.
SERVICE_MIX: tuple[tuple[str, str, int], ...] = (
    ("sts.amazonaws.com", "AssumeRole", 200),
    ("s3.amazonaws.com", "GetBucketAcl", 90),
    ("s3.amazonaws.com", "ListBuckets", 40),
    ("ec2.amazonaws.com", "DescribeInstances", 120),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 50),
    ("ec2.amazonaws.com", "CopySnapshot", 3),
    ("kms.amazonaws.com", "Decrypt", 150),
    ("kms.amazonaws.com", "GenerateDataKey", 60),
    ("lambda.amazonaws.com", "Invoke", 40),
    ("logs.amazonaws.com", "CreateLogStream", 50),
    ("iam.amazonaws.com", "GetRole", 30),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", 20),
    ("dynamodb.amazonaws.com", "DescribeTable", 30),
    ("ssm.amazonaws.com", "GetParameter", 40),
    ("cloudtrail.amazonaws.com", "LookupEvents", 5),
    ("rds.amazonaws.com", "DescribeDBInstances", 25),
    ("rds.amazonaws.com", "DescribeDBSnapshots", 15),
    ("rds.amazonaws.com", "CreateDBSnapshot", 2),
    ("rds.amazonaws.com", "CopyDBParameterGroup", 1),
)


# Services whose records name the resource they act on in "resources".
RESOURCE_TYPES = {
    "kms.amazonaws.com": "AWS::KMS::Key",
    "sts.amazonaws.com": "AWS::IAM::Role",
    "lambda.amazonaws.com": "AWS::Lambda::Function",
    "dynamodb.amazonaws.com": "AWS::DynamoDB::Table",
}


@dataclass
class ArchiveSpec:
    """Size and content of a synthetic archive."""

    records: int = 1_000_000
    files: int = 100
    # Snapshot copies that the rule must match, and copies it must not match
    # (same-region copies and failed cross-region copies).
    cross_region_copies: int = 400
    other_copies: int = 600
    seed: int = 1537


@dataclass
class Archive:
    """A written archive: its files and the eventIDs the rule must match."""

    root: Path
    files: list[Path] = field(default_factory=list)
    records: int = 0
    expected_matches: set[str] = field(default_factory=set)


def write_archive(root: Path, spec: ArchiveSpec) -> Archive:
    """Write spec.records records into about spec.files .json.gz files under root/AWSLogs/."""
    rng = random.Random(spec.seed)
    archive = Archive(root)
    kinds = _copy_plan(spec, rng)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    per_file = max(1, spec.records // spec.files)
    written = 0
    for number in range(spec.files):
        count = per_file if number < spec.files - 1 else spec.records - written
        region = REGIONS[number % len(REGIONS)]
        moment = start + timedelta(minutes=7 * number)
        records = [
            _record(rng, region, moment, kinds.get(written + i), archive) for i in range(count)
        ]
        path = _s3_path(root, region, moment, rng)
        _write_gzip_json(path, {"Records": records})
        archive.files.append(path)
        written += count
    archive.records = written
    return archive


def _copy_plan(spec: ArchiveSpec, rng: random.Random) -> dict[int, str]:
    positions = rng.sample(range(spec.records), spec.cross_region_copies + spec.other_copies)
    plan = {p: "cross" for p in positions[: spec.cross_region_copies]}
    plan.update({p: rng.choice(("same", "failed")) for p in positions[spec.cross_region_copies :]})
    return plan


def _s3_path(root: Path, region: str, moment: datetime, rng: random.Random) -> Path:
    # AWS names delivered files ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz.
    stamp = moment.strftime("%Y%m%dT%H%MZ")
    unique = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / moment.strftime("%Y/%m/%d")
    return folder / f"{ACCOUNT}_CloudTrail_{region}_{stamp}_{unique}.json.gz"


def _write_gzip_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, separators=(",", ":")).encode()
    # Level 1: the archive is rewritten for every benchmark run, and the level changes
    # how long writing takes far more than how long reading takes.
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))


def _record(
    rng: random.Random, region: str, moment: datetime, kind: str | None, archive: Archive
) -> dict[str, Any]:
    if kind is None:
        source, name, _ = rng.choices(SERVICE_MIX, weights=[w for _, _, w in SERVICE_MIX])[0]
        record = _base(rng, region, moment, source, name)
        record["requestParameters"] = _parameters(rng, name)
        if source in RESOURCE_TYPES:
            record["resources"] = [_resource(rng, region, source)]
        return record
    record = _snapshot_copy(rng, region, moment, kind)
    if kind == "cross":
        archive.expected_matches.add(record["eventID"])
    return record


def _resource(rng: random.Random, region: str, source: str) -> dict[str, str]:
    service = source.split(".")[0]
    return {
        "accountId": ACCOUNT,
        "type": RESOURCE_TYPES[source],
        "ARN": f"arn:aws:{service}:{region}:{ACCOUNT}:resource/{uuid.UUID(int=rng.getrandbits(128))}",
    }


def _base(
    rng: random.Random, region: str, moment: datetime, source: str, name: str
) -> dict[str, Any]:
    role = rng.choice(("Deploy", "ReadOnly", "DataPipeline", "Backup"))
    principal = f"AROAEXAMPLE{rng.randrange(1000):04d}"
    started = moment - timedelta(minutes=rng.randrange(60))
    return {
        "eventVersion": "1.09",
        # Assumed-role identities with a session context, as most API calls in an
        # account with automation carry.
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"{principal}:session",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session",
            "accountId": ACCOUNT,
            "accessKeyId": f"ASIAEXAMPLE{rng.randrange(10**8):08d}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": principal,
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                    "accountId": ACCOUNT,
                    "userName": role,
                },
                "attributes": {
                    "creationDate": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "mfaAuthenticated": "false",
                },
            },
        },
        "eventTime": (moment + timedelta(seconds=rng.randrange(300))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": rng.choice(ADDRESSES),
        "userAgent": rng.choice(USER_AGENTS),
        "requestParameters": None,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": name.startswith(("Describe", "Get", "List", "Lookup")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }


def _parameters(rng: random.Random, name: str) -> dict[str, Any] | None:
    if name.startswith(("List", "Describe")) and rng.random() < 0.5:
        return None
    return {"resourceName": f"resource-{rng.randrange(5000)}", "maxResults": 50}


def _snapshot_copy(rng: random.Random, region: str, moment: datetime, kind: str) -> dict[str, Any]:
    cluster = rng.random() < 0.3
    name = "CopyDBClusterSnapshot" if cluster else "CopyDBSnapshot"
    record = _base(rng, region, moment, "rds.amazonaws.com", name)
    source_region = rng.choice([r for r in REGIONS if r != region]) if kind != "same" else region
    resource = "cluster-snapshot" if cluster else "snapshot"
    key = "sourceDBClusterSnapshotIdentifier" if cluster else "sourceDBSnapshotIdentifier"
    target = "targetDBClusterSnapshotIdentifier" if cluster else "targetDBSnapshotIdentifier"
    snapshot = f"orders-{rng.randrange(1000):03d}"
    record["requestParameters"] = {
        key: f"arn:aws:rds:{source_region}:{ACCOUNT}:{resource}:{snapshot}",
        target: f"{snapshot}-copy",
        "copyTags": True,
    }
    if kind == "failed":
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = "User is not authorized to perform this operation"
    else:
        record["responseElements"] = {"status": "copying", "percentProgress": 0}
    return record


def iter_records(archive: Archive) -> Iterator[dict[str, Any]]:
    """Yield every record of an archive, file by file (for small archives in tests)."""
    for path in archive.files:
        yield from json.loads(gzip.decompress(path.read_bytes()))["Records"]
