"""Fuzz a skill: sessions drawn from its interaction model, guided by coverage, every turn checked.

A session opens with a launch (or a one-shot intent), then sends intents the model defines, with
slot values from the model's types and samples mixed with empty and odd ones (unicode, SSML
markup, numbers, a very long phrase), now and then a SessionEndedRequest, a new launch or a
CanFulfillIntentRequest. The walk aims, as coverage-guided fuzzers do:

* intents with a transition from the current state are drawn far more often than others, and
  (state, intent, slot value) cells not tried yet before those tried;
* slot values come from the model's types (values and synonyms) and samples, so the right
  answer to a question is as likely as any wrong one;
* a session that reached something new (a declared transition no session fired yet, a value of a
  session attribute not seen yet) is kept in a corpus, up to that turn; later sessions replay a
  kept one and go on from its end, so depth builds up over sessions instead of having to be
  hit in one go;
* ending intents (Stop, Cancel, No, whatever ended a session before) and session ends are rare
  until the last quarter of a session's turns.

The report says what was covered: transitions fired of all declared, cells tried, the depth
of the sessions (a histogram) and the transitions no session fired. After every turn these
things must hold, and then any extra checks (``TurnCheck``) given to ``fuzz``:

* no exception escaped the skill's code. ``Policy.handle`` never raises: it answers with an
  apology and tells the turn pipeline's failure observers (``alexafsm.turn``). Each session
  registers one, which hears of every path to the apology (callbacks, state methods,
  ``to_json``, interceptors, responses over Alexa's limits) with the exception and its
  traceback, where matching the apology's words would miss the cause and mistake a skill that
  says sorry on purpose for a crash;
* the machine is in a state it declares (the response's ``sessionAttributes.state``);
* the response is one Alexa accepts (``response_checks.response_problems``);
* a skill using ``alexafsm.dialogs`` keeps its stack rules (``dialog_checks.stack_problems``:
  bounded by MAX_STACK, well formed, real states); its walk is biased towards digressions
  and the ways back from them (``dialog_checks.digression_trigger``).

A failure is reduced by delta debugging (``reduction.shrink``) to the shortest session that still
fails the same way (dropping turns, then simplifying slot values, replaying from scratch each
time) and written as a story to keep as a regression test. Sessions come from
``random.Random(seed)`` alone, so one seed always walks the same sessions. Each session speaks as a
new user, so what a skill keeps per user (drafts, "first time" flags) cannot leak from one session
into the next.
"""
import dataclasses
import json
import logging
import random
import re
import sysconfig
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import List
from typing import Mapping
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Set
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.errors import FuzzError
from alexafsm.errors import TurnFailed
from alexafsm.machine import Machine
from alexafsm.persistence import open_store
from alexafsm.policy import Policy
from alexafsm.request import CAN_FULFILL
from alexafsm.request import INTENT
from alexafsm.request import LAUNCH
from alexafsm.request import SESSION_ENDED
from alexafsm.request import parse
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.testing import conversation
from alexafsm.testing import reduction
from alexafsm.testing.conversation import MEMORY
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.conversation import ConversationError
from alexafsm.testing.conversation import PathOrModel
from alexafsm.testing.dialog_checks import STACK_INVARIANT
from alexafsm.testing.dialog_checks import digression_trigger
from alexafsm.testing.dialog_checks import stack_violation
from alexafsm.testing.dialogue import Dialog
from alexafsm.testing.dialogue import dialog_of
from alexafsm.testing.dialogue import has_dialog_model
from alexafsm.testing.requests import CONFIRMATION_STATUSES
from alexafsm.testing.requests import DIALOG_STATES
from alexafsm.testing.requests import SESSION_END_REASONS
from alexafsm.testing.requests import can_fulfill_request
from alexafsm.testing.response_checks import Problem
from alexafsm.testing.response_checks import response_problems
from alexafsm.testing.response_checks import ssml_problem
from alexafsm.testing.stories import INTENT_ACTION
from alexafsm.testing.stories import Story
from alexafsm.testing.stories import Turn as StoryTurn
from alexafsm.testing.stories import dump_stories
from alexafsm.tools.describe import machine_of
from alexafsm.tools.interaction_model import Intent
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import SlotType
from alexafsm.tools.interaction_model import load_model

EXCEPTION = 'exception'
LOGGED_ERROR = 'logged-error'
UNDECLARED_STATE = 'undeclared-state'
INVALID_RESPONSE = 'invalid-response'

_POLICY_LOGGER = 'alexafsm.policy'
LONG_VALUE = ' '.join(['a very long answer that keeps going'] * 10)
_ODD_VALUES = (
    '', ' ', '&', '<', '>', 'Tom & Jerry', 'a < b > c', '&amp;', '<speak>', '</speak>',
    '<break time="3s"/>', ']]>', '"quoted"', "it's", 'café crème', 'Ünïcödé',
    '日本語のテキスト', 'pizza 🍕', 'zero\u200bwidth', 'עברית', '0', '-1', '3.14', '1000000', '007',
    LONG_VALUE)
_BUILTIN_VALUES: Mapping[str, Tuple[str, ...]] = {
    'AMAZON.NUMBER': ('1', '2', '3', '7', '12', '42', '100'),
    'AMAZON.FOUR_DIGIT_NUMBER': ('1234', '2024', '0000'),
    'AMAZON.Ordinal': ('1', '2', '3', '10'),
    'AMAZON.DATE': ('2024-05-01', '2024-W18', '2024-12', 'XXXX-12-25', 'PRESENT_REF'),
    'AMAZON.TIME': ('07:30', '19:00', 'MO', 'NI'),
    'AMAZON.DURATION': ('PT5M', 'PT1H30M', 'P2D'),
    'AMAZON.PhoneNumber': ('2065550100',),
}
_FALLBACK_WORDS = ('something', 'pizza', 'the weather', 'music')

APOLOGY_SPEECH = str(response.APOLOGY.speech)
_NOT_THE_APOLOGY = f'^(?!{re.escape(APOLOGY_SPEECH)})'

_REQUEST_ID = re.compile(r'^request \S+: ')
_LIBRARY_DIRS = tuple(sorted({sysconfig.get_paths()[key]
                              for key in ('stdlib', 'platstdlib', 'purelib', 'platlib')}))

