"""alexafsm 0.1.11's tool functions, kept so that existing skills' tests and scripts still run.

New code should use :func:`alexafsm.tools.validation.validate_policy` (findings instead of an
exception), :func:`alexafsm.tools.describe.describe` and :mod:`alexafsm.tools.graph` directly.
"""
from importlib import import_module
from os import PathLike
from typing import Any
from typing import Iterable
from typing import Union

from alexafsm.errors import ValidationError
from alexafsm.tools.describe import PolicyLike
from alexafsm.tools.describe import machine_text
from alexafsm.tools.describe import policy_class
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import validate_policy

__all__ = ['validate', 'print_machine', 'graph', 'ValidationError', 'COMPAT_CHECKS']

# The problems 0.1.11's validate asserted against; newer checks are validate_policy's alone,
# so that a skill whose tests passed on 0.1.11 still passes them.
COMPAT_CHECKS = frozenset({'unhandled-intent', 'unknown-trigger', 'unknown-source',
                           'unknown-dest', 'missing-callback', 'callback-on-states', 'ambiguous',
                           'no-inbound', 'dead-end'})

# 0.1.11 recording helpers, which belong with the coverage tool now.
_FROM_COVERAGE = ('get_dialogs', 'events_states_transitions', 'used_events_states_transitions',
                  'unused_events_states_transitions')


def validate(policy: PolicyLike, schema_file: Union[str, 'PathLike[str]'],
             ignore_intents: Iterable[str] = ()) -> None:
    """Fail a skill's test when its machine and its interaction model disagree (0.1.11's API).

    Runs 0.1.11's checks and raises :class:`ValidationError` listing all that fail.
    ``schema_file`` may be any format ``load_model`` reads, 0.1.11's alexa-schema.json included.
    """
    findings = [f for f in validate_policy(policy, schema_file, ignore_intents=ignore_intents)
                if f.code in COMPAT_CHECKS and f.severity == ERROR]
    if findings:
        raise ValidationError(policy_class(policy).__name__, findings)


def print_machine(policy: PolicyLike) -> None:
    """Print the machine in 0.1.11's text format, which skills commit as machine.txt to diff."""
    print(machine_text(policy), end='')


def graph(policy_cls: PolicyLike, png_file: Union[str, 'PathLike[str]']) -> None:
    """Draw the machine (0.1.11's API); the file's suffix picks the format, .png as before."""
    from alexafsm.tools.graph import render
    render(policy_cls, png_file)


def __getattr__(name: str) -> Any:
    if name in _FROM_COVERAGE:
        try:
            return getattr(import_module('alexafsm.tools.coverage'), name)
        except (ImportError, AttributeError):
            raise AttributeError(f"alexafsm.utils.{name} (0.1.11) is provided by "
                                 f"alexafsm.tools.coverage, which does not define it") from None
    raise AttributeError(f"module 'alexafsm.utils' has no attribute {name!r}")
