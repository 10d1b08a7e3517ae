"""The turn pipeline: one Alexa request in, one response envelope out, and never an exception.

``Policy.handle`` gives every request to ``run``, which takes one path whether or not a store,
analytics or interceptors are configured (``alexafsm.extensions``). Its steps, in order::

    run(policy, raw, extensions)
      _parse                 the request, parsed once; what is wrong with it, logged
      a try of the turn, again from _enter while another turn of the same user saves first:
        _enter               a TurnContext for the Policy and its States; the session's
                             attributes; a state the machine knows ('initial' for a state
                             that a deploy renamed or removed)
        _intercept_request   request interceptors, in registration order
        _fire                the intent on the machine and the new state's Response (a launch:
                             the initial state's; can-fulfill: from the machine alone; session
                             ended and other types: logged, an empty answer)
        _intercept_response  response interceptors, in reverse order; each may replace it
        _render              Response -> envelope -> JSON text, within Alexa's limits
        _save                the persistent attributes, if the turn changed them
      _recover               a failure: the first error handler that answers, else
      _apologize             the apology: logged, failure observers told, the session kept
      _after                 analytics and 0.1.11's VoiceLabs queued, the recording appended

A turn that ends in the apology saves nothing: for the user, it did not happen. The pipeline
keeps its state in the ``TurnContext`` and in local variables, never in the skill's Policy,
so no helper method of a skill, whatever its name, can change how a turn runs.

Failure observers (``Extensions(failure_observers=[...])``) hear of every turn that ends in
the apology: ``observer(request, stage, error)`` with the parsed request, the stage that
failed and the exception. The stages are ``ENTER``, ``FIRE``, ``RENDER``, ``SAVE`` and
``INITIALIZE`` (the skill's ``__init__``), or ``'request interceptor NAME'``,
``'response interceptor NAME'`` and ``'error handler NAME'`` (an error handler that failed
while handling the error, which is then its ``__context__``). A failure that raised nothing of
its own, a response Alexa would refuse or a save that another turn beat on every try, comes
as a ``TurnFailed`` saying which. A failure an error handler answers is no failure of the
turn. So a tool such as the fuzzer learns of failures here, with their tracebacks, instead of
listening to a logger that an application may have configured away.
"""
import json
import logging
import os
import random
import time
from operator import attrgetter
from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional
from typing import Set
from typing import Tuple

from alexafsm import background
from alexafsm import response
from alexafsm.errors import HookResultError
from alexafsm.errors import TurnFailed
from alexafsm.extensions import Extensions
from alexafsm.extensions import FailureObserver
from alexafsm.extensions import Persistence
from alexafsm.request import CAN_FULFILL
from alexafsm.request import EXCEPTION_ENCOUNTERED
from alexafsm.request import INTENT
from alexafsm.request import LAUNCH
from alexafsm.request import SESSION_ENDED
from alexafsm.request import Request
from alexafsm.request import parse
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from alexafsm.transcript import append_turn

__all__ = ['run', 'run_on_new_policy', 'TurnContext', 'OUTSIDE_A_TURN', 'turn_request',
           'ResponseJSON', 'apology_envelope', 'track_voice_insights', 'TurnFailed', 'ENTER',
           'FIRE', 'RENDER', 'SAVE', 'INITIALIZE', 'REQUEST_INTERCEPTOR', 'RESPONSE_INTERCEPTOR',
           'ERROR_HANDLER']

# The turn's records keep the logger name that skills (and 0.1.11's users) configure.
logger = logging.getLogger('alexafsm.policy')

#: The stages of a turn, as ``TurnContext.stage`` and the failure observers name them.
ENTER = 'enter'
FIRE = 'fire'
RENDER = 'render'
SAVE = 'save'
INITIALIZE = 'initialize'
REQUEST_INTERCEPTOR = 'request interceptor'
RESPONSE_INTERCEPTOR = 'response interceptor'
ERROR_HANDLER = 'error handler'


class TurnContext:
    """What one try of a turn knows besides the session attributes: its request, its store.

    The pipeline makes one per try and hands the same object to the Policy and its States
    (``policy.turn_context``, ``states.turn_context``); ``request`` and
    ``persistent_attributes`` read it, so the pipeline writes nothing else into either. Outside
    a turn both hold ``OUTSIDE_A_TURN``, which has no request and no store. ``stage`` is the
    step running, so an error handler can tell where the turn failed.
    """

    __slots__ = ('request', 'persistence', 'stage')

    def __init__(self, request: Optional[Request] = None,
                 persistence: Optional[Persistence] = None) -> None:
        self.request = request
        self.persistence = persistence
        self.stage = FIRE  # what a try does first after entering, if no interceptor runs

    @property
    def request_id(self) -> Optional[str]:
        """Alexa's id of the request, which ties a log line to Alexa's logs; None without one."""
        request = self.request
        return request.request_id if request is not None else None

    def __repr__(self) -> str:
        return f"TurnContext({self.request_id!r}, stage={self.stage!r})"


