"""Policy: the class a skill subclasses to hold its machine together, and its callbacks.

A skill sets ``states_cls`` (its States subclass) and adds the methods its transitions name as
``conditions``, ``unless``, ``prepare``, ``before`` and ``after``. ``handle`` answers one Alexa
request through the turn pipeline (``alexafsm.turn``), whose data path reads::

    request JSON -> Request (parsed once) -> SessionAttributes -> trigger fired on the Machine
    -> the new state's States method -> Response -> response JSON

``handle`` never raises: bad input gets a defined answer, and an exception in skill code is
logged with the request id and answered with a spoken apology, the session kept as it was.
The pipeline keeps its own state out of the Policy: what a turn knows besides the session
attributes is ``turn_context`` (the request, the store), shared with the States object.
"""
import logging
from operator import attrgetter
from typing import Any
from typing import Optional
from typing import Type

from alexafsm import response
from alexafsm.extensions import Extensions
from alexafsm.extensions import PersistentAttributes
from alexafsm.extensions import not_configured
from alexafsm.machine import Machine
from alexafsm.machine import NotHandled
from alexafsm.machine import _missing_states_cls
from alexafsm.request import Request
from alexafsm.request import parse
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import _DEFERRED
from alexafsm.states import States

# made by the turn pipeline; imported from here by hosts and by code written before it existed
from alexafsm.turn import OUTSIDE_A_TURN
from alexafsm.turn import ResponseJSON
from alexafsm.turn import TurnContext
from alexafsm.turn import _new_context
from alexafsm.turn import apology_envelope
from alexafsm.turn import run
from alexafsm.turn import run_on_new_policy
from alexafsm.turn import track_voice_insights
from alexafsm.turn import turn_request

__all__ = ['Policy', 'ResponseJSON', 'apology_envelope', 'track_voice_insights']

logger = logging.getLogger(__name__)


class _MachineOfClass:
    """``Policy.fsm``: the compiled machine of the policy's class, kept by the policy object.

    A turn reads it three times (entering, firing, answering); after the first read it is an
    attribute of the object, which Python reads without calling anything.
    """

    def __get__(self, policy: Any, owner: Type['Policy']) -> Any:
        if policy is None:
            return self
        fsm = owner._alexafsm_machine
        if fsm is None or fsm.policy_cls is not owner:  # a subclass sees its parent's
            fsm = Machine.of(owner)
        policy.fsm = fsm  # no __set__ here, so this lands on the object
        return fsm


def _states_of(states_cls: Type[States], request: Any) -> States:
    """``states_cls.from_request(request)``, the request parsed once for the States and the Policy.

    The attributes are read from the parsed request, and ``Policy.__init__`` finds it in the
    States' context instead of parsing the request a second time. Skills that override
    ``from_request`` get the request as it came, as in 0.1.11.
    """
    attributes_cls = states_cls.session_attributes_cls
    if getattr(states_cls.from_request, '__func__', None) is not _BASE_FROM_REQUEST or \
            getattr(attributes_cls.from_request, '__func__', None) is not _BASE_ATTRIBUTES:
        return states_cls.from_request(request)  # an override gets the request as it came
    parsed = parse(request)
    states = states_cls.from_request(parsed)
    if states.turn_context is OUTSIDE_A_TURN:
        states.turn_context = _new_context(parsed)
    return states


_BASE_FROM_REQUEST = States.from_request.__func__  # type: ignore[attr-defined]
_BASE_ATTRIBUTES = SessionAttributes.from_request.__func__  # type: ignore[attr-defined]


