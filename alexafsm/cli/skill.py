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
from alexafsm.policy import Policy
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import load_model

__all__ = ['model_option', 'skill_model', 'skill_policy', 'store_option', 'serve_store',
           'DEV_STORE']

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
    """The --model option every subcommand that reads an interaction model takes, alike."""
    return click.option('--model', 'model_path', required=required, metavar='PATH',
                        help=f'Interaction model (JSON file or skill directory) {purpose}')


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


def skill_model(path: str) -> InteractionModel:
    """The model at ``path``, its errors as usage errors of --model (exit 2).

    A model that cannot be read stops the command before it runs, with the file and the fix.
    """
    try:
        return load_model(path)
    except ModelError as error:
        raise click.BadParameter(str(error), param_hint='--model') from None