#: The context of a Policy or States used outside a turn: no request, no store.
OUTSIDE_A_TURN = TurnContext()

#: ``request`` of Policy and States: the parsed request of the turn (locale, user, slots,
#: dialog state), None outside one. A getter written in C (attrgetter): callbacks and states
#: read it several times a turn, and a Python property costs a function call each time.
turn_request = property(
    attrgetter('turn_context.request'),
    doc="The parsed request of this turn (locale, user, slots, dialog state); None outside one.")
_allocate = object.__new__


def _new_context(request: Request) -> TurnContext:
    """``TurnContext(request)`` without the call through ``__init__``: every try makes one.

    Python runs a class's ``__init__`` in an interpreter frame of its own, which costs more
    than the rest of making the object; setting the three slots here costs a fraction of it.
    """
    context = _allocate(TurnContext)
    context.request = request
    context.persistence = None
    context.stage = FIRE
    return context


_NO_EXTENSIONS = Extensions()  # a turn without any: nothing to intercept, store or track
_NO_EXTENSIONS._sealed = True


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


def run(policy: Any, raw: Any, extensions: Optional[Extensions] = None,
        voice_insights: Any = None, record_filename: Optional[str] = None) -> ResponseJSON:
    """Answer one request on ``policy``: the whole turn, as the module docstring lists it.

    ``extensions`` (a host's) are combined with the Policy class's. Never raises: whatever
    fails in the skill's code is logged with the request id and answered, by an error handler
    or with the apology. A try whose save another turn of the user beat runs again on the fresh
    data, so every answered turn counts exactly once (``Extensions.max_attempts`` tries).
    """
    request = _parse(policy, raw)
    own = policy.extensions
    active = (own if extensions is None else extensions.over(own)) or _NO_EXTENSIONS
    attempt = 1
    while True:
        try:
            context = _enter(policy, request, active, attempt)
        except Exception as error:  # the skill's attributes or States could not be built
            out = _rendered(None, _apologize(policy, request, ENTER, error, active), request,
                            active)
            break
        try:
            if active.request_interceptors:
                _intercept_request(policy, context, active)
            resp = _fire(policy, context)
            if active.response_interceptors:
                resp = _intercept_response(policy, context, active, resp)
            out = _render(context, resp, active)
            if context.persistence is None or _save(context, out.response):
                break
        except Exception as error:
            out = _recover(policy, context, active, error)
            break
        finally:  # the user's next turn may take the persistent attributes
            if context.persistence is not None:
                context.persistence.release()
        if attempt == active.attempts:
            out = _given_up(context, active)
            break
        attempt += 1
        logger.info("request %s: another turn saved the persistent attributes of '%s' first; "
                    "trying this turn again on the fresh data (attempt %d of %d)",
                    request.request_id, context.persistence.attributes.key,
                    attempt, active.attempts)
    if active.analytics or voice_insights is not None or record_filename:
        _after(request, out, active, voice_insights, record_filename)
    return out


def run_on_new_policy(policy_cls: Any, raw: Any, extensions: Optional[Extensions] = None,
                      record_filename: Optional[str] = None) -> ResponseJSON:
    """``run`` on ``policy_cls.initialize(raw)``: what hosts and test tools do per request.

    A skill whose ``__init__`` fails is answered with the apology too, the session kept.
    """
    try:
        policy = policy_cls.initialize(raw)
    except Exception as error:
        request = parse(raw)
        logger.exception("request %s: %s could not be initialized; answering with an "
                         "apology and keeping the session as it was", request.request_id,
                         policy_cls.__name__)
        own = policy_cls.extensions
        active = (own if extensions is None else extensions.over(own)) or _NO_EXTENSIONS
        _tell(active, request, INITIALIZE, error)
        return _rendered(None, apology_envelope(request), request, active)
    return policy.handle(raw, record_filename=record_filename, extensions=extensions)


# --- the steps, in the order a turn takes them -------------------------------------------------

