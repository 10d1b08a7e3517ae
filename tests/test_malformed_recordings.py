"""Tools on recorded traffic that a broken client sent: every turn replayed or reported, no crash.

``alexafsm serve --record`` records what came, as it came: a session id that is a list, a
"request" that is a list, attributes that are a string. Playback and coverage read such turns
like any other, or report each one they cannot read in one line; ``response_problems`` judges
any envelope against any request without raising.
"""
import copy
import json
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List

from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.testing.playback import playback
from alexafsm.testing.response_checks import response_problems
from alexafsm.tools.coverage import coverage
from alexafsm.transcript import append_turn
from tests.fixtures.echo_skill import EchoPolicy
from tests.helpers import base_request
from tests.helpers import intent_request

SKILL = 'tests.fixtures.echo_skill'


def malformed_requests() -> List[Dict[str, Any]]:
    """Requests a broken client might send; the skill answers each (serve --record keeps it)."""
    requests = []
    request = base_request('LaunchRequest')
    request['session']['sessionId'] = ['amzn1.echo-api.session.a', 'b']
    requests.append(request)
    request = intent_request('EchoIntent')
    request['request'] = ['EchoIntent']
    requests.append(request)
    request = intent_request('EchoIntent')
    request['session'] = 'a session'
    requests.append(request)
    request = intent_request('EchoIntent')
    request['session']['attributes'] = ['state']
    requests.append(request)
    request = intent_request('EchoIntent')
    request['request']['intent'] = {'name': ['EchoIntent']}
    requests.append(request)
    request = intent_request('EchoIntent')
    request['session']['attributes'] = {'state': ['echoing']}
    requests.append(request)
    request = intent_request('EchoIntent')
    request['session']['sessionId'] = {'id': 1}
    requests.append(request)
    return requests


def record(path: Path) -> int:
    requests = malformed_requests()
    for request in requests:
        append_turn(str(path), request, EchoPolicy.respond(copy.deepcopy(request)))
    return len(requests)


def test_playback_replays_every_malformed_turn(tmp_path):
    path = tmp_path / 'broken-clients.jsonl'
    turns = record(path)
    report = playback(EchoPolicy, [path])
    assert (report.turns, report.mismatches, report.unreadable) == (turns, [], [])
    assert report.passed
    result = CliRunner().invoke(main, ['playback', SKILL, str(path)])
    assert result.exit_code == 0, result.output
    assert f'{turns} turns' in result.output and 'every response matches' in result.output


def test_a_turn_that_cannot_be_replayed_is_reported_in_one_line(tmp_path):
    path = tmp_path / 'broken-clients.jsonl'
    turns = record(path)

    class Fragile(EchoPolicy):
        @classmethod
        def respond(cls, request, **kwargs):
            if not isinstance(request.get('request'), dict):
                raise TypeError('list indices must be integers or slices, not str')
            return super().respond(request, **kwargs)

    report = playback(Fragile, [path])
    assert report.turns == turns and not report.passed
    assert report.unreadable == [f"{path}:2: unreadable turn, not replayed (TypeError: list "
                                 f"indices must be integers or slices, not str)"]
    assert report.summary().endswith('every response matches, 1 unreadable turn')


def test_a_malformed_recorded_response_shows_as_a_difference(tmp_path):
    path = tmp_path / 'odd-responses.jsonl'
    request = intent_request('EchoIntent')
    for odd in ({'version': '1.0', 'response': ['odd'], 'sessionAttributes': {'state': ['x']}},
                {'version': '1.0', 'response': 'odd', 'sessionAttributes': 'odd'}):
        append_turn(str(path), request, odd)
    report = playback(EchoPolicy, [path])
    assert len(report.mismatches) == 2 and report.unreadable == []
    text = report.report()
    assert 'state: expected ["x"], got "echoing"' in text
    assert 'response: expected "odd"' in text


def test_coverage_counts_every_malformed_turn(tmp_path):
    path = tmp_path / 'broken-clients.jsonl'
    turns = record(path)
    report = coverage(EchoPolicy, [path])
    assert report.turns == turns and report.unreadable == []
    assert report.sessions == 1  # the string session ids only
    result = CliRunner().invoke(main, ['coverage', SKILL, str(path), '--format', 'json'])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)['turns'] == turns


def test_response_problems_never_raises():
    envelope = EchoPolicy.respond(intent_request('EchoIntent'))
    dialog = {'version': '1.0', 'response': {'directives': [
        {'type': 'Dialog.ElicitSlot', 'slotToElicit': 'phrase',
         'updatedIntent': {'name': 'EchoIntent', 'slots': 7}}]}}
    for request in malformed_requests() + [[], 'text', None, {'request': 3}]:
        for answer in (envelope, dialog, {'version': '1.0', 'response': []}, [], None):
            problems = response_problems(request, answer)
            assert all(isinstance(problem.message, str) for problem in problems)
    request = intent_request('EchoIntent')
    request['request'] = ['EchoIntent']
    assert response_problems(request, envelope) == []
