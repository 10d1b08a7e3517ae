"""Request builders and Conversation: real-shaped requests, and sessions carried as Alexa does.

Every request built here goes through Amazon's ask-sdk-model (``assert_valid_request``) and
every response the skill gives through ``assert_valid_response`` (tests/oracle.py).
"""
import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest

from alexafsm.request import describe_request
from alexafsm.request import parse
from alexafsm.testing import Conversation
from alexafsm.testing import ConversationError
from alexafsm.testing.requests import Caller
from alexafsm.testing.requests import can_fulfill_request
from alexafsm.testing.requests import custom_type_resolution
from alexafsm.testing.requests import exception_encountered_request
from alexafsm.testing.requests import intent_request
from alexafsm.testing.requests import launch_request
from alexafsm.testing.requests import session_ended_request
from alexafsm.testing.requests import slot_words
from alexafsm.tools.interaction_model import load_model
from tests.fixtures.conversation.pizza import PizzaPolicy
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response
from tests.paths import SAMPLES

FIXTURES = Path(__file__).parent / 'fixtures' / 'conversation'
MODEL = FIXTURES / 'pizza.model.json'
NOON = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def sample(name: str) -> dict:
    return json.loads(SAMPLES.path('requests', name).read_text())


def checked(conversation: Conversation) -> Conversation:
    """Every request the conversation sent and every response it got, through Amazon's model."""
    for turn in conversation.turns:
        assert_valid_request(turn.request)
        assert_valid_response(turn.response)
    return conversation


# Request builders

BUILDERS = {
    'launch': lambda: launch_request(),
    'intent': lambda: intent_request('OrderIntent', {'Size': 'large', 'Topping': None},
                                     attributes={'state': 'asking_size'}),
    'session ended': lambda: session_ended_request(),
    'session error': lambda: session_ended_request('ERROR', {'type': 'INVALID_RESPONSE',
                                                             'message': 'bad SSML'}),
    'can fulfill': lambda: can_fulfill_request('OrderIntent', {'Size': 'large'}),
    'exception': lambda: exception_encountered_request(),
}


@pytest.mark.parametrize('kind', BUILDERS)
def test_every_builder_makes_a_request_amazons_model_reads_back_unchanged(kind):
    assert_valid_request(BUILDERS[kind]())


@pytest.mark.parametrize('kind,sample_name', [
    ('launch', 'jovo.LaunchRequest.json'),
    ('session ended', 'jovo.SessionEndedRequest.json'),
    ('can fulfill', 'jovo.CanFulfillIntentRequest.json'),
    ('exception', 'jovo.System.ExceptionEncountered.json'),
])
def test_built_requests_have_the_keys_of_captured_ones(kind, sample_name):
    built, real = BUILDERS[kind](), sample(sample_name)
    assert set(built) == set(real)
    assert set(built['request']) == set(real['request'])
    if 'session' in real:
        assert set(built['session']) == set(real['session'])
    assert {'application', 'user', 'device'} <= set(built['context']['System'])
    assert built['context']['System']['apiEndpoint'].startswith('https://api.')


def test_an_intent_request_with_resolutions_is_shaped_like_a_device_capture():
    real = sample('jovo.IntentRequestWithSlotResolution.json')
    built = intent_request('MyNameIsIntent', {'name': 'Jeff'}, resolutions={
        'name': custom_type_resolution('Names', 'Jeff', 'JeffId')})
    real_slot, built_slot = (r['request']['intent']['slots']['name'] for r in (real, built))
    assert set(built_slot) == set(real_slot) - {'source'}  # 'source' is not in Amazon's model
    assert built_slot['resolutions']['resolutionsPerAuthority'][0]['values'] == \
        real_slot['resolutions']['resolutionsPerAuthority'][0]['values']
    assert set(built['request']) == set(real['request'])
    assert_valid_request(built)


def test_request_and_session_ids_are_unique_and_shaped_like_amazons():
    requests = [launch_request() for _ in range(50)]
    assert len({r['request']['requestId'] for r in requests}) == 50
    assert len({r['session']['sessionId'] for r in requests}) == 50
    assert all(r['request']['requestId'].startswith('amzn1.echo-api.request.') for r in requests)


