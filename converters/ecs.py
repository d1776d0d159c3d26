"""Convert a raw CloudTrail record into the document the Elastic AWS integration indexes.

Reproduces, in Python, the facts of the integration's CloudTrail ingest pipeline
(elastic/integrations ``packages/aws/data_stream/cloudtrail/elasticsearch/ingest_pipeline/
default.yml``, read at commit 0046748f8cfe9a89cf2f8f7a55be5528ad4b3695, ``ecs.version`` 8.11.0),
for the ``logs-aws.cloudtrail-*`` data stream. Not reproduced: GeoIP and ASN enrichment,
user-agent parsing beyond ``user_agent.original``, the ``entity`` sub-pipeline, the user
name/e-mail split of later versions, and ``event.created``. ``tests/test_ecs.py`` checks the
output against the integration's own pipeline test expectations.

The pipeline renders ``requestParameters`` and friends with Java's ``Map.toString()``. The
JSON processor parses objects into ``java.util.HashMap``, so key order is HashMap iteration
order; ``_JavaMap`` reproduces it from Java's String hash and the map's table size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from converters.errors import EventsError
from converters.evaluators.esql_grok import GrokPattern

#: Fields the integration maps as ``flattened``; ES|QL cannot read them or keys inside them.
FLATTENED_FIELDS: tuple[str, ...] = (
    "aws.cloudtrail.flattened.request_parameters",
    "aws.cloudtrail.flattened.response_elements",
    "aws.cloudtrail.flattened.additional_eventdata",
    "aws.cloudtrail.flattened.service_event_details",
    "aws.cloudtrail.flattened.digest",
    "aws.cloudtrail.flattened.insight_details",
)

ECS_VERSION = "8.11.0"

# The pipeline keeps a flattened copy only when the string form is shorter than this.
_FLATTENED_MAX_CHARS = 32766

__all__ = ["ECS_VERSION", "FLATTENED_FIELDS", "java_to_string", "to_ecs"]


def to_ecs(record: Mapping[str, Any], *, original: str | None = None) -> dict[str, Any]:
    """Return the ECS document the integration's pipeline would index for one CloudTrail record.

    ``original`` is the record's raw JSON text, kept verbatim in ``event.original``; without
    it the record is serialised compactly in its own key order.
    """
    if not isinstance(record, Mapping):
        raise EventsError(f"a CloudTrail record must be a JSON object, got {type(record).__name__}")
    text = (
        original
        if original is not None
        else json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    )
    try:
        parsed = json.loads(text, object_pairs_hook=_JavaMap.from_pairs)
    except json.JSONDecodeError as exc:
        raise EventsError(f"event.original is not JSON: {exc}") from exc
    doc = _Doc({"event": {"original": text}})
    doc.put("json", parsed)
    doc.put("ecs.version", ECS_VERSION)
    _set_date(doc, "json.eventTime", "@timestamp")
    _drop_empty(doc.data)
    for step in _STEPS:
        step(doc)
    doc.remove("json")
    return _plain(doc.data)


# --- a document addressed by dotted paths, like an ingest document --------------------------


class _Doc:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, path: str) -> Any:
        node: Any = self.data
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    def has(self, path: str) -> bool:
        parent, _, leaf = path.rpartition(".")
        node = self.get(parent) if parent else self.data
        return isinstance(node, Mapping) and leaf in node

    def put(self, path: str, value: Any) -> None:
        *parents, leaf = path.split(".")
        node = self.data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    def remove(self, path: str) -> Any:
        parent, _, leaf = path.rpartition(".")
        node = self.get(parent) if parent else self.data
        return node.pop(leaf, None) if isinstance(node, dict) else None

    def rename(self, source: str, target: str) -> None:
        """Move a field; like the rename processor it does nothing when the target exists."""
        if self.has(source) and not self.has(target):
            self.put(target, self.remove(source))

    def append_unique(self, path: str, value: Any) -> None:
        current = self.get(path)
        values = current if isinstance(current, list) else [] if current is None else [current]
        if value not in values:
            values.append(value)
        self.put(path, values)


def _drop_empty(value: Any) -> bool:
    """The pipeline's recursive clean-up: remove nulls, empty strings, empty lists and maps."""
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if _drop_empty(v)]:
            del value[key]
        return not value
    if isinstance(value, list):
        value[:] = [v for v in value if not _drop_empty(v)]
        return not value
    return False


