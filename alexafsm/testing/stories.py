"""Stories: conversations written down as YAML, with what the skill must answer at each turn.

A story file holds one or more stories. Its top level is a list of stories, or a mapping with
``stories`` (a list of ``{name, turns}``, or a mapping from name to turns) and two optional
settings: ``skill``, the Policy the pytest plugin and ``alexafsm stories`` run it against
('package.module:PolicyClass'), and ``model``, an interaction model (a path relative to the
story file) that makes intents and slot names checked and custom slot types resolved, as in
``Conversation(model=...)``::

    skill: pizza.skill:PizzaPolicy
    model: pizza.model.json
    stories:
      - name: order a large pizza
        turns:
          - launch:
            state: initial
            speech_contains: Welcome
          - intent: OrderIntent
            slots: {Size: big, Topping: mushrooms}
            state: confirming
            speech: A large pizza with mushrooms. Shall I order it?
          - intent: AMAZON.YesIntent
            should_end: true
            card_title: Pizza ordered
      - name: leave while choosing
        turns:
          - intent: OrderIntent
            speech_matches: 'small, medium or large\\?$'
          - end: USER_INITIATED

Each turn does one thing: ``launch``, ``intent`` (with ``slots``, and optionally
``dialog_state`` and ``confirmation_status``), or ``end`` (a SessionEndedRequest with a reason,
USER_INITIATED when left empty). Whatever else the turn names is checked against the response:
``state``, ``speech`` (equal; null: nothing said, as with Dialog.Delegate), ``speech_contains``
(a string or a list of them), ``speech_matches`` (a regular expression, searched),
``reprompt`` (equal; null: none), ``should_end``, ``card_title`` (null: no card) and
``directives``: the response's directives in order, each given by its type or by a mapping of
the fields it must have (``[]``: none)::

          - intent: OrderPizzaIntent
            dialog_state: STARTED
            speech: null
            directives: [Dialog.Delegate]
          - intent: OrderPizzaIntent
            directives: [{type: Dialog.ElicitSlot, slotToElicit: topping}]

Speech is compared as sent: SSML speech includes its markup.

A skill using ``alexafsm.dialogs`` can also check its stack and forms: ``stack`` (the suspended
states the answer carries, oldest first; ``[]``: none), ``resumed`` (whether the turn went back
to a suspended state) and ``frame`` (values the current form's store must hold, a subset)::

          - intent: AMAZON.HelpIntent
            state: helping
            stack: [order.asking]
          - intent: AMAZON.YesIntent
            state: order.asking
            resumed: true
            frame: {size: LARGE}

When the skill's code raises, the story fails at that turn with the exception's message and
traceback. A story about what users hear when something breaks sets ``apologize: true`` (beside
its ``name``, or at the top of the file for every story), and the turn then answers with the
apology, which its checks can match.
"""
import re
import traceback
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Mapping
from typing import Optional
from typing import Sequence
from typing import Tuple
from typing import Type
from typing import Union

import yaml

from alexafsm._hints import did_you_mean
from alexafsm.errors import StoryError
from alexafsm.request import INTENT
from alexafsm.request import LAUNCH
from alexafsm.request import SESSION_ENDED
from alexafsm.request import parse
from alexafsm.testing import conversation
from alexafsm.testing import dialog_checks
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.conversation import ConversationError
from alexafsm.testing.conversation import PathOrModel
from alexafsm.testing.requests import CONFIRMATION_STATUSES
from alexafsm.testing.requests import DIALOG_STATES
from alexafsm.testing.requests import SESSION_END_REASONS
from alexafsm.testing.requests import slot_words
from alexafsm.testing.response_checks import response_problems

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['run_story', 'load_stories', 'parse_stories', 'dump_stories', 'Story', 'StoryFile',
           'StoryResult', 'Turn', 'Mismatch', 'StoryError', 'ACTIONS', 'LAUNCH_ACTION',
           'INTENT_ACTION', 'END_ACTION', 'EXPECTATIONS', 'INTENT_OPTIONS', 'FILE_KEYS',
           'STORY_KEYS']

