"""``alexafsm chat --url`` (issue 17, item 8): the chat console over HTTP to a real ``alexafsm
serve`` on loopback, carrying the session attributes from turn to turn as Alexa does."""
import socket

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.cli.new import scaffold
from alexafsm.testing.chat import RemoteSkill
from alexafsm.testing.conversation import ConversationError
from alexafsm.testing.requests import launch_request
from tests.serve_process import serving_in

SAID = 'my name is Ada\ni am Grace\nhelp\nthis is Alan\n:launch\ncall me Edsger\nstop\n'


def run(*args: str, input: str = ''):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    scaffold('remote_desk', tmp_path)
    root = tmp_path / 'remote_desk'
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.chdir(root)
    return root


def test_an_unreachable_server_is_named_with_the_fix(project):
    url = f'http://127.0.0.1:{closed_port()}/'
    with pytest.raises(ConversationError, match="cannot reach .*is 'alexafsm serve' running"):
        RemoteSkill(url).respond(launch_request())
    result = run('chat', 'remote_desk', '--url', url, input='hello\n')
    assert result.exit_code == 1
    assert f'Error: cannot reach {url}' in result.output


def test_without_a_skill_the_model_must_be_given():
    result = run('chat', '--url', 'http://127.0.0.1:1/')
    assert result.exit_code == 2
    assert 'name the SKILL, or give --url and --model' in result.output


@pytest.mark.integration
def test_chat_over_http_says_what_chat_in_process_says(project):
    local = run('chat', 'remote_desk', input=SAID)
    assert local.exit_code == 0, local.output
    # the names live only in the session attributes: remembered across turns, forgotten on
    # :launch, so the transcript shows they travelled with every request
    assert 'So far I have met ada and grace.' in local.output
    assert 'Hello, edsger! Who else is there?' in local.output
    with serving_in(project, 'remote_desk', '--dev') as (url, _):
        remote = run('chat', 'remote_desk', '--url', url, input=SAID)
        by_model = run('chat', '--url', url, '--model', str(project / 'model'), input=SAID)
    assert remote.exit_code == 0, remote.output
    assert remote.output == local.output == by_model.output


@pytest.mark.integration
def test_a_server_that_verifies_requests_is_explained(project):
    with serving_in(project, 'remote_desk', '--application-id', 'amzn1.ask.skill.x') as (url, _):
        result = run('chat', 'remote_desk', '--url', url, input='hello\n')
    assert result.exit_code == 1
    assert 'refused the request: HTTP 400' in result.output
    assert 'start it with --dev' in result.output
