"""Panther's event semantics: the stand-in class behaves as panther_core's PantherEvent."""

from __future__ import annotations

import pytest

from converters.panther_event import PantherEventStub, panther_event

RECORD = {
    "eventName": "CopyDBSnapshot",
    "errorCode": None,
    "userIdentity": {"arn": "arn:aws:iam::123456789012:user/analyst", "sessionContext": None},
    "requestParameters": {"sourceRegion": "", "tags": [{"key": "a"}]},
}

LOOKUPS = [
    ("top level", ("eventName",), "CopyDBSnapshot"),
    ("nested", ("userIdentity", "arn"), "arn:aws:iam::123456789012:user/analyst"),
    ("case-insensitive key", ("USERIDENTITY", "Arn"), "arn:aws:iam::123456789012:user/analyst"),
    ("missing key", ("awsRegion",), "default"),
    ("null value", ("errorCode",), "default"),
    ("null parent", ("userIdentity", "sessionContext", "attributes"), "default"),
    ("through a string", ("eventName", "x"), "default"),
    ("through a list", ("requestParameters", "tags", "key"), "default"),
    ("empty string kept", ("requestParameters", "sourceRegion"), ""),
]


@pytest.mark.parametrize(
    ("keys", "expected"), [c[1:] for c in LOOKUPS], ids=[c[0] for c in LOOKUPS]
)
def test_panther_event_stub_deep_get(keys: tuple[str, ...], expected: str):
    assert PantherEventStub(RECORD).deep_get(*keys, default="default") == expected


@pytest.mark.parametrize(
    ("keys", "expected"), [c[1:] for c in LOOKUPS], ids=[c[0] for c in LOOKUPS]
)
def test_panther_event_stub_matches_panther_core(keys: tuple[str, ...], expected: str):
    enriched = pytest.importorskip("panther_core.enriched_event")
    real = enriched.PantherEvent(RECORD)
    assert real.deep_get(*keys, default="default") == expected
    assert PantherEventStub(RECORD).deep_get(*keys, default="default") == real.deep_get(
        *keys, default="default"
    )


def test_panther_event_stub_get_and_mapping():
    event = PantherEventStub(RECORD)
    assert event.get("EVENTNAME") == "CopyDBSnapshot"
    assert event.get("absent") is None
    assert "eventName" in event
    assert len(event) == len(RECORD)
    with pytest.raises(KeyError):
        event["absent"]


def test_panther_event_prefers_panther_core():
    enriched = pytest.importorskip("panther_core.enriched_event")
    assert isinstance(panther_event(RECORD), enriched.PantherEvent)
