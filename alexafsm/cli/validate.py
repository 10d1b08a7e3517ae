"""``alexafsm validate``: the CI gate that fails a build when the dialog has bugs."""
import json
from typing import List
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_model_option
from alexafsm.cli.skill import skill_policy
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import Finding
from alexafsm.tools.validation import report_text
from alexafsm.tools.validation import summary_json
from alexafsm.tools.validation import validate_policy

__all__ = ['command', 'STRICTNESS']

#: What ``--strict`` may fail on besides errors: warnings, or warnings and fall-throughs.
STRICTNESS = ('warnings', 'falls-through')


class _Command(click.Command):
    """``--strict`` before SKILL stays a flag, as it was before it took a value."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        args = list(args)
        for i, arg in enumerate(args[:-1]):
            if arg == '--strict' and args[i + 1] not in STRICTNESS:
                args[i] = '--strict=warnings'
        return super().parse_args(ctx, args)


@click.command('validate', cls=_Command)
@click.argument('skill')
@model_option("; default: the skill's own (MODEL on the Policy, or a model/ folder in or beside "
              "its package); without one only the machine is checked.", required=False)
@click.option('--ignore-intent', 'ignore_intents', multiple=True, metavar='NAME',
              help='A model intent the skill leaves unhandled on purpose (repeatable).')
@click.option('--ending-state', 'ending', multiple=True, metavar='STATE',
              help="A state whose response ends the session (repeatable; default 'exiting', "
                   "plus the States class's ENDING_STATES).")
@click.option('--format', 'fmt', type=click.Choice(['text', 'json']), default='text',
              show_default=True)
@click.option('--must-handle', 'must_handle', multiple=True, metavar='NAME',
              help="An intent every state must handle, or fail (repeatable; added to the States "
                   "class's MUST_HANDLE).")
@click.option('--strict', 'strict', is_flag=False, flag_value='warnings', default=None,
              type=click.Choice(STRICTNESS), metavar='[=warnings|falls-through]',
              help="Fail on warnings too; --strict=falls-through also on every intent a state "
                   "answers 'I did not understand'.")
@click.pass_context
def command(ctx: click.Context, skill: str, model_path: Optional[str],
            ignore_intents: Tuple[str, ...], ending: Tuple[str, ...], fmt: str,
            must_handle: Tuple[str, ...], strict: Optional[str]) -> None:
    """Check SKILL's machine, and its interaction model if given, for dialog bugs.

    Exits 0 when there are no errors, 1 when there are (or warnings, with --strict; or
    intents that fall through in some state, with --strict=falls-through), 2 when the skill or
    the model cannot be loaded.
    """
    policy_cls = skill_policy(skill)
    model_path = skill_model_option(model_path, policy_cls)
    model = skill_model(model_path) if model_path else None
    findings = validate_policy(policy_cls, model, ignore_intents=ignore_intents,
                               ending_states=ending or None, must_handle=must_handle)
    failing = [f for f in findings if _fails(f, strict)]
    if fmt == 'json':
        click.echo(json.dumps(summary_json(findings, skill=skill, model=model_path,
                                           strict=strict, failed=bool(failing)), indent=2))
    else:
        click.echo(report_text(findings), nl=False)
        fell = sum(1 for f in failing if f.code == 'falls-through')
        if fell:
            click.echo(f"--strict=falls-through: {fell} intent(s) in some state answered "
                       f"'I did not understand' fail the check")
    ctx.exit(1 if failing else 0)


def _fails(finding: Finding, strict: Optional[str]) -> bool:
    """Whether a finding fails the build at this strictness: errors always, then what was asked."""
    if finding.severity == ERROR:
        return True
    if strict is None:
        return False
    return finding.severity == WARNING or (strict == 'falls-through'
                                           and finding.code == 'falls-through')
