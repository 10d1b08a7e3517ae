"""``alexafsm fuzz --check-resume``: a digression and the way back must change nothing.

A metamorphic test (design T8): take a prefix of a fuzzed session that ends in a task state S
(in a session, not in a digression), a trigger D that pushes from S and a trigger R that resumes
from where D led. After prefix + [D, R] the conversation must be where the prefix alone left it:
the same state, the same stack and the same user attributes (the turn's ``intent`` and ``slots``
aside, and the reserved ``alexafsm`` key compared through its stack). A skill whose resumed
responder (or whose digression) changes what the user built fails here, with the prefix, D and
R written down so the case can be replayed.

Each sample replays its prefix once in a fresh conversation as a fresh user, notes where it
stands, then says D and R in the same conversation: the cost is one replay per sample.
"""
import logging
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Optional
from typing import Sequence
from typing import Set
from typing import Tuple
from typing import Type

from alexafsm.errors import ConversationError
from alexafsm.machine import Machine
from alexafsm.session_attributes import ENVELOPE
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.conversation import PathOrModel
from alexafsm.testing.conversation import Turn
from alexafsm.testing.stories import Story
from alexafsm.testing.stories import Turn as StoryTurn
from alexafsm.tools.describe import machine_of
from alexafsm.tools.dialog_facts import is_resume
from alexafsm.tools.dialog_facts import stack_of
from alexafsm.tools.dialog_facts import unsuspended
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['check_resume', 'ResumeFinding', 'ResumeReport', 'Snapshot', 'snapshot']

#: The session attributes every turn rewrites: not the user's work.
_PER_TURN = ('intent', 'slots', ENVELOPE)


@dataclass(frozen=True)
class Snapshot:
    """Where a conversation stands: state, suspended states, and the user's attributes."""

    state: Optional[str]
    stack: Tuple[str, ...]
    attributes: Dict[str, Any]


def snapshot(turn: Turn) -> Snapshot:
    """What must survive a digression and the way back, read from the turn's answer."""
    attributes = {k: v for k, v in turn.attributes.items() if k not in _PER_TURN}
    return Snapshot(turn.state, tuple(stack_of(turn.attributes)), attributes)


@dataclass(frozen=True)
class ResumeFinding:
    """A prefix after which the push ``push`` and the resume ``resume`` did not come back."""

    prefix: Tuple[Any, ...]
    push: str
    resume: str
    expected: Snapshot
    got: Snapshot

    def differences(self) -> List[str]:
        """What differs, one line each: state, stack, each user attribute."""
        lines = []
        if self.expected.state != self.got.state:
            lines.append(f"state: expected '{self.expected.state}', got '{self.got.state}'")
        if self.expected.stack != self.got.stack:
            lines.append(f"stack: expected {list(self.expected.stack)}, got "
                         f"{list(self.got.stack)}")
        for key in sorted(set(self.expected.attributes) | set(self.got.attributes)):
            before, after = self.expected.attributes.get(key), self.got.attributes.get(key)
            if before != after:
                lines.append(f"attribute {key}: expected {before!r}, got {after!r}")
        return lines

    def story(self) -> Story:
        """The case as a story that checks the state after the way back."""
        turns = list(self.prefix) + [StoryTurn.say(self.push),
                                     StoryTurn.say(self.resume, state=self.expected.state,
                                                   stack=list(self.expected.stack))]
        return Story(f'{self.push} then {self.resume} in {self.expected.state}', tuple(turns))

    def describe(self) -> str:
        """The case for a CI log: the session, the two intents, and what changed."""
        said = ', '.join(step.describe() for step in self.prefix)
        return '\n'.join([f"after [{said}] in '{self.expected.state}', {self.push} then "
                          f"{self.resume} did not come back:"] +
                         [f"  {line}" for line in self.differences()])


