"""``alexafsm fuzz``: random sessions against a skill, for CI and before a release."""
import os
from typing import Optional

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_model_option
from alexafsm.cli.skill import skill_policy
from alexafsm.cli.skill import store_option
from alexafsm.testing import resume_check
from alexafsm.testing.fuzz import FuzzError
from alexafsm.testing.fuzz import dump_findings
from alexafsm.testing.fuzz import fuzz

__all__ = ['command']


@click.command('fuzz')
@click.argument('skill')
@model_option('the intents and slot values are drawn from.')
@click.option('--sessions', default=200, show_default=True, type=click.IntRange(min=1),
              help='How many sessions to walk.')
@click.option('--seed', default=0, show_default=True, type=int,
              help='Random seed: the same seed walks the same sessions.')
@click.option('--max-turns', default=20, show_default=True, type=click.IntRange(min=1),
              help='The most turns one session takes.')
@click.option('--save', 'save_path', metavar='FILE', type=click.Path(dir_okay=False),
              help='Also write the reduced failing sessions to FILE as a story file.')
@click.option('--check-resume', is_flag=True,
              help='Also check that a digression and the way back (a push, then RESUME) end '
                   'where they started, after prefixes of the fuzzed sessions.')
@store_option('of the fuzzed users (memory:// is a fresh memory per session)')
@click.pass_context
def command(ctx: click.Context, skill: str, model_path: Optional[str], sessions: int, seed: int,
            max_turns: int, save_path: Optional[str], store: str,
            check_resume: bool = False) -> None:
    """Walk sessions of SKILL looking for crashes and invalid responses, guided by coverage.

    Intents come from the model, those the state has a transition for first, slot values from
    its types and samples plus odd ones (empty, unicode, SSML characters, long); sessions that
    reached a new transition or attribute value are kept and extended. Every turn must not
    raise, must leave the machine in one of its states and must give a response Alexa accepts.
    The report says which transitions fired, which (state, intent, slot value) cells were tried
    and how deep sessions went. Each failure is printed with the shortest session it reduces
    to, as a story to keep as a regression test. Exits 0 when no turn failed, 1 when one did,
    2 when the skill or the model cannot be loaded.
    """
    policy_cls = skill_policy(skill)
    model_path = skill_model_option(model_path, policy_cls)
    model = skill_model(model_path, policy_cls)
    if save_path:
        _check_writable(save_path)
    try:
        report = fuzz(policy_cls, model, sessions=sessions, seed=seed, max_turns=max_turns,
                      skill=skill, store=store)
    except FuzzError as error:
        raise click.UsageError(str(error)) from None
    except (TypeError, ValueError) as error:  # a bad --store URL
        raise click.BadParameter(str(error), param_hint='--store') from None
    click.echo(report.text())
    reduced = f', then {report.reduce_seconds:.1f} s reducing' if report.findings else ''
    click.echo(f'{report.elapsed:.1f} s: {report.sessions_per_second:,.0f} sessions/s, '
               f'{report.turns / max(report.elapsed, 1e-9):,.0f} turns/s{reduced}')
    if save_path and report.findings:
        folder = os.path.dirname(os.path.abspath(save_path))
        relative = os.path.relpath(os.path.abspath(model_path or ''), folder)
        text = dump_findings(report, skill=skill, model=relative)
        try:
            with open(save_path, 'w', encoding='utf-8') as out:
                out.write(text)
        except OSError as error:
            raise click.BadParameter(f'cannot write {save_path}: {error.strerror}',
                                     param_hint='--save') from None
        click.echo(f'wrote the stories of {text.count("- name:")} failures to {save_path}')
    resumed = resume_check.check_resume(policy_cls, model, report.walks, seed=seed) \
        if check_resume else None
    if resumed is not None:
        click.echo(resumed.text())
    ctx.exit(1 if report.findings or (resumed is not None and not resumed.passed) else 0)


def _check_writable(path: str) -> None:
    """Fail before a long run rather than after it when the story file cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise click.BadParameter(f'cannot create the folder {folder}: {error.strerror}',
                                 param_hint='--save') from None
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise click.BadParameter(f'cannot write {path}: permission denied', param_hint='--save')