LAUNCH_ACTION, INTENT_ACTION, END_ACTION = 'launch', 'intent', 'end'
ACTIONS = (LAUNCH_ACTION, INTENT_ACTION, END_ACTION)
EXPECTATIONS = ('state', 'speech', 'speech_contains', 'speech_matches', 'reprompt',
                'should_end', 'card_title', 'directives', 'stack', 'resumed', 'frame')
INTENT_OPTIONS = ('slots', 'dialog_state', 'confirmation_status')
FILE_KEYS = ('skill', 'model', 'apologize', 'stories')
STORY_KEYS = ('name', 'apologize', 'turns')


@dataclass(frozen=True)
class Turn:
    """One turn of a story: what the user does, and what the skill's answer must satisfy.

    Build turns with ``Turn.launch()``, ``Turn.say(intent, slots)``, ``Turn.end(reason)``, or
    from a recorded request with ``Turn.from_request``; ``expect`` holds the checks by name.
    """

    action: str
    intent: Optional[str] = None
    slots: Mapping[str, Optional[str]] = field(default_factory=dict)
    reason: str = 'USER_INITIATED'
    dialog_state: Optional[str] = None
    confirmation_status: str = 'NONE'
    expect: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_turn(self)

    @classmethod
    def launch(cls, **expect: Any) -> 'Turn':
        """The user opens the skill."""
        return cls(LAUNCH_ACTION, expect=expect)

    @classmethod
    def say(cls, intent: str, slots: Optional[Mapping[str, Optional[str]]] = None,
            **expect: Any) -> 'Turn':
        """The user says something the model maps to ``intent``."""
        return cls(INTENT_ACTION, intent=intent, slots=dict(slots or {}), expect=expect)

    @classmethod
    def end(cls, reason: str = 'USER_INITIATED', **expect: Any) -> 'Turn':
        """The session closes without the skill closing it."""
        return cls(END_ACTION, reason=reason, expect=expect)

    @classmethod
    def from_request(cls, request: Any, **expect: Any) -> 'Turn':
        """The story turn that sends what ``request`` sent, so a recorded session can be replayed
        and trimmed as a story."""
        parsed = parse(request)
        if parsed.type == LAUNCH:
            return cls.launch(**expect)
        if parsed.type == INTENT:
            return cls(INTENT_ACTION, intent=parsed.intent_name,
                       slots={k: v for k, v in parsed.slot_values().items() if v is not None},
                       dialog_state=parsed.dialog_state,
                       confirmation_status=parsed.intent_confirmation, expect=expect)
        if parsed.type == SESSION_ENDED:
            return cls.end(parsed.reason or 'USER_INITIATED', **expect)
        raise StoryError(f"a story turn is a launch, an intent or a session end; a "
                         f"{parsed.type or 'typeless'} request has no story form")

    def describe(self) -> str:
        """What the user does, as reports show it."""
        if self.action == INTENT_ACTION:
            slots = ', '.join(f'{k}={v!r}' for k, v in self.slots.items() if v is not None)
            return f'{self.intent}({slots})'
        if self.action == END_ACTION:
            return f'session ended ({self.reason})'
        return LAUNCH_ACTION

    def perform(self, chat: Conversation) -> conversation.Turn:
        """Do this turn in ``chat``."""
        if self.action == LAUNCH_ACTION:
            return chat.launch()
        if self.action == END_ACTION:
            return chat.end(self.reason)
        if self.intent is None:  # parse_turn gives every intent action its intent
            raise StoryError(f"turn {self.describe()} has no intent to say")
        return chat._say(self.intent, self.slots, dialog_state=self.dialog_state,
                         confirmation_status=self.confirmation_status)

    def check(self, got: conversation.Turn,
              policy_cls: Optional[Type['Policy']] = None) -> List['Mismatch']:
        """Every expectation the skill's answer misses; empty when the turn passes.

        ``resumed`` and ``frame`` read the skill's machine: they need ``policy_cls``.
        """
        return [mismatch for name, expected in self.expect.items()
                for mismatch in (_SKILL_CHECKS[name](expected, got, policy_cls)
                                 if name in _SKILL_CHECKS else _CHECKS[name](expected, got))]

    def to_data(self) -> Dict[str, Any]:
        """The turn as the YAML mapping a story file holds."""
        data: Dict[str, Any]
        if self.action == LAUNCH_ACTION:
            data = {LAUNCH_ACTION: None}
        elif self.action == END_ACTION:
            data = {END_ACTION: self.reason}
        else:
            data = {INTENT_ACTION: self.intent}
            if self.slots:
                data['slots'] = dict(self.slots)
            if self.dialog_state is not None:
                data['dialog_state'] = self.dialog_state
            if self.confirmation_status != 'NONE':
                data['confirmation_status'] = self.confirmation_status
        data.update((name, _plain(value)) for name, value in self.expect.items())
        return data


