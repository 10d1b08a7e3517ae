"""What a skill writes: ``RESUME``, ``Slot``, ``Resume``, ``Dialog`` with ``mount``, ``Form``.

Nothing here runs during a turn; ``alexafsm.dialogs.compiled`` turns these declarations into
the flat table the machine fires from, and ``alexafsm.dialogs._runtime`` keeps the stack.
"""
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import Dict
from typing import Iterable
from typing import Mapping
from typing import Optional
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm.errors import DialogError
from alexafsm.response import Response
from alexafsm.session_attributes import ENVELOPE
from alexafsm.states import States
from alexafsm.states import _check

__all__ = ['RESUME', 'ENVELOPE', 'SLOT_KINDS', 'Slot', 'Resume', 'Mount', 'Dialog', 'Form']

#: ``'dest': RESUME``: back to the most recently suspended state, else ``'otherwise'``.
RESUME = '<resume>'
SLOT_KINDS = ('value', 'id', 'number')


@dataclass(frozen=True)
class Slot:
    """How a form treats one slot; fields left None come from the interaction model.

    ``kind``: 'id' keeps the entity-resolution id, 'number' an int, 'value' the words heard.
    ``required``, ``confirm`` and ``prompt`` default to the model's elicitationRequired,
    confirmationRequired and elicitation prompt. ``default`` fills an optional slot left
    empty when the form is done. ``validate`` names a Policy method taking the value and
    returning it (possibly normalised) or raising ``Invalid('words for the user')``.
    """

    kind: str = 'value'
    required: Optional[bool] = None
    prompt: Optional[str] = None
    confirm: Optional[bool] = None
    default: Any = None
    validate: Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in SLOT_KINDS:
            raise DialogError(f"Slot(kind={self.kind!r}): kind is one of {', '.join(SLOT_KINDS)}")


@dataclass(frozen=True)
class Resume:
    """``States.RESUME_ACROSS_SESSIONS``: keep an unfinished task for the user's next launch.

    The record lives in the persistent attributes under ``alexafsm``; it expires after ``ttl``.
    ``dialogs`` names the mounts whose states are recorded (None: every Form mount).
    """

    ttl: timedelta = timedelta(days=7)
    restore: str = 'launch'
    dialogs: Optional[Tuple[str, ...]] = None


@dataclass(frozen=True)
class Mount:
    """A Dialog class mounted in a States class under the attribute's name.

    ``name`` is set when the States class is created; ``store`` is the session-attribute field
    the dialog's data lives in (default: the mount's name).
    """

    dialog: Type['Dialog']
    enter: Tuple[Dict[str, Any], ...] = ()
    store: Optional[str] = None
    outcomes: Mapping[str, str] = field(default_factory=dict)
    name: Optional[str] = None

    def __set_name__(self, owner: Any, name: str) -> None:
        object.__setattr__(self, 'name', name)
        for spec in self.enter:
            if not isinstance(spec, dict) or 'dest' in spec or 'source' not in spec:
                raise DialogError(f"mount '{name}' of {owner.__name__}: enter={spec!r} needs a "
                                  f"'source' and no 'dest': it is a transition into the mount")
        object.__setattr__(self, 'enter', tuple(_check(name, spec) for spec in self.enter))

    @property
    def store_field(self) -> str:
        """The session-attribute field holding this mount's data."""
        return self.store or self.name or ''


class Dialog(States):
    """A group of states (methods, as in States), mounted in a States class under a name.

    Its states are named ``mount.method`` on the wire; its transitions name its own states
    first, then the parent's. ``ENTRY`` is the state a transition into the mount enters.
    """

    ENTRY = 'initial'

    @classmethod
    def mount(cls, *, enter: Iterable[Dict[str, Any]] = (), store: Optional[str] = None,
              **outcomes: str) -> Mount:
        """Mount this dialog: ``enter`` are transitions into it (dicts with a ``source``),
        ``outcomes`` map each way it can end ('done', 'denied', 'gave_up' for a Form) to a
        state of the parent (or RESUME)."""
        return Mount(cls, tuple(dict(spec) for spec in enter), store, dict(outcomes))


class Form(Dialog):
    """A frame of slots filled from one intent, run on Alexa's dialog directives.

    ``INTENT`` is the intent whose slots fill it and ``MODEL`` the interaction model file the
    prompts, required slots, confirmations and validation rules come from. ``SLOTS`` (None:
    every slot of INTENT) adds what the model cannot say: kinds, defaults, validators, prompts
    for slots the model does not elicit. ``CONFIRM`` (None: the model's) reads the whole frame
    back with ``ConfirmIntent``. ``MAX_TRIES`` bounds re-asks of one slot before the outcome
    ``gave_up``. Its states are ``asking`` and ``confirming``; define either to reword it, with
    ``self.dialog.frame`` to build the answer. Outcomes: ``done``, ``denied``, ``gave_up``.
    """

    ENTRY = 'asking'
    INTENT: str = ''
    MODEL: Union[str, Path, Dict[str, Any], None] = None
    SLOTS: Optional[Mapping[str, Slot]] = None
    CONFIRM: Optional[bool] = None
    MAX_TRIES = 3
    #: 'delegate' or 'elicit': how ``asking`` asks when it has nothing of its own to say
    ELICIT = 'delegate'
    #: 'elicit' or 'delegate': how ``asking`` asks again after a digression
    RESUME_WITH = 'elicit'

    def asking(self) -> Response:
        """Ask for what the frame lacks: the first problem, a confirmation, the next slot."""
        return self.dialog.frame.ask()  # type: ignore[no-any-return, unused-ignore]

    def confirming(self) -> Response:
        """Read the complete frame back and ask for a yes or no (``ConfirmIntent``)."""
        frame = self.dialog.frame
        return frame.confirm(  # type: ignore[no-any-return, unused-ignore]
            frame.model_confirmation() or f"{frame.summary()}. Is that right?")
