"""Build JSON values one at a time from ijson's basic events, with a bound on nesting.

ijson's ``items()`` and ``parse()`` carry a dotted prefix for every event, whose length
grows with the nesting depth, so a hostile file of deeply nested arrays makes them use
memory quadratic in its size. ``basic_parse`` has no prefix. The functions here track the
depth themselves, build values only up to MAX_DEPTH levels and skip deeper values whole,
returning TOO_DEEP in their place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

# CloudTrail records nest a few levels deep. The limit keeps hostile input from
# exhausting the memory or the recursion of the code that reads records.
MAX_DEPTH = 64

OPENERS = {"start_map": dict, "start_array": list}
CLOSERS = frozenset({"end_map", "end_array"})

Event = tuple[str, Any]


class TooDeep:
    """The place of a value nested deeper than MAX_DEPTH, which was skipped."""

    def __repr__(self) -> str:
        return "TOO_DEEP"


TOO_DEEP = TooDeep()


def basic_events(stream: IO[bytes]) -> Iterator[Event]:
    """Yield ijson's basic parse events of every top-level value in the stream."""
    return ijson.basic_parse(stream, use_float=True, multiple_values=True)


def build_value(events: Iterator[Event], event: str, value: Any) -> Any:
    """Build the value that starts with (event, value), reading the rest from events."""
    if event not in OPENERS:
        return value
    # Each frame is the open container and the map key waiting for its value.
    frames: list[list[Any]] = [[OPENERS[event](), None]]
    skipped_depth = 0
    for event, value in events:
        if skipped_depth:
            if event in OPENERS:
                skipped_depth += 1
            elif event in CLOSERS:
                skipped_depth -= 1
            if skipped_depth == 0:
                _attach(frames, TOO_DEEP)
            continue
        if event in OPENERS:
            if len(frames) >= MAX_DEPTH:
                skipped_depth = 1
                continue
            frames.append([OPENERS[event](), None])
        elif event in CLOSERS:
            finished = frames.pop()[0]
            if not frames:
                return finished
            _attach(frames, finished)
        elif event == "map_key":
            frames[-1][1] = value
        else:
            _attach(frames, value)
    raise ijson.IncompleteJSONError("premature end of the JSON value")


def _attach(frames: list[list[Any]], value: Any) -> None:
    container, key = frames[-1]
    if isinstance(container, dict):
        container[key] = value
    else:
        container.append(value)


def top_level_values(events: Iterator[Event]) -> Iterator[Any]:
    """Yield each top-level value of the stream."""
    for event, value in events:
        yield build_value(events, event, value)


def array_items(events: Iterator[Event]) -> Iterator[Any]:
    """Yield the items of the top-level array that the events start with."""
    event, _ = next(events)
    if event != "start_array":
        raise ijson.JSONError(f"expected a JSON array, found {event}")
    for event, value in events:
        if event == "end_array":
            return
        yield build_value(events, event, value)
    raise ijson.IncompleteJSONError("premature end of the JSON array")


def member_items(events: Iterator[Event], key: str) -> Iterator[Any]:
    """Yield the items of the array under ``key`` of the top-level object the events start with."""
    event, _ = next(events)
    if event != "start_map":
        raise ijson.JSONError(f"expected a JSON object, found {event}")
    for event, value in events:
        if event == "end_map":
            return
        member_event, member_value = next(events)
        if value == key and member_event == "start_array":
            yield from _items_until_end(events)
        else:
            build_value(events, member_event, member_value)
    raise ijson.IncompleteJSONError("premature end of the JSON object")


def _items_until_end(events: Iterator[Event]) -> Iterator[Any]:
    for event, value in events:
        if event == "end_array":
            return
        yield build_value(events, event, value)
    raise ijson.IncompleteJSONError("premature end of the JSON array")


def top_level_keys(events: Iterator[Event]) -> Iterator[tuple[str, str]]:
    """Yield (key, event starting its value) for the first top-level object, skipping values."""
    event, _ = next(events)
    if event != "start_map":
        return
    for event, value in events:
        if event == "end_map":
            return
        member_event, member_value = next(events)
        yield value, member_event
        build_value(events, member_event, member_value)
