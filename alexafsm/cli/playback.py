"""``alexafsm playback``: replay recorded sessions and fail when the skill answers differently."""
from typing import Tuple

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.testing.playback import playback
from alexafsm.transcript import RecordingError

__all__ = ['command']


@click.command('playback')
@click.argument('skill')
@click.argument('recordings', nargs=-1, required=True, metavar='RECORDING...')
@click.option('--store', default='memory://', show_default=True, metavar='URL',
              help="Persistent attributes during the replay: a fresh memory per file by "
                   "default, so real users' data is neither read nor changed.")
@click.pass_context
def command(ctx: click.Context, skill: str, recordings: Tuple[str, ...], store: str) -> None:
    """Replay recorded turns against SKILL and compare the responses.

    Every turn of the RECORDING files is answered by a fresh policy. A recording holds one
    JSON line [request, response] per turn (alexafsm serve --record,
    Conversation(record_to=...), 0.1.11's record_filename). Exits 0 when every response
    matches, 1 with a diff of each turn that differs, 2 when a file cannot be read.
    """
    policy_cls = skill_policy(skill)
    try:
        report = playback(policy_cls, recordings, store=store)
    except (ValueError, TypeError) as error:  # a bad --store URL
        raise click.BadParameter(str(error), param_hint='--store') from None
    except RecordingError as error:
        raise click.BadParameter(str(error), param_hint='RECORDING') from None
    click.echo(report.report())
    ctx.exit(0 if report.passed else 1)