# How a session is walked: the share of each kind of step, and of odd or missing slot values.
_ONE_SHOT = 0.15
_END, _CAN_FULFILL, _RELAUNCH = 0.05, 0.03, 0.02
_EARLY = 0.1  # session ends and relaunches before the last quarter: this share of the above
_LATE = 0.75  # the share of max_turns after which a session may end as often as it likes
_UNHANDLED, _ENDING, _UNTRIED_CELL = 0.05, 0.03, 3.0  # intent weights against a handled one's 1
_UNTRIED_VALUE = 0.5  # how often a slot takes a value not yet tried in this state and intent
_DIALOG, _CONFIRMATION = 0.5, 0.3
_FOLLOW_DIALOG = 0.7
# The corpus: sessions that reached something new, replayed and extended by later ones.
_FRESH = 0.25  # share of sessions started from scratch once the corpus holds some
_FRONTIER, _FRONTIER_SIZE = 0.75, 3  # how often an extension starts from the newest finds
_TRANSITION = 'transition'  # the kind of find that fired a transition for the first time
_REPEAT_LAST = 0.4  # how often an extension first says again the intent that made it new
_ATTRIBUTE_VALUES = 32  # values of one session attribute that count as new, at most
_CORPUS_SIZE = 5000
_NEVER_SHOWN = 20  # transitions never fired that the report names, at most
_NONE, _ODD, _WORDS = '<none>', '<odd>', '<words>'  # slot value cells besides the model's values
_OTHER_VALUES = (_WORDS, _NONE, _ODD)
_OTHER_SHARES = ((_NONE, 0.1), (_ODD, 0.2), (_WORDS, 0.3))  # cumulative; the rest: the model's
_ENDING_INTENTS = frozenset((amazon_intent.STOP, amazon_intent.CANCEL, amazon_intent.NO))
_REQUEST_ATTRIBUTES = ('state', 'intent', 'slots')  # what the request put there, not the skill


@dataclass(frozen=True)
class CanFulfill:
    """A CanFulfillIntentRequest step: Alexa asking whether the skill could take an intent.

    It stands outside any session, so it has no story form; a failing one is shown as is.
    """

    intent: str
    slots: Mapping[str, Optional[str]] = field(default_factory=dict)

    def describe(self) -> str:
        """What was asked, as reports show it."""
        slots = ', '.join(f'{k}={v!r}' for k, v in self.slots.items() if v is not None)
        return f'can fulfill {self.intent}({slots})?'

    def perform(self, chat: Conversation) -> conversation.Turn:
        """Ask the skill in ``chat``; the conversation's session is left as it was."""
        return chat.send(can_fulfill_request(self.intent, dict(self.slots), caller=chat.caller))


Step = Union[StoryTurn, CanFulfill]


@dataclass(frozen=True)
class CheckedTurn:
    """What a per-turn check (``TurnCheck``) is shown after each turn of a fuzzed session.

    ``turn`` is the request and response just exchanged, ``number`` its place in the session
    (1 for the first), ``before`` the state the machine was in when it came, ``turns`` the whole
    session so far (this turn last) and ``chat`` the conversation, to send more requests from
    (a check that does changes the session the fuzzer goes on with).
    """

    turn: conversation.Turn
    number: int
    before: str
    turns: Sequence[conversation.Turn]
    chat: Conversation
    machine: Machine
    model: InteractionModel

    def failure(self, kind: str, detail: str, message: str,
                traceback: Optional[str] = None) -> 'Failure':
        """A Failure at this turn: ``kind`` names the check, ``detail`` tells one bug from
        another (no slot values in it), ``message`` says what is wrong and how to fix it."""
        request = parse(self.turn.request)
        what = request.type or '?'
        if request.type in (INTENT, CAN_FULFILL):
            what = f'{what}:{request.intent_name}'
        return Failure(kind, self.number, f"{self.turn.said} in state '{self.before}'", what,
                       detail, message, traceback)


#: A check run after every turn of every fuzzed session, after the built-in ones: the failure
#: it finds, or None. Failures it reports are reduced and written as stories like the others.
TurnCheck = Callable[[CheckedTurn], Optional['Failure']]


@dataclass(frozen=True)
class Failure:
    """What went wrong at one turn; ``signature`` tells one bug from another.

    The signature is the kind and a detail that does not depend on slot values or on the intent
    that led there: where the exception was raised, which rule the response broke in which
    state, which undeclared state. A reduced session that fails with other words, or reaches
    the bug through another intent, still counts as the same failure; ``request`` says which
    request failed ('IntentRequest:NoteIntent').
    """

    kind: str
    turn: int
    said: str
    request: str
    detail: str
    message: str
    traceback: Optional[str] = None
    apology: bool = False

    @property
    def signature(self) -> Tuple[str, str]:
        """(kind, detail): equal for the same bug, whichever intent or words reached it."""
        return self.kind, self.detail


@dataclass(frozen=True)
class Reduction:
    """The shortest session delta debugging found that fails the same way, and its cost.

    ``reproduced`` is False when replaying the session did not fail again: the skill depends
    on more than the requests (the clock, randomness, a store), and the session is kept whole.
    """

    steps: Tuple[Step, ...]
    failure: Failure
    replays: int
    original_length: int
    reproduced: bool = True


@dataclass(frozen=True)
class Finding:
    """One distinct failure: where it was first seen, how often, and its reduced session."""

    failure: Failure
    session: int
    occurrences: int
    steps: Tuple[Step, ...]
    reduction: Reduction
    story: Optional[Story]

    def story_yaml(self, skill: Optional[str] = None, model: Optional[str] = None) -> str:
        """The reduced session as a story file, with a comment saying what it reproduces.

        A crash's story fails while the bug is there (its last turn must not be the apology);
        an invalid response or state has no check a story can spell, so the comment says so.
        """
        if self.story is None:
            return ''
        failure = self.reduction.failure
        lines = [f'# Found by alexafsm fuzz: {failure.kind} at turn {failure.turn}: '
                 f'{_one_line(failure.message)}']
        if not failure.apology:
            lines.append('# Stories cannot check this kind of failure; alexafsm fuzz finds it '
                         'again on the last turn.')
        return '\n'.join(lines) + '\n' + self.story.to_yaml(skill=skill, model=model)

    def describe(self, skill: Optional[str] = None, model: Optional[str] = None) -> str:
        """The failure as the report shows it: message, traceback, reduced session, story."""
        failure = self.failure
        more = (f' (and {self.occurrences - 1} more session'
                f'{"s" if self.occurrences > 2 else ""})' if self.occurrences > 1 else '')
        lines = [f'{failure.kind}: {_one_line(failure.message)}',
                 f'  first at turn {failure.turn} of session {self.session}{more}: '
                 f'{failure.said}']
        if failure.traceback:
            lines.append(_indent(failure.traceback.rstrip(), '    '))
        reduction = self.reduction
        if reduction.reproduced:
            lines.append(f'  reduced from {reduction.original_length} turns to '
                         f'{len(reduction.steps)} in {reduction.replays} replays:')
        else:
            lines.append('  replaying the session did not fail again, so it was not reduced: '
                         'the skill depends on more than the requests (the clock, randomness, '
                         'a store); the session was:')
        lines += [f'    {i}. {step.describe()}' for i, step in enumerate(reduction.steps, 1)]
        if self.story is not None:
            lines.append('  story to keep as a regression test (--save FILE writes it):')
            lines.append(self.story_yaml(skill, model).rstrip())
        else:
            lines.append('  (a CanFulfillIntentRequest has no story form: replay the steps '
                         'above with alexafsm.testing.fuzz.replay)')
        return '\n'.join(lines)