@dataclass
class ResumeReport:
    """How many prefixes were tried and which did not come back."""

    samples: int = 0
    findings: List[ResumeFinding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every sampled digression came back where it left."""
        return not self.findings

    def text(self) -> str:
        """The report for a terminal."""
        head = f"check-resume: {self.samples} digressions and returns tried, " + \
            (f"{len(self.findings)} did not come back" if self.findings else "all came back")
        return '\n'.join([head] + [f.describe() for f in self.findings])


def _triggers(fsm: Machine) -> Tuple[Dict[str, List[str]], Dict[str, List[str]]]:
    """Push triggers by the states they suspend (a NEVER_SUSPENDED one, or a digression state
    however entered, is left as it is, so its way back goes to ``otherwise``), and resume
    triggers by state."""
    pushes: Dict[str, List[str]] = {}
    resumes: Dict[str, List[str]] = {}
    kept = unsuspended(fsm)
    for t in fsm.transitions:
        if t.push and t.dest in fsm.state_set and t.source not in kept:
            pushes.setdefault(t.source, [])
            if t.trigger not in pushes[t.source]:
                pushes[t.source].append(t.trigger)
        elif is_resume(t):
            resumes.setdefault(t.source, [])
            if t.trigger not in resumes[t.source]:
                resumes[t.source].append(t.trigger)
    return pushes, resumes


def check_resume(policy_cls: Type['Policy'], model: PathOrModel,
                 walks: Iterable[Sequence[Any]], *, samples: int = 200,
                 seed: int = 0) -> ResumeReport:
    """Try up to ``samples`` prefixes of ``walks`` (a fuzz report's sessions) with a push and
    a resume after each; report the ones that do not end where the prefix ended."""
    model = model if isinstance(model, InteractionModel) else load_model(model)
    fsm = machine_of(policy_cls)
    pushes, resumes = _triggers(fsm)
    report = ResumeReport()
    if not pushes:
        return report
    rng = random.Random(seed)
    prefixes = [tuple(walk[:n]) for walk in walks for n in range(1, len(walk) + 1)
                if all(isinstance(step, StoryTurn) for step in walk[:n])]
    rng.shuffle(prefixes)
    seen: Set[Tuple[Any, ...]] = set()
    with _quiet():
        _run(policy_cls, model, fsm, prefixes, pushes, resumes, rng, seen, report, samples)
    return report


def _run(policy_cls: Type['Policy'], model: InteractionModel, fsm: Machine,
         prefixes: List[Tuple[Any, ...]], pushes: Dict[str, List[str]],
         resumes: Dict[str, List[str]], rng: random.Random, seen: Set[Tuple[Any, ...]],
         report: ResumeReport, samples: int) -> None:
    for prefix in prefixes:
        if report.samples >= samples:
            break
        finding = _sample(policy_cls, model, fsm, prefix, pushes, resumes, rng, seen)
        if finding is None:
            continue
        report.samples += 1
        if finding is not True:
            report.findings.append(finding)


@contextmanager
def _quiet() -> Iterator[None]:
    """Odd fuzzed prefixes make skills log errors the fuzz run already reported."""
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _sample(policy_cls: Type['Policy'], model: InteractionModel, fsm: Machine,
            prefix: Tuple[StoryTurn, ...], pushes: Dict[str, List[str]],
            resumes: Dict[str, List[str]], rng: random.Random,
            seen: Set[Tuple[Any, ...]]) -> Any:
    """True when the digression came back, a finding when not, None when none was tried."""
    chat = Conversation(policy_cls, model=model, store='memory://',
                        user_id=f'amzn1.ask.account.RESUME-{uuid.uuid4().hex}')
    try:
        turns = [step.perform(chat) for step in prefix]
    except ConversationError:
        return None
    last = turns[-1]
    envelope = last.attributes.get(ENVELOPE)
    if not chat.in_session or last.state not in pushes or \
            (isinstance(envelope, dict) and envelope.get('digression')):
        return None
    push = rng.choice(pushes[last.state])
    key = (last.state, push, tuple(stack_of(last.attributes)))
    if key in seen and rng.random() < 0.8:  # mostly new situations
        return None
    seen.add(key)
    before = snapshot(last)
    try:
        pushed = chat.say(push)
        if pushed.state not in resumes or not chat.in_session:
            return None
        resume = rng.choice(resumes[pushed.state])
        back = chat.say(resume)
    except ConversationError:
        return None
    after = snapshot(back)
    if after == before:
        return True
    return ResumeFinding(prefix, push, resume, before, after)
