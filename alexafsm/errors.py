"""Every exception alexafsm raises on purpose, in one tree, grouped by whose mistake it reports.

``except AlexafsmError`` catches them all; a group (``SkillDefinitionError``, ``UsageError``,
...) catches one kind of mistake. Each class also keeps the builtin it was before the tree
existed (``ModelError`` is still a ``ValueError``, ``CallbackError`` an ``AttributeError``,
``NotHandled`` a ``transitions.MachineError`` as in 0.1.11), so no existing ``except`` clause
changes meaning; the groups add no builtin of their own, so none catches more than before.
Each class is also importable from the module that raises it (``alexafsm.machine.NotHandled``)::

    AlexafsmError
    ├── SkillDefinitionError            the skill as written cannot work: fix the skill's code
    │   ├── TransitionError             ValueError      a with_transitions dict, or its dest
    │   ├── CallbackError               AttributeError  a callback the Policy does not define
    │   ├── MissingStateError           AttributeError  a state its States class has no method for
    │   ├── SkillClassError             TypeError       states_cls unset, slots_cls no namedtuple
    │   ├── ResponseError               ValueError      a response Alexa would reject
    │   ├── NotSerializableError        TypeError       a value with no JSON form
    │   ├── HookResultError             TypeError       an interceptor or handler's odd answer
    │   ├── PersistenceError            RuntimeError    persistent attributes used wrongly
    │   └── DialogError                 ValueError      a Dialog, Form or mount as declared
    ├── UsageError                      a call into alexafsm cannot work: fix the call
    │   ├── ArgumentValueError          ValueError      an argument's value (a path, a timeout)
    │   ├── ArgumentTypeError           TypeError       an argument of the wrong kind
    │   ├── PolicyLoadError             ValueError      'module:Class' names no usable Policy
    │   └── LateRegistrationError       RuntimeError    a hook registered after turns ran
    ├── InputFileError                  ValueError      a file a tool reads: fix the file
    │   ├── ModelError                                  the interaction model
    │   ├── StoryError                                  a story file
    │   └── RecordingError                              a recording of turns
    ├── RequestError                    what arrived is refused: nobody's code is at fault
    │   └── VerificationError                           not provably Alexa's, or not this skill's
    │       ├── MalformedRequestError                   the body is not a JSON object
    │       └── RejectedRequest                         refused by a host, with an HTTP status
    ├── TurnError                       a turn left its path; the policy answers the user
    │   ├── NotHandled                  MachineError    no transition for the intent in the state
    │   ├── TurnFailed                  RuntimeError    an apology no exception caused
    │   └── Invalid                     ValueError      a slot value a form's validator refused
    ├── UnavailableError                something outside alexafsm is down or not installed
    │   ├── StoreUnavailable                            the attributes store did not answer
    │   └── MissingPackageError         ImportError     an optional package is not installed
    ├── CheckFailed                     AssertionError  a check of the skill found it wrong
    │   ├── StoryFailed                                 a story's expectation was missed
    │   └── ValidationError                             machine and model disagree (0.1.11)
    └── ToolError                       a tool cannot do what was asked: fix the request to it
        ├── ConversationError                           a turn no device could send
        ├── ConsoleError                ValueError      a console action that cannot be done
        ├── FuzzError                   ValueError      fuzzer settings that cannot work
        ├── GraphError                  RuntimeError    a drawing that cannot be made
        ├── MissingRecording            FileNotFoundError  playback of an unrecorded call
        └── Exhausted                                   reduction's signal: no replays left

This module imports nothing of the package (``transitions`` only), so every layer may use it.
"""
from typing import Any
from typing import List

from transitions import MachineError

__all__ = [
    'AlexafsmError',
    'SkillDefinitionError', 'TransitionError', 'CallbackError', 'MissingStateError',
    'SkillClassError', 'ResponseError', 'NotSerializableError', 'HookResultError',
    'PersistenceError', 'DialogError',
    'UsageError', 'ArgumentValueError', 'ArgumentTypeError', 'PolicyLoadError',
    'LateRegistrationError',
    'InputFileError', 'ModelError', 'StoryError', 'RecordingError',
    'RequestError', 'VerificationError', 'MalformedRequestError', 'RejectedRequest',
    'TurnError', 'NotHandled', 'TurnFailed', 'Invalid',
    'UnavailableError', 'StoreUnavailable', 'MissingPackageError',
    'CheckFailed', 'StoryFailed', 'ValidationError',
    'ToolError', 'ConversationError', 'ConsoleError', 'FuzzError', 'GraphError',
    'MissingRecording', 'Exhausted',
]


class AlexafsmError(Exception):
    """The root of every exception alexafsm raises on purpose; the message names the fix."""


# -- the skill's code ----------------------------------------------------------------------------

class SkillDefinitionError(AlexafsmError):
    """The skill as written cannot work: its States, transitions, Policy or responses."""


class TransitionError(SkillDefinitionError, ValueError):
    """A transition declared on a state cannot be understood; the message says which and why."""


class CallbackError(SkillDefinitionError, AttributeError):
    """A transition names a callback the Policy does not have; the message says where."""


class MissingStateError(SkillDefinitionError, AttributeError):
    """The machine is in a state its States class has no method for, so nothing can answer."""


class SkillClassError(SkillDefinitionError, TypeError):
    """A class of the skill lacks an attribute alexafsm reads, or has one of the wrong kind."""


class ResponseError(SkillDefinitionError, ValueError):
    """A response Alexa would reject; the message says what to change in the skill."""


class NotSerializableError(SkillDefinitionError, TypeError):
    """A value the skill hands over (attributes, response, recorded result) has no JSON form."""


