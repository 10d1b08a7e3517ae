"""The conversation console: talk to a skill in the browser and watch its machine move.

``alexafsm console SKILL`` serves it alone on a free port; ``alexafsm serve SKILL --dev`` mounts
it at ``/console`` beside the skill's endpoint (never without ``--dev``). The page is plain HTML,
CSS and JavaScript shipped in this package, so it needs no network and no build step; the JSON
API it uses (``/console/api/...``, see the README) can drive it from other tools too.

This layer sits above the tools, testing and hosting layers and below the CLI: only the CLI
imports it.
"""
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Optional
from typing import Type

from alexafsm.console.app import API_HEADER
from alexafsm.console.app import CONSOLE_PATH
from alexafsm.console.app import attach_console
from alexafsm.console.app import console_app
from alexafsm.console.app import console_blueprint
from alexafsm.console.session import ConsoleSession
from alexafsm.errors import ModelError
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['ConsoleSession', 'console_app', 'console_blueprint', 'attach_console', 'find_model',
           'CONSOLE_PATH', 'API_HEADER']

_MODEL_FOLDERS = ('model', 'models', 'speechAssets', 'skill-package')


def find_model(policy_cls: Type['Policy']) -> Optional[InteractionModel]:
    """The interaction model kept beside a skill's code, so ``serve --dev`` needs no --model.

    Looks in the ``model/``, ``models/``, ``speechAssets/`` and ``skill-package/`` folders
    beside the module defining the Policy, then in those of the folder above (a skill package
    whose policy sits one level down); None when none holds a model. The module's own folder is
    not searched: any JSON model lying there (a test fixture) may belong to another skill.
    """
    import sys
    module = sys.modules.get(policy_cls.__module__)
    source = getattr(module, '__file__', None)
    if not source:
        return None
    here = Path(source).resolve().parent
    for folder in (here, here.parent):
        for sub in _MODEL_FOLDERS:
            candidate = folder / sub
            if not candidate.is_dir():
                continue
            try:
                return load_model(candidate)
            except ModelError:
                continue
    return None
