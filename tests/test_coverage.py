"""Coverage of recordings: 0.1.11's functions and results, usage counts, and the command.

The numbers are worked out by hand from tests/fixtures/conversation/pizza.recording.jsonl:
session 1 launch, OrderIntent (no size: asking_size), SizeIntent big (confirming), NoIntent
(asking_size), NavigateHomeIntent (not understood: stays), HelpIntent (helping), StopIntent
(exiting, ends); session 2 OrderIntent small pepperoni (confirming), YesIntent (ordered, ends);
session 3 launch, then the user leaves (SessionEndedRequest).
"""
import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm import amazon_intent
from alexafsm.cli import main
from alexafsm.policy import Policy
from alexafsm.response import Response
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.test_helpers import get_requests_responses
from alexafsm.testing import Conversation
from alexafsm.testing.requests import exception_encountered_request
from alexafsm.testing.requests import launch_request
from alexafsm.testing.requests import session_ended_request
from alexafsm.tools.coverage import coverage
from alexafsm.tools.coverage import events_states_transitions
from alexafsm.tools.coverage import get_dialogs
from alexafsm.tools.coverage import unused_events_states_transitions
from alexafsm.tools.coverage import usage_counts
from alexafsm.tools.coverage import used_events_states_transitions
from tests.fixtures.conversation.pizza import PizzaPolicy
from tests.oracle import assert_valid_response

FIXTURES = Path(__file__).parent / 'fixtures' / 'conversation'
RECORDING = FIXTURES / 'pizza.recording.jsonl'
RECORDED = get_requests_responses(str(RECORDING))
STATES = {'initial', 'helping', 'asking_size', 'confirming', 'ordered', 'specials', 'exiting'}


def test_the_recording_is_what_the_numbers_below_assume():
    dialogs = [get_dialogs(request, response) for request, response in RECORDED]
    assert [(d[1], d[2], d[4]) for d in dialogs] == [
        ('initial', None, 'initial'),
        ('initial', 'OrderIntent', 'asking_size'),
        ('asking_size', 'SizeIntent', 'confirming'),
        ('confirming', 'AMAZON.NoIntent', 'asking_size'),
        ('asking_size', 'AMAZON.NavigateHomeIntent', 'asking_size'),
        ('asking_size', 'AMAZON.HelpIntent', 'helping'),
        ('helping', 'AMAZON.StopIntent', 'exiting'),
        ('initial', 'OrderIntent', 'confirming'),
        ('confirming', 'AMAZON.YesIntent', 'ordered'),
        ('initial', None, 'initial'),
        ('initial', None, None),  # SessionEndedRequest: no intent, no sessionAttributes
    ]
    for _, response in RECORDED:
        assert_valid_response(response)


# 0.1.11's functions

def test_get_dialogs_reads_a_turn_as_0_1_11_did():
    request, response = RECORDED[2]
    request_id, from_state, intent, slots, to_state, speech = get_dialogs(request, response)
    assert request_id == request['request']['requestId']
    assert (from_state, intent, to_state) == ('asking_size', 'SizeIntent', 'confirming')
    assert slots == ['big', None]  # the wire format: slots as a list
    assert speech == 'A large pizza. Shall I order it?'


def test_get_dialogs_survives_turns_without_session_intent_or_speech():
    assert get_dialogs(session_ended_request(), {'version': '1.0', 'response': {}})[2:] == \
        (None, None, None, None)
    failed = exception_encountered_request()
    assert get_dialogs(failed, {'version': '1.0', 'response': {}})[1:] == \
        ('initial', None, None, None, None)
    ssml = {'version': '1.0', 'sessionAttributes': {'state': 'initial'},
            'response': {'outputSpeech': {'type': 'SSML', 'ssml': '<speak>Hi</speak>'}}}
    assert get_dialogs(launch_request(), ssml)[5] == '<speak>Hi</speak>'


