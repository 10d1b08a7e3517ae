"""Coverage: which states, events and transitions of a skill its recorded sessions went through.

A recorded turn tells where the session was (the state in the request's session attributes),
what the user said (the intent) and where it went (the state in the response). Matched against
the machine, that says which transition fired: the first candidate for that intent and state
whose destination is the recorded one. An intent that left the state unchanged where no
transition leads back to it fired nothing: the state did not understand it, or every
candidate's conditions failed. Those turns are reported apart, since they are often the gaps.

The 0.1.11 functions (``get_dialogs``, ``events_states_transitions``,
``used_events_states_transitions``, ``unused_events_states_transitions``) keep their results
for 0.1.11 skills, and also read launch and session-end turns, which carry no intent.
"""
import os
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional
from typing import Set
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.request import INTENT
from alexafsm.request import parse
from alexafsm.response import speech_of
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.tools.describe import machine_of
from alexafsm.transcript import PathLike
from alexafsm.transcript import read_turns

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['coverage', 'CoverageReport', 'DeclaredTransition', 'Step', 'usage_counts',
           'turn_step', 'fired_transition',
           'get_dialogs', 'events_states_transitions', 'used_events_states_transitions',
           'unused_events_states_transitions']

Step = Tuple[str, str, str]  # (source, trigger, dest)


def get_dialogs(request: Dict[str, Any], response: Dict[str, Any]) -> Tuple[Any, ...]:
    """A recorded turn as 0.1.11 summarised it: (request_id, from_state, intent, slots, to_state,
    speech); values a launch or session-end turn does not have are None."""
    body = request.get('request') or {}
    attributes = (request.get('session') or {}).get('attributes') or {}
    answered = response.get('sessionAttributes') or {}
    intent = answered.get('intent', (body.get('intent') or {}).get('name'))
    return (body.get('requestId'), attributes.get('state', INITIAL_STATE), intent,
            answered.get('slots'), answered.get('state'), speech_of(response))


def events_states_transitions(policy: Any) -> Tuple[Set[str], Set[str], Set[Tuple[str, str]]]:
    """All events, states and (source, dest) transitions of a policy (or Policy class).

    As in 0.1.11, 'initial' and 'exiting' are left out of the states: a session always starts
    in the one and may end in the other.
    """
    machine = machine_of(policy)
    states = set(machine.states) - {INITIAL_STATE, 'exiting'}
    transitions = {(t.source, t.dest) for t in machine.transitions}
    return set(machine.events), states, transitions


def used_events_states_transitions(recorded_requests_responses: Iterable[Tuple[Dict, Dict]]
                                   ) -> Tuple[Set[str], Set[str], Set[Tuple[str, str]]]:
    """The events, states and (source, dest) pairs recorded turns went through.

    Turns without a state in the response (session ends, System.ExceptionEncountered) moved no
    state; turns without an intent (launches) fired no event.
    """
    events: Set[str] = set()
    states: Set[str] = set()
    transitions: Set[Tuple[str, str]] = set()
    for request, response in recorded_requests_responses:
        _, from_state, intent, _, to_state, _ = get_dialogs(request, response)
        if to_state is None:
            continue
        states.update((from_state, to_state))
        if intent is not None:
            events.add(intent)
            transitions.add((from_state, to_state))
    states.discard(INITIAL_STATE)
    return events, states, transitions


def unused_events_states_transitions(policy: Any,
                                     recorded_requests_responses: Iterable[Tuple[Dict, Dict]]
                                     ) -> Tuple[Set[str], Set[str], Set[Tuple[str, str]]]:
    """What ``events_states_transitions`` has and the recordings never went through."""
    all_events, all_states, all_transitions = events_states_transitions(policy)
    used_events, used_states, used_transitions = \
        used_events_states_transitions(recorded_requests_responses)
    return all_events - used_events, all_states - used_states, all_transitions - used_transitions


