"""The turn pipeline (alexafsm.turn): one path with or without extensions, a context object
instead of private state in the skill's objects, and failure observers that need no logger."""
import ast
import json
import logging
from pathlib import Path

import pytest

from alexafsm import amazon_intent
from alexafsm import policy as policy_module
from alexafsm import response
from alexafsm import turn
from alexafsm.extensions import Extensions
from alexafsm.persistence import MemoryStore
from alexafsm.policy import Policy
from alexafsm.request import Request
from alexafsm.turn import OUTSIDE_A_TURN
from alexafsm.turn import TurnContext
from alexafsm.turn import TurnFailed
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.helpers import over_the_wire
from tests.oracle import assert_valid_response
from tests.test_persistence import CounterPolicy
from tests.test_persistence import RacingStore
from tests.test_policy import SearchPolicy
from tests.test_policy import SearchStates

ROOT = Path(__file__).resolve().parents[1]
SESSION = {'state': 'results', 'query': 'pizza', 'searches': 4, 'slots': ['pizza']}


def answer(request, policy_cls=SearchPolicy, extensions=None):
    out = policy_cls.initialize().handle(request, extensions=extensions)
    assert_valid_response(out)
    return over_the_wire(out)


def speech(out):
    return out['response']['outputSpeech']['text']


class Observed:
    """A failure observer that keeps what it was told."""

    def __init__(self):
        self.calls = []

    def __call__(self, request, stage, error):
        self.calls.append((request, stage, error))

    @property
    def stages(self):
        return [stage for _, stage, _ in self.calls]


# --- one path ------------------------------------------------------------------------------------

@pytest.mark.parametrize('request_json', [
    base_request('LaunchRequest'),
    intent_request('Search', {'Query': 'tea'}, SESSION),
    intent_request(amazon_intent.YES, {}, SESSION),
    intent_request('Crash', {}, SESSION),
    intent_request('Huge', {}),
    intent_request('Search', {'Query': 'x'}, {'state': 'removed_by_a_deploy'}),
    base_request('SessionEndedRequest', SESSION),
    base_request('CanFulfillIntentRequest'),
])
def test_extensions_or_none_the_turn_answers_the_same_bytes(request_json):
    plain = SearchPolicy.initialize().handle(json.loads(json.dumps(request_json)))
    hooked = SearchPolicy.initialize().handle(json.loads(json.dumps(request_json)),
                                              extensions=Extensions(store=MemoryStore()))
    assert plain.text == hooked.text and plain == hooked
    assert type(plain.response) is type(hooked.response)


def test_policy_keeps_no_turn_machinery_a_skills_helper_could_collide_with():
    private = sorted(name for name in vars(Policy)
                     if name.startswith('_') and not name.startswith('__'))
    assert private == ['_alexafsm_machine']


class Clashing(SearchPolicy):
    """A skill whose own helpers bear the names of the turn machinery Policy used to have."""

    extensions = Extensions(store=MemoryStore())

    def _respond(self, *args):
        raise AssertionError('the skill helper _respond was called by the pipeline')

    def _recover(self, *args):
        raise AssertionError('the skill helper _recover was called by the pipeline')

    def _restart(self, *args):
        raise AssertionError('the skill helper _restart was called by the pipeline')

    def _apology(self, *args):
        return 'not an envelope'

    def _enter_turn(self, *args):
        raise AssertionError('the skill helper _enter_turn was called by the pipeline')

    def _can_fulfill(self, *args):
        return None

    def _log_other(self, *args):
        raise AssertionError('the skill helper _log_other was called by the pipeline')

    def _extended_turn(self, *args):
        return None

    def _attach(self, *args):
        return 'not a store'

    def _request_id(self):
        return 'not the request id'

    _persistence = 'not a store either'


class ClashingStates(SearchStates):
    _persistence = 'the skill keeps its own thing here'

    def _helper(self):
        return self.request.locale


class ClashingAll(Clashing):
    states_cls = ClashingStates


