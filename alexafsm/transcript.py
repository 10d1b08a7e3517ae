"""One turn as one JSON line ``[request, response]``: the 0.1.11 recording format.

Shared by ``Policy.handle(record_filename=...)`` and the hosting layer's ``record_to``. Each line
is written with a single ``write`` on a file opened with O_APPEND, which Linux performs
atomically for regular files, so threads and worker processes recording to one file never
interleave or lose lines. Tokens that grant access to a user's account are redacted first:
a recording is a test fixture that gets committed.
"""
import copy
import json
import os
from typing import Any, Dict

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


def append_turn(path: 'os.PathLike[str] | str', request: Any, response: Dict[str, Any]) -> None:
    """Append one turn to ``path`` in one atomic write."""
    data = turn_line(request, response)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):  # only on exotic file systems; keeps the line whole
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)
