"""One turn as one JSON line ``[request, response]``: the 0.1.11 recording format, both ways.

Writing: ``Policy.handle(record_filename=...)``, the hosting layer's ``record_to`` and the JSON
lines analytics sink call :func:`append_turn`. Each line is written with a single ``write`` on a
file opened with O_APPEND, which Linux performs atomically for regular files, so threads and
worker processes recording to one file never interleave or lose lines. Tokens that grant access
to a user's account are redacted first: a recording is a test fixture that gets committed.

Reading: playback, coverage and ``test_helpers`` read recordings with :func:`read_turns`, which
names the file and line of anything that is not a turn, so the format is defined in one place.
"""
import copy
import json
import os
from dataclasses import dataclass
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional
from typing import Union

from alexafsm.errors import RecordingError

__all__ = ['append_turn', 'read_turns', 'parse_turns', 'RecordedTurn', 'RecordingError',
           'redact', 'turn_line', 'REDACTED', 'PathLike']

PathLike = Union[str, 'os.PathLike[str]']

REDACTED = 'REDACTED'

# (path to an object, key) pairs that hold secrets in Alexa requests
_SECRET_PATHS = (
    (('session', 'user'), 'accessToken'),
    (('context', 'System'), 'apiAccessToken'),
    (('context', 'System', 'user'), 'accessToken'),
    (('session', 'user', 'permissions'), 'consentToken'),
    (('context', 'System', 'user', 'permissions'), 'consentToken'),
)


def redact(request: Any) -> Any:
    """A copy of the request with access and consent tokens replaced, for safe storage."""
    if not isinstance(request, dict):
        return request
    redacted = None
    for path, key in _SECRET_PATHS:
        node: Any = request
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(key):
            if redacted is None:
                redacted = copy.deepcopy(request)
            target = redacted
            for part in path:
                target = target[part]
            target[key] = REDACTED
    return request if redacted is None else redacted


def turn_line(request: Any, response: Dict[str, Any]) -> bytes:
    """The bytes of one recorded turn, newline included."""
    return (json.dumps([redact(request), response], ensure_ascii=False) + '\n').encode('utf-8')


def append_turn(path: PathLike, request: Any, response: Dict[str, Any]) -> None:
    """Append one turn to ``path`` in one atomic write."""
    data = turn_line(request, response)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):  # only on exotic file systems; keeps the line whole
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RecordedTurn:
    """One line of a recording: where it is, and the request and response it holds."""

    path: str
    line: int
    request: Dict[str, Any]
    response: Dict[str, Any]

    @property
    def session_id(self) -> Optional[str]:
        """The session the turn belongs to; System.ExceptionEncountered requests have none."""
        session = self.request.get('session')
        return session.get('sessionId') if isinstance(session, dict) else None


def read_turns(path: PathLike) -> List[RecordedTurn]:
    """Every turn of a recording, in recorded order; blank lines are skipped."""
    name = os.fspath(path)
    try:
        with open(name, encoding='utf-8') as file:
            lines = file.readlines()
    except OSError as error:
        raise RecordingError(f"{name}: cannot read the recording: {error.strerror}") from None
    return parse_turns(lines, name)


def parse_turns(lines: Iterable[str], name: str = '<recording>') -> List[RecordedTurn]:
    """The turns of a recording's lines, read from elsewhere than a file (an upload), checked
    as ``read_turns`` checks them; ``name`` is how errors name the recording."""
    turns = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            pair = json.loads(text)
        except ValueError as error:
            raise RecordingError(f"{name}:{number}: not JSON ({error}); a recording holds one "
                                 f"[request, response] JSON list per line") from None
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], dict)
                and isinstance(pair[1], dict)):
            raise RecordingError(f"{name}:{number}: not a [request, response] pair of JSON "
                                 f"objects; is this a recording?")
        turns.append(RecordedTurn(name, number, pair[0], pair[1]))
    return turns
