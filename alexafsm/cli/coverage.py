"""``alexafsm coverage``: which states, events and transitions recorded sessions went through."""
import json
from typing import Tuple

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.loader import skill_files
from alexafsm.tools.coverage import coverage
from alexafsm.transcript import RecordingError

__all__ = ['command']


@click.command('coverage')
@click.argument('skill')
@click.argument('recordings', nargs=-1, metavar='[RECORDING]...')
@click.option('--format', 'fmt', type=click.Choice(['text', 'json']), default='text',
              show_default=True)
def command(skill: str, recordings: Tuple[str, ...], fmt: str) -> None:
    """List the states, events and transitions recordings used.

    Counts SKILL's states, events and declared transitions in the RECORDING files, and lists
    the intents that fired no transition in the state they were said in, the usual gaps in a
    dialog. Without RECORDING, the skill's own recordings/*.jsonl (in or beside its package)
    are read. Exits 2 when a file cannot be read or there is none.
    """
    policy_cls = skill_policy(skill)
    if not recordings:
        recordings = tuple(skill_files(policy_cls, 'recordings', '*.jsonl'))
        if not recordings:
            raise click.BadParameter(f"name recordings: {skill} has no recordings/*.jsonl in "
                                     f"or beside its package", param_hint='RECORDING')
    try:
        report = coverage(policy_cls, recordings)
    except RecordingError as error:
        raise click.BadParameter(str(error), param_hint='RECORDING') from None
    click.echo(json.dumps(report.to_json(), indent=2) if fmt == 'json' else report.to_text())
