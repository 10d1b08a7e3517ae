"""The machine of a Policy class: its states and transitions, compiled once and shared.

0.1.11 built a ``transitions.Machine`` for every request, which cost milliseconds and bound a
partial per model. Here the declared transitions are expanded once per Policy class into a table
from (trigger, state) to the ordered candidate transitions, with every callback name resolved
to a function. Firing a trigger then does what ``transitions`` does (prepare, then conditions
compared with ``== True`` / ``== False``, then before, the state change with on_exit/on_enter
callbacks, then after), on whatever policy object is passed in, so one table serves all threads.
A real ``transitions.Machine`` is still built, lazily and once, for tools and 0.1.11 code that
read ``policy.machine``.
"""
import importlib
import inspect
import logging
import threading
from types import FunctionType
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm._hints import name_fix
from alexafsm.errors import CallbackError
from alexafsm.errors import MissingStateError
from alexafsm.errors import NotHandled
from alexafsm.errors import SkillClassError
from alexafsm.errors import TransitionError
from alexafsm.session_attributes import INITIAL_STATE

if TYPE_CHECKING:
    from alexafsm.policy import Policy
    from alexafsm.states import States

__all__ = ['Machine', 'Transition', 'Callback', 'NotHandled', 'CallbackError', 'state_order',
           'build_transitions_machine', 'WILDCARD_ALL', 'WILDCARD_SAME']

logger = logging.getLogger(__name__)

WILDCARD_ALL = '*'
WILDCARD_SAME = '='

Callback = Union[str, Callable[..., Any]]


class Transition(NamedTuple):
    """One transition from one source state, as declared on a state method."""
    trigger: str
    source: str
    dest: str
    conditions: Tuple[Callback, ...]
    unless: Tuple[Callback, ...]
    prepare: Tuple[Callback, ...]
    before: Tuple[Callback, ...]
    after: Tuple[Callback, ...]
    declared_source: Union[str, Tuple[str, ...]]  # as written: '*', a state or a list
    declared_on: str  # the state method whose decorator declared it
    # alexafsm.dialogs' keys; a flat skill's transitions keep these defaults
    push: bool = False  # suspends the source on the stack
    clear: bool = False  # forgets the stack and the resume record
    otherwise: Optional[str] = None  # dest RESUME with an empty stack goes here
    outcome: Optional[str] = None  # a form's outcome ('done', 'denied', 'gave_up') it is

    @property
    def from_any_state(self) -> bool:
        """Declared with source '*': drawn once from "any state" rather than from every state."""
        return self.declared_source == WILDCARD_ALL

    @property
    def unconditional(self) -> bool:
        """Fires whenever it is tried, so later candidates for the same source never fire."""
        return not self.conditions and not self.unless

    def describe(self) -> str:
        """How the author would find this transition in their code."""
        return (f"transition {self.source} -> {self.dest} on '{self.trigger}' "
                f"(declared on state '{self.declared_on}')")


def _listify(value: Any) -> Tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _resolver(policy_cls: Type['Policy'], callback: Callback, role: str,
              transition: Transition, field: str) -> Callable[[Any], Any]:
    """Turn a callback name into a function of the policy, the way ``transitions`` resolves it.

    A plain method of the Policy class is called directly; properties, attributes set in
    ``__init__`` and dotted paths to module functions are looked up on each call, as
    ``transitions`` does.
    """
    if not isinstance(callback, str):  # a function of nothing; a dialog's check takes the policy
        return callback if getattr(callback, 'takes_policy', False) else lambda policy: callback()
    static = inspect.getattr_static(policy_cls, callback, None)
    if isinstance(static, FunctionType):
        return static

    def dynamic(policy: Any) -> Any:
        try:
            value = getattr(policy, callback)
        except AttributeError:
            value = _import(callback)
            if value is None:
                known = [n for n in dir(policy_cls) if not n.startswith('_')]
                fix = name_fix(callback, known, f"in the transition's '{field}'",
                               f"add a method 'def {callback}(self)' to {policy_cls.__name__} "
                               f"or fix the name")
                raise CallbackError(
                    f"{transition.describe()} names {role} '{callback}', which "
                    f"{policy_cls.__name__} does not define: {fix}") from None
        return value() if callable(value) else value

    return dynamic


def _import(path: str) -> Optional[Callable[..., Any]]:
    module_name, _, name = path.rpartition('.')
    if not module_name:
        return None
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        return None


class _Compiled(NamedTuple):
    transition: Transition
    prepare: Tuple[Callable[[Any], Any], ...]
    checks: Tuple[Tuple[Callable[[Any], Any], bool], ...]
    before: Tuple[Callable[[Any], Any], ...]
    after: Tuple[Callable[[Any], Any], ...]


