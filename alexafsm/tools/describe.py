"""A skill's machine as data: JSON for tools, 0.1.11's text printout for people and diffs.

The validator, the graph and the CLI all need the same few answers (which machine a policy has,
which states end the session, how a transition's conditions read), so they live here once.
A skill using ``alexafsm.dialogs`` gets its pushes, resumes, clears and mounted dialogs in both
forms; a flat skill's JSON and text are what they always were.
"""
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import FrozenSet
from typing import Iterable
from typing import List
from typing import Optional
from typing import Type
from typing import Union

from alexafsm.dialogs import RESUME
from alexafsm.machine import Callback
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.tools.dialog_facts import max_stack
from alexafsm.tools.dialog_facts import mounts_of
from alexafsm.tools.dialog_facts import never_suspended
from alexafsm.tools.dialog_facts import otherwise_of
from alexafsm.tools.dialog_facts import uses_dialogs

if TYPE_CHECKING:
    from alexafsm.policy import Policy
    from alexafsm.states import States

__all__ = ['describe', 'machine_text', 'machine_listing', 'machine_of', 'policy_class',
           'PolicyLike', 'ending_states_of', 'callback_name', 'condition_labels',
           'DEFAULT_ENDING_STATES']

DEFAULT_ENDING_STATES: FrozenSet[str] = frozenset({'exiting'})

#: A Policy subclass or one of its instances, as 0.1.11's tools were passed.
PolicyLike = Union[Type['Policy'], 'Policy']


def policy_class(policy: PolicyLike) -> Type['Policy']:
    """0.1.11's tools took ``Policy.initialize()``; ours take the class: accept either."""
    return policy if isinstance(policy, type) else type(policy)


def machine_of(policy: PolicyLike) -> Machine:
    """The compiled machine, shared with the running skill, so tools see what requests see."""
    return Machine.of(policy_class(policy))


def ending_states_of(states_cls: Type['States'],
                     configured: Optional[Iterable[str]] = None) -> FrozenSet[str]:
    """States whose response ends the session, so having no way out of them is no bug.

    Whether a state's method returns ``response.end(...)`` cannot be known without running skill
    code, so the rule is declarative: the ``configured`` names (default ``{'exiting'}``, 0.1.11's
    convention) plus whatever the States class lists in an optional ``ENDING_STATES`` attribute.
    """
    names = set(DEFAULT_ENDING_STATES if configured is None else configured)
    declared = getattr(states_cls, 'ENDING_STATES', ())
    names.update([declared] if isinstance(declared, str) else declared)
    return frozenset(names)


def callback_name(callback: Callback) -> str:
    """Names are what authors write and search for; callables are shown by their own name."""
    return callback if isinstance(callback, str) else getattr(callback, '__name__', repr(callback))


def condition_labels(transition: Transition) -> List[str]:
    """The guard as one reads it: conditions as named, ``unless`` ones negated (``!m_has_nth``)."""
    return ([callback_name(c) for c in transition.conditions]
            + [f"!{callback_name(c)}" for c in transition.unless])


def _names(callbacks: Iterable[Callback]) -> List[str]:
    return [callback_name(c) for c in callbacks]


def _transition_json(t: Transition, dialogs: bool = False) -> Dict[str, Any]:
    declared = t.declared_source if isinstance(t.declared_source, str) else list(t.declared_source)
    data: Dict[str, Any] = {
        'dest': t.dest, 'conditions': _names(t.conditions), 'unless': _names(t.unless),
        'prepare': _names(t.prepare), 'before': _names(t.before), 'after': _names(t.after),
        'declared_source': declared, 'declared_on': t.declared_on}
    if dialogs:
        data.update(push=t.push, clear=t.clear, resume=t.dest == RESUME,
                    otherwise=t.otherwise, outcome=t.outcome)
    return data


def _dialogs_json(fsm: Machine) -> Dict[str, Any]:
    """The stack's settings and each mounted dialog: class, entry, store, outcome map."""
    states_cls = fsm.states_cls
    return {
        'max_stack': max_stack(states_cls),
        'never_suspended': sorted(never_suspended(states_cls)),
        'dialogs': [{'path': m.name, 'class': f"{m.dialog.__module__}:{m.dialog.__qualname__}",
                     'entry': m.entry, 'store': m.store, 'outcomes': dict(m.outcomes)}
                    for m in mounts_of(states_cls)],
    }


