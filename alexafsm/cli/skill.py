"""Find the Policy class a SKILL argument names; shared by every subcommand."""
import inspect
import os
import sys
from importlib import import_module
from typing import Type

import click

from alexafsm.policy import Policy


def load_policy(spec: str) -> Type[Policy]:
    """Resolve 'package.module:PolicyClass' or a module with exactly one Policy subclass.

    Errors become click usage errors (exit 2) that say what was found, so a typo in CI is
    diagnosed from the log alone.
    """
    module_name, _, attr = spec.partition(':')
    if '' not in sys.path and os.getcwd() not in sys.path:
        # a console script does not put the working directory on the path, but a skill
        # named on the command line usually lives there (as flask and gunicorn assume too)
        sys.path.insert(0, os.getcwd())
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise click.BadParameter(f"cannot import module '{module_name}': {error}",
                                 param_hint='SKILL') from error
    except Exception as error:  # the skill's own code failed to load, e.g. a TransitionError
        raise click.BadParameter(f"importing '{module_name}' failed: {type(error).__name__}: "
                                 f"{error}", param_hint='SKILL') from error
    if attr:
        policy = getattr(module, attr, None)
        if not (inspect.isclass(policy) and issubclass(policy, Policy)):
            raise click.BadParameter(f"'{attr}' in {module_name} is not a Policy subclass",
                                     param_hint='SKILL')
        if policy.states_cls is None:
            raise click.BadParameter(f"{module_name}:{attr} has no states_cls: set it to your "
                                     f"States subclass", param_hint='SKILL')
        return policy
    found = {obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Policy) and obj is not Policy
             and obj.states_cls is not None}
    if len(found) != 1:
        names = ', '.join(sorted(p.__name__ for p in found)) or 'none'
        raise click.BadParameter(
            f"module '{module_name}' must define exactly one Policy subclass with states_cls "
            f"(found: {names}); name one as '{module_name}:ClassName'", param_hint='SKILL')
    return found.pop()
