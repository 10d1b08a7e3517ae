"""Find the dialog bugs a skill's machine has, before a user or a certification tester does.

Everything here is static: it reads the States declarations, the Policy class and the interaction
model, and never calls skill code. Each problem becomes a :class:`Finding` that names the
state, trigger and callback to look at and says how to fix it; ``CHECKS`` lists every code.

Severity: ``error`` means some conversation goes wrong (a crash, a dead end, an intent Alexa
sends that nothing handles, a transition that can never fire); ``warning`` means a likely
mistake or a certification failure; ``info`` is a fact worth seeing, such as which intents fall
through to "I did not understand" in which state.
"""
import inspect
import pkgutil
from dataclasses import asdict
from dataclasses import dataclass
from os import PathLike
from typing import Any
from typing import Dict
from typing import FrozenSet
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Mapping
from typing import Optional
from typing import Sequence
from typing import Set
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm import amazon_intent
from alexafsm._hints import name_fix
from alexafsm.dialogs import RESUME
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.tools.describe import PolicyLike
from alexafsm.tools.describe import callback_name
from alexafsm.tools.describe import ending_states_of
from alexafsm.tools.describe import machine_of
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model

__all__ = ['validate_policy', 'Finding', 'counts', 'report_text', 'summary_json', 'CHECKS', 'ERROR',
           'WARNING', 'INFO', 'SEVERITIES']

ERROR = 'error'
WARNING = 'warning'
INFO = 'info'
SEVERITIES = (ERROR, WARNING, INFO)

CHECKS: Dict[str, Tuple[str, str]] = {
    'no-initial': (ERROR, "the States class has no 'initial' method to answer a LaunchRequest"),
    'unknown-source': (ERROR, "a transition's source is not a state"),
    'unknown-dest': (ERROR, "a transition's dest is not a state"),
    'missing-callback': (ERROR, "a condition/unless/prepare/before/after is not on the Policy"),
    'callback-on-states': (ERROR, "a callback is defined on States (or attributes), not Policy"),
    'ambiguous': (ERROR, "two unconditional transitions for one trigger and source"),
    'shadowed': (ERROR, "a transition never fires: an unconditional one is tried first"),
    'no-inbound': (ERROR, "no transition leads into a state"),
    'unreachable': (ERROR, "a state cannot be reached from the initial state"),
    'dead-end': (ERROR, "a state has no way out and does not end the session"),
    'unhandled-intent': (ERROR, "an intent of the model has no transition anywhere"),
    'unknown-trigger': (ERROR, "a trigger is not an intent of the model"),
    'unknown-ending-state': (WARNING, "ENDING_STATES names something that is not a state"),
    'missing-required-intent': (WARNING, "a state does not handle Help, Stop or Cancel"),
    'slot-dropped': (WARNING, "a slot of the model has no field in slots_cls"),
    'slot-unfilled': (WARNING, "a slots_cls field is no slot of any intent"),
    'falls-through': (INFO, "an intent answers 'I did not understand' in a state"),
    'model-warning': (WARNING, "a legacy model file matches nothing, or a custom type has no "
                               "values"),
    'must-handle': (ERROR, "a state does not handle an intent the skill says every state must"),
}

_ROLES = (('conditions', 'condition'), ('unless', 'unless condition'),
          ('prepare', 'prepare callback'), ('before', 'before callback'),
          ('after', 'after callback'))
_MISSING = object()