@pytest.mark.parametrize('now,stamp', [
    (NOON, '2024-05-01T12:00:00Z'),
    (datetime(2024, 5, 1, 12, 0), '2024-05-01T12:00:00Z'),  # naive: taken as UTC
    (datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))), '2024-05-01T12:30:00Z'),
])
def test_the_timestamp_comes_from_the_callers_clock_in_utc(now, stamp):
    request = launch_request(caller=Caller(clock=lambda: now))
    assert request['request']['timestamp'] == stamp
    assert_valid_request(request)


def test_the_core_parser_reads_back_what_the_builders_say():
    request = parse(intent_request(
        'OrderIntent', {'Size': 'big', 'Topping': None}, dialog_state='IN_PROGRESS',
        confirmation_status='DENIED', slot_confirmations={'Size': 'CONFIRMED'},
        resolutions={'Size': custom_type_resolution('PIZZA_SIZE', 'large', 'LARGE')},
        caller=Caller(user_id='amzn1.ask.account.B', device_id='amzn1.ask.device.B',
                      locale='de-DE'), attributes={'state': 'asking_size'}))
    assert request.problems == []
    assert (request.intent_name, request.dialog_state, request.intent_confirmation) == \
        ('OrderIntent', 'IN_PROGRESS', 'DENIED')
    assert request.slot_values() == {'Size': 'big', 'Topping': None}
    assert request.slot('size').confirmation_status == 'CONFIRMED'
    assert request.slot('size').resolved() == ('large', 'LARGE', request.slot('size')
                                               .resolutions[0].authority)
    assert (request.user_id, request.device_id, request.locale) == \
        ('amzn1.ask.account.B', 'amzn1.ask.device.B', 'de-DE')
    assert request.attributes == {'state': 'asking_size'}
    assert request.new_session is False


def test_a_no_match_resolution_leaves_the_spoken_value():
    request = parse(intent_request('OrderIntent', {'Size': 'gigantic'}, resolutions={
        'Size': custom_type_resolution('PIZZA_SIZE', None)}))
    slot = request.slot('Size')
    assert slot.resolutions[0].status == 'ER_SUCCESS_NO_MATCH'
    assert slot.resolved().value == 'gigantic'


def test_session_end_and_exception_requests_carry_what_alexa_reports():
    ended = parse(session_ended_request('EXCEEDED_MAX_REPROMPTS'))
    assert (ended.type, ended.reason, ended.error) == \
        ('SessionEndedRequest', 'EXCEEDED_MAX_REPROMPTS', {})
    failed = exception_encountered_request('ENDPOINT_TIMEOUT', 'too slow',
                                           cause_request_id='amzn1.echo-api.request.1')
    assert 'session' not in failed
    assert failed['request']['cause'] == {'requestId': 'amzn1.echo-api.request.1'}
    assert parse(failed).error == {'type': 'ENDPOINT_TIMEOUT', 'message': 'too slow'}


@pytest.mark.parametrize('build,message', [
    (lambda: intent_request('X', dialog_state='DONE'), 'dialog_state must be one of'),
    (lambda: intent_request('X', confirmation_status='YES'), 'confirmation_status must be'),
    (lambda: intent_request('X', {'n': 3}), "Alexa sends slot values as strings"),
    (lambda: intent_request('X', {'a': 'b'}, slot_confirmations={'z': 'CONFIRMED'}),
     "slot_confirmations names slots ['z']"),
    (lambda: intent_request('X', {'a': 'b'}, resolutions={'a': {'values': []}}),
     "resolutionsPerAuthority"),
    (lambda: intent_request(''), 'an intent name'),
    (lambda: session_ended_request('BORED'), 'reason must be one of'),
    (lambda: session_ended_request('ERROR', {'type': 'OOPS'}), 'error type must be one of'),
])
def test_builders_reject_what_alexa_never_sends(build, message):
    with pytest.raises((ValueError, TypeError), match=message.replace('[', r'\[')
                       .replace(']', r'\]')):
        build()


