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
from alexafsm.dialogs import ENVELOPE
from alexafsm.dialogs import Mount
from alexafsm.errors import ModelError
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.tools.dialog_facts import Config
from alexafsm.tools.dialog_facts import digression_scope
from alexafsm.tools.dialog_facts import explore
from alexafsm.tools.dialog_facts import form_mounts
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
    for mount in form_mounts(fsm.states_cls):
        yield from _form(fsm, mount, model)


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
        if mount.store_field == ENVELOPE:
            yield Problem(
                'reserved-attribute',
                f"mount '{mount.name}' keeps its data in the session attribute '{ENVELOPE}', "
                f"the key alexafsm.dialogs keeps the stack in",
                "give the mount another name or store=", {'state': mount.name})


def _form_model(form: Type[Any], model: Optional[InteractionModel]
                ) -> Optional[InteractionModel]:
    declared = getattr(form, 'MODEL', None)
    if declared is None:
        return model
    if isinstance(declared, dict):
        from alexafsm.tools.interaction_model import _from_json
        return _from_json(declared, f'{form.__name__}.MODEL')
    try:
        return load_model(Path(declared))
    except ModelError:
        return model  # the runtime reports an unreadable model when the form is compiled


def _form(fsm: Machine, mount: Mount, model: Optional[InteractionModel]
          ) -> Iterator[Problem]:
    form = mount.dialog
    name = f"{form.__name__} (mount '{mount.name}')"
    slots: Dict[str, Any] = dict(getattr(form, 'SLOTS', None) or {})
    policy_cls: Type[Policy] = fsm.policy_cls
    for slot_name, slot in slots.items():
        validator = getattr(slot, 'validate', None)
        if validator and inspect.getattr_static(policy_cls, validator, None) is None:
            meant = closest(validator, [n for n in dir(policy_cls) if not n.startswith('_')])
            yield Problem(
                'form-validator-missing',
                f"{name}: slot '{slot_name}' is validated by '{validator}', which "
                f"{policy_cls.__name__} does not define, so the form fails on the first value",
                f"did you mean '{meant}'? Correct the Slot's validate=" if meant else
                f"add 'def {validator}(self, value)' to {policy_cls.__name__}: it returns the "
                f"value or raises Invalid('what to say')",
                {'state': mount.name, 'slot': slot_name, 'callback': validator})
    found = _form_model(form, model)
    intent: Optional[Intent] = None if found is None else found.intent(getattr(form, 'INTENT', ''))
    if found is None or intent is None:
        return
    for slot_name in slots:
        if intent.slot(slot_name) is None:
            yield Problem(
                'form-slot-unknown',
                f"{name}: SLOTS names '{slot_name}', which intent '{intent.name}' of the model "
                f"({found.source}) does not have, so it is never filled",
                (f"did you mean '{closest(slot_name, intent.slot_names)}'? Correct the name in "
                 f"SLOTS" if closest(slot_name, intent.slot_names) else
                 f"add the slot to '{intent.name}' in the model, or remove it from SLOTS"),
                {'state': mount.name, 'trigger': intent.name, 'slot': slot_name})
    for model_slot in intent.slots:
        if slots and model_slot.name not in slots:
            continue
        slot = slots.get(model_slot.name)
        required = getattr(slot, 'required', None)
        if required is None:
            required = model_slot.elicitation_required
        prompt = getattr(slot, 'prompt', None) or model_slot.elicitation_prompt
        if required and not prompt:
            yield Problem(
                'form-prompt-missing',
                f"{name}: slot '{model_slot.name}' is required, but neither the model "
                f"({found.source}) nor its Slot has a prompt, so the form cannot ask for it",
                f"give the slot an elicitation prompt in the model's dialog section, or "
                f"Slot(prompt='...') in {form.__name__}.SLOTS",
                {'state': mount.name, 'trigger': intent.name, 'slot': model_slot.name})