@dataclass(frozen=True)
class Finding:
    """One problem, located well enough that the author can fix it from the CI log alone."""

    code: str
    severity: str
    message: str
    state: Optional[str] = None
    trigger: Optional[str] = None
    callback: Optional[str] = None
    slot: Optional[str] = None
    hint: Optional[str] = None

    def to_json(self) -> Dict[str, Optional[str]]:
        """Plain data for ``--format json`` and for other tools that gate on findings."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.severity}: [{self.code}] {self.message}" + \
            (f"\n    hint: {self.hint}" if self.hint else '')


def _finding(code: str, message: str, hint: Optional[str] = None,
             **where: Optional[str]) -> Finding:
    return Finding(code, CHECKS[code][0], message,
                   hint=hint[:1].upper() + hint[1:] if hint else None, **where)


_fix = name_fix  # one rule for "did you mean" fixes, shared with the machine's run-time errors


def _some(names: Sequence[str], every: Optional[FrozenSet[str]] = None) -> str:
    if every is not None and len(names) > 1 and set(names) >= every:
        return 'every state'
    shown = ', '.join(f"'{n}'" for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ''
    return f"state{'s' if len(names) > 1 else ''} {shown}{more}"


class _Skill:
    """What every check reads, worked out once."""

    def __init__(self, policy: PolicyLike, model: Optional[InteractionModel],
                 ignore_intents: Iterable[str], ending: Optional[Iterable[str]],
                 must_handle: Iterable[str] = ()) -> None:
        self.fsm: Machine = machine_of(policy)
        self.instance = None if isinstance(policy, type) else policy
        self.policy_cls = self.fsm.policy_cls
        self.states_cls = self.fsm.states_cls
        self.model = model
        self.ignored = frozenset(ignore_intents)
        self.ending = ending_states_of(self.states_cls, ending)
        self.named_ending = ending_states_of(self.states_cls, ()) | frozenset(ending or ())
        self.declarations = list(dict.fromkeys(_declaration(t) for t in self.fsm.transitions))
        self.reachable = _reachable(self.fsm)
        self.intents = [] if model is None else [i for i in model.intents.values()
                                                 if i.name not in self.ignored]
        self.must_handle = _must_handle(self.states_cls, must_handle)

    def talking_states(self) -> List[str]:
        """Reachable states that do not end the session: where the user can still say things."""
        return [s for s in self.fsm.states if s in self.reachable and s not in self.ending]


def _declaration(t: Transition) -> Transition:
    """One transition as written: a '*' or list source expands to many, reported once."""
    # the expanded source blanked, so that the copies of one declaration are one key
    return t if isinstance(t.declared_source, str) and t.declared_source != '*' \
        else t._replace(source='')


def _reachable(fsm: Machine) -> Set[str]:
    exits: Dict[str, Set[str]] = {}
    for t in fsm.transitions:
        exits.setdefault(t.source, set()).add(t.dest)
    seen, todo = {INITIAL_STATE}, [INITIAL_STATE]
    while todo:
        for dest in exits.get(todo.pop(), ()):
            if dest in fsm.state_set and dest not in seen:
                seen.add(dest)
                todo.append(dest)
    return seen


def _check_initial(skill: _Skill) -> Iterator[Finding]:
    if INITIAL_STATE not in dict(skill.states_cls.state_methods()):
        name = skill.states_cls.__name__
        yield _finding('no-initial', f"{name} has no method '{INITIAL_STATE}', so every "
                       f"LaunchRequest and every new session crashes",
                       f"add 'def {INITIAL_STATE}(self) -> Response' to {name}: it is the "
                       f"welcome and the state each session starts in", state=INITIAL_STATE)


def _check_states_named(skill: _Skill) -> Iterator[Finding]:
    states = skill.fsm.state_set
    for t in skill.declarations:
        sources = (skill.fsm.states if t.declared_source == '*' else
                   [t.declared_source] if isinstance(t.declared_source, str) else t.declared_source)
        for source in sources:
            if source not in states:
                yield _finding(
                    'unknown-source', f"the transition on '{t.trigger}' into '{t.dest}' declared "
                    f"on state '{t.declared_on}' comes from '{source}', which is not a state, so "
                    f"it never fires", _fix(source, states, "in the transition's 'source'",
                                            "sources name States methods, a list of them or "
                                            "'*'"), state=t.declared_on, trigger=t.trigger)
        if t.dest not in states and t.dest != RESUME:  # RESUME: back to a suspended state
            yield _finding(
                'unknown-dest', f"the transition on '{t.trigger}' out of '{t.declared_on}' goes "
                f"to '{t.dest}', which is not a state: firing it answers with an apology",
                _fix(t.dest, states, "in the transition's 'dest'", f"name a state, or add a "
                     f"method '{t.dest}' to {skill.states_cls.__name__}"),
                state=t.declared_on, trigger=t.trigger)


def _defined_on(cls: Type[Any], name: str) -> bool:
    return inspect.getattr_static(cls, name, _MISSING) is not _MISSING


def _resolvable(skill: _Skill, name: str) -> bool:
    """What the machine can call at run time: a class member, an instance attribute, a path."""
    if _defined_on(skill.policy_cls, name) or \
            (skill.instance is not None and name in getattr(skill.instance, '__dict__', {})):
        return True
    if '.' in name:
        try:
            pkgutil.resolve_name(name)
            return True
        except (ImportError, AttributeError, ValueError):
            return False
    return False


def _check_callbacks(skill: _Skill) -> Iterator[Finding]:
    policy = skill.policy_cls.__name__
    public = [n for n in dir(skill.policy_cls) if not n.startswith('_')]
    attributes_cls = skill.states_cls.session_attributes_cls
    for t in skill.declarations:
        where = (f"the transition on '{t.trigger}' to '{t.dest}' declared on state "
                 f"'{t.declared_on}'")
        for field, role in _ROLES:
            for callback in getattr(t, field):
                name = callback_name(callback)
                if not isinstance(callback, str) or _resolvable(skill, name):
                    continue
                located = dict(state=t.declared_on, trigger=t.trigger, callback=name)
                if _defined_on(skill.states_cls, name):
                    yield _finding(
                        'callback-on-states', f"{where} names {role} '{name}', which is defined "
                        f"on {skill.states_cls.__name__}, not on {policy}: the machine calls "
                        f"callbacks on the Policy, so it fails when the transition is tried "
                        f"(and as a States method, '{name}' is taken for a state)",
                        f"move '{name}' to {policy} (it reads self.attributes there too)",
                        **located)
                elif _defined_on(attributes_cls, name):
                    yield _finding(
                        'callback-on-states', f"{where} names {role} '{name}', which is defined "
                        f"on {attributes_cls.__name__}, not on {policy}",
                        f"add 'def {name}(self): return self.attributes.{name}' to {policy}",
                        **located)
                else:
                    yield _finding(
                        'missing-callback', f"{where} names {role} '{name}', which {policy} does "
                        f"not define: the transition fails when it is tried",
                        _fix(name, public, f"in the transition's '{field}'",
                             f"add 'def {name}(self)' to {policy}"), **located)


def _check_order(skill: _Skill) -> Iterator[Finding]:
    """Candidates are tried in order and the first whose conditions pass fires."""
    groups: Dict[Tuple[str, Transition, Transition], List[str]] = {}
    for by_source in skill.fsm.events.values():
        for source, candidates in by_source.items():
            first = next((i for i, t in enumerate(candidates) if t.unconditional), None)
            if first is None:
                continue
            winner = _declaration(candidates[first])
            for t in candidates[first + 1:]:
                code = 'ambiguous' if t.unconditional else 'shadowed'
                groups.setdefault((code, winner, _declaration(t)), []).append(source)
    every = skill.fsm.state_set
    for (code, winner, loser), sources in groups.items():
        fires = f"to '{winner.dest}' (declared on '{winner.declared_on}')"
        then = f"to '{loser.dest}' (declared on '{loser.declared_on}')"
        if code == 'ambiguous':
            message = (f"'{loser.trigger}' from {_some(sources, every)} has two unconditional "
                       f"transitions, {fires} and {then}; only the first ever fires")
        else:
            message = (f"'{loser.trigger}' from {_some(sources, every)}: the transition {then} "
                       f"never fires, because the unconditional transition {fires} is tried "
                       f"before it")
        yield _finding(code, message, "give the earlier transition conditions, or remove one; "
                       "candidates are tried by declaring state in alphabetical order, then in "
                       "decorator order", state=loser.declared_on, trigger=loser.trigger)


def _check_reachability(skill: _Skill) -> Iterator[Finding]:
    fsm = skill.fsm
    into: Dict[str, Set[str]] = {}
    out_of: Set[str] = set()
    for t in fsm.transitions:
        into.setdefault(t.dest, set()).add(t.source)
        out_of.add(t.source)
    for state in fsm.states:
        if state == INITIAL_STATE:
            continue
        if state not in into:
            yield _finding('no-inbound', f"no transition leads into state '{state}', so it is "
                           f"never used", f"add an inbound transition such as "
                           f"{{'trigger': 'SomeIntent', 'source': '*'}} to '{state}', or "
                           f"delete the state", state=state)
        elif state not in skill.reachable:
            sources = sorted(into[state])
            yield _finding('unreachable', f"state '{state}' cannot be reached from "
                           f"'{INITIAL_STATE}': it is entered only from {_some(sources)}, which "
                           f"no conversation reaches either", "connect those states to the rest "
                           "of the machine, or delete them", state=state)
    for state in fsm.states:
        if state not in out_of and state not in skill.ending:
            yield _finding(
                'dead-end', f"state '{state}' has no transition out and does not end the "
                f"session: whatever the user says there is answered 'I did not understand'",
                f"add transitions out of '{state}' (at least Stop and Cancel), or, if its "
                f"response ends the session, list it in {skill.states_cls.__name__}"
                f".ENDING_STATES", state=state)
    for name in sorted(skill.named_ending - fsm.state_set):
        yield _finding('unknown-ending-state', f"'{name}' is listed as a state that ends the "
                       f"session, but {skill.states_cls.__name__} has no such state",
                       _fix(name, fsm.states, "in ENDING_STATES", f"remove '{name}' from "
                            f"ENDING_STATES, or add the state"), state=name)


def _check_required_intents(skill: _Skill) -> Iterator[Finding]:
    required = [i for i in amazon_intent.REQUIRED if i not in skill.ignored]
    for state in skill.talking_states():
        for intent in required:
            if not skill.fsm.handles(intent, state):
                yield _finding(
                    'missing-required-intent', f"state '{state}' does not handle {intent}: "
                    f"certification requires Help, Stop and Cancel everywhere, and the user "
                    f"hears 'I did not understand' instead", _required_fix(skill, state, intent),
                    state=state, trigger=intent)


def _required_fix(skill: _Skill, state: str, intent: str) -> str:
    """Where the missing transition goes: a transition is declared on the state it leads INTO.

    When other states already handle the intent, the fix is to widen that declaration's
    source; otherwise a new ``'source': '*'`` transition on the state that should answer (an
    ending state for Stop and Cancel), never on ``state`` itself, which would lead into it.
    """
    existing = [t for t in skill.declarations if t.trigger == intent]
    if existing:
        t = existing[0]
        return (f"add '{state}' to the 'source' of the {intent} transition declared on state "
                f"'{t.declared_on}' (into '{t.dest}'), or make that source '*'")
    spec = f"{{'trigger': '{intent}', 'source': '*'}}"
    ending = [s for s in skill.fsm.states if s in skill.ending]
    if intent != amazon_intent.HELP and ending:
        return (f"add {spec} to the @with_transitions of state '{ending[0]}', which ends the "
                f"session (a transition is declared on the state it leads into)")
    target = 'a state that ends the session' if intent != amazon_intent.HELP else \
        'a state that explains what the user can say'
    return (f"add {spec} to the @with_transitions of {target} (a transition is declared on the "
            f"state it leads into, not on '{state}')")


def _check_intents(skill: _Skill) -> Iterator[Finding]:
    model = skill.model
    if model is None:
        return
    triggers = skill.fsm.events
    for intent in skill.intents:
        if intent.name not in triggers:
            yield _finding('unhandled-intent', f"intent '{intent.name}' of the model has no "
                           f"transition in any state, so Alexa sends it and the skill always "
                           f"answers 'I did not understand'", f"add a transition with 'trigger': "
                           f"'{intent.name}', remove it from the model, or ignore it "
                           f"(--ignore-intent {intent.name})", trigger=intent.name)
    for trigger in triggers:
        if trigger not in model.intents and trigger not in skill.ignored:
            yield _finding('unknown-trigger', f"trigger '{trigger}' is not an intent of the "
                           f"model ({model.source}), so Alexa never sends it and its "
                           f"transitions never fire", _fix(trigger, model.intents, "in the "
                           "transitions' 'trigger'", "rename the trigger after an intent, or "
                           "add the intent to the model"), trigger=trigger)


def _check_slots(skill: _Skill) -> Iterator[Finding]:
    if skill.model is None:
        return
    attributes_cls = skill.states_cls.session_attributes_cls
    slots_cls = attributes_cls.slots_cls
    fields = list(getattr(slots_cls, '_fields', ()))
    owner = f"{attributes_cls.__name__}.slots_cls"
    folded = {f.casefold() for f in fields}
    for intent in skill.intents:
        for slot in intent.slots:
            if slot.name.casefold() not in folded:
                yield _finding('slot-dropped', f"slot '{slot.name}' of intent '{intent.name}' "
                               f"has no field in {owner} (fields: {', '.join(fields) or 'none'}), "
                               f"so its value is dropped", f"add '{slot.name}' to the fields of "
                               f"{owner}", trigger=intent.name, slot=slot.name)
    model_slots = {s.name for i in skill.model.intents.values() for s in i.slots}
    filled = {s.casefold() for s in model_slots}
    fieldless = sorted(s for s in model_slots if s.casefold() not in folded)
    rename = "rename the field after the model's slot" + \
        (f" (without a field: {', '.join(repr(s) for s in fieldless)})" if fieldless else '') + \
        ", or remove it"
    for field in fields:
        if field.casefold() not in filled:
            yield _finding('slot-unfilled', f"field '{field}' of {owner} is no slot of any "
                           f"intent in the model, so it is always None",
                           _fix(field, model_slots, f"in the fields of {owner}", rename),
                           slot=field)


def _check_model(skill: _Skill) -> Iterator[Finding]:
    """What reading a legacy model passed over: found here, not a crash, as in 0.1.11."""
    for warning in skill.model.warnings if skill.model is not None else ():
        yield _finding('model-warning', warning)


def _must_handle(states_cls: type, configured: Iterable[str]) -> Tuple[str, ...]:
    """The intents a team gates on: the States class's ``MUST_HANDLE`` plus ``configured``."""
    declared = getattr(states_cls, 'MUST_HANDLE', ())
    names = [declared] if isinstance(declared, str) else list(declared)
    return tuple(dict.fromkeys(names + list(configured)))