class Machine:
    """The compiled machine of one Policy class; build it with ``Machine.of(policy_cls)``."""

    def __init__(self, policy_cls: Type['Policy']) -> None:
        states_cls = policy_cls.states_cls
        if states_cls is None:
            raise _missing_states_cls(policy_cls)
        self.policy_cls = policy_cls
        self.states_cls = states_cls
        self.states: Tuple[str, ...] = self._state_names()
        self.state_set = frozenset(self.states)
        self.transitions: List[Transition] = []
        for declared_on, spec in self._declared():
            self.transitions += self._expand(declared_on, spec)
        self.events: Dict[str, Dict[str, List[Transition]]] = {}
        for t in self.transitions:
            self.events.setdefault(t.trigger, {}).setdefault(t.source, []).append(t)
        self._table: Dict[str, Dict[str, Tuple[_Compiled, ...]]] = {
            trigger: {source: tuple(self._compile(t) for t in candidates)
                      for source, candidates in by_source.items()}
            for trigger, by_source in self.events.items()}
        self._on_exit = self._state_callbacks('on_exit_')
        self._on_enter = self._state_callbacks('on_enter_')
        #: The States method answering in each state, by state name.
        self.responders: Dict[str, Callable[[Any], Any]] = self._responders()
        #: Old state names a deploy replaced (``States.RENAMED``), mapped to the new ones.
        self.renamed: Dict[str, str] = dict(getattr(states_cls, 'RENAMED', None) or {})
        self._transitions_machine = None
        self._lock = threading.Lock()

    _cache_lock = threading.Lock()

    # What a machine is made of; alexafsm.dialogs' machine adds the states of mounted dialogs.
    def _state_names(self) -> Tuple[str, ...]:
        return state_order(self.states_cls)

    def _declared(self) -> List[Tuple[str, Dict[str, Any]]]:
        return self.states_cls.declared_transitions()

    def _responders(self) -> Dict[str, Callable[[Any], Any]]:
        return dict(self.states_cls.state_methods())

    @classmethod
    def of(cls, policy_cls: Type['Policy']) -> 'Machine':
        """The machine of ``policy_cls``, compiled on first use and then shared by all requests."""
        machine = policy_cls.__dict__.get('_alexafsm_machine')
        if machine is None:
            with cls._cache_lock:
                machine = policy_cls.__dict__.get('_alexafsm_machine')
                if machine is None:
                    machine = _machine_class(policy_cls)(policy_cls)
                    policy_cls._alexafsm_machine = machine
        return machine

    def _expand(self, declared_on: str, spec: Dict[str, Any]) -> List[Transition]:
        source = spec['source']
        sources = list(self.states) if source == WILDCARD_ALL else list(_listify(source))
        declared_source = spec.get('declared_source') or (  # dialogs: '*' less a form's own
            source if isinstance(source, str) else tuple(_listify(source)))
        expanded = []
        for src in sources:
            dest = src if spec['dest'] == WILDCARD_SAME else spec['dest']
            expanded.append(Transition(
                trigger=spec['trigger'], source=src, dest=dest,
                conditions=_listify(spec.get('conditions')), unless=_listify(spec.get('unless')),
                prepare=_listify(spec.get('prepare')), before=_listify(spec.get('before')),
                after=_listify(spec.get('after')), declared_source=declared_source,
                declared_on=declared_on, push=bool(spec.get('push')),
                clear=bool(spec.get('clear')), otherwise=spec.get('otherwise'),
                outcome=spec.get('outcome')))
        return expanded

    def _compile(self, t: Transition) -> _Compiled:
        def resolve(field: str, role: str) -> Tuple[Callable[[Any], Any], ...]:
            return tuple(_resolver(self.policy_cls, c, role, t, field)
                         for c in getattr(t, field))

        checks = tuple((fn, True) for fn in resolve('conditions', 'condition')) + \
            tuple((fn, False) for fn in resolve('unless', 'unless condition'))
        return _Compiled(t, resolve('prepare', 'prepare callback'), checks,
                         resolve('before', 'before callback'), resolve('after', 'after callback'))

    def _state_callbacks(self, prefix: str) -> Dict[str, Callable[[Any], Any]]:
        callbacks: Dict[str, Callable[[Any], Any]] = {}
        for state in self.states:  # a dotted state 'order.asking' has on_enter_order__asking
            static = inspect.getattr_static(self.policy_cls, prefix + state.replace('.', '__'),
                                            None)
            if isinstance(static, FunctionType):
                callbacks[state] = static
        return callbacks

    def candidates(self, trigger: str, state: str) -> Tuple[Transition, ...]:
        """The transitions tried, in order, when ``trigger`` arrives in ``state``."""
        return tuple(c.transition for c in self._table.get(trigger, {}).get(state, ()))

    def handles(self, trigger: str, state: str) -> bool:
        """Whether ``trigger`` means anything in ``state``; asks nothing of the skill's code."""
        return state in self._table.get(trigger, ())

    def fire(self, policy: Any, trigger: str) -> bool:
        """Try the candidates for ``trigger`` from ``policy.state`` as ``transitions`` would.

        Returns True when a transition fired (``policy.state`` is then its dest), False when
        every candidate's conditions failed (the state stays), and raises ``NotHandled`` when
        the state has no transition for the trigger at all.
        """
        state = policy.state
        candidates = self._table.get(trigger, {}).get(state)
        if candidates is None:
            candidates, state = self._missing(policy, trigger, state)
        for compiled in candidates:
            for prepare in compiled.prepare:
                prepare(policy)
            for check, target in compiled.checks:
                if check(policy) != target:
                    break
            else:
                self._take(policy, compiled, state)
                return True
        return False

    # The two steps alexafsm.dialogs' machine does its own way (the stack, forms, records).
    def _missing(self, policy: Any, trigger: str, state: str) -> Tuple[Any, str]:
        """No cell for the trigger in the state: NotHandled (a dialog may answer from the stack).
        """
        raise NotHandled(trigger, state)

    def _take(self, policy: Any, compiled: '_Compiled', state: str) -> None:
        """Fire the chosen candidate: before, on_exit, the state change, on_enter, after."""
        dest = compiled.transition.dest
        if dest not in self.state_set:
            self._bad_dest(compiled.transition)
        for before in compiled.before:
            before(policy)
        on_exit = self._on_exit.get(state)
        if on_exit is not None:
            on_exit(policy)
        policy.state = dest
        on_enter = self._on_enter.get(dest)
        if on_enter is not None:
            on_enter(policy)
        for after in compiled.after:
            after(policy)

    def _bad_dest(self, t: Transition) -> None:
        raise TransitionError(f"{t.describe()} goes to '{t.dest}', which is not a state: add a "
                              f"method '{t.dest}' to {self.states_cls.__name__} or fix the name")

    def responder(self, state: str) -> Callable[[Any], Any]:
        """The States method that answers in ``state``."""
        try:
            return self.responders[state]
        except KeyError:
            raise MissingStateError(f"{self.states_cls.__name__} has no method '{state}', so the "
                                    f"machine cannot answer in state '{state}': add "
                                    f"'def {state}(self) -> Response'") from None

    @property
    def transitions_machine(self) -> Any:
        """A ``transitions.Machine`` with the same states and transitions, built once.

        For 0.1.11 code and tools that read ``policy.machine.states`` and ``.events``; it has no
        model, so it is only read, never fired, and shared safely.
        """
        if self._transitions_machine is None:
            with self._lock:
                if self._transitions_machine is None:
                    self._transitions_machine = build_transitions_machine(self.states_cls)
        return self._transitions_machine


