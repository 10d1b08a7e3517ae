"""``alexafsm print``: the machine as 0.1.11's text (to commit and diff) or as JSON."""
import json

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.tools.describe import describe
from alexafsm.tools.describe import machine_text

__all__ = ['command']


@click.command('print')
@click.argument('skill')
@click.option('--format', 'fmt', type=click.Choice(['text', 'json']), default='text',
              show_default=True)
def command(skill: str, fmt: str) -> None:
    """Print SKILL's states and transitions."""
    policy_cls = skill_policy(skill)
    if fmt == 'json':
        click.echo(json.dumps(describe(policy_cls), indent=2))
    else:
        click.echo(machine_text(policy_cls), nl=False)