def _check_must_handle(skill: _Skill) -> Iterator[Finding]:
    """Errors, per state, for the intents the skill declared every talking state must answer."""
    policy = skill.states_cls.__name__
    for state in skill.talking_states():
        for name in skill.must_handle:
            if name in skill.ignored or skill.fsm.handles(name, state):
                continue
            existing = next((t for t in skill.declarations if t.trigger == name), None)
            where = (f"add '{state}' to the 'source' of the {name} transition declared on state "
                     f"'{existing.declared_on}', or make that source '*'" if existing else
                     f"add {{'trigger': '{name}', 'source': '*'}} to the @with_transitions of "
                     f"the state that should answer it")
            yield _finding('must-handle', f"in state '{state}', {name} is answered 'I did not "
                           f"understand', but {policy}.MUST_HANDLE (or --must-handle) says every "
                           f"state must handle it", where, state=state, trigger=name)


def _check_fall_through(skill: _Skill) -> Iterator[Finding]:
    """Info, per state; intents handled nowhere or required everywhere are reported above."""
    handled_somewhere = skill.fsm.events
    names = [i.name for i in skill.intents if i.name in handled_somewhere
             and i.name not in amazon_intent.REQUIRED and i.name not in skill.must_handle]
    for state in skill.talking_states():
        for name in names:
            if not skill.fsm.handles(name, state):
                yield _finding('falls-through', f"in state '{state}', {name} is answered "
                               f"'I did not understand'", state=state, trigger=name)


