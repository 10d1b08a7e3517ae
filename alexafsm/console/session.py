"""What the conversation console remembers: one conversation, its transcript and its coverage.

``ConsoleSession`` talks to the skill through the chat's ``Console`` (``alexafsm chat``), so a
typed utterance is matched to an intent and slots by the same ``UtteranceMatcher``, and a
dialog the skill keeps open is carried on the same way (after ``Dialog.ElicitSlot`` the next
utterance answers the slot, ``Dialog.Delegate`` speaks the model's prompt). Each action the
user takes becomes one transcript entry holding the turns it caused (a delegated dialog can
answer itself), each turn with its request and response JSON, the transition it fired and the
problems Alexa would find in the response (``response_checks``, as the fuzzer applies them).

Every method returns ``snapshot()``, the whole state of the page as JSON-ready data, so the page
redraws from one answer and a reload shows the conversation where it was.
"""
import inspect
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Set
from typing import Type
from typing import Union

from alexafsm.errors import AlexafsmError
from alexafsm.errors import ConsoleError
from alexafsm.extensions import Extensions
from alexafsm.request import parse
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.testing.chat import Console
from alexafsm.testing.chat import speech_text
from alexafsm.testing.conversation import ConversationError
from alexafsm.testing.conversation import Turn
from alexafsm.testing.dialogue import has_dialog_model
from alexafsm.testing.playback import diff_responses
from alexafsm.testing.requests import CONFIRMATION_STATUSES
from alexafsm.testing.requests import DIALOG_STATES
from alexafsm.testing.requests import SESSION_END_REASONS
from alexafsm.testing.response_checks import response_problems
from alexafsm.testing.stories import Story
from alexafsm.tools.coverage import fired_transition
from alexafsm.tools.coverage import turn_step
from alexafsm.tools.describe import condition_labels
from alexafsm.tools.describe import machine_of
from alexafsm.tools.graph import drawn_edges
from alexafsm.tools.graph import edge_key
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.transcript import RecordedTurn
from alexafsm.transcript import parse_turns

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['ConsoleSession', 'ConsoleError', 'DIALOG_KEY', 'skill_spec']

#: The session attribute the dialogs work keeps its stack in; shown when a skill sends it.
DIALOG_KEY = 'alexafsm'
_STORY_SUFFIXES = ('.yaml', '.yml')


def skill_spec(policy_cls: Type['Policy']) -> str:
    """How ``alexafsm stories`` and the pytest plugin name the skill: 'module:Class'."""
    return f"{policy_cls.__module__}:{policy_cls.__qualname__}"


class _Chat(Console):
    """The chat console with its text output kept as notes of the action, not printed: the page
    shows the turns themselves, and the notes say what the turns cannot (the dialog model's
    prompts, an utterance nothing matched)."""

    def __init__(self, policy_cls: Type['Policy'], model: InteractionModel,
                 store: Any) -> None:
        self.notes: List[str] = []
        super().__init__(policy_cls, model, write=self._note, store=store)

    def _note(self, line: str) -> None:
        self.notes.append(line.strip())

    def _show(self, turn: Turn, depth: int = 0) -> Turn:
        """Follow the dialog as the chat does, without writing the turn out."""
        if turn.should_end:
            self.dialog = None
        else:
            self._follow_dialog(turn, depth)
        return turn


