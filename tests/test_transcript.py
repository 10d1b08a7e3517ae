"""Recording turns: one JSON line per turn, whole even when processes write at once, no secrets."""
import json
import multiprocessing

import pytest

from alexafsm.transcript import REDACTED
from alexafsm.transcript import append_turn
from alexafsm.transcript import redact
from tests.helpers import intent_request

BIG = 'x' * 20_000  # lines far over a pipe buffer, so a split write would show


def _writer(path, worker, turns):
    for turn in range(turns):
        request = intent_request('Search', {'Query': f'{worker}-{turn}'})
        append_turn(path, request, {'version': '1.0', 'response': {}, 'padding': BIG})


@pytest.mark.integration
def test_worker_processes_recording_to_one_file_lose_and_mix_no_line(tmp_path):
    path = str(tmp_path / 'turns.jsonl')
    context = multiprocessing.get_context('spawn')  # forking a threaded pytest may deadlock
    workers = [context.Process(target=_writer, args=(path, w, 100)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    lines = open(path, encoding='utf-8').read().splitlines()
    assert len(lines) == 400
    queries = sorted(json.loads(line)[0]['request']['intent']['slots']['Query']['value']
                     for line in lines)
    assert queries == sorted(f'{w}-{t}' for w in range(4) for t in range(100))


def test_tokens_are_redacted_and_the_request_is_not_changed():
    request = intent_request('Search', {'Query': 'x'})
    request['session']['user']['accessToken'] = 'secret-1'
    request['session']['user']['permissions'] = {'consentToken': 'secret-2'}
    request['context']['System']['apiAccessToken'] = 'secret-3'
    request['context']['System']['user']['permissions'] = {'consentToken': 'secret-4'}
    clean = redact(request)
    assert 'secret' not in json.dumps(clean)
    assert clean['context']['System']['apiAccessToken'] == REDACTED
    assert request['session']['user']['accessToken'] == 'secret-1'
    assert redact({'no': 'tokens'}) == {'no': 'tokens'}
