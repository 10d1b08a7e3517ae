"""``alexafsm serve``: real servers on loopback, started the way a user starts them."""
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.errors import PolicyLoadError
from alexafsm.hosting import wsgi
from benchmarks.endpoint import Gunicorn
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

REPO = Path(__file__).resolve().parents[1]
LAUNCH = REPO / 'scripts' / 'launch-request.json'
ALEXAFSM = Path(sys.executable).with_name('alexafsm')
SKILL = 'tests.fixtures.echo_skill'


@contextmanager
def serving(*args, skill=SKILL, env=None):
    """``alexafsm serve SKILL --port 0 ARGS`` until the block ends; yields (port, output lines)."""
    process = subprocess.Popen([str(ALEXAFSM), 'serve', skill, '--port', '0', *args], cwd=REPO,
                               env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
                               text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()
    output = []
    try:
        while True:
            try:
                line = lines.get(timeout=15)
            except queue.Empty:
                pytest.fail(f"no 'Serving' line from alexafsm serve:\n{''.join(output)}")
            output.append(line)
            found = re.search(r'^Serving \w+ on http://127\.0\.0\.1:(\d+)/$', line)
            if found:  # printed last, once the socket listens
                break
        yield int(found.group(1)), output
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def post(port, body, path='/'):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.request('POST', path, body=body, headers={'Content-Type': 'application/json'})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def launch_request(application_id=None):
    request = json.loads(LAUNCH.read_text())
    if application_id:
        request['session']['application']['applicationId'] = application_id
        request['context']['System']['application']['applicationId'] = application_id
    return json.dumps(request).encode()


def test_the_sample_launch_request_is_one_alexa_could_send():
    assert_valid_request(json.loads(LAUNCH.read_text()))


@pytest.mark.integration
def test_dev_mode_answers_curl_style_requests_and_records(tmp_path):
    record = tmp_path / 'turns.jsonl'
    with serving('--dev', '--record', str(record)) as (port, output):
        status, envelope = post(port, LAUNCH.read_bytes())

        assert 'DEV MODE' in ''.join(output)
        assert f'Recording turns to {record}' in ''.join(output)
        assert status == 200
        assert_valid_response(envelope)
        assert envelope['response']['outputSpeech']['text'].startswith('Welcome to Echo')
        recorded_request, recorded_response = json.loads(record.read_text())
        assert recorded_response == envelope
        assert recorded_request == json.loads(LAUNCH.read_text())


@pytest.mark.integration
def test_without_dev_every_request_is_verified():
    with serving() as (port, output):
        status, error = post(port, LAUNCH.read_bytes())

        assert 'Verifying every request' in ''.join(output)
        assert 'DEV MODE' not in ''.join(output)
        assert status == 400
        assert error['error'] == 'verification_failed'


@pytest.mark.integration
def test_application_ids_are_checked():
    mine = json.loads(LAUNCH.read_text())['session']['application']['applicationId']
    other = 'amzn1.ask.skill.99999999-8888-7777-6666-555555555555'
    with serving('--dev', '--application-id', mine, '--application-id', other) as (port, _):
        assert post(port, launch_request(mine))[0] == 200
        assert post(port, launch_request(other))[0] == 200
        status, error = post(port, launch_request('amzn1.ask.skill.stranger'))
        assert status == 400
        assert 'amzn1.ask.skill.stranger' in error['message']


def run(*args):
    return CliRunner().invoke(main, ['serve', *args])


def test_unknown_skill_is_a_usage_error():
    result = run('tests.fixtures.no_such_skill', '--dev')

    assert result.exit_code == 2
    assert "cannot import module 'tests.fixtures.no_such_skill'" in result.output


def test_unwritable_record_path_fails_before_serving(tmp_path):
    result = run(SKILL, '--dev', '--record', str(tmp_path / 'missing' / 'turns.jsonl'))

    assert result.exit_code == 1
    assert 'cannot record turns to' in result.output
    assert 'Serving' not in result.output


def test_busy_port_says_so():
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = run(SKILL, '--dev', '--port', str(port))

    assert result.exit_code == 1
    assert f'Port {port} is in use' in result.output


# -- production recipe: gunicorn with the wsgi factory ------------------------------------------

@pytest.mark.integration
def test_the_gunicorn_recipe_serves_and_verifies():
    spec = f'alexafsm.hosting.wsgi:app("{SKILL}", application_ids=["amzn1.ask.skill.mine"])'
    with Gunicorn(spec, workers=2, threads=2) as server:
        connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
        connection.request('GET', '/health')
        assert connection.getresponse().status == 200
        status, error = post(server.port, LAUNCH.read_bytes())
        assert (status, error['error']) == (400, 'verification_failed')


@pytest.mark.integration
def test_the_gunicorn_recipe_in_dev_mode_answers():
    with Gunicorn(f'alexafsm.hosting.wsgi:app("{SKILL}", dev=True)', workers=1,
                  threads=2) as server:
        status, envelope = post(server.port, LAUNCH.read_bytes())
        assert status == 200
        assert_valid_response(envelope)
        assert 'DEV MODE' in server.log()


@pytest.mark.parametrize('kwargs, error, words', [
    ({'skill': 'tests.fixtures.no_such_skill'}, PolicyLoadError,
     "alexafsm.hosting.wsgi: cannot import module"),
    ({'skill': SKILL, 'verifier': 'tests.certs'}, ValueError, "must be 'module:factory'"),
    ({'skill': SKILL, 'verifier': 'tests.certs:nothing'}, ValueError, "is not a function"),
    ({'skill': SKILL, 'verifier': 'benchmarks.endpoint:bare_app'}, TypeError,
     "returned Flask; it must return a RequestVerifier"),
    ({'skill': SKILL, 'dev': True, 'aplication_ids': ['x']}, TypeError,
     "unexpected keyword argument 'aplication_ids'"),
])
def test_wsgi_factory_errors_name_the_mistake(kwargs, error, words):
    with pytest.raises(error, match=words):
        wsgi.app(kwargs.pop('skill'), **kwargs)


@pytest.mark.integration
def test_a_sqlite_store_keeps_users_memory_across_server_runs(tmp_path):
    database = tmp_path / 'users.sqlite3'
    url = f'sqlite:///{database}'
    request = json.loads(LAUNCH.read_text())
    request['request'] = {'type': 'IntentRequest', 'requestId': 'amzn1.echo-api.request.1',
                          'timestamp': request['request']['timestamp'], 'locale': 'en-US',
                          'intent': {'name': 'EchoIntent',
                                     'slots': {'phrase': {'name': 'phrase', 'value': 'hi'}}}}
    for _ in range(2):  # two server processes, one file
        with serving('--dev', '--store', url,
                     skill='tests.fixtures.memory_echo:MemoryEcho') as (port, output):
            assert f'Persistent attributes in {url}' in ''.join(output)
            status, _ = post(port, json.dumps(request).encode())
            assert status == 200
    from alexafsm.persistence import SqliteStore
    user = request['session']['user']['userId']
    assert json.loads(SqliteStore(str(database)).load(user).text)['echoes'] == 2


@pytest.mark.integration
def test_without_a_store_serve_keeps_users_in_an_sqlite_file_it_names(tmp_path):
    request = json.loads(LAUNCH.read_text())
    request['request'] = {'type': 'IntentRequest', 'requestId': 'amzn1.echo-api.request.1',
                          'timestamp': request['request']['timestamp'], 'locale': 'en-US',
                          'intent': {'name': 'EchoIntent',
                                     'slots': {'phrase': {'name': 'phrase', 'value': 'hi'}}}}
    database = tmp_path / 'alexafsm' / 'serve' / 'tests.fixtures.memory_echo_MemoryEcho.sqlite3'
    for _ in range(2):  # two server processes: the default file outlives a restart
        with serving('--dev', skill='tests.fixtures.memory_echo:MemoryEcho',
                     env={'XDG_CACHE_HOME': str(tmp_path)}) as (port, output):
            assert f'Persistent attributes in sqlite:///{database} (the default embedded ' \
                   f'SQLite file; --store URL to use another)\n' in output
            status, body = post(port, json.dumps(request).encode())
            assert status == 200 and 'Sorry' not in json.dumps(body)
    from alexafsm.persistence import SqliteStore
    user = request['session']['user']['userId']
    assert json.loads(SqliteStore(str(database)).load(user).text)['echoes'] == 2


def test_a_skill_with_its_own_store_is_served_with_it_and_says_so(monkeypatch):
    from alexafsm.cli.skill import serve_store
    from skills.pizza import PizzaPolicy

    assert serve_store(PizzaPolicy, 'skills.pizza', 'memory://') == (
        'memory://', 'Persistent attributes in memory://')
    store, line = serve_store(PizzaPolicy, 'skills.pizza', None)
    assert store is None  # the skill's own EmbeddedStore serves, untouched
    assert line.startswith("Persistent attributes in the skill's own store: ")


def test_a_bad_store_url_fails_before_serving():
    result = run(SKILL, '--dev', '--store', 'sqlite://')
    assert result.exit_code == 1
    assert 'sqlite' in result.output and 'Serving' not in result.output
