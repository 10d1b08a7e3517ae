"""Find the Policy class a skill spec names: 'package.module:PolicyClass', or a module with one,
and the files that come with a skill: its interaction model, stories and recordings.

The ``alexafsm`` command, the gunicorn factory (``alexafsm.hosting.wsgi``), the pytest plugin
for story files and scripts all name skills this way, so they share this one resolver. It uses
nothing but the core and raises :class:`PolicyLoadError`; each caller turns that into its own
kind of error (a click usage error, a collection error, a start-up failure).

A skill declares its interaction model with a ``MODEL`` class attribute on its Policy (a path
relative to the folder of the Policy's module, or absolute), or keeps it in a ``model/``
folder in its package or beside the package; :func:`skill_model_path` finds it, so no command
needs ``--model`` spelt out. Story files (``stories/*.story.yaml``) and recordings
(``recordings/*.jsonl``) are found in the same two places.
"""
import inspect
import os
import sys
from importlib import import_module
from pathlib import Path
from typing import List
from typing import Optional
from typing import Type

from alexafsm.errors import PolicyLoadError
from alexafsm.policy import Policy

__all__ = ['PolicyLoadError', 'load_policy', 'skill_folders', 'skill_model_path', 'skill_files']


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


def skill_folders(policy_cls: Type[Policy]) -> List[Path]:
    """Where a skill keeps its files: the folder of the Policy's module, then the folder
    beside its top-level package (a project's root, as ``alexafsm new`` lays it out).

    Empty when the Policy was not loaded from a file (defined in a test or a notebook).
    """
    module = sys.modules.get(policy_cls.__module__)
    filename = getattr(module, '__file__', None)
    if not filename:
        return []
    own = Path(filename).resolve().parent
    top = own
    for _ in range(policy_cls.__module__.count('.') - (0 if filename.endswith('__init__.py')
                                                         else 1)):
        top = top.parent
    return [own] if top.parent == own else [own, top.parent]


def skill_model_path(policy_cls: Type[Policy]) -> Optional[str]:
    """The interaction model a skill declares or keeps beside it, or None when it has none.

    ``MODEL`` on the Policy wins (relative to the folder of the Policy's module), so a skill
    with several models names the one its tools use; then a ``model/`` folder (or
    ``model.json``, or the ``models/``, ``speechAssets/`` and ``skill-package/`` folders of older
    tools) in the package, then beside the package. A declared path that does not
    exist is returned as it is, for the loader of the model to report.
    """
    folders = skill_folders(policy_cls)
    declared = getattr(policy_cls, 'MODEL', None)
    if declared:
        path = Path(os.fspath(declared))
        if not path.is_absolute() and folders:
            path = folders[0] / path
        return str(path)
    for folder in folders:
        for name in _MODEL_PLACES:
            if (folder / name).exists():
                return str(folder / name)
    return None


# where skills keep their model: ours and ``alexafsm new``'s first, then older tools' folders
_MODEL_PLACES = ('model', 'model.json', 'models', 'speechAssets', 'skill-package')


def skill_files(policy_cls: Type[Policy], folder: str, pattern: str) -> List[str]:
    """The skill's own files matching ``pattern`` in ``folder`` (e.g. ``'stories'``,
    ``'*.story.yaml'``), from the first of :func:`skill_folders` that has any, sorted."""
    for root in skill_folders(policy_cls):
        found = sorted(str(p) for p in (root / folder).glob(pattern) if p.is_file())
        if found:
            return found
    return []