class Policy:
    """Holds a skill together: subclass it, set ``states_cls``, add the transitions' callbacks.

    Callbacks (``conditions``, ``unless``, ``prepare``, ``before``, ``after``) are methods
    without parameters; they read and change ``self.attributes``. A Policy object serves one
    turn; the machine behind it is compiled once per class and shared. The turn's machinery
    lives in ``alexafsm.turn``, so helper methods of the skill's own, whatever their names,
    cannot change how a turn runs.
    """

    states_cls: Optional[Type[States]] = None
    _alexafsm_machine: Optional[Machine] = None  # set by Machine.of on the class it compiled
    #: The skill's own store, analytics and interceptors; a host's are combined with them.
    extensions: Optional[Extensions] = None
    # ``turn_context``: what this turn knows besides the session attributes (the request, the
    # store), shared with the States object; ``OUTSIDE_A_TURN`` for a policy made without a
    # request. A slot, as the pipeline reads it on every turn; subclasses keep their __dict__.
    __slots__ = ('turn_context', '__dict__', '__weakref__')

    def __init__(self, states: States, request: Any = None, with_graph: bool = False) -> None:
        self.states = states
        self.state: str = INITIAL_STATE if states.turn_context is _DEFERRED \
            else states.attributes.state  # _DEFERRED: the initial attributes, not yet built
        if request:  # else the States keep their class's OUTSIDE_A_TURN until a turn enters
            context = states.turn_context  # initialize() parsed the request into it already
            if context.request is None or context.request.raw is not request:
                context = TurnContext(parse(request))
            self.turn_context = states.turn_context = context
        else:
            self.turn_context = OUTSIDE_A_TURN

    @classmethod
    def initialize(cls, request: Any = None, with_graph: bool = False) -> 'Policy':
        """A policy over the attributes of ``request``, or in the initial state without one.

        Cheap enough to call for every request: the machine is compiled once per class.
        ``with_graph`` is accepted for 0.1.11 code; drawing is ``alexafsm.utils.graph``'s job.
        """
        states_cls = cls.states_cls
        if states_cls is None:
            raise _missing_states_cls(cls)
        if not request:
            return cls(states_cls._initial(), request, with_graph)
        return cls(_states_of(states_cls, request), request, with_graph)

    @classmethod
    def respond(cls, request: Any, *, extensions: Optional[Extensions] = None,
                record_filename: Optional[str] = None) -> ResponseJSON:
        """One turn on a fresh policy: what hosts and test tools call for each request.

        ``initialize(request).handle(request)``, except that it never raises either: a skill
        whose ``__init__`` fails answers with the apology, the session kept as it was.
        """
        return run_on_new_policy(cls, request, extensions, record_filename)

    # Callbacks read these several times a turn: a getter written in C (attrgetter) costs a
    # fraction of a Python function's call.
    attributes: SessionAttributes = property(  # type: ignore[assignment]
        attrgetter('states.attributes'),
        doc="The session attributes of this turn (the States object holds them).")
    request: Optional[Request] = turn_request  # type: ignore[assignment]

    @property
    def persistent_attributes(self) -> PersistentAttributes:
        """The current user's memory across sessions, read from the store on first use.

        ``handle`` saves it after the turn if it changed; a policy used on its own reads the
        store of its class's ``extensions``. Raises PersistenceError naming the fix when no
        store is configured.
        """
        context = self.turn_context
        persistence = context.persistence
        if persistence is None:
            extensions = self.extensions
            persistence = extensions.persistence(context.request) if extensions else None
            if persistence is None:
                raise not_configured(f"{type(self).__name__} (in state '{self.state}')")
            self.turn_context = self.states.turn_context = \
                TurnContext(context.request, persistence)
        return persistence.attributes

    @property
    def dialog(self) -> Any:
        """This turn's dialog view (``alexafsm.dialogs``), the States object's ``dialog``."""
        return self.states.dialog

    #: The compiled machine of this Policy class (an ``alexafsm.machine.Machine``).
    fsm = _MachineOfClass()

    @property
    def machine(self) -> Any:
        """A read-only ``transitions.Machine`` of the same FSM, for 0.1.11 code and tools."""
        return self.fsm.transitions_machine

    def trigger(self, trigger: str) -> bool:
        """Fire ``trigger`` from the current state; see ``Machine.fire`` for the outcomes."""
        return self.fsm.fire(self, trigger)

    def get_current_state_response(self) -> response.Response:
        """What the current state says: its States method's Response."""
        fsm = self.fsm
        return (fsm.responders.get(self.state) or fsm.responder(self.state))(self.states)

    def execute(self) -> response.Response:
        """Fire the turn's intent and answer with the state the machine is in afterwards.

        An intent the current state has no transition for answers NOT_UNDERSTOOD and keeps the
        state; when every candidate's conditions fail, the state stays and says its piece again.
        """
        intent = self.states.attributes.intent
        previous = self.state
        try:
            self.trigger(intent)
        except NotHandled as error:
            logger.info("request %s: %s; answering NOT_UNDERSTOOD", self.turn_context.request_id,
                        error)
            return response.NOT_UNDERSTOOD
        if logger.isEnabledFor(logging.INFO):
            logger.info("request %s: %s -> %s through %s", self.turn_context.request_id,
                        previous, self.state, intent)
        self.states.attributes.state = self.state  # callbacks may have replaced the object
        return self.get_current_state_response()

    def handle(self, request: Any, voice_insights: Any = None,
               record_filename: Optional[str] = None, *,
               extensions: Optional[Extensions] = None) -> ResponseJSON:
        """Answer one Alexa request with the response JSON; never raises.

        ``voice_insights`` (a VoiceLabs ``VoiceInsights``) and ``record_filename`` (append the
        turn as a JSON line) are 0.1.11's options; VoiceLabs is called on a background thread,
        so a slow analytics service cannot delay the answer. ``extensions`` is a host's store,
        analytics and interceptors, combined with the class's ``extensions``. The steps of the
        turn are ``alexafsm.turn``'s.
        """
        return run(self, request, extensions, voice_insights, record_filename)
