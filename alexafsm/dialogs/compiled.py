"""How a States class with dialogs compiles into the flat machine, and what tools can read of it.

``dialog_info(states_cls)`` is the one place tools learn about a skill's dialogs; it returns
None for a flat skill (no mount, push, resume or clear), whose machine is 0.1.11's. For a
dialog skill it returns a ``DialogInfo``, compiled once and kept on the class:

* ``states``: every state, mounted ones dotted (``order.asking``), 'initial' first, then by name
* ``declared``: (declared_on, transition dict) in firing order, names resolved to full ones
  (a Form's transitions generated from an enter on '*' list the states outside the form
  and keep ``'declared_source': '*'``, so they are drawn as written):
  each mount's own tier first (its transitions and a Form's generated ones), then the root's,
  sorted by declaring state (or mount) name as 0.1.11 sorts them
* ``mounts``: name -> ``MountInfo`` (dialog class, its states, entry, store field, outcomes)
* ``forms``: mount name -> ``FormInfo`` (intent, slots as resolved from SLOTS and the model)
* ``pushes``, ``resumes``, ``clears``, ``digressions``: what the stack can do, from ``declared``
* ``max_stack``, ``never_suspended``, ``resume_otherwise``, ``resume_across_sessions``,
  ``renamed``: the States class attributes, defaults filled in

The compiled machine (``Machine.of(policy_cls)``, ``policy.fsm``) lists the same transitions
as ``alexafsm.machine.Transition`` tuples whose ``push``, ``clear``, ``otherwise`` and
``outcome`` fields carry the new keys; a resume is a transition whose ``dest`` is ``RESUME``
(``'<resume>'``). ``policy.machine`` (0.1.11's read-only ``transitions.Machine``) has the dotted
states and leaves the resume transitions out.

Mounting: ``order = OrderForm.mount(enter=[...], done='placed')`` in a States class makes the
Form's states ``order.asking`` and ``order.confirming``. Inside a Dialog, a name is looked up
among the dialog's own states first, then the parent's; '*' means the dialog's own states.
A transition into the mount's name enters its ENTRY state (a Form: ``asking``, or
``confirming`` when the frame is complete, chosen at run time after the ``before``
callbacks). A Form generates, for its INTENT from each of its states and from each source of
an ``enter`` transition on INTENT, the candidates ``denied``, ``done``, ``gave_up`` (outcomes,
mapped by the mount to parent states), ``confirming`` and ``asking``, in that order, each
guarded by a condition on the frame (``FormCheck``). One level of mounting in this release.
"""
import inspect
import threading
from dataclasses import dataclass
from typing import Any
from typing import Callable
from typing import Dict
from typing import FrozenSet
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple
from typing import Type

from alexafsm.dialogs._declare import RESUME
from alexafsm.dialogs._declare import Dialog
from alexafsm.dialogs._declare import Form
from alexafsm.dialogs._declare import Mount
from alexafsm.dialogs._declare import Resume
from alexafsm.dialogs._declare import Slot
from alexafsm.dialogs._model import FormModel
from alexafsm.dialogs._model import read_form_model
from alexafsm.errors import DialogError
from alexafsm.session_attributes import INITIAL_STATE

__all__ = ['DialogInfo', 'MountInfo', 'FormInfo', 'FormSlot', 'FormCheck', 'dialog_info',
           'uses_dialogs', 'mounts_of', 'OUTCOMES']

#: The outcomes a Form ends in, in the order its generated candidates are tried.
OUTCOMES = ('denied', 'done', 'gave_up')
_WILDCARD = '*'
_SAME = '='


@dataclass(frozen=True)
class FormSlot:
    """One slot of a form, its ``Slot`` merged with the model: nothing left to look up."""

    name: str
    kind: str
    required: bool
    prompt: Optional[str]
    confirm: bool
    default: Any
    validate: Optional[str]
    model_type: Optional[str]


@dataclass(frozen=True)
class FormInfo:
    """A mounted Form as compiled: its intent, slots in model order, and its settings."""

    mount: str
    form: Type[Form]
    intent: str
    slots: Tuple[FormSlot, ...]
    confirm: bool
    max_tries: int
    model: Optional[FormModel]

    def slot(self, name: str) -> Optional[FormSlot]:
        """The slot of that name, or None."""
        return next((s for s in self.slots if s.name == name), None)


