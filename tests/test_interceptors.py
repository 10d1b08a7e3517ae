"""Request and response interceptors and error handlers: their order, what they may change,
and that a failure in any of them is answered, logged and never reaches the caller."""
import json
import logging

import pytest

from alexafsm import response
from alexafsm.extensions import Extensions
from alexafsm.persistence import MemoryStore
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.helpers import over_the_wire
from tests.oracle import assert_valid_response
from tests.test_policy import SearchPolicy

ATTRIBUTES = {'state': 'results', 'query': 'pizza', 'searches': 4, 'slots': ['pizza']}


def handle(request, extensions, policy_cls=SearchPolicy):
    out = policy_cls.initialize().handle(request, extensions=extensions)
    assert_valid_response(out)
    return over_the_wire(out)


def speech(out):
    return out['response']['outputSpeech']['text']


def test_request_interceptors_run_in_order_and_response_interceptors_in_reverse():
    calls = []
    hooks = Extensions()

    @hooks.request_interceptor
    def first(policy):
        calls.append(('request first', policy.state, policy.request.intent_name))

    @hooks.request_interceptor
    def second(policy):
        calls.append(('request second', policy.state))

    @hooks.response_interceptor
    def outer(policy, resp):
        calls.append(('response outer', policy.state, resp.speech))

    @hooks.response_interceptor
    def inner(policy, resp):
        calls.append(('response inner', policy.state))

    out = handle(intent_request('Search', {'Query': 'tea'}, ATTRIBUTES), hooks)
    assert speech(out) == 'You asked for tea.'
    assert calls == [('request first', 'results', 'Search'), ('request second', 'results'),
                     ('response inner', 'results'),
                     ('response outer', 'results', 'You asked for tea.')]


def test_a_hosts_interceptors_wrap_the_skills():
    calls = []

    def recorder(name):
        def intercept(policy, resp=None):
            calls.append(name)
        intercept.__name__ = name
        return intercept

    class Hooked(SearchPolicy):
        extensions = Extensions(request_interceptors=[recorder('skill before')],
                                response_interceptors=[recorder('skill after')],
                                store=MemoryStore())

    host = Extensions(request_interceptors=[recorder('host before')],
                      response_interceptors=[recorder('host after')])
    for _ in range(2):  # the second turn uses the combination built by the first
        handle(base_request('LaunchRequest'), host, Hooked)
    assert calls == ['host before', 'skill before', 'skill after', 'host after'] * 2
    assert host.over(Hooked.extensions).store is Hooked.extensions.store


def test_a_response_interceptor_may_replace_the_answer():
    hooks = Extensions()

    @hooks.response_interceptor
    def localize(policy, resp):
        if policy.request.locale == 'de-DE':
            return resp._replace(speech=resp.speech.replace('You asked for', 'Du suchtest'))
        return None

    request = intent_request('Search', {'Query': 'Tee'})
    request['request']['locale'] = 'de-DE'
    out = handle(request, hooks)
    assert speech(out) == 'Du suchtest Tee.'
    assert out['sessionAttributes']['query'] == 'Tee'
    assert speech(handle(intent_request('Search', {'Query': 'tea'}), hooks)) == \
        'You asked for tea.'


def test_interceptors_see_every_request_type():
    seen = []
    hooks = Extensions(request_interceptors=[lambda policy: seen.append(policy.request.type)])
    for kind in ('LaunchRequest', 'SessionEndedRequest', 'CanFulfillIntentRequest'):
        handle(base_request(kind), hooks)
    assert seen == ['LaunchRequest', 'SessionEndedRequest', 'CanFulfillIntentRequest']


@pytest.mark.parametrize('where', ['request', 'response'])
def test_an_exception_in_an_interceptor_is_an_apology_naming_it(where, caplog):
    def metrics(policy, resp=None):
        raise KeyError('missing counter')

    hooks = Extensions(**{f'{where}_interceptors': [metrics]})
    with caplog.at_level(logging.ERROR):
        out = handle(intent_request('Search', {'Query': 'tea'}, ATTRIBUTES, 'req-7'), hooks)
    assert speech(out) == response.APOLOGY.speech
    assert out['sessionAttributes'] == ATTRIBUTES  # the turn never happened
    assert f"SearchPolicy's {where} interceptor " in caplog.text
    assert 'metrics raised while answering IntentRequest Search' in caplog.text
    assert 'req-7' in caplog.text and "KeyError: 'missing counter'" in caplog.text


