"""create_app: a Flask app that serves one skill to Alexa, verifying every request by default."""
import logging
import re
from typing import Collection
from typing import Dict
from typing import Optional
from typing import Sequence
from typing import Type
from typing import Union

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse

from alexafsm.errors import ArgumentValueError
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

__all__ = ['create_app', 'HEALTH_PATH']

logger = logging.getLogger('alexafsm.hosting')

HEALTH_PATH = '/health'
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
            body = flask.request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _send(rejected(too_large()))
        return _send(respond(policy_cls, body, headers=_signature_headers(), verifier=verifier,
                             application_ids=ids, record_to=record_to,
                             extensions=extensions))

    @app.get(HEALTH_PATH)
    def health() -> flask.Response:
        return _json(200, b'{"status":"ok"}')

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


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

