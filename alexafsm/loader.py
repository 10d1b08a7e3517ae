"""Find the Policy class a skill spec names: 'package.module:PolicyClass', or a module with one.

The ``alexafsm`` command, the gunicorn factory (``alexafsm.hosting.wsgi``), the pytest plugin
for story files and scripts all name skills this way, so they share this one resolver. It uses
nothing but the core and raises :class:`PolicyLoadError`; each caller turns that into its own
kind of error (a click usage error, a collection error, a start-up failure).
"""
import inspect
import os
import sys
from importlib import import_module
from typing import Type

from alexafsm.errors import PolicyLoadError
from alexafsm.policy import Policy

__all__ = ['PolicyLoadError', 'load_policy']


def load_policy(spec: str) -> Type[Policy]:
    """Resolve 'package.module:PolicyClass' or a module with exactly one Policy subclass.

    Errors say what was found, so a typo in a CI log or a gunicorn command line is diagnosed
    from the message alone. The working directory is put on ``sys.path`` when it is not there:
    a console script does not put it there, but a skill named on a command line usually lives
    there (as flask and gunicorn assume too).
    """
    module_name, _, attr = spec.partition(':')
    if '' not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise PolicyLoadError(f"cannot import module '{module_name}': {error}") from error
    except Exception as error:  # the skill's own code failed to load, e.g. a TransitionError
        raise PolicyLoadError(f"importing '{module_name}' failed: {type(error).__name__}: "
                              f"{error}") from error
    if attr:
        policy = getattr(module, attr, None)
        if not (inspect.isclass(policy) and issubclass(policy, Policy)):
            raise PolicyLoadError(f"'{attr}' in {module_name} is not a Policy subclass")
        if policy.states_cls is None:
            raise PolicyLoadError(f"{module_name}:{attr} has no states_cls: set it to your "
                                  f"States subclass")
        return policy
    found = {obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Policy) and obj is not Policy
             and obj.states_cls is not None}
    if len(found) != 1:
        names = ', '.join(sorted(p.__name__ for p in found)) or 'none'
        raise PolicyLoadError(
            f"module '{module_name}' must define exactly one Policy subclass with states_cls "
            f"(found: {names}); name one as '{module_name}:ClassName'")
    return found.pop()