@pytest.mark.parametrize('policy_cls', [Clashing, ClashingAll])
def test_a_skills_helpers_named_like_the_old_machinery_leave_the_turn_alone(policy_cls, caplog):
    assert speech(answer(intent_request('Search', {'Query': 'tea'}, SESSION), policy_cls)) == \
        'You asked for tea.'
    assert speech(answer(base_request('LaunchRequest'), policy_cls)) == \
        'Welcome. What shall I find?'
    fulfil = base_request('CanFulfillIntentRequest')
    fulfil['request']['intent'] = {'name': 'Search', 'slots': {}}
    assert answer(fulfil, policy_cls)['response']['canFulfillIntent']['canFulfill'] == 'YES'
    assert answer(base_request('SessionEndedRequest', SESSION), policy_cls) == \
        {'version': '1.0', 'response': {}}
    with caplog.at_level(logging.ERROR):
        crashed = answer(intent_request('Crash', {}, SESSION, 'req-9'), policy_cls)
    assert speech(crashed) == response.APOLOGY.speech and crashed['sessionAttributes'] == SESSION
    assert 'req-9' in caplog.text and 'skill bug in state broken' in caplog.text


def test_a_skills_helpers_leave_retries_and_error_handlers_alone():
    class CountingClash(CounterPolicy):
        def _restart(self, *args):
            raise AssertionError('called')

        def _recover(self, *args):
            raise AssertionError('called')

        def _respond(self, *args):
            raise AssertionError('called')

    store = RacingStore(races=1)
    request = intent_request('Count')
    out = CountingClash.initialize(request).handle(request, extensions=Extensions(store=store))
    assert speech(over_the_wire(out)) == 'Count is 2.'  # the racer's turn, then this one

    handled = Extensions(error_handlers=[
        lambda policy, error: response.Response(speech='Handled.', reprompt='Again?')])
    crash = intent_request('Crash')
    assert CountingClash.initialize(crash).handle(crash, extensions=handled).speech == 'Handled.'


# --- the context ---------------------------------------------------------------------------------

def test_policy_and_states_share_one_context_per_turn_and_read_the_request_through_it():
    seen = []

    class Looking(SearchPolicy):
        def m_search(self):
            context = self.turn_context
            seen.append((context is self.states.turn_context, context.stage,
                         self.request is context.request, self.states.request is self.request,
                         type(self.request) is Request, context.request_id))
            super().m_search()

    out = answer(intent_request('Search', {'Query': 'tea'}, request_id='req-ctx'), Looking)
    assert speech(out) == 'You asked for tea.'
    assert seen == [(True, turn.FIRE, True, True, True, 'req-ctx')]


def test_outside_a_turn_there_is_no_request_and_no_store():
    policy = SearchPolicy.initialize()
    assert policy.turn_context is OUTSIDE_A_TURN and policy.state == 'initial'
    assert policy.states.turn_context.request is None  # its initial attributes are not built
    assert policy.states.attributes.state == 'initial'
    assert policy.states.turn_context is OUTSIDE_A_TURN  # now they are
    assert policy.request is None and policy.states.request is None
    assert OUTSIDE_A_TURN.request_id is None and 'None' in repr(OUTSIDE_A_TURN)
    with pytest.raises(Exception, match='no attributes store is configured'):
        _ = policy.states.persistent_attributes
    made_for = SearchPolicy.initialize(intent_request('Search', {'Query': 'x'}, SESSION,
                                                      'req-made'))
    assert made_for.request.request_id == 'req-made' and made_for.state == 'results'
    assert made_for.states.turn_context is made_for.turn_context is not OUTSIDE_A_TURN


def test_a_policy_made_over_states_takes_their_state_as_in_0_1_11():
    attributes = SearchStates.session_attributes_cls(state='results', query='tea')
    policy = SearchPolicy(SearchStates(attributes))
    assert policy.state == 'results' and policy.attributes is attributes
    lazy = SearchStates._initial()
    lazy.attributes.state = 'helping'  # built on this read, then changed
    assert SearchPolicy(lazy).state == 'helping'


