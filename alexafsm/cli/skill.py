"""What the subcommands' SKILL argument and --model option name; a bad name is a usage error."""
import os
import re
from typing import Any
from typing import Callable
from typing import Optional
from typing import Tuple
from typing import Type

import click

from alexafsm.loader import PolicyLoadError
from alexafsm.loader import load_policy
from alexafsm.loader import skill_model_path
from alexafsm.policy import Policy
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import load_model

__all__ = ['model_option', 'serve_store', 'skill_model', 'skill_model_option', 'skill_policy',
           'store_option', 'DEV_STORE']

#: Where the dev tools keep persistent attributes unless --store names a place: a fresh memory,
#: so trying a skill never reads or changes what real users left behind.
DEV_STORE = 'memory://'


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


def store_option(what: str) -> Callable[[Any], Any]:
    """The --store option of the dev tools (chat, stories, fuzz, playback), alike: a fresh
    memory unless a URL is given, so no tool answers the apology for want of a store."""
    return click.option('--store', default=DEV_STORE, show_default=True, metavar='URL',
                        help=f"Persistent attributes {what}: memory://, sqlite:///PATH or "
                             f"redis://HOST:PORT/DB.")


def serve_store(policy_cls: Type[Policy], skill: str,
                store: Optional[str]) -> Tuple[Optional[str], str]:
    """The store ``alexafsm serve`` uses, and the line that names it at start-up.

    --store wins; else the skill's own (``Policy.extensions``) when it declares one; else an
    embedded SQLite file in the user's cache folder, one per skill, so users' memory outlives
    a restart without a service to run, and no skill answers the apology for want of a store.
    """
    if store:
        return store, f"Persistent attributes in {store}"
    own = getattr(policy_cls.extensions, 'store', None) if policy_cls.extensions else None
    if own is not None:
        where = getattr(own, 'description', None) or type(own).__name__
        return None, f"Persistent attributes in the skill's own store: {where} (--store URL " \
                     f"to use another)"
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    folder = os.path.join(cache, 'alexafsm', 'serve')
    os.makedirs(folder, exist_ok=True)
    name = re.sub(r'[^A-Za-z0-9_.-]+', '_', skill).strip('_') or 'skill'
    url = f"sqlite:///{os.path.join(folder, name + '.sqlite3')}"
    return url, f"Persistent attributes in {url} (the default embedded SQLite file; --store " \
                f"URL to use another)"
