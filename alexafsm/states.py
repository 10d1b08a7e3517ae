"""States: one method per state of the machine, and the transitions declared on them.

A method's name is a state's name and its return value is what Alexa says in that state.
``with_transitions`` declares how the conversation gets into the state (a dict without ``dest``:
its ``source`` is where from) or out of it (a dict with ``dest``).

Which transition fires: for one trigger and one source state, candidates are tried in 0.1.11's
order, which existing skills rely on: states by method name in alphabetical order (as
``inspect.getmembers`` lists them), then the dicts in the order each decorator lists them (a
higher decorator's dicts before a lower one's). The first candidate whose conditions pass fires.
"""
import inspect
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple
from typing import Type
from typing import TypeVar

from alexafsm.errors import TransitionError
from alexafsm.extensions import PersistentAttributes
from alexafsm.extensions import not_configured
from alexafsm.request import Request
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from alexafsm.turn import OUTSIDE_A_TURN
from alexafsm.turn import TurnContext
from alexafsm.turn import turn_request

__all__ = ['States', 'with_transitions', 'TransitionError', 'TRANSITIONS', 'TRANSITION_KEYS']

TRANSITIONS = 'transitions'

_F = TypeVar('_F', bound=Callable[..., Any])

TRANSITION_KEYS = frozenset(
    {'trigger', 'source', 'dest', 'conditions', 'unless', 'prepare', 'before', 'after',
     'push', 'clear', 'otherwise'})  # the last three: alexafsm.dialogs' stack


def _check(state: str, transition: Any) -> Dict[str, Any]:
    if not isinstance(transition, dict):
        raise TransitionError(f"state '{state}': with_transitions takes dicts such as "
                              f"{{'trigger': 'AMAZON.HelpIntent', 'source': '*'}}, "
                              f"got {transition!r}")
    if not isinstance(transition.get('trigger'), str) or not transition['trigger']:
        raise TransitionError(f"state '{state}': transition {transition!r} needs a 'trigger', "
                              f"the intent name that fires it")
    if 'source' in transition and 'dest' in transition:
        raise TransitionError(
            f"state '{state}': transition on '{transition['trigger']}' gives both 'source' and "
            f"'dest'; an inbound transition names its 'source' (dest is '{state}'), an outbound "
            f"one its 'dest' (source is '{state}')")
    full = dict(transition)
    if 'dest' in full:
        full['source'] = state
    elif 'source' in full:
        full['dest'] = state
    else:
        raise TransitionError(
            f"state '{state}': transition on '{transition['trigger']}' names neither 'source' "
            f"(a state, a list of states or '*', for a transition into '{state}') nor 'dest' "
            f"(for a transition out of '{state}')")
    return full


def with_transitions(*transitions: Dict[str, Any]) -> Callable[[_F], _F]:
    """Declare the transitions into (``source``) or out of (``dest``) the decorated state.

    The dicts are checked here, at import time, so that a typo fails when the skill loads rather
    than when a user first says the intent; their keys when the machine is compiled, on the
    methods that are states then. They are copied: one dict may serve several states.
    """
    def decorate(state: _F) -> _F:
        name = state.__name__
        declared = [_check(name, t) for t in transitions]
        setattr(state, TRANSITIONS, declared + list(getattr(state, TRANSITIONS, [])))
        return state

    return decorate


def _known_keys(state: str, transition: Dict[str, Any]) -> Dict[str, Any]:
    """The transition, if it has only keys the machine knows; checked when the machine compiles.

    Not at import: a skill may define a state method twice, and the later ``def`` replaces the
    earlier decorated one with its transitions; 0.1.11 served such skills, whatever the dead
    method's dicts held.
    """
    unknown = set(transition) - TRANSITION_KEYS
    if unknown:
        raise TransitionError(f"state '{state}': transition {transition!r} has unknown keys "
                              f"{sorted(unknown)}; allowed are {sorted(TRANSITION_KEYS)}")
    return dict(transition)


def _declared_on(cls: Type['States'], name: str, method: Any) -> List[Dict[str, Any]]:
    if hasattr(method, TRANSITIONS):
        return getattr(method, TRANSITIONS)
    for base in cls.__mro__[1:]:
        inherited = vars(base).get(name)
        if inherited is not None and hasattr(inherited, TRANSITIONS):
            return getattr(inherited, TRANSITIONS)
    return []


