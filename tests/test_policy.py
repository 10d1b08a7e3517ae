"""Policy.handle: every request type, bad input and failing skill code get a defined answer."""
import gc
import json
import logging
import subprocess
import sys
import threading
from collections import namedtuple

import pytest

from alexafsm import amazon_intent
from alexafsm import background
from alexafsm import response
from alexafsm.policy import Policy
from alexafsm.policy import ResponseJSON
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.helpers import over_the_wire
from tests.oracle import assert_valid_response
from tests.paths import SAMPLES

Slots = namedtuple('Slots', ['query'])


class Attributes(SessionAttributes):
    slots_cls = Slots

    def __init__(self, intent=None, slots=None, state=INITIAL_STATE, searches=0, query=None):
        super().__init__(intent, slots, state)
        self.searches = searches
        self.query = query


class SearchStates(States):
    session_attributes_cls = Attributes
    skill_name = 'Test Search'

    def initial(self):
        return response.Response(speech='Welcome. What shall I find?', reprompt='What?')

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'})
    def helping(self):
        return response.Response(speech='Say find pizza.', reprompt='What?')

    @with_transitions({'trigger': 'Search', 'source': '*', 'prepare': 'm_search',
                       'conditions': 'm_has_query'})
    def results(self):
        return response.Response(speech=f'You asked for {self.attributes.query}.',
                                 reprompt='More?', card='Results', card_content='none yet')

    @with_transitions({'trigger': 'Crash', 'source': '*'})
    def broken(self):
        raise RuntimeError('skill bug in state broken')

    @with_transitions({'trigger': 'Huge', 'source': '*'})
    def huge(self):
        return response.Response(speech='word ' * 2000, reprompt='')

    @with_transitions({'trigger': amazon_intent.STOP, 'source': '*'})
    def exiting(self):
        return response.end(self.skill_name)


class SearchPolicy(Policy):
    states_cls = SearchStates

    def m_search(self):
        self.attributes.searches += 1
        if self.attributes.slots.query:
            self.attributes.query = self.attributes.slots.query

    def m_has_query(self):
        return bool(self.attributes.slots.query)


def handle(request, policy_cls=SearchPolicy):
    out = policy_cls.initialize().handle(request)
    assert_valid_response(out)
    return over_the_wire(out)


def test_launch_answers_the_initial_state():
    out = handle(base_request('LaunchRequest'))
    assert out['response']['outputSpeech']['text'] == 'Welcome. What shall I find?'
    assert out['sessionAttributes']['state'] == INITIAL_STATE
    assert out['response']['shouldEndSession'] is False


def test_a_conversation_carries_attributes_through_json():
    out = handle(intent_request('Search', {'Query': 'pizza'}))
    assert out['response']['outputSpeech']['text'] == 'You asked for pizza.'
    assert out['sessionAttributes'] == {'intent': 'Search', 'slots': ['pizza'],
                                        'state': 'results', 'searches': 1, 'query': 'pizza'}
    out = handle(intent_request('Search', {'Query': 'tea'}, out['sessionAttributes']))
    assert out['sessionAttributes']['searches'] == 2
    assert out['sessionAttributes']['query'] == 'tea'


def test_when_every_condition_fails_the_state_stays_and_speaks_again():
    first = handle(intent_request('Search', {'Query': 'pizza'}))
    again = handle(intent_request('Search', {'Query': None}, first['sessionAttributes']))
    assert again['sessionAttributes']['state'] == 'results'
    assert again['response']['outputSpeech']['text'] == 'You asked for pizza.'
    assert again['sessionAttributes']['searches'] == 2  # prepare ran, as transitions runs it


def test_an_intent_without_transition_answers_not_understood_and_keeps_state(caplog):
    first = handle(intent_request('Search', {'Query': 'pizza'}))
    with caplog.at_level(logging.INFO, logger='alexafsm.policy'):
        out = handle(intent_request('AMAZON.YesIntent', {}, first['sessionAttributes']))
    assert out['response']['outputSpeech']['text'] == response.NOT_UNDERSTOOD.speech
    assert out['sessionAttributes']['state'] == 'results'
    assert out['sessionAttributes']['query'] == 'pizza'
    assert "Can't trigger event AMAZON.YesIntent from state results" in caplog.text


