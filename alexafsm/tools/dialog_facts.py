"""What a machine's dialog features mean for the tools: pushes, resumes, clears, mounts, forms.

The validator, the graph, the printout, coverage and the fuzzer all ask the same questions of
a skill that uses ``alexafsm.dialogs`` (which transitions push, where a ``RESUME`` can lead, which
states a mount holds, how deep the stack can grow), so the answers live here once. Everything
is read from the compiled machine and the States class; no skill code runs.

``explore`` walks the machine's stack as the runtime keeps it (push, resume, clear, unwind,
digressions, ``MAX_STACK``), ignoring conditions, so it sees every stack a conversation could
build: the validator reads from it where pushes chain too deep and where a resume can find the
stack empty.
"""
from collections import deque
from typing import TYPE_CHECKING
from typing import Any
from typing import Deque
from typing import Dict
from typing import FrozenSet
from typing import Iterable
from typing import Iterator
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Set
from typing import Tuple
from typing import Type

from alexafsm.dialogs import RESUME
from alexafsm.dialogs.compiled import FormInfo
from alexafsm.dialogs.compiled import MountInfo
from alexafsm.dialogs.compiled import dialog_info
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import ENVELOPE
from alexafsm.session_attributes import INITIAL_STATE

if TYPE_CHECKING:
    from alexafsm.states import States

__all__ = ['is_resume', 'is_dialog_transition', 'uses_dialogs', 'mounts_of', 'mount_path',
           'forms_of', 'max_stack', 'never_suspended', 'unsuspended', 'otherwise_of',
           'digression_scope', 'in_scope', 'push_sources', 'stack_of', 'fired_transition',
           'resume_targets', 'state_edges', 'explore', 'Config', 'Exploration', 'DEFAULT_MAX_STACK',
           'EXPLORE_LIMIT']

DEFAULT_MAX_STACK = 3
#: Configurations ``explore`` visits before it stops; a bigger machine is reported partially.
EXPLORE_LIMIT = 200_000


def is_resume(t: Transition) -> bool:
    """Whether ``t`` goes back to the most recently suspended state (``'dest': RESUME``)."""
    return t.dest == RESUME


def is_dialog_transition(t: Transition) -> bool:
    """Whether ``t`` touches the stack; flat skills have none, so their tool output is 0.1.11's."""
    return bool(getattr(t, 'push', False) or getattr(t, 'clear', False)) or is_resume(t)


def mounts_of(states_cls: Type['States']) -> List[MountInfo]:
    """The dialogs mounted in ``states_cls``, as ``alexafsm.dialogs.compiled`` compiled them."""
    info = dialog_info(states_cls)
    return [] if info is None else list(info.mounts.values())


def forms_of(states_cls: Type['States']) -> List[FormInfo]:
    """The mounted forms (``Form``) as compiled: intent, slots merged with the model; what
    forms' checks read."""
    info = dialog_info(states_cls)
    return [] if info is None else list(info.forms.values())


def uses_dialogs(fsm: Machine) -> bool:
    """Whether the machine mounts a dialog or has a transition that touches the stack."""
    return bool(mounts_of(fsm.states_cls)) or any(is_dialog_transition(t)
                                                  for t in fsm.transitions)


def mount_path(state: str) -> Optional[str]:
    """The mount a dotted state lives in ('order' for 'order.asking'); None at the root."""
    path, dot, _ = state.rpartition('.')
    return path if dot else None


def in_scope(state: str, scope: str) -> bool:
    """Whether ``state`` is the scope itself or a state of the mount the scope names."""
    return state == scope or state.startswith(scope + '.')


def max_stack(states_cls: Type['States']) -> int:
    """``States.MAX_STACK``: how many suspended states the stack keeps (the oldest go first)."""
    return int(getattr(states_cls, 'MAX_STACK', DEFAULT_MAX_STACK))


def never_suspended(states_cls: Type['States']) -> FrozenSet[str]:
    """``States.NEVER_SUSPENDED``: states a push leaves off the stack (the welcome)."""
    names = getattr(states_cls, 'NEVER_SUSPENDED', (INITIAL_STATE,))
    return frozenset([names] if isinstance(names, str) else names)