class ConsoleSession:
    """The console's conversation with ``policy_cls``, safe to drive from several threads.

    ``store`` is given to the conversation as to ``Conversation`` (a URL, a store object, or None
    for the skill's own). ``reset()`` starts over with a fresh conversation and coverage.
    """

    def __init__(self, policy_cls: Type['Policy'], model: InteractionModel, *,
                 store: Any = None) -> None:
        self.policy_cls = policy_cls
        self.model = model
        self.store = store
        self.machine = machine_of(policy_cls)
        self.edges = {t: index for index, t in enumerate(drawn_edges(self.machine))}
        self._lock = threading.RLock()
        self.reset()

    # -- actions ---------------------------------------------------------------------------

    def reset(self) -> Dict[str, Any]:
        """Forget the conversation, the transcript, the coverage and any loaded recording."""
        with self._lock:
            self.chat = _Chat(self.policy_cls, self.model, self.store)
            self.entries: List[Dict[str, Any]] = []
            self.visited_states: Set[str] = set()
            self.visited_edges: Set[int] = set()
            self.recording: List[RecordedTurn] = []
            self.recording_name: Optional[str] = None
            self.recording_position = 0
            return self.snapshot()

    def launch(self) -> Dict[str, Any]:
        """"Alexa, open <skill>": a new session, even when one is open."""
        with self._lock:
            self.chat.dialog = None
            self._act('launch', 'open the skill', self.chat.start)
            return self.snapshot()

    def end(self, reason: str = 'USER_INITIATED') -> Dict[str, Any]:
        """The session closes without the skill closing it (SessionEndedRequest)."""
        if reason not in SESSION_END_REASONS:
            raise ConsoleError(f"a session ends for one of {', '.join(SESSION_END_REASONS)}, "
                               f"got {reason!r}")
        with self._lock:
            if not self.chat.chat.in_session:
                raise ConsoleError("no session is open to end: the skill ended it, or none was "
                                   "started; open the skill (new session) first")
            self.chat.dialog = None
            self._act('end', f'session ended ({reason})', lambda: self.chat.chat.end(reason))
            return self.snapshot()

    def say(self, text: str, *, one_shot: bool = False) -> Dict[str, Any]:
        """What the user says, matched to an intent and slots as ``alexafsm chat`` matches it.

        ``one_shot`` says it as "Alexa, ask <skill> to ...": an open session is ended first and
        the utterance opens a new one.
        """
        text = text.strip()
        if not text:
            raise ConsoleError("say something: the utterance is empty")
        with self._lock:
            self._one_shot(one_shot)

            def act() -> None:
                request = self.chat._understand(text)
                if request is None:
                    self.chat.notes.append("no intent matched (the model has no "
                                           "AMAZON.FallbackIntent to send)")
                    return
                intent, slots, options = request
                self._send(intent, slots, options)
            self._act('one-shot' if one_shot else 'say', text, act)
            return self.snapshot()

    def say_intent(self, intent: str, slots: Optional[Mapping[str, Any]] = None, *,
                   dialog_state: Optional[str] = None, confirmation_status: str = 'NONE',
                   one_shot: bool = False) -> Dict[str, Any]:
        """The user says ``intent`` with ``slots``, picked from the model rather than typed.

        For an intent with a dialog model the dialog state defaults to STARTED, as Alexa sends it.
        """
        model_intent = self.model.intent(intent)
        if model_intent is None:
            raise ConsoleError(f"{intent!r} is not an intent of the model {self.model.source}; "
                               f"pick one of {', '.join(self.model.intent_names)}")
        if dialog_state is not None and dialog_state not in DIALOG_STATES:
            raise ConsoleError(f"dialog_state is one of {', '.join(DIALOG_STATES)}, got "
                               f"{dialog_state!r}")
        if confirmation_status not in CONFIRMATION_STATUSES:
            raise ConsoleError(f"confirmation_status is one of "
                               f"{', '.join(CONFIRMATION_STATUSES)}, got {confirmation_status!r}")
        values = {str(name): (None if value in (None, '') else str(value))
                  for name, value in (slots or {}).items()}
        options: Dict[str, Any] = {}
        if dialog_state is None and has_dialog_model(model_intent):
            dialog_state = 'STARTED'
        if dialog_state is not None:
            options['dialog_state'] = dialog_state
        if confirmation_status != 'NONE':
            options['confirmation_status'] = confirmation_status
        shown = ', '.join(f'{k}={v!r}' for k, v in values.items() if v is not None)
        with self._lock:
            self._one_shot(one_shot)
            self.chat.dialog = None
            self._act('one-shot' if one_shot else 'intent', f'{intent}({shown})',
                      lambda: self._send(intent, values, options))
            return self.snapshot()

    def load_recording(self, text: str, name: str = 'recording') -> Dict[str, Any]:
        """Take a recording's JSON lines, to replay turn by turn with ``step_recording``."""
        turns = parse_turns(text.splitlines(), name)
        if not turns:
            raise ConsoleError(f"{name} holds no turns: a recording has one [request, response] "
                               f"JSON list per line")
        with self._lock:
            self.recording, self.recording_name, self.recording_position = turns, name, 0
            return self.snapshot()

    def step_recording(self) -> Dict[str, Any]:
        """Send the next recorded request to the skill, and show how the answer differs from the
        recorded one (none: the skill still answers as it did)."""
        with self._lock:
            if self.recording_position >= len(self.recording):
                raise ConsoleError("no recorded turn left to replay: load a recording first"
                                   if not self.recording else
                                   f"all {len(self.recording)} turns of {self.recording_name} "
                                   f"were replayed")
            recorded = self.recording[self.recording_position]
            self.recording_position += 1
            entry = self._act('recording', f'{self.recording_name}:{recorded.line}',
                              lambda: self.chat.chat.send(recorded.request))
            if entry['turns']:
                entry['differences'] = diff_responses(recorded.response,
                                                      entry['turns'][-1]['response'])
            return self.snapshot()

    def story(self, name: str, path: Optional[str] = None, *,
              overwrite: bool = False) -> Dict[str, Any]:
        """The conversation so far as a story that ``alexafsm stories`` replays, each turn
        checking the state it reached; written to ``path`` too when given.

        The story's ``model`` is written relative to the story file (to the working folder when
        there is no file), as story files resolve it.
        """
        name = name.strip()
        if not name:
            raise ConsoleError("give the story a name: failures are reported by it")
        with self._lock:
            turns = list(self.chat.chat.turns)
        if not turns:
            raise ConsoleError("nothing was said yet: talk to the skill, then save the story")
        target = Path(path) if path else None
        if target is not None:
            if target.suffix.lower() not in _STORY_SUFFIXES:
                raise ConsoleError(f"{path}: a story file ends in .yaml or .yml")
            if target.exists() and not overwrite:
                raise ConsoleError(f"{path} exists: pick another name, or overwrite it")
        folder = (target.resolve().parent if target is not None else Path.cwd())
        model = os.path.relpath(Path(self.model.source).resolve(), folder)
        try:
            story = Story.from_conversation(name, turns)
        except AlexafsmError as error:
            raise ConsoleError(f"this conversation has no story form: {error}") from None
        text = story.to_yaml(skill=skill_spec(self.policy_cls), model=model)
        if target is not None:
            try:
                target.write_text(text, encoding='utf-8')
            except OSError as error:
                raise ConsoleError(f"cannot write {path}: {error.strerror or error}") from None
        return {'name': name, 'path': str(target) if target is not None else None,
                'yaml': text, 'turns': len(turns)}

    # -- what the page shows ---------------------------------------------------------------

    def snapshot(self) -> Dict[str, Any]:
        """Everything the page shows, as JSON-ready data."""
        with self._lock:
            turns = self.chat.chat.turns
            last = turns[-1] if turns else None
            current = last.state if last is not None else None
            last_entry = self.entries[-1] if self.entries else None
            last_turn = last_entry['turns'][-1] if last_entry and last_entry['turns'] else None
            attributes = last.attributes if last is not None else {}
            dialog = self.chat.dialog
            return {
                'skill': skill_spec(self.policy_cls),
                'in_session': self.chat.chat.in_session,
                'state': current,
                'last_edge': last_turn['transition']['edge']
                if last_turn and last_turn['transition'] else None,
                'visited_states': sorted(self.visited_states),
                'visited_edges': sorted(self.visited_edges),
                'entries': self.entries,
                'session_attributes': attributes,
                'dialog_stack': attributes.get(DIALOG_KEY) if isinstance(attributes, dict)
                else None,
                'persistent': self._persistent(last),
                'waiting_for': None if dialog is None else {
                    'intent': dialog.intent, 'elicit': dialog.elicit,
                    'confirm_slot': dialog.confirm_slot, 'confirm_intent': dialog.confirm_intent},
                'recording': None if not self.recording else {
                    'name': self.recording_name, 'position': self.recording_position,
                    'total': len(self.recording)},
            }

    def model_json(self) -> Dict[str, Any]:
        """The model's intents with their slots and sample utterances, for the intent picker."""
        return {
            'source': self.model.source,
            'invocation_name': self.model.invocation_name,
            'intents': [{'name': intent.name,
                         'dialog': has_dialog_model(intent),
                         'samples': list(intent.samples[:5]),
                         'slots': [{'name': slot.name, 'type': slot.type,
                                    'values': self._slot_values(slot.type)}
                                   for slot in intent.slots]}
                        for intent in self.model.intents.values()],
            'dialog_states': list(DIALOG_STATES),
            'confirmation_statuses': list(CONFIRMATION_STATUSES),
            'end_reasons': list(SESSION_END_REASONS),
        }

    def state_details(self, state: str) -> Dict[str, Any]:
        """A state's transitions out and in, and its responder (the States method that answers
        in it) with its documentation and where to find it."""
        fsm = self.machine
        if state not in fsm.state_set:
            raise ConsoleError(f"{state!r} is not a state of {self.policy_cls.__name__} "
                               f"(states: {', '.join(fsm.states)})")
        out = [self._transition_json(t) for trigger in fsm.events
               for t in fsm.candidates(trigger, state)]
        # a transition declared from '*' comes in once, as the drawing shows it, not per source
        into = [self._transition_json(t) for t in
                dict.fromkeys(edge_key(t) for t in fsm.transitions if t.dest == state)]
        return {'state': state, 'initial': state == INITIAL_STATE, 'out': out, 'in': into,
                'responder': _responder(fsm.states_cls, state, fsm.responders.get(state))}

    # -- plumbing --------------------------------------------------------------------------

    def _one_shot(self, one_shot: bool) -> None:
        if one_shot:
            self.chat.dialog = None
            if self.chat.chat.in_session:
                self._act('end', 'session ended (USER_INITIATED), for the one-shot request',
                          lambda: self.chat.chat.end('USER_INITIATED'))

    def _send(self, intent: str, slots: Mapping[str, Optional[str]],
              options: Mapping[str, Any]) -> None:
        turn = self.chat._say(intent, slots, options)
        if turn is not None:
            self.chat._show(turn)

    def _act(self, kind: str, said: str, action: Callable[[], Any]) -> Dict[str, Any]:
        """Run one user action and write its transcript entry, which it returns."""
        before = len(self.chat.chat.turns)
        self.chat.notes = []
        error = None
        try:
            action()
        except ConversationError as problem:
            error = str(problem)
        entry = {'number': len(self.entries) + 1, 'kind': kind, 'said': said,
                 'notes': list(self.chat.notes), 'error': error,
                 'turns': [self._turn_json(turn) for turn in self.chat.chat.turns[before:]]}
        self.entries.append(entry)
        return entry

    def _turn_json(self, turn: Turn) -> Dict[str, Any]:
        body = turn.response.get('response') or {}
        step = turn_step(self.machine, turn.request, turn.response)
        fired = fired_transition(self.machine, step) if step is not None else None
        if turn.state is not None:
            self.visited_states.add(turn.state)
        transition = None
        if fired is not None:
            transition = {**self._transition_json(fired), 'source': step[0] if step else None}
            self.visited_edges.add(transition['edge'])
            self.visited_states.add(fired.source)
        card = turn.card
        return {
            'said': turn.said,
            'request_type': (turn.request.get('request') or {}).get('type'),
            'speech': speech_text(turn.speech) or None,
            'reprompt': speech_text(turn.reprompt) or None,
            'card': None if not card else {
                'title': card.get('title') or card.get('type'),
                'text': card.get('content') or card.get('text') or ''},
            'directives': [_directive_json(d) for d in body.get('directives') or []],
            'should_end': turn.should_end,
            'state_before': _state_before(turn.request),
            'state': turn.state,
            'transition': transition,
            'unmatched': step is not None and fired is None,
            'problems': [{'code': p.code, 'message': p.message}
                         for p in response_problems(turn.request, turn.response, self.model)],
            'request': turn.request,
            'response': turn.response,
        }

    def _transition_json(self, t: Any) -> Dict[str, Any]:
        return {'trigger': t.trigger, 'source': t.source, 'dest': t.dest,
                'conditions': condition_labels(t), 'declared_on': t.declared_on,
                'from_any_state': t.from_any_state, 'edge': self.edges.get(edge_key(t))}

    def _slot_values(self, type_name: str) -> List[str]:
        slot_type = self.model.slot_type(type_name)
        return [value.value for value in slot_type.values][:50] if slot_type else []

    def _persistent(self, last: Optional[Turn]) -> Dict[str, Any]:
        """The user's persistent attributes as the store holds them after the last turn."""
        host = self.chat.chat.extensions
        own = getattr(self.policy_cls, 'extensions', None)
        extensions: Optional[Extensions] = host.over(own) if host is not None else own
        store = extensions.store if extensions is not None else None
        if store is None:
            return {'store': None, 'key': None, 'attributes': None}
        described = getattr(store, 'description', None) or type(store).__name__
        if last is None:
            return {'store': described, 'key': None, 'attributes': None}
        try:
            key = extensions.key_function(parse(last.request)) if extensions else None
            record = store.load(key) if isinstance(key, str) and key else None
        except Exception as error:  # a store that is down is shown, not fatal to the page
            return {'store': described, 'key': None, 'attributes': None,
                    'error': f'{type(error).__name__}: {error}'}
        return {'store': described, 'key': key,
                'attributes': _json_object(record.text) if record is not None else {}}