def test_a_state_removed_by_a_deploy_restarts_from_initial(caplog):
    with caplog.at_level(logging.WARNING):
        out = handle(intent_request('Search', {'Query': 'x'}, {'state': 'old_state'}))
    assert out['sessionAttributes']['state'] == 'results'
    assert "state 'old_state' from the session is not a state of SearchStates" in caplog.text


def test_skill_exceptions_become_an_apology_that_keeps_the_session(caplog):
    attributes = {'state': 'results', 'query': 'pizza', 'searches': 4, 'slots': ['pizza']}
    with caplog.at_level(logging.ERROR):
        out = handle(intent_request('Crash', {}, attributes, request_id='req-42'))
    assert out['response']['outputSpeech']['text'] == response.APOLOGY.speech
    assert out['response']['shouldEndSession'] is False
    assert out['sessionAttributes'] == attributes  # the turn never happened
    assert 'req-42' in caplog.text and 'skill bug in state broken' in caplog.text


def test_respond_answers_even_when_the_skills_init_fails(caplog):
    class Failing(SearchPolicy):
        def __init__(self, states, request=None, with_graph=False):
            raise ConnectionError('user database down')

    attributes = {'state': 'results', 'query': 'pizza'}
    with caplog.at_level(logging.ERROR):
        out = Failing.respond(intent_request('Search', {'Query': 'x'}, attributes))
    assert_valid_response(out)
    assert out.speech == response.APOLOGY.speech and out['sessionAttributes'] == attributes
    assert 'Failing could not be initialized' in caplog.text
    assert SearchPolicy.respond(intent_request('Search', {'Query': 'x'})).speech == \
        'You asked for x.'


def test_a_response_over_alexas_limit_becomes_an_apology(caplog):
    with caplog.at_level(logging.ERROR):
        out = handle(intent_request('Huge', {}))
    assert out['response']['outputSpeech']['text'] == response.APOLOGY.speech
    assert '8,000' in caplog.text
    reply = SearchPolicy.initialize().handle(intent_request('Huge', {}))
    assert reply.speech == response.APOLOGY.speech  # 0.1.11's attribute access agrees


@pytest.mark.parametrize('request_json', [
    None, [], 'text', {}, {'request': 'x'}, {'request': {}},
    {'request': {'type': 'IntentRequest'}},
    {'request': {'type': 'IntentRequest', 'intent': {'name': 'Search', 'slots': 'no dict'}}},
    {'request': {'type': 'IntentRequest', 'intent': {'name': 'Search', 'slots': {'Query': 5}}}},
    {'session': 'x', 'request': {'type': 'IntentRequest', 'intent': {'name': 'Search'}}},
    {'session': {'attributes': []}, 'request': {'type': 'LaunchRequest'}},
    {'session': {'attributes': {'slots': {'bad': 1}, 'searches': 'NaN'}},
     'request': {'type': 'IntentRequest', 'intent': {'name': amazon_intent.HELP}}},
])
def test_bad_input_never_raises(request_json, caplog):
    out = handle(request_json)
    assert out['version'] == '1.0'


def test_session_ended_and_exception_encountered_answer_empty_and_log(caplog):
    ended = base_request('SessionEndedRequest')
    ended['request'].update(reason='ERROR', error={'type': 'INVALID_RESPONSE', 'message': 'bad'})
    with caplog.at_level(logging.INFO):
        assert handle(ended) == {'version': '1.0', 'response': {}}
        exception = json.loads(SAMPLES.path('requests', 'jovo.System.ExceptionEncountered.json')
                               .read_text())
        assert handle(exception) == {'version': '1.0', 'response': {}}
    assert 'reason ERROR, error INVALID_RESPONSE: bad' in caplog.text
    assert 'Alexa could not use our previous response' in caplog.text


def test_unknown_request_types_answer_empty():
    assert handle(base_request('AudioPlayer.PlaybackStarted')) == \
        {'version': '1.0', 'response': {}}


