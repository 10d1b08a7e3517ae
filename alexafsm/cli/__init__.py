"""The ``alexafsm`` command: one click group, one module per subcommand, loaded on first use.

Subcommands live in ``alexafsm/cli/<name>.py`` as a click command named ``command``, so that
``alexafsm --help`` stays fast and a command's dependencies (Flask, graphviz) load only when used.
"""
from importlib import import_module
from typing import List
from typing import Optional

import click

__all__ = ['COMMANDS', 'main']

COMMANDS = {
    'serve': 'Serve a skill over HTTP.',
    'validate': 'Check a skill\'s machine against its interaction model.',
    'print': 'Print a skill\'s machine as text or JSON.',
    'graph': 'Draw a skill\'s machine with graphviz.',
    'playback': 'Replay recorded turns and compare the responses.',
    'coverage': 'List used and unused states, events and transitions of recordings.',
    'stories': 'Run conversation stories (YAML).',
    'fuzz': 'Walk random sessions looking for crashes and invalid responses.',
    'chat': 'Talk to a skill by typing what a user would say.',
    'console': 'Talk to a skill in the browser and watch its machine move.',
    'new': 'Create a new skill project that validates, tests and serves as it is.',
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(name for name in COMMANDS if _module_exists(name))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS or not _module_exists(name):
            return None
        return import_module(f'alexafsm.cli.{name}').command


def _module_exists(name: str) -> bool:
    from importlib.util import find_spec
    return find_spec(f'alexafsm.cli.{name}') is not None


@click.group(cls=_LazyGroup)
@click.version_option(package_name='alexafsm')
def main() -> None:
    """alexafsm: build, host and test Alexa skills as finite-state machines.

    SKILL arguments name a Policy: 'package.module:PolicyClass', or a module that defines
    exactly one Policy subclass.
    """