def otherwise_of(t: Transition, states_cls: Type['States']) -> str:
    """Where a ``RESUME`` goes when nothing is suspended: its ``otherwise``, else the default."""
    return str(t.otherwise or getattr(states_cls, 'RESUME_OTHERWISE', INITIAL_STATE))


def digression_scope(t: Transition) -> str:
    """What a push enters: the mount, when it pushes into a dialog from outside, else the state."""
    mount = mount_path(t.dest)
    if mount is not None and mount_path(t.source) != mount:
        return mount
    return t.dest


def unsuspended(fsm: Machine) -> FrozenSet[str]:
    """The states a push never suspends, as the runtime decides: NEVER_SUSPENDED and every
    state a push enters (a digression, however the conversation came there). The stack walk,
    ``push_sources`` and the resume check share it so they predict the stacks the runtime builds.
    """
    return never_suspended(fsm.states_cls) | frozenset(
        t.dest for t in fsm.transitions if getattr(t, 'push', False))


def push_sources(fsm: Machine) -> Dict[str, Set[str]]:
    """For each digression scope, the states a push into it can suspend."""
    excluded = unsuspended(fsm)
    sources: Dict[str, Set[str]] = {}
    for t in fsm.transitions:
        if getattr(t, 'push', False):
            scope = sources.setdefault(digression_scope(t), set())
            if t.source not in excluded:
                scope.add(t.source)
    return sources


def resume_targets(fsm: Machine, t: Transition) -> Set[str]:
    """Where a ``RESUME`` transition may lead, over-approximated: any state a push can suspend
    (a digression can end and leave the stack for a later resume), and its ``otherwise``."""
    targets = {s for sources in push_sources(fsm).values() for s in sources}
    targets.add(otherwise_of(t, fsm.states_cls))
    return targets


def state_edges(fsm: Machine) -> Iterator[Tuple[str, str]]:
    """Every (source, dest) a transition can take, a ``RESUME`` expanded to where it may lead.

    For a flat skill these are exactly the transitions' own (source, dest) pairs.
    """
    targets: Optional[Set[str]] = None
    for t in fsm.transitions:
        if is_resume(t):
            if targets is None:
                targets = {s for sources in push_sources(fsm).values() for s in sources}
            for dest in sorted(targets | {otherwise_of(t, fsm.states_cls)}):
                yield t.source, dest
        else:
            yield t.source, t.dest


def stack_of(attributes: Any) -> List[str]:
    """The suspended states a session-attribute dict carries (oldest first); [] without any."""
    envelope = attributes.get(ENVELOPE) if isinstance(attributes, dict) else None
    stack = envelope.get('stack') if isinstance(envelope, dict) else None
    return [s for s in stack if isinstance(s, str)] if isinstance(stack, list) else []


def fired_transition(fsm: Machine, attributes: Dict[str, Any], source: str, trigger: str,
                     dest: str) -> Optional[Transition]:
    """Which transition took a recorded turn from ``source`` to ``dest``, as far as the wire
    tells: the first candidate that leads there. A ``RESUME`` leads to the request's stack top
    (``attributes`` are the request's session attributes), else to its ``otherwise``, or, from
    the welcome, to the task a resume record kept; in a digression, an intent only the
    suspended state handles fires from it.
    """
    renamed: Dict[str, str] = dict(getattr(fsm.states_cls, 'RENAMED', None) or {})
    stack = [s for s in (renamed.get(e, e) for e in stack_of(attributes)) if s in fsm.state_set]
    candidates = fsm.candidates(trigger, source)
    envelope = attributes.get(ENVELOPE) if isinstance(attributes, dict) else None
    if not candidates and stack and isinstance(envelope, dict) and envelope.get('digression'):
        candidates = fsm.candidates(trigger, stack[-1])
    for t in candidates:
        if is_resume(t):
            if stack:
                if dest == stack[-1]:
                    return t
            elif dest == otherwise_of(t, fsm.states_cls) or source == INITIAL_STATE:
                return t
        elif t.dest == dest:
            return t
    # a form entered from outside starts at 'confirming' when its frame is already complete
    return next((t for t in candidates if not is_resume(t) and mount_path(t.dest) is not None
                 and mount_path(t.dest) == mount_path(dest) != mount_path(source)), None)


