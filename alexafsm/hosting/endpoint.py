"""The one turn every host serves: request bytes or JSON in, an HTTP status and JSON bytes out.

Flask, AWS Lambda and whatever comes next call :func:`respond`, so size limits, verification,
the application id check, recording and the last-resort apology behave the same everywhere.
No request makes ``respond`` raise: a refused one becomes a 4xx reply naming the check that
failed, and a failure past verification becomes a spoken apology logged with the request id.
"""
import json
import logging
from typing import TYPE_CHECKING
from typing import Any
from typing import Collection
from typing import Dict
from typing import FrozenSet
from typing import Mapping
from typing import NamedTuple
from typing import Optional
from typing import Type
from typing import Union

from alexafsm import response
from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.errors import RejectedRequest
from alexafsm.extensions import Extensions
from alexafsm.hosting.checks import MalformedRequestError
from alexafsm.hosting.checks import VerificationError
from alexafsm.hosting.checks import check_application_id
from alexafsm.hosting.checks import normalize_application_ids
from alexafsm.hosting.checks import parse_request
from alexafsm.machine import Machine
from alexafsm.policy import Policy
from alexafsm.policy import ResponseJSON
from alexafsm.policy import apology_envelope
from alexafsm.transcript import append_turn

if TYPE_CHECKING:  # verification needs cryptography, which a Lambda function never loads
    from alexafsm.hosting.verify import RequestVerifier

__all__ = ['respond', 'Reply', 'RequestInput', 'RejectedRequest', 'MAX_BODY_BYTES', 'rejected',
           'error_body', 'too_large', 'check_policy', 'check_application_ids', 'check_record_to']

logger = logging.getLogger(__name__)

#: Alexa requests are a few KB; anything this big is not one and is refused before parsing.
MAX_BODY_BYTES = 256 * 1024

RequestInput = Union[bytes, bytearray, str, Mapping[str, Any]]


class Reply(NamedTuple):
    """What to send back: the status, the JSON body as bytes and as the dict it encodes.

    ``rejection`` is set when the request was refused, so a host can log or re-raise it.
    """
    status: int
    body: bytes
    envelope: Dict[str, Any]
    rejection: Optional[RejectedRequest] = None


def respond(policy_cls: Type[Policy], request: RequestInput, *,
            headers: Optional[Mapping[str, str]] = None,
            verifier: Optional['RequestVerifier'] = None,
            application_ids: Optional[Collection[str]] = None,
            record_to: Optional[str] = None,
            extensions: Optional[Extensions] = None,
            max_body_bytes: int = MAX_BODY_BYTES) -> Reply:
    """Answer one Alexa request the way every host must; no request can make it raise.

    Pass the raw body and ``headers`` with a ``verifier`` for HTTP, where Amazon requires the
    signature check (it needs the exact bytes received); pass the parsed event for Lambda,
    which Amazon exempts. ``application_ids`` is checked either way. ``extensions`` (a store,
    analytics, interceptors) is built once by the host with ``host_extensions``.
    """
    try:
        raw = _read(request, headers, verifier, application_ids, max_body_bytes)
    except RejectedRequest as rejection:
        logger.warning("refused a request (%s): %s", rejection.kind, rejection)
        return rejected(rejection)
    return _answer(policy_cls, raw, record_to, extensions)


def rejected(rejection: RejectedRequest) -> Reply:
    """The short JSON error a refused request gets: what kind of refusal, and why."""
    envelope = {'error': rejection.kind, 'message': str(rejection)}
    return Reply(rejection.status, _dumps(envelope), envelope, rejection)


def error_body(kind: str, message: str) -> bytes:
    """The same short JSON for errors a host finds itself (wrong method, unknown path)."""
    return _dumps({'error': kind, 'message': message})


def too_large(max_body_bytes: int = MAX_BODY_BYTES) -> RejectedRequest:
    """The refusal of an oversized body, shared with hosts that stop reading it early."""
    return RejectedRequest(f"request body is over the {max_body_bytes}-byte limit; Alexa "
                           f"requests are a few KB, so this is not one", 413, 'too_large')