@dataclass(frozen=True)
class Story:
    """A named conversation; ``source`` is the file it came from, for reports."""

    name: str
    turns: Tuple[Turn, ...]
    source: Optional[str] = None
    apologize: bool = False

    @classmethod
    def from_conversation(cls, name: str, turns: Iterable[conversation.Turn],
                          expect_state: bool = True) -> 'Story':
        """Write down what happened in a conversation, the states reached becoming the checks.

        Lets a tool that found a failing session (the fuzzer) hand it over as a story to keep.
        """
        story_turns = []
        for turn in turns:
            expect: Dict[str, Any] = \
                {'state': turn.state} if expect_state and turn.state is not None else {}
            stack = dialog_checks.response_stack(turn)
            if expect_state and stack:  # pin the stack too, where a dialog skill keeps one
                expect['stack'] = stack
            story_turns.append(Turn.from_request(turn.request, **expect))
        return cls(name, tuple(story_turns))

    def to_yaml(self, skill: Optional[str] = None, model: Optional[str] = None) -> str:
        """This story as a story file that ``alexafsm stories`` and the pytest plugin run."""
        return dump_stories([self], skill=skill, model=model)


@dataclass(frozen=True)
class StoryFile:
    """What a story file holds: the stories and the skill and model settings, if given.

    ``model`` is resolved against the file's directory, so it works from any working directory.
    """

    path: Optional[str]
    skill: Optional[str]
    model: Optional[str]
    stories: Tuple[Story, ...]


@dataclass(frozen=True)
class Mismatch:
    """One expectation a turn missed: which, what the story expected, what the skill answered."""

    expectation: str
    expected: Any
    got: Any

    def describe(self) -> str:
        """'state: expected 'a', got 'b'', or the like for the other checks."""
        verbs = {'speech_contains': 'expected speech containing',
                 'speech_matches': 'expected speech matching'}
        return (f"{self.expectation}: {verbs.get(self.expectation, 'expected')} "
                f"{self.expected!r}, got {self.got!r}")


@dataclass
class StoryResult:
    """How a story went: the turns that ran and, if it failed, where and why.

    A story stops at its first failing turn, since later turns would run in a state the story
    did not mean.
    """

    story: Story
    turns: List[conversation.Turn] = field(default_factory=list)
    failed_turn: Optional[int] = None
    mismatches: List[Mismatch] = field(default_factory=list)
    error: Optional[str] = None
    traceback: Optional[str] = None

    @property
    def passed(self) -> bool:
        """Every turn ran and met its expectations."""
        return self.failed_turn is None

    def report(self) -> str:
        """A failure report an author can act on without a debugger: story, turn, what was
        said, expected against got, and the turns before it."""
        story = self.story
        where = f" ({story.source})" if story.source else ''
        number = self.failed_turn
        if number is None:  # passed
            return f"story '{story.name}'{where} passed: {len(story.turns)} turns"
        said = (self.turns[number - 1].said if len(self.turns) >= number
                else story.turns[number - 1].describe())
        lines = [f"story '{story.name}'{where} failed at turn {number} of {len(story.turns)}: "
                 f"{said}"]
        if self.traceback:
            lines.append(f"  the skill raised {self.error} (set 'apologize: true' on the story "
                         f"to hear the apology instead)")
            lines += [f"    {line}" for line in self.traceback.rstrip().splitlines()]
        elif self.error:
            lines.append(f"  could not take the turn: {self.error}")
        lines += [f"  {mismatch.describe()}" for mismatch in self.mismatches]
        if number > 1:
            lines.append("  turns before it:")
            lines += [f"    {i}. {t.said} -> {t.state}: {t.speech!r}"
                      for i, t in enumerate(self.turns[:number - 1], 1)]
        return '\n'.join(lines)