@dataclass
class FuzzReport:
    """What a fuzz run did and found; ``text()`` is the same for the same seed and skill.

    ``elapsed`` is the time spent walking the sessions, ``reduce_seconds`` the time spent
    reducing the failures afterwards.
    """

    skill: str
    model: Optional[str]
    seed: int
    max_turns: int
    walks: List[Tuple[Step, ...]] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    turns: int = 0
    states_reached: List[str] = field(default_factory=list)
    states: Tuple[str, ...] = ()
    elapsed: float = 0.0
    reduce_seconds: float = 0.0
    transitions: Tuple[str, ...] = ()
    fired: List[str] = field(default_factory=list)
    cells: int = 0
    cells_tried: int = 0
    corpus: int = 0
    closing: List[str] = field(default_factory=list)

    @property
    def sessions(self) -> int:
        """How many sessions were walked."""
        return len(self.walks)

    @property
    def passed(self) -> bool:
        """No turn of any session failed."""
        return not self.findings

    @property
    def depths(self) -> Dict[int, int]:
        """The depth histogram: how many sessions took each number of turns."""
        depths: Dict[int, int] = {}
        for walk in self.walks:
            depths[len(walk)] = depths.get(len(walk), 0) + 1
        return dict(sorted(depths.items()))

    @property
    def never_fired(self) -> List[str]:
        """The declared transitions no turn took ('Trigger: source -> dest'), in order.

        The text counts apart those from ``closing`` states (reached, but every turn that
        reached them ended the session), which no session can take.
        """
        fired = set(self.fired)
        return [t for t in self.transitions if t not in fired]

    @property
    def sessions_per_second(self) -> float:
        """Throughput, to compare runs and machines (0 when nothing was timed)."""
        return self.sessions / self.elapsed if self.elapsed > 0 else 0.0

    def text(self) -> str:
        """The report for people and CI logs; timing is left out so runs can be compared."""
        never = [s for s in self.states if s not in self.states_reached]
        head = (f'fuzzed {self.skill} with {self.sessions} sessions (seed {self.seed}, up to '
                f'{self.max_turns} turns each): {self.turns} turns, '
                f'{len(self.states_reached)} of {len(self.states)} states reached')
        lines = [head + (f' (never: {", ".join(never)})' if never else '')]
        lines.append(f'transitions fired: {len(self.fired)} of {len(self.transitions)} declared; '
                     f'cells tried: {self.cells_tried} of {self.cells} (state, intent, slot '
                     f'value); {self.corpus} sessions kept to extend')
        depths = self.depths
        widest = max(depths.values(), default=1)
        lines.append('depth (turns: sessions):')
        lines += [f'  {turns:3d}: {count:6d} {"#" * max(1, round(30 * count / widest))}'
                  for turns, count in depths.items()]
        unfired = self.never_fired
        closing = set(self.closing)
        after_end = [t for t in unfired if t.split(': ', 1)[1].split(' -> ')[0] in closing]
        unfired = [t for t in unfired if t not in after_end]
        if after_end:
            lines.append(f'never fired: {len(after_end)} from states that always ended the '
                         f'session ({", ".join(self.closing)})')
        if unfired:
            lines.append(f'never fired ({len(unfired)}):')
            lines += [f'  {t}' for t in unfired[:_NEVER_SHOWN]]
            if len(unfired) > _NEVER_SHOWN:
                lines.append(f'  and {len(unfired) - _NEVER_SHOWN} more')
        if self.passed:
            lines.append('no failures')
            return '\n'.join(lines)
        count = len(self.findings)
        lines.append(f'{count} failure{"s" if count > 1 else ""}:')
        for number, finding in enumerate(self.findings, 1):
            lines.append('')
            lines.append(f'{number}. ' + finding.describe(self.skill, self.model))
        return '\n'.join(lines)


def fuzz(policy_cls: Type[Policy], model: PathOrModel, *, sessions: int = 200, seed: int = 0,
         max_turns: int = 20, skill: Optional[str] = None,
         checks: Sequence[TurnCheck] = (), store: Any = MEMORY) -> FuzzReport:
    """Walk ``sessions`` sessions of ``policy_cls``, guided by coverage; report every failure.

    Tests and CI call this rather than hand-writing the odd inputs real users produce; each
    failure comes back reduced and as a story (``skill`` names the Policy in it, by default
    'module:Class'). ``checks`` run after every turn, after the built-in ones. Each session
    is a new user with a fresh memory for persistent attributes, unless ``store`` names one
    (a URL or a store object) that all sessions share. The same seed walks the same sessions.
    """
    if sessions < 1 or max_turns < 1:
        raise FuzzError(f'sessions and max_turns must be at least 1, got sessions={sessions}, '
                        f'max_turns={max_turns}')
    model = _load(model)
    machine = _machine(policy_cls)
    coverage = _Coverage(model, machine)
    checks = tuple(checks)
    shared = None if store == MEMORY else open_store(store)
    walker = _Walker(model, machine, coverage,  # replays with the run's failure log, below
                     lambda steps: _replay(policy_cls, model, machine, steps, errors, checks))
    if not walker.triggers:
        raise FuzzError(f'none of the intents of {model.source} is a trigger of '
                        f'{policy_cls.__name__} ({", ".join(model.intent_names)}), so every '
                        f'turn would be "not understood": is it the model of this skill?')
    report = FuzzReport(skill or _spec(policy_cls), model.source, seed, max_turns,
                        states=machine.states,
                        transitions=tuple(_describe(t) for t in coverage.declared))
    rng = random.Random(seed)
    first: Dict[Tuple[str, str], Tuple[int, Failure, Tuple[Step, ...]]] = {}
    counts: Dict[Tuple[str, str], int] = {}
    reached = set()
    started = time.perf_counter()
    with _capturing_errors() as errors:
        for number in range(1, sessions + 1):
            session = _Session(policy_cls, model, machine, errors, checks, shared)
            failure = walker.walk(rng, session, max_turns)
            report.walks.append(tuple(session.steps))
            report.turns += len(session.steps)
            reached.update(session.states)
            if failure is not None:
                counts[failure.signature] = counts.get(failure.signature, 0) + 1
                first.setdefault(failure.signature, (number, failure, tuple(session.steps)))
        report.elapsed = time.perf_counter() - started
        for signature, (number, failure, steps) in first.items():
            reduction = _reduce(policy_cls, model, machine, steps, failure, errors, checks)
            report.findings.append(Finding(
                failure, number, counts[signature], steps, reduction,
                _story(policy_cls, model, machine, reduction, errors, checks,
                       f'fuzz seed {seed}, session {number}: {failure.kind} in '
                       f'{failure.request}')))
    report.reduce_seconds = time.perf_counter() - started - report.elapsed
    report.states_reached = [s for s in machine.states if s in reached]
    report.fired = [_describe(t) for t in coverage.declared if t in coverage.fired]
    report.cells, report.cells_tried = len(coverage.space), len(coverage.space & coverage.cells)
    report.corpus = len(walker.corpus)
    report.closing = [s for s in report.states_reached if s not in coverage.open]
    return report