@dataclass(frozen=True)
class MountInfo:
    """A Dialog mounted under ``name``: its states (dotted), entry, store field, outcomes."""

    name: str
    dialog: Type[Dialog]
    states: Tuple[str, ...]
    entry: str
    store: str
    outcomes: Mapping[str, str]
    enter: Tuple[Dict[str, Any], ...]

    @property
    def is_form(self) -> bool:
        """Whether the mounted dialog is a Form (its entry is chosen at run time)."""
        return issubclass(self.dialog, Form)


class FormCheck:
    """A generated condition of a Form's transition: 'is the frame complete', etc.

    Called with the policy, like a Policy method; its ``__name__`` reads in tools' output as
    ``order_complete``. ``what`` is one of OUTCOMES, 'confirming' or 'entering'.
    """

    takes_policy = True  # the machine calls it with the policy, as it calls a Policy method

    def __init__(self, mount: str, what: str) -> None:
        self.mount = mount
        self.what = what
        self.__name__ = f"{mount}_{what}"

    def __call__(self, policy: Any) -> bool:
        from alexafsm.dialogs._runtime import form_check
        return form_check(policy, self.mount, self.what)

    def __repr__(self) -> str:  # as printed among a transition's conditions
        return self.__name__


@dataclass(frozen=True)
class DialogInfo:
    """Everything the machine and the tools need to know about a States class's dialogs."""

    states_cls: type
    states: Tuple[str, ...]
    declared: Tuple[Tuple[str, Dict[str, Any]], ...]
    responders: Mapping[str, Callable[..., Any]]
    mounts: Mapping[str, MountInfo]
    forms: Mapping[str, FormInfo]
    max_stack: int
    never_suspended: FrozenSet[str]
    resume_otherwise: str
    resume_across_sessions: Optional[Resume]
    renamed: Mapping[str, str]

    @property
    def pushes(self) -> Tuple[Tuple[str, Dict[str, Any]], ...]:
        """The declared transitions with ``'push': True``."""
        return tuple(d for d in self.declared if d[1].get('push'))

    @property
    def resumes(self) -> Tuple[Tuple[str, Dict[str, Any]], ...]:
        """The declared transitions to ``RESUME`` (a mount's outcome mapped to it included)."""
        return tuple(d for d in self.declared if d[1].get('dest') == RESUME)

    @property
    def clears(self) -> Tuple[Tuple[str, Dict[str, Any]], ...]:
        """The declared transitions with ``'clear': True``."""
        return tuple(d for d in self.declared if d[1].get('clear'))

    @property
    def digressions(self) -> FrozenSet[str]:
        """The states a push enters: never suspended themselves, never a resume position."""
        return frozenset(spec['dest'] for _, spec in self.pushes)

    def mount_of(self, state: str) -> Optional[str]:
        """The mount a dotted state belongs to; None for a state of the root."""
        head, dot, _ = state.partition('.')
        return head if dot else None


def mounts_of(states_cls: Any) -> Dict[str, Mount]:
    """The Mount attributes of a States class by name, in name order."""
    found = {name: value for name, value in inspect.getmembers(states_cls)
             if isinstance(value, Mount)}
    for name, mount in found.items():
        if mount.name is None:  # assigned after class creation
            mount.__set_name__(states_cls, name)
    return found


def uses_dialogs(states_cls: Any) -> bool:
    """Whether a States class needs the dialog machine: a mount, or a stack key anywhere."""
    if mounts_of(states_cls):
        return True
    return any(spec.get('push') or spec.get('clear') or spec.get('dest') == RESUME
               or 'otherwise' in spec for _, spec in states_cls.declared_transitions())


_lock = threading.Lock()


def dialog_info(states_cls: Any) -> Optional[DialogInfo]:
    """The compiled dialogs of a States class, once per class; None for a flat one."""
    info: Optional[DialogInfo] = states_cls.__dict__.get('_alexafsm_dialogs')
    if info is None:
        if not uses_dialogs(states_cls):
            return None
        with _lock:
            info = states_cls.__dict__.get('_alexafsm_dialogs')
            if info is None:
                info = _compile(states_cls)
                states_cls._alexafsm_dialogs = info
    return info


# -- compiling -----------------------------------------------------------------------------------

