"""Talk to a skill the way Alexa does, one turn at a time, without a device or a server.

``Conversation`` keeps what Alexa keeps between turns: the session id, and the session
attributes of the last response, which go back to the skill through JSON exactly as Alexa
carries them (so a value that does not survive ``json.dumps`` fails here, not on a device).
When the skill ends the session, the next turn opens a new one::

    chat = Conversation(PizzaPolicy, model='skill-package/interactionModels/custom/en-US.json')
    assert chat.launch().state == 'initial'
    turn = chat.say('OrderIntent', size='big')
    assert 'large' in turn.speech
"""
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm.errors import ConversationError
from alexafsm.extensions import Extensions
from alexafsm.persistence import open_store
from alexafsm.request import INTENT
from alexafsm.request import LAUNCH
from alexafsm.request import SESSION_ENDED
from alexafsm.request import Resolution
from alexafsm.request import describe_request
from alexafsm.response import reprompt_of
from alexafsm.response import speech_of
from alexafsm.testing.requests import APPLICATION_ID
from alexafsm.testing.requests import DEVICE_ID
from alexafsm.testing.requests import USER_ID
from alexafsm.testing.requests import Caller
from alexafsm.testing.requests import custom_type_resolution
from alexafsm.testing.requests import intent_request
from alexafsm.testing.requests import launch_request
from alexafsm.testing.requests import random_id
from alexafsm.testing.requests import session_ended_request
from alexafsm.testing.requests import slot_words
from alexafsm.testing.requests import utc_now
from alexafsm.tools.interaction_model import Intent as IntentModel
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import Slot as SlotModel
from alexafsm.tools.interaction_model import SlotType
from alexafsm.tools.interaction_model import load_model

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['Conversation', 'Turn', 'respond', 'ConversationError', 'PathOrModel', 'MEMORY']

#: The store dev tools use unless told otherwise: a fresh memory, so tests never touch real users.
MEMORY = 'memory://'

PathOrModel = Union[str, 'os.PathLike[str]', InteractionModel]


@dataclass(frozen=True)
class Turn:
    """One request and the skill's response, both as the JSON that went over the wire."""

    request: Dict[str, Any]
    response: Dict[str, Any]

    @property
    def said(self) -> str:
        """What the user did, for failure messages: 'launch', "OrderIntent(size='large')"."""
        return describe_request(self.request)

    @property
    def speech(self) -> Optional[str]:
        """What Alexa says: the text, or the SSML markup for SSML speech."""
        return speech_of(self.response)

    @property
    def reprompt(self) -> Optional[str]:
        """What Alexa says when the user stays silent."""
        return reprompt_of(self.response)

    @property
    def attributes(self) -> Dict[str, Any]:
        """The session attributes the skill sent back; the next turn of the session gets them."""
        return self.response.get('sessionAttributes') or {}

    @property
    def state(self) -> Optional[str]:
        """The state the skill is in after this turn (None when it sent no session attributes)."""
        return self.attributes.get('state')

    @property
    def should_end(self) -> bool:
        """Whether the skill closed the session; only an explicit true does."""
        return (self.response.get('response') or {}).get('shouldEndSession') is True

    @property
    def card(self) -> Optional[Dict[str, Any]]:
        """The card shown in the Alexa app, as its JSON, or None."""
        return (self.response.get('response') or {}).get('card')