def _directive_json(directive: Any) -> Dict[str, Any]:
    if not isinstance(directive, dict):
        return {'type': repr(directive)}
    shown = {'type': directive.get('type')}
    for key in ('slotToElicit', 'slotToConfirm'):
        if key in directive:
            shown[key] = directive[key]
    return shown


def _state_before(request: Mapping[str, Any]) -> Optional[str]:
    """The state the session was in when the request came: None for a new session."""
    attributes = (request.get('session') or {}).get('attributes')
    return attributes.get('state') if isinstance(attributes, dict) else None


def _json_object(text: str) -> Union[Dict[str, Any], str]:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _shown_path(path: Optional[str]) -> Optional[str]:
    """A source file as the author finds it: relative to the working folder when inside it."""
    if path is None:
        return None
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _responder(states_cls: Type[Any], state: str,
               method: Optional[Callable[..., Any]]) -> Optional[Dict[str, Any]]:
    if method is None or not callable(method):
        return None
    function = inspect.unwrap(method)
    try:
        source, line = inspect.getsourcelines(function)
        where: Optional[str] = f"{_shown_path(inspect.getsourcefile(function))}:{line}"
        code: Optional[str] = ''.join(source)
    except (OSError, TypeError):
        where = code = None
    # a mounted dialog's state ('order.confirming') is answered by the dialog class's method
    name = f"{states_cls.__name__}.{state}" if '.' not in state else function.__qualname__
    return {'name': name, 'doc': inspect.getdoc(function),
            'where': where, 'source': code}
