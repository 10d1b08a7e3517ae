"""What the subcommands' SKILL argument and --model option name; a bad name is a usage error."""
from typing import Any
from typing import Callable
from typing import Type

import click

from alexafsm.loader import PolicyLoadError
from alexafsm.loader import load_policy
from alexafsm.policy import Policy
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import load_model

__all__ = ['model_option', 'skill_model', 'skill_policy']


def skill_policy(spec: str) -> Type[Policy]:
    """:func:`alexafsm.loader.load_policy`, with its errors as click usage errors (exit 2).

    The message says what was found, so a typo in CI is diagnosed from the log alone.
    """
    try:
        return load_policy(spec)
    except PolicyLoadError as error:
        raise click.BadParameter(str(error), param_hint='SKILL') from error


def model_option(purpose: str, *, required: bool = True) -> Callable[[Any], Any]:
    """The --model option every subcommand that reads an interaction model takes, alike."""
    return click.option('--model', 'model_path', required=required, metavar='PATH',
                        help=f'Interaction model (JSON file or skill directory) {purpose}')


def skill_model(path: str) -> InteractionModel:
    """The model at ``path``, its errors as usage errors of --model (exit 2).

    A model that cannot be read stops the command before it runs, with the file and the fix.
    """
    try:
        return load_model(path)
    except ModelError as error:
        raise click.BadParameter(str(error), param_hint='--model') from None
