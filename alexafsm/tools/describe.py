"""A skill's machine as data: JSON for tools, 0.1.11's text printout for people and diffs.

The validator, the graph and the CLI all need the same few answers (which machine a policy has,
which states end the session, how a transition's conditions read), so they live here once.
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

from alexafsm.machine import Callback
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import INITIAL_STATE

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


def _transition_json(t: Transition) -> Dict[str, Any]:
    declared = t.declared_source if isinstance(t.declared_source, str) else list(t.declared_source)
    return {'dest': t.dest, 'conditions': _names(t.conditions), 'unless': _names(t.unless),
            'prepare': _names(t.prepare), 'before': _names(t.before), 'after': _names(t.after),
            'declared_source': declared, 'declared_on': t.declared_on}


def describe(policy: PolicyLike,
             ending_states: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """The whole machine as JSON-ready data, so other tools need not import the skill's code.

    ``events`` maps each trigger to its source states, each to its candidate transitions in the
    order they are tried; ``declared_source`` and ``declared_on`` say where to find each one.
    """
    cls = policy_class(policy)
    fsm = machine_of(cls)
    return {
        'skill': f"{cls.__module__}:{cls.__qualname__}",
        'states_cls': f"{fsm.states_cls.__module__}:{fsm.states_cls.__qualname__}",
        'initial': INITIAL_STATE,
        'states': list(fsm.states),
        'ending_states': sorted(ending_states_of(fsm.states_cls, ending_states) & fsm.state_set),
        'events': {trigger: {source: [_transition_json(t) for t in candidates]
                             for source, candidates in by_source.items()}
                   for trigger, by_source in fsm.events.items()},
    }


def machine_text(policy: PolicyLike) -> str:
    """0.1.11's ``print_machine`` text, byte for byte, so committed machine.txt files still diff.

    As in 0.1.11 (which printed transitions' ``Condition.func``), ``unless`` callbacks appear
    among the conditions without negation, and ``before``/``after`` are not shown: two opposite
    transitions look the same here, which is why ``alexafsm print`` shows
    :func:`machine_listing` unless asked for ``--format 0.1.11``.
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
    lines = ["Machine states:", "\t" + ', '.join(fsm.states), "", "Events and transitions:", ""]
    for trigger, by_source in fsm.events.items():
        lines.append(f"Event: {trigger}")
        for source, candidates in by_source.items():
            lines.append(f"\tSource: {source}")
            lines += [line_of(t) for t in candidates]
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
