"""The checks every host makes, AWS Lambda included, and the errors that refuse a request.

A web endpoint also proves the request is Alexa's (``alexafsm.hosting.verify``, which needs
``cryptography``, ``certifi`` and ``ssl``); a Lambda function does not, since only Alexa can
invoke it. Both still need the body to be a JSON object and the application id to be the
skill's own, so those checks and the exceptions all refusals share live here, apart from the
signature machinery: the Lambda path imports this module and never loads ``verify``.
"""
import json
from typing import Any
from typing import Dict
from typing import FrozenSet
from typing import Iterable
from typing import Mapping
from typing import Optional
from typing import Union

from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.errors import MalformedRequestError
from alexafsm.errors import VerificationError
from alexafsm.request import Request

__all__ = ['VerificationError', 'MalformedRequestError', 'parse_request',
           'check_application_id', 'normalize_application_ids']


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

    The id is the one the skill sees, ``alexafsm.request.Request.application_id``: from
    ``session.application.applicationId``, or from ``context.System.application.applicationId``
    for requests without a session.  ``None`` disables the check.
    """
    allowed = normalize_application_ids(application_ids)
    if allowed is None:
        return
    parsed = Request(request)
    found = parsed.application_id
    if found is None:
        raise VerificationError(
            "request has no application id (looked in session.application.applicationId "
            "and context.System.application.applicationId)"
        )
    if found not in allowed:
        raise VerificationError(
            f"application id {found!r} from {parsed.application_id_from} is not one of the "
            f"configured application_ids {sorted(allowed)}; add it there if this skill should "
            f"answer it"
        )


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