class _InitialAttributes:
    """The attributes of a States object made without any: the initial ones, built on first use.

    0.1.11's way to serve a request, ``Policy.initialize().handle(request)``, makes the policy
    in the initial state and then replaces its attributes with the request's; building initial
    ones that nobody reads would cost every such request a skill constructor call. Assigning
    ``attributes`` stores them on the object, which then takes precedence over this.
    """

    def __get__(self, states: Any, owner: Type['States']) -> Any:
        if states is None:
            return self
        attributes = owner.session_attributes_cls.from_request(None)
        states.__dict__['attributes'] = attributes
        if states.turn_context is _DEFERRED:
            states.turn_context = OUTSIDE_A_TURN
        return attributes


class States:
    """Base class of a skill's states; subclass it with one method per state.

    ``session_attributes_cls`` names the skill's SessionAttributes subclass, ``skill_name`` and
    ``default_prompt`` are spoken by the built-in responses. A method named ``initial`` answers
    a LaunchRequest.
    """

    session_attributes_cls: Type[SessionAttributes] = SessionAttributes
    skill_name = "Allen A.I."
    default_prompt = "How can I help?"
    #: What this turn knows besides the session attributes (request, store), the Policy's
    #: own. Outside a turn a context without request or store: ``OUTSIDE_A_TURN``, or, while
    #: the initial attributes of States made by ``_initial`` are not built, ``_DEFERRED``.
    turn_context: TurnContext = OUTSIDE_A_TURN

    attributes = _InitialAttributes()

    def __init__(self, attributes: SessionAttributes) -> None:
        self.attributes = attributes

    #: The parsed request of this turn, so a state can answer in the user's locale or dialog
    #: state; None outside a turn.
    request: Optional[Request] = turn_request  # type: ignore[assignment]

    @property
    def dialog(self) -> Any:
        """This turn's dialog view (``alexafsm.dialogs``): stack, resumed, frame, resume point.

        Only machines that use dialogs build one; it is looked up when read, so flat skills pay
        nothing for it.
        """
        from alexafsm.dialogs._runtime import view_of
        return view_of(self)

    @property
    def persistent_attributes(self) -> PersistentAttributes:
        """The current user's memory across sessions, so a state can greet a returning user.

        The policy saves it after the turn if it changed. Raises PersistenceError naming the
        fix when no store is configured.
        """
        persistence = self.turn_context.persistence
        if persistence is None:
            raise not_configured(f"{type(self).__name__} (in state '{self.attributes.state}')")
        return persistence.attributes

    @classmethod
    def from_request(cls, request: Any) -> 'States':
        """Build the states of one turn over the attributes the request carries."""
        return cls(cls.session_attributes_cls.from_request(request))

    @classmethod
    def _initial(cls) -> 'States':
        """``from_request(None)``, with the attributes left to be built when first read.

        Only when the subclass keeps the base ``__init__`` and ``from_request``: one that
        overrides them gets them called, as it expects. Its ``turn_context`` is ``_DEFERRED``
        until the attributes are built, which tells ``Policy.__init__`` the state is the
        initial one without building them or looking into the object's ``__dict__``.
        """
        if cls.__init__ is States.__init__ and \
                cls.from_request.__func__ is _BASE_FROM_REQUEST:  # type: ignore[attr-defined]
            states = cls.__new__(cls)
            states.turn_context = _DEFERRED
            return states
        return cls.from_request(None)

    @classmethod
    def state_methods(cls) -> List[Tuple[str, Any]]:
        """The state methods in 0.1.11's order: by name, alphabetically.

        Every plain function counts, as in 0.1.11, except ``__init__``, dunder methods and
        ``_private`` helpers, which cannot be states a transition names.
        """
        return [(name, method) for name, method in inspect.getmembers(cls, inspect.isfunction)
                if not name.startswith('_')]

    @classmethod
    def declared_transitions(cls) -> List[Tuple[str, Dict[str, Any]]]:
        """Each transition with the state whose decorator declared it, in firing order.

        A subclass that overrides a state method to change what it says keeps the state's
        transitions (0.1.11 silently dropped them); ``@with_transitions()`` with no dicts on
        the override declares that the state has none.
        """
        return [(name, _known_keys(name, t)) for name, method in cls.state_methods()
                for t in _declared_on(cls, name, method)]

    @classmethod
    def get_states_transitions(cls) -> Tuple[List[str], List[Dict[str, Any]]]:
        """All state names and all declared transitions, in the order that decides firing."""
        states = [name for name, _ in cls.state_methods()]
        if INITIAL_STATE not in states:
            states.append(INITIAL_STATE)
        return states, [spec for _, spec in cls.declared_transitions()]


_BASE_FROM_REQUEST = States.from_request.__func__  # type: ignore[attr-defined]
#: The context of States whose initial attributes are not built yet: no request, no store.
_DEFERRED = TurnContext()
