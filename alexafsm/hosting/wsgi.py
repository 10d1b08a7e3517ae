"""Production serving with any WSGI server, through an app factory gunicorn can call::

    gunicorn -w 4 -k gevent --worker-connections 1000 -b 0.0.0.0:8888 \\
        'alexafsm.hosting.wsgi:app("skills.skillsearch", application_ids=["amzn1.ask.skill.ID"])'

The gevent worker (``pip install 'alexafsm[production]'``) holds a slow client for the price of
a greenlet; with threads, as many slow clients as threads stop the server (see the README).

Gunicorn evaluates the call with literal arguments only, so options are strings, lists and
booleans; a custom verifier is named as 'module:factory' and built in each worker.
"""
from importlib import import_module
from typing import Any
from typing import Callable
from typing import Optional

import flask

from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.hosting.flask_app import create_app
from alexafsm.hosting.verify import RequestVerifier
from alexafsm.loader import PolicyLoadError
from alexafsm.loader import load_policy

__all__ = ['app']


def app(skill: str, *, verifier: Optional[str] = None, **options: Any) -> flask.Flask:
    """The Flask app of ``skill`` ('package.module:PolicyClass' or a module with one Policy).

    ``verifier`` names a zero-argument factory returning a RequestVerifier, for trust roots,
    fetchers or tolerances other than Amazon's defaults; other options go to ``create_app``.
    """
    try:
        policy_cls = load_policy(skill)
    except PolicyLoadError as error:
        raise PolicyLoadError(f"alexafsm.hosting.wsgi: {error}") from None
    made = _import_factory(verifier)() if verifier is not None else None
    if made is not None and not isinstance(made, RequestVerifier):
        raise ArgumentTypeError(f"alexafsm.hosting.wsgi: verifier factory {verifier!r} returned "
                                f"{type(made).__name__}; it must return a RequestVerifier")
    return create_app(policy_cls, verifier=made, **options)


def _import_factory(spec: str) -> Callable[[], Any]:
    module_name, _, attr = spec.partition(':')
    if not attr:
        raise ArgumentValueError(f"alexafsm.hosting.wsgi: verifier must be 'module:factory', "
                                 f"got {spec!r}")
    factory = getattr(import_module(module_name), attr, None)
    if not callable(factory):
        raise ArgumentValueError(
            f"alexafsm.hosting.wsgi: '{attr}' in {module_name} is not a function "
            f"that returns a RequestVerifier")
    return factory