def reduce(policy_cls: Type[Policy], model: PathOrModel, steps: Sequence[Step], *,
           max_replays: int = 2000, checks: Sequence[TurnCheck] = ()) -> Reduction:
    """The shortest session, found by delta debugging, that fails like ``steps`` does.

    Turns are dropped first, then slot values simplified (left out, replaced by a plain value
    of the slot's type, or cut down character by character), each candidate replayed from
    scratch; a candidate counts only if it fails with the same signature. Raises FuzzError
    when ``steps`` does not fail at all.
    """
    model = _load(model)
    machine = _machine(policy_cls)
    with _capturing_errors() as errors:
        replayed = _replay(policy_cls, model, machine, steps, errors, tuple(checks))
        if replayed is None or replayed.failure is None:
            raise FuzzError(f'the session does not fail when replayed against '
                            f'{policy_cls.__name__}, so there is nothing to reduce; if it failed '
                            f'during a fuzz run, the skill depends on more than the requests '
                            f'(the clock, randomness or a store)')
        return _reduce(policy_cls, model, machine, steps, replayed.failure, errors,
                       tuple(checks), max_replays)


def replay(policy_cls: Type[Policy], model: PathOrModel, steps: Sequence[Step], *,
           checks: Sequence[TurnCheck] = ()) -> Optional[Failure]:
    """Play ``steps`` in a fresh conversation as a new user; the first failure, or None.

    What a regression test runs to check that a fuzz finding is fixed. Raises FuzzError when
    a step cannot be taken (a session end with no session open).
    """
    model = _load(model)
    machine = _machine(policy_cls)
    with _capturing_errors() as errors:
        replayed = _replay(policy_cls, model, machine, steps, errors, tuple(checks))
    if replayed is None:
        raise FuzzError('a step cannot be taken: a session end needs an open session; put a '
                        'launch or an intent before it')
    return replayed.failure


def dump_findings(report: FuzzReport, *, skill: Optional[str] = None,
                  model: Optional[str] = None) -> str:
    """Every finding's story in one story file, to save the lot as regression tests at once.

    ``model`` is the model's path as the file should name it (relative to where it is saved);
    by default the report's skill and model are used as given. Empty when there is no story.
    """
    stories = [(finding.story, finding.reduction.failure) for finding in report.findings
               if finding.story is not None]
    if not stories:
        return ''
    header = [f'# Found by alexafsm fuzz (seed {report.seed}, {report.sessions} sessions):']
    header += [f'#   {story.name}: {_one_line(failure.message)}' for story, failure in stories]
    return '\n'.join(header) + '\n' + dump_stories(
        [story for story, _ in stories], skill=skill or report.skill,
        model=model or report.model)


def story_steps(story: Story) -> Tuple[Step, ...]:
    """The steps of a story without its checks, to ``replay`` a story the fuzzer wrote."""
    return tuple(dataclasses.replace(turn, expect={}) for turn in story.turns)


# --- walking sessions ---------------------------------------------------------------------------

class _Replayed(NamedTuple):
    failure: Optional[Failure]
    turns: List[conversation.Turn]


class _FailureLog:
    """The turns that ended in the apology, as the turn pipeline's failure observers tell them.

    Each session's conversation registers ``observe``; the pipeline calls it with the stage that
    failed and the exception (a ``TurnFailed`` when nothing raised), so the fuzzer needs no
    logger and works under ``logging.disable`` too.
    """

    def __init__(self) -> None:
        self.failures: List[Tuple[str, BaseException]] = []

    def observe(self, request: Any, stage: str, error: BaseException) -> None:
        """A failure observer (``Extensions.failure_observer``): note the failed turn."""
        self.failures.append((stage, error))


class _Quiet:
    """The policy logger's settings while any fuzz runs, restored when the last one ends.

    Thousands of random sessions make thousands of apologies: their log lines would bury the
    report, which tells each failure once.
    """

    lock = threading.Lock()
    runs = 0
    saved: Tuple[bool, bool] = (True, False)
    sink = logging.NullHandler()  # so Python's last-resort handler does not print them either


@contextmanager
def _capturing_errors() -> Iterator[_FailureLog]:
    """Quiet the policy's logger for the run; the failures come to the log this yields.

    Runs in several threads at once share the quieting; each has its own log.
    """
    logger = logging.getLogger(_POLICY_LOGGER)
    with _Quiet.lock:
        if _Quiet.runs == 0:
            _Quiet.saved = logger.propagate, logger.disabled
            logger.propagate, logger.disabled = False, True
            logger.addHandler(_Quiet.sink)
        _Quiet.runs += 1
    try:
        yield _FailureLog()
    finally:
        with _Quiet.lock:
            _Quiet.runs -= 1
            if _Quiet.runs == 0:
                logger.removeHandler(_Quiet.sink)
                logger.propagate, logger.disabled = _Quiet.saved