def usage_counts(policy_cls: Type['Policy'], recording_paths: Union[PathLike, Iterable[PathLike]]
                 ) -> Dict[Step, int]:
    """How often each transition of the machine fired in the recordings, by (source, trigger,
    dest); every transition is a key, unused ones with 0. ``alexafsm graph --coverage`` draws it.
    """
    return dict(coverage(policy_cls, recording_paths).steps)


@dataclass(frozen=True)
class DeclaredTransition:
    """A transition as the author wrote it on a state, with the steps it expands to."""

    trigger: str
    source: str  # '*', a state, or states joined by ', '
    dest: str  # '=' when it stays in whichever state it starts from
    declared_on: str
    steps: Tuple[Step, ...]

    def describe(self) -> str:
        """How the author finds it: '* -> helping on AMAZON.HelpIntent (state helping)'."""
        return (f"{self.source} -> {self.dest} on {self.trigger} "
                f"(declared on state '{self.declared_on}')")


@dataclass
class CoverageReport:
    """What recordings covered of a machine, with counts.

    ``states`` counts the turns that ended in each state, ``events`` the transitions each
    trigger fired, ``steps`` each expanded transition, ``unmatched`` the (state, intent) pairs
    where the intent fired nothing.
    """

    machine: Machine
    recordings: List[str]
    turns: int = 0
    sessions: int = 0
    states: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    steps: Counter = field(default_factory=Counter)
    unmatched: Counter = field(default_factory=Counter)
    unreadable: List[str] = field(default_factory=list)  # 'path:line: why', one per turn

    @property
    def declared(self) -> List[DeclaredTransition]:
        """The machine's transitions grouped as declared, in firing order."""
        groups: Dict[Tuple[Any, ...], List[Transition]] = {}
        for t in self.machine.transitions:
            key = (t.declared_on, t.trigger, t.declared_source, t.conditions, t.unless)
            groups.setdefault(key, []).append(t)
        declared = []
        for (declared_on, trigger, source, _, _), transitions in groups.items():
            dests = {t.dest for t in transitions}
            dest = dests.pop() if len(dests) == 1 else '='
            declared.append(DeclaredTransition(
                trigger, source if isinstance(source, str) else ', '.join(source), dest,
                declared_on, tuple((t.source, t.trigger, t.dest) for t in transitions)))
        return declared

    def uses(self, transition: DeclaredTransition) -> int:
        """How often a declared transition fired, from any of its sources."""
        return sum(self.steps[step] for step in transition.steps)

    def to_json(self) -> Dict[str, Any]:
        """The report for tools: used items with counts, unused ones by name."""
        declared = [(t, self.uses(t)) for t in self.declared]

        def transition_json(t: DeclaredTransition, count: int) -> Dict[str, Any]:
            return {'source': t.source, 'trigger': t.trigger, 'dest': t.dest,
                    'declared_on': t.declared_on, 'count': count}

        return {
            'skill': self.machine.policy_cls.__name__, 'recordings': self.recordings,
            'turns': self.turns, 'sessions': self.sessions,
            'states': _split(self.states, self.machine.states),
            'events': _split(self.events, self.machine.events),
            'transitions': {
                'used': [transition_json(t, n) for t, n in declared if n],
                'unused': [transition_json(t, n) for t, n in declared if not n]},
            'unmatched': [{'state': state, 'intent': intent, 'count': count}
                          for (state, intent), count in sorted(self.unmatched.items())],
            'unreadable': list(self.unreadable),
        }

    def to_text(self) -> str:
        """The report for people: totals first, then what is unused, then what is used."""
        data = self.to_json()
        lines = [f"coverage of {data['skill']}: recordings {len(self.recordings)}, turns "
                 f"{self.turns}, sessions {self.sessions}"]
        for kind in ('states', 'events'):
            used, unused = data[kind]['used'], data[kind]['unused']
            lines.append(f"{kind}: {len(used)} of {len(used) + len(unused)} used")
            if unused:
                lines.append(f"  unused: {', '.join(unused)}")
            if used:
                lines.append(f"  used: {', '.join(f'{k} ({n})' for k, n in used.items())}")
        declared = [(t, self.uses(t)) for t in self.declared]
        used_count = len([1 for _, n in declared if n])
        lines.append(f"transitions: {used_count} of {len(declared)} used")
        for title, keep in (('unused', lambda n: not n), ('used', bool)):
            chosen = [f"    {t.describe()}" + (f": {n}" if n else '')
                      for t, n in declared if keep(n)]
            if chosen:
                lines += [f"  {title}:"] + chosen
        if self.unmatched:
            lines.append("intents that fired no transition (not understood, or every "
                         "condition failed):")
            lines += [f"  {intent} in state {state}: {count}"
                      for (state, intent), count in sorted(self.unmatched.items())]
        if self.unreadable:
            lines.append(f"unreadable turns, not counted: {len(self.unreadable)}")
            lines += [f"  {line}" for line in self.unreadable]
        return '\n'.join(lines)


