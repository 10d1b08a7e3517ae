"""Build the request envelopes Alexa sends, for tests, stories, playback and the fuzzer.

A skill under test should see what a device would send it: the session block with its ``new``
flag and attributes, ``context.System`` with the application, user and device, and a request with
a unique id, an ISO timestamp and a locale. Each builder returns such an envelope as plain JSON.
Who is talking (application, user, device, locale, clock) is a ``Caller``, so a test can fix the
clock or speak as a second user without repeating every id.
"""
import uuid
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timezone
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Mapping
from typing import Optional
from typing import Sequence
from typing import Union

from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.request import CAN_FULFILL
from alexafsm.request import ER_SUCCESS_MATCH
from alexafsm.request import EXCEPTION_ENCOUNTERED
from alexafsm.request import INTENT
from alexafsm.request import LAUNCH
from alexafsm.request import SESSION_ENDED
from alexafsm.request import Resolution
from alexafsm.request import ResolvedValue

__all__ = ['launch_request', 'intent_request', 'session_ended_request', 'can_fulfill_request',
           'exception_encountered_request', 'custom_type_resolution', 'Caller', 'DEFAULT_CALLER',
           'SlotResolutions', 'new_session_id', 'slot_words', 'random_id', 'timestamp',
           'utc_now', 'APPLICATION_ID', 'USER_ID', 'DEVICE_ID', 'API_ENDPOINT',
           'ER_SUCCESS_NO_MATCH', 'SESSION_END_REASONS', 'ERROR_TYPES', 'DIALOG_STATES',
           'CONFIRMATION_STATUSES']

APPLICATION_ID = 'amzn1.ask.skill.00000000-0000-4000-8000-000000000000'
USER_ID = 'amzn1.ask.account.TESTUSER'
DEVICE_ID = 'amzn1.ask.device.TESTDEVICE'
API_ENDPOINT = 'https://api.amazonalexa.com'
ER_SUCCESS_NO_MATCH = 'ER_SUCCESS_NO_MATCH'

SESSION_END_REASONS = ('USER_INITIATED', 'ERROR', 'EXCEEDED_MAX_REPROMPTS')
ERROR_TYPES = ('INVALID_RESPONSE', 'DEVICE_COMMUNICATION_ERROR', 'INTERNAL_SERVICE_ERROR',
               'ENDPOINT_TIMEOUT')
DIALOG_STATES = ('STARTED', 'IN_PROGRESS', 'COMPLETED')
CONFIRMATION_STATUSES = ('NONE', 'CONFIRMED', 'DENIED')

SlotResolutions = Union[Resolution, Sequence[Resolution], Mapping[str, Any]]


def utc_now() -> datetime:
    """The default clock: Alexa stamps requests in UTC."""
    return datetime.now(timezone.utc)


def random_id(kind: str) -> str:
    """The default id maker: Alexa's shape ('amzn1.echo-api.request.<uuid>'), unique per call.

    ``kind`` is 'request' or 'session'. Give a ``Caller`` another maker (a counter, say) when a
    recording must come out the same on every run.
    """
    return f'amzn1.echo-api.{kind}.{uuid.uuid4()}'


@dataclass(frozen=True)
class Caller:
    """Who sends the requests: the skill, user and device ids, the locale, the clock and the
    maker of request and session ids.

    Hosting checks the application id and the timestamp, and skills key memory by user and
    device, so tests need to choose them; the defaults are fixed ids that look like Amazon's.
    """

    application_id: str = APPLICATION_ID
    user_id: str = USER_ID
    device_id: str = DEVICE_ID
    locale: str = 'en-US'
    api_endpoint: str = API_ENDPOINT
    clock: Callable[[], datetime] = field(default=utc_now, compare=False)
    ids: Callable[[str], str] = field(default=random_id, compare=False)


DEFAULT_CALLER = Caller()


def new_session_id() -> str:
    """A session id shaped like Alexa's, unique per call so recordings keep sessions apart."""
    return random_id('session')


