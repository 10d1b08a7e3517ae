"""AWS Lambda: real request envelopes through lambda_handler, application ids, refusals."""
import inspect
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from alexafsm import response
from alexafsm.hosting import RejectedRequest
from alexafsm.hosting import VerificationError
from alexafsm.hosting import lambda_handler
from alexafsm.hosting.endpoint import MAX_BODY_BYTES
from tests.fixtures.echo_skill import BREAK_INTENT
from tests.fixtures.echo_skill import ECHO_INTENT
from tests.fixtures.echo_skill import EchoPolicy
from tests.oracle import assert_valid_response
from tests.paths import SAMPLES

ENVELOPES = SAMPLES.params('requests/*.json')
OTHER_APP_ID = 'amzn1.ask.skill.99999999-8888-7777-6666-555555555555'


def load(path):
    return json.loads(path.read_text())


def application_id(event):
    for holder in (event.get('session'), event.get('context', {}).get('System')):
        if holder and 'application' in holder:
            return holder['application']['applicationId']


def test_there_are_envelopes_of_every_kind():
    kinds = {load(path)['request']['type'] for path in SAMPLES.files('requests/*.json')}
    assert kinds >= {'LaunchRequest', 'IntentRequest', 'SessionEndedRequest',
                     'CanFulfillIntentRequest', 'System.ExceptionEncountered'}


@pytest.mark.parametrize('path', ENVELOPES, ids=lambda p: p.stem)
def test_every_shared_envelope_gets_a_valid_answer(path):
    event = load(path)
    handler = lambda_handler(EchoPolicy, application_ids=[application_id(event)])

    envelope = handler(event, None)

    assert_valid_response(envelope)
    kind = event['request']['type']
    spoken = envelope['response'].get('outputSpeech', {}).get('text')
    if kind == 'LaunchRequest':
        assert spoken.startswith('Welcome to Echo')
    elif kind == 'IntentRequest':  # no sample uses the echo skill's intents
        assert spoken == response.NOT_UNDERSTOOD.speech
    elif kind == 'CanFulfillIntentRequest':
        assert envelope['response']['canFulfillIntent']['canFulfill'] == 'NO'
    else:
        assert envelope['response'] == {}


@pytest.mark.parametrize('path', ENVELOPES, ids=lambda p: p.stem)
def test_an_event_for_another_skill_raises_and_is_logged(path, caplog):
    event = load(path)
    handler = lambda_handler(EchoPolicy, application_ids=[OTHER_APP_ID])

    with pytest.raises(RejectedRequest) as raised:
        handler(event, None)

    assert isinstance(raised.value, VerificationError)
    assert application_id(event) in str(raised.value)
    assert any(application_id(event) in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)


def test_a_conversation_over_lambda():
    handler = lambda_handler(EchoPolicy)
    event = load(SAMPLES.path('requests', 'jovo.LaunchRequest.json'))
    attributes = handler(event, None)['sessionAttributes']
    for turn, phrase in enumerate(['one', 'two'], start=1):
        event = dict(event, session=dict(event['session'], new=False, attributes=attributes),
                     request={'type': 'IntentRequest', 'requestId': f'r{turn}',
                              'timestamp': '2015-05-13T12:34:56Z', 'locale': 'en-US',
                              'intent': {'name': ECHO_INTENT, 'confirmationStatus': 'NONE',
                                         'slots': {'phrase': {'name': 'phrase', 'value': phrase,
                                                              'confirmationStatus': 'NONE'}}}})
        envelope = handler(event, None)
        assert_valid_response(envelope)
        assert envelope['response']['outputSpeech']['text'] == f'You said: {phrase}'
        attributes = envelope['sessionAttributes']
        assert attributes['echoes'] == turn


def test_skill_exception_is_an_apology_not_a_failed_invocation():
    event = load(SAMPLES.path('requests', 'jovo.IntentRequest1.json'))
    event['request']['intent']['name'] = BREAK_INTENT

    envelope = lambda_handler(EchoPolicy)(event, None)

    assert_valid_response(envelope)
    assert envelope['response']['outputSpeech']['text'] == response.apology().speech


@pytest.mark.parametrize('event, kind', [
    (['not', 'an', 'object'], 'malformed_json'),
    ('{"version": ', 'malformed_json'),
    (' ' * (MAX_BODY_BYTES + 1), 'too_large'),
])
def test_malformed_events_raise(event, kind):
    with pytest.raises(RejectedRequest) as raised:
        lambda_handler(EchoPolicy)(event, None)
    assert raised.value.kind == kind


def test_a_json_string_event_is_parsed():
    event = SAMPLES.path('requests', 'jovo.LaunchRequest.json').read_text()

    envelope = lambda_handler(EchoPolicy)(event, None)

    assert envelope['response']['outputSpeech']['text'].startswith('Welcome to Echo')


def test_record_to_on_lambda(tmp_path):
    record = tmp_path / 'turns.jsonl'
    event = load(SAMPLES.path('requests', 'jovo.IntentRequestWithSlotResolution.json'))

    envelope = lambda_handler(EchoPolicy, record_to=str(record))(event, None)

    recorded_request, recorded_response = json.loads(record.read_text())
    assert recorded_response == envelope
    assert recorded_request['request'] == event['request']
    assert recorded_request['context']['System']['user']['permissions']['consentToken'] == \
        'REDACTED'


def test_unknown_options_are_refused():
    with pytest.raises(TypeError, match=r"lambda_handler\(\) got an unexpected keyword "
                                        r"argument 'application_id'"):
        lambda_handler(EchoPolicy, application_id='amzn1.ask.skill.x')
    with pytest.raises(TypeError, match="store must be a URL"):
        lambda_handler(EchoPolicy, store=42)


def test_lambda_handler_takes_create_app_s_options_under_the_same_names():
    from alexafsm.hosting.flask_app import create_app

    def options(function):
        return {name: (parameter.kind, parameter.default, parameter.annotation)
                for name, parameter in inspect.signature(function).parameters.items()
                if name != 'policy_cls'}

    on_lambda, on_flask = options(lambda_handler), options(create_app)
    assert sorted(on_lambda) == ['analytics', 'application_ids', 'record_to', 'store']
    assert {name: on_flask[name] for name in on_lambda} == on_lambda
    assert {kind for kind, _, _ in on_flask.values()} == {inspect.Parameter.KEYWORD_ONLY}


def test_a_store_keeps_persistent_attributes_between_invocations():
    from alexafsm.persistence import MemoryStore
    from tests.fixtures.memory_echo import MemoryEcho
    from tests.test_hosting import alexa_request

    store = MemoryStore()
    handler = lambda_handler(MemoryEcho, store=store)
    for _ in range(2):
        out = handler(alexa_request(ECHO_INTENT, 'hi'), None)
        assert out['sessionAttributes']['echoes'] == 1  # a new session each time
    assert json.loads(store.load('amzn1.ask.account.TEST').text)['echoes'] == 2


def test_lambda_does_not_import_flask():
    code = ('import sys; from alexafsm.hosting import lambda_handler; '
            'from tests.fixtures.echo_skill import EchoPolicy; lambda_handler(EchoPolicy); '
            'print(sorted(m for m in ("flask", "werkzeug") if m in sys.modules))')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == '[]'