def test_events_states_transitions_as_0_1_11_listed_them():
    events, states, transitions = events_states_transitions(PizzaPolicy.initialize())
    assert events == {'OrderIntent', 'SizeIntent', 'SpecialsIntent', amazon_intent.HELP,
                      amazon_intent.YES, amazon_intent.NO, amazon_intent.STOP,
                      amazon_intent.CANCEL}
    assert states == STATES - {'initial', 'exiting'}
    # '*' reaches helping, asking_size, confirming and exiting from each of the 7 states
    expected = {(s, d) for s in STATES for d in ('helping', 'asking_size', 'confirming',
                                                 'exiting')}
    expected |= {('confirming', 'ordered'), ('initial', 'specials')}
    assert transitions == expected and len(transitions) == 30
    assert events_states_transitions(PizzaPolicy) == (events, states, transitions)


def test_used_and_unused_from_the_recording():
    events, states, transitions = used_events_states_transitions(RECORDED)
    assert events == {'OrderIntent', 'SizeIntent', amazon_intent.NO, amazon_intent.HELP,
                      amazon_intent.STOP, amazon_intent.YES, 'AMAZON.NavigateHomeIntent'}
    assert states == {'asking_size', 'confirming', 'helping', 'exiting', 'ordered'}
    assert transitions == {('initial', 'asking_size'), ('asking_size', 'confirming'),
                           ('confirming', 'asking_size'), ('asking_size', 'asking_size'),
                           ('asking_size', 'helping'), ('helping', 'exiting'),
                           ('initial', 'confirming'), ('confirming', 'ordered')}
    unused_events, unused_states, unused_transitions = \
        unused_events_states_transitions(PizzaPolicy.initialize(), RECORDED)
    assert unused_events == {'SpecialsIntent', amazon_intent.CANCEL}
    assert unused_states == {'specials'}
    assert len(unused_transitions) == 30 - 8
    assert ('initial', 'specials') in unused_transitions


class NoExitStates(States):
    def initial(self):
        return Response(speech='Hi', reprompt='Hi')

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'})
    def helping(self):
        return Response(speech='Help', reprompt='Help')


class NoExitPolicy(Policy):
    states_cls = NoExitStates


def test_a_skill_without_an_exiting_state_does_not_crash():
    events, states, transitions = events_states_transitions(NoExitPolicy)
    assert (events, states) == ({amazon_intent.HELP}, {'helping'})
    assert transitions == {('initial', 'helping'), ('helping', 'helping')}
    chat = Conversation(NoExitPolicy)
    chat.launch()
    chat.say(amazon_intent.HELP)
    chat.end()
    recorded = [(t.request, t.response) for t in chat.turns]
    assert unused_events_states_transitions(NoExitPolicy, recorded) == \
        (set(), set(), {('helping', 'helping')})


# usage_counts and the report

def test_usage_counts_has_every_transition_and_counts_the_fired_ones():
    counts = usage_counts(PizzaPolicy, [RECORDING])
    # helping 7, asking_size 7 + NoIntent, confirming 7 + SizeIntent, ordered, specials,
    # exiting 7 by StopIntent + 7 by CancelIntent
    assert len(counts) == 39
    assert {step: n for step, n in counts.items() if n} == {
        ('initial', 'OrderIntent', 'asking_size'): 1,
        ('asking_size', 'SizeIntent', 'confirming'): 1,
        ('confirming', amazon_intent.NO, 'asking_size'): 1,
        ('asking_size', amazon_intent.HELP, 'helping'): 1,
        ('helping', amazon_intent.STOP, 'exiting'): 1,
        ('initial', 'OrderIntent', 'confirming'): 1,
        ('confirming', amazon_intent.YES, 'ordered'): 1,
    }
    assert usage_counts(PizzaPolicy, RECORDING) == counts  # one path is fine too


def test_usage_counts_add_up_over_recordings():
    counts = usage_counts(PizzaPolicy, [RECORDING, RECORDING])
    assert counts[('initial', 'OrderIntent', 'confirming')] == 2
    assert sum(counts.values()) == 14