class HookResultError(SkillDefinitionError, TypeError):
    """A response interceptor or error handler returned neither a Response nor None."""


class PersistenceError(SkillDefinitionError, RuntimeError):
    """Skill code used persistent attributes in a way that cannot work; the message says why."""


class DialogError(SkillDefinitionError, ValueError):
    """A Dialog, Form, mount or dialog transition key as declared cannot work (alexafsm.dialogs).
    """


# -- a call into alexafsm ------------------------------------------------------------------------

class UsageError(AlexafsmError):
    """A call into alexafsm cannot work as made: an argument, or the moment of the call."""


class ArgumentValueError(UsageError, ValueError):
    """An argument has a value that cannot work; the message names it and what to pass."""


class ArgumentTypeError(UsageError, TypeError):
    """An argument is of the wrong kind; the message names it and what to pass."""


class PolicyLoadError(UsageError, ValueError):
    """A skill spec that names no usable Policy; the message says what was found and the fix."""


class LateRegistrationError(UsageError, RuntimeError):
    """A hook was registered after turns already ran, which would not see it."""


# -- a file a tool reads -------------------------------------------------------------------------

class InputFileError(AlexafsmError, ValueError):
    """A file given to alexafsm cannot be read or understood; the message names file and place."""


class ModelError(InputFileError):
    """A broken interaction model: the message names the file, the place in it and the fix."""


class StoryError(InputFileError):
    """A story file that cannot be run; the message names the file, story, turn and fix."""


class RecordingError(InputFileError):
    """A recording that cannot be read; the message names the file and line."""


# -- what arrived over the wire ------------------------------------------------------------------

class RequestError(AlexafsmError):
    """A request that is refused before the skill sees it; the skill's code is not at fault."""


class VerificationError(RequestError):
    """The request must be rejected; the message names the check that failed."""


class MalformedRequestError(VerificationError):
    """The signed body is not a JSON object, so the web layer can answer 400 'malformed JSON'."""


class RejectedRequest(VerificationError):
    """A request refused before the skill saw it; ``status`` is the HTTP status it maps to.

    A VerificationError, so hosts without status codes (AWS Lambda) raise it and callers that
    already catch verification failures need nothing new.
    """

    def __init__(self, message: str, status: int = 400, kind: str = 'verification_failed'):
        super().__init__(message)
        self.status = status
        self.kind = kind


# -- a turn --------------------------------------------------------------------------------------

class TurnError(AlexafsmError):
    """A turn that left its path; the policy turns it into an answer the user hears."""


class NotHandled(TurnError, MachineError):
    """The current state has no transition for the trigger (0.1.11 answered NOT_UNDERSTOOD)."""

    def __init__(self, trigger: str, state: str) -> None:
        super().__init__(f"Can't trigger event {trigger} from state {state}!")
        self.trigger = trigger
        self.state = state


class TurnFailed(TurnError, RuntimeError):
    """A turn ended in the apology for a reason that raised no exception of its own.

    A response Alexa would reject, or a save that another turn of the user beat on every try:
    the failure observers get this, with a message saying which, so they need no logger.
    """


class Invalid(TurnError, ValueError):
    """Raised by a form's slot validator: the value is refused, and the message is spoken.

    ``raise Invalid("Sorry, we make between one and ten pizzas.")``; the form removes the value
    and asks for the slot again with these words (``alexafsm.dialogs``).
    """


# -- outside alexafsm ----------------------------------------------------------------------------

class UnavailableError(AlexafsmError):
    """Something outside alexafsm is down or not installed; the message says what."""


class StoreUnavailable(UnavailableError):
    """The store did not answer in time or failed; the turn goes on without persistence.

    ``outcome_unknown`` is True for a write that got no answer but may still be applied (Redis
    paused, then resumed): the log must not claim that nothing was saved.
    """

    outcome_unknown = False


class MissingPackageError(UnavailableError, ImportError):
    """An optional package a feature needs is not installed; the message gives the pip command."""


# -- checks of the skill -------------------------------------------------------------------------

class CheckFailed(AlexafsmError, AssertionError):
    """A check of the skill found it wrong, so a test fails with the check's report."""


class StoryFailed(CheckFailed):
    """A story missed an expectation; carries the result so the report can explain it."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.report())
        self.result = result


class ValidationError(CheckFailed):
    """0.1.11 tests expect an AssertionError; this one carries every problem, not the first."""

    def __init__(self, policy_name: str, findings: List[Any]) -> None:
        lines = '\n'.join(f"  - {finding}" for finding in findings)
        super().__init__(f"{policy_name} has {len(findings)} problem(s):\n{lines}")
        self.findings = findings


# -- the tools -----------------------------------------------------------------------------------

class ToolError(AlexafsmError):
    """A development tool cannot do what was asked; the message says what to change."""


class ConversationError(ToolError):
    """A turn a real device could not send; the message says what to change in the test."""


class ConsoleError(ToolError, ValueError):
    """The conversation console was asked for what it cannot do (end no session, save an empty
    story, replay past a recording's end): the page shows the message, which says what to do."""


class FuzzError(ToolError, ValueError):
    """The fuzzer cannot do what was asked; the message says what to change."""


class GraphError(ToolError, RuntimeError):
    """The drawing cannot be made as asked; the message says what to install or change."""


class MissingRecording(ToolError, FileNotFoundError):
    """Playback needs a result that was never recorded for these arguments."""


class Exhausted(ToolError):
    """Raised by a reduction ``test`` that may replay no more: ``shrink`` keeps the best so far.

    A signal of ``alexafsm.testing.reduction``'s protocol, not a failure: ``shrink`` catches it.
    """
