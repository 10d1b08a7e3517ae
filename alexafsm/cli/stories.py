"""``alexafsm stories``: run YAML conversation stories against a skill, for CI."""
from typing import Dict
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import skill_policy
from alexafsm.cli.skill import store_option
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
@click.argument('files', nargs=-1, required=True, metavar='FILE...')
@store_option('for each story (memory:// is a fresh memory per story)')
@click.pass_context
def command(ctx: click.Context, skill: str, files: Tuple[str, ...], store: str) -> None:
    """Run YAML conversation stories against SKILL.

    Each failing story is reported with its failing turn. The format is described in
    alexafsm.testing.stories; a file's own 'skill' key is for the pytest plugin and is not
    used here. Exits 0 when every story passes, 1 when one fails,
    2 when a file or its model cannot be read.
    """
    policy_cls = skill_policy(skill)
    try:
        open_store(store)  # a bad URL is a usage error before any story runs
    except (TypeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint='--store') from None
    models: Dict[str, Optional[InteractionModel]] = {}
    try:
        story_files = [load_stories(path) for path in files]
        for story_file in story_files:
            if story_file.model and story_file.model not in models:
                models[story_file.model] = load_model(story_file.model)
    except (StoryError, ModelError) as error:
        raise click.BadParameter(str(error), param_hint='FILE') from None
    failed = total = 0
    for story_file in story_files:
        model = models.get(story_file.model) if story_file.model else None
        for story in story_file.stories:
            total += 1
            result = run_story(policy_cls, story, model=model, store=store)
            if not result.passed:
                failed += 1
                click.echo(result.report() + '\n')
    click.echo(f"{total - failed} of {total} stories passed" if failed
               else f"all {total} stories passed")
    ctx.exit(1 if failed else 0)
