"""The parsed request: a typed, read-only view over the request JSON Alexa sends.

Parsing never raises. Alexa's envelopes vary by request type and device, and a web endpoint also
receives garbage, so every accessor answers with a sensible empty value and the anomalies it met
are kept in ``Request.problems`` for the policy to log.
"""
from functools import cached_property
from typing import Any
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple

__all__ = ['Request', 'parse', 'describe_request', 'Slot', 'Resolution', 'ResolvedValue',
           'Resolved', 'LAUNCH', 'INTENT', 'SESSION_ENDED', 'CAN_FULFILL', 'EXCEPTION_ENCOUNTERED',
           'ER_SUCCESS_MATCH']

LAUNCH = 'LaunchRequest'
INTENT = 'IntentRequest'
SESSION_ENDED = 'SessionEndedRequest'
CAN_FULFILL = 'CanFulfillIntentRequest'
EXCEPTION_ENCOUNTERED = 'System.ExceptionEncountered'

ER_SUCCESS_MATCH = 'ER_SUCCESS_MATCH'


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


class ResolvedValue(NamedTuple):
    """One canonical value an entity-resolution authority matched: its name and its id."""
    name: str
    id: Optional[str]


class Resolution(NamedTuple):
    """What one authority (a custom slot type, or a dynamic entity list) made of a spoken value."""
    authority: str
    status: str
    values: Tuple[ResolvedValue, ...]

    @property
    def matched(self) -> bool:
        """Alexa reports a match with ER_SUCCESS_MATCH; anything else means "no canonical value"."""
        return self.status == ER_SUCCESS_MATCH and bool(self.values)


class Resolved(NamedTuple):
    """The value a skill should act on, and where it came from.

    ``authority`` is None when no authority matched and ``value`` is what the user said.
    """
    value: Optional[str]
    id: Optional[str]
    authority: Optional[str]


class Slot(NamedTuple):
    """A slot of the intent: what the user said, its confirmation and its entity resolutions."""
    name: str
    value: Optional[str]
    confirmation_status: str
    resolutions: Tuple[Resolution, ...]

    def resolved(self) -> Resolved:
        """Prefer the canonical value a model's slot type matched over the raw words.

        Synonyms ("large", "big", "huge") reach the skill as one id, which is what business logic
        wants; the first authority that matched wins, as Alexa orders them by priority.
        """
        for resolution in self.resolutions:
            if resolution.matched:
                first = resolution.values[0]
                return Resolved(first.name, first.id, resolution.authority)
        return Resolved(self.value, None, None)


def _parse_resolutions(slot: Dict[str, Any]) -> Tuple[Resolution, ...]:
    authorities = _dict(slot.get('resolutions')).get('resolutionsPerAuthority')
    if not isinstance(authorities, list):
        return ()
    resolutions = []
    for authority in authorities:
        authority = _dict(authority)
        values = []
        for item in authority.get('values') or ():
            value = _dict(_dict(item).get('value'))
            name = _str(value.get('name'))
            if name is not None:
                values.append(ResolvedValue(name, _str(value.get('id'))))
        resolutions.append(Resolution(_str(authority.get('authority')) or '',
                                      _str(_dict(authority.get('status')).get('code')) or '',
                                      tuple(values)))
    return tuple(resolutions)