@pytest.mark.parametrize('name,said', [
    ('jovo.LaunchRequest.json', 'launch'),
    ('jovo.IntentRequestWithSlotResolution.json', "MyNameIsIntent(name='Jeff')"),
    ('jovo.SessionEndedRequest.json', 'session ended (USER_INITIATED)'),
    ('alexa-app.session_ended_request.json', 'session ended (no reason)'),
    ('jovo.CanFulfillIntentRequest.json', "can fulfill MyNameIsIntent(name='Jeff')?"),
    ('jovo.System.ExceptionEncountered.json', 'exception encountered (INVALID_RESPONSE)'),
])
def test_describe_request_says_what_the_user_did_for_captured_requests(name, said):
    assert describe_request(sample(name)) == said


# Conversation

def test_session_attributes_travel_through_json_between_turns():
    chat = Conversation(PizzaPolicy, model=MODEL)
    first = chat.launch()
    second = chat.say('OrderIntent', size='big')
    assert second.request['session']['attributes'] == first.response['sessionAttributes']
    assert second.request['session']['new'] is False
    assert second.request['session']['sessionId'] == first.request['session']['sessionId']
    assert chat.say('AMAZON.YesIntent').request['session']['attributes']['size'] == 'large'
    checked(chat)


def test_a_new_session_starts_after_the_skill_ends_one():
    chat = Conversation(PizzaPolicy, model=MODEL)
    first = chat.say('OrderIntent', size='small')
    assert first.request['session']['new'] is True
    done = chat.say('AMAZON.YesIntent')
    assert done.should_end and done.state == 'ordered' and not chat.in_session
    again = chat.say('AMAZON.HelpIntent')
    assert again.request['session']['new'] is True
    assert again.request['session']['attributes'] == {}
    assert again.request['session']['sessionId'] != first.request['session']['sessionId']
    assert again.state == 'helping'
    checked(chat)


def test_launch_always_opens_a_new_session():
    chat = Conversation(PizzaPolicy)
    first = chat.launch()
    chat.say('AMAZON.HelpIntent')
    relaunch = chat.launch()
    assert relaunch.request['session']['new'] is True
    assert relaunch.request['session']['sessionId'] != first.request['session']['sessionId']
    assert relaunch.state == 'initial'


def test_turn_exposes_speech_reprompt_state_card_and_end():
    chat = Conversation(PizzaPolicy, model=MODEL)
    chat.say('OrderIntent', size='large')
    turn = chat.say('AMAZON.YesIntent')
    assert turn.speech == 'Your large pizza is on its way.'
    assert turn.reprompt is None  # Alexa gets no reprompt when the session ends
    assert turn.state == 'ordered'
    assert turn.card == {'type': 'Simple', 'title': 'Pizza ordered',
                         'content': 'One large pizza'}
    assert turn.should_end is True
    assert turn.said == 'AMAZON.YesIntent()'
    checked(chat)


def test_with_a_model_slot_names_take_the_models_spelling_and_unfilled_slots_are_sent():
    chat = Conversation(PizzaPolicy, model=load_model(MODEL))
    turn = chat.say('OrderIntent', SIZE='large')
    slots = turn.request['request']['intent']['slots']
    assert set(slots) == {'Size', 'Topping'}
    assert slots['Size']['value'] == 'large'
    assert 'value' not in slots['Topping']
    assert turn.state == 'confirming'
    checked(chat)


def test_with_a_model_custom_types_get_alexas_entity_resolution():
    chat = Conversation(PizzaPolicy, model=MODEL)
    turn = chat.say('OrderIntent', size='big', topping='Mushroom')
    authority = turn.request['request']['intent']['slots']['Size']['resolutions'][
        'resolutionsPerAuthority'][0]
    assert authority['status'] == {'code': 'ER_SUCCESS_MATCH'}
    assert authority['values'] == [{'value': {'name': 'large', 'id': 'LARGE'}}]
    assert authority['authority'].endswith('.PIZZA_SIZE')
    assert turn.speech == 'A large pizza with mushrooms. Shall I order it?'
    unknown = chat.say('OrderIntent', size='gigantic')
    resolution = unknown.request['request']['intent']['slots']['Size']['resolutions']
    assert resolution['resolutionsPerAuthority'][0]['status'] == {'code': 'ER_SUCCESS_NO_MATCH'}
    assert unknown.state == 'asking_size'
    checked(chat)