class _Session:
    """One session under test: a fresh conversation as a new user, and the checks per turn."""

    def __init__(self, policy_cls: Type[Policy], model: InteractionModel, machine: Machine,
                 errors: _FailureLog, checks: Tuple[TurnCheck, ...] = (),
                 store: Any = None) -> None:
        # a store of its own: thousands of random users must not land in the skill's real one;
        # the apology is heard, and the failure observer below says why
        self.chat = Conversation(policy_cls, model=model, store=store or MEMORY, apologize=True,
                                 user_id=f'amzn1.ask.account.FUZZ-{uuid.uuid4().hex}')
        self.model = model
        self.machine = machine
        self.errors = errors
        self.checks = checks
        self.chat.extensions.failure_observer(errors.observe)
        self.before = INITIAL_STATE
        self.steps: List[Step] = []
        self.turns: List[conversation.Turn] = []
        self.state = INITIAL_STATE
        self.states: List[str] = []
        self.dialog: Optional[Dialog] = None
        self.over = False

    def take(self, step: Step) -> Optional[Failure]:
        """Do ``step``; the failure it caused, if any. Raises ConversationError if it cannot."""
        before = self.before = self.state if self.chat.in_session else INITIAL_STATE
        del self.errors.failures[:]
        turn = step.perform(self.chat)
        self.steps.append(step)
        self.turns.append(turn)
        failure = _judge(turn, len(self.steps), before, self.machine, self.model,
                         self.errors.failures)
        broken = None if failure else stack_violation(self.machine.policy_cls, turn)
        if broken is not None:  # alexafsm.dialogs' stack rules (testing.dialog_checks)
            failure = Failure(STACK_INVARIANT, len(self.steps), f"{turn.said} in state "
                              f"'{before}'", f'{INTENT}:{parse(turn.request).intent_name}',
                              *broken)
        if failure is None and self.checks:  # the per-turn check hook: extra checks, in order
            checked = CheckedTurn(turn, len(self.steps), before, tuple(self.turns), self.chat,
                                  self.machine, self.model)
            for check in self.checks:
                failure = check(checked)
                if failure is not None:
                    break
        kind = (turn.request.get('request') or {}).get('type')
        if kind in (LAUNCH, INTENT):
            self.dialog = dialog_of(turn)
            self.state = turn.state or INITIAL_STATE
            if turn.state:
                self.states.append(turn.state)
        if kind == SESSION_ENDED or (kind in (LAUNCH, INTENT) and not self.chat.in_session):
            self.over = True
        return failure


class _Coverage:
    """What the sessions so far covered: transitions fired, cells tried, attribute values seen.

    A cell is (state, intent, slot, value), the value being one of the model's for the slot's
    type (synonyms count as their value), or ``<none>``, ``<odd>`` or ``<words>`` (words of the
    samples, for types without values). ``space`` holds the cells of the intents each state
    has a transition for: the report's "of all".
    """

    def __init__(self, model: InteractionModel, machine: Machine) -> None:
        self.model = model
        self.declared: Tuple[Tuple[str, str, str], ...] = tuple(sorted(
            {(t.trigger, t.source, t.dest) for t in machine.transitions}))
        self._declared = frozenset(self.declared)
        # a dest that is no state ('<resume>': back to where a dialog was pushed from) fires
        # when its trigger, from its source, took the machine anywhere no other one says
        self._elsewhere = {(trigger, source): (trigger, source, dest)
                           for trigger, source, dest in self.declared
                           if dest not in machine.state_set}
        self.fired: Set[Tuple[str, str, str]] = set()
        self.cells: Set[Tuple[str, str, Optional[str], Optional[str]]] = set()
        self.values: Dict[str, Set[str]] = {}
        self.ending: Set[Tuple[str, str]] = set()
        self.open: Set[str] = set()  # states some turn left the session open in
        self._options: Dict[str, Tuple[str, ...]] = {}
        self._spellings: Dict[str, Dict[str, Tuple[str, ...]]] = {}
        self._canonical: Dict[str, Dict[str, str]] = {}
        self._cells_of: Dict[Tuple[str, str], Tuple[Tuple[str, str, Optional[str],
                                                         Optional[str]], ...]] = {}
        self.space = {cell for state in machine.states for intent in model.intents.values()
                      if machine.handles(intent.name, state)
                      for cell in self.intent_cells(state, intent)}

    def options(self, type_name: str) -> Tuple[str, ...]:
        """The values of a slot type as cells: the model's values, then none and odd ones."""
        options = self._options.get(type_name)
        if options is None:
            self._learn(type_name)
            options = self._options[type_name]
        return options

    def spellings(self, type_name: str, value: str) -> Tuple[str, ...]:
        """How a user may say ``value`` of the type: the value and its synonyms."""
        self.options(type_name)
        return self._spellings[type_name].get(value, (value,))

    def _learn(self, type_name: str) -> None:
        slot_type = self.model.slot_type(type_name)
        spellings: Dict[str, Tuple[str, ...]] = {}
        if slot_type is not None and slot_type.values:
            for value in slot_type.values:
                spellings[value.value] = (value.value,) + tuple(value.synonyms)
        else:
            spellings = {word: (word,) for word in _BUILTIN_VALUES.get(type_name, ())}
        self._spellings[type_name] = spellings
        self._canonical[type_name] = {word.lower(): value for value, words in spellings.items()
                                      for word in words}
        self._options[type_name] = tuple(spellings) + _OTHER_VALUES

    def token(self, type_name: str, value: Optional[str]) -> str:
        """The cell a slot value falls in."""
        if value is None:
            return _NONE
        self.options(type_name)  # learns the type's values
        canonical = self._canonical[type_name].get(value.lower())
        if canonical is not None:
            return canonical
        return _ODD if value in _ODD_VALUES else _WORDS

    def intent_cells(self, state: str, intent: Intent
                     ) -> Tuple[Tuple[str, str, Optional[str], Optional[str]], ...]:
        """Every cell of ``intent`` in ``state``."""
        cells = self._cells_of.get((state, intent.name))
        if cells is None:
            cells = tuple((state, intent.name, slot.name, option) for slot in intent.slots
                          for option in self.options(slot.type)) \
                or ((state, intent.name, None, None),)
            self._cells_of[(state, intent.name)] = cells
        return cells

    def untried(self, state: str, intent: Intent) -> bool:
        """Whether a cell of ``intent`` in ``state`` has not been tried yet."""
        return any(cell not in self.cells for cell in self.intent_cells(state, intent))

    def note(self, before: str, step: Step, turn: conversation.Turn) -> Optional[str]:
        """Count one turn; what it reached that is new, if anything: a transition no turn fired
        before ('transition'), or a value of a session attribute not seen before (its name)."""
        kind = (turn.request.get('request') or {}).get('type')
        intent = self.model.intent(getattr(step, 'intent', None) or '')
        if kind == INTENT and intent is not None and isinstance(step, StoryTurn):
            if intent.slots:
                self.cells.update((before, intent.name, slot.name,
                                   self.token(slot.type, step.slots.get(slot.name)))
                                  for slot in intent.slots)
            else:
                self.cells.add((before, intent.name, None, None))
            if turn.should_end:
                self.ending.add((before, intent.name))
        new: Optional[str] = None
        if kind in (LAUNCH, INTENT) and turn.state is not None and not turn.should_end:
            self.open.add(turn.state)
        if kind == INTENT and turn.state is not None:
            name = ((turn.request.get('request') or {}).get('intent') or {}).get('name') or ''
            triple = (name, before, turn.state)
            if triple not in self._declared:
                triple = self._elsewhere.get((name, before), triple)
            if triple in self._declared and triple not in self.fired:
                self.fired.add(triple)
                new = _TRANSITION
        if kind in (LAUNCH, INTENT):
            for key, value in sorted(turn.attributes.items()):
                if key in _REQUEST_ATTRIBUTES:
                    continue
                seen = self.values.setdefault(key, set())
                if len(seen) < _ATTRIBUTE_VALUES:
                    text = json.dumps(value, sort_keys=True, default=str)[:80]
                    if text not in seen:
                        seen.add(text)
                        new = new or key
        return new


