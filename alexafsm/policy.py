"""Policy: turns one Alexa request into one response, through the skill's machine.

The data path of a turn, top to bottom::

    request JSON -> Request (parsed once) -> SessionAttributes -> trigger fired on the Machine
    -> the new state's States method -> Response -> response JSON

``handle`` never raises: bad input gets a defined answer, and an exception in skill code is
logged with the request id and answered with a spoken apology, the session kept as it was.

With ``Extensions`` (a store, analytics, interceptors; see ``alexafsm.extensions``) a turn is
wrapped in the interceptors and, when the user's persistent attributes changed under it, run
again on the fresh data; without them, ``handle`` does what it always did and costs nothing more.
"""
import json
import logging
import os
import random
import time
from typing import Any, Dict, Optional, Set, Tuple

from alexafsm import background, response
from alexafsm.extensions import (Extensions, Persistence, PersistentAttributes, not_configured)
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

    __slots__ = ('response', 'text')

    def __init__(self, envelope: Dict[str, Any], resp: Optional[response.Response] = None,
                 text: Optional[str] = None) -> None:
        dict.__init__(self, envelope)
        self.response = resp
        self.text = text if text is not None else json.dumps(envelope)

    def to_json(self) -> Dict[str, Any]:
        """The envelope as a plain dict (0.1.11 code called ``to_json()`` on the result)."""
        return dict(self)

    def __getattr__(self, name: str) -> Any:
        # only called for names that are no attribute of the dict: those of the Response
        if name in ResponseJSON.__slots__ or name.startswith('__'):
            raise AttributeError(name)
        resp = self.response
        if resp is None:
            raise AttributeError(name)
        return getattr(resp, name)


