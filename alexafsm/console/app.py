"""The console's Flask blueprint: the page at ``/console/``, its JSON API under ``/console/api/``.

Every asset is a file of this package (``static/``), so the page works offline. The API answers
only the page itself: a request must name a host of this machine (no DNS rebinding), carry the
``X-Alexafsm-Console`` header (a cross-origin page cannot send it without a CORS preflight, which
is never granted), come from the same origin where the browser says (``Origin``,
``Sec-Fetch-Site``), and POST JSON. Anything else gets 403.
"""
import threading
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Collection
from typing import Dict
from typing import Optional
from typing import Tuple
from typing import Type
from urllib.parse import urlsplit

import flask
from werkzeug.wrappers import Response as WerkzeugResponse

from alexafsm.console.session import ConsoleSession
from alexafsm.errors import ConsoleError
from alexafsm.errors import GraphError
from alexafsm.errors import RecordingError
from alexafsm.tools.graph import digraph
from alexafsm.tools.interaction_model import InteractionModel

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['console_blueprint', 'console_app', 'attach_console', 'CONSOLE_PATH', 'API_HEADER',
           'LOOPBACK_HOSTS', 'graph_svg']

CONSOLE_PATH = '/console'
#: The header every API request must carry; browsers refuse to send it cross-origin unasked.
API_HEADER = 'X-Alexafsm-Console'
LOOPBACK_HOSTS = frozenset({'127.0.0.1', 'localhost', '::1', '[::1]'})
_SAME_ORIGIN_FETCHES = {'same-origin', 'none'}
_PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def graph_svg(session: ConsoleSession) -> bytes:
    """The machine as ``alexafsm graph`` draws it, as SVG with ids on every state and edge."""
    try:
        import graphviz
        return digraph(session.policy_cls, element_ids=True).pipe(format='svg')
    except graphviz.ExecutableNotFound:
        raise GraphError("the console draws the machine with graphviz's 'dot' program, which "
                         "is not on PATH: install graphviz (apt-get install graphviz, brew "
                         "install graphviz)") from None


def console_blueprint(session: ConsoleSession, *,
                      allowed_hosts: Collection[str] = ()) -> flask.Blueprint:
    """The page and its API over ``session``, mounted at ``/console``.

    ``allowed_hosts`` adds host names the page may be reached by besides loopback's (the
    interface ``serve --host`` listens on), since the Host header is how rebinding is refused.
    """
    hosts = LOOPBACK_HOSTS | {h.lower() for h in allowed_hosts}
    blueprint = flask.Blueprint('alexafsm_console', __name__, static_folder='static',
                                static_url_path='/static', url_prefix=CONSOLE_PATH)
    svg_cache: Dict[str, bytes] = {}
    svg_lock = threading.Lock()

    @blueprint.before_request
    def guard() -> Optional[WerkzeugResponse]:
        return _refusal(hosts, api=flask.request.path.startswith(f'{CONSOLE_PATH}/api/'))

    @blueprint.after_request
    def headers(response: WerkzeugResponse) -> WerkzeugResponse:
        response.headers['X-Frame-Options'] = 'DENY'
        response.headers['X-Content-Type-Options'] = 'nosniff'
        response.headers['Cache-Control'] = 'no-store'
        response.headers['Content-Security-Policy'] = _PAGE_POLICY
        return response

    @blueprint.get('')
    def bare() -> WerkzeugResponse:
        return flask.redirect(f'{CONSOLE_PATH}/', code=308)

    @blueprint.get('/')
    def page() -> WerkzeugResponse:
        return blueprint.send_static_file('console.html')

    @blueprint.get('/api/state')
    def state() -> WerkzeugResponse:
        return flask.jsonify(session.snapshot())

    @blueprint.get('/api/model')
    def model() -> WerkzeugResponse:
        return flask.jsonify(session.model_json())

    @blueprint.get('/api/graph')
    def graph() -> WerkzeugResponse:
        with svg_lock:
            if 'svg' not in svg_cache:
                svg_cache['svg'] = graph_svg(session)
        return flask.Response(svg_cache['svg'], mimetype='image/svg+xml')

    @blueprint.get('/api/states/<path:name>')
    def state_details(name: str) -> WerkzeugResponse:
        return flask.jsonify(session.state_details(name))

    @blueprint.post('/api/launch')
    def launch() -> WerkzeugResponse:
        return flask.jsonify(session.launch())

    @blueprint.post('/api/say')
    def say() -> WerkzeugResponse:
        body = _body()
        one_shot = bool(body.get('one_shot'))
        if body.get('intent'):
            slots = body.get('slots') or {}
            if not isinstance(slots, dict):
                raise ConsoleError('slots is an object from slot name to the words heard')
            return flask.jsonify(session.say_intent(
                str(body['intent']), slots, dialog_state=body.get('dialog_state') or None,
                confirmation_status=body.get('confirmation_status') or 'NONE',
                one_shot=one_shot))
        return flask.jsonify(session.say(str(body.get('text') or ''), one_shot=one_shot))

    @blueprint.post('/api/end')
    def end() -> WerkzeugResponse:
        return flask.jsonify(session.end(str(_body().get('reason') or 'USER_INITIATED')))

    @blueprint.post('/api/reset')
    def reset() -> WerkzeugResponse:
        return flask.jsonify(session.reset())

    @blueprint.post('/api/story')
    def story() -> WerkzeugResponse:
        body = _body()
        return flask.jsonify(session.story(str(body.get('name') or ''),
                                           str(body['path']) if body.get('path') else None,
                                           overwrite=bool(body.get('overwrite'))))

    @blueprint.post('/api/recording')
    def recording() -> WerkzeugResponse:
        body = _body()
        return flask.jsonify(session.load_recording(str(body.get('text') or ''),
                                                    str(body.get('name') or 'recording')))

    @blueprint.post('/api/recording/step')
    def step() -> WerkzeugResponse:
        return flask.jsonify(session.step_recording())

    for error_cls, code in ((ConsoleError, 'console'), (RecordingError, 'recording'),
                            (GraphError, 'graph')):
        blueprint.register_error_handler(error_cls, _error_reply(code))
    return blueprint


