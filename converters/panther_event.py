"""The event object a Panther Python rule receives, for running generated rules offline.

Panther's own class is ``panther_core.enriched_event.PantherEvent`` (the package that
panther-analysis-tool runs rule tests with). It is used when installed. PantherEventStub
is a minimal stand-in with the same lookup semantics for the calls our rules make. It is
read-only and looks a key up case-insensitively after an exact match fails. Its
``deep_get`` returns the default for a missing key, a null value or a non-mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class PantherEventStub(Mapping[str, Any]):
    """A read-only CloudTrail record with Panther's get and deep_get semantics."""

    def __init__(self, record: Mapping[str, Any]):
        self._record = record

    def __getitem__(self, key: str) -> Any:
        if key in self._record:
            return _wrap(self._record[key])
        for original in self._record:
            if isinstance(original, str) and original.lower() == key.lower():
                return _wrap(self._record[original])
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._record)

    def __len__(self) -> int:
        return len(self._record)

    def deep_get(self, *keys: str, default: Any = None) -> Any:
        """Return the value at a path of keys, or default when any step is missing or null."""
        value: Any = self
        for key in keys:
            value = value.get(key, default) if isinstance(value, Mapping) else default
        return default if value is None else value


def _wrap(value: Any) -> Any:
    return PantherEventStub(value) if isinstance(value, Mapping) else value


def panther_event(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """Wrap a record in Panther's event class when installed, else in PantherEventStub."""
    try:
        from panther_core.enriched_event import PantherEvent
    except ImportError:
        return PantherEventStub(record)
    return PantherEvent(record)