def run_story(policy_cls: Type['Policy'], story: Story, *, model: Optional[PathOrModel] = None,
              **conversation_options: Any) -> StoryResult:
    """Play ``story`` against ``policy_cls`` in a fresh Conversation and check every turn.

    Besides the story's own checks, every response must be one Alexa accepts
    (``response_checks.response_problems``): one it would reject fails the story there.

    ``conversation_options`` go to ``Conversation`` (user_id, locale, clock, record_to, ...).
    Unless a ``store`` is given, the story gets a memory of its own for persistent attributes,
    which lasts across its sessions: stories are independent of each other and of real users.
    An exception of the skill's fails the story at its turn, with its message and traceback,
    unless the story says ``apologize``.
    """
    conversation_options.setdefault('apologize', story.apologize)
    chat = Conversation(policy_cls, model=model, **conversation_options)
    result = StoryResult(story)
    for number, turn in enumerate(story.turns, 1):
        try:
            got = turn.perform(chat)
        except ConversationError as error:
            result.failed_turn, result.error = number, str(error)
            return result
        except Exception as error:  # the skill's own, re-raised by the conversation
            result.failed_turn = number
            result.error = f"{type(error).__name__}: {error}"
            result.traceback = ''.join(traceback.format_exception(
                type(error), error, error.__traceback__))
            if chat.turns:
                result.turns.append(chat.turns[-1])
            return result
        result.turns.append(got)
        mismatches = turn.check(got, policy_cls) + [
            Mismatch('response', 'one Alexa accepts', problem.message)
            for problem in response_problems(got.request, got.response, chat.model)]
        if mismatches:
            result.failed_turn, result.mismatches = number, mismatches
            return result
    return result