def _parse(policy: Any, raw: Any) -> Request:
    """The request, parsed once per turn: the policy's own when it was built from this one."""
    known = policy.turn_context.request
    request = known if known is not None and known.raw is raw \
        else raw if type(raw) is Request else Request(raw)
    for problem in request.problems:
        logger.warning("request %s: %s", request.request_id, problem)
    return request


def _enter(policy: Any, request: Request, extensions: Extensions, attempt: int = 1
           ) -> TurnContext:
    """The try's context, handed to Policy and States; their attributes and state the request's.

    A state the machine does not know (renamed or removed by a deploy) restarts from
    'initial' rather than failing every turn of the sessions that were in it. A try after
    the first starts afresh from the request, as a new policy object would.
    """
    states = policy.states
    context = policy.turn_context
    if attempt > 1:
        time.sleep(random.uniform(0, 0.002 * attempt))  # let the other writer finish
        states = policy.states = type(states).from_request(request)
        context = _new_context(request)
    elif context.request is not request:  # made without the request: take its attributes
        states.attributes = states.session_attributes_cls.from_request(request)
        context = _new_context(request)
    else:  # the policy was made for this request: its attributes and context are the request's
        context.stage = FIRE
    if extensions.store is not None:
        context.persistence = extensions.persistence(request, serialise=True)
    policy.turn_context = states.turn_context = context
    state = states.attributes.state
    fsm = policy.fsm
    if state not in fsm.state_set and fsm.renamed.get(state) in fsm.state_set:
        state = states.attributes.state = fsm.renamed[state]  # States.RENAMED, for a deploy
    if state not in fsm.state_set:
        logger.warning("request %s: state '%s' from the session is not a state of %s (renamed "
                       "or removed by a deploy?); restarting from '%s'", request.request_id,
                       state, fsm.states_cls.__name__, INITIAL_STATE)
        state = states.attributes.state = INITIAL_STATE
    policy.state = state
    return context


def _intercept_request(policy: Any, context: TurnContext, extensions: Extensions) -> None:
    """The request interceptors, in registration order: they see the request and the state."""
    for intercept in extensions.request_interceptors:
        context.stage = f"{REQUEST_INTERCEPTOR} {_name(intercept)}"
        intercept(policy)
    context.stage = FIRE


def _fire(policy: Any, context: TurnContext) -> response.Response:
    """What the skill says to the request, before the response interceptors.

    An intent goes through ``Policy.execute`` and a launch through
    ``get_current_state_response``, the 0.1.11 methods a skill may override.
    """
    request = context.request  # the stage is FIRE already
    kind = request.type  # type: ignore[union-attr]
    if kind == INTENT:
        return _with_session(policy.execute(), policy.states.attributes)
    if kind == LAUNCH:
        policy.state = policy.states.attributes.state = INITIAL_STATE
        return _with_session(policy.get_current_state_response(), policy.states.attributes)
    if kind == CAN_FULFILL:
        return _can_fulfill(policy, request)  # type: ignore[arg-type]
    _log_other(request)  # type: ignore[arg-type]
    return response.empty()


def _intercept_response(policy: Any, context: TurnContext, extensions: Extensions,
                        resp: response.Response) -> response.Response:
    """The response interceptors, innermost first; one may return a Response to replace it."""
    for intercept in reversed(extensions.response_interceptors):
        context.stage = f"{RESPONSE_INTERCEPTOR} {_name(intercept)}"
        replaced = intercept(policy, resp)
        if replaced is not None:
            if not isinstance(replaced, response.Response):
                raise HookResultError(f"response interceptor {_name(intercept)} returned "
                                      f"{type(replaced).__name__}: return a Response to "
                                      f"replace the answer, or None to keep it")
            resp = replaced
    return resp


def _render(context: TurnContext, resp: response.Response, extensions: Extensions
            ) -> ResponseJSON:
    """The Response as the envelope and JSON text Alexa gets; the apology if Alexa would not.

    Every answered turn ends here, so the ResponseJSON is built without a call through its
    ``__init__``: the envelope is checked and its text made already.
    """
    context.stage = RENDER
    request: Request = context.request  # type: ignore[assignment]
    envelope = resp.to_json()
    rendered, text = response.render(envelope, logger, request.request_id)
    if rendered is not envelope:
        _refused(request, envelope, extensions)
        resp = response.APOLOGY
    out = dict.__new__(ResponseJSON)  # ResponseJSON(rendered, resp, text) without the call
    dict.update(out, rendered)
    out.response, out.text = resp, text
    return out