def console_app(policy_cls: Type['Policy'], model: InteractionModel, *, store: Any = 'memory://',
                allowed_hosts: Collection[str] = ()) -> flask.Flask:
    """A Flask app serving only the console, for ``alexafsm console``: no Alexa endpoint, so
    nothing unverified listens. ``store`` defaults to a fresh memory, as stories replay in one."""
    app = flask.Flask('alexafsm.console', static_folder=None)
    attach_console(app, policy_cls, model, store=store, allowed_hosts=allowed_hosts)

    @app.get('/')
    def home() -> WerkzeugResponse:
        return flask.redirect(f'{CONSOLE_PATH}/')
    return app


def attach_console(app: flask.Flask, policy_cls: Type['Policy'], model: InteractionModel, *,
                   store: Any = None, allowed_hosts: Collection[str] = ()) -> ConsoleSession:
    """Mount the console on ``app`` (``alexafsm serve --dev`` mounts it on the skill's app).

    The console's turns run in-process through their own conversation; ``store`` is given to it
    as to ``Conversation`` (None: the skill's own store).
    """
    session = ConsoleSession(policy_cls, model, store=store)
    app.register_blueprint(console_blueprint(session, allowed_hosts=allowed_hosts))
    return session


def _body() -> Dict[str, Any]:
    data = flask.request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ConsoleError('the body must be a JSON object')
    return data


def _error_reply(code: str) -> Callable[[Exception], Tuple[WerkzeugResponse, int]]:
    def reply(error: Exception) -> Tuple[WerkzeugResponse, int]:
        return flask.jsonify({'error': code, 'message': str(error)}), 400
    return reply


def _refusal(hosts: Collection[str], *, api: bool) -> Optional[WerkzeugResponse]:
    """A 403 for a request that may not come from this console's own page, else None."""
    request = flask.request
    host = (request.host or '').lower()
    name = host.rsplit(':', 1)[0] if not host.endswith(']') else host
    if name not in hosts:
        return _forbidden(f"the console answers only requests to this machine "
                          f"({', '.join(sorted(hosts))}), not to {host!r}")
    origin = request.headers.get('Origin')
    if origin is not None and origin != 'null':
        parts = urlsplit(origin)
        if parts.netloc.lower() != host or parts.scheme != request.scheme:
            return _forbidden(f"cross-origin request from {origin} refused")
    elif origin == 'null':
        return _forbidden("requests from an opaque origin are refused")
    fetch_site = request.headers.get('Sec-Fetch-Site')
    if api and fetch_site is not None and fetch_site not in _SAME_ORIGIN_FETCHES:
        return _forbidden(f"a {fetch_site} request to the console's API is refused")
    if not api:
        return None
    if request.headers.get(API_HEADER) != '1':
        return _forbidden(f"the console's API answers only its page, which sends {API_HEADER}: 1")
    if request.method == 'POST' and not request.is_json:
        return _forbidden("the console's API takes JSON (Content-Type: application/json)")
    return None


def _forbidden(message: str) -> WerkzeugResponse:
    response = flask.jsonify({'error': 'forbidden', 'message': message})
    response.status_code = 403
    return response