def load_stories(path: Union[str, 'Path']) -> StoryFile:
    """Read a story file; a mistake in it raises StoryError naming the place and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding='utf-8')
    except OSError as error:
        raise StoryError(f"{path}: cannot read the story file: {error.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StoryError(f"{path}: not valid YAML: {error}") from None
    return parse_stories(document, str(path))


def parse_stories(document: Any, source: Optional[str] = None) -> StoryFile:
    """Read stories from YAML already loaded (a list of stories, or a mapping with ``stories``)."""
    where = source or '<stories>'
    settings: Mapping[str, Any] = {}
    if isinstance(document, Mapping):
        unknown = sorted(set(map(str, document)) - set(FILE_KEYS))
        if unknown:
            raise StoryError(f"{where}: unknown top-level keys {unknown}"
                             f"{did_you_mean(unknown, FILE_KEYS)}; a story file has "
                             f"{', '.join(FILE_KEYS)}")
        if 'stories' not in document:
            raise StoryError(f"{where}: no 'stories': list the stories under 'stories:'")
        settings, document = document, document['stories']
    for key in ('skill', 'model'):
        if settings.get(key) is not None and not isinstance(settings[key], str):
            raise StoryError(f"{where}: '{key}' must be a string, got {settings[key]!r}")
    if isinstance(document, Mapping):
        entries = [(str(name), turns, None) for name, turns in document.items()]
    elif isinstance(document, list):
        entries = [_story_entry(where, i, entry) for i, entry in enumerate(document, 1)]
    else:
        raise StoryError(f"{where}: stories must be a list of {{name, turns}} or a mapping from "
                         f"story name to turns, got {type(document).__name__}")
    if not entries:
        raise StoryError(f"{where}: the file holds no stories")
    names = [name for name, _, _ in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise StoryError(f"{where}: story names must be unique, so failures can name them; "
                         f"repeated: {duplicates}")
    default = _flag(where, 'apologize', settings.get('apologize', False))
    stories = tuple(Story(name, _parse_turns(where, name, turns), source,
                          _flag(f"{where}: story '{name}'", 'apologize', apologize, default))
                    for name, turns, apologize in entries)
    model = settings.get('model')
    if model is not None and source is not None:
        model = str(Path(source).parent / model)
    return StoryFile(source, settings.get('skill'), model, stories)


def dump_stories(stories: Sequence[Story], *, skill: Optional[str] = None,
                 model: Optional[str] = None) -> str:
    """Stories as the YAML of a story file, which ``parse_stories`` reads back unchanged."""
    document: Dict[str, Any] = {}
    if skill:
        document['skill'] = skill
    if model:
        document['model'] = model
    document['stories'] = [{'name': s.name, **({'apologize': True} if s.apologize else {}),
                            'turns': [t.to_data() for t in s.turns]} for s in stories]
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


class _Dumper(yaml.SafeDumper):
    """Writes null as nothing, so a launch turn reads 'launch:' as an author would write it."""


_Dumper.add_representer(type(None),
                        lambda dumper, _: dumper.represent_scalar('tag:yaml.org,2002:null', ''))


def _story_entry(where: str, index: int, entry: Any) -> Tuple[str, Any, Any]:
    if not isinstance(entry, Mapping) or 'turns' not in entry:
        raise StoryError(f"{where}: story {index} must be a mapping with 'name' and 'turns', "
                         f"got {entry!r}")
    unknown = sorted(set(map(str, entry)) - set(STORY_KEYS))
    if unknown:
        raise StoryError(f"{where}: story {index} has unknown keys {unknown}"
                         f"{did_you_mean(unknown, STORY_KEYS)}; a story has 'name', 'turns' "
                         f"and optionally 'apologize'")
    name = entry.get('name')
    if not isinstance(name, str) or not name.strip():
        raise StoryError(f"{where}: story {index} needs a 'name', which failures are reported by")
    return name, entry['turns'], entry.get('apologize')


def _flag(where: str, key: str, value: Any, default: bool = False) -> bool:
    """A true/false setting of a story or a file; None (left out) is the default."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise StoryError(f"{where}: '{key}' must be true or false, got {value!r}")
    return value


def _parse_turns(where: str, story: str, turns: Any) -> Tuple[Turn, ...]:
    if not isinstance(turns, list) or not turns:
        raise StoryError(f"{where}: story '{story}': 'turns' must be a non-empty list of turns")
    parsed = []
    for number, data in enumerate(turns, 1):
        try:
            parsed.append(_parse_turn(data))
        except StoryError as error:
            raise StoryError(f"{where}: story '{story}', turn {number}: {error}") from None
    return tuple(parsed)


def _parse_turn(data: Any) -> Turn:
    if data in (LAUNCH_ACTION, END_ACTION):
        data = {data: None}
    if not isinstance(data, Mapping):
        raise StoryError(f"a turn is a mapping such as {{intent: AMAZON.HelpIntent}}, or the "
                         f"word launch or end; got {data!r}")
    keys = [str(key) for key in data]
    unknown = sorted(set(keys) - set(ACTIONS) - set(INTENT_OPTIONS) - set(EXPECTATIONS))
    if unknown:
        allowed = ACTIONS + INTENT_OPTIONS + EXPECTATIONS
        raise StoryError(f"unknown keys {unknown}{did_you_mean(unknown, allowed)}; a turn takes "
                         f"one of {', '.join(ACTIONS)}, then {', '.join(INTENT_OPTIONS)} for an "
                         f"intent, and the checks {', '.join(EXPECTATIONS)}")
    actions = [key for key in keys if key in ACTIONS]
    if len(actions) != 1:
        raise StoryError(f"a turn does exactly one of {', '.join(ACTIONS)}; this one has "
                         f"{actions or 'none'}")
    action = actions[0]
    expect = {key: data[key] for key in keys if key in EXPECTATIONS}
    options = [key for key in keys if key in INTENT_OPTIONS]
    if action != INTENT_ACTION and options:
        raise StoryError(f"{options} only apply to an intent turn, not to {action}")
    if action == LAUNCH_ACTION:
        if data[LAUNCH_ACTION] not in (None, True):
            raise StoryError(f"'launch' takes no value (write 'launch:'), got "
                             f"{data[LAUNCH_ACTION]!r}")
        return Turn(LAUNCH_ACTION, expect=expect)
    if action == END_ACTION:
        return Turn(END_ACTION, reason=data[END_ACTION] or 'USER_INITIATED', expect=expect)
    slots = data.get('slots') or {}
    if not isinstance(slots, Mapping):
        raise StoryError(f"'slots' must be a mapping from slot name to the words heard, such as "
                         f"{{Size: large}}, got {slots!r}")
    return Turn(INTENT_ACTION, intent=data[INTENT_ACTION],
                slots={str(k): _slot_words(str(k), v) for k, v in slots.items()},
                dialog_state=data.get('dialog_state'),
                confirmation_status=data.get('confirmation_status') or 'NONE', expect=expect)