def test_without_a_model_slots_go_as_given_and_nothing_is_resolved():
    chat = Conversation(PizzaPolicy)
    turn = chat.say('OrderIntent', size='big')
    assert turn.request['request']['intent']['slots'] == {
        'size': {'name': 'size', 'value': 'big', 'confirmationStatus': 'NONE'}}
    assert turn.state == 'asking_size'  # "big" means large only through entity resolution
    checked(chat)


def test_numbers_are_sent_as_the_words_alexa_heard():
    chat = Conversation(PizzaPolicy)
    turn = chat.say('OrderIntent', size=12)
    assert turn.request['request']['intent']['slots']['size']['value'] == '12'
    with pytest.raises(ConversationError, match="slot 'size' is list"):
        chat.say('OrderIntent', size=['large'])


@pytest.mark.parametrize('value, words', [
    (None, None), ('large', 'large'), ('', ''), (12, '12'), (2.5, '2.5'),
    (True, TypeError), (['large'], TypeError), ({'value': 'x'}, TypeError)])
def test_slot_words_is_the_one_rule_conversations_and_stories_send_slots_by(value, words):
    from alexafsm.testing.stories import StoryError
    from alexafsm.testing.stories import parse_stories
    story = {'skill': 'tests.fixtures.conversation.pizza:PizzaPolicy',
             'stories': [{'name': 's',
                          'turns': [{'intent': 'OrderIntent', 'slots': {'n': value}}]}]}
    if words is TypeError:
        with pytest.raises(TypeError):
            slot_words(value)
        with pytest.raises(ConversationError, match="slot 'n' is"):
            Conversation(PizzaPolicy).say('OrderIntent', n=value)
        with pytest.raises(StoryError, match="slot 'n' is"):
            parse_stories(story)
        return
    assert slot_words(value) == words
    assert parse_stories(story).stories[0].turns[0].slots == {'n': words}


def test_an_intent_the_model_lacks_is_refused_with_the_models_intents():
    chat = Conversation(PizzaPolicy, model=MODEL)
    with pytest.raises(ConversationError) as error:
        chat.say('OrderPizzaIntent', size='large')
    message = str(error.value)
    assert "'OrderPizzaIntent' is not an intent of the interaction model" in message
    assert 'OrderIntent' in message and 'pizza.model.json' in message
    assert chat.turns == []


def test_a_slot_the_intent_lacks_is_refused_with_its_slots():
    chat = Conversation(PizzaPolicy, model=MODEL)
    with pytest.raises(ConversationError, match=r"OrderIntent has no slot 'crust'.*Size, Topping"):
        chat.say('OrderIntent', crust='thin')


def test_a_request_alexa_would_not_send_is_refused_without_touching_the_session():
    chat = Conversation(PizzaPolicy, model=MODEL)
    chat.say('OrderIntent', size='large')
    session, attributes = chat.session_id, dict(chat.attributes)
    with pytest.raises(ConversationError, match="OrderIntent: dialog_state must be one of"):
        chat.say('OrderIntent', dialog_state='DONE')
    with pytest.raises(ConversationError, match="OrderIntent has no slot 'crust'"):
        chat.say('OrderIntent', slot_confirmations={'crust': 'CONFIRMED'})
    with pytest.raises(ConversationError, match="end\\(\\): reason must be one of"):
        chat.end('BORED')
    assert (chat.session_id, chat.attributes, len(chat.turns)) == (session, attributes, 1)
    confirmed = chat.say('AMAZON.YesIntent', confirmation_status='CONFIRMED')
    assert confirmed.request['request']['intent']['confirmationStatus'] == 'CONFIRMED'
    checked(chat)


def test_slot_confirmations_take_the_models_spelling():
    chat = Conversation(PizzaPolicy, model=MODEL)
    turn = chat.say('OrderIntent', size='large', slot_confirmations={'SIZE': 'CONFIRMED'})
    assert turn.request['request']['intent']['slots']['Size']['confirmationStatus'] == \
        'CONFIRMED'
    checked(chat)