def describe(policy: PolicyLike,
             ending_states: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """The whole machine as JSON-ready data, so other tools need not import the skill's code.

    ``events`` maps each trigger to its source states, each to its candidate transitions in the
    order they are tried; ``declared_source`` and ``declared_on`` say where to find each one.
    """
    cls = policy_class(policy)
    fsm = machine_of(cls)
    dialogs = uses_dialogs(fsm)
    return {
        **(_dialogs_json(fsm) if dialogs else {}),
        'skill': f"{cls.__module__}:{cls.__qualname__}",
        'states_cls': f"{fsm.states_cls.__module__}:{fsm.states_cls.__qualname__}",
        'initial': INITIAL_STATE,
        'states': list(fsm.states),
        'ending_states': sorted(ending_states_of(fsm.states_cls, ending_states) & fsm.state_set),
        'events': {trigger: {source: [_transition_json(t, dialogs) for t in candidates]
                             for source, candidates in by_source.items()}
                   for trigger, by_source in fsm.events.items()},
    }


def machine_text(policy: PolicyLike) -> str:
    """0.1.11's ``print_machine`` text, byte for byte, so committed machine.txt files still diff.

    As in 0.1.11 (which printed transitions' ``Condition.func``), ``unless`` callbacks appear
    among the conditions without negation, and ``before``/``after`` are not shown: two opposite
    transitions look the same here, which is why ``alexafsm print`` shows
    :func:`machine_listing` unless asked for ``--format 0.1.11``. A dialog skill (which 0.1.11
    could not express) gets the same stack marks and mounts section as the listing.
    """
    return _text(policy, _transition_011)


def machine_listing(policy: PolicyLike) -> str:
    """0.1.11's layout with every callback a transition runs, each under its own key.

    ``conditions`` must be true and ``unless`` false for the transition to fire, so a pair of
    opposite transitions reads as such; ``before`` and ``after`` are listed too. A transition
    without ``unless``, ``before`` or ``after`` prints as in 0.1.11, so a committed 0.1.11
    printout diffs only where the new keys appear.
    """
    return _text(policy, _transition_line)


def _text(policy: PolicyLike, line_of: Callable[[Transition], str]) -> str:
    fsm = machine_of(policy)
    dialogs = uses_dialogs(fsm)
    lines = ["Machine states:", "\t" + ', '.join(fsm.states), "", "Events and transitions:", ""]
    for trigger, by_source in fsm.events.items():
        lines.append(f"Event: {trigger}")
        for source, candidates in by_source.items():
            lines.append(f"\tSource: {source}")
            lines += [line_of(t) + (_dialog_marks(fsm, t) if dialogs else '') for t in candidates]
    if dialogs:
        lines += _mounts_text(fsm)
    return '\n'.join(lines) + '\n'


def _transition_011(t: Transition) -> str:
    line = f"\t\t{t.source} -> {t.dest}"
    if t.prepare:
        line += f", prepare: {list(t.prepare)}"
    if t.conditions or t.unless:
        line += f", conditions: {list(t.conditions + t.unless)}"
    return line


def _transition_line(t: Transition) -> str:
    line = f"\t\t{t.source} -> {t.dest}"
    for key in ('prepare', 'conditions', 'unless', 'before', 'after'):
        callbacks = getattr(t, key)
        if callbacks:
            line += f", {key}: {_names(callbacks)}"
    return line


def _dialog_marks(fsm: Machine, t: Transition) -> str:
    """' (push)', ' (otherwise initial)', ' (clear)', ' (outcome done)': what the stack does."""
    marks = (['push'] if t.push else []) + (['clear'] if t.clear else []) + \
        ([f"otherwise {otherwise_of(t, fsm.states_cls)}"] if t.dest == RESUME else []) + \
        ([f"outcome {t.outcome}"] if t.outcome else [])
    return ''.join(f" ({mark})" for mark in marks)


def _mounts_text(fsm: Machine) -> List[str]:
    mounts = mounts_of(fsm.states_cls)
    if not mounts:
        return []
    lines = ["", "Mounted dialogs:"]
    for m in mounts:
        outcomes = ', '.join(f"{k} -> {v}" for k, v in m.outcomes.items())
        lines.append(f"\t{m.name}: {m.dialog.__name__}, entry {m.entry}, store {m.store}"
                     + (f"; {outcomes}" if outcomes else ''))
    return lines
