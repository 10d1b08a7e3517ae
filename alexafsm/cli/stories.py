"""``alexafsm stories``: run YAML conversation stories against a skill, for CI."""
from typing import Dict
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model_option
from alexafsm.cli.skill import skill_policy
from alexafsm.cli.skill import store_option
from alexafsm.loader import skill_files
from alexafsm.persistence import open_store
from alexafsm.testing.stories import StoryError
from alexafsm.testing.stories import load_stories
from alexafsm.testing.stories import run_story
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import load_model

__all__ = ['command']


@click.command('stories')
@click.argument('skill')
@click.argument('files', nargs=-1, metavar='[FILE]...')
@model_option('for story files without a model of their own.', required=False)
@store_option('for each story (memory:// is a fresh memory per story)')
@click.pass_context
def command(ctx: click.Context, skill: str, files: Tuple[str, ...],
            model_path: Optional[str], store: str) -> None:
    """Run YAML conversation stories against SKILL.

    Without FILE, the skill's own stories run: stories/*.story.yaml in its package, or beside
    it. A file without a 'model' key is run with --model, else the skill's own model (MODEL
    on the Policy, or a model/ folder). Each failing story is reported with its failing turn.
    The format is described in alexafsm.testing.stories; a file's own 'skill' key is for the
    pytest plugin and is not used here. Exits 0 when every story passes, 1 when one fails, 2
    when a file or its model cannot be read or there is no story file.
    """
    policy_cls = skill_policy(skill)
    try:
        open_store(store)  # a bad URL is a usage error before any story runs
    except (TypeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint='--store') from None
    if not files:
        files = tuple(skill_files(policy_cls, 'stories', '*.story.yaml'))
        if not files:
            raise click.BadParameter(f"name story files: {skill} has no stories/*.story.yaml "
                                     f"in or beside its package", param_hint='FILE')
    default_model = skill_model_option(model_path, policy_cls)
    models: Dict[str, Optional[InteractionModel]] = {}
    try:
        story_files = [load_stories(path) for path in files]
    except StoryError as error:
        raise click.BadParameter(str(error), param_hint='FILE') from None
    try:
        for path in {f.model or default_model for f in story_files} - {None}:
            models[str(path)] = load_model(str(path))
    except ModelError as error:
        raise click.BadParameter(str(error), param_hint='FILE' if not default_model
                                 else 'FILE or --model') from None
    failed = total = 0
    for story_file in story_files:
        path = story_file.model or default_model
        model = models.get(str(path)) if path else None
        for story in story_file.stories:
            total += 1
            result = run_story(policy_cls, story, model=model, store=store)
            if not result.passed:
                failed += 1
                click.echo(result.report() + '\n')
    click.echo(f"{total - failed} of {total} stories passed" if failed
               else f"all {total} stories passed")
    ctx.exit(1 if failed else 0)
