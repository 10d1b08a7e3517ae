"""A form's frame for one turn: its values read, validated and merged, and how to ask next.

Every slot the request carries is read on every turn of the form's intent, the first one
included, in model order; each value passes its kind, the model's local validation rules and
the skill's validator. A refused value removes the slot's old value and the first one becomes
the turn's ``problem``. ``FrameView`` is what ``self.dialog.frame`` gives a responder.
"""
import logging
from typing import Any
from typing import Dict
from typing import NamedTuple
from typing import Optional
from typing import Tuple

from alexafsm import response
from alexafsm.dialogs.compiled import FormInfo
from alexafsm.dialogs.compiled import FormSlot
from alexafsm.errors import DialogError
from alexafsm.errors import Invalid
from alexafsm.request import Request
from alexafsm.request import Slot as RequestSlot
from alexafsm.response import Directive
from alexafsm.response import Response

__all__ = ['Problem', 'Frame', 'FrameView', 'read_frame']

logger = logging.getLogger(__name__)
_COMPARISONS = {'isGreaterThan': lambda a, b: a > b, 'isGreaterThanOrEqualTo': lambda a, b: a >= b,
                'isLessThan': lambda a, b: a < b, 'isLessThanOrEqualTo': lambda a, b: a <= b}


class Problem(NamedTuple):
    """A value heard for ``slot`` that was refused; ``message`` is the validator's words."""

    slot: str
    heard: str
    message: Optional[str]


class Frame:
    """The form's values after this turn's slots, and what is still to ask.

    ``book`` is the form's bookkeeping from the envelope (asked, tries, confirmed), a copy;
    ``read`` says whether this turn's request was the form's intent (its slots were read).
    """

    def __init__(self, info: FormInfo, values: Dict[str, Any], book: Dict[str, Any],
                 problem: Optional[Problem], read: bool, request: Optional[Request]) -> None:
        self.info = info
        self.values = values
        self.book = book
        self.problem = problem
        self.read = read
        self.request = request

    @property
    def confirmation(self) -> str:
        """The intent's confirmationStatus this turn (NONE unless the form's intent)."""
        return self.request.intent_confirmation if self.read and self.request else 'NONE'

    @property
    def missing(self) -> Tuple[str, ...]:
        """The required slots without a value, in model order."""
        return tuple(s.name for s in self.info.slots if s.required and s.name not in self.values)

    @property
    def unconfirmed(self) -> Optional[str]:
        """The first filled slot that must be confirmed (ConfirmSlot) and is not yet."""
        confirmed = self.book.get('confirmed') or ()
        return next((s.name for s in self.info.slots if s.confirm and s.name in self.values
                     and s.name not in confirmed), None)

    @property
    def complete(self) -> bool:
        """Nothing refused, nothing required missing, nothing awaiting its confirmation."""
        return self.problem is None and not self.missing and self.unconfirmed is None

    def gives_up(self) -> bool:
        """Whether this turn's problem is one re-ask more than MAX_TRIES allows."""
        if self.problem is None:
            return False
        tries = (self.book.get('tries') or {}).get(self.problem.slot, 0)
        return tries + 1 > self.info.max_tries

    def check(self, what: str) -> bool:
        """The generated conditions: 'denied', 'done', 'gave_up', 'confirming', 'entering'."""
        if what == 'denied':
            return self.confirmation == 'DENIED'
        if what == 'gave_up':
            return self.gives_up()
        if what == 'done':
            return self.complete and (self.confirmation == 'CONFIRMED' or not self.info.confirm)
        if what == 'confirming':
            return self.complete and self.info.confirm and self.confirmation == 'NONE'
        return self.complete and self.info.confirm  # entering: straight to the read-back

    def next_book(self) -> Dict[str, Any]:
        """The bookkeeping after this turn: the slot asked, tries of refused values."""
        book: Dict[str, Any] = {
            k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
            for k, v in self.book.items()}
        if self.problem is not None:
            tries: Dict[str, int] = book.setdefault('tries', {})
            tries[self.problem.slot] = tries.get(self.problem.slot, 0) + 1
        asked = self.next_slot
        if asked is None:
            book.pop('asked', None)
        else:
            book['asked'] = asked
        return {k: v for k, v in book.items() if v}

    @property
    def next_slot(self) -> Optional[str]:
        """The slot to ask about: the refused one, the first missing one, one to confirm."""
        if self.problem is not None:
            return self.problem.slot
        return next(iter(self.missing), None) or self.unconfirmed


