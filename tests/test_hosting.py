"""The Flask host end to end: verification mapped to HTTP, limits, dev mode, recording, failures.

The fine-grained verification rules are tested in test_verify.py; here each rule is driven
through the Flask test client once passing and once failing, to prove the HTTP mapping.
"""
import json
import logging
import threading
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from alexafsm.hosting import RequestVerifier
from alexafsm.hosting import create_app
from alexafsm.hosting.endpoint import MAX_BODY_BYTES
from alexafsm.transcript import REDACTED
from tests.certs import CERT_URL
from tests.certs import make_pki
from tests.fixtures.echo_skill import BREAK_INTENT
from tests.fixtures.echo_skill import ECHO_INTENT
from tests.fixtures.echo_skill import EchoPolicy
from tests.fixtures.memory_echo import MemoryEcho
from tests.oracle import assert_valid_response

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
APP_ID = 'amzn1.ask.skill.11111111-2222-3333-4444-555555555555'
OTHER_APP_ID = 'amzn1.ask.skill.99999999-8888-7777-6666-555555555555'


@pytest.fixture(scope='module')
def pki():
    return make_pki(NOW)


def alexa_request(intent=None, phrase=None, *, timestamp=NOW, app_id=APP_ID, attributes=None,
                  request_id='amzn1.echo-api.request.1', access_token=None):
    ids = {'applicationId': app_id}
    user = {'userId': 'amzn1.ask.account.TEST'}
    if access_token:
        user['accessToken'] = access_token
    body = {'type': 'LaunchRequest', 'requestId': request_id, 'locale': 'en-US',
            'timestamp': timestamp.strftime('%Y-%m-%dT%H:%M:%SZ')}
    if intent:
        slots = {'phrase': {'name': 'phrase', 'value': phrase, 'confirmationStatus': 'NONE'}}
        body.update(type='IntentRequest', dialogState='COMPLETED',
                    intent={'name': intent, 'confirmationStatus': 'NONE',
                            'slots': slots if phrase else {}})
    system = {'application': ids, 'user': dict(user), 'device': {'deviceId': 'amzn1.ask.device.T',
                                                                 'supportedInterfaces': {}},
              'apiEndpoint': 'https://api.amazonalexa.com'}
    if access_token:
        system['apiAccessToken'] = access_token
    return {'version': '1.0',
            'session': {'new': attributes is None, 'sessionId': 'amzn1.echo-api.session.1',
                        'application': ids, 'attributes': attributes or {}, 'user': user},
            'context': {'System': system},
            'request': body}


def encode(request):
    return json.dumps(request).encode()


def verified_app(pki, *, now=NOW, **options):
    verifier = RequestVerifier(trust_roots=[pki.root], fetch_chain=lambda url: pki.chain_pem,
                               now=lambda: now)
    return create_app(EchoPolicy, verifier=verifier, **options)


def post(app, body, headers=None, path='/'):
    response = app.test_client().post(path, data=body, headers=headers or {},
                                      content_type='application/json')
    envelope = response.get_json()
    if response.status_code == 200:
        assert_valid_response(envelope)
    return response.status_code, envelope


def speech(envelope):
    return envelope['response']['outputSpeech']['text']


# -- verification, rule by rule, through HTTP ---------------------------------------------------

def signed(pki, body, url=CERT_URL):
    return pki.headers(body, url=url)


def without_sha256(pki, body):
    return {'SignatureCertChainUrl': CERT_URL, 'Signature': pki.sign(body)}