def slot_words(value: Any) -> Optional[str]:
    """A slot value as Alexa sends it: the words it heard, as a string; None for no value.

    Tests and stories may write a number (``Count: 2``): it becomes its digits, as Alexa
    writes them. Anything else (a bool, a list) is no utterance: TypeError, which the caller
    turns into its own error naming the slot.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"a slot value is the words Alexa heard, got {type(value).__name__} "
                    f"{value!r}")


def timestamp(clock: Callable[[], datetime] = utc_now) -> str:
    """The clock's time as Alexa writes it ('2024-05-01T12:00:00Z'); naive datetimes are UTC."""
    now = clock()
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def launch_request(*, caller: Caller = DEFAULT_CALLER, session_id: Optional[str] = None,
                   attributes: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """"Alexa, open <skill>": always the first request of a new session."""
    return _envelope(caller, {'type': LAUNCH}, session_id=session_id, new=True,
                     attributes=attributes)


def intent_request(intent: str, slots: Optional[Mapping[str, Optional[str]]] = None, *,
                   attributes: Optional[Mapping[str, Any]] = None,
                   dialog_state: Optional[str] = None, confirmation_status: str = 'NONE',
                   slot_confirmations: Optional[Mapping[str, str]] = None,
                   resolutions: Optional[Mapping[str, SlotResolutions]] = None,
                   caller: Caller = DEFAULT_CALLER, session_id: Optional[str] = None,
                   new: bool = False) -> Dict[str, Any]:
    """What the user said, as the intent and slots the interaction model made of it.

    A slot whose value is None is sent without a value, as Alexa sends slots the user did not
    fill. ``resolutions`` maps a slot to its entity resolutions: ``Resolution`` values of
    ``alexafsm.request`` (see ``custom_type_resolution``) or Alexa's own JSON object.
    """
    _check_choice('dialog_state', dialog_state, DIALOG_STATES, optional=True)
    _check_choice('confirmation_status', confirmation_status, CONFIRMATION_STATUSES)
    slot_confirmations = dict(slot_confirmations or {})
    resolutions = dict(resolutions or {})
    slots = dict(slots or {})
    for what, names in (('slot_confirmations', slot_confirmations),
                        ('resolutions', resolutions)):
        stray = sorted(set(names) - set(slots))
        if stray:
            raise ArgumentValueError(
                f"{what} names slots {stray} that are not among the slots of "
                f"{intent} in this request ({sorted(slots) or 'none'}): add them "
                f"to slots (with None for an unfilled slot)")
    wire_slots = {}
    for name, value in slots.items():
        status = slot_confirmations.get(name, 'NONE')
        _check_choice(f"confirmation status of slot {name!r}", status, CONFIRMATION_STATUSES)
        wire_slots[name] = _slot(name, value, status, resolutions.get(name))
    body: Dict[str, Any] = {'type': INTENT}
    if dialog_state is not None:
        body['dialogState'] = dialog_state
    body['intent'] = {'name': _intent_name(intent), 'confirmationStatus': confirmation_status,
                      'slots': wire_slots}
    return _envelope(caller, body, session_id=session_id, new=new, attributes=attributes)


def session_ended_request(reason: str = 'USER_INITIATED',
                          error: Optional[Mapping[str, str]] = None, *,
                          attributes: Optional[Mapping[str, Any]] = None,
                          caller: Caller = DEFAULT_CALLER,
                          session_id: Optional[str] = None) -> Dict[str, Any]:
    """The session closed without the skill ending it: the user left, timed out or it failed.

    ``error`` is Alexa's ``{'type': 'INVALID_RESPONSE', 'message': '...'}``, sent with reason
    ERROR.
    """
    _check_choice('reason', reason, SESSION_END_REASONS)
    body: Dict[str, Any] = {'type': SESSION_ENDED, 'reason': reason}
    if error is not None:
        body['error'] = _error(error)
    return _envelope(caller, body, session_id=session_id, new=False, attributes=attributes)


def can_fulfill_request(intent: str, slots: Optional[Mapping[str, Optional[str]]] = None, *,
                        caller: Caller = DEFAULT_CALLER,
                        session_id: Optional[str] = None) -> Dict[str, Any]:
    """Alexa asking, before routing a name-free request here, whether the skill could handle it."""
    wire_slots = {name: _slot(name, value, None, None) for name, value in (slots or {}).items()}
    body = {'type': CAN_FULFILL, 'intent': {'name': _intent_name(intent), 'slots': wire_slots}}
    return _envelope(caller, body, session_id=session_id, new=True, attributes=None)


def exception_encountered_request(error_type: str = 'INVALID_RESPONSE',
                                  message: str = 'The skill response was invalid.', *,
                                  cause_request_id: Optional[str] = None,
                                  caller: Caller = DEFAULT_CALLER) -> Dict[str, Any]:
    """Alexa reporting that it could not use the skill's previous response; it has no session."""
    body = {'type': EXCEPTION_ENCOUNTERED,
            'error': _error({'type': error_type, 'message': message}),
            'cause': {'requestId': cause_request_id or caller.ids('request')}}
    return _envelope(caller, body, session_id=None, new=False, attributes=None, session=False)


def custom_type_resolution(type_name: str, value: Optional[str], value_id: Optional[str] = None,
                           *, application_id: str = APPLICATION_ID) -> Resolution:
    """Entity resolution against a custom slot type, as Alexa reports it for the skill.

    ``value`` is the canonical value the spoken words matched, or None for ER_SUCCESS_NO_MATCH.
    """
    authority = f'amzn1.er-authority.echo-sdk.{application_id}.{type_name}'
    if value is None:
        return Resolution(authority, ER_SUCCESS_NO_MATCH, ())
    return Resolution(authority, ER_SUCCESS_MATCH, (ResolvedValue(value, value_id),))


def _envelope(caller: Caller, body: Dict[str, Any], *, session_id: Optional[str], new: bool,
              attributes: Optional[Mapping[str, Any]], session: bool = True) -> Dict[str, Any]:
    application = {'applicationId': caller.application_id}
    user = {'userId': caller.user_id}
    envelope: Dict[str, Any] = {'version': '1.0'}
    if session:
        envelope['session'] = {
            'new': new, 'sessionId': session_id or caller.ids('session'),
            'application': dict(application), 'attributes': dict(attributes or {}),
            'user': dict(user)}
    envelope['context'] = {'System': {
        'application': dict(application), 'user': dict(user),
        'device': {'deviceId': caller.device_id, 'supportedInterfaces': {}},
        'apiEndpoint': caller.api_endpoint}}
    envelope['request'] = {'type': body['type'], 'requestId': caller.ids('request'),
                           'timestamp': timestamp(caller.clock), 'locale': caller.locale,
                           **{k: v for k, v in body.items() if k != 'type'}}
    return envelope


def _slot(name: str, value: Optional[str], confirmation_status: Optional[str],
          resolutions: Optional[SlotResolutions]) -> Dict[str, Any]:
    if value is not None and not isinstance(value, str):
        raise ArgumentTypeError(f"slot {name!r}: Alexa sends slot values as strings, got "
                                f"{type(value).__name__} {value!r}: write it as {str(value)!r}")
    slot: Dict[str, Any] = {'name': name}
    if value is not None:
        slot['value'] = value
    if confirmation_status is not None:
        slot['confirmationStatus'] = confirmation_status
    if resolutions is not None:
        slot['resolutions'] = _resolutions(name, resolutions)
    return slot


def _resolutions(slot: str, resolutions: SlotResolutions) -> Dict[str, Any]:
    if isinstance(resolutions, Mapping):
        if not isinstance(resolutions.get('resolutionsPerAuthority'), list):
            raise ArgumentValueError(f"resolutions of slot {slot!r} must be Resolution values or "
                                     f"Alexa's {{'resolutionsPerAuthority': [...]}} object, got "
                                     f"{dict(resolutions)!r}")
        return dict(resolutions)
    items: Iterable[Resolution] = ([resolutions] if isinstance(resolutions, Resolution)
                                   else resolutions)
    authorities = []
    for resolution in items:
        authority: Dict[str, Any] = {'authority': resolution.authority,
                                     'status': {'code': resolution.status}}
        if resolution.values:
            authority['values'] = [{'value': _resolved(v)} for v in resolution.values]
        authorities.append(authority)
    return {'resolutionsPerAuthority': authorities}


def _resolved(value: ResolvedValue) -> Dict[str, str]:
    return {'name': value.name, 'id': value.id} if value.id is not None else {'name': value.name}


def _error(error: Mapping[str, str]) -> Dict[str, str]:
    _check_choice('error type', error.get('type'), ERROR_TYPES)
    return {'type': error['type'], 'message': str(error.get('message', ''))}


def _intent_name(intent: Any) -> str:
    if not isinstance(intent, str) or not intent:
        raise ArgumentValueError(
            f"an intent name such as 'AMAZON.HelpIntent' is needed, got {intent!r}")
    return intent


def _check_choice(what: str, value: Any, choices: Sequence[str], optional: bool = False) -> None:
    if (value is None and optional) or value in choices:
        return
    raise ArgumentValueError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