class Conversation:
    """A user talking to ``policy_cls``: ``launch()``, ``say(intent, **slots)``, ``end()``.

    With ``model`` (an ``InteractionModel`` or the path of one), intents and slot names are
    checked against it, slot names may be written in any case, every slot of the intent is sent
    (unfilled ones without a value, as Alexa does) and custom slot types get the entity
    resolutions Alexa would report. Without it, slots are sent as given. ``record_to`` appends
    every turn to a recording that ``alexafsm playback`` and ``alexafsm coverage`` read.

    Persistent attributes live in a fresh memory store of the conversation's own unless
    ``store`` names another (a URL such as 'sqlite:///test.sqlite3', or a store object); None
    leaves the skill's own (``Policy.extensions``), as a host without a store would. When the
    skill's code raises, the turn re-raises that exception, with its own message and
    traceback, so a test fails where the bug is; ``apologize=True`` hears the apology instead,
    as a user would, for tests of what users hear when something breaks.
    """

    def __init__(self, policy_cls: Type['Policy'], *, user_id: str = USER_ID,
                 device_id: str = DEVICE_ID, locale: str = 'en-US',
                 application_id: str = APPLICATION_ID,
                 record_to: Optional[Union[str, 'os.PathLike[str]']] = None,
                 model: Optional[PathOrModel] = None, clock: Any = utc_now,
                 ids: Callable[[str], str] = random_id, store: Any = MEMORY,
                 analytics: Any = None, apologize: bool = False) -> None:
        self.policy_cls = policy_cls
        # built once, as a host does: the same store serves every turn and every session
        self.extensions = Extensions(store=open_store(store), analytics=analytics)
        self.apologize = apologize
        self._failures: List[Tuple[str, BaseException]] = []
        self.extensions.failure_observer(self._observe)
        self.caller = Caller(application_id=application_id, user_id=user_id,
                             device_id=device_id, locale=locale, clock=clock, ids=ids)
        self.record_to = os.fspath(record_to) if record_to is not None else None
        self.model: Optional[InteractionModel] = (
            model if model is None or isinstance(model, InteractionModel) else load_model(model))
        self.turns: List[Turn] = []
        self.session_id: Optional[str] = None
        self.attributes: Dict[str, Any] = {}

    @property
    def in_session(self) -> bool:
        """Whether the next turn continues a session rather than opening a new one."""
        return self.session_id is not None

    def launch(self) -> Turn:
        """"Alexa, open <skill>": a new session, even when one is open."""
        return self.send(launch_request(caller=self.caller))

    def say(self, intent: str, /, *, dialog_state: Optional[str] = None,
            confirmation_status: str = 'NONE',
            slot_confirmations: Optional[Mapping[str, str]] = None, **slots: Any) -> Turn:
        """The user says something the model understands as ``intent`` with ``slots``.

        Outside a session this is a one-shot request ("Alexa, ask <skill> to ..."), which opens
        one. Numbers are sent as the strings Alexa would send.
        """
        return self._say(intent, slots, dialog_state=dialog_state,
                         confirmation_status=confirmation_status,
                         slot_confirmations=slot_confirmations)

    def _say(self, intent: str, slots: Mapping[str, Any], *, dialog_state: Optional[str] = None,
             confirmation_status: str = 'NONE',
             slot_confirmations: Optional[Mapping[str, str]] = None) -> Turn:
        """``say`` with the slots as one mapping, for the stories and the chat, whose slot
        names could otherwise collide with say's own keyword arguments."""
        wire_slots, resolutions = self._slots(intent, slots)
        confirmations = {self._slot_name(intent, name): status
                         for name, status in (slot_confirmations or {}).items()}
        try:
            request = intent_request(
                intent, wire_slots, attributes=self.attributes, dialog_state=dialog_state,
                confirmation_status=confirmation_status, slot_confirmations=confirmations,
                resolutions=resolutions, caller=self.caller, session_id=self.session_id,
                new=not self.in_session)
        except (TypeError, ValueError) as error:
            raise ConversationError(f"{intent}: {error}") from None
        return self.send(request)

    def end(self, reason: str = 'USER_INITIATED',
            error: Optional[Mapping[str, str]] = None) -> Turn:
        """The session closes without the skill ending it (the user left, or it timed out)."""
        if not self.in_session:
            raise ConversationError(
                "end(): no session is open, and Alexa sends SessionEndedRequest only for an open "
                "one; the skill ended the last session itself (shouldEndSession true) or none "
                "was started: launch() or say() first")
        try:
            request = session_ended_request(reason, error, attributes=self.attributes,
                                            caller=self.caller, session_id=self.session_id)
        except ValueError as problem:
            raise ConversationError(f"end(): {problem}") from None
        return self.send(request)

    def send(self, request: Mapping[str, Any]) -> Turn:
        """Hand any request envelope to the skill as Alexa would, and carry the session on.

        The seam for tools that build their own requests: a launch or intent request that opens
        a session (``new`` true) makes it the conversation's session; a request of that session
        updates its attributes, which close when the skill ends the session or it ended.
        """
        request = copied = json.loads(json.dumps(request))
        del self._failures[:]
        turn = Turn(copied, respond(self.policy_cls, copied, record_to=self.record_to,
                                    extensions=self.extensions))
        failures = list(self._failures)
        self.turns.append(turn)
        session = request.get('session') or {}
        kind = (request.get('request') or {}).get('type')
        if session.get('new') is True and kind in (LAUNCH, INTENT):
            self.session_id = session.get('sessionId')
        if self.session_id is not None and session.get('sessionId') == self.session_id:
            if turn.should_end or kind == SESSION_ENDED:
                self.session_id, self.attributes = None, {}
            else:
                self.attributes = turn.attributes
        if failures and not self.apologize:
            raise _skill_error(turn, *failures[0])
        return turn

    def _observe(self, request: Any, stage: str, error: BaseException) -> None:
        """The failure observer: the turn's failures, re-raised by ``send`` unless apologizing."""
        self._failures.append((stage, error))

    def _slots(self, intent: str, slots: Mapping[str, Any]
               ) -> Tuple[Dict[str, Optional[str]], Dict[str, Resolution]]:
        values = {name: _slot_text(intent, name, value) for name, value in slots.items()}
        model = self.model
        if model is None:
            return values, {}
        model_intent = _model_intent(model, intent)
        wire: Dict[str, Optional[str]] = {slot.name: None for slot in model_intent.slots}
        resolutions: Dict[str, Resolution] = {}
        for name, value in values.items():
            slot = _model_slot(model, model_intent, name)
            wire[slot.name] = value
            slot_type = model.slot_type(slot.type)
            if value is not None and slot_type is not None and _resolvable(slot_type):
                match = slot_type.resolve(value)
                resolutions[slot.name] = custom_type_resolution(
                    slot.type, match.value if match else None, match.id if match else None,
                    application_id=self.caller.application_id)
        return wire, resolutions

    def _slot_name(self, intent: str, name: str) -> str:
        """The model's spelling of a slot name; as given without a model."""
        if self.model is None:
            return name
        return _model_slot(self.model, _model_intent(self.model, intent), name).name