class _Entry:
    """A kept session: its steps up to the turn that reached something new, and that step.

    ``picks`` counts how often it was extended and ``tried`` the (intent, slot, value) cells
    its extensions tried first, so that each extension tries another value where the last one
    left off.
    """

    __slots__ = ('steps', 'last', 'picks', 'tried')

    def __init__(self, steps: Tuple[Step, ...]) -> None:
        self.steps = steps
        self.last = steps[-1]
        self.picks = 0
        self.tried: Set[Tuple[str, str, str]] = set()


class _Walker:
    """Draws the next step of a session from the model, aiming at what is not covered yet."""

    def __init__(self, model: InteractionModel, machine: Machine, coverage: _Coverage,
                 replay: Callable[[Sequence[Step]], Optional[_Replayed]]) -> None:
        self.model = model
        self.machine = machine
        self.coverage = coverage
        self.replay = replay
        self.trim_turns = 0
        self.intents: Tuple[Intent, ...] = tuple(model.intents.values())
        self.triggers = [i for i in self.intents if i.name in machine.events]
        words = {word for intent in self.intents for sample in intent.samples
                 for word in re.sub(r'\{[^}]*\}', ' ', sample).lower().split()}
        self.words: Tuple[str, ...] = tuple(sorted(words)) or _FALLBACK_WORDS
        self.corpus: List[_Entry] = []
        self.kinds: Dict[str, List[_Entry]] = {}  # by what they reached: 'transition', attribute
        self._here: Optional[_Entry] = None  # the kept session the next step extends

    def walk(self, rng: random.Random, session: _Session, max_turns: int) -> Optional[Failure]:
        """Walk one session until it ends, fails or reaches ``max_turns``: from scratch, or
        replaying a kept session and going on from its end."""
        entry = self._pick(rng)
        replay = list(entry.steps) if entry is not None else []
        repeat = entry.last if entry is not None and rng.random() < _REPEAT_LAST else None
        while len(session.steps) < max_turns and not session.over:
            if replay:
                step = replay.pop(0)
            else:
                self._here = entry
                step = self._next(rng, session, max_turns, repeat)
                self._here = repeat = entry = None
            try:
                failure = session.take(step)
            except ConversationError:
                return None  # the skill's dialog asks for what Alexa could not send: stop here
            if failure is not None:
                return failure
            new = self.coverage.note(session.before, step, session.turns[-1])
            if new and not replay and not session.over and len(session.steps) < max_turns \
                    and len(self.corpus) < _CORPUS_SIZE:
                kept = _Entry(self._trimmed(session.steps, session.turns[-1]))
                self.corpus.append(kept)
                self.kinds.setdefault(new, []).append(kept)
        return None

    def _trimmed(self, steps: Sequence[Step], last: conversation.Turn) -> Tuple[Step, ...]:
        """The steps without those the session's end does not need, as fuzzers trim what they
        keep: each step is left out in turn and stays out if the replay still ends in the same
        state with the same attributes, so an extension has its turns for going deeper."""
        target = _fingerprint(last)
        current = list(steps)
        index = 0
        while index < len(current) - 1:
            candidate = current[:index] + current[index + 1:]
            replayed = self.replay(candidate)
            if replayed is not None:
                self.trim_turns += len(replayed.turns)
            if replayed is not None and replayed.failure is None \
                    and len(replayed.turns) == len(candidate) \
                    and _fingerprint(replayed.turns[-1]) == target:
                current = candidate
            else:
                index += 1
        return tuple(current)

    def _pick(self, rng: random.Random) -> Optional[_Entry]:
        """A kept session to extend; None: start afresh.

        Each kind of find (new transitions, new values of each attribute) gets an equal share,
        so an attribute that changes on every turn (a counter) cannot crowd out the others;
        within a kind the newest finds, the frontier, come first, the less extended first.
        """
        if not self.corpus or rng.random() < _FRESH:
            return None
        kept = self.kinds[rng.choice(sorted(self.kinds))]
        pool = kept[-_FRONTIER_SIZE:] if rng.random() < _FRONTIER else kept
        entry = rng.choices(pool, [1 / (1 + e.picks) for e in pool])[0]
        entry.picks += 1
        return entry

    def _next(self, rng: random.Random, session: _Session, max_turns: int,
              repeat: Optional[Step]) -> Step:
        if not session.steps:
            return self._intent(rng, INITIAL_STATE, False) if rng.random() < _ONE_SHOT \
                else StoryTurn.launch()
        dialog = session.dialog
        if dialog is not None and self.model.intent(dialog.intent) is not None \
                and rng.random() < _FOLLOW_DIALOG:
            return self._answer(rng, session.state, dialog)
        late = len(session.steps) >= _LATE * max_turns
        end, relaunch = (_END, _RELAUNCH) if late else (_END * _EARLY, _RELAUNCH * _EARLY)
        draw = rng.random()
        if draw < end and session.chat.in_session:
            return StoryTurn.end(rng.choice(SESSION_END_REASONS))
        if draw < end + _CAN_FULFILL:
            intent = rng.choice(self.intents)
            return CanFulfill(intent.name, self._slots(rng, INITIAL_STATE, intent))
        if draw < end + _CAN_FULFILL + relaunch:
            return StoryTurn.launch()
        pushed = digression_trigger(rng, self.machine, session.state,
                                    session.turns[-1].attributes if session.turns else {})
        digress = self.model.intent(pushed) if pushed else None
        if digress is not None:  # a digression, or the way back from one (dialog_checks)
            return StoryTurn(INTENT_ACTION, intent=digress.name,
                             slots=self._slots(rng, session.state, digress))
        again = self.model.intent(getattr(repeat, 'intent', None) or '')
        return self._intent(rng, session.state, late, again)

    def _weight(self, state: str, intent: Intent, late: bool) -> float:
        """How likely ``intent`` is next in ``state``: handled ones, untried cells first, and
        what ends the session rarely until late."""
        weight = 1.0 if self.machine.handles(intent.name, state) else _UNHANDLED
        if not late and (intent.name in _ENDING_INTENTS
                         or (state, intent.name) in self.coverage.ending):
            weight *= _ENDING
        if self.coverage.untried(state, intent):
            weight *= _UNTRIED_CELL
        return weight

    def _intent(self, rng: random.Random, state: str, late: bool,
                intent: Optional[Intent] = None) -> StoryTurn:
        if intent is None:
            weights = [self._weight(state, i, late) for i in self.intents]
            intent = rng.choices(self.intents, weights)[0]
        dialog_state, confirmation = None, 'NONE'
        if has_dialog_model(intent) and rng.random() < _DIALOG:
            dialog_state = rng.choice(DIALOG_STATES)
            if rng.random() < _CONFIRMATION:
                confirmation = rng.choice(CONFIRMATION_STATUSES)
        return StoryTurn(INTENT_ACTION, intent=intent.name,
                         slots=self._slots(rng, state, intent), dialog_state=dialog_state,
                         confirmation_status=confirmation)

    def _answer(self, rng: random.Random, state: str, dialog: Dialog) -> StoryTurn:
        """What Alexa sends next in a dialog the skill keeps open: the same intent with the
        slots so far, the one asked for answered, or the confirmation given."""
        intent = conversation._model_intent(self.model, dialog.intent)
        slots = {slot.name: dialog.slots.get(slot.name) for slot in intent.slots}
        asked = dialog.slot
        if asked is None and dialog.directive == 'Dialog.Delegate':
            asked = next((s.name for s in intent.required_slots if not slots.get(s.name)), None)
        confirmation = 'NONE'
        asked_slot = intent.slot(asked) if asked is not None else None
        if dialog.directive == 'Dialog.ConfirmIntent':
            confirmation = rng.choice(('CONFIRMED', 'CONFIRMED', 'DENIED'))
        elif asked is not None and asked_slot is not None:
            slots[asked] = self._slot_value(rng, state, intent, asked_slot)
        return StoryTurn(INTENT_ACTION, intent=dialog.intent, slots=slots,
                         dialog_state='IN_PROGRESS', confirmation_status=confirmation)

    def _slots(self, rng: random.Random, state: str, intent: Intent) -> Dict[str, Optional[str]]:
        return {slot.name: self._slot_value(rng, state, intent, slot) for slot in intent.slots}

    def _slot_value(self, rng: random.Random, state: str, intent: Intent,
                    slot: Any) -> Optional[str]:
        """A value for ``slot``: often one not tried yet in this state and intent, else any of
        the type's values, none, an odd one or words of the samples, alike."""
        options = self.coverage.options(slot.type)
        values = options[:-len(_OTHER_VALUES)]
        here = self._here
        if here is not None:  # the first step from a kept session: a value not tried from it,
            fresh = [option for option in options  # the model's first
                     if (intent.name, slot.name, option) not in here.tried]
            option = rng.choice([o for o in fresh if o in values] or fresh or options)
            here.tried.add((intent.name, slot.name, option))
        else:
            untried = [option for option in options
                       if (state, intent.name, slot.name, option) not in self.coverage.cells]
            draw = rng.random()
            if untried and draw < _UNTRIED_VALUE:
                option = rng.choice(untried)
            else:  # none, odd and sample words as often whether the type has 3 values or 300
                draw = (draw - _UNTRIED_VALUE) / (1 - _UNTRIED_VALUE) if untried else draw
                option = next((kind for kind, share in _OTHER_SHARES if draw < share),
                              None) or (rng.choice(values) if values else _WORDS)
        if option == _NONE:
            return None
        if option == _ODD:
            return rng.choice(_ODD_VALUES)
        if option == _WORDS:
            return ' '.join(rng.choice(self.words) for _ in range(rng.randint(1, 4)))
        return rng.choice(self.coverage.spellings(slot.type, option))


