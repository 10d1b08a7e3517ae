"""``alexafsm serve SKILL``: run a skill's endpoint on werkzeug's threaded server.

Good for local work and small deployments; for production behind a load balancer use gunicorn
with ``alexafsm.hosting.wsgi`` (see the README).
"""
import logging
from typing import Optional
from typing import Tuple

import click

from alexafsm.cli.skill import serve_store
from alexafsm.cli.skill import skill_policy

__all__ = ['command']


@click.command()
@click.argument('skill')
@click.option('--host', default='127.0.0.1', show_default=True,
              help='Interface to listen on; 0.0.0.0 listens on all of them.')
@click.option('--port', default=8888, show_default=True, type=click.IntRange(0, 65535),
              help='Port to listen on; 0 picks a free one.')
@click.option('--dev', is_flag=True,
              help='Do NOT verify requests, so curl can talk to the skill. Local work only.')
@click.option('--application-id', 'application_ids', multiple=True, metavar='ID',
              help="Refuse requests for other skills; repeat for several ids.")
@click.option('--record', type=click.Path(dir_okay=False), metavar='PATH',
              help='Append every turn to PATH as a JSON line [request, response].')
@click.option('--store', metavar='URL',
              help="Keep users' persistent attributes in sqlite:///PATH, redis://HOST:PORT/DB "
                   "or memory://; by default the skill's own store, else an SQLite file in "
                   "~/.cache/alexafsm/serve/ (named at start-up).")
def command(skill: str, host: str, port: int, dev: bool, application_ids: Tuple[str, ...],
            record: Optional[str], store: Optional[str]) -> None:
    """Serve SKILL so Alexa (or curl, with --dev) can talk to it."""
    from werkzeug.serving import make_server

    from alexafsm.hosting.flask_app import create_app

    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: '
                                                   '%(message)s')
    policy_cls = skill_policy(skill)
    store, store_line = serve_store(policy_cls, skill, store)
    try:
        app = create_app(policy_cls, dev=dev, record_to=record,
                         application_ids=list(application_ids) or None, store=store)
    except (TypeError, ValueError, AttributeError) as error:
        raise click.ClickException(str(error)) from None
    # werkzeug reports a busy port or a bad host itself, without a traceback, and exits 1
    server = make_server(host, port, app, threaded=True)
    if dev:
        click.echo("DEV MODE: requests are NOT verified; do not let Alexa or the internet reach "
                   "this server.")
    else:
        click.echo("Verifying every request (signature, certificate chain, timestamp"
                   f"{', application id' if application_ids else ''}), as Alexa requires; "
                   "unsigned requests such as curl's get 400. Use --dev for local tests.")
    if record:
        click.echo(f"Recording turns to {record}")
    click.echo(store_line)
    click.echo(f"Serving {policy_cls.__name__} on http://{host}:{server.server_port}/")
    server.serve_forever()  # returns on Ctrl-C, after closing the socket
    click.echo("Stopped.")
