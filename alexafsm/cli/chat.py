"""``alexafsm chat``: type what a user would say and read what the skill answers."""
import sys
from typing import Any
from typing import Dict
from typing import Optional

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_policy
from alexafsm.cli.skill import store_option
from alexafsm.persistence import open_store
from alexafsm.testing.chat import RemoteSkill
from alexafsm.testing.chat import run
from alexafsm.testing.conversation import ConversationError

__all__ = ['command']


@click.command('chat')
@click.argument('skill', required=False)
@model_option('whose sample utterances understand what you type.')
@click.option('--url', metavar='URL',
              help="Talk to the skill served at URL (alexafsm serve SKILL --dev) instead of "
                   "running it here; SKILL, if given, only names the model.")
@click.option('--application-id', metavar='ID',
              help="The application id the requests carry (the server's --application-id).")
@store_option('for the chat (a fresh memory by default, forgotten when it ends; with --url '
              'the server keeps its own)')
def command(skill: Optional[str], model_path: Optional[str], url: Optional[str],
            application_id: Optional[str], store: str) -> None:
    """Talk to SKILL by typing what a user would say.

    The skill is launched first; each line is matched to an intent through the model's sample
    utterances (AMAZON.FallbackIntent when nothing matches) and the answer is shown with its
    card and the new state. ':quit' or the end of input ends the session. From a pipe there is
    no prompt and each line is echoed after 'you> ', so a conversation can be scripted:

    \b
        printf 'how do i order pizza\\nstop\\n' |
          alexafsm chat skills.skillsearch

    Without --model the skill's own model is used (MODEL on the Policy, or a model/ folder).
    With --url the requests go over HTTP to a running server, unsigned, each carrying the
    session attributes of the last response: 'alexafsm chat SKILL --url http://127.0.0.1:8888/'.
    """
    if skill is None and not (url and model_path):
        raise click.UsageError("name the SKILL, or give --url and --model (the model's samples "
                               "turn what you type into intents)")
    policy_cls = skill_policy(skill) if skill is not None else None
    model = skill_model(model_path, policy_cls)
    options: Dict[str, Any] = {'application_id': application_id} if application_id else {}
    if not url:
        try:  # a bad URL is a usage error before the skill says a word
            options['store'] = open_store(store)
        except (TypeError, ValueError) as error:
            raise click.BadParameter(str(error), param_hint='--store') from None
    target = RemoteSkill(url) if url else policy_cls
    assert target is not None
    try:
        run(target, model, sys.stdin, click.echo,
            prompt=lambda text: click.echo(text, nl=False), **options)
    except ConversationError as error:  # the server cannot be reached or refuses the launch
        raise click.ClickException(str(error)) from None