class Config(NamedTuple):
    """Where a conversation is, as far as the stack goes: the state, the suspended states
    (oldest first) and the scope of the digression in progress."""

    state: str
    stack: Tuple[str, ...] = ()
    digression: Optional[str] = None


class Exploration(NamedTuple):
    """What ``explore`` found: the configurations reached (each with the step that first led
    there), the pushes that overflowed ``MAX_STACK`` and the resumes that found the stack empty."""

    parents: Dict[Config, Optional[Tuple[Config, Transition]]]
    overflows: List[Tuple[Config, Transition]]
    empty_resumes: List[Tuple[Config, Transition]]
    complete: bool

    def path_to(self, config: Config) -> List[Tuple[Config, Transition]]:
        """The steps from the launch to ``config``: each (configuration before, transition)."""
        steps: List[Tuple[Config, Transition]] = []
        parent = self.parents.get(config)
        while parent is not None:
            steps.append(parent)
            parent = self.parents.get(parent[0])
        return steps[::-1]


def _step(fsm: Machine, config: Config, t: Transition, ending: FrozenSet[str],
          excluded: FrozenSet[str], limit: int) -> Tuple[Config, bool]:
    """The configuration after ``t`` fires in ``config``, and whether a push overflowed."""
    stack, digression = config.stack, config.digression
    if getattr(t, 'clear', False):
        return Config(t.dest), False
    if is_resume(t):
        if stack:
            return Config(stack[-1], stack[:-1]), False
        return Config(otherwise_of(t, fsm.states_cls)), False
    overflow = False
    if getattr(t, 'push', False):
        if digression is None and config.state not in excluded:
            stack = tuple(s for s in stack if s != config.state) + (config.state,)
            if len(stack) > limit:
                overflow = True
                stack = stack[-limit:] if limit > 0 else ()
        digression = mount_path(t.dest) or t.dest  # as the runtime: the pushed scope
    else:
        for index, entry in enumerate(stack):  # unwind: the user went back to a suspended task
            if t.dest == entry or (mount_path(t.dest) is not None and
                                   mount_path(t.dest) == mount_path(entry)):
                stack = stack[:index]
                break
        if digression is not None and not in_scope(t.dest, digression):
            digression = None
    if t.dest in ending:
        return Config(t.dest), overflow
    return Config(t.dest, stack, digression), overflow


def explore(fsm: Machine, ending: Iterable[str] = (), limit: int = EXPLORE_LIMIT) -> Exploration:
    """Every stack a conversation can build, from the launch, whatever the conditions say.

    Sessions end in the ``ending`` states (the envelope is dropped there); a new session starts
    again from the launch with an empty stack, which is the first configuration.
    """
    ends = frozenset(ending)
    excluded = unsuspended(fsm)
    depth = max_stack(fsm.states_cls)
    by_source: Dict[str, List[Transition]] = {}
    for t in fsm.transitions:
        by_source.setdefault(t.source, []).append(t)
    start = Config(INITIAL_STATE)
    parents: Dict[Config, Optional[Tuple[Config, Transition]]] = {start: None}
    overflows: List[Tuple[Config, Transition]] = []
    empty: List[Tuple[Config, Transition]] = []
    todo: Deque[Config] = deque([start])
    while todo:
        if len(parents) > limit:
            return Exploration(parents, overflows, empty, False)
        config = todo.popleft()
        if config.state in ends:  # the session is over; the next one starts at the launch
            continue
        for t in by_source.get(config.state, ()):
            if t.dest not in fsm.state_set and not is_resume(t):
                continue
            if is_resume(t) and not config.stack:
                empty.append((config, t))
            after, overflowed = _step(fsm, config, t, ends, excluded, depth)
            if overflowed:
                overflows.append((config, t))
            if after.state in fsm.state_set and after not in parents:
                parents[after] = (config, t)
                todo.append(after)
    return Exploration(parents, overflows, empty, True)