def _machine_class(policy_cls: Type['Policy']) -> Type[Machine]:
    """``Machine``, or alexafsm.dialogs' machine for a States class that uses dialogs.

    Decided once per class, when it is compiled: a flat skill keeps this module's ``fire``.
    """
    states_cls = policy_cls.states_cls
    if states_cls is not None and _uses_dialogs(states_cls):
        from alexafsm.dialogs._runtime import DialogMachine
        return DialogMachine
    return Machine


def _uses_dialogs(states_cls: Type['States']) -> bool:
    """Whether a States class mounts a dialog or declares a push, a resume or a clear."""
    from alexafsm.dialogs.compiled import uses_dialogs
    return uses_dialogs(states_cls)


def _missing_states_cls(policy_cls: Type['Policy']) -> SkillClassError:
    """The error for a Policy class without ``states_cls``: it has nothing to answer with."""
    return SkillClassError(f"{policy_cls.__name__}.states_cls is not set: give it your States "
                           f"subclass, e.g. states_cls = MyStates")


def state_order(states_cls: Type['States']) -> Tuple[str, ...]:
    """The initial state first, then the others by name, as 0.1.11's machine listed them."""
    names, _ = states_cls.get_states_transitions()
    return (INITIAL_STATE,) + tuple(sorted(set(names) - {INITIAL_STATE}))


def build_transitions_machine(states_cls: Type['States'], model: Any = None) -> Any:
    """The machine 0.1.11 built, on current ``transitions``: the reference our table must match."""
    from transitions import Machine as TransitionsMachine

    _, declared = states_cls.get_states_transitions()
    machine = TransitionsMachine(model=model, states=list(state_order(states_cls)),
                                 initial=INITIAL_STATE, auto_transitions=False)
    for spec in declared:
        machine.add_transition(**spec)
    return machine