def _compile(states_cls: Any) -> DialogInfo:
    root_methods = dict(states_cls.state_methods())
    mounts = mounts_of(states_cls)
    clash = sorted(set(mounts) & set(root_methods))
    if clash:
        raise DialogError(f"{states_cls.__name__}: '{clash[0]}' is both a mount and a state "
                          f"method: rename one of them")
    responders: Dict[str, Callable[..., Any]] = dict(root_methods)
    mount_infos: Dict[str, MountInfo] = {}
    for name, mount in mounts.items():
        dialog = mount.dialog
        if not (isinstance(dialog, type) and issubclass(dialog, Dialog)):
            raise DialogError(f"{states_cls.__name__}.{name}: only a Dialog (or Form) subclass "
                              f"can be mounted, got {dialog!r}")
        if mounts_of(dialog):
            raise DialogError(f"{dialog.__name__} mounts a dialog inside a dialog; this release "
                              f"mounts one level: mount both in {states_cls.__name__}")
        methods = dict(dialog.state_methods())
        if dialog.ENTRY not in methods:
            raise DialogError(f"{dialog.__name__}.ENTRY is '{dialog.ENTRY}', which is no state "
                              f"method of it: add 'def {dialog.ENTRY}(self)' or set ENTRY")
        for method, fn in methods.items():
            responders[f"{name}.{method}"] = fn
        mount_infos[name] = MountInfo(
            name, dialog, tuple(f"{name}.{m}" for m in sorted(methods)),
            f"{name}.{dialog.ENTRY}", mount.store_field, dict(mount.outcomes), mount.enter)
    states = (INITIAL_STATE,) + tuple(sorted(set(responders) - {INITIAL_STATE}))
    root_names = frozenset(root_methods) | {INITIAL_STATE}
    resolver = _Names(states_cls.__name__, root_names, mount_infos)
    forms = {name: _form_info(m) for name, m in mount_infos.items() if m.is_form}
    inner: List[Tuple[str, Dict[str, Any]]] = []
    for name, m in mount_infos.items():
        if name in forms:
            inner += _generated(forms[name], m, m.states, {}, resolver)
        for declared_on, spec in m.dialog.declared_transitions():
            inner.append((f"{name}.{declared_on}", resolver.spec(spec, m)))
    outer: List[Tuple[str, Dict[str, Any]]] = []
    for declared_on, spec in states_cls.declared_transitions():
        outer.append((declared_on, resolver.spec(spec, None)))
    for name, m in mount_infos.items():
        for spec in m.enter:
            resolved = resolver.spec(spec, None)
            if name in forms and spec['trigger'] == forms[name].intent:
                # the form's own states have these candidates in their own tier already
                source = resolved['source']
                outside = [s for s in (states if source == _WILDCARD else _as_list(source))
                           if s not in m.states]
                generated = _generated(forms[name], m, outside, spec, resolver)
                if source == _WILDCARD:  # drawn as written: from any state
                    for _, each in generated:
                        each['declared_source'] = _WILDCARD
                outer += generated
            else:
                outer.append((name, resolved))
    outer.sort(key=lambda entry: entry[0])  # stable: decorator order within a state
    declared = tuple(inner + outer)
    for declared_on, spec in declared:
        _check_keys(states_cls.__name__, declared_on, spec)
    return DialogInfo(
        states_cls=states_cls, states=states, declared=declared, responders=responders,
        mounts=mount_infos, forms=forms,
        max_stack=int(getattr(states_cls, 'MAX_STACK', 3)),
        never_suspended=frozenset(getattr(states_cls, 'NEVER_SUSPENDED', (INITIAL_STATE,))),
        resume_otherwise=resolver.name(getattr(states_cls, 'RESUME_OTHERWISE', INITIAL_STATE),
                                       None),
        resume_across_sessions=getattr(states_cls, 'RESUME_ACROSS_SESSIONS', None),
        renamed=dict(getattr(states_cls, 'RENAMED', None) or {}))


class _Names:
    """Resolves the names a transition dict uses, lexically: the dialog's own, then the root's."""

    def __init__(self, owner: str, root: FrozenSet[str], mounts: Mapping[str, MountInfo]) -> None:
        self.owner = owner
        self.root = root
        self.mounts = mounts

    def name(self, name: str, scope: Optional[MountInfo]) -> str:
        if name in (_SAME, RESUME):
            return name
        if scope is not None and f"{scope.name}.{name}" in scope.states:
            return f"{scope.name}.{name}"
        if name in self.mounts:
            return self.mounts[name].entry
        if '.' in name or name in self.root:
            return name
        return name  # unknown: the machine reports it when the transition fires

    def sources(self, source: Any, scope: Optional[MountInfo]) -> Any:
        if source == _WILDCARD:
            return list(scope.states) if scope is not None else _WILDCARD
        names = [source] if isinstance(source, str) else list(source)
        resolved: List[str] = []
        for name in names:
            if name in self.mounts and (scope is None or f"{scope.name}.{name}" not in
                                        scope.states):
                resolved += self.mounts[name].states  # a mount as source: each of its states
            else:
                resolved.append(self.name(name, scope))
        return resolved if not isinstance(source, str) or len(resolved) != 1 else resolved[0]

    def spec(self, spec: Dict[str, Any], scope: Optional[MountInfo]) -> Dict[str, Any]:
        resolved = dict(spec)
        resolved['source'] = self.sources(spec['source'], scope)
        resolved['dest'] = self.name(spec['dest'], scope)
        if 'otherwise' in spec:
            resolved['otherwise'] = self.name(spec['otherwise'], scope)
        return resolved