def read_frame(info: FormInfo, stored: Any, book: Dict[str, Any], request: Optional[Request],
               policy: Any) -> Frame:
    """The frame of this turn: ``stored`` values with the request's slots read into them."""
    names = {s.name for s in info.slots}
    values = {k: v for k, v in stored.items() if k in names} if isinstance(stored, dict) else {}
    book = dict(book)
    read = request is not None and request.intent_name == info.intent
    problem = None
    if read:
        confirmed = list(book.get('confirmed') or ())
        for slot in info.slots:
            heard = request.slot(slot.name)  # type: ignore[union-attr]
            if heard is None:
                continue
            if heard.value:
                try:
                    value = _validated(info, slot, heard, policy)
                except Invalid as refused:  # the words said to the user, '' for none
                    values.pop(slot.name, None)
                    problem = problem or Problem(slot.name, heard.value, str(refused) or None)
                    continue
                if values.get(slot.name) != value and slot.name in confirmed:
                    confirmed.remove(slot.name)
                values[slot.name] = value
            if slot.confirm and slot.name in values:
                if heard.confirmation_status == 'CONFIRMED' and slot.name not in confirmed:
                    confirmed.append(slot.name)
                elif heard.confirmation_status == 'DENIED':
                    values.pop(slot.name, None)
                    if slot.name in confirmed:
                        confirmed.remove(slot.name)
        book['confirmed'] = confirmed
    return Frame(info, values, book, problem, read, request)


def _validated(info: FormInfo, slot: FormSlot, heard: RequestSlot, policy: Any) -> Any:
    value = _understood(info, slot, heard)
    _apply_rules(info, slot, heard, value)
    method = slot.validate or next(
        (name for name in (f"validate_{info.mount}__{slot.name}", f"validate_{slot.name}")
         if policy is not None and callable(getattr(policy, name, None))), None)
    if method is None or policy is None:
        return value
    validate = getattr(policy, method, None)
    if not callable(validate):
        raise DialogError(f"Slot(validate={method!r}) of slot '{slot.name}' in "
                          f"{info.form.__name__} names no method of {type(policy).__name__}: "
                          f"add 'def {method}(self, value)' or fix the name")
    return validate(value)


def _model_words(info: FormInfo, slot: FormSlot) -> Tuple[Tuple[str, str], ...]:
    model_slot = info.model.slot(slot.name) if info.model is not None else None
    return model_slot.words if model_slot is not None else ()


def _understood(info: FormInfo, slot: FormSlot, heard: RequestSlot) -> Any:
    if slot.kind == 'number':
        text = (heard.value or '').strip()
        if not text.lstrip('-').isdigit():
            raise Invalid('')
        return int(text)
    if slot.kind == 'value':
        return heard.value
    words = _model_words(info, slot)
    resolved = heard.resolved()
    if resolved.id is not None:
        if words and all(id_ != resolved.id for id_, _ in words):
            raise Invalid('')
        return resolved.id
    if not heard.resolutions:  # our own words from an updatedIntent: Alexa resolves none
        folded = ' '.join((heard.value or '').split()).casefold()
        for id_, canonical in words:
            if canonical.casefold() == folded:
                return id_
    raise Invalid('')


def _apply_rules(info: FormInfo, slot: FormSlot, heard: RequestSlot, value: Any) -> None:
    model_slot = info.model.slot(slot.name) if info.model is not None else None
    for rule in model_slot.rules if model_slot is not None else ():
        said = {(heard.value or '').casefold(), str(value).casefold(),
                (heard.resolved().value or '').casefold()}
        allowed = {v.casefold() for v in rule.values}
        if rule.type == 'hasEntityResolutionMatch':
            failed = bool(heard.resolutions) and heard.resolved().id is None
        elif rule.type == 'isInSet':
            failed = not (said & allowed)
        elif rule.type == 'isNotInSet':
            failed = bool(said & allowed)
        elif rule.type in _COMPARISONS and rule.value is not None:
            try:
                failed = not _COMPARISONS[rule.type](float(value), float(rule.value))
            except (TypeError, ValueError):
                failed = True
        else:
            continue  # dates and the like: Alexa checks them when it runs the dialog
        if failed:
            raise Invalid(rule.prompt or '')


