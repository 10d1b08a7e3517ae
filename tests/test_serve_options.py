"""``alexafsm serve --reload``, ``--log-level`` and the start-up warning without
``--application-id`` (issue 17, item 10), on real servers on loopback."""
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.cli.new import scaffold
from tests.serve_process import serving_in

LAUNCH = Path(__file__).resolve().parents[1] / 'scripts' / 'launch-request.json'

pytestmark = pytest.mark.integration


def welcome(url: str) -> str:
    post = urllib.request.Request(url, data=LAUNCH.read_bytes(), method='POST',
                                  headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(post, timeout=10) as reply:
        return json.loads(reply.read())['response']['outputSpeech']['text']


@pytest.fixture
def project(tmp_path):
    scaffold('served_desk', tmp_path)
    return tmp_path / 'served_desk'


def test_reload_serves_the_changed_skill_without_a_restart(project):
    skill = project / 'served_desk' / '__init__.py'
    with serving_in(project, 'served_desk', '--dev', '--reload') as (url, output):
        assert welcome(url).startswith('Welcome to Served Desk.')
        assert any(line.startswith('Reloading:') for line in output)
        skill.write_text(skill.read_text().replace("f'Welcome to {self.skill_name}",
                                                   "f'Hello from {self.skill_name}"))
        deadline = time.monotonic() + 30  # the watcher polls the files once a second
        while True:
            try:
                said = welcome(url)
            except OSError:  # between the old server's exit and the new one's first request
                said = ''
            if said.startswith('Hello from Served Desk.') or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert said.startswith('Hello from Served Desk.'), ''.join(output)


def test_log_level_hides_the_request_lines_the_default_shows(project):
    with serving_in(project, 'served_desk', '--dev', '--log-level', 'warning') as (url, quiet):
        welcome(url)
    with serving_in(project, 'served_desk', '--dev') as (url, verbose):
        welcome(url)
    assert [line for line in verbose if '"POST / HTTP/1.1" 200' in line]
    assert not [line for line in quiet if 'POST / HTTP' in line]
    # warnings still show
    assert 'WARNING alexafsm.hosting: DEV MODE' in ''.join(quiet)


def test_serving_without_an_application_id_warns_at_start_up(project):
    with serving_in(project, 'served_desk') as (url, output):
        with pytest.raises(urllib.error.HTTPError):  # unsigned: refused, but answered
            welcome(url)
    assert any(line.startswith("WARNING: no --application-id: requests for ANY skill are "
                               "answered") for line in output)
    with serving_in(project, 'served_desk', '--application-id', 'amzn1.ask.skill.x') as (url,
                                                                                       named):
        with pytest.raises(urllib.error.HTTPError):
            welcome(url)
    assert not any('no --application-id' in line for line in named)


def test_log_level_takes_only_known_levels():
    result = CliRunner().invoke(main, ['serve', 'tests.fixtures.echo_skill', '--log-level',
                                       'chatty'])
    assert result.exit_code == 2
    assert "'chatty' is not one of 'debug', 'info', 'warning', 'error'" in result.output
