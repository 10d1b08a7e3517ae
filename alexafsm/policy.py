"""Policy: turns one Alexa request into one response, through the skill's machine.

The data path of a turn, top to bottom::

    request JSON -> Request (parsed once) -> SessionAttributes -> trigger fired on the Machine
    -> the new state's States method -> Response -> response JSON

``handle`` never raises: bad input gets a defined answer, and an exception in skill code is
logged with the request id and answered with a spoken apology, the session kept as it was.
"""
import json
import logging
import os
from typing import Any, Dict, Optional

from alexafsm import response
from alexafsm.machine import Machine, NotHandled
from alexafsm.request import (CAN_FULFILL, EXCEPTION_ENCOUNTERED, INTENT, LAUNCH, SESSION_ENDED,
                              Request, parse)
from alexafsm.session_attributes import INITIAL_STATE, SessionAttributes
from alexafsm.states import States
from alexafsm.transcript import append_turn

logger = logging.getLogger(__name__)


class ResponseJSON(dict):
    """The response envelope as a plain dict, which is what Alexa and ``json.dumps`` want.

    0.1.11's ``handle`` returned a ``Response`` object; old code that reads ``.speech`` or
    calls ``.to_json()`` on the result keeps working through ``response``. ``text`` is the
    envelope's compact JSON as it was made (the size check needed it): hosts send it as is.
    """

    def __init__(self, envelope: Dict[str, Any], resp: Optional[response.Response] = None,
                 text: Optional[str] = None) -> None:
        super().__init__(envelope)
        self.response = resp
        self.text = text if text is not None else json.dumps(envelope)

    def to_json(self) -> Dict[str, Any]:
        """The envelope as a plain dict (0.1.11 code called ``to_json()`` on the result)."""
        return dict(self)

    def __getattr__(self, name: str) -> Any:
        resp = self.__dict__.get('response')
        if resp is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(resp, name)


