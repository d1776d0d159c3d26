"""Field view of a CloudTrail record as Splunk's JSON field extraction shows it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from converters.errors import EventsError

# Value that the Splunk Add-on for AWS gives a missing errorCode of sourcetype
# aws:cloudtrail at search time, so that successful calls match errorCode=success.
ADD_ON_ERROR_CODE_DEFAULT = "success"

# Splunk's JSON extraction (KV_MODE=json, spath) shows JSON null as the text "null".
# NOTE: this is observed behaviour of Splunk's JSON extraction. The spath and props.conf
# pages do not state it.
JSON_NULL_TEXT = "null"


def splunk_event(
    record: Mapping[str, Any], *, add_on_fields: bool = True
) -> dict[str, str | list[str]]:
    """Flatten a raw CloudTrail record into the fields Splunk extracts from it at search time.

    Nested objects join their keys with "." and arrays append "{}" to the name
    (``resources{}.ARN``). A field that receives several values is a list (a multivalue
    field), one value is a string. Scalars become text: ``true``/``false``, numbers as
    Python prints them (load the JSON with ``parse_float=decimal.Decimal`` to keep the
    digits as written), JSON null as ``"null"``. An empty string stays an empty value,
    and empty objects and arrays produce no field, because they have no leaf value.
    With ``add_on_fields``, a missing ``errorCode`` becomes ``"success"`` as the Splunk
    Add-on for AWS does for ``sourcetype=aws:cloudtrail``. No other add-on field
    (CIM aliases such as ``src`` or ``user``) is modelled.
    """
    if not isinstance(record, Mapping):
        raise EventsError(
            f"a CloudTrail record must be a JSON object, got {type(record).__name__}: "
            f"{str(record)[:80]!r}; pass one record of the file's Records array"
        )
    collected: dict[str, list[str]] = {}
    _collect_object(record, "", collected)
    fields: dict[str, str | list[str]] = {
        name: values[0] if len(values) == 1 else values for name, values in collected.items()
    }
    if add_on_fields and "errorCode" not in fields:
        fields["errorCode"] = ADD_ON_ERROR_CODE_DEFAULT
    return fields


def _collect_object(obj: Mapping[str, Any], prefix: str, out: dict[str, list[str]]) -> None:
    for key, value in obj.items():
        _collect_value(value, f"{prefix}{key}", out)


def _collect_value(value: Any, name: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, Mapping):
        _collect_object(value, f"{name}.", out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_value(item, f"{name}{{}}", out)
    else:
        out.setdefault(name, []).append(_scalar_text(value, name))


def _scalar_text(value: Any, name: str) -> str:
    # bool before int: True is an int in Python.
    if value is None:
        return JSON_NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise EventsError(
        f"field {name!r} has a value of type {type(value).__name__} ({value!r}), "
        "which JSON cannot contain; load the record with json.load"
    )