RULES = {
    # rule: (passing request, failing request, words of the failure message); each request is
    # (the PKI the server trusts and fetches -> the PKI that signs, body -> headers, body)
    'signature header': (
        (lambda p: p, signed, encode(alexa_request())),
        (lambda p: p, without_sha256, encode(alexa_request())),
        'only the legacy SHA-1 Signature header is present'),
    'certificate URL': (
        (lambda p: p, lambda p, b: signed(p, b, 'https://s3.amazonaws.com:443/echo.api/../'
                                               'echo.api/echo-api-cert.pem'),
         encode(alexa_request())),
        (lambda p: p, lambda p, b: signed(p, b, 'https://s3.amazonaws.com/EcHo.aPi/cert.pem'),
         encode(alexa_request())),
        'must have a path starting with /echo.api/'),
    'chain of trust': (
        (lambda p: p, signed, encode(alexa_request())),
        (lambda p: p.untrusted(), signed, encode(alexa_request())),
        'does not lead to a trusted root'),
    'certificate dates': (
        (lambda p: p, signed, encode(alexa_request())),
        (lambda p: p.expired(), signed, encode(alexa_request())),
        'signing certificate expired'),
    'certificate name': (
        (lambda p: p, signed, encode(alexa_request())),
        (lambda p: p.wrong_san(), signed, encode(alexa_request())),
        'do not include echo-api.amazon.com'),
    'signature over the body': (
        (lambda p: p, signed, encode(alexa_request())),
        (lambda p: p, lambda p, b: signed(p, b.replace(b'LaunchRequest', b'IntentRequest')),
         encode(alexa_request())),
        'does not match the request body'),
    'timestamp': (
        (lambda p: p, signed, encode(alexa_request(timestamp=NOW - timedelta(seconds=140)))),
        (lambda p: p, signed, encode(alexa_request(timestamp=NOW - timedelta(seconds=160)))),
        'may be a replay'),
    'application id': (
        (lambda p: p, signed, encode(alexa_request(app_id=APP_ID))),
        (lambda p: p, signed, encode(alexa_request(app_id=OTHER_APP_ID))),
        f"application id '{OTHER_APP_ID}'"),
}


def serve_variant(pki, variant, sign, body):
    """An app trusting ``pki``'s root, whose chain URL serves ``variant``'s chain."""
    server_pki = variant(pki)
    verifier = RequestVerifier(trust_roots=[pki.root],
                               fetch_chain=lambda url: server_pki.chain_pem, now=lambda: NOW)
    app = create_app(EchoPolicy, verifier=verifier, application_ids=[APP_ID])
    return post(app, body, sign(server_pki, body))


@pytest.mark.parametrize('rule', RULES)
def test_each_verification_rule_passes_and_fails_over_http(pki, rule):
    passing, failing, words = RULES[rule]

    status, envelope = serve_variant(pki, *passing)
    assert status == 200
    assert speech(envelope).startswith('Welcome to Echo')

    status, error = serve_variant(pki, *failing)
    assert status == 400
    assert error['error'] == 'verification_failed'
    assert words in error['message']
    assert 'Traceback' not in json.dumps(error)


def test_verification_is_on_by_default(caplog):
    app = create_app(EchoPolicy)  # Amazon's roots; the missing headers fail before any download

    status, error = post(app, encode(alexa_request()))

    assert (status, error['error']) == (400, 'verification_failed')
    assert 'SignatureCertChainUrl header is missing' in error['message']
    assert not [r for r in caplog.records if 'DEV MODE' in r.getMessage()]


def test_signed_malformed_json_is_400_malformed_json(pki):
    for body, words in ((b'{"version": "1.0",', 'not valid JSON'),
                        (b'["a", "list"]', 'must be a JSON object')):
        status, error = post(verified_app(pki), body, pki.headers(body))
        assert (status, error['error']) == (400, 'malformed_json')
        assert words in error['message']


# -- HTTP limits and routes ---------------------------------------------------------------------

def test_body_over_the_cap_is_413_and_at_the_cap_is_read(pki):
    app = verified_app(pki)
    over = b' ' * (MAX_BODY_BYTES + 1)
    status, error = post(app, over, pki.headers(over))
    assert (status, error['error']) == (413, 'too_large')
    assert str(MAX_BODY_BYTES) in error['message']

    padded = encode(alexa_request())
    padded += b' ' * (MAX_BODY_BYTES - len(padded))  # JSON allows trailing whitespace
    status, envelope = post(app, padded, pki.headers(padded))
    assert status == 200
    assert speech(envelope).startswith('Welcome to Echo')


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
def test_wrong_method_is_405_with_json(pki, method):
    response = verified_app(pki).test_client().open('/', method=method)

    assert response.status_code == 405
    assert response.mimetype == 'application/json'
    assert response.get_json()['error'] == 'method_not_allowed'
    assert 'POST' in response.headers['Allow']


def test_unknown_path_is_404_with_json(pki):
    response = verified_app(pki).test_client().post('/nope', data=b'{}')

    assert response.status_code == 404
    assert response.get_json()['error'] == 'not_found'


def test_health_answers_200_without_verification(pki):
    response = verified_app(pki).test_client().get('/health')

    assert response.status_code == 200
    assert response.get_json() == {'status': 'ok'}