def check_policy(policy_cls: Any) -> Type[Policy]:
    """Fail at start-up, not on the first request, when the skill cannot answer anything.

    Compiling the machine here surfaces mistakes in transitions (unknown callbacks, missing
    states) when the server starts, where the skill author sees them.
    """
    if not (isinstance(policy_cls, type) and issubclass(policy_cls, Policy)):
        raise ArgumentTypeError(f"expected your Policy subclass (the class, not an instance), "
                                f"got {policy_cls!r}")
    Machine.of(policy_cls)
    return policy_cls


def check_application_ids(application_ids: Any) -> Optional[FrozenSet[str]]:
    """Validate the ids at start-up: an empty list would refuse every request, one by one."""
    return normalize_application_ids(application_ids)


def check_record_to(record_to: Optional[str]) -> Optional[str]:
    """Open the recording file once at start-up, so a bad path fails there and not per turn."""
    if record_to is None:
        return None
    try:
        with open(record_to, 'a', encoding='utf-8'):
            pass
    except OSError as error:
        raise ArgumentValueError(f"cannot record turns to {record_to!r}: {error.strerror}; pass a "
                                 f"path in an existing, writable directory") from None
    return record_to


def _read(request: RequestInput, headers: Optional[Mapping[str, str]],
          verifier: Optional['RequestVerifier'], application_ids: Optional[Collection[str]],
          max_body_bytes: int) -> Dict[str, Any]:
    if isinstance(request, str):
        request = request.encode('utf-8')
    if isinstance(request, (bytes, bytearray)):
        if len(request) > max_body_bytes:
            raise too_large(max_body_bytes)
        try:
            if verifier is not None:
                raw = verifier.verify(headers or {}, bytes(request))
            else:
                raw = parse_request(bytes(request))
        except MalformedRequestError as error:
            raise RejectedRequest(str(error), 400, 'malformed_json') from None
        except VerificationError as error:
            raise RejectedRequest(str(error)) from None
    elif verifier is not None:
        raise RejectedRequest("the request was parsed before verification, but the signature "
                              "covers the exact bytes received: pass the raw body")
    elif isinstance(request, dict):
        raw = request
    else:
        raise RejectedRequest(f"the request must be a JSON object, not a JSON "
                              f"{type(request).__name__}", 400, 'malformed_json')
    try:
        check_application_id(raw, application_ids)
    except VerificationError as error:
        raise RejectedRequest(str(error)) from None
    return raw


def _answer(policy_cls: Type[Policy], raw: Dict[str, Any], record_to: Optional[str],
            extensions: Optional[Extensions]) -> Reply:
    try:
        out = policy_cls.respond(raw, extensions=extensions)
        # the core serialized the envelope once already; a skill overriding handle may not have.
        # The ResponseJSON is the envelope (a dict), sent as it is rather than copied.
        envelope: Dict[str, Any]
        if isinstance(out, ResponseJSON):
            envelope, body = out, out.text.encode('ascii')
        else:
            envelope = dict(out)
            body = _dumps(envelope)
    except Exception:
        logger.exception("request %s: the host could not answer with %s; answering with an "
                         "apology", _request_id(raw), policy_cls.__name__)
        envelope, text = response.render(apology_envelope(raw), logger, _request_id(raw))
        body = text.encode('ascii')
    if record_to is not None:
        try:
            append_turn(record_to, raw, envelope)
        except Exception:
            logger.exception("request %s: could not record the turn to %s",
                             _request_id(raw), record_to)
    return Reply(200, body, envelope)


def _request_id(raw: Dict[str, Any]) -> Optional[str]:
    body = raw.get('request')
    return body.get('requestId') if isinstance(body, dict) else None


def _dumps(envelope: Dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, allow_nan=False,
                      separators=(',', ':')).encode('utf-8')
