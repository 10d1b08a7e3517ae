"""``alexafsm console SKILL``: talk to a skill in the browser and watch its machine move."""
import webbrowser
from typing import Optional

import click

from alexafsm.cli.skill import model_option
from alexafsm.cli.skill import skill_model
from alexafsm.cli.skill import skill_policy

__all__ = ['command']


@click.command('console')
@click.argument('skill')
@model_option('whose sample utterances understand what you type (default: the model '
              'beside the skill\'s code).', required=False)
@click.option('--store', default='memory://', show_default=True, metavar='URL',
              help="Where users' persistent attributes live: a fresh memory by default, as "
                   "saved stories replay in one; sqlite:///PATH or redis://HOST:PORT/DB to "
                   "see real ones.")
@click.option('--host', default='127.0.0.1', show_default=True,
              help='Interface to listen on. The console is for local work: keep it on loopback.')
@click.option('--port', default=0, show_default=True, type=click.IntRange(0, 65535),
              help='Port to listen on; 0 picks a free one.')
@click.option('--open', 'open_browser', is_flag=True, help='Open the page in a web browser.')
def command(skill: str, model_path: Optional[str], store: str, host: str, port: int,
            open_browser: bool) -> None:
    """Serve the conversation console of SKILL and print its URL.

    Type what a user would say (matched as 'alexafsm chat' matches it) or pick an intent and
    slots from the model; the page shows the transcript, the machine with the current state
    and the transition just fired, the session and persistent attributes and the raw JSON, and
    saves the conversation as a story. Ctrl-C stops it.
    """
    from werkzeug.serving import make_server

    from alexafsm.console import console_app
    from alexafsm.console import find_model

    policy_cls = skill_policy(skill)
    model = skill_model(model_path) if model_path else find_model(policy_cls)
    if model is None:
        raise click.BadParameter(f"no interaction model found beside {skill}'s code (in its "
                                 f"folder, model/ or models/): pass --model PATH",
                                 param_hint='--model')
    try:
        app = console_app(policy_cls, model, store=store, allowed_hosts=[host])
    except (TypeError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    server = make_server(host, port, app, threaded=True)
    url = f"http://{host}:{server.server_port}/console/"
    click.echo(f"Console of {policy_cls.__name__} (model {model.source}, store {store}) on {url}")
    if open_browser:
        webbrowser.open(url)
    server.serve_forever()
    click.echo("Stopped.")