def _given_up(context: TurnContext, extensions: Extensions) -> ResponseJSON:
    """The apology for a turn whose save another turn of the user beat on every try."""
    request: Request = context.request  # type: ignore[assignment]
    message = (f"the persistent attributes of "
               f"'{context.persistence.attributes.key}' "  # type: ignore[union-attr]
               f"changed under each of {extensions.attempts} tries of this turn (many turns of "
               f"one user at once); answering with an apology and saving nothing: raise "
               f"Extensions(max_attempts=...) if this is expected")
    logger.error("request %s: %s", request.request_id, message)
    _tell(extensions, request, SAVE, TurnFailed(message))
    return _rendered(None, apology_envelope(request), request, extensions)


def _save(context: TurnContext, resp: Optional[response.Response]) -> bool:
    """Save the persistent attributes the turn changed; False when another turn saved first.

    The apology saves nothing, and a turn that never read them has nothing to save.
    """
    persistence = context.persistence
    if persistence is None or not persistence.loaded or resp is response.APOLOGY:
        return True
    context.stage = SAVE
    return persistence.commit()


def _recover(policy: Any, context: TurnContext, extensions: Extensions,
             error: Exception) -> ResponseJSON:
    """Let the error handlers answer a failed try, in order; the apology when none does.

    The session attributes stay those the request brought, as for the apology.
    """
    request: Request = context.request  # type: ignore[assignment]
    stage = context.stage
    for handler in extensions.error_handlers:
        try:
            resp = handler(policy, error)
            if resp is None:
                continue
            if not isinstance(resp, response.Response):
                raise HookResultError(f"error handler {_name(handler)} returned "
                                      f"{type(resp).__name__}: return a Response to answer, "
                                      f"or None to leave the error to the next handler")
            envelope = resp.to_json()
        except Exception as failure:
            logger.exception("request %s: error handler %s failed while handling %s: %s",
                             request.request_id, _name(handler), type(error).__name__, error)
            observed = (f"{ERROR_HANDLER} {_name(handler)}", failure)
            return _rendered(None, _apologize(policy, request, stage, error, extensions,
                                              observed), request, extensions)
        logger.warning("request %s: %s raised %s: %s; answered by error handler %s",
                       request.request_id, _where(policy, stage), type(error).__name__, error,
                       _name(handler))
        if 'sessionAttributes' not in envelope and request.attributes:
            envelope['sessionAttributes'] = request.attributes
        return _rendered(resp, envelope, request, extensions)
    return _rendered(None, _apologize(policy, request, stage, error, extensions), request,
                     extensions)


def _apologize(policy: Any, request: Request, stage: str, error: BaseException,
               extensions: Extensions,
               observed: Optional[Tuple[str, BaseException]] = None) -> Dict[str, Any]:
    """Log the failure, tell the failure observers, and answer with the apology.

    ``observed`` is what the observers hear when it is not the logged failure itself: an
    error handler that failed while handling it.
    """
    logger.error("request %s: %s raised while answering %s in state %s; answering with an "
                 "apology and keeping the session as it was", request.request_id,
                 _where(policy, stage), ' '.join(filter(None, (request.type, request.intent_name))),
                 policy.state, exc_info=error)
    _tell(extensions, request, *(observed or (stage, error)))
    return apology_envelope(request)


def _after(request: Request, envelope: ResponseJSON, extensions: Extensions,
           voice_insights: Any, record_filename: Optional[str]) -> None:
    """What follows the answer: analytics and VoiceLabs queued, the recording appended.

    Trackers run on the background worker, so a slow analytics service cannot delay the
    answer; they and the recording get the envelope as sent.
    """
    if extensions.analytics:
        extensions.track(request, envelope)
    if voice_insights is not None:
        api_key = os.environ.get('VOICELABS_API_KEY', '').strip()
        if api_key:
            worker = extensions.worker or background.shared()
            worker.submit(track_voice_insights, voice_insights, api_key, request, envelope)
        else:
            _warn_once("handle() got voice_insights but VOICELABS_API_KEY is not set, so "
                       "no turn is sent to VoiceLabs: set it to your VoiceLabs app token")
    if record_filename:
        append_turn(record_filename, request.raw, envelope)


# --- what the steps share ----------------------------------------------------------------------

def _with_session(resp: Any, attributes: SessionAttributes) -> response.Response:
    """The skill's answer carrying this turn's session attributes, whatever tuple it returned.

    A Response knows its fields (``Response.with_session``); another namedtuple, as some 0.1.11
    skills returned, goes through ``_replace``.
    """
    if isinstance(resp, response.Response):
        return resp.with_session(attributes)
    return resp._replace(session_attributes=attributes)