def test_custom_path(pki):
    app = verified_app(pki, path='/alexa')
    body = encode(alexa_request())

    assert post(app, body, pki.headers(body), path='/alexa')[0] == 200
    assert post(app, body, pki.headers(body), path='/')[0] == 404


# -- dev mode -----------------------------------------------------------------------------------

def test_dev_mode_skips_verification_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger='alexafsm.hosting'):
        app = create_app(EchoPolicy, dev=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any('DEV MODE' in r.getMessage() and 'NOT verified' in r.getMessage()
               for r in warnings)

    status, envelope = post(app, encode(alexa_request(timestamp=NOW - timedelta(days=900))))
    assert status == 200
    assert speech(envelope).startswith('Welcome to Echo')


def test_dev_mode_still_checks_json_and_application_id():
    app = create_app(EchoPolicy, dev=True, application_ids=[APP_ID])

    status, error = post(app, b'not json')
    assert (status, error['error']) == (400, 'malformed_json')

    status, error = post(app, encode(alexa_request(app_id=OTHER_APP_ID)))
    assert (status, error['error']) == (400, 'verification_failed')
    assert OTHER_APP_ID in error['message']


def test_a_conversation_carries_its_session_across_turns():
    app = create_app(EchoPolicy, dev=True)
    attributes = None
    for turn, phrase in enumerate(['one', 'two', 'three'], start=1):
        status, envelope = post(app, encode(alexa_request(ECHO_INTENT, phrase,
                                                          attributes=attributes)))
        assert status == 200
        assert speech(envelope) == f"You said: {phrase}"
        attributes = envelope['sessionAttributes']
        assert attributes['echoes'] == turn


# -- failures in skill code and in the host -----------------------------------------------------

def test_exception_in_skill_code_is_a_spoken_apology_logged_with_the_request_id(caplog):
    app = create_app(EchoPolicy, dev=True)
    request = alexa_request(BREAK_INTENT, attributes={'state': 'echoing', 'echoes': 4},
                            request_id='amzn1.echo-api.request.BROKEN')

    status, envelope = post(app, encode(request))

    assert status == 200
    assert speech(envelope).startswith('Sorry, something went wrong')
    assert envelope['sessionAttributes']['echoes'] == 4  # the session survives
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any('amzn1.echo-api.request.BROKEN' in r.getMessage() and r.exc_info
               for r in errors)


class HandleRaises(EchoPolicy):
    def handle(self, request, voice_insights=None, record_filename=None):
        raise RuntimeError("handle itself is broken")


class InitializeRaises(EchoPolicy):
    def __init__(self, states, request=None, with_graph=False):
        raise ConnectionError("the user database is down")


class AnswersNaN(EchoPolicy):
    def handle(self, request, voice_insights=None, record_filename=None):
        return {'version': '1.0', 'response': {}, 'sessionAttributes': {'x': float('nan')}}


@pytest.mark.parametrize('policy_cls', [HandleRaises, InitializeRaises, AnswersNaN])
def test_a_failing_host_path_is_still_a_200_apology(policy_cls, caplog, tmp_path):
    record = tmp_path / 'turns.jsonl'
    app = create_app(policy_cls, dev=True, record_to=str(record))
    request = alexa_request(ECHO_INTENT, 'hi', attributes={'state': 'echoing', 'echoes': 2},
                            request_id='amzn1.echo-api.request.HOST')

    status, envelope = post(app, encode(request))

    assert status == 200
    assert speech(envelope).startswith('Sorry, something went wrong')
    assert envelope['sessionAttributes'] == {'state': 'echoing', 'echoes': 2}
    assert any('amzn1.echo-api.request.HOST' in r.getMessage() and r.exc_info
               for r in caplog.records if r.levelno >= logging.ERROR)
    assert json.loads(record.read_text())[1] == envelope


def test_an_error_outside_the_endpoint_is_a_json_500_without_a_trace(caplog):
    app = create_app(EchoPolicy, dev=True)
    app.add_url_rule('/extra', view_func=lambda: 1 / 0)  # a route an application added

    response = app.test_client().get('/extra')

    assert response.status_code == 500
    assert response.get_json() == {'error': 'internal_error',
                                   'message': 'the server failed; see its log'}
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


# -- recording ----------------------------------------------------------------------------------

def test_record_to_appends_each_turn_with_tokens_redacted(pki, tmp_path):
    record = tmp_path / 'turns.jsonl'
    app = verified_app(pki, record_to=str(record))
    sent, answers = [], []
    for phrase in ('hello', 'again'):
        request = alexa_request(ECHO_INTENT, phrase, access_token='Atza|SECRET')
        body = encode(request)
        status, envelope = post(app, body, pki.headers(body))
        assert status == 200
        sent.append(request)
        answers.append(envelope)
    rejected = encode(alexa_request())
    assert post(app, rejected, {})[0] == 400  # refused requests are not recorded

    lines = record.read_text().splitlines()
    assert len(lines) == 2
    for line, request, envelope in zip(lines, sent, answers):
        recorded_request, recorded_response = json.loads(line)
        assert recorded_response == envelope
        assert recorded_request['session']['user']['accessToken'] == REDACTED
        assert recorded_request['context']['System']['apiAccessToken'] == REDACTED
        assert recorded_request['request'] == request['request']
    assert 'SECRET' not in record.read_text()


def test_concurrent_recording_loses_no_line(tmp_path):
    record = tmp_path / 'turns.jsonl'
    app = create_app(EchoPolicy, dev=True, record_to=str(record))
    threads, per_thread = 8, 25
    failures = []

    def talk(t):
        client = app.test_client()
        for i in range(per_thread):
            request = alexa_request(ECHO_INTENT, f'{t}-{i}', request_id=f'req-{t}-{i}')
            response = client.post('/', data=encode(request), content_type='application/json')
            if response.status_code != 200:
                failures.append(response.status_code)

    workers = [threading.Thread(target=talk, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    turns = [json.loads(line) for line in record.read_text().splitlines()]
    assert sorted(request['request']['requestId'] for request, _ in turns) == \
        sorted(f'req-{t}-{i}' for t in range(threads) for i in range(per_thread))
    for request, response in turns:
        phrase = request['request']['intent']['slots']['phrase']['value']
        assert response['response']['outputSpeech']['text'] == f"You said: {phrase}"


# -- configuration mistakes fail at start-up ----------------------------------------------------

def test_unknown_options_are_named():
    # keyword-only parameters: Python itself refuses a misspelt option, naming it
    with pytest.raises(TypeError, match=r"create_app\(\) got an unexpected keyword argument "
                                        r"'recrd_to'"):
        create_app(EchoPolicy, dev=True, recrd_to='x')
    with pytest.raises(TypeError, match="store must be a URL such as memory://"):
        create_app(EchoPolicy, dev=True, store=object())
    with pytest.raises(TypeError, match=r"analytics must be objects with a track\(request"):
        create_app(EchoPolicy, dev=True, analytics=object())


@pytest.mark.parametrize('kwargs, error, words', [
    ({'dev': True, 'verifier': RequestVerifier()}, ValueError, 'pass one or the other'),
    ({'path': '/health'}, ValueError, "differ from /health"),
    ({'path': 'alexa'}, ValueError, "must start with '/'"),
    ({'application_ids': []}, ValueError, 'application_ids is empty'),
    ({'record_to': '/no/such/dir/turns.jsonl'}, ValueError, 'existing, writable directory'),
])
def test_bad_configuration_fails_at_start_up(kwargs, error, words):
    with pytest.raises(error, match=words):
        create_app(EchoPolicy, **kwargs)


def test_policy_must_be_a_policy_class():
    with pytest.raises(TypeError, match='Policy subclass'):
        create_app(EchoPolicy.initialize())



def test_a_store_given_to_create_app_keeps_persistent_attributes_across_sessions():
    from alexafsm.persistence import MemoryStore
    store = MemoryStore()
    app = create_app(MemoryEcho, dev=True, store=store)
    for _ in range(3):  # three sessions: no session attributes carried between them
        status, envelope = post(app, encode(alexa_request(ECHO_INTENT, 'hi')))
        assert status == 200 and envelope['sessionAttributes']['echoes'] == 1
    assert json.loads(store.load('amzn1.ask.account.TEST').text)['echoes'] == 3


def test_store_typos_and_bad_urls_fail_at_start_up():
    with pytest.raises(ValueError, match='sqlite'):
        create_app(EchoPolicy, dev=True, store='sqlite://')
    with pytest.raises(TypeError, match="unexpected keyword argument 'stor'"):
        create_app(EchoPolicy, dev=True, stor='memory://')
