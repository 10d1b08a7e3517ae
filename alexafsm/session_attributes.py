"""SessionAttributes: the conversation's memory, and its wire format in ``session.attributes``.

The wire format is 0.1.11's, so sessions in flight survive an upgrade in either direction: the
attributes object's fields by name, ``None`` values and ``not_sent_fields`` left out, and ``slots``
as a JSON list of values in the order of the ``slots_cls`` namedtuple's fields.
"""
import inspect
import logging
from collections import namedtuple
from typing import Any
from typing import Dict
from typing import FrozenSet
from typing import List
from typing import Optional
from typing import Tuple
from typing import Type

from alexafsm.errors import SkillClassError
from alexafsm.jsonable import SCALARS
from alexafsm.jsonable import jsonable
from alexafsm.jsonable import plain_list
from alexafsm.request import Request
from alexafsm.request import parse

__all__ = ['SessionAttributes', 'INITIAL_STATE', 'NoSlots', 'ENVELOPE']

INITIAL_STATE = 'initial'
#: The session attribute alexafsm.dialogs keeps its control state in; no skill field may use it.
ENVELOPE = 'alexafsm'

logger = logging.getLogger(__name__)

NoSlots = namedtuple('NoSlots', [])


class _ClassInfo:
    """What from_request needs to know about a SessionAttributes subclass, worked out once."""

    def __init__(self, cls: Type['SessionAttributes']) -> None:
        slots_cls: Any = cls.slots_cls if cls.slots_cls is not None else NoSlots
        fields = getattr(slots_cls, '_fields', None)
        if fields is None:
            raise SkillClassError(f"{cls.__name__}.slots_cls must be a namedtuple class, e.g. "
                                  f"slots_cls = namedtuple('Slots', ['query']); got {slots_cls!r}")
        self.slots_cls = slots_cls
        self.fields: Tuple[str, ...] = tuple(fields)
        self.index: Dict[str, int] = {name.lower(): i for i, name in enumerate(fields)}
        # the names as written map where their lower case does, saving a lower() per slot
        self.exact: Dict[str, int] = {name: self.index[name.lower()] for name in fields}
        self.plain_slots = getattr(slots_cls, 'to_json', None) is None
        self.own_to_json = cls.to_json is not SessionAttributes.to_json
        self.none_slots = slots_cls._make([None] * len(fields))
        # the subclass's own __init__, read off the class: what from_request may pass it
        parameters = inspect.signature(cls.__init__).parameters.values()
        self.takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
        self.accepted: FrozenSet[str] = frozenset(
            p.name for p in parameters
            if p.name != 'self' and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))

    def slots_from_values(self, values: Dict[str, Optional[str]]) -> Any:
        """Namedtuple from the request's slots, names matched case-insensitively."""
        row: List[Optional[str]] = [None] * len(self.fields)
        exact = self.exact
        for name, value in values.items():
            i = exact.get(name)
            if i is None:
                i = self.index.get(name.lower())
                if i is None:
                    continue
            row[i] = value
        return tuple.__new__(self.slots_cls, row)  # _make() without its length check

    def slots_from_wire(self, value: Any) -> Any:
        """Namedtuple from what a previous turn sent: a list (0.1.11), a dict, or nothing.

        A list of another length comes from a deploy that changed ``slots_cls``: its values are
        kept by position as far as they go rather than failing the user's session.
        """
        if isinstance(value, self.slots_cls):
            return value
        if isinstance(value, (list, tuple)):
            row = list(value[:len(self.fields)]) + [None] * (len(self.fields) - len(value))
            return self.slots_cls._make(row)
        if isinstance(value, dict):
            return self.slots_from_values({str(k): v for k, v in value.items()})
        return self.none_slots


_INFO: Dict[Type['SessionAttributes'], _ClassInfo] = {}


def _info(cls: Type['SessionAttributes']) -> _ClassInfo:
    info = _INFO.get(cls)
    if info is None:
        info = _INFO[cls] = _ClassInfo(cls)
    return info