class FrameView:
    """``self.dialog.frame``: the form's values, what is missing, and the answers that ask.

    ``elicit``, ``delegate``, ``confirm_slot`` and ``confirm`` build a Response with the
    right Dialog directive and an ``updatedIntent`` holding only validated values.
    """

    def __init__(self, frame: Frame, resumed: bool, form: Any) -> None:
        self._frame = frame
        self.resumed = resumed
        self._form = form

    @property
    def values(self) -> Dict[str, Any]:
        """The validated values so far (ids for kind 'id', ints for 'number')."""
        return dict(self._frame.values)

    @property
    def missing(self) -> Tuple[str, ...]:
        """The required slots without a value, in model order."""
        return self._frame.missing

    @property
    def problem(self) -> Optional[Problem]:
        """The first refused value of this turn: slot, words heard, the validator's message."""
        return self._frame.problem

    @property
    def next_slot(self) -> Optional[str]:
        """The slot to ask about next; None when nothing is left to ask."""
        return self._frame.next_slot

    @property
    def asked(self) -> Optional[str]:
        """The slot the form asked about on the previous turn."""
        asked = self._frame.book.get('asked')
        return asked if isinstance(asked, str) else None

    @property
    def tries(self) -> Dict[str, int]:
        """How often each slot's value was refused so far."""
        return dict(self._frame.book.get('tries') or {})

    @property
    def complete(self) -> bool:
        """Every required slot has a valid, confirmed value."""
        return self._frame.complete

    @property
    def started(self) -> bool:
        """Alexa's dialogState is STARTED: the user just began the dialog."""
        request = self._frame.request
        return request is not None and request.dialog_state == 'STARTED'

    def value(self, slot: str) -> Any:
        """A slot's value, or its ``Slot.default``."""
        if slot in self._frame.values:
            return self._frame.values[slot]
        found = self._frame.info.slot(slot)
        return found.default if found is not None else None

    def words(self, slot: str) -> Optional[str]:
        """How to say a slot's value: an id's canonical words, a number as digits."""
        value = self._frame.values.get(slot)
        if value is None:
            return None
        found = self._frame.info.slot(slot)
        if found is not None and found.kind == 'id':
            for id_, canonical in _model_words(self._frame.info, found):
                if id_ == value:
                    return canonical
        return str(value)

    def prompt(self, slot: Optional[str] = None) -> str:
        """How to ask for a slot (default: the next one): Slot.prompt or the model's prompt."""
        name = slot or self.next_slot
        found = self._frame.info.slot(name) if name else None
        if found is not None and found.prompt:
            return found.prompt
        return f"What {name} would you like?" if name else ''

    def updated_intent(self, confirmation_status: str = 'NONE') -> Dict[str, Any]:
        """The form's intent with the validated values, in canonical words; unfilled empty."""
        values = {s.name: self.words(s.name) for s in self._frame.info.slots}
        return response.updated_intent(self._frame.info.intent, values, confirmation_status)

    def delegate(self) -> Response:
        """Let Alexa ask with the model's prompts (no speech: Alexa allows none)."""
        return Response(speech=None, reprompt=None,
                        directives=[Directive.delegate(self.updated_intent())])

    def elicit(self, speech: str, slot: Optional[str] = None,
               reprompt: Optional[str] = None) -> Response:
        """Ask for one slot with the skill's own words (ElicitSlot)."""
        name = slot or self.next_slot
        if name is None:
            raise DialogError(f"{self._frame.info.form.__name__}: elicit() with no slot left "
                              f"to ask for; check frame.complete first")
        return Response(speech=speech, reprompt=reprompt or self.prompt(name),
                        directives=[Directive.elicit_slot(name, self.updated_intent())])

    def confirm_slot(self, slot: str, speech: str, reprompt: Optional[str] = None) -> Response:
        """Ask the user to confirm one slot's value (ConfirmSlot)."""
        return Response(speech=speech, reprompt=reprompt or speech,
                        directives=[Directive.confirm_slot(slot, self.updated_intent())])

    def confirm(self, speech: str, reprompt: Optional[str] = None) -> Response:
        """Read the frame back and ask for a yes or no on all of it (ConfirmIntent)."""
        return Response(speech=speech, reprompt=reprompt or speech,
                        directives=[Directive.confirm_intent(self.updated_intent())])

    def summary(self) -> str:
        """The values in words, slot by slot, for a default read-back."""
        parts = [f"{s.name} {self.words(s.name)}" for s in self._frame.info.slots
                 if s.name in self._frame.values]
        return ', '.join(parts) if parts else 'nothing yet'

    def model_confirmation(self) -> Optional[str]:
        """The model's intent confirmation prompt, if it has one."""
        model = self._frame.info.model
        return model.confirmation_prompt if model is not None else None

    def ask(self) -> Response:
        """The default ``asking`` answer: re-ask a problem, confirm a slot, or ask the next.

        Delegate when the skill has nothing to say and the model can ask; ElicitSlot otherwise
        (a refused value, a resume with ``RESUME_WITH = 'elicit'``, a slot the model has no
        prompt for).
        """
        form = self._form
        problem = self.problem
        if problem is not None:
            sorry = problem.message or f"Sorry, I didn't get {problem.heard}."
            return self.elicit(f"{sorry} {self.prompt(problem.slot)}", problem.slot)
        unconfirmed = self._frame.unconfirmed
        if unconfirmed is not None and not self.missing:
            model = self._frame.info.model
            model_slot = model.slot(unconfirmed) if model is not None else None
            words = (model_slot.confirmation_prompt if model_slot else None) or \
                f"{self.words(unconfirmed)}, is that right?"
            return self.confirm_slot(unconfirmed, words)
        slot = self.next_slot
        model = self._frame.info.model
        model_slot = model.slot(slot) if model is not None and slot else None
        can_delegate = slot is None or (model_slot is not None and model_slot.prompt)
        how = form.RESUME_WITH if self.resumed else form.ELICIT
        if slot is None or (how == 'delegate' and can_delegate):
            return self.delegate()
        return self.elicit(self.prompt(slot), slot)


