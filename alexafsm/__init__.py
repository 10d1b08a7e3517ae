"""alexafsm: Alexa custom skills as finite-state machines.

The core (request, session attributes, states, machine, policy, response) is imported here;
hosting and tools are imported on first use, so a skill on AWS Lambda does not load Flask.
"""
from importlib import import_module
from typing import Any

from alexafsm import amazon_intent
from alexafsm.policy import Policy
from alexafsm.request import Request
from alexafsm.response import Response
from alexafsm.session_attributes import INITIAL_STATE, SessionAttributes
from alexafsm.states import States, with_transitions

__version__ = '0.2.0'

_LAZY = {
    'create_app': 'alexafsm.hosting',
    'lambda_handler': 'alexafsm.hosting',
    'RequestVerifier': 'alexafsm.hosting',
    'Conversation': 'alexafsm.testing',
}

__all__ = ['Policy', 'States', 'SessionAttributes', 'Response', 'Request', 'with_transitions',
           'amazon_intent', 'INITIAL_STATE', *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alexafsm' has no attribute {name!r}")
    return getattr(import_module(module), name)