def apology_envelope(request: Any) -> Dict[str, Any]:
    """The apology, with the session attributes the request brought: the turn did not happen.

    The one place the apology is made: every path that gives up on a turn, the hosts' last
    resort included, answers with this.
    """
    parsed = parse(request)
    envelope = response.APOLOGY.to_json()
    if parsed.attributes:
        envelope['sessionAttributes'] = parsed.attributes
    return envelope


def _rendered(resp: Optional[response.Response], envelope: Dict[str, Any], request: Request,
              extensions: Extensions) -> ResponseJSON:
    """The envelope within Alexa's limits and its JSON text; the Response that produced it.

    ``None`` stands for an apology; a response over the limits is replaced by one too, which
    the failure observers hear of (``response.render`` has logged why).
    """
    rendered, text = response.render(envelope, logger, request.request_id)
    if rendered is not envelope:
        if resp is not None:
            _refused(request, envelope, extensions)
        resp = None
    return ResponseJSON(rendered, response.APOLOGY if resp is None else resp, text)


def _refused(request: Request, envelope: Dict[str, Any], extensions: Extensions) -> None:
    """Tell the failure observers that Alexa would have refused the skill's answer."""
    if extensions.failure_observers:
        _tell(extensions, request, RENDER, TurnFailed(_unsendable(envelope)))


def _unsendable(envelope: Dict[str, Any]) -> str:
    """Why ``response.render`` refused the envelope, said again for the failure observers."""
    try:
        json.dumps(envelope, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        return (f"the response is no JSON Alexa accepts ({type(error).__name__}: {error}), so "
                f"the user heard the apology")
    try:
        problems = '; '.join(response.check_limits(envelope))
    except Exception as error:  # an envelope not made by Response.to_json
        problems = f"{type(error).__name__}: {error}"
    return f"the response breaks Alexa's limits, so the user heard the apology: {problems}"


def _tell(extensions: Extensions, request: Request, stage: str, error: BaseException) -> None:
    """Tell each failure observer that the turn failed; an observer's own failure is logged."""
    observer: FailureObserver
    for observer in extensions.failure_observers:
        try:
            observer(request, stage, error)
        except Exception:
            logger.exception("request %s: failure observer %s failed while being told of %s "
                             "in stage %s", request.request_id, _name(observer),
                             type(error).__name__, stage)


def _where(policy: Any, stage: str) -> str:
    """Who raised, for the log: the policy, one of its hooks, or its persistent attributes."""
    name = type(policy).__name__
    if stage == SAVE:
        return f"{name}'s persistent attributes"
    if stage.startswith((REQUEST_INTERCEPTOR, RESPONSE_INTERCEPTOR, ERROR_HANDLER)):
        return f"{name}'s {stage}"
    return name


def _can_fulfill(policy: Any, request: Request) -> response.Response:
    """Answer Alexa's "could you handle this?" from the machine alone, with no side effects.

    YES when the intent has a transition from the initial state; a slot is understood when
    the skill's ``slots_cls`` has a field for it.
    """
    can = 'YES' if request.intent_name and policy.fsm.handles(request.intent_name,
                                                              INITIAL_STATE) else 'NO'
    slots_cls = policy.states.session_attributes_cls.slots_cls
    fields = {f.lower() for f in getattr(slots_cls, '_fields', ())}
    slots = {}
    for name in request.slot_values():
        known = 'YES' if name.lower() in fields and can == 'YES' else 'NO'
        slots[name] = (known, known)
    return response.Response.can_fulfill_intent(can, slots)


def _log_other(request: Request) -> None:
    """Log a request the machine does not answer: a session's end, Alexa's report of an error."""
    kind = request.type
    if kind == SESSION_ENDED:
        error = request.error
        log = logger.warning if error or request.reason == 'ERROR' else logger.info
        log("request %s: session %s ended, reason %s%s", request.request_id,
            request.session_id, request.reason,
            f", error {error.get('type')}: {error.get('message')}" if error else '')
    elif kind == EXCEPTION_ENCOUNTERED:
        cause = request.body.get('cause')
        logger.error("request %s: Alexa could not use our previous response (request %s): "
                     "%s: %s", request.request_id,
                     cause.get('requestId') if isinstance(cause, dict) else None,
                     request.error.get('type'), request.error.get('message'))
    else:
        logger.warning("request %s: request type %r is not handled by alexafsm; "
                       "answering with an empty response", request.request_id, kind)


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


def _name(fn: Callable[..., Any]) -> str:
    """A hook's name for the log: its qualified name, or its repr."""
    return getattr(fn, '__qualname__', None) or repr(fn)