class SessionAttributes:
    """Base class for the attributes that carry a conversation from one turn to the next.

    Subclass it with your own fields as keyword arguments of ``__init__`` (they come back from
    ``session.attributes`` by name), a ``slots_cls`` namedtuple with one field per slot, and the
    names of fields that should not travel to Alexa in ``not_sent_fields``.
    """

    slots_cls: Optional[Type[tuple]] = None
    not_sent_fields: Any = []

    def __init__(self, intent: Optional[str] = None, slots: Any = None,
                 state: str = INITIAL_STATE) -> None:
        self.intent = intent
        self.slots = slots
        self.state = state

    @classmethod
    def from_request(cls, request: Any) -> 'SessionAttributes':
        """Rebuild the attributes of this turn: the previous turn's fields, this request's slots.

        On an intent, the request's slots replace the previous ones entirely (a slot Alexa left
        empty becomes None) so that a skill can tell whether Alexa heard a value this time.
        Never raises on bad input: unknown keys are dropped, and attributes the subclass cannot
        rebuild start the session afresh; both are logged.
        """
        info = _INFO.get(cls) or _info(cls)
        if not request:
            return cls(slots=info.none_slots)
        parsed: Request = request if type(request) is Request else parse(request)
        wire = parsed.attributes
        envelope = None
        if ENVELOPE in wire:  # alexafsm.dialogs' control state, never the skill's own field
            wire = dict(wire)
            envelope = wire.pop(ENVELOPE)
        known = wire if info.takes_any or wire.keys() <= info.accepted \
            else cls._known(wire, info, parsed)
        try:
            attributes = cls(**known)
        except Exception:  # the subclass's own conversions failed on data it once wrote
            logger.exception("request %s: %s could not be rebuilt from session attributes %s; "
                             "the session starts afresh from the initial state",
                             parsed.request_id, cls.__name__, sorted(known))
            attributes = cls(slots=info.none_slots)
        state = attributes.state
        if not isinstance(state, str) or not state:
            attributes.state = INITIAL_STATE
        if envelope is not None:
            attributes._alexafsm = envelope  # type: ignore[attr-defined]
        if parsed.intent_name is not None:
            attributes.intent = parsed.intent_name
            attributes.slots = info.slots_from_values(parsed.slot_values())
        else:
            attributes.slots = info.slots_from_wire(attributes.slots)
        return attributes

    @classmethod
    def _known(cls, wire: Dict[str, Any], info: _ClassInfo,
               request: Request) -> Dict[str, Any]:
        """The attributes ``__init__`` takes; the others are dropped, and the author told."""
        known = {k: v for k, v in wire.items() if k in info.accepted}
        unknown = sorted(set(wire) - set(known))
        logger.warning("request %s: session attributes %s are not parameters of %s.__init__ "
                       "and were dropped; add them as keyword arguments to keep them",
                       request.request_id, unknown, cls.__name__)
        return known

    def to_json(self) -> dict:
        """The fields sent back to Alexa: all but ``not_sent_fields``, None values and ``_private``.

        Private fields stay out because they are no ``__init__`` parameters and could not come
        back on the next turn.
        """
        excluded = self.not_sent_fields
        return {k: v for k, v in self.__dict__.items()
                if v is not None and k not in excluded and k[:1] != '_'}

    def wire_json(self) -> Any:
        """``to_json()`` as plain JSON values: what ``session.attributes`` carries to Alexa.

        Every response converts the attributes, so unless a subclass overrides ``to_json`` the
        fields are picked and converted in one pass instead of a dict built, then walked again.
        """
        info = _INFO.get(type(self))  # known once from_request ran, as it does on every turn
        if info is None or info.own_to_json:
            converted = jsonable(self.to_json())
            envelope = self.__dict__.get('_alexafsm')
            sent = _sent_envelope(envelope) if envelope is not None else None
            if sent and isinstance(converted, dict):
                converted[ENVELOPE] = sent
            return converted
        excluded = self.not_sent_fields
        slots_cls = info.slots_cls
        wire = {}
        for key, value in self.__dict__.items():
            if value is None or key in excluded or key[:1] == '_':
                if key == '_alexafsm':  # alexafsm.dialogs' envelope, sent when not empty
                    sent = _sent_envelope(value)
                    if sent:
                        wire[ENVELOPE] = sent
                continue
            kind = type(value)
            if kind in SCALARS:
                wire[key] = value
            elif kind is list:
                wire[key] = plain_list(value)
            elif kind is slots_cls and info.plain_slots:
                row = list(value)
                for v in row:
                    if type(v) not in SCALARS:
                        row = jsonable(value)
                        break
                wire[key] = row
            else:
                wire[key] = jsonable(value)
        return wire

    def __repr__(self) -> str:
        fields = ', '.join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _sent_envelope(envelope: Any) -> Any:
    """alexafsm.dialogs' control state as sent: the dict a request brought, untouched, or what
    the dialog machine's envelope has to say (``wire()``: None when it is empty)."""
    return envelope if type(envelope) is dict else envelope.wire()