class Request:
    """One Alexa request, parsed once and shared by the policy, the states and the hooks.

    ``raw`` stays available for anything this view does not cover. Attribute access is cheap:
    slots are parsed on first use only, since most turns never look at resolutions.
    """

    def __init__(self, raw: Any) -> None:
        self.problems: List[str] = []
        if type(raw) is not dict and not isinstance(raw, dict):
            self.problems.append(f"the request is a {type(raw).__name__}, not a JSON object")
            raw = {}
        self.raw: Dict[str, Any] = raw
        body = raw.get('request')
        if type(body) is not dict:
            self.problems.append("the request has no 'request' object")
            body = {}
        self.body: Dict[str, Any] = body
        request_id = body.get('requestId')  # ties log lines and recordings to Alexa's logs
        self.request_id: Optional[str] = request_id if type(request_id) is str else None
        session = raw.get('session')
        if type(session) is not dict:
            if session is not None:
                self.problems.append("'session' is not an object")
            session = {}
        self.session: Dict[str, Any] = session
        kind = body.get('type')
        self.type: str = kind if type(kind) is str else ''
        if not self.type:
            self.problems.append("the request has no 'request.type'")
        intent = body.get('intent')
        self.intent: Dict[str, Any] = intent if type(intent) is dict else {}
        name = self.intent.get('name')
        self.intent_name: Optional[str] = name if type(name) is str else None
        if self.type == INTENT and not self.intent_name:
            self.problems.append("an IntentRequest without 'request.intent.name'")
        attributes = session.get('attributes')
        if type(attributes) is not dict:
            if attributes is not None:
                self.problems.append("'session.attributes' is not an object; starting afresh")
            attributes = {}
        self.attributes: Dict[str, Any] = attributes  # as the previous turn sent them

    @property
    def locale(self) -> Optional[str]:
        """The user's language and region, e.g. en-US, for localized responses."""
        return _str(self.body.get('locale'))

    @property
    def timestamp(self) -> Any:
        """When Alexa sent the request; verification rejects stale ones."""
        return self.body.get('timestamp')

    @property
    def session_id(self) -> Optional[str]:
        """Logs and stores key turns by session."""
        return _str(self.session.get('sessionId'))

    @property
    def new_session(self) -> bool:
        """True on the first request of a session, when Alexa sends no attributes yet."""
        return self.session.get('new') is True

    @cached_property
    def _system(self) -> Dict[str, Any]:
        return _dict(_dict(self.raw.get('context')).get('System'))

    @property
    def application_id(self) -> Optional[str]:
        """The skill id the request is for; hosting checks it against the configured ids."""
        return self._application[0]

    @property
    def application_id_from(self) -> Optional[str]:
        """The field ``application_id`` was read from, so a refusal can send the operator there.

        ``session.application.applicationId``, or ``context.System.application.applicationId``
        for a request without a session; None when neither holds one.
        """
        return self._application[1]

    @cached_property
    def _application(self) -> Tuple[Optional[str], Optional[str]]:
        in_session = _str(_dict(self.session.get('application')).get('applicationId'))
        if in_session:
            return in_session, 'session.application.applicationId'
        in_context = _str(_dict(self._system.get('application')).get('applicationId'))
        if in_context:
            return in_context, 'context.System.application.applicationId'
        return None, None

    @property
    def user_id(self) -> Optional[str]:
        """The key of per-user memory; in the session, or in the context when there is none."""
        return (_str(_dict(self.session.get('user')).get('userId'))
                or _str(_dict(self._system.get('user')).get('userId')))

    @property
    def person_id(self) -> Optional[str]:
        """Set when Alexa recognised the speaker's voice; a finer key than the account's user."""
        return _str(_dict(self._system.get('person')).get('personId'))

    @property
    def device_id(self) -> Optional[str]:
        """The device the user spoke to, for device-scoped memory."""
        return _str(_dict(self._system.get('device')).get('deviceId'))

    @property
    def dialog_state(self) -> Optional[str]:
        """STARTED, IN_PROGRESS or COMPLETED while Alexa's dialog management runs."""
        return _str(self.body.get('dialogState'))

    @property
    def intent_confirmation(self) -> str:
        """NONE, CONFIRMED or DENIED after a Dialog.ConfirmIntent."""
        return _str(self.intent.get('confirmationStatus')) or 'NONE'

    @property
    def reason(self) -> Optional[str]:
        """Why a session ended (USER_INITIATED, ERROR, EXCEEDED_MAX_REPROMPTS)."""
        return _str(self.body.get('reason'))

    @property
    def error(self) -> Dict[str, Any]:
        """The error Alexa reports on SessionEndedRequest or System.ExceptionEncountered."""
        return _dict(self.body.get('error'))

    @cached_property
    def slots(self) -> Dict[str, Slot]:
        """The intent's slots by name as the model spells them; empty for other request types."""
        raw_slots = self.intent.get('slots')
        if raw_slots is None:
            return {}
        if not isinstance(raw_slots, dict):
            self.problems.append(f"'request.intent.slots' is a {type(raw_slots).__name__}, "
                                 f"not an object; slots ignored")
            return {}
        slots = {}
        for key, slot in raw_slots.items():
            slot = _dict(slot)
            name = _str(slot.get('name')) or str(key)
            slots[name] = Slot(name, _str(slot.get('value')),
                               _str(slot.get('confirmationStatus')) or 'NONE',
                               _parse_resolutions(slot))
        return slots

    def slot_values(self) -> Dict[str, Optional[str]]:
        """Spoken values by slot name; the cheap path the session attributes use every turn."""
        raw_slots = self.intent.get('slots')
        if type(raw_slots) is not dict:
            if raw_slots is not None:
                _ = self.slots  # the getter records the problem once
            return {}
        values = {}
        for key, slot in raw_slots.items():
            if type(slot) is dict:
                name = slot.get('name')
                value = slot.get('value')
                values[name if type(name) is str else str(key)] = \
                    value if type(value) is str else None
            else:
                values[str(key)] = None
        return values

    def slot(self, name: str) -> Optional[Slot]:
        """Look a slot up by name, ignoring case as Alexa models and namedtuples differ in it."""
        slots = self.slots
        if name in slots:
            return slots[name]
        lowered = name.lower()
        for slot_name, slot in slots.items():
            if slot_name.lower() == lowered:
                return slot
        return None

    def __repr__(self) -> str:
        return f"<Request {self.type or '?'} {self.intent_name or ''} id={self.request_id}>"


def parse(raw: Any) -> Request:
    """Accept an already parsed request so callers can pass either without checking."""
    return raw if isinstance(raw, Request) else Request(raw)


def describe_request(request: Any) -> str:
    """What the user did, in one line, for reports: 'launch', 'OrderIntent(size='large')'."""
    parsed = parse(request)
    if parsed.type == LAUNCH:
        return 'launch'
    if parsed.type in (INTENT, CAN_FULFILL):
        slots = ', '.join(f'{name}={value!r}' for name, value in parsed.slot_values().items()
                          if value is not None)
        name = f'{parsed.intent_name or "?"}({slots})'
        return name if parsed.type == INTENT else f'can fulfill {name}?'
    if parsed.type == SESSION_ENDED:
        return f'session ended ({parsed.reason or "no reason"})'
    if parsed.type == EXCEPTION_ENCOUNTERED:
        return f'exception encountered ({parsed.error.get("type")})'
    return parsed.type or 'a request without a type'