def _model_intent(model: InteractionModel, intent: str) -> IntentModel:
    """The model's intent, or the test's mistake explained: Alexa never sends an unknown one."""
    model_intent = model.intent(intent)
    if model_intent is None:
        raise ConversationError(
            f"{intent!r} is not an intent of the interaction model {model.source}, so "
            f"Alexa would never send it (intents: {', '.join(model.intent_names)}): "
            f"fix the intent name or add the intent to the model")
    return model_intent


def _model_slot(model: InteractionModel, model_intent: IntentModel, name: str) -> SlotModel:
    """The intent's slot ``name`` (in the model's spelling), or the test's mistake explained."""
    slot = model_intent.slot(name)
    if slot is None:
        raise ConversationError(
            f"{model_intent.name} has no slot {name!r} in the interaction model {model.source} "
            f"(its slots: {', '.join(model_intent.slot_names) or 'none'}): fix the "
            f"slot name in the test or add the slot to the intent")
    return slot


def respond(policy_cls: Type['Policy'], request: Mapping[str, Any], *,
            record_to: Optional[str] = None, extensions: Any = None) -> Dict[str, Any]:
    """The skill's answer to one request, handled as a fresh Lambda invocation handles it.

    A new policy per request, so nothing but the session attributes (and the store's
    persistent attributes) carries over; the answer goes through JSON, so the caller sees
    exactly what Alexa would receive.
    """
    request = json.loads(json.dumps(request))
    envelope = policy_cls.respond(request, record_filename=record_to, extensions=extensions)
    return json.loads(json.dumps(envelope))


def _skill_error(turn: Turn, stage: str, error: BaseException) -> BaseException:
    """The exception the skill raised, to re-raise in the test, with a note naming the turn.

    The exception itself (its type, message and traceback into the skill's code) is what the
    test should fail with; a failure that raised nothing of its own (a response Alexa would
    refuse) comes as the pipeline's ``TurnFailed``.
    """
    note = (f"alexafsm: raised at the {stage} step of the turn {turn.said}, in state "
            f"{(turn.request.get('session') or {}).get('attributes', {}).get('state', 'initial')!r}"
            f"; Conversation(apologize=True) hears the apology instead")
    add_note = getattr(error, 'add_note', None)
    if callable(add_note) and note not in getattr(error, '__notes__', ()):
        add_note(note)
    return error


def _resolvable(slot_type: SlotType) -> bool:
    """Alexa resolves entities for custom types and for built-in types the model extends."""
    return bool(slot_type.values)


def _slot_text(intent: str, name: str, value: Any) -> Optional[str]:
    try:
        return slot_words(value)
    except TypeError:
        raise ConversationError(f"{intent}: slot {name!r} is {type(value).__name__} {value!r}, "
                                f"but Alexa sends slot values as the words it heard: pass a "
                                f"string") from None