def _set_date(doc: _Doc, source: str, target: str) -> None:
    """The date processor with format ISO8601, UTC output in millisecond precision."""
    value = doc.get(source)
    if not isinstance(value, str):
        return
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return  # ignore_failure
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    stamp = parsed.astimezone(UTC)
    doc.put(target, stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z")


# --- Java rendering ---------------------------------------------------------------------------


class _JavaMap(dict):
    """A parsed JSON object that remembers the table size its java.util.HashMap had."""

    capacity: int = 16

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JavaMap:
        result = cls(pairs)
        result.capacity = _hash_map_capacity(len(result))
        return result


def _hash_map_capacity(size: int) -> int:
    """Table size after ``size`` puts into ``new HashMap<>()``: 16, doubled past 0.75 load."""
    capacity = 16
    while size > int(capacity * 0.75):
        capacity *= 2
    return capacity


def _java_string_hash(text: str) -> int:
    value = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        value = (31 * value + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return value


def _hash_map_order(keys: list[str], capacity: int) -> list[str]:
    """Iteration order of a HashMap: bucket index ``(h ^ h >>> 16) & (n - 1)``, then insertion."""

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    positions = {key: index for index, key in enumerate(keys)}
    return sorted(keys, key=lambda key: (bucket(key), positions[key]))


def java_to_string(value: Any) -> str:
    """Render a parsed JSON value as Java's ``toString()`` renders the HashMap/ArrayList tree."""
    if isinstance(value, dict):
        capacity = value.capacity if isinstance(value, _JavaMap) else _hash_map_capacity(len(value))
        keys = _hash_map_order(list(value), capacity)
        return "{" + ", ".join(f"{k}={java_to_string(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_to_string(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return _java_double(value)
    return str(value)


def _java_double(value: float) -> str:
    """Java's Double.toString (shortest digits, JDK 19+): plain in [1e-3, 1e7), else d.dddE±n."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    digits_tuple = Decimal(repr(magnitude)).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = len(digits) + digits_tuple.exponent - 1  # position of the first digit
    if 1e-3 <= magnitude < 1e7:
        if exponent >= 0:
            whole, frac = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1 :]
        else:
            whole, frac = "0", "0" * (-exponent - 1) + digits
        return f"{sign}{whole}.{frac or '0'}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


# --- pipeline steps -----------------------------------------------------------------------------

_IDENTITY_RENAMES = (
    ("json.eventVersion", "aws.cloudtrail.event_version"),
    ("json.userIdentity.type", "aws.cloudtrail.user_identity.type"),
    ("json.userIdentity.principalId", "user.id"),
    ("json.userIdentity.arn", "aws.cloudtrail.user_identity.arn"),
    ("json.userIdentity.accountId", "cloud.account.id"),
    ("json.userIdentity.accessKeyId", "aws.cloudtrail.user_identity.access_key_id"),
    (
        "json.userIdentity.sessionContext.attributes.mfaAuthenticated",
        "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
    ),
)
_ISSUER = "json.userIdentity.sessionContext.sessionIssuer"
_SESSION = "aws.cloudtrail.user_identity.session_context"
_ISSUER_RENAMES = (
    (f"{_ISSUER}.type", f"{_SESSION}.session_issuer.type"),
    (f"{_ISSUER}.principalId", f"{_SESSION}.session_issuer.principal_id"),
    (f"{_ISSUER}.arn", f"{_SESSION}.session_issuer.arn"),
    (f"{_ISSUER}.accountId", f"{_SESSION}.session_issuer.account_id"),
    ("json.userIdentity.invokedBy", "aws.cloudtrail.user_identity.invoked_by"),
    ("json.eventSource", "event.provider"),
)


def _identity(doc: _Doc) -> None:
    for source, target in _IDENTITY_RENAMES:
        doc.rename(source, target)
    _set_date(
        doc, "json.userIdentity.sessionContext.attributes.creationDate", f"{_SESSION}.creation_date"
    )
    for source, target in _ISSUER_RENAMES:
        doc.rename(source, target)


def _event_and_source(doc: _Doc) -> None:
    name = doc.get("json.eventName")
    if name not in (None, ""):
        doc.put("event.action", str(name))
    doc.rename("json.eventCategory", "aws.cloudtrail.event_category")
    if doc.get("json.awsRegion") not in (None, ""):
        doc.put("cloud.region", doc.get("json.awsRegion"))
    doc.rename("json.sourceIPAddress", "source.address")
    address = doc.get("source.address")
    if isinstance(address, str) and _is_ip(address):
        doc.put("source.ip", address)
    agent = doc.get("json.userAgent")
    if agent is not None:
        doc.put("user_agent.original", agent)
    doc.rename("json.errorCode", "aws.cloudtrail.error_code")
    doc.rename("json.errorMessage", "aws.cloudtrail.error_message")


# The pipeline's ``^%{IP:source.ip}$`` grok, with Elasticsearch's IPV4/IPV6 patterns.
_IP_GROK = GrokPattern(r"^%{IP:ip}$")


def _is_ip(text: str) -> bool:
    return _IP_GROK.parse(text) is not None


_PAYLOADS = (
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_eventdata"),
    ("serviceEventDetails", "service_event_details"),
)


def _payloads(doc: _Doc) -> None:
    """Keyword string forms (Java toString) and, when short enough, flattened object copies."""
    if not isinstance(doc.get("aws.cloudtrail"), dict):
        return  # the pipeline's script fails on a missing aws.cloudtrail and ignores it
    for source, name in _PAYLOADS:
        value = doc.get(f"json.{source}")
        if value is None:
            continue
        rendered = java_to_string(value)
        doc.put(f"aws.cloudtrail.{name}", rendered)
        if len(rendered.encode("utf-16-le")) // 2 < _FLATTENED_MAX_CHARS:
            doc.put(f"aws.cloudtrail.flattened.{name}", _plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_CALL_RENAMES = (
    ("json.requestID", "aws.cloudtrail.request_id"),
    ("json.eventID", "event.id"),
    ("json.eventType", "aws.cloudtrail.event_type"),
    ("json.apiVersion", "aws.cloudtrail.api_version"),
    ("json.managementEvent", "aws.cloudtrail.management_event"),
    ("json.readOnly", "aws.cloudtrail.read_only"),
)
_ACCOUNT_RENAMES = (
    ("json.recipientAccountId", "aws.cloudtrail.recipient_account_id"),
    ("json.sharedEventId", "aws.cloudtrail.shared_event_id"),
    ("json.vpcEndpointId", "aws.cloudtrail.vpc_endpoint_id"),
)


def _call(doc: _Doc) -> None:
    for source, target in _CALL_RENAMES:
        doc.rename(source, target)
    _resources(doc)
    doc.rename("json.resources", "aws.cloudtrail.resources")
    for source, target in _ACCOUNT_RENAMES:
        doc.rename(source, target)


def _resources(doc: _Doc) -> None:
    """De-duplicate resources on (arn, account_id, type), renaming ARN/accountId; HashMap order."""
    resources = doc.get("json.resources")
    if not isinstance(resources, list):
        return
    unique: dict[str, dict[str, Any]] = {}
    for original in resources:
        if not isinstance(original, Mapping):
            continue
        resource = dict(original)
        if "ARN" in resource:
            resource["arn"] = resource.pop("ARN")
        if "accountId" in resource:
            resource["account_id"] = resource.pop("accountId")
        key = "_".join(str(resource.get(k, "")) for k in ("arn", "account_id", "type"))
        unique[key] = resource
    order = _hash_map_order(list(unique), _hash_map_capacity(len(unique)))
    doc.put("json.resources", [unique[k] for k in order])


def _console_login(doc: _Doc) -> None:
    if doc.get("json.eventName") != "ConsoleLogin":
        return
    data = doc.get("aws.cloudtrail.flattened.additional_eventdata")
    data = data if isinstance(data, Mapping) else {}
    summary: dict[str, Any] = {}
    if data.get("MobileVersion") is not None:
        summary["mobile_version"] = data["MobileVersion"] != "No"
    if data.get("LoginTo") is not None:
        summary["login_to"] = data["LoginTo"]
    if data.get("MFAUsed") is not None:
        summary["mfa_used"] = data["MFAUsed"] != "No"
    if summary:
        doc.put("aws.cloudtrail.console_login.additional_eventdata", summary)


# The pipeline's categorisation table: event.action -> (event.category, event.type).
_IAM_USER_CHANGE = ("iam", "user", "change")
_CATEGORIES: dict[str, tuple[str, ...]] = {
    "AddUserToGroup": ("iam", "group", "change"),
    "AssumeRole": ("authentication", "info"),
    "AttachGroupPolicy": ("iam", "group", "change"),
    "AttachUserPolicy": _IAM_USER_CHANGE,
    "ChangePassword": _IAM_USER_CHANGE,
    "ConsoleLogin": ("authentication", "info"),
    "CreateAccessKey": _IAM_USER_CHANGE,
    "CreateBucket": ("file", "creation"),
    "CreateGroup": ("iam", "group", "creation"),
    "CreateKeyPair": ("iam", "admin", "creation"),
    "CreateUser": ("iam", "user", "creation"),
    "CreateVirtualMFADevice": _IAM_USER_CHANGE,
    "DeactivateMFADevice": _IAM_USER_CHANGE,
    "DeleteAccessKey": _IAM_USER_CHANGE,
    "DeleteBucket": ("file", "deletion"),
    "DeleteGroup": ("iam", "group", "deletion"),
    "DeleteGroupPolicy": ("iam", "group", "change"),
    "DeleteSSHPublicKey": _IAM_USER_CHANGE,
    "DeleteUser": ("iam", "user", "deletion"),
    "DeleteUserPermissionsBoundary": _IAM_USER_CHANGE,
    "DeleteUserPolicy": _IAM_USER_CHANGE,
    "DeleteVirtualMFADevice": _IAM_USER_CHANGE,
    "DetachGroupPolicy": ("iam", "group", "change"),
    "DetachUserPolicy": _IAM_USER_CHANGE,
    "EnableMFADevice": _IAM_USER_CHANGE,
    "GetGroup": ("iam", "group", "info"),
    "GetGroupPolicy": ("iam", "group", "info"),
    "GetUser": ("iam", "user", "info"),
    "GetUserPolicy": ("iam", "user", "info"),
    "ListAttachedGroupPolicies": ("iam", "group", "info"),
    "ListAttachedUserPolicies": ("iam", "user", "info"),
    "ListGroupPolicies": ("iam", "group", "info"),
    "ListGroups": ("iam", "group", "info"),
    "ListGroupsForUser": ("iam", "user", "info"),
    "ListUserPolicies": ("iam", "user", "info"),
    "ListUsers": ("iam", "user", "info"),
    "ListUserTags": ("iam", "user", "info"),
    "PutGroupPolicy": ("iam", "group", "change"),
    "PutUserPermissionsBoundary": _IAM_USER_CHANGE,
    "PutUserPolicy": _IAM_USER_CHANGE,
    "RemoveUserFromGroup": ("iam", "group", "change"),
    "SetDefaultPolicyVersion": ("iam", "admin", "change"),
    "SetSecurityTokenServicePreferences": ("iam", "admin", "change"),
    "TagUser": _IAM_USER_CHANGE,
    "UntagUser": _IAM_USER_CHANGE,
    "UpdateAccessKey": _IAM_USER_CHANGE,
    "UpdateAccountPasswordPolicy": ("iam", "admin", "change"),
    "UpdateGroup": ("iam", "group", "change"),
    "UpdateLoginProfile": _IAM_USER_CHANGE,
    "UpdateRole": ("iam", "admin", "change"),
    "UpdateSSHPublicKey": _IAM_USER_CHANGE,
    "UpdateUser": _IAM_USER_CHANGE,
}


def _categorize(doc: _Doc) -> None:
    doc.put("event.kind", "event")
    doc.put("event.type", ["info"])
    failed = doc.has("aws.cloudtrail.error_code") or doc.has("aws.cloudtrail.error_message")
    doc.put("event.outcome", "failure" if failed else "success")
    action = doc.get("event.action")
    if action is None:
        return
    login = doc.get("aws.cloudtrail.flattened.response_elements.ConsoleLogin")
    if action == "ConsoleLogin" and login is not None:
        doc.put("event.outcome", str(login).lower())
    if action in _CATEGORIES:
        category, *types = _CATEGORIES[action]
        doc.put("event.category", [category])
        doc.put("event.type", types)


# Digest-file and Insights records, in pipeline order: (operation, source, target).
_DIGEST_STEPS = (
    ("rename", "json.awsAccountId", "cloud.account.id"),
    ("rename", "json.digestS3Object", "file.path"),
    ("sha256", "json.previousDigestSignature", "file.hash.sha256"),
    ("rename", "json.logFiles", "aws.cloudtrail.digest.log_files"),
    ("date", "json.digestStartTime", "aws.cloudtrail.digest.start_time"),
    ("date", "json.digestEndTime", "@timestamp"),
    ("date", "json.digestEndTime", "aws.cloudtrail.digest.end_time"),
    ("rename", "json.digestS3Bucket", "aws.cloudtrail.digest.s3_bucket"),
    ("date", "json.newestEventTime", "aws.cloudtrail.digest.newest_event_time"),
    ("date", "json.oldestEventTime", "aws.cloudtrail.digest.oldest_event_time"),
    ("rename", "json.previousDigestS3Bucket", "aws.cloudtrail.digest.previous_s3_bucket"),
    ("rename", "json.previousDigestHashAlgorithm", "aws.cloudtrail.digest.previous_hash_algorithm"),
    ("rename", "json.publicKeyFingerprint", "aws.cloudtrail.digest.public_key_fingerprint"),
    ("rename", "json.digestSignatureAlgorithm", "aws.cloudtrail.digest.signature_algorithm"),
    ("rename", "json.insightDetails", "aws.cloudtrail.insight_details"),
)


def _digest(doc: _Doc) -> None:
    for operation, source, target in _DIGEST_STEPS:
        if operation == "rename":
            doc.rename(source, target)
        elif operation == "date":
            _set_date(doc, source, target)
        elif doc.get("json.previousDigestHashAlgorithm") == "SHA-256":
            doc.rename(source, target)
            if doc.get(target) is not None:
                doc.append_unique("related.hash", doc.get(target))


_TEMPLATED = (
    ("group.id", "aws.cloudtrail.flattened.response_elements.group.groupId"),
    ("user.target.id", "aws.cloudtrail.flattened.response_elements.user.userId"),
    ("user.changes.name", "aws.cloudtrail.flattened.request_parameters.newUserName"),
    ("group.name", "aws.cloudtrail.flattened.request_parameters.groupName"),
    ("user.target.name", "aws.cloudtrail.flattened.request_parameters.userName"),
)


def _targets_and_tls(doc: _Doc) -> None:
    for target, source in _TEMPLATED:
        value = doc.get(source)
        if value not in (None, ""):
            doc.put(target, str(value))
    doc.rename("aws.cloudtrail.digest", "aws.cloudtrail.flattened.digest")
    doc.rename("aws.cloudtrail.insight_details", "aws.cloudtrail.flattened.insight_details")
    version = doc.get("json.tlsDetails.tlsVersion")
    if isinstance(version, str) and "v" in version:
        # dissect "%{tls.version_protocol}v%{tls.version}", then lowercase the protocol
        protocol, _, number = version.partition("v")
        doc.put("tls.version_protocol", protocol.lower())
        doc.put("tls.version", number)
    doc.rename("json.tlsDetails.cipherSuite", "tls.cipher")
    doc.rename("json.tlsDetails.clientProvidedHostHeader", "tls.client.server_name")


_STEPS = (
    _identity,
    _event_and_source,
    _payloads,
    _call,
    _console_login,
    _categorize,
    _digest,
    _targets_and_tls,
)