class Policy:
    """Holds a skill together: subclass it, set ``states_cls``, add the transitions' callbacks.

    Callbacks (``conditions``, ``unless``, ``prepare``, ``before``, ``after``) are methods
    without parameters; they read and change ``self.attributes``. A Policy object serves one
    turn; the machine behind it is compiled once per class and shared.
    """

    states_cls: Optional[type] = None
    _alexafsm_machine: Optional[Machine] = None  # set by Machine.of on the class it compiled
    #: The skill's own store, analytics and interceptors; a host's are combined with them.
    extensions: Optional[Extensions] = None
    _persistence: Optional[Persistence] = None

    def __init__(self, states: States, request: Any = None, with_graph: bool = False) -> None:
        self.states = states
        attributes = states.__dict__.get('attributes')  # not yet built: the initial ones
        self.state: str = attributes.state if attributes is not None else INITIAL_STATE
        self.request: Optional[Request] = parse(request) if request else None
        states.request = self.request

    @classmethod
    def initialize(cls, request: Any = None, with_graph: bool = False) -> 'Policy':
        """A policy over the attributes of ``request``, or in the initial state without one.

        Cheap enough to call for every request: the machine is compiled once per class.
        ``with_graph`` is accepted for 0.1.11 code; drawing is ``alexafsm.utils.graph``'s job.
        """
        states_cls = cls.states_cls
        states = states_cls.from_request(request) if request else states_cls._initial()
        return cls(states, request, with_graph)

    @classmethod
    def respond(cls, request: Any, *, extensions: Optional[Extensions] = None,
                record_filename: Optional[str] = None) -> 'ResponseJSON':
        """One turn on a fresh policy: what hosts and test tools call for each request.

        ``initialize(request).handle(request)``, except that it never raises either: a skill
        whose ``__init__`` fails answers with the apology, the session kept as it was.
        """
        try:
            policy = cls.initialize(request)
        except Exception:
            parsed = parse(request)
            logger.exception("request %s: %s could not be initialized; answering with an "
                             "apology and keeping the session as it was", parsed.request_id,
                             cls.__name__)
            envelope, text = response.render(apology_envelope(parsed), logger,
                                             parsed.request_id)
            return ResponseJSON(envelope, response.APOLOGY, text)
        return policy.handle(request, record_filename=record_filename, extensions=extensions)

    @property
    def attributes(self) -> SessionAttributes:
        """The session attributes of this turn (the States object holds them)."""
        return self.states.attributes

    @property
    def persistent_attributes(self) -> PersistentAttributes:
        """The current user's memory across sessions, read from the store on first use.

        ``handle`` saves it after the turn if it changed. Raises PersistenceError naming the
        fix when no store is configured.
        """
        persistence = self._persistence
        if persistence is None:
            persistence = self._attach(self.extensions, self.request)
            if persistence is None:
                raise not_configured(f"{type(self).__name__} (in state '{self.state}')")
        return persistence.attributes

    def _attach(self, extensions: Optional[Extensions],
                request: Optional[Request]) -> Optional[Persistence]:
        persistence = extensions.persistence(request) if extensions is not None else None
        self._persistence = self.states._persistence = persistence
        return persistence

    @property
    def fsm(self) -> Machine:
        """The compiled machine of this Policy class."""
        fsm = self._alexafsm_machine  # a subclass may see its parent's: then compile its own
        return fsm if fsm is not None and fsm.policy_cls is type(self) else Machine.of(type(self))

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
            logger.info("request %s: %s; answering NOT_UNDERSTOOD", self._request_id(), error)
            return response.NOT_UNDERSTOOD
        if logger.isEnabledFor(logging.INFO):
            logger.info("request %s: %s -> %s through %s", self._request_id(), previous,
                        self.state, intent)
        self.states.attributes.state = self.state  # callbacks may have replaced the object
        return self.get_current_state_response()

    def handle(self, request: Any, voice_insights: Any = None,
               record_filename: Optional[str] = None, *,
               extensions: Optional[Extensions] = None) -> ResponseJSON:
        """Answer one Alexa request with the response JSON; never raises.

        ``voice_insights`` (a VoiceLabs ``VoiceInsights``) and ``record_filename`` (append the
        turn as a JSON line) are 0.1.11's options; VoiceLabs is called on a background thread,
        so a slow analytics service cannot delay the answer. ``extensions`` is a host's store,
        analytics and interceptors, combined with the class's ``extensions``.
        """
        built_from = self.request
        parsed = built_from if built_from is not None and built_from.raw is request \
            else request if type(request) is Request else Request(request)
        for problem in parsed.problems:
            logger.warning("request %s: %s", parsed.request_id, problem)
        active = self.extensions
        if extensions is not None:
            active = extensions.over(active)
        if active is None:
            try:
                resp = self._respond(parsed)
                envelope = resp.to_json()
            except Exception:
                resp, envelope = response.APOLOGY, self._apology(parsed)
            rendered, text = response.render(envelope, logger, parsed.request_id)
            if rendered is not envelope:  # over Alexa's limits: the apology
                resp, envelope = response.APOLOGY, rendered
        else:
            try:
                resp, envelope, text = self._extended_turn(parsed, active)
            except Exception:  # the turn's own guards failed, e.g. a States.__init__ on a retry
                resp, envelope, text = _rendered(None, self._apology(parsed), parsed)
            if active.analytics:
                active.track(parsed, envelope)
        if voice_insights is not None:
            api_key = os.environ.get('VOICELABS_API_KEY', '').strip()
            if api_key:
                worker = active.worker if active is not None and active.worker \
                    else background.shared()
                worker.submit(track_voice_insights, voice_insights, api_key, parsed, envelope)
            else:
                _warn_once("handle() got voice_insights but VOICELABS_API_KEY is not set, so "
                           "no turn is sent to VoiceLabs: set it to your VoiceLabs app token")
        if record_filename:
            append_turn(record_filename, parsed.raw, envelope)
        out = dict.__new__(ResponseJSON)  # ResponseJSON(envelope, resp, text) minus a call
        dict.update(out, envelope)
        out.response, out.text = resp, text
        return out

    def _apology(self, parsed: Request, stage: str = '',
                 error: Optional[BaseException] = None) -> Dict[str, Any]:
        """Log the exception and answer with the apology, keeping the session as it was."""
        logger.error("request %s: %s%s raised while answering %s %s in state %s; "
                     "answering with an apology and keeping the session as it was",
                     parsed.request_id, type(self).__name__, stage, parsed.type,
                     parsed.intent_name or '', self.state, exc_info=error or True)
        return apology_envelope(parsed)

    def _extended_turn(self, parsed: Request, extensions: Extensions
                       ) -> Tuple[Optional[response.Response], Dict[str, Any], str]:
        """The turn inside the interceptors, tried again while other turns of the user save first.

        A turn whose answer is an apology (skill error, unhandled or handled, or a response
        Alexa would reject) saves nothing: for the user, it did not happen.
        """
        attempts = extensions.attempts
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                time.sleep(random.uniform(0, 0.002 * attempt))  # let the other writer finish
                self._restart(parsed)
            self._enter_turn(parsed)  # interceptors see the request and the session's state
            persistence = self._attach(extensions, parsed)
            stage = ''
            try:
                for intercept in extensions.request_interceptors:
                    stage = f"'s request interceptor {_name(intercept)}"
                    intercept(self)
                stage = ''
                resp = self._respond(parsed)
                for intercept in reversed(extensions.response_interceptors):
                    stage = f"'s response interceptor {_name(intercept)}"
                    replaced = intercept(self, resp)
                    if replaced is not None:
                        if not isinstance(replaced, response.Response):
                            raise TypeError(
                                f"response interceptor {_name(intercept)} returned "
                                f"{type(replaced).__name__}: return a Response to replace the "
                                f"answer, or None to keep it")
                        resp = replaced
                stage = ''
                resp, rendered, text = _rendered(resp, resp.to_json(), parsed)
                if resp is response.APOLOGY or persistence is None or not persistence.loaded:
                    return resp, rendered, text
                stage = "'s persistent attributes"
                if persistence.commit():
                    return resp, rendered, text
            except Exception as error:
                return self._recover(parsed, extensions, error, stage)
            if attempt < attempts:
                logger.info("request %s: another turn saved the persistent attributes of '%s' "
                            "first; trying this turn again on the fresh data (attempt %d of %d)",
                            parsed.request_id, persistence.attributes.key, attempt + 1,
                            attempts)
        logger.error("request %s: the persistent attributes of '%s' changed under each of %d "
                     "tries of this turn (many turns of one user at once); answering with an "
                     "apology and saving nothing: raise Extensions(max_attempts=...) if this "
                     "is expected", parsed.request_id, persistence.attributes.key, attempts)
        return _rendered(None, apology_envelope(parsed), parsed)

    def _restart(self, parsed: Request) -> None:
        """Start the turn afresh from the request, as a new policy object would."""
        self.states = type(self.states).from_request(parsed)
        self.states.request = self.request = parsed
        self.state = self.states.attributes.state

    def _recover(self, parsed: Request, extensions: Extensions, error: Exception, stage: str
                 ) -> Tuple[Optional[response.Response], Dict[str, Any], str]:
        """Let the error handlers answer a failed turn; the apology when none does."""
        for handler in extensions.error_handlers:
            try:
                resp = handler(self, error)
                if resp is None:
                    continue
                if not isinstance(resp, response.Response):
                    raise TypeError(f"error handler {_name(handler)} returned "
                                    f"{type(resp).__name__}: return a Response to answer, or "
                                    f"None to leave the error to the next handler")
                envelope = resp.to_json()
            except Exception:
                logger.exception("request %s: error handler %s failed while handling %s: %s",
                                 parsed.request_id, _name(handler), type(error).__name__, error)
                break
            logger.warning("request %s: %s%s raised %s: %s; answered by error handler %s",
                        parsed.request_id, type(self).__name__, stage, type(error).__name__,
                        error, _name(handler))
            if 'sessionAttributes' not in envelope and parsed.attributes:
                envelope['sessionAttributes'] = parsed.attributes
            return _rendered(resp, envelope, parsed)
        return _rendered(None, self._apology(parsed, stage, error), parsed)

    def _respond(self, parsed: Request) -> response.Response:
        """What the skill says to this request, before the response interceptors."""
        kind = parsed.type
        if kind == INTENT:
            self._enter_turn(parsed)
            resp = _with_session(self.execute(), self.states.attributes)
        elif kind == LAUNCH:
            self._enter_turn(parsed)
            self.state = self.states.attributes.state = INITIAL_STATE
            resp = _with_session(self.get_current_state_response(), self.states.attributes)
        elif kind == CAN_FULFILL:
            resp = self._can_fulfill(parsed)
        else:
            self._log_other(parsed)
            resp = response.empty()
        return resp

    def _enter_turn(self, parsed: Request) -> None:
        """Make this policy's attributes those of ``parsed``, unless it was built from it."""
        states = self.states
        if self.request is None or self.request.raw is not parsed.raw:
            states.attributes = states.session_attributes_cls.from_request(parsed)
            self.request = states.request = parsed
        state = states.attributes.state
        if state not in self.fsm.state_set:
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

    def _request_id(self) -> Optional[str]:
        return self.request.request_id if self.request is not None else None