def test_a_policy_used_on_its_own_reads_its_classes_store_through_a_context_of_its_own():
    class Remembering(SearchPolicy):
        extensions = Extensions(store=MemoryStore())

    policy = Remembering.initialize(intent_request('Search', {'Query': 'x'}))
    policy.persistent_attributes['seen'] = True
    assert policy.states.persistent_attributes == {'seen': True}
    assert Remembering.initialize().turn_context is OUTSIDE_A_TURN  # the shared one untouched
    assert OUTSIDE_A_TURN.persistence is None


def test_an_error_handler_learns_the_stage_from_the_context():
    stages = []

    def handler(policy, error):
        stages.append(policy.turn_context.stage)
        return response.Response(speech='Handled.', reprompt='Again?')

    def metrics(policy):
        raise KeyError('counter')

    assert speech(answer(intent_request('Crash', {}, SESSION), extensions=Extensions(
        error_handlers=[handler]))) == 'Handled.'
    answer(intent_request('Search', {'Query': 'x'}), extensions=Extensions(
        request_interceptors=[metrics], error_handlers=[handler]))
    assert stages == ['fire', f'request interceptor {metrics.__qualname__}']


# --- failure observers ---------------------------------------------------------------------------

def test_observers_hear_of_a_skill_exception_even_with_logging_disabled():
    observed = Observed()
    logging.disable(logging.CRITICAL)
    try:
        out = answer(intent_request('Crash', {}, SESSION, 'req-obs'),
                     extensions=Extensions(failure_observers=[observed]))
    finally:
        logging.disable(logging.NOTSET)
    assert speech(out) == response.APOLOGY.speech
    [(request, stage, error)] = observed.calls
    assert isinstance(request, Request) and request.request_id == 'req-obs'
    assert stage == turn.FIRE
    assert isinstance(error, RuntimeError) and str(error) == 'skill bug in state broken'
    assert error.__traceback__ is not None  # where it was raised, for a report


def test_observers_are_told_which_hook_failed():
    def metrics(policy, resp=None):
        raise KeyError('counter')

    for where in ('request', 'response'):
        observed = Observed()
        hooks = Extensions(**{f'{where}_interceptors': [metrics]}, failure_observers=[observed])
        answer(intent_request('Search', {'Query': 'x'}), extensions=hooks)
        assert observed.stages == [f'{where} interceptor {metrics.__qualname__}']
        assert isinstance(observed.calls[0][2], KeyError)


def test_a_failure_an_error_handler_answers_is_no_failure_of_the_turn():
    observed = Observed()
    hooks = Extensions(failure_observers=[observed], error_handlers=[
        lambda policy, error: response.Response(speech='Handled.', reprompt='Again?')])
    assert speech(answer(intent_request('Crash', {}, SESSION), extensions=hooks)) == 'Handled.'
    assert observed.calls == []


def test_a_failing_error_handler_is_what_observers_hear_with_the_original_as_its_context():
    def sloppy(policy, error):
        return 1 / 0

    observed = Observed()
    answer(intent_request('Crash', {}, SESSION),
           extensions=Extensions(error_handlers=[sloppy], failure_observers=[observed]))
    [(_, stage, error)] = observed.calls
    assert stage == f'error handler {sloppy.__qualname__}'
    assert isinstance(error, ZeroDivisionError) and isinstance(error.__context__, RuntimeError)


def test_observers_hear_of_answers_alexa_would_refuse_and_of_lost_saves(caplog):
    observed = Observed()
    hooks = Extensions(failure_observers=[observed])
    assert speech(answer(intent_request('Huge', {}), extensions=hooks)) == \
        response.APOLOGY.speech
    [(_, stage, error)] = observed.calls
    assert stage == turn.RENDER and isinstance(error, TurnFailed)
    assert "breaks Alexa's limits" in str(error) and '8,000' in str(error)

    lost = Observed()
    racing = Extensions(store=RacingStore(races=5), max_attempts=2, failure_observers=[lost])
    request = intent_request('Count')
    with caplog.at_level(logging.ERROR):
        out = CounterPolicy.initialize(request).handle(request, extensions=racing)
    assert out.speech == response.APOLOGY.speech
    [(_, stage, error)] = lost.calls
    assert stage == turn.SAVE and isinstance(error, TurnFailed)
    assert 'changed under each of 2 tries' in str(error)