def _check_keys(owner: str, declared_on: str, spec: Dict[str, Any]) -> None:
    where = f"{owner}, transition on '{spec['trigger']}' declared on '{declared_on}'"
    if spec.get('otherwise') is not None and spec.get('dest') != RESUME:
        raise DialogError(f"{where}: 'otherwise' only goes with 'dest': RESUME (where to go "
                          f"when nothing is suspended); drop it or make dest RESUME")
    if spec.get('push') and spec.get('dest') == RESUME:
        raise DialogError(f"{where}: a transition cannot both push and resume: drop 'push'")
    if spec.get('push') and spec.get('clear'):
        raise DialogError(f"{where}: 'push' keeps the source to come back to, 'clear' forgets "
                          f"it: keep one")


def _form_info(mount: MountInfo) -> FormInfo:
    form: Type[Form] = mount.dialog  # type: ignore[assignment]
    if not form.INTENT:
        raise DialogError(f"{form.__name__}.INTENT is not set: name the intent whose slots fill "
                          f"the form, e.g. INTENT = 'OrderPizzaIntent'")
    model = read_form_model(form.MODEL, form.INTENT) if form.MODEL is not None else None
    declared = dict(form.SLOTS) if form.SLOTS is not None else None
    names: List[str] = []
    if model is not None:
        names = [s.name for s in model.slots if declared is None or s.name in declared]
    names += [n for n in (declared or {}) if n not in names]  # form-slot-unknown: tools say
    slots = []
    for name in names:
        own = (declared or {}).get(name) or Slot()
        in_model = model.slot(name) if model is not None else None
        slots.append(FormSlot(
            name=name, kind=own.kind,
            required=own.required if own.required is not None
            else bool(in_model and in_model.required),
            prompt=own.prompt if own.prompt is not None
            else (in_model.prompt if in_model else None),
            confirm=own.confirm if own.confirm is not None
            else bool(in_model and in_model.confirm),
            default=own.default, validate=own.validate,
            model_type=in_model.type if in_model else None))
    confirm = form.CONFIRM if form.CONFIRM is not None else bool(model and model.confirm)
    return FormInfo(mount.name, form, form.INTENT, tuple(slots), bool(confirm),
                    int(form.MAX_TRIES), model)


def _generated(form: FormInfo, mount: MountInfo, sources: Any, enter: Dict[str, Any],
               resolver: _Names) -> List[Tuple[str, Dict[str, Any]]]:
    """The candidates a Form's INTENT fires, from its own states or from an enter's sources.

    ``enter``'s own keys (conditions, callbacks, push, clear) are kept on each candidate,
    its conditions before the generated one.
    """
    base = {k: v for k, v in enter.items() if k not in ('source', 'dest')}
    own_conditions = list(_as_list(enter.get('conditions')))
    declared_on = mount.name if enter else f"{mount.name}.{form.form.ENTRY}"
    out: List[Tuple[str, Dict[str, Any]]] = []
    steps: List[Tuple[str, str, Optional[str]]] = []  # (check, dest, outcome)
    for outcome in OUTCOMES:
        target = mount.outcomes.get(outcome)
        if target is None and outcome in resolver.root:
            target = outcome
        if target is not None:
            steps.append((outcome, resolver.name(str(target), None), outcome))
    if form.confirm:
        steps.append(('confirming', f"{mount.name}.confirming", None))
    for what, dest, ends_in in steps:
        spec = dict(base, trigger=form.intent, source=sources, dest=dest,
                    conditions=own_conditions + [FormCheck(mount.name, what)])
        if ends_in is not None:
            spec['outcome'] = ends_in
            spec.pop('push', None)
        out.append((declared_on, spec))
    last = dict(base, trigger=form.intent, source=sources, dest=f"{mount.name}.asking")
    if own_conditions:
        last['conditions'] = own_conditions
    out.append((declared_on, last))
    return out


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