def _slot_words(name: str, value: Any) -> Optional[str]:
    try:
        return slot_words(value)
    except TypeError:
        raise StoryError(f"slot {name!r} is {value!r}; Alexa sends the words it heard: quote "
                         f"it, as in {name}: \"{value}\"") from None


def _check_turn(turn: Turn) -> None:
    """Fail when a turn is built, in code or from YAML, rather than halfway through a run."""
    if turn.action not in ACTIONS:
        raise StoryError(f"a turn's action is one of {', '.join(ACTIONS)}, got {turn.action!r}")
    if turn.action == INTENT_ACTION and (not isinstance(turn.intent, str) or not turn.intent):
        raise StoryError(f"'intent' needs an intent name such as AMAZON.HelpIntent, "
                         f"got {turn.intent!r}")
    if turn.dialog_state is not None and turn.dialog_state not in DIALOG_STATES:
        raise StoryError(f"dialog_state is one of {', '.join(DIALOG_STATES)}, got "
                         f"{turn.dialog_state!r}")
    if turn.confirmation_status not in CONFIRMATION_STATUSES:
        raise StoryError(f"confirmation_status is one of {', '.join(CONFIRMATION_STATUSES)}, "
                         f"got {turn.confirmation_status!r}")
    if turn.action == END_ACTION and turn.reason not in SESSION_END_REASONS:
        raise StoryError(f"'end' takes a reason, one of {', '.join(SESSION_END_REASONS)}, "
                         f"got {turn.reason!r}")
    for name, expected in turn.expect.items():
        if name not in _CHECKS and name not in _SKILL_CHECKS:
            raise StoryError(f"unknown check {name!r}{did_you_mean(name, EXPECTATIONS)}; checks "
                             f"are {', '.join(EXPECTATIONS)}")
        _validate_expectation(name, expected)


def _validate_expectation(name: str, expected: Any) -> None:
    if name == 'should_end' and not isinstance(expected, bool):
        raise StoryError(f"should_end is true or false, got {expected!r}")
    if name == 'state' and not isinstance(expected, str):
        raise StoryError(f"state is compared to a string, got {expected!r}")
    if name in ('speech', 'reprompt') and expected is not None and not isinstance(expected, str):
        raise StoryError(f"{name} is compared to a string, or null for none, got {expected!r}")
    if name == 'directives':
        if not isinstance(expected, list) or not all(
                isinstance(d, str) or (isinstance(d, dict) and isinstance(d.get('type'), str))
                for d in expected):
            raise StoryError(f"directives is a list of directive types such as Dialog.Delegate, "
                             f"or of mappings with a 'type' and the fields to check, such as "
                             f"{{type: Dialog.ElicitSlot, slotToElicit: topping}}; [] for none; "
                             f"got {expected!r}")
    if name == 'stack' and not (isinstance(expected, list) and
                                all(isinstance(s, str) for s in expected)):
        raise StoryError(f"stack is a list of state names, oldest first ([] for none), got "
                         f"{expected!r}")
    if name == 'resumed' and not isinstance(expected, bool):
        raise StoryError(f"resumed is true or false, got {expected!r}")
    if name == 'frame' and not isinstance(expected, dict):
        raise StoryError(f"frame is a mapping of slot names to the values the form holds, "
                         f"such as {{size: LARGE}}, got {expected!r}")
    if name == 'card_title' and expected is not None and not isinstance(expected, str):
        raise StoryError(f"card_title is a string, or null for no card, got {expected!r}")
    if name == 'speech_contains':
        parts = expected if isinstance(expected, list) else [expected]
        if not parts or not all(isinstance(part, str) for part in parts):
            raise StoryError(f"speech_contains is a string or a list of strings, got "
                             f"{expected!r}")
    if name == 'speech_matches':
        if not isinstance(expected, str):
            raise StoryError(f"speech_matches is a regular expression string, got {expected!r}")
        try:
            re.compile(expected)
        except re.error as error:
            raise StoryError(f"speech_matches {expected!r} is not a regular expression: "
                             f"{error}") from None