def test_can_fulfill_answers_from_the_machine_without_side_effects():
    calls = []

    class Watching(SearchPolicy):
        def m_search(self):
            calls.append('m_search')

    request = base_request('CanFulfillIntentRequest')
    request['request']['intent'] = {'name': 'Search',
                                    'slots': {'Query': {'name': 'Query', 'value': 'x'},
                                              'Color': {'name': 'Color', 'value': 'red'}}}
    out = handle(request, Watching)
    assert out['response']['canFulfillIntent'] == {
        'canFulfill': 'YES', 'slots': {'Query': {'canUnderstand': 'YES', 'canFulfill': 'YES'},
                                       'Color': {'canUnderstand': 'NO', 'canFulfill': 'NO'}}}
    request['request']['intent'] = {'name': 'AMAZON.YesIntent'}
    assert handle(request)['response']['canFulfillIntent']['canFulfill'] == 'NO'
    assert calls == []


@pytest.mark.parametrize('path', SAMPLES.params('requests/*.json'), ids=lambda p: p.name)
def test_shared_request_envelopes_are_answered_without_error(path, caplog):
    with caplog.at_level(logging.WARNING, logger='alexafsm.policy'):
        out = handle(json.loads(path.read_text()))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR
                and 'Alexa could not use' not in r.getMessage()], caplog.text
    assert out['version'] == '1.0'


def test_response_json_is_a_dict_and_keeps_0_1_11_attributes():
    out = SearchPolicy.initialize().handle(intent_request('Search', {'Query': 'x'}))
    assert isinstance(out, ResponseJSON) and isinstance(out, dict)
    assert out.speech == 'You asked for x.' and out.card == 'Results'
    assert out.to_json() == dict(out) == json.loads(out.text)
    assert json.loads(json.dumps(out)) == json.loads(out.text)


