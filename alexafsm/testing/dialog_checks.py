"""What a turn of a dialog skill shows of its stack and forms, and the rules every turn must keep.

Stories check ``stack``, ``resumed`` and ``frame`` through ``stack_of``, ``was_resumed`` and
``frame_values``; the fuzzer checks ``stack_problems`` after every turn. Everything is read from
the JSON that went over the wire (the request's and the response's session attributes) and the
skill's compiled machine, so a check sees what Alexa would carry, not the runtime's insides.

The rules (issue 12, design T9): the stack holds at most ``MAX_STACK`` entries, each once, each
a state of the machine and none a digression (a state a push enters); a digression in progress
is the state the conversation is in (or its mount); a session the skill ended carries no stack;
the envelope stays under ``ENVELOPE_LIMIT`` bytes of JSON; a form's store holds only the form's
slots.
"""
import json
import random
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple
from typing import Type

from alexafsm.dialogs.compiled import dialog_info
from alexafsm.machine import Machine
from alexafsm.request import INTENT
from alexafsm.request import parse
from alexafsm.session_attributes import ENVELOPE
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.testing.conversation import Turn
from alexafsm.tools.describe import machine_of
from alexafsm.tools.dialog_facts import fired_transition
from alexafsm.tools.dialog_facts import in_scope
from alexafsm.tools.dialog_facts import is_resume
from alexafsm.tools.dialog_facts import mount_path
from alexafsm.tools.dialog_facts import otherwise_of
from alexafsm.tools.dialog_facts import stack_of

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['response_stack', 'was_resumed', 'frame_values', 'stack_problems', 'stack_violation',
           'digression_trigger', 'STACK_INVARIANT', 'ENVELOPE_LIMIT', 'DIGRESSION_PUSH',
           'DIGRESSION_RETURN']

#: The most bytes of JSON the reserved session attribute may take (Alexa caps a response at
#: 120 KB; the stack is meant to cost a few hundred bytes).
ENVELOPE_LIMIT = 1024
#: The fuzzer's failure kind for a turn that breaks a stack rule.
STACK_INVARIANT = 'stack-invariant'
#: How often the fuzzer, in a state that can push, sends a push trigger; and, in a digression,
#: a trigger that resumes.
DIGRESSION_PUSH, DIGRESSION_RETURN = 0.25, 0.6


def response_stack(turn: Turn) -> List[str]:
    """The suspended states the skill's answer carries to the next turn, oldest first."""
    return stack_of(turn.attributes)


def _request_attributes(turn: Turn) -> Dict[str, Any]:
    attributes = (turn.request.get('session') or {}).get('attributes')
    return attributes if isinstance(attributes, dict) else {}


def was_resumed(policy_cls: Type['Policy'], turn: Turn) -> bool:
    """Whether the turn went back to a suspended state (what ``self.dialog.resumed`` said).

    Read from the wire: the intent fired a ``RESUME`` transition and the answer's state is the
    one the request had on top of its stack (or, at the welcome, a resume record's task).
    """
    parsed = parse(turn.request)
    if parsed.type != INTENT or not parsed.intent_name or turn.state is None:
        return False
    fsm = machine_of(policy_cls)
    attributes = _request_attributes(turn)
    source = attributes.get('state', INITIAL_STATE)
    if source not in fsm.state_set:
        source = INITIAL_STATE
    fired = fired_transition(fsm, attributes, source, parsed.intent_name, turn.state)
    if fired is None or not is_resume(fired):
        return False
    stack = stack_of(attributes)
    return bool(stack) or turn.state != otherwise_of(fired, fsm.states_cls)


def frame_values(policy_cls: Type['Policy'], turn: Turn) -> Optional[Dict[str, Any]]:
    """The values of the form the turn is in (its mount's store); outside any form, those of the
    skill's only form, since they outlive its outcome. None when there is no such form."""
    info = dialog_info(machine_of(policy_cls).states_cls)
    if info is None or not info.forms:
        return None
    mount = mount_path(turn.state or '') or ''
    if mount not in info.forms:
        if len(info.forms) != 1:
            return None
        mount = next(iter(info.forms))
    values = turn.attributes.get(info.mounts[mount].store)
    return values if isinstance(values, dict) else {}