def _equal(name: str, read: Any) -> Any:
    def check(expected: Any, got: conversation.Turn) -> List[Mismatch]:
        actual = read(got)
        return [] if actual == expected else [Mismatch(name, expected, actual)]
    return check


def _contains(expected: Any, got: conversation.Turn) -> List[Mismatch]:
    parts = expected if isinstance(expected, list) else [expected]
    speech = got.speech
    return [Mismatch('speech_contains', part, speech) for part in parts
            if speech is None or part not in speech]


def _directives(expected: List[Any], got: conversation.Turn) -> List[Mismatch]:
    """The directives in order: a type alone names the directive, a mapping names fields it
    must have with these values (a subset: ``updatedIntent`` may be left out)."""
    sent = (got.response.get('response') or {}).get('directives') or []
    wanted = [{'type': d} if isinstance(d, str) else d for d in expected]
    if len(sent) == len(wanted) and all(
            isinstance(d, dict) and all(d.get(k) == v for k, v in w.items())
            for w, d in zip(wanted, sent)):
        return []
    # report like with like: types for types, and only the fields the story names
    if all(isinstance(w, str) for w in expected):
        return [Mismatch('directives', expected,
                         [d.get('type') if isinstance(d, dict) else d for d in sent])]
    named = {key for w in wanted for key in w}
    return [Mismatch('directives', expected,
                     [{k: v for k, v in d.items() if k in named} if isinstance(d, dict) else d
                      for d in sent])]


def _matches(expected: str, got: conversation.Turn) -> List[Mismatch]:
    speech = got.speech
    if speech is not None and re.search(expected, speech):
        return []
    return [Mismatch('speech_matches', expected, speech)]


_CHECKS = {
    'state': _equal('state', lambda got: got.state),
    'speech': _equal('speech', lambda got: got.speech),
    'speech_contains': _contains,
    'speech_matches': _matches,
    'reprompt': _equal('reprompt', lambda got: got.reprompt),
    'should_end': _equal('should_end', lambda got: got.should_end),
    'card_title': _equal('card_title', lambda got: (got.card or {}).get('title')),
    'directives': _directives,
    'stack': _equal('stack', dialog_checks.response_stack),
}


def _skill(name: str, policy_cls: Optional[Type['Policy']]) -> Type['Policy']:
    if policy_cls is None:
        raise StoryError(f"the check {name!r} reads the skill's machine: call "
                         f"turn.check(got, policy_cls)")
    return policy_cls


def _resumed(expected: bool, got: conversation.Turn,
             policy_cls: Optional[Type['Policy']]) -> List[Mismatch]:
    actual = dialog_checks.was_resumed(_skill('resumed', policy_cls), got)
    return [] if actual == expected else [Mismatch('resumed', expected, actual)]


def _frame(expected: Mapping[str, Any], got: conversation.Turn,
           policy_cls: Optional[Type['Policy']]) -> List[Mismatch]:
    values = dialog_checks.frame_values(_skill('frame', policy_cls), got)
    if values is not None and all(k in values and values[k] == v for k, v in expected.items()):
        return []
    return [Mismatch('frame', dict(expected), values)]


_SKILL_CHECKS: Dict[str, Callable[[Any, conversation.Turn, Optional[Type['Policy']]],
                                   List[Mismatch]]] = {'resumed': _resumed, 'frame': _frame}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