def _fingerprint(turn: conversation.Turn) -> Tuple[Optional[str], str, bool]:
    """Where a turn left the session: its state, the skill's attributes, whether it ended."""
    attributes = {k: v for k, v in turn.attributes.items() if k not in _REQUEST_ATTRIBUTES}
    return turn.state, json.dumps(attributes, sort_keys=True, default=str), turn.should_end


def _describe(transition: Tuple[str, str, str]) -> str:
    """A declared transition as the report names it: 'Trigger: source -> dest'."""
    trigger, source, dest = transition
    return f'{trigger}: {source} -> {dest}'


def _regular_values(slot_type: Optional[SlotType], type_name: str) -> Tuple[str, ...]:
    """Values a user of the skill would say for the type: the model's values and synonyms."""
    if slot_type is not None and slot_type.values:
        return tuple(word for value in slot_type.values for word in (value.value,) + value.synonyms)
    return _BUILTIN_VALUES.get(type_name, ())


# --- judging a turn -----------------------------------------------------------------------------

def _judge(turn: conversation.Turn, number: int, before: str, machine: Machine,
           model: InteractionModel, failures: Sequence[Tuple[str, BaseException]]
           ) -> Optional[Failure]:
    request = parse(turn.request)
    what = request.type or '?'
    if request.type in (INTENT, CAN_FULFILL):
        what = f'{what}:{request.intent_name}'
    said = f"{turn.said} in state '{before}'"
    for _, error in failures:
        if not isinstance(error, TurnFailed):
            return _from_exception(error, number, said, what, machine)
    if failures:
        stage, error = failures[0]
        message = _REQUEST_ID.sub('', str(error))
        return Failure(LOGGED_ERROR, number, said, what, f'{stage}: {message}'[:60],
                       f'the turn ended in the apology at its {stage} step: {message}',
                       apology=True)
    problems = response_problems(turn.request, turn.response, model)
    if problems:
        problem = problems[0]
        return Failure(INVALID_RESPONSE, number, said, what,
                       f'{problem.code} in state {turn.state}',
                       problem.message + (f' (and {len(problems) - 1} more problems: '
                                          f'{", ".join(p.code for p in problems[1:])})'
                                          if len(problems) > 1 else ''))
    if request.type in (LAUNCH, INTENT):
        return _state_failure(turn, number, said, what, machine)
    return None


def _from_exception(error: BaseException, number: int, said: str, what: str,
                    machine: Machine) -> Failure:
    tb = error.__traceback__
    text = ''.join(traceback.format_exception(type(error), error, tb))
    where = _raised_at(tb)
    raised = f'{type(error).__name__}: {error}'
    state = _policy_state(tb)
    if state is not None and state not in machine.state_set:
        return Failure(UNDECLARED_STATE, number, said, what, f'{state}',
                       f"the machine went to state '{state}', which "
                       f'{machine.states_cls.__name__} does not declare (states: '
                       f'{", ".join(machine.states)}): a callback or state method set the state '
                       f"to a name with no state method; fix the name or add 'def {state}"
                       f"(self)'. alexafsm answered with its apology after {raised}",
                       text, apology=True)
    kind, detail = EXCEPTION, f'{type(error).__name__} at {where}'
    if isinstance(error, response.ResponseError):
        kind, detail = INVALID_RESPONSE, f'{detail}, state {state}'
    return Failure(kind, number, said, what, detail,
                   f'{raised} (alexafsm answered with its apology)', text, apology=True)


