"""Amazon's ask-sdk-model as an independent judge of the JSON that alexafsm sends and receives.

The SDK's DefaultSerializer reads JSON into typed model objects and writes them back. Whatever it
does not know disappears (misnamed keys, unknown card or directive types fail outright), mistyped
scalars are coerced ('yes' becomes true, 5 becomes "5") and null model fields are dropped. So an
envelope that comes back from a round trip exactly as it went in uses only fields, types and
enum values that Amazon's model defines.

Responses get no normalization at all: alexafsm must never send null fields, so a dropped null is
a difference worth failing on. Requests get one, explained at ``_same_instants``.
"""
import json
from datetime import datetime
from typing import Any
from typing import Callable
from typing import Iterator
from typing import Optional

from ask_sdk_core.serialize import DefaultSerializer

_SERIALIZER = DefaultSerializer()


def assert_valid_response(envelope: dict) -> None:
    """Fail unless Amazon's model reads the response envelope back exactly as alexafsm wrote it."""
    _assert_round_trips(envelope, 'ask_sdk_model.ResponseEnvelope')


def assert_valid_request(envelope: dict) -> None:
    """Fail unless a request used in tests is one Alexa could send, so tests use real shapes."""
    _assert_round_trips(envelope, 'ask_sdk_model.RequestEnvelope', _same_instants)


def _assert_round_trips(envelope: dict, model: str,
                        normalize: Optional[Callable[[Any, Any], Any]] = None) -> None:
    try:
        text = json.dumps(envelope, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"not plain JSON, Alexa could not read it: {error}") from None
    try:
        theirs = _SERIALIZER.serialize(_SERIALIZER.deserialize(text, model))
    except Exception as error:  # the SDK raises several types for the same kind of rejection
        raise AssertionError(f"{model} rejects {text}: {error}") from None
    ours = json.loads(text)
    if normalize is not None:
        theirs = normalize(ours, theirs)
    ours_text, theirs_text = (json.dumps(v, sort_keys=True) for v in (ours, theirs))
    if ours_text != theirs_text:
        differences = '\n  '.join(_differences(ours, json.loads(theirs_text)))
        raise AssertionError(f"{model} does not read back what we wrote:\n  {differences}\n"
                             f"ours:   {ours_text}\ntheirs: {theirs_text}")


def _same_instants(ours: Any, theirs: Any) -> Any:
    """``theirs`` with each timestamp the SDK rewrote put back as we wrote it, if still the same.

    The SDK parses timestamps into datetimes and writes them in Python's isoformat, so Alexa's
    '2017-10-10T12:00:00Z' comes back as '2017-10-10T12:00:00+00:00' (or in the machine's local
    zone). Only strings that both parse as the same moment are accepted; any other change stays.
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return {k: _same_instants(ours.get(k), v) for k, v in theirs.items()}
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [_same_instants(o, t) for o, t in zip(ours, theirs)]
    if isinstance(ours, str) and isinstance(theirs, str) and ours != theirs:
        try:
            if _instant(ours) == _instant(theirs):
                return ours
        except ValueError:  # not a timestamp
            pass
    return theirs


def _instant(text: str) -> datetime:
    # Python before 3.11 reads no 'Z' suffix, which Alexa writes
    return datetime.fromisoformat(text[:-1] + '+00:00' if text.endswith('Z') else text)


def _differences(ours: Any, theirs: Any, path: str = '') -> Iterator[str]:
    """Where the two trees differ, by JSON path, so a failure names the offending field."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            where = f"{path}.{key}" if path else key
            if key not in theirs:
                yield f"{where}: dropped (not in Amazon's model, or null)"
            elif key not in ours:
                yield f"{where}: added as {theirs[key]!r}"
            else:
                yield from _differences(ours[key], theirs[key], where)
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for i, (o, t) in enumerate(zip(ours, theirs)):
            yield from _differences(o, t, f"{path}[{i}]")
    elif json.dumps(ours) != json.dumps(theirs):
        yield f"{path}: ours {ours!r}, theirs {theirs!r}"
