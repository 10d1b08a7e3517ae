"""The validator's checks of ``alexafsm.dialogs``: the stack, forms and the reserved attribute.

``alexafsm.tools.validation`` registers these codes and reports what ``dialog_problems`` yields
as findings; they live apart so the stack's rules read in one place. Like every check they are
static: the stack is walked by ``dialog_facts.explore`` (conditions ignored), forms are read
against the interaction model, and no skill code runs.
"""
import inspect
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple
from typing import Type

from alexafsm._hints import closest
from alexafsm.dialogs.compiled import FormInfo
from alexafsm.errors import ModelError
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import ENVELOPE
from alexafsm.tools.dialog_facts import Config
from alexafsm.tools.dialog_facts import digression_scope
from alexafsm.tools.dialog_facts import explore
from alexafsm.tools.dialog_facts import forms_of
from alexafsm.tools.dialog_facts import in_scope
from alexafsm.tools.dialog_facts import is_resume
from alexafsm.tools.dialog_facts import max_stack
from alexafsm.tools.dialog_facts import mounts_of
from alexafsm.tools.dialog_facts import otherwise_of
from alexafsm.tools.dialog_facts import uses_dialogs
from alexafsm.tools.interaction_model import Intent
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['dialog_problems', 'Problem', 'DIALOG_CHECKS']

_ERROR, _WARNING = 'error', 'warning'

#: The codes these checks report, with their severity and what each finds (``CHECKS`` has them).
DIALOG_CHECKS: Dict[str, Tuple[str, str]] = {
    'push-no-return': (_ERROR, "a state entered by a push has no transition of its own to "
                               "RESUME"),
    'resume-without-push': (_WARNING, "a RESUME can find nothing suspended and names no "
                                      "'otherwise'"),
    'stack-overflow-possible': (_WARNING, "pushes can suspend more states than MAX_STACK "
                                          "keeps"),
    'form-slot-unknown': (_ERROR, "a Form's SLOTS names a slot its intent does not have"),
    'form-prompt-missing': (_ERROR, "a Form's required slot has no prompt in the model or "
                                    "its Slot"),
    'form-validator-missing': (_ERROR, "Slot(validate=...) names no Policy method"),
    'reserved-attribute': (_ERROR, f"a session attribute or mount store is named "
                                   f"'{ENVELOPE}', the dialogs' reserved key"),
}


class Problem(NamedTuple):
    """One finding before the validator dresses it: code, message, hint and where it is."""

    code: str
    message: str
    hint: Optional[str]
    where: Dict[str, Optional[str]]


def dialog_problems(fsm: Machine, model: Optional[InteractionModel],
                    ending: Iterable[str]) -> Iterator[Problem]:
    """Every dialog problem of the machine; nothing for a skill that uses no dialogs."""
    yield from _reserved(fsm)
    if not uses_dialogs(fsm):
        return
    ends = frozenset(ending)
    yield from _push_no_return(fsm)
    walk = explore(fsm, ends)
    yield from _resume_without_push(fsm, walk.empty_resumes, walk.path_to)
    yield from _overflow(fsm, walk.overflows, walk.path_to)
    for form in forms_of(fsm.states_cls):
        yield from _form(fsm, form, model)


def _push_no_return(fsm: Machine) -> Iterator[Problem]:
    entered: Dict[str, List[Transition]] = {}
    for t in fsm.transitions:
        if getattr(t, 'push', False) and t.dest in fsm.state_set:
            entered.setdefault(digression_scope(t), []).append(t)
    for scope, pushes in entered.items():
        if any(is_resume(t) and in_scope(t.source, scope) for t in fsm.transitions):
            continue
        triggers = sorted({t.trigger for t in pushes})
        push = pushes[0]
        yield Problem(
            'push-no-return',
            f"'{scope}' is entered by a push ({', '.join(triggers)}, declared on "
            f"'{push.declared_on}'), which suspends the state the user was in, but it has no "
            f"transition of its own to RESUME: \"shall we go on?\" cannot go on, and the "
            f"suspended state is never resumed (starting something else or quitting is no "
            f"return)",
            f"add {{'trigger': 'AMAZON.YesIntent', 'dest': RESUME, 'otherwise': '...'}} to "
            f"'{scope}' (from alexafsm.dialogs import RESUME), or make the push a plain "
            f"transition if nothing should be resumed",
            {'state': scope, 'trigger': push.trigger})


def _steps_text(path: List[Tuple[Config, Transition]]) -> str:
    return ', '.join(['launch'] + [f"{t.trigger} in '{c.state}'" for c, t in path])


def _declaration_key(t: Transition) -> Tuple[Any, ...]:
    return (t.declared_on, t.trigger, t.declared_source, t.dest, t.conditions, t.unless)


def _resume_without_push(fsm: Machine, empty: List[Tuple[Config, Transition]],
                         path_to: Any) -> Iterator[Problem]:
    seen = set()
    for config, t in empty:
        key = _declaration_key(t)
        if t.otherwise is not None or key in seen:
            continue
        seen.add(key)
        fallback = otherwise_of(t, fsm.states_cls)
        steps = _steps_text(path_to(config) + [(config, t)])
        yield Problem(
            'resume-without-push',
            f"the transition on '{t.trigger}' to RESUME declared on '{t.declared_on}' can fire "
            f"with nothing suspended ({steps}) and names no 'otherwise', so it goes to "
            f"'{fallback}'" + (" and replays the welcome" if fallback == 'initial' else ''),
            f"add 'otherwise': '<state>' to the transition, saying where '{t.trigger}' leads "
            f"when there is nothing to go back to",
            {'state': t.declared_on, 'trigger': t.trigger})


