"""create_app: a Flask app that serves one skill to Alexa, verifying every request by default."""
import logging
import re
import socket
from typing import Any
from typing import Collection
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Type
from typing import Union

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse

from alexafsm.errors import ArgumentValueError
from alexafsm.errors import RejectedRequest
from alexafsm.extensions import AttributesStore
from alexafsm.extensions import Tracker
from alexafsm.hosting.endpoint import MAX_BODY_BYTES
from alexafsm.hosting.endpoint import Reply
from alexafsm.hosting.endpoint import check_application_ids
from alexafsm.hosting.endpoint import check_policy
from alexafsm.hosting.endpoint import check_record_to
from alexafsm.hosting.endpoint import error_body
from alexafsm.hosting.endpoint import rejected
from alexafsm.hosting.endpoint import respond
from alexafsm.hosting.endpoint import too_large
from alexafsm.hosting.verify import CERT_URL_HEADER
from alexafsm.hosting.verify import LEGACY_SIGNATURE_HEADER
from alexafsm.hosting.verify import SIGNATURE_HEADER
from alexafsm.hosting.verify import RequestVerifier
from alexafsm.persistence import host_extensions
from alexafsm.policy import Policy

__all__ = ['create_app', 'read_body', 'HEALTH_PATH']

logger = logging.getLogger('alexafsm.hosting')

HEALTH_PATH = '/health'
_READ_SIZE = 64 * 1024
# the legacy header is passed too, so a request carrying only it is told why it fails
_SIGNATURE_HEADERS = (CERT_URL_HEADER, SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER)


def create_app(policy_cls: Type[Policy], *, verifier: Optional[RequestVerifier] = None,
               dev: bool = False, path: str = '/',
               application_ids: Optional[Collection[str]] = None,
               record_to: Optional[str] = None,
               store: Union[str, AttributesStore, None] = None,
               analytics: Union[Tracker, Sequence[Tracker], None] = None) -> flask.Flask:
    """A WSGI app answering Alexa at POST ``path``, and 200 at GET /health for load balancers.

    Amazon rejects skills whose endpoint acts on unsigned requests, so every request is
    verified (by ``verifier``, or a default ``RequestVerifier()`` trusting Amazon's chain)
    unless ``dev`` is set, which is for local work with curl and logs a warning saying so.
    ``record_to`` appends each turn to a JSON-lines file, tokens redacted.
    ``application_ids`` refuses requests meant for other skills. ``store`` (a URL such as
    ``sqlite:///skill.sqlite3`` or ``redis://host:6379/0``, or a store object) keeps each
    user's ``persistent_attributes``; ``analytics`` (a back end, or a list) tracks each turn
    off the request path. ``lambda_handler`` takes the last four under the same names.
    """
    policy_cls = check_policy(policy_cls)
    ids = check_application_ids(application_ids)
    extensions = host_extensions(store=store, analytics=analytics)
    record_to = check_record_to(record_to)
    if not isinstance(path, str) or not path.startswith('/') or path == HEALTH_PATH:
        raise ArgumentValueError(
            f"path must start with '/' and differ from {HEALTH_PATH}, got {path!r}")
    if dev:
        if verifier is not None:
            raise ArgumentValueError(
                "dev=True turns verification off, so the verifier would never be "
                "used: pass one or the other")
        logger.warning("DEV MODE: requests to %s are NOT verified. Anyone who can reach this "
                       "server can talk to %s as any user. Use dev mode for local work only, "
                       "never where Alexa or the internet can reach it.", path,
                       policy_cls.__name__)
    elif verifier is None:
        verifier = RequestVerifier()

    app = flask.Flask('alexafsm.hosting', static_folder=None)
    app.config['MAX_CONTENT_LENGTH'] = MAX_BODY_BYTES

    @app.post(path)
    def alexa() -> flask.Response:
        try:
            body = read_body(flask.request.environ)
        except RejectedRequest as rejection:
            logger.warning("refused a request (%s): %s", rejection.kind, rejection)
            return _send(rejected(rejection))
        return _send(respond(policy_cls, body, headers=_signature_headers(), verifier=verifier,
                             application_ids=ids, record_to=record_to,
                             extensions=extensions))

    @app.get(HEALTH_PATH)
    def health() -> flask.Response:
        return _json(200, b'{"status":"ok"}')

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def read_body(environ: Dict[str, Any], max_body_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The raw request body, or a RejectedRequest saying why it cannot be had.

    Read here rather than by ``request.get_data()``: werkzeug stops a chunked body silently at
    the size limit (the first 256 KB were answered as if they were the request) and lets the
    server's framing errors through (gunicorn's bad chunk sizes were 500s with a traceback).
    A body over the limit, however framed, is a 413; a body the server cannot unframe or that
    ends early is a 400; a client too slow to send it is a 408.
    """
    length = _content_length(environ)
    if length is not None and length > max_body_bytes:
        raise too_large(max_body_bytes)
    stream = environ['wsgi.input']
    if length is None and not environ.get('wsgi.input_terminated'):
        return b''  # no Content-Length and no framing the server ends: there is no body
    want = max_body_bytes + 1 if length is None else length
    chunks: List[bytes] = []
    got = 0
    try:
        while got < want:
            data = stream.read(min(_READ_SIZE, want - got))
            if not data:
                break
            chunks.append(data)
            got += len(data)
    except socket.timeout:
        raise RejectedRequest("the client sent the request body too slowly; the server stopped "
                              "waiting for it", 408, 'request_timeout') from None
    except Exception as error:  # each server raises its own framing errors
        raise RejectedRequest(f"the request body could not be read ({type(error).__name__}: "
                              f"{error}); its chunked framing or Content-Length is broken",
                              400, 'malformed_body') from None
    if got > max_body_bytes:
        raise too_large(max_body_bytes)
    if length is not None and got < length:
        raise RejectedRequest(f"the request body ended after {got} of the {length} bytes its "
                              f"Content-Length announced", 400, 'malformed_body')
    return b''.join(chunks)


def _content_length(environ: Dict[str, Any]) -> Optional[int]:
    value = environ.get('CONTENT_LENGTH')
    if value in (None, ''):
        return None
    if not (isinstance(value, str) and value.isdigit() and value.isascii()):
        raise RejectedRequest(f"Content-Length {value!r} is not a number of bytes", 400,
                              'malformed_body')
    return int(value)


def _signature_headers() -> Dict[str, str]:
    """Only the headers verification reads: looking them up is far cheaper than iterating all."""
    headers = flask.request.headers
    return {name: headers[name] for name in _SIGNATURE_HEADERS if name in headers}


def _send(reply: Reply) -> flask.Response:
    return _json(reply.status, reply.body)


def _json(status: int, body: bytes) -> flask.Response:
    return flask.Response(body, status=status, mimetype='application/json')


def _http_error(error: HTTPException) -> WerkzeugResponse:
    """Wrong method, unknown path, oversized body: the same short JSON as a refused request."""
    if isinstance(error, RequestEntityTooLarge):
        return _send(rejected(too_large()))
    response = error.get_response()  # keeps headers such as Allow on a 405
    response.set_data(error_body(_snake(error.name or 'error'), error.description or ''))
    response.mimetype = 'application/json'
    return response


def _unexpected_error(error: Exception) -> flask.Response:
    logger.exception("unexpected error outside the Alexa endpoint", exc_info=error)
    return _json(500, error_body('internal_error', 'the server failed; see its log'))


def _snake(name: str) -> str:
    return re.sub(r'\W+', '_', name.strip().lower())