def apology_envelope(request: Any) -> Dict[str, Any]:
    """The apology, with the session attributes the request brought: the turn did not happen.

    Shared by every path that gives up on a turn, the hosts' last resort included.
    """
    parsed = parse(request)
    envelope = response.APOLOGY.to_json()
    if parsed.attributes:
        envelope['sessionAttributes'] = parsed.attributes
    return envelope


def _with_session(resp: response.Response, attributes: SessionAttributes) -> response.Response:
    """``resp._replace(session_attributes=attributes)`` without its keyword handling.

    Every turn does this once, and ``_replace`` costs as much as the rest of building the
    Response; a subclass or a namedtuple of another kind still goes through ``_replace``.
    """
    if type(resp) is not response.Response:
        return resp._replace(session_attributes=attributes)
    (speech, card, card_content, reprompt, should_end, image, _, small_image, directives,
     can_fulfill) = resp
    return tuple.__new__(response.Response, (
        speech, card, card_content, reprompt, should_end, image, attributes, small_image,
        directives, can_fulfill))


def _rendered(resp: Optional[response.Response], envelope: Dict[str, Any], parsed: Request
              ) -> Tuple[response.Response, Dict[str, Any], str]:
    """The envelope within Alexa's limits and its JSON text; the Response that produced it.

    ``None`` stands for an apology; a response over the limits is replaced by one too.
    """
    rendered, text = response.render(envelope, logger, parsed.request_id)
    if resp is None or rendered is not envelope:
        resp = response.APOLOGY
    return resp, rendered, text


def track_voice_insights(voice_insights: Any, api_key: str, request: Request,
                         envelope: Dict[str, Any]) -> None:
    """0.1.11's VoiceLabs calls for one turn: start the session, then track the intent.

    Runs on a background thread: the ``voicelabs`` package blocks on its HTTP calls.
    """
    voice_insights.initialize(api_key, request.session)
    if request.type == INTENT:
        voice_insights.track(intent_name=request.intent_name, intent_request=request.body,
                             response=envelope)


_warned: Set[str] = set()


def _warn_once(message: str) -> None:
    """A warning about the set-up, logged on the first turn rather than on every one."""
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def _name(fn: Any) -> str:
    return getattr(fn, '__qualname__', None) or repr(fn)