def test_json_dumps_works_with_and_without_the_monkey_patch(tmp_path):
    code = (
        "import json, sys\n"
        "sys.path.insert(0, '.')\n"
        "{patch}"
        "from tests.test_policy import SearchPolicy\n"
        "from tests.helpers import intent_request\n"
        "print(json.dumps(SearchPolicy.initialize().handle(intent_request('Search', "
        "{{'Query': 'x'}}))))\n")
    outputs = []
    for patch in ('', 'import alexafsm.make_json_serializable\n'):
        run = subprocess.run([sys.executable, '-c', code.format(patch=patch)],
                             capture_output=True, text=True, check=True)
        outputs.append(json.loads(run.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]['sessionAttributes']['slots'] == ['x']


def test_record_filename_appends_the_turn_as_one_json_line(tmp_path):
    path = tmp_path / 'turns.jsonl'
    request = intent_request('Search', {'Query': 'x'})
    request['session']['user']['accessToken'] = 'secret-token'
    for _ in range(2):
        SearchPolicy.initialize().handle(request, record_filename=str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    assert lines[0][0]['session']['user']['accessToken'] == 'REDACTED'
    assert lines[0][1]['response']['outputSpeech']['text'] == 'You asked for x.'


def test_voice_insights_is_called_and_its_failure_does_not_fail_the_turn(monkeypatch):
    monkeypatch.setenv('VOICELABS_API_KEY', 'key')
    calls = []

    class VoiceInsights:
        def initialize(self, token, session):
            calls.append(('initialize', token, session['sessionId']))

        def track(self, intent_name, intent_request, response):
            calls.append(('track', intent_name))
            raise ConnectionError('service gone')

    out = SearchPolicy.initialize().handle(intent_request('Search', {'Query': 'x'}),
                                           VoiceInsights())
    assert out.speech == 'You asked for x.'
    assert background.shared().flush(5)  # VoiceLabs is called off the request path
    assert calls == [('initialize', 'key', 'amzn1.echo-api.session.test'), ('track', 'Search')]


def test_concurrent_turns_on_one_policy_class_do_not_mix():
    errors = []

    def worker(n):
        try:
            for i in range(200):
                query = f'q{n}-{i}'
                out = SearchPolicy.initialize().handle(
                    intent_request('Search', {'Query': query}, {'searches': i}))
                assert out['sessionAttributes']['query'] == query
                assert out['sessionAttributes']['searches'] == i + 1
        except Exception as error:  # collected: assertion errors in threads are otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_no_objects_pile_up_across_requests():
    request = intent_request('Search', {'Query': 'x'})
    for _ in range(200):
        SearchPolicy.initialize().handle(request)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(2000):
        SearchPolicy.initialize().handle(request)
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_initialize_without_a_request_builds_the_initial_attributes_only_when_read():
    built = []

    class Counted(Attributes):
        def __init__(self, *args, **kwargs):
            built.append(kwargs.get('state', INITIAL_STATE))
            super().__init__(*args, **kwargs)

    class CountedStates(SearchStates):
        session_attributes_cls = Counted

    class CountedPolicy(SearchPolicy):
        states_cls = CountedStates

    out = CountedPolicy.initialize().handle(intent_request('Search', {'query': 'x'}))
    assert built == [INITIAL_STATE] and 'You asked for x' in out.speech  # only the request's
    policy = CountedPolicy.initialize()
    assert policy.state == INITIAL_STATE and built == [INITIAL_STATE]
    assert policy.attributes.state == INITIAL_STATE and policy.attributes.slots == Slots(None)
    assert policy.attributes is policy.states.attributes and len(built) == 2
    assert policy.get_current_state_response().speech.startswith('Welcome')


def test_initialize_calls_a_states_subclass_own_init_and_from_request():
    calls = []

    class OwnInit(SearchStates):
        def __init__(self, attributes):
            calls.append('__init__')
            super().__init__(attributes)

    class OwnFromRequest(SearchStates):
        @classmethod
        def from_request(cls, request):
            calls.append('from_request')
            return super().from_request(request)

    for states_cls in (OwnInit, OwnFromRequest):
        policy_cls = type('P', (SearchPolicy,), {'states_cls': states_cls})
        assert policy_cls.initialize().attributes.state == INITIAL_STATE
    assert calls == ['__init__', 'from_request']


def test_a_response_subclass_keeps_its_type_when_the_session_is_added():
    class Spoken(response.Response):
        pass

    class SubclassStates(SearchStates):
        def initial(self):
            return Spoken(speech='Hi from a subclass.', reprompt='Hm?')

    policy_cls = type('P', (SearchPolicy,), {'states_cls': SubclassStates})
    out = policy_cls.initialize().handle(base_request('LaunchRequest'))
    assert type(out.response) is Spoken and out.response.session_attributes.state == 'initial'
    assert out['response']['outputSpeech']['text'] == 'Hi from a subclass.'


def test_each_policy_subclass_compiles_its_own_machine():
    class Narrow(SearchStates):
        @with_transitions()
        def helping(self):
            return response.Response(speech='No help here.')

    parent = SearchPolicy.initialize()
    child = type('Child', (SearchPolicy,), {'states_cls': Narrow}).initialize()
    assert parent.fsm is not child.fsm and parent.fsm.handles(amazon_intent.HELP, 'initial')
    assert not child.fsm.handles(amazon_intent.HELP, 'initial')


def test_a_subclass_served_after_its_parent_gets_its_own_machine():
    class Parent(SearchPolicy):
        pass

    class Narrow(SearchStates):
        @with_transitions()
        def helping(self):
            return response.Response(speech='No help here.')

    Parent.initialize().handle(intent_request(amazon_intent.HELP))  # the parent compiles first
    child = type('Child', (Parent,), {'states_cls': Narrow})
    out = child.initialize().handle(intent_request(amazon_intent.HELP))
    assert out.speech == response.NOT_UNDERSTOOD.speech


def test_voice_insights_without_an_api_key_is_skipped_with_one_warning(monkeypatch, caplog):
    from alexafsm import turn
    monkeypatch.delenv('VOICELABS_API_KEY', raising=False)
    monkeypatch.setattr(turn, '_warned', set())
    calls = []

    class VoiceInsights:
        def initialize(self, token, session):
            calls.append('initialize')

        def track(self, intent_name, intent_request, response):
            calls.append('track')

    with caplog.at_level(logging.WARNING, logger='alexafsm.policy'):
        for _ in range(2):
            out = SearchPolicy.initialize().handle(intent_request('Search', {'Query': 'x'}),
                                                   VoiceInsights())
            assert out.speech == 'You asked for x.'
    assert background.shared().flush(5) and calls == []
    warnings = [r.getMessage() for r in caplog.records if 'VOICELABS_API_KEY' in r.getMessage()]
    assert len(warnings) == 1 and 'set it to your VoiceLabs app token' in warnings[0]
