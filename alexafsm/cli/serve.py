"""``alexafsm serve SKILL``: run a skill's endpoint on werkzeug's threaded server, bounded.

Good for local work and small deployments; for production behind a load balancer use gunicorn
with ``alexafsm.hosting.wsgi`` (see the README).
"""
import logging
import os
from typing import Any
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import serve_store
from alexafsm.cli.skill import skill_policy

__all__ = ['command']

_LOG_LEVELS = ('debug', 'info', 'warning', 'error')


@click.command()
@click.argument('skill')
@click.option('--host', default='127.0.0.1', show_default=True,
              help='Interface to listen on; 0.0.0.0 listens on all of them.')
@click.option('--port', default=8888, show_default=True, type=click.IntRange(0, 65535),
              help='Port to listen on; 0 picks a free one.')
@click.option('--dev', is_flag=True,
              help='Do NOT verify requests, so curl can talk to the skill, and serve the '
                   'conversation console at /console. Local work only.')
@click.option('--application-id', 'application_ids', multiple=True, metavar='ID',
              help="Refuse requests for other skills; repeat for several ids.")
@click.option('--record', type=click.Path(dir_okay=False), metavar='PATH',
              help='Append every turn to PATH as a JSON line [request, response].')
@click.option('--store', metavar='URL',
              help="Keep users' persistent attributes in sqlite:///PATH, redis://HOST:PORT/DB "
                   "or memory://; by default the skill's own store, else an SQLite file in "
                   "~/.cache/alexafsm/serve/ (named at start-up).")
@click.option('--reload', is_flag=True,
              help='Restart the server when a Python file of the skill changes (local work).')
@click.option('--log-level', type=click.Choice(_LOG_LEVELS, case_sensitive=False),
              default='info', show_default=True, help='The least severe log lines shown.')
def command(skill: str, host: str, port: int, dev: bool, application_ids: Tuple[str, ...],
            record: Optional[str], store: Optional[str], reload: bool, log_level: str) -> None:
    """Serve SKILL so Alexa (or curl, with --dev) can talk to it."""
    from werkzeug.serving import is_running_from_reloader
    from werkzeug.serving import run_simple

    from alexafsm.hosting.flask_app import create_app
    from alexafsm.hosting.server import make_server

    logging.basicConfig(level=log_level.upper(), format='%(asctime)s %(levelname)s %(name)s: '
                                                   '%(message)s')
    # werkzeug sets its own logger to INFO unless it has a level
    logging.getLogger('werkzeug').setLevel(log_level.upper())
    if reload and not is_running_from_reloader():
        # this process only holds the socket and restarts a copy of the command that serves
        # whenever a module that copy loaded changes
        run_simple(host, port, _unused, use_reloader=True)
        return
    policy_cls = skill_policy(skill)
    store, store_line = serve_store(policy_cls, skill, store)
    try:
        app = create_app(policy_cls, dev=dev, record_to=record,
                         application_ids=list(application_ids) or None, store=store)
    except (TypeError, ValueError, AttributeError) as error:
        raise click.ClickException(str(error)) from None
    console = _console(app, policy_cls, store, host) if dev else None
    # werkzeug reports a busy port or a bad host itself, without a traceback, and exits 1
    # bounded threads and waits (alexafsm.hosting.server); --reload runs werkzeug's own server
    server = None if reload else make_server(host, port, app)
    if dev:
        click.echo("DEV MODE: requests are NOT verified; do not let Alexa or the internet reach "
                   "this server.")
    else:
        click.echo("Verifying every request (signature, certificate chain, timestamp"
                   f"{', application id' if application_ids else ''}), as Alexa requires; "
                   "unsigned requests such as curl's get 400. Use --dev for local tests.")
    if not dev and not application_ids:
        click.echo("WARNING: no --application-id: requests for ANY skill are answered; give "
                   "your skill's id (amzn1.ask.skill....) so that only Alexa's requests for "
                   "it are.")
    if record:
        click.echo(f"Recording turns to {record}")
    click.echo(store_line)
    bound = server.server_port if server else _inherited_port()
    if console:
        click.echo(console.format(f"http://{host}:{bound}"))
    if server is None:
        click.echo("Reloading: the server restarts when a Python file it loaded changes")
    click.echo(f"Serving {policy_cls.__name__} on http://{host}:{bound}/")
    if server is None:  # serves on the socket the watching process bound
        run_simple(host, port, app, use_reloader=True, threaded=True)
    else:
        server.serve_forever()  # returns on Ctrl-C, after closing the socket
    click.echo("Stopped.")


def _unused(environ: Any, start_response: Any) -> Any:  # pragma: no cover - never called
    """The watching process of --reload serves nothing; the restarted copy does."""
    raise RuntimeError('the --reload watcher serves no requests')


def _inherited_port() -> int:
    """The port of the socket the --reload watcher bound (0 picks one) and passed down."""
    import socket
    fd = int(os.environ['WERKZEUG_SERVER_FD'])
    with socket.socket(fileno=os.dup(fd)) as sock:
        return int(sock.getsockname()[1])


def _console(app: Any, policy_cls: Any, store: Optional[str], host: str) -> str:
    """Mount the conversation console when the skill's model can be found; the line that says
    where it is (a format string taking the server's URL), or why there is none."""
    from alexafsm.console import attach_console
    from alexafsm.console import find_model

    model = find_model(policy_cls)
    if model is None:
        return ("No console: no interaction model beside the skill's code "
                "(alexafsm console SKILL --model PATH serves one)")
    attach_console(app, policy_cls, model, store=store, allowed_hosts=[host])
    return "Console on {}/console/"
