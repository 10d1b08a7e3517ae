"""alexafsm: Alexa custom skills as finite-state machines.

This package is the core (request, session attributes, states, machine, policy, response) and
imports nothing around it: hosting (``alexafsm.hosting``), the tools (``alexafsm.tools``),
testing (``alexafsm.testing``) and the rest are imported by name where they are used, so a
skill on AWS Lambda loads neither Flask nor the tools.
"""
from alexafsm import amazon_intent
from alexafsm.errors import AlexafsmError
from alexafsm.policy import Policy
from alexafsm.request import Request
from alexafsm.response import Response
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions

__version__ = '0.2.0'

__all__ = ['Policy', 'States', 'SessionAttributes', 'Response', 'Request', 'with_transitions',
           'amazon_intent', 'INITIAL_STATE', 'AlexafsmError']