def coverage(policy_cls: Type['Policy'], recording_paths: Union[PathLike, Iterable[PathLike]]
             ) -> CoverageReport:
    """Read the recordings and match every turn against the machine of ``policy_cls``."""
    paths = [recording_paths] if isinstance(recording_paths, (str, os.PathLike)) \
        else list(recording_paths)
    machine = machine_of(policy_cls)
    report = CoverageReport(machine, [os.fspath(p) for p in paths])
    report.steps.update({(t.source, t.trigger, t.dest): 0 for t in machine.transitions})
    sessions = set()
    for path in paths:
        for turn in read_turns(path):
            report.turns += 1
            if isinstance(turn.session_id, str) and turn.session_id:
                sessions.add(turn.session_id)
            try:
                _count(report, machine, turn.request, turn.response)
            except Exception as error:  # what a broken client sent, recorded as it came
                report.unreadable.append(f"{turn.path}:{turn.line}: {type(error).__name__}: "
                                         f"{error}")
    report.sessions = len(sessions)
    return report


def turn_step(machine: Machine, request: Dict[str, Any], response: Dict[str, Any]
              ) -> Optional[Step]:
    """Where an intent turn started, what was said and where it went: (source, intent, dest).

    None for turns that fire no trigger (launches, session ends) or end in no state. A source
    the machine lacks counts as 'initial', where the policy restarts such sessions.
    """
    answered = response.get('sessionAttributes')
    dest = answered.get('state') if isinstance(answered, dict) else None
    parsed = parse(request)
    trigger = parsed.intent_name
    if parsed.type != INTENT or not isinstance(trigger, str) or not trigger \
            or not isinstance(dest, str):
        return None
    source = parsed.attributes.get('state', INITIAL_STATE)
    if not isinstance(source, str) or source not in machine.state_set:
        source = INITIAL_STATE  # the policy restarts such sessions from 'initial'
    return source, trigger, dest


def fired_transition(machine: Machine, step: Step) -> Optional[Transition]:
    """The transition that took ``step``: the first candidate leading to its dest (the one tried
    first); None when the intent fired nothing (not understood, or every condition failed)."""
    source, trigger, dest = step
    return next((t for t in machine.candidates(trigger, source) if t.dest == dest), None)


def _count(report: CoverageReport, machine: Machine, request: Dict[str, Any],
           response: Dict[str, Any]) -> None:
    answered = response.get('sessionAttributes')
    dest = answered.get('state') if isinstance(answered, dict) else None
    if not isinstance(dest, str):
        dest = None  # no state, or one no skill of ours wrote: the turn moved no state
    if dest in machine.state_set:
        report.states[dest] += 1
    step = turn_step(machine, request, response)
    if step is None:
        return
    fired = fired_transition(machine, step)
    if fired is None:
        report.unmatched[step[:2]] += 1
    else:
        report.steps[(fired.source, fired.trigger, fired.dest)] += 1
        report.events[step[1]] += 1


def _split(counts: Counter, names: Iterable[str]) -> Dict[str, Any]:
    return {'used': {name: counts[name] for name in names if counts[name]},
            'unused': [name for name in names if not counts[name]]}
