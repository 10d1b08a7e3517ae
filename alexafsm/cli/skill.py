"""The Policy class a SKILL argument names, for every subcommand; a bad name is a usage error."""
from typing import Type

import click

from alexafsm.loader import PolicyLoadError, load_policy
from alexafsm.policy import Policy

__all__ = ['skill_policy']


def skill_policy(spec: str) -> Type[Policy]:
    """:func:`alexafsm.loader.load_policy`, with its errors as click usage errors (exit 2).

    The message says what was found, so a typo in CI is diagnosed from the log alone.
    """
    try:
        return load_policy(spec)
    except PolicyLoadError as error:
        raise click.BadParameter(str(error), param_hint='SKILL') from error