class Policy:
    """Holds a skill together: subclass it, set ``states_cls``, add the transitions' callbacks.

    Callbacks (``conditions``, ``unless``, ``prepare``, ``before``, ``after``) are methods
    without parameters; they read and change ``self.attributes``. A Policy object serves one
    turn; the machine behind it is compiled once per class and shared.
    """

    states_cls: Optional[type] = None

    def __init__(self, states: States, request: Any = None, with_graph: bool = False) -> None:
        self.states = states
        self.state: str = states.attributes.state
        self.request: Optional[Request] = parse(request) if request else None
        states.request = self.request

    @classmethod
    def initialize(cls, request: Any = None, with_graph: bool = False) -> 'Policy':
        """A policy over the attributes of ``request``, or in the initial state without one.

        Cheap enough to call for every request: the machine is compiled once per class.
        ``with_graph`` is accepted for 0.1.11 code; drawing is ``alexafsm.utils.graph``'s job.
        """
        return cls(cls.states_cls.from_request(request), request, with_graph)

    @property
    def attributes(self) -> SessionAttributes:
        """The session attributes of this turn (the States object holds them)."""
        return self.states.attributes

    @property
    def fsm(self) -> Machine:
        """The compiled machine of this Policy class."""
        return Machine.of(type(self))

    @property
    def machine(self) -> Any:
        """A read-only ``transitions.Machine`` of the same FSM, for 0.1.11 code and tools."""
        return self.fsm.transitions_machine

    def trigger(self, trigger: str) -> bool:
        """Fire ``trigger`` from the current state; see ``Machine.fire`` for the outcomes."""
        return self.fsm.fire(self, trigger)

    def get_current_state_response(self) -> response.Response:
        """What the current state says: its States method's Response."""
        return self.fsm.responder(self.state)(self.states)

    def execute(self) -> response.Response:
        """Fire the turn's intent and answer with the state the machine is in afterwards.

        An intent the current state has no transition for answers NOT_UNDERSTOOD and keeps the
        state; when every candidate's conditions fail, the state stays and says its piece again.
        """
        intent = self.attributes.intent
        previous = self.state
        try:
            self.trigger(intent)
        except NotHandled as error:
            logger.info("request %s: %s; answering NOT_UNDERSTOOD", self._request_id(), error)
            return response.NOT_UNDERSTOOD
        if logger.isEnabledFor(logging.INFO):
            logger.info("request %s: %s -> %s through %s", self._request_id(), previous,
                        self.state, intent)
        self.attributes.state = self.state
        return self.get_current_state_response()

    def handle(self, request: Any, voice_insights: Any = None,
               record_filename: Optional[str] = None) -> ResponseJSON:
        """Answer one Alexa request with the response JSON; never raises.

        ``voice_insights`` (a VoiceLabs ``VoiceInsights``) and ``record_filename`` (append the
        turn as a JSON line) are 0.1.11's options.
        """
        parsed = parse(request)
        for problem in parsed.problems:
            logger.warning("request %s: %s", parsed.request_id, problem)
        resp: Optional[response.Response] = None
        try:
            resp, envelope = self._answer(parsed)
        except Exception:
            logger.exception("request %s: %s raised while answering %s %s in state %s; "
                             "answering with an apology and keeping the session as it was",
                             parsed.request_id, type(self).__name__, parsed.type,
                             parsed.intent_name or '', self.state)
            envelope = response.apology().to_json()
            if parsed.attributes:
                envelope['sessionAttributes'] = parsed.attributes
            resp = None
        envelope, text = response.render(envelope, logger, parsed.request_id)
        if voice_insights is not None:
            self._track_voice_insights(voice_insights, parsed, envelope)
        if record_filename:
            append_turn(record_filename, parsed.raw, envelope)
        return ResponseJSON(envelope, resp, text)

    def _answer(self, parsed: Request):
        kind = parsed.type
        if kind == INTENT:
            self._enter_turn(parsed)
            resp = self.execute()._replace(session_attributes=self.attributes)
        elif kind == LAUNCH:
            self._enter_turn(parsed)
            self.state = self.attributes.state = INITIAL_STATE
            resp = self.get_current_state_response()._replace(session_attributes=self.attributes)
        elif kind == CAN_FULFILL:
            resp = self._can_fulfill(parsed)
        else:
            self._log_other(parsed)
            resp = response.empty()
        return resp, resp.to_json()

    def _enter_turn(self, parsed: Request) -> None:
        """Make this policy's attributes those of ``parsed``, unless it was built from it."""
        if self.request is None or self.request.raw is not parsed.raw:
            self.states.attributes = self.states.session_attributes_cls.from_request(parsed)
            self.request = parsed
            self.states.request = parsed
        state = self.attributes.state
        if state not in Machine.of(type(self)).state_set:
            logger.warning("request %s: state '%s' from the session is not a state of %s "
                           "(renamed or removed by a deploy?); restarting from '%s'",
                           parsed.request_id, state, self.fsm.states_cls.__name__, INITIAL_STATE)
            state = self.attributes.state = INITIAL_STATE
        self.state = state

    def _can_fulfill(self, parsed: Request) -> response.Response:
        """Answer Alexa's "could you handle this?" from the machine alone, with no side effects.

        YES when the intent has a transition from the initial state; a slot is understood when
        the skill's ``slots_cls`` has a field for it.
        """
        can = 'YES' if parsed.intent_name and self.fsm.handles(parsed.intent_name,
                                                               INITIAL_STATE) else 'NO'
        slots_cls = self.states.session_attributes_cls.slots_cls
        fields = {f.lower() for f in getattr(slots_cls, '_fields', ())}
        slots = {}
        for name in parsed.slot_values():
            known = 'YES' if name.lower() in fields and can == 'YES' else 'NO'
            slots[name] = (known, known)
        return response.Response.can_fulfill_intent(can, slots)

    def _log_other(self, parsed: Request) -> None:
        kind = parsed.type
        if kind == SESSION_ENDED:
            error = parsed.error
            log = logger.warning if error or parsed.reason == 'ERROR' else logger.info
            log("request %s: session %s ended, reason %s%s", parsed.request_id,
                parsed.session_id, parsed.reason,
                f", error {error.get('type')}: {error.get('message')}" if error else '')
        elif kind == EXCEPTION_ENCOUNTERED:
            cause = parsed.body.get('cause')
            logger.error("request %s: Alexa could not use our previous response (request %s): "
                         "%s: %s", parsed.request_id,
                         cause.get('requestId') if isinstance(cause, dict) else None,
                         parsed.error.get('type'), parsed.error.get('message'))
        else:
            logger.warning("request %s: request type %r is not handled by alexafsm; "
                           "answering with an empty response", parsed.request_id, kind)

    def _track_voice_insights(self, voice_insights: Any, parsed: Request,
                              envelope: Dict[str, Any]) -> None:
        """0.1.11's VoiceLabs tracking; a failing analytics service must not fail the turn."""
        try:
            voice_insights.initialize(os.environ.get('VOICELABS_API_KEY', ''), parsed.session)
            if parsed.type == INTENT:
                voice_insights.track(intent_name=parsed.intent_name, intent_request=parsed.body,
                                     response=envelope)
        except Exception:
            logger.exception("request %s: VoiceLabs tracking failed", parsed.request_id)

    def _request_id(self) -> Optional[str]:
        return self.request.request_id if self.request is not None else None
