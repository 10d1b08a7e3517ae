"""The checks every host makes, AWS Lambda included, and the errors that refuse a request.

A web endpoint also proves the request is Alexa's (``alexafsm.hosting.verify``, which needs
``cryptography``, ``certifi`` and ``ssl``); a Lambda function does not, since only Alexa can
invoke it. Both still need the body to be a JSON object and the application id to be the
skill's own, so those checks and the exceptions all refusals share live here, apart from the
signature machinery: the Lambda path imports this module and never loads ``verify``.
"""
import json
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple, Union

from alexafsm.errors import (ArgumentTypeError, ArgumentValueError, MalformedRequestError,
                             VerificationError)

__all__ = ['VerificationError', 'MalformedRequestError', 'parse_request',
           'check_application_id', 'normalize_application_ids']

_APPLICATION_ID_PATHS = (
    ('session', 'application', 'applicationId'),
    ('context', 'System', 'application', 'applicationId'),
)


def parse_request(body: bytes) -> Dict[str, Any]:
    """Decode the body, with a distinct error so the web layer can answer 400 'malformed JSON'.

    Raises MalformedRequestError (a VerificationError) unless the body is a
    JSON object.
    """
    try:
        request = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedRequestError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(request, dict):
        raise MalformedRequestError(
            f"request body must be a JSON object, not a JSON {type(request).__name__}"
        )
    return request


def check_application_id(request: Mapping[str, Any],
                         application_ids: Optional[Iterable[str]]) -> None:
    """Refuse requests meant for another skill that share this endpoint.

    The id is read from ``session.application.applicationId``, or from
    ``context.System.application.applicationId`` for requests without a
    session.  ``None`` disables the check.
    """
    allowed = normalize_application_ids(application_ids)
    if allowed is None:
        return
    for path in _APPLICATION_ID_PATHS:
        found = _lookup(request, path)
        if found is not None:
            break
    else:
        raise VerificationError(
            "request has no application id (looked in session.application.applicationId "
            "and context.System.application.applicationId)"
        )
    if not isinstance(found, str):
        raise VerificationError(
            f"application id at {'.'.join(path)} must be a string, not {type(found).__name__}"
        )
    if found not in allowed:
        raise VerificationError(
            f"application id {found!r} from {'.'.join(path)} is not one of the configured "
            f"application_ids {sorted(allowed)}; add it there if this skill should answer it"
        )


def _lookup(data: Any, path: Tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def normalize_application_ids(application_ids: Union[Iterable[str], str, None]
                              ) -> Optional[FrozenSet[str]]:
    """One reading of configured skill ids for every host, failing at start-up on a slip."""
    if application_ids is None:
        return None
    if isinstance(application_ids, str):
        # A lone id is a common slip; iterating it would allow single characters.
        return frozenset({application_ids})
    ids = frozenset(application_ids)
    if not ids:
        raise ArgumentValueError(
            "application_ids is empty, so every request would be refused; "
            "pass None to skip the check"
        )
    if not all(isinstance(i, str) for i in ids):
        raise ArgumentTypeError(f"application_ids must be strings, got {sorted(map(repr, ids))}")
    return ids