_CHECKERS = (_check_model, _check_initial, _check_states_named, _check_callbacks, _check_order,
             _check_reachability, _check_intents, _check_slots, _check_required_intents,
             _check_must_handle, _check_fall_through)


def validate_policy(policy: PolicyLike,
                    model: Union[InteractionModel, str, 'PathLike[str]', None] = None, *,
                    ignore_intents: Iterable[str] = (),
                    ending_states: Optional[Iterable[str]] = None,
                    must_handle: Iterable[str] = ()) -> List[Finding]:
    """Every problem of the skill at once, so one CI run shows all there is to fix.

    ``policy`` is the Policy class, or an instance when callbacks are attributes set in
    ``__init__``. ``model`` (an :class:`InteractionModel` or a path ``load_model`` reads) enables
    the checks against intents and slots; a model that cannot be read raises ``ModelError``,
    and a legacy schema's custom type without values is a finding (its values were in the old
    console), as 0.1.11 passed such skills.
    ``ignore_intents`` are intents the skill leaves unhandled on purpose (or handles though this
    model lacks them). ``ending_states`` replaces the default ``{'exiting'}``; the States
    class's ``ENDING_STATES`` is added either way. ``must_handle`` (plus the States class's
    ``MUST_HANDLE``) names intents every state that does not end the session must handle: each
    state that does not is a ``must-handle`` error, so a team can gate CI on it.
    """
    if model is not None and not isinstance(model, InteractionModel):
        model = load_model(model, strict=False)
    skill = _Skill(policy, model, ignore_intents, ending_states, must_handle)
    return [finding for check in _CHECKERS for finding in check(skill)]


