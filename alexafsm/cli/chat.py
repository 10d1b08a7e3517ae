"""``alexafsm chat``: type what a user would say and read what the skill answers."""
import sys

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_policy
from alexafsm.cli.skill import store_option
from alexafsm.persistence import open_store
from alexafsm.testing.chat import run

__all__ = ['command']


@click.command('chat')
@click.argument('skill')
@model_option('whose sample utterances understand what you type.')
@store_option('for the chat (a fresh memory by default, forgotten when it ends)')
def command(skill: str, model_path: str, store: str) -> None:
    """Talk to SKILL by typing what a user would say.

    The skill is launched first; each line is matched to an intent through the model's sample
    utterances (AMAZON.FallbackIntent when nothing matches) and the answer is shown with its
    card and the new state. ':quit' or the end of input ends the session. From a pipe there is
    no prompt and each line is echoed after 'you> ', so a conversation can be scripted:

    \b
        printf 'how do i order pizza\\nstop\\n' |
          alexafsm chat skills.skillsearch --model skills/skillsearch/model/en-US.json
    """
    policy_cls = skill_policy(skill)
    model = skill_model(model_path)
    try:  # a bad URL is a usage error before the skill says a word
        attributes_store = open_store(store)
    except (TypeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint='--store') from None
    run(policy_cls, model, sys.stdin, click.echo,
        prompt=lambda text: click.echo(text, nl=False), store=attributes_store)