def _overflow(fsm: Machine, overflows: List[Tuple[Config, Transition]],
              path_to: Any) -> Iterator[Problem]:
    seen = set()
    depth = max_stack(fsm.states_cls)
    cls = fsm.states_cls.__name__
    for config, t in overflows:
        key = _declaration_key(t)
        if key in seen:
            continue
        seen.add(key)
        suspended = list(config.stack) + [config.state]
        yield Problem(
            'stack-overflow-possible',
            f"pushes can suspend more states than {cls}.MAX_STACK ({depth}) keeps: "
            f"{_steps_text(path_to(config) + [(config, t)])} suspends "
            f"{', '.join(repr(s) for s in suspended)}, so '{suspended[0]}' is forgotten and "
            f"the user can never get back to it",
            f"raise {cls}.MAX_STACK to {len(suspended)}, resume (dest RESUME) before "
            f"starting the next task, or make '{t.trigger}' in '{config.state}' a plain "
            f"transition",
            {'state': config.state, 'trigger': t.trigger})


def _reserved(fsm: Machine) -> Iterator[Problem]:
    attributes_cls = fsm.states_cls.session_attributes_cls
    try:
        parameters = inspect.signature(attributes_cls.__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin __init__ has none of ours
        parameters = {}  # type: ignore[assignment]
    if ENVELOPE in parameters:
        yield Problem(
            'reserved-attribute',
            f"{attributes_cls.__name__}.__init__ takes a parameter '{ENVELOPE}', the session "
            f"attribute key alexafsm.dialogs keeps the stack in: the skill's value and the "
            f"dialog state would overwrite each other",
            f"rename the field (and its parameter) in {attributes_cls.__name__}", {})
    for mount in mounts_of(fsm.states_cls):
        if mount.store == ENVELOPE:
            yield Problem(
                'reserved-attribute',
                f"mount '{mount.name}' keeps its data in the session attribute '{ENVELOPE}', "
                f"the key alexafsm.dialogs keeps the stack in",
                "give the mount another name or store=", {'state': mount.name})


def _model_intent(form: FormInfo, model: Optional[InteractionModel]
                  ) -> Tuple[Optional[Intent], str]:
    """The form's intent in the model it reads (its MODEL, else the one validated against)."""
    declared = getattr(form.form, 'MODEL', None)
    found = model
    if isinstance(declared, dict):
        from alexafsm.tools.interaction_model import _from_json
        found = _from_json(declared, f"{form.form.__name__}.MODEL")
    elif declared is not None:
        try:
            found = load_model(Path(declared))
        except ModelError:  # the form itself fails to compile on an unreadable model
            found = model
    if found is None:
        return None, ''
    return found.intent(form.intent), found.source


def _form(fsm: Machine, form: FormInfo, model: Optional[InteractionModel]
          ) -> Iterator[Problem]:
    name = f"{form.form.__name__} (mount '{form.mount}')"
    policy_cls: Type[Policy] = fsm.policy_cls
    intent, source = _model_intent(form, model)
    for slot in form.slots:
        where: Dict[str, Optional[str]] = {'state': form.mount, 'trigger': form.intent,
                                           'slot': slot.name}
        if slot.validate and not hasattr(policy_cls, slot.validate):
            meant = closest(slot.validate, [n for n in dir(policy_cls) if not n.startswith('_')])
            yield Problem(
                'form-validator-missing',
                f"{name}: slot '{slot.name}' is validated by '{slot.validate}', which "
                f"{policy_cls.__name__} does not define, so the form fails on the first value",
                f"did you mean '{meant}'? Correct the Slot's validate=" if meant else
                f"add 'def {slot.validate}(self, value)' to {policy_cls.__name__}: it returns "
                f"the value or raises Invalid('what to say')",
                {**where, 'callback': slot.validate})
        if intent is not None and intent.slot(slot.name) is None:
            meant = closest(slot.name, intent.slot_names)
            yield Problem(
                'form-slot-unknown',
                f"{name}: SLOTS names '{slot.name}', which intent '{intent.name}' of the model "
                f"({source}) does not have, so it is never filled",
                f"did you mean '{meant}'? Correct the name in SLOTS" if meant else
                f"add the slot to '{intent.name}' in the model, or remove it from SLOTS", where)
            continue
        model_slot = intent.slot(slot.name) if intent is not None else None
        prompt = slot.prompt or (model_slot.elicitation_prompt if model_slot else None)
        own = (form.form.SLOTS or {}).get(slot.name)
        required = own.required if own is not None and own.required is not None else \
            slot.required or bool(model_slot and model_slot.elicitation_required)
        if required and not prompt:
            yield Problem(
                'form-prompt-missing',
                f"{name}: slot '{slot.name}' is required, but neither the model nor its Slot "
                f"has a prompt, so the form has nothing to ask for it with",
                f"give the slot an elicitation prompt in the model's dialog section, or "
                f"Slot(prompt='...') in {form.form.__name__}.SLOTS", where)