def stack_problems(policy_cls: Type['Policy'], turn: Turn) -> List[str]:
    """Every rule the turn's answer breaks about the stack and forms; [] when it keeps them."""
    return [message for _, message in _violations(policy_cls, turn)]


def stack_violation(policy_cls: Type['Policy'], turn: Turn) -> Optional[Tuple[str, str]]:
    """The first rule the turn breaks, as (rule, message): the fuzzer's ``stack-invariant``
    failure, whose signature is the rule, whatever states the stack held."""
    return next(iter(_violations(policy_cls, turn)), None)


def digression_trigger(rng: random.Random, fsm: Machine, state: str,
                       attributes: Dict[str, Any]) -> Optional[str]:
    """The fuzzer's digression bias: now and then an intent that pushes from a task state; in a
    digression, mostly one that resumes (not always, so stacks also build up and get left)."""
    if type(fsm) is Machine:  # a flat skill: nothing pushes
        return None
    envelope = attributes.get(ENVELOPE)
    scope = envelope.get('digression') if isinstance(envelope, dict) else None
    in_digression = isinstance(scope, str) and in_scope(state, scope)
    if in_digression:
        chance, wanted = DIGRESSION_RETURN, [t.trigger for t in fsm.transitions
                                             if t.source == state and is_resume(t)]
    else:
        chance, wanted = DIGRESSION_PUSH, [t.trigger for t in fsm.transitions
                                           if t.source == state and t.push]
    if not wanted or rng.random() >= chance:
        return None
    return rng.choice(sorted(set(wanted)))


def _violations(policy_cls: Type['Policy'], turn: Turn) -> List[Tuple[str, str]]:
    fsm = machine_of(policy_cls)
    if type(fsm) is Machine:  # a flat skill: no stack, and no cost per turn
        return []
    info = dialog_info(fsm.states_cls)
    if info is None:
        return []
    problems: List[Tuple[str, str]] = []
    envelope = turn.attributes.get(ENVELOPE)
    if envelope is None:
        return _form_problems(info, turn)
    if not isinstance(envelope, dict):
        return [('envelope', f"the session attribute '{ENVELOPE}' is {envelope!r}, not an "
                             f"object")]
    stack = stack_of(turn.attributes)
    size = len(json.dumps(envelope, separators=(',', ':')))
    if size > ENVELOPE_LIMIT:
        problems.append(('envelope-size', f"'{ENVELOPE}' takes {size} bytes, more than "
                                          f"{ENVELOPE_LIMIT}"))
    if len(stack) > info.max_stack:
        problems.append(('max-stack', f"the stack {stack} holds {len(stack)} states, more "
                                      f"than {fsm.states_cls.__name__}.MAX_STACK "
                                      f"({info.max_stack})"))
    if len(set(stack)) != len(stack):
        problems.append(('duplicate', f"the stack {stack} holds a state twice"))
    unknown = [s for s in stack if s not in fsm.state_set]
    if unknown:
        problems.append(('unknown-state', f"the stack {stack} names {unknown}, which are no "
                                          f"states"))
    suspended = [s for s in stack if s in info.digressions]
    if suspended:
        problems.append(('digression-suspended',
                         f"the stack {stack} suspends the digression(s) {suspended}, which a "
                         f"push enters and RESUME would come back to instead of the task"))
    digression = envelope.get('digression')
    if digression is not None and not in_scope(turn.state or '', digression):
        problems.append(('digression-elsewhere', f"the digression in progress is "
                                                 f"'{digression}', but the state is "
                                                 f"'{turn.state}'"))
    if turn.should_end and (stack or digression):
        problems.append(('ended-with-stack', f"the skill ended the session but still sends "
                                             f"the stack {stack}"))
    return problems + _form_problems(info, turn)


def _form_problems(info: Any, turn: Turn) -> List[Tuple[str, str]]:
    problems = []
    for mount, form in info.forms.items():
        values = turn.attributes.get(info.mounts[mount].store)
        if not isinstance(values, dict):
            continue
        declared = {slot.name for slot in form.slots}
        strangers = sorted(set(values) - declared)
        if strangers:
            problems.append(('form-stranger', f"form '{mount}' holds {strangers}, which are no "
                                              f"slots of it ({', '.join(sorted(declared))})"))
    return problems