def test_observers_hear_of_a_response_that_is_no_json():
    class NotJson(SearchStates):
        def initial(self):
            self.attributes.searches = float('nan')  # no JSON number
            return response.Response(speech='hi', reprompt='x')

    class NotJsonPolicy(SearchPolicy):
        states_cls = NotJson

    observed = Observed()
    out = NotJsonPolicy.initialize().handle(base_request('LaunchRequest'),
                                            extensions=Extensions(failure_observers=[observed]))
    assert out.speech == response.APOLOGY.speech
    assert observed.stages == [turn.RENDER] and 'no JSON' in str(observed.calls[0][2])


def test_observers_hear_of_a_skill_that_cannot_be_entered_or_initialized():
    class BadAttributes(SearchStates.session_attributes_cls):
        @classmethod
        def from_request(cls, request):
            raise ValueError('attributes from an old deploy')

    class BadStates(SearchStates):
        session_attributes_cls = BadAttributes

    class BadPolicy(SearchPolicy):
        states_cls = BadStates

    observed = Observed()
    hooks = Extensions(failure_observers=[observed])
    out = BadPolicy.initialize().handle(intent_request('Search', {'Query': 'x'}, SESSION),
                                        extensions=hooks)
    assert out.speech == response.APOLOGY.speech and out['sessionAttributes'] == SESSION
    out = BadPolicy.respond(intent_request('Search', {'Query': 'x'}, SESSION), extensions=hooks)
    assert out.speech == response.APOLOGY.speech and out['sessionAttributes'] == SESSION
    assert observed.stages == [turn.ENTER, turn.INITIALIZE]
    assert all(isinstance(error, ValueError) for _, _, error in observed.calls)


def test_a_failing_observer_is_logged_and_changes_nothing(caplog):
    told = Observed()

    def broken(request, stage, error):
        raise OSError('report server down')

    hooks = Extensions(failure_observers=[broken, told])
    with caplog.at_level(logging.ERROR):
        out = answer(intent_request('Crash', {}, SESSION), extensions=hooks)
    assert speech(out) == response.APOLOGY.speech and out['sessionAttributes'] == SESSION
    assert told.stages == [turn.FIRE]
    assert 'failure observer' in caplog.text and 'report server down' in caplog.text


def test_the_observers_of_the_skill_and_of_the_host_are_all_told():
    skill, host = Observed(), Observed()

    class Watched(SearchPolicy):
        extensions = Extensions()

    Watched.extensions.failure_observer(skill)
    hooks = Extensions()

    @hooks.failure_observer
    def on_failure(request, stage, error):
        host(request, stage, error)

    answer(intent_request('Crash', {}), Watched, hooks)
    assert skill.stages == host.stages == [turn.FIRE]
    with pytest.raises(TypeError, match='failure observers must be functions'):
        Extensions(failure_observers=['print'])
    with pytest.raises(RuntimeError, match='register it at import time'):
        Watched.extensions.failure_observer(print)


# --- what moved where ----------------------------------------------------------------------------

def test_names_hosts_and_older_code_import_from_policy_are_the_pipelines():
    assert policy_module.ResponseJSON is turn.ResponseJSON
    assert policy_module.apology_envelope is turn.apology_envelope
    assert policy_module.track_voice_insights is turn.track_voice_insights
    assert policy_module.TurnContext is TurnContext


def test_the_apology_is_made_in_one_place():
    sources = {name: (ROOT / 'alexafsm' / name).read_text() for name in ('policy.py', 'turn.py')}
    assert 'APOLOGY.to_json()' not in sources['policy.py']
    assert sources['turn.py'].count('APOLOGY.to_json()') == 1


def test_analytics_and_the_pipeline_import_nothing_of_policy():
    for name in ('analytics.py', 'turn.py', 'states.py', 'extensions.py'):
        tree = ast.parse((ROOT / 'alexafsm' / name).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names}
        assert 'alexafsm.policy' not in imported, name