def counts(findings: Iterable[Finding]) -> Dict[str, int]:
    """How many findings of each severity: what a CI gate decides on."""
    result = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        result[finding.severity] += 1
    return result


def report_text(findings: Sequence[Finding]) -> str:
    """Findings for a terminal: errors first, and the fall-through facts as one table."""
    problems = sorted((f for f in findings if f.severity != INFO),
                      key=lambda f: SEVERITIES.index(f.severity))
    lines = [str(f) for f in problems]
    facts = [f for f in findings if f.severity == INFO]
    table = _fall_through_table([f for f in facts if f.code == 'falls-through'])
    if table:
        lines += ['', "Intents answered 'I did not understand', by state (info):"] + table
    lines += [f"info: [{f.code}] {f.message}" for f in facts if f.code != 'falls-through']
    total = counts(findings)
    if lines:
        lines.append('')
    lines.append(f"{total[ERROR]} error(s), {total[WARNING]} warning(s), {total[INFO]} info")
    return '\n'.join(lines) + '\n'


def _fall_through_table(findings: Sequence[Finding]) -> List[str]:
    by_state: Dict[str, List[str]] = {}
    for f in findings:
        by_state.setdefault(f.state or '', []).append(f.trigger or '')
    if not by_state:
        return []
    width = max(len('state'), *(len(s) for s in by_state))
    rows = [f"  {'state':<{width}}  intents"]
    rows += [f"  {state:<{width}}  {', '.join(intents)}" for state, intents in by_state.items()]
    return rows


def summary_json(findings: Sequence[Finding], **context: Any) -> Mapping[str, Any]:
    """Findings as data with their counts, for ``--format json`` and dashboards."""
    return {**context, 'counts': counts(findings), 'findings': [f.to_json() for f in findings]}