def test_a_response_interceptor_returning_something_else_is_named(caplog):
    hooks = Extensions(response_interceptors=[lambda policy, resp: resp.to_json()])
    with caplog.at_level(logging.ERROR):
        out = handle(intent_request('Search', {'Query': 'tea'}), hooks)
    assert speech(out) == response.APOLOGY.speech
    assert 'returned dict: return a Response to replace the answer, or None' in caplog.text


class CatalogDown(Exception):
    pass


def test_the_first_error_handler_that_answers_wins():
    asked = []
    hooks = Extensions()

    @hooks.error_handler
    def not_mine(policy, error):
        asked.append('not_mine')
        return None

    @hooks.error_handler
    def crash_handler(policy, error):
        asked.append(('crash_handler', type(error).__name__, policy.state))
        return response.Response(speech='The search is resting.', reprompt='Try later.')

    @hooks.error_handler
    def never_asked(policy, error):
        asked.append('never_asked')

    out = handle(intent_request('Crash', {}, ATTRIBUTES), hooks)
    assert speech(out) == 'The search is resting.'
    assert out['sessionAttributes'] == ATTRIBUTES  # kept, as for the apology
    assert asked == ['not_mine', ('crash_handler', 'RuntimeError', 'broken')]


def test_an_error_handler_can_answer_interceptor_failures_too(caplog):
    def load_catalog(policy):
        raise CatalogDown('catalog offline')

    def catalog_down(policy, error):
        if isinstance(error, CatalogDown):
            return response.Response(speech='The catalog is resting.', should_end=True)
        return None

    hooks = Extensions(request_interceptors=[load_catalog], error_handlers=[catalog_down])
    with caplog.at_level(logging.INFO, logger='alexafsm.policy'):
        out = handle(intent_request('Search', {'Query': 'x'}), hooks)
    assert speech(out) == 'The catalog is resting.'
    assert out['response']['shouldEndSession'] is True
    assert 'answered by error handler' in caplog.text and 'catalog_down' in caplog.text


@pytest.mark.parametrize('handler, logged', [
    (lambda policy, error: 1 / 0, 'ZeroDivisionError'),
    (lambda policy, error: 'Sorry!', 'returned str: return a Response to answer'),
])
def test_a_failing_error_handler_ends_in_the_apology(handler, logged, caplog):
    hooks = Extensions(error_handlers=[handler])
    with caplog.at_level(logging.ERROR):
        out = handle(intent_request('Crash', {}, ATTRIBUTES), hooks)
    assert speech(out) == response.APOLOGY.speech
    assert out['sessionAttributes'] == ATTRIBUTES
    assert 'failed while handling RuntimeError: skill bug in state broken' in caplog.text
    assert logged in caplog.text
    assert 'SearchPolicy raised while answering IntentRequest Crash' in caplog.text


def test_a_handled_error_saves_no_persistent_attributes():
    store = MemoryStore()

    class Counting(SearchPolicy):
        def m_search(self):
            self.persistent_attributes['searches'] = 1
            raise CatalogDown('down')

    hooks = Extensions(store=store, error_handlers=[
        lambda policy, error: response.Response(speech='Later.', reprompt='Later?')])
    out = handle(intent_request('Search', {'Query': 'x'}), hooks, Counting)
    assert speech(out) == 'Later.'
    assert store.load('amzn1.ask.account.test') is None


def test_interceptors_can_use_persistent_attributes():
    store = MemoryStore()
    hooks = Extensions(store=store)

    @hooks.request_interceptor
    def count_visits(policy):
        memory = policy.persistent_attributes
        memory['turns'] = memory.get('turns', 0) + 1

    for _ in range(3):
        handle(intent_request('AMAZON.HelpIntent'), hooks)
    assert json.loads(store.load('amzn1.ask.account.test').text) == {'turns': 3}


def test_registering_after_extensions_were_combined_fails_with_the_fix():
    class Hooked(SearchPolicy):
        extensions = Extensions()

    host = Extensions()
    handle(base_request('LaunchRequest'), host, Hooked)
    with pytest.raises(RuntimeError, match="register it at import time"):
        Hooked.extensions.request_interceptor(lambda policy: None)


def test_hooks_that_are_not_functions_are_refused():
    with pytest.raises(TypeError, match='request interceptors must be functions'):
        Extensions(request_interceptors=['log'])
    with pytest.raises(TypeError, match='an error handler must be a function'):
        Extensions().error_handler('oops')
    with pytest.raises(TypeError, match='track\\(request, response\\) method'):
        Extensions(analytics=[print])
