"""``alexafsm graph``: draw the machine, optionally greying what recordings never used."""
from typing import TYPE_CHECKING
from typing import Dict
from typing import Tuple
from typing import Type

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.tools.graph import GraphError
from alexafsm.tools.graph import output_format
from alexafsm.tools.graph import render

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['command']


@click.command('graph')
@click.argument('skill')
@click.option('--output', '-o', required=True, metavar='PATH',
              help='File to write; its suffix picks the format: .dot .gv .svg .png .pdf')
@click.option('--coverage', 'recordings', multiple=True, metavar='RECORDING',
              type=click.Path(exists=True, dir_okay=False),
              help='A recording of turns (JSON lines); edges show how often they were used '
                   '(repeatable).')
@click.option('--ending-state', 'ending', multiple=True, metavar='STATE',
              help="A state whose response ends the session (repeatable; default 'exiting', "
                   "plus the States class's ENDING_STATES).")
def command(skill: str, output: str, recordings: Tuple[str, ...],
            ending: Tuple[str, ...]) -> None:
    """Draw SKILL's machine to a file."""
    try:
        output_format(output)
    except GraphError as error:
        raise click.BadParameter(str(error), param_hint='--output') from None
    policy_cls = skill_policy(skill)
    usage = _usage(policy_cls, recordings) if recordings else None
    try:
        path = render(policy_cls, output, usage, ending_states=ending or None)
    except GraphError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.BadParameter(f"cannot write '{output}': {error.strerror or error}",
                                 param_hint='--output') from None
    click.echo(f"wrote {path}")


def _usage(policy_cls: Type['Policy'],
           recordings: Tuple[str, ...]) -> Dict[Tuple[str, str, str], int]:
    try:
        from alexafsm.tools.coverage import usage_counts
    except ImportError:
        raise click.ClickException('--coverage needs alexafsm.tools.coverage, which this '
                                   'installation does not have') from None
    try:
        return usage_counts(policy_cls, list(recordings))
    except (OSError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint='--coverage') from None
