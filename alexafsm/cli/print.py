"""``alexafsm print``: the machine as text (to commit and diff), 0.1.11's exact text, or JSON."""
import json

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.tools.describe import describe
from alexafsm.tools.describe import machine_listing
from alexafsm.tools.describe import machine_text

__all__ = ['command']


@click.command('print')
@click.argument('skill')
@click.option('--format', 'fmt', type=click.Choice(['text', '0.1.11', 'json']), default='text',
              show_default=True,
              help="text: every candidate with its conditions, unless, before and after; "
                   "0.1.11: 0.1.11's print_machine text exactly (unless shown as conditions); "
                   "json: the whole description.")
def command(skill: str, fmt: str) -> None:
    """Print SKILL's states and transitions, each trigger's candidates in the order tried."""
    policy_cls = skill_policy(skill)
    if fmt == 'json':
        click.echo(json.dumps(describe(policy_cls), indent=2))
    else:
        text = machine_text if fmt == '0.1.11' else machine_listing
        click.echo(text(policy_cls), nl=False)
