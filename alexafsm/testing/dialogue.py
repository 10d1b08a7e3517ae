"""What a skill's answer leaves open for the next turn: the dialog Alexa would carry on.

The chat console and the fuzzer both build the next request from the dialog directive of the
last answer (``Dialog.ElicitSlot``, ``Dialog.ConfirmSlot``, ``Dialog.ConfirmIntent``,
``Dialog.Delegate``), and both send dialog state and confirmations only for intents the model
gives a dialog. They read both here, so a console session and a fuzzed one continue a dialog
the same way, and neither tool depends on the other.
"""
from typing import Dict
from typing import NamedTuple
from typing import Optional

from alexafsm.response import DIALOG_DIRECTIVES
from alexafsm.testing.conversation import Turn
from alexafsm.tools.interaction_model import Intent

__all__ = ['Dialog', 'dialog_of', 'has_dialog_model']


class Dialog(NamedTuple):
    """A dialog a response keeps open: the directive, the intent with its slots so far, and
    the slot the directive asks about (None for Dialog.Delegate and Dialog.ConfirmIntent)."""

    directive: str
    intent: str
    slots: Dict[str, Optional[str]]
    slot: Optional[str]


def dialog_of(turn: Turn) -> Optional[Dialog]:
    """The dialog the skill's answer keeps open, as Alexa reads it to build the next request.

    The slots are those of the directive's ``updatedIntent``, else of the request, since
    Alexa carries them into the next turn of the dialog.
    """
    body = turn.response.get('response') or {}
    directive = next((d for d in body.get('directives') or []
                      if isinstance(d, dict) and d.get('type') in DIALOG_DIRECTIVES), None)
    if directive is None or turn.should_end:
        return None
    asked = ((turn.request.get('request') or {}).get('intent') or {})
    updated = directive.get('updatedIntent')
    source = updated if isinstance(updated, dict) and updated.get('name') else asked
    name = source.get('name') or asked.get('name')
    if not isinstance(name, str):
        return None
    slots = {str(slot): (value or {}).get('value') if isinstance(value, dict) else None
             for slot, value in (source.get('slots') or {}).items()}
    slot = directive.get('slotToElicit') or directive.get('slotToConfirm')
    return Dialog(directive['type'], name, slots, slot if isinstance(slot, str) else None)


def has_dialog_model(intent: Optional[Intent]) -> bool:
    """Whether Alexa runs a dialog for ``intent``, and so sends dialogState and confirmations.

    Requests for other intents never carry them, so tools that build requests must not either.
    """
    return intent is not None and bool(
        intent.delegation_strategy or intent.confirmation_required
        or any(s.elicitation_required or s.confirmation_required or s.validations
               for s in intent.slots))