def test_send_adopts_a_session_a_tool_opened_itself():
    chat = Conversation(PizzaPolicy)
    opened = chat.send(intent_request('OrderIntent', {'size': 'small'}, new=True))
    assert chat.session_id == opened.request['session']['sessionId']
    assert chat.say('AMAZON.YesIntent').state == 'ordered'
    checked(chat)


def test_end_sends_session_ended_with_the_attributes_and_closes_the_session():
    chat = Conversation(PizzaPolicy, model=MODEL)
    chat.say('OrderIntent', size='medium')
    ended = chat.end('EXCEEDED_MAX_REPROMPTS')
    assert ended.request['request']['type'] == 'SessionEndedRequest'
    assert ended.request['request']['reason'] == 'EXCEEDED_MAX_REPROMPTS'
    assert ended.request['session']['attributes']['state'] == 'confirming'
    assert ended.response == {'version': '1.0', 'response': {}}
    assert not chat.in_session
    with pytest.raises(ConversationError, match='no session is open'):
        chat.end()
    checked(chat)


def test_options_reach_the_request_and_the_skill():
    chat = Conversation(PizzaPolicy, user_id='amzn1.ask.account.OTHER',
                        device_id='amzn1.ask.device.KITCHEN', locale='en-GB',
                        application_id='amzn1.ask.skill.pizza', clock=lambda: NOON)
    request = parse(chat.launch().request)
    assert (request.user_id, request.device_id, request.locale, request.application_id) == \
        ('amzn1.ask.account.OTHER', 'amzn1.ask.device.KITCHEN', 'en-GB', 'amzn1.ask.skill.pizza')
    assert request.timestamp == '2024-05-01T12:00:00Z'
    checked(chat)


def test_send_keeps_requests_of_other_sessions_out_of_the_conversation():
    chat = Conversation(PizzaPolicy, model=MODEL)
    chat.say('OrderIntent', size='large')
    attributes = dict(chat.attributes)
    answer = chat.send(can_fulfill_request('OrderIntent', {'Size': 'large'}))
    assert answer.response['response']['canFulfillIntent']['canFulfill'] == 'YES'
    failure = chat.send(exception_encountered_request())
    assert failure.response == {'version': '1.0', 'response': {}}
    assert chat.attributes == attributes and chat.in_session
    assert chat.say('AMAZON.YesIntent').state == 'ordered'
    checked(chat)


def test_record_to_appends_every_turn_as_sent(tmp_path):
    from alexafsm.test_helpers import get_requests_responses

    path = tmp_path / 'session.jsonl'
    chat = Conversation(PizzaPolicy, model=MODEL, record_to=path)
    chat.launch()
    chat.say('OrderIntent', size='big')
    chat.end()
    recorded = get_requests_responses(str(path))
    assert recorded == [(t.request, t.response) for t in chat.turns]


def test_a_conversation_with_a_store_remembers_the_user_across_sessions():
    from alexafsm.persistence import MemoryStore
    from tests.fixtures.memory_echo import MemoryEcho

    store = MemoryStore()
    chat = Conversation(MemoryEcho, store=store, user_id='amzn1.ask.account.MEMORY')
    for _ in range(2):
        chat.launch()
        assert chat.say('EchoIntent', phrase='hi').speech == 'You said: hi'
        chat.end()
    assert json.loads(store.load('amzn1.ask.account.MEMORY').text)['echoes'] == 2


def test_a_conversation_takes_its_request_and_session_ids_from_the_given_maker():
    made = []

    def numbered(kind):
        made.append(kind)
        return f'amzn1.echo-api.{kind}.{len(made)}'

    chat = Conversation(PizzaPolicy, ids=numbered)
    first = chat.launch().request
    second = chat.say('OrderIntent', size='small').request
    assert first['session']['sessionId'] == 'amzn1.echo-api.session.1'
    assert first['request']['requestId'] == 'amzn1.echo-api.request.2'
    assert second['session']['sessionId'] == 'amzn1.echo-api.session.1'  # the same session
    assert second['request']['requestId'] == 'amzn1.echo-api.request.3'
    other = Conversation(PizzaPolicy).launch().request  # by default, unique random ids
    assert other['request']['requestId'].startswith('amzn1.echo-api.request.')
    assert other['request']['requestId'] != Conversation(PizzaPolicy).launch().request[
        'request']['requestId']