def _state_failure(turn: conversation.Turn, number: int, said: str, what: str,
                   machine: Machine) -> Optional[Failure]:
    attributes = turn.response.get('sessionAttributes')
    if attributes is None:
        if turn.should_end:
            return None
        return Failure(UNDECLARED_STATE, number, said, what, 'no sessionAttributes',
                       'the response keeps the session open but sends no sessionAttributes, so '
                       "the next turn starts over from 'initial': return the Response with "
                       'session_attributes (Policy.handle adds them)')
    state = attributes.get('state')
    if state in machine.state_set:
        return None
    return Failure(UNDECLARED_STATE, number, said, what, f'{state}',
                   f"the response's sessionAttributes.state is {state!r}, which "
                   f'{machine.states_cls.__name__} does not declare (states: '
                   f'{", ".join(machine.states)}), so the next turn starts over from '
                   f"'initial': something set attributes.state by hand; fix the name or add "
                   f"'def {state}(self)'")


def _raised_at(tb: Any) -> str:
    """Where the exception was raised: the innermost frame outside the standard library and
    installed packages, so a bug reached through ``json`` or ``re`` is told by its caller."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return 'unknown'
    own = [frame for frame in frames if not frame.filename.startswith(_LIBRARY_DIRS)]
    last = (own or frames)[-1]
    return f'{last.filename.rsplit("/", 1)[-1]}:{last.lineno} in {last.name}'


def _policy_state(tb: Any) -> Optional[str]:
    """The state of the policy that was answering when the exception was raised.

    The policy object is on the stack of the frames the exception went through; reading its
    state there tells a bad state name (the responder cannot answer) from any other crash.
    """
    state = None
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get('self')
        if isinstance(candidate, Policy):
            state = candidate.state
        tb = tb.tb_next
    return state if isinstance(state, str) or state is None else repr(state)


# --- replaying and reducing ---------------------------------------------------------------------

def _replay(policy_cls: Type[Policy], model: InteractionModel, machine: Machine,
            steps: Sequence[Step], errors: _FailureLog,
            checks: Tuple[TurnCheck, ...] = ()) -> Optional[_Replayed]:
    """Play the steps from scratch; None when a step cannot be taken (no session to end)."""
    session = _Session(policy_cls, model, machine, errors, checks)
    for step in steps:
        try:
            failure = session.take(step)
        except ConversationError:
            return None
        if failure is not None:
            return _Replayed(failure, session.turns)
    return _Replayed(None, session.turns)


def _reduce(policy_cls: Type[Policy], model: InteractionModel, machine: Machine,
            steps: Sequence[Step], failure: Failure, errors: _FailureLog,
            checks: Tuple[TurnCheck, ...] = (), max_replays: int = 2000) -> Reduction:
    """Delta debugging, where a candidate session "fails" if it fails with ``failure``'s
    signature; a candidate failing earlier than its end is cut there."""
    signature = failure.signature
    replays, last_failure = 0, failure

    def test(candidate: Sequence[Step]) -> Optional[List[Step]]:
        nonlocal replays, last_failure
        if not candidate:
            return None
        if replays >= max_replays:
            raise reduction.Exhausted()
        replays += 1
        replayed = _replay(policy_cls, model, machine, candidate, errors, checks)
        if replayed is None or replayed.failure is None \
                or replayed.failure.signature != signature:
            return None
        last_failure = replayed.failure
        return list(candidate[:replayed.failure.turn])

    def plain_values(step: Step, slot_name: str) -> Tuple[str, ...]:
        intent = model.intent(getattr(step, 'intent', '') or '')
        slot = intent.slot(slot_name) if intent is not None else None
        return _regular_values(model.slot_type(slot.type), slot.type) if slot is not None else ()

    current = list(steps[:failure.turn])
    if test(current) is None:
        return Reduction(tuple(current), failure, replays, failure.turn, False)
    current = reduction.shrink(current, test, plain_values)
    return Reduction(tuple(current), last_failure, replays, failure.turn, True)


def _story(policy_cls: Type[Policy], model: InteractionModel, machine: Machine,
           reduction: Reduction, errors: _FailureLog, checks: Tuple[TurnCheck, ...],
           name: str) -> Optional[Story]:
    """The reduced session as a story: states checked on the way, the failure checked last."""
    if any(isinstance(step, CanFulfill) for step in reduction.steps):
        return None
    replayed = _replay(policy_cls, model, machine, reduction.steps, errors, checks)
    if replayed is None:
        return None
    turns = []
    last = len(replayed.turns)
    for number, got in enumerate(replayed.turns, 1):
        expect: Dict[str, Any] = {}
        if number < last and got.state is not None:
            expect['state'] = got.state
        if number == last and got.speech == APOLOGY_SPEECH:
            expect['speech_matches'] = _NOT_THE_APOLOGY
        turns.append(StoryTurn.from_request(got.request, **expect))
    return Story(name, tuple(turns))


def _machine(policy_cls: Type[Policy]) -> Machine:
    """The machine every tool reads, with a Policy unfit to run reported as the fuzzer's error."""
    try:
        return machine_of(policy_cls)
    except TypeError as error:
        raise FuzzError(str(error)) from None


def _load(model: PathOrModel) -> InteractionModel:
    return model if isinstance(model, InteractionModel) else load_model(model)


def _spec(policy_cls: Type[Policy]) -> str:
    return f'{policy_cls.__module__}:{policy_cls.__qualname__}'


def _one_line(text: str) -> str:
    return ' '.join(text.split())


def _indent(text: str, prefix: str) -> str:
    return '\n'.join(prefix + line if line else line for line in text.splitlines())


__all__ = ['CanFulfill', 'CheckedTurn', 'Failure', 'Finding', 'FuzzError', 'FuzzReport', 'Problem',
           'Reduction', 'Step', 'dump_findings', 'fuzz', 'reduce', 'replay', 'response_problems',
           'ssml_problem', 'story_steps', 'TurnCheck', 'EXCEPTION', 'LOGGED_ERROR',
           'UNDECLARED_STATE', 'INVALID_RESPONSE', 'LONG_VALUE', 'APOLOGY_SPEECH']
