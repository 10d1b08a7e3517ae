"""The conversation console's API, through Flask's test client, and ``serve --dev`` mounting it.

The page itself is driven in a real browser by tests/test_console_browser.py.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.console import API_HEADER
from alexafsm.console import console_app
from alexafsm.console import find_model
from alexafsm.hosting.flask_app import create_app
from alexafsm.tools.describe import machine_of
from alexafsm.tools.graph import drawn_edges
from alexafsm.tools.graph import edge_key
from alexafsm.tools.interaction_model import load_model
from skills.pizza import PizzaPolicy
from tests.fixtures.dialog_stack import STACK
from tests.fixtures.dialog_stack import StackedPizzaPolicy
from tests.fixtures.echo_skill import EchoPolicy
from tests.fixtures.fuzzing.invalid_response import InvalidResponsePolicy
from tests.test_serve_cli import serving

REPO = Path(__file__).resolve().parents[1]
ALEXAFSM = Path(sys.executable).with_name('alexafsm')
OK = {API_HEADER: '1'}


@pytest.fixture
def client():
    return console_app(PizzaPolicy, find_model(PizzaPolicy)).test_client()


def say(client, text, **extra):
    reply = client.post('/console/api/say', headers=OK, json={'text': text, **extra})
    assert reply.status_code == 200, reply.json
    return reply.json


def test_the_model_is_found_beside_the_skills_code():
    assert find_model(PizzaPolicy).source.endswith('skills/pizza/model/en-US.json')
    assert find_model(EchoPolicy) is None


def test_an_order_moves_the_machine_and_follows_the_dialog(client):
    launched = client.post('/console/api/launch', headers=OK, json={}).json
    assert launched['state'] == 'initial' and launched['in_session']
    ordering = say(client, 'order a pizza')
    entry = ordering['entries'][-1]
    # Dialog.Delegate: the skill says nothing, Alexa asks with the model's prompt
    assert entry['turns'][0]['speech'] is None
    assert entry['notes'] == ['Alexa: What size would you like: small, medium, large or '
                              'extra large?']
    assert ordering['waiting_for']['elicit'] == 'size'
    turn = say(client, 'family size')['entries'][-1]['turns'][0]
    slots = turn['request']['request']['intent']['slots']
    assert slots['size']['value'] == 'family'  # the slot's sample '{size} size'
    assert turn['speech'].startswith('So far, a large pizza.')
    fired = turn['transition']
    assert (fired['trigger'], fired['dest'], turn['state_before']) == \
        ('OrderPizzaIntent', 'order.asking', 'order.asking')
    edges = drawn_edges(machine_of(PizzaPolicy))
    assert edge_key(edges[fired['edge']]).trigger == 'OrderPizzaIntent'
    for text in ('thin crust', 'ham', 'delivery'):
        snapshot = say(client, text)
    assert snapshot['state'] == 'order.confirming'
    assert {'initial', 'order.asking', 'order.confirming'} <= set(snapshot['visited_states'])
    assert snapshot['last_edge'] in snapshot['visited_edges']
    assert snapshot['session_attributes']['order']['toppingOne'] == 'HAM'
    # the unfinished order is kept for the next launch, in the console's memory store
    assert snapshot['persistent']['store'] == 'memory://'
    resume = snapshot['persistent']['attributes']['alexafsm']['resume']  # alexafsm.dialogs'
    assert resume['state'] == 'order.confirming' and resume['data']['order']['size'] == 'LARGE'


def test_one_shot_ends_the_open_session_first(client):
    client.post('/console/api/launch', headers=OK, json={})
    snapshot = say(client, 'what toppings do you have', one_shot=True)
    kinds = [entry['kind'] for entry in snapshot['entries']]
    assert kinds == ['launch', 'end', 'one-shot']
    one_shot = snapshot['entries'][-1]['turns'][0]['request']
    assert one_shot['session']['new'] is True


def test_an_intent_picked_from_the_model_gets_the_dialog_state_alexa_sends(client):
    reply = client.post('/console/api/say', headers=OK, json={
        'intent': 'OrderPizzaIntent', 'slots': {'size': 'small', 'crust': ''}}).json
    request = reply['entries'][-1]['turns'][0]['request']['request']
    assert request['dialogState'] == 'STARTED'
    assert request['intent']['slots']['size']['value'] == 'small'
    assert 'value' not in request['intent']['slots']['crust']
    wrong = client.post('/console/api/say', headers=OK, json={'intent': 'PizzaIntent'})
    assert wrong.status_code == 400 and 'OrderPizzaIntent' in wrong.json['message']


def test_ending_a_session_that_is_not_open_says_what_to_do(client):
    reply = client.post('/console/api/end', headers=OK, json={'reason': 'USER_INITIATED'})
    assert reply.status_code == 400
    assert 'new session' in reply.json['message']


def test_response_problems_are_shown_on_the_turn_that_has_them():
    """The fuzzer's fixture that adds a reprompt to its goodbye: the checks the fuzzer applies
    flag that turn, and only that one."""
    model = load_model(REPO / 'tests' / 'fixtures' / 'fuzzing' / 'model.json')
    client = console_app(InvalidResponsePolicy, model).test_client()
    client.post('/console/api/launch', headers=OK, json={})
    fine = say(client, 'pick the apple please')['entries'][-1]['turns'][0]
    assert fine['problems'] == []
    goodbye = say(client, 'stop')['entries'][-1]['turns'][0]
    assert goodbye['should_end']
    assert [problem['code'] for problem in goodbye['problems']] == ['reprompt-on-end']
    assert 'leave the reprompt out' in goodbye['problems'][0]['message']


def test_the_dialog_stack_is_shown_when_the_skill_keeps_one(client):
    assert client.post('/console/api/launch', headers=OK, json={}).json['dialog_stack'] is None
    stacked = console_app(StackedPizzaPolicy, find_model(PizzaPolicy)).test_client()
    snapshot = stacked.post('/console/api/launch', headers=OK, json={}).json
    assert snapshot['dialog_stack'] == STACK


def test_console_without_a_model_says_where_it_looked_and_what_to_pass():
    result = CliRunner().invoke(main, ['console', 'tests.fixtures.echo_skill'])
    assert result.exit_code == 2
    assert 'no interaction model found beside' in result.output and '--model' in result.output


def test_state_details_show_transitions_and_the_responder(client):
    details = client.get('/console/api/states/order.confirming', headers=OK).json
    assert details['responder']['name'] == 'PizzaOrder.confirming'
    assert details['responder']['where'].endswith('skills/pizza/states.py:' +
                                                  details['responder']['where'].rsplit(':')[-1])
    assert any(t['trigger'] == 'OrderPizzaIntent' for t in details['out'])
    assert any(t['dest'] == 'order.confirming' for t in details['in'])
    # a transition declared from any state comes in once, as drawn, not once per source state
    helping = client.get('/console/api/states/helping', headers=OK).json['in']
    shown = [json.dumps(t, sort_keys=True) for t in helping]
    assert len(shown) == len(set(shown))
    assert [t['source'] for t in helping if t['trigger'] == 'AMAZON.HelpIntent'] == ['*']
    assert client.get('/console/api/states/nowhere', headers=OK).status_code == 400


def test_the_graph_is_the_drawing_of_alexafsm_graph_with_ids(client):
    svg = client.get('/console/api/graph', headers=OK).data.decode()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg
    assert 'id="state:initial"' in svg and 'id="state:order.confirming"' in svg
    assert svg.count('id="edge:') == len(drawn_edges(machine_of(PizzaPolicy)))


def test_a_saved_story_replays_with_alexafsm_stories(client, tmp_path):
    client.post('/console/api/launch', headers=OK, json={})
    for text in ('order a pizza', 'large', 'deep dish', 'mushrooms', 'pickup', 'yes'):
        say(client, text)
    path = tmp_path / 'console.story.yaml'
    saved = client.post('/console/api/story', headers=OK,
                        json={'name': 'ordered in the console', 'path': str(path)}).json
    assert saved['path'] == str(path) and path.read_text() == saved['yaml']
    assert 'model: ' in saved['yaml'] and 'state: placed' in saved['yaml']
    again = client.post('/console/api/story', headers=OK, json={'name': 'x', 'path': str(path)})
    assert again.status_code == 400 and 'exists' in again.json['message']
    run = subprocess.run([str(ALEXAFSM), 'stories', 'skills.pizza', str(path)], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'all 1 stories passed' in run.stdout


def test_a_recording_is_replayed_turn_by_turn(client):
    text = (REPO / 'skills' / 'pizza' / 'recordings' / 'ordering.jsonl').read_text()
    loaded = client.post('/console/api/recording', headers=OK,
                         json={'name': 'ordering.jsonl', 'text': text}).json
    total = loaded['recording']['total']
    assert total == len([line for line in text.splitlines() if line.strip()])
    for position in range(1, total + 1):
        snapshot = client.post('/console/api/recording/step', headers=OK, json={}).json
        assert snapshot['recording']['position'] == position
        assert snapshot['entries'][-1]['differences'] == []
    done = client.post('/console/api/recording/step', headers=OK, json={})
    assert done.status_code == 400 and 'replayed' in done.json['message']
    # a recorded answer the skill no longer gives is shown with what changed
    changed = text.replace('Welcome to Pizza Palace.', 'Welcome to Pizza Hall.', 1)
    client.post('/console/api/recording', headers=OK, json={'name': 'old.jsonl', 'text': changed})
    entry = client.post('/console/api/recording/step', headers=OK, json={}).json['entries'][-1]
    assert entry['said'] == 'old.jsonl:1'
    assert entry['differences'][:2] == [
        'speech:', '  expected: "Welcome to Pizza Hall. Would you like to order a pizza?"']
    broken = client.post('/console/api/recording', headers=OK, json={'text': 'not json'})
    assert broken.status_code == 400 and 'not JSON' in broken.json['message']


@pytest.mark.parametrize('headers, body, why', [
    ({}, {}, 'X-Alexafsm-Console'),
    ({**OK, 'Origin': 'http://evil.example'}, {}, 'cross-origin'),
    ({**OK, 'Origin': 'http://localhost:1'}, {}, 'cross-origin'),
    ({**OK, 'Sec-Fetch-Site': 'cross-site'}, {}, 'cross-site'),
    ({**OK, 'Sec-Fetch-Site': 'same-site'}, {}, 'same-site'),
    ({**OK, 'Origin': 'null'}, {}, 'opaque'),
    ({**OK, 'Host': 'rebound.example:80'}, {}, 'this machine'),
])
def test_requests_from_other_origins_are_refused(client, headers, body, why):
    reply = client.post('/console/api/launch', headers=headers, json=body)
    assert reply.status_code == 403
    assert why in reply.json['message']
    assert client.get('/console/api/state', headers=OK).json['entries'] == []


def test_the_api_takes_only_json(client):
    reply = client.post('/console/api/say', headers=OK, data='text=hello',
                        content_type='application/x-www-form-urlencoded')
    assert reply.status_code == 403 and 'JSON' in reply.json['message']


def test_the_page_is_same_origin_only_and_never_framed(client):
    page = client.get('/console/')
    assert page.status_code == 200 and b'console.js' in page.data
    assert page.headers['X-Frame-Options'] == 'DENY'
    assert "default-src 'self'" in page.headers['Content-Security-Policy']
    assert client.get('/console/static/console.js').status_code == 200
    assert client.get('/console').status_code == 308


def test_without_dev_mode_there_is_no_console():
    app = create_app(PizzaPolicy, dev=True)  # the app serve builds; only --dev mounts more
    assert app.test_client().get('/console/').status_code == 404


def test_every_asset_is_in_the_package_and_nothing_is_fetched_from_elsewhere():
    static = REPO / 'alexafsm' / 'console' / 'static'
    for path in static.iterdir():
        text = path.read_text()
        assert 'http://' not in text and 'https://' not in text and '//cdn' not in text, path
    setup = (REPO / 'setup.py').read_text()
    assert "'alexafsm.console.static': ['*.html', '*.css', '*.js']" in setup
    assert {path.suffix for path in static.iterdir()} == {'.html', '.css', '.js'}


@pytest.mark.integration
def test_serve_dev_mounts_the_console_and_serve_without_dev_does_not():
    import http.client

    def get(port, path, headers=None):
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        try:
            connection.request('GET', path, headers=headers or {})
            reply = connection.getresponse()
            return reply.status, reply.read()
        finally:
            connection.close()

    with serving('--dev', skill='skills.pizza') as (port, output):
        assert f'Console on http://127.0.0.1:{port}/console/\n' in output
        status, page = get(port, '/console/')
        assert status == 200 and b'console.js' in page
        status, body = get(port, '/console/api/state', OK)
        assert status == 200 and json.loads(body)['skill'] == 'skills.pizza.policy:PizzaPolicy'
    with serving(skill='skills.pizza') as (port, output):
        assert not any('Console' in line for line in output)
        assert get(port, '/console/')[0] == 404
        assert get(port, '/console/api/state', OK)[0] == 404