def test_the_report_lists_used_and_unused_with_counts():
    data = coverage(PizzaPolicy, [RECORDING]).to_json()
    assert (data['turns'], data['sessions']) == (11, 3)
    assert data['states'] == {
        'used': {'initial': 2, 'asking_size': 3, 'confirming': 2, 'exiting': 1, 'helping': 1,
                 'ordered': 1},
        'unused': ['specials']}
    assert data['events']['unused'] == [amazon_intent.CANCEL, 'SpecialsIntent']
    assert sum(data['events']['used'].values()) == 7
    assert data['events']['used']['OrderIntent'] == 2
    assert [(t['source'], t['trigger'], t['dest']) for t in data['transitions']['unused']] == [
        ('*', amazon_intent.CANCEL, 'exiting'), ('initial', 'SpecialsIntent', 'specials')]
    assert len(data['transitions']['used']) == 7
    assert {'source': '*', 'trigger': 'OrderIntent', 'dest': 'confirming',
            'declared_on': 'confirming', 'count': 1} in data['transitions']['used']
    assert data['unmatched'] == [{'state': 'asking_size', 'intent': 'AMAZON.NavigateHomeIntent',
                                  'count': 1}]


def test_a_turn_from_a_state_the_skill_no_longer_has_counts_from_initial(tmp_path):
    request, response = RECORDED[7]  # a new session's OrderIntent -> confirming
    request = json.loads(json.dumps(request))
    request['session']['attributes'] = {'state': 'renamed_state'}
    path = tmp_path / 'old.jsonl'
    path.write_text(json.dumps([request, response]) + '\n')
    fired = {step: n for step, n in usage_counts(PizzaPolicy, [path]).items() if n}
    assert fired == {('initial', 'OrderIntent', 'confirming'): 1}


# The command

def test_cli_text_report():
    result = CliRunner().invoke(main, ['coverage', 'tests.fixtures.conversation.pizza',
                                       str(RECORDING)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == 'coverage of PizzaPolicy: recordings 1, turns 11, sessions 3'
    assert 'states: 6 of 7 used' in lines
    assert '  unused: specials' in lines
    assert 'events: 6 of 8 used' in lines
    assert 'transitions: 7 of 9 used' in lines
    assert "    initial -> specials on SpecialsIntent (declared on state 'specials')" in lines
    assert "    * -> helping on AMAZON.HelpIntent (declared on state 'helping'): 1" in lines
    assert '  AMAZON.NavigateHomeIntent in state asking_size: 1' in lines


def test_cli_json_report_is_the_reports_json():
    result = CliRunner().invoke(main, ['coverage', 'tests.fixtures.conversation.pizza',
                                       str(RECORDING), '--format', 'json'])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == coverage(PizzaPolicy, [RECORDING]).to_json()


def test_cli_refuses_a_file_that_is_no_recording(tmp_path):
    path = tmp_path / 'model.json'
    path.write_text('{"interactionModel": {}}\n')
    result = CliRunner().invoke(main, ['coverage', 'tests.fixtures.conversation.pizza',
                                       str(path)])
    assert result.exit_code == 2
    assert 'model.json:1: not a [request, response] pair' in result.output


# The example skill

@pytest.mark.skipif(importlib.util.find_spec('skills.skillsearch') is None,
                    reason='the Skill Search example is not in this tree')
def test_skillsearch_coverage_of_one_session(tmp_path, monkeypatch):
    from alexafsm.extensions import Extensions
    from alexafsm.persistence import MemoryStore
    from skills.skillsearch import SkillSearchPolicy

    monkeypatch.setattr(SkillSearchPolicy, 'extensions', Extensions(store=MemoryStore()))
    path = tmp_path / 'skillsearch.jsonl'
    chat = Conversation(SkillSearchPolicy, record_to=path)
    chat.launch()
    chat.say('NewSearch', query='pizza')
    chat.say('NextSkill')
    chat.say('DescribeRatings')
    chat.say('AMAZON.YesIntent')
    chat.say('AMAZON.StopIntent')
    for turn in chat.turns:
        assert_valid_response(turn.response)
    fired = {step: n for step, n in usage_counts(SkillSearchPolicy, [path]).items() if n}
    states = [t.state for t in chat.turns]
    assert fired == {(source, turn.request['request']['intent']['name'], dest): 1
                     for source, dest, turn in zip(states, states[1:], chat.turns[1:])}
    assert states == ['initial', 'has_result', 'has_result', 'describe_ratings', 'describing',
                      'is_that_all']
    report = coverage(SkillSearchPolicy, [path]).to_json()
    assert report['states']['used'] == {state: 1 for state in states} | {'has_result': 2}
