"""The conversation console: talk to a skill in the browser and watch its machine move.

``alexafsm console SKILL`` serves it alone on a free port; ``alexafsm serve SKILL --dev`` mounts
it at ``/console`` beside the skill's endpoint (never without ``--dev``). The page is plain HTML,
CSS and JavaScript shipped in this package, so it needs no network and no build step; the JSON
API it uses (``/console/api/...``, see the README) can drive it from other tools too.

This layer sits above the tools, testing and hosting layers and below the CLI: only the CLI
imports it.
"""
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
from alexafsm.loader import skill_model_path
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['ConsoleSession', 'console_app', 'console_blueprint', 'attach_console', 'find_model',
           'CONSOLE_PATH', 'API_HEADER']

def find_model(policy_cls: Type['Policy']) -> Optional[InteractionModel]:
    """The skill's own interaction model, so ``serve --dev`` needs no --model: found where every
    tool finds it (:func:`alexafsm.loader.skill_model_path`); None when there is none or it
    cannot be read (the console then says so and the endpoint still serves).
    """
    path = skill_model_path(policy_cls)
    if path is None:
        return None
    try:
        return load_model(path)
    except ModelError:
        return None
