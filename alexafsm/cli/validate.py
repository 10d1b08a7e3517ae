"""``alexafsm validate``: the CI gate that fails a build when the dialog has bugs."""
import json
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_policy
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import counts
from alexafsm.tools.validation import report_text
from alexafsm.tools.validation import summary_json
from alexafsm.tools.validation import validate_policy

__all__ = ['command']


@click.command('validate')
@click.argument('skill')
@model_option('; without it only the machine is checked.', required=False)
@click.option('--ignore-intent', 'ignore_intents', multiple=True, metavar='NAME',
              help='A model intent the skill leaves unhandled on purpose (repeatable).')
@click.option('--ending-state', 'ending', multiple=True, metavar='STATE',
              help="A state whose response ends the session (repeatable; default 'exiting', "
                   "plus the States class's ENDING_STATES).")
@click.option('--format', 'fmt', type=click.Choice(['text', 'json']), default='text',
              show_default=True)
@click.option('--strict', is_flag=True, help='Fail on warnings too.')
@click.pass_context
def command(ctx: click.Context, skill: str, model_path: Optional[str],
            ignore_intents: Tuple[str, ...], ending: Tuple[str, ...], fmt: str,
            strict: bool) -> None:
    """Check SKILL's machine, and its interaction model if given, for dialog bugs.

    Exits 0 when there are no errors, 1 when there are (or warnings, with --strict), 2 when the
    skill or the model cannot be loaded.
    """
    policy_cls = skill_policy(skill)
    model = skill_model(model_path) if model_path else None
    findings = validate_policy(policy_cls, model, ignore_intents=ignore_intents,
                               ending_states=ending or None)
    if fmt == 'json':
        click.echo(json.dumps(summary_json(findings, skill=skill, model=model_path), indent=2))
    else:
        click.echo(report_text(findings), nl=False)
    total = counts(findings)
    ctx.exit(1 if total[ERROR] or (strict and total[WARNING]) else 0)
