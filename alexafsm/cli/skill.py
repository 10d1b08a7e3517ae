"""What the subcommands' SKILL argument and --model option name; a bad name is a usage error."""
from typing import Any
from typing import Callable
from typing import Optional
from typing import Type

import click

from alexafsm.loader import PolicyLoadError
from alexafsm.loader import load_policy
from alexafsm.loader import skill_model_path
from alexafsm.policy import Policy
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import load_model

__all__ = ['model_option', 'skill_model', 'skill_model_option', 'skill_policy']


def skill_policy(spec: str) -> Type[Policy]:
    """:func:`alexafsm.loader.load_policy`, with its errors as click usage errors (exit 2).

    The message says what was found, so a typo in CI is diagnosed from the log alone.
    """
    try:
        return load_policy(spec)
    except PolicyLoadError as error:
        raise click.BadParameter(str(error), param_hint='SKILL') from error


def model_option(purpose: str, *, required: bool = True) -> Callable[[Any], Any]:
    """The --model option every subcommand that reads an interaction model takes, alike.

    It is never required on the command line: without it the skill's own model is used (see
    :func:`skill_model_option`); ``required`` says whether the command fails without any.
    """
    found = ('; default: the MODEL the Policy declares, or a model/ folder in or beside the '
             'skill\'s package')
    return click.option('--model', 'model_path', required=False, metavar='PATH',
                        help=f'Interaction model (JSON file or skill directory) {purpose}'
                             f'{found if required else ""}')


def skill_model_option(path: Optional[str], policy_cls: Type[Policy]) -> Optional[str]:
    """--model as given, else the model the skill declares or keeps beside it, else None."""
    return path if path else skill_model_path(policy_cls)


def skill_model(path: Optional[str], policy_cls: Optional[Type[Policy]] = None
                ) -> InteractionModel:
    """The model at ``path`` (or the skill's own), its errors as usage errors of --model (exit 2).

    A model that cannot be read stops the command before it runs, with the file and the fix;
    so does a skill without one when no --model was given.
    """
    if not path and policy_cls is not None:
        path = skill_model_path(policy_cls)
    if not path:
        owner = policy_cls.__name__ if policy_cls is not None else 'the Policy'
        raise click.BadParameter(
            f"no interaction model: give --model PATH, set MODEL = 'path/to/model.json' on "
            f"{owner} (relative to its module's folder), or keep the model in a model/ folder "
            f"in or beside the skill's package", param_hint='--model')
    try:
        return load_model(path)
    except ModelError as error:
        raise click.BadParameter(str(error), param_hint='--model') from None
