"""Dialogs: digressions that return, forms on Alexa's dialog directives, resume across sessions.

A transition with ``'push': True`` suspends the state it leaves on a small stack and enters
its ``dest`` (a digression: help, "what toppings do you have"); ``'dest': RESUME`` goes back to
the most recently suspended state (else to ``'otherwise'``), whose responder sees
``self.dialog.resumed``; ``'clear': True`` forgets the stack. A ``Form`` fills the slots of one
intent through ``Dialog.Delegate``, ``ElicitSlot`` and ``ConfirmIntent``, validating every
value on every turn; it is a ``Dialog`` mounted under a name, and its states are dotted
(``order.asking``). ``States.RESUME_ACROSS_SESSIONS = Resume(ttl=...)`` keeps an unfinished
form for the user's next launch. The States class attributes ``MAX_STACK`` (3),
``NEVER_SUSPENDED`` (('initial',)) and ``RENAMED`` ({}) tune the stack.

A skill that uses none of this compiles to 0.1.11's machine and sends the same bytes. How it
compiles, and what tools can read of it: ``alexafsm.dialogs.compiled``.
"""
from alexafsm.dialogs._declare import RESUME
from alexafsm.dialogs._declare import Dialog
from alexafsm.dialogs._declare import Form
from alexafsm.dialogs._declare import Resume
from alexafsm.dialogs._declare import Slot
from alexafsm.errors import Invalid

__all__ = ['RESUME', 'Form', 'Slot', 'Invalid', 'Resume', 'Dialog']
