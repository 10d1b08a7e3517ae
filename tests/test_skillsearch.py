"""Skill Search, 0.1.11's example skill: whole conversations, its stores, model and machine.

Every turn goes through ``Policy.initialize().handle(request)`` with the session attributes carried
to the next turn through ``json.loads(json.dumps(...))``, as Alexa carries them, and every response
is checked by Amazon's ask-sdk-model (tests/oracle.py).
"""
import importlib
import inspect
import json
import logging
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from transitions import MachineError

from alexafsm import amazon_intent
from alexafsm.cli.skill import load_policy
from alexafsm.interaction_model import load_model
from alexafsm.machine import build_transitions_machine
from alexafsm.policy import Policy as PolicyBase
from alexafsm.response import NOT_UNDERSTOOD, apology
from skills.skillsearch import Policy, SkillSearchPolicy, States
from skills.skillsearch import users as users_module
from skills.skillsearch.attributes import SessionAttributes, Slots
from skills.skillsearch.catalog import Skill, default_catalog
from skills.skillsearch.intents import (DESCRIBE_RATINGS, NEW_SEARCH, NEXT_SKILL, NTH_SKILL,
                                        PREVIOUS_SKILL)
from skills.skillsearch.states import HELP
from skills.skillsearch.users import UserStore
from tests.oracle import assert_valid_request, assert_valid_response
from tests.paths import SAMPLES

SKILL_DIR = Path(__file__).resolve().parents[1] / 'skills' / 'skillsearch'
MODEL_DIR = SKILL_DIR / 'model'
REPO = Path(__file__).resolve().parents[1]
USER = 'amzn1.ask.account.TESTUSER'
YES, NO = amazon_intent.YES, amazon_intent.NO
HELP_INTENT, STOP, CANCEL = amazon_intent.HELP, amazon_intent.STOP, amazon_intent.CANCEL
FALLBACK, NAVIGATE_HOME = amazon_intent.FALLBACK, amazon_intent.NAVIGATE_HOME
SHORT_WELCOME = "Welcome to Skill Search, What skill would you like to find?"
GOODBYE = "Thank you for using Skill Search"


@pytest.fixture(autouse=True)
def users(monkeypatch) -> UserStore:
    """A fresh in-memory store: no test touches the user's cache dir or sees another's users."""
    store = UserStore()
    monkeypatch.setattr(SkillSearchPolicy, 'users', store)
    yield store
    store.close()


def build_request(intent: Optional[str] = None, slots: Optional[Dict[str, Optional[str]]] = None,
                  attributes: Optional[Dict[str, Any]] = None,
                  user_id: Optional[str] = USER) -> Dict[str, Any]:
    """A request as Alexa sends it: LaunchRequest without an intent, IntentRequest with one."""
    system: Dict[str, Any] = {'application': {'applicationId': 'amzn1.ask.skill.test'},
                              'device': {'deviceId': 'amzn1.ask.device.TEST',
                                         'supportedInterfaces': {}},
                              'apiEndpoint': 'https://api.amazonalexa.com'}
    session: Dict[str, Any] = {'new': attributes is None, 'sessionId': 'amzn1.echo-api.session.T',
                               'application': {'applicationId': 'amzn1.ask.skill.test'},
                               'attributes': attributes or {}}
    if user_id is not None:
        system['user'] = {'userId': user_id}
        session['user'] = {'userId': user_id}
    body: Dict[str, Any] = {'type': 'IntentRequest' if intent else 'LaunchRequest',
                            'requestId': 'amzn1.echo-api.request.T',
                            'timestamp': '2024-05-01T12:00:00Z', 'locale': 'en-US'}
    if intent:
        wire_slots = {}
        for name, value in (slots or {}).items():
            wire_slots[name] = {'name': name, 'confirmationStatus': 'NONE'}
            if value is not None:
                wire_slots[name]['value'] = value
        body['intent'] = {'name': intent, 'confirmationStatus': 'NONE', 'slots': wire_slots}
    return {'version': '1.0', 'session': session, 'context': {'System': system}, 'request': body}


def handle(request: Dict[str, Any]) -> Dict[str, Any]:
    """One turn, with the checks every response of this skill must pass."""
    envelope = Policy.initialize().handle(request)
    assert_valid_response(envelope)
    assert speech(envelope) != apology().speech, f"skill code raised on {request['request']}"
    return envelope


def speech(envelope: Dict[str, Any]) -> Optional[str]:
    return envelope['response'].get('outputSpeech', {}).get('text')


class Conversation:
    """One Alexa session: each turn sends back the attributes the previous answer carried."""

    def __init__(self, user_id: str = USER) -> None:
        self.user_id = user_id
        self.attributes: Optional[Dict[str, Any]] = None
        self.envelope: Dict[str, Any] = {}

    def launch(self) -> str:
        return self._turn(build_request(user_id=self.user_id))

    def say(self, intent: str, **slots: Optional[str]) -> str:
        return self._turn(build_request(intent, slots, self.attributes or {}, self.user_id))

    def _turn(self, request: Dict[str, Any]) -> str:
        assert_valid_request(request)
        self.envelope = handle(request)
        self.attributes = json.loads(json.dumps(self.envelope.get('sessionAttributes', {})))
        return speech(self.envelope)

    @property
    def state(self) -> str:
        return self.attributes['state']

    @property
    def card(self) -> Optional[Dict[str, Any]]:
        return self.envelope['response'].get('card')


def search(query: str):
    return default_catalog().search(query, 6)


def attributes_for(query: str, state: str, cursor: int = 0) -> Dict[str, Any]:
    """The attributes a session has after searching ``query``, as Alexa carries them back."""
    result = search(query)
    wire = {'state': state, 'query': query, 'skills': [s.to_json() for s in result.skills],
            'number_of_hits': result.total, 'first_time_presenting_results': False}
    if result.skills:
        wire['skill_cursor'] = cursor
    return json.loads(json.dumps(wire))


# --- first-time users ---------------------------------------------------------------------------

def test_first_launch_gets_the_long_welcome_and_the_next_launch_the_short_one():
    first = Conversation().launch()
    assert first == f"Welcome to Skill Search. {HELP}"
    assert Conversation().launch() == SHORT_WELCOME
    assert Conversation(user_id='amzn1.ask.account.OTHER').launch() == first


class CountingStore(UserStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls: List[str] = []

    def seen(self, user_id: str) -> bool:
        self.calls.append('seen')
        return super().seen(user_id)

    def remember(self, user_id: str) -> None:
        self.calls.append('remember')
        super().remember(user_id)


def test_user_store_is_consulted_only_to_welcome_and_only_with_a_user_id(monkeypatch):
    store = CountingStore()
    monkeypatch.setattr(SkillSearchPolicy, 'users', store)
    conversation = Conversation()
    conversation.launch()
    assert store.calls == ['seen', 'remember']
    conversation.say(NEW_SEARCH, Query='order pizza')
    conversation.say(YES)
    conversation.say(HELP_INTENT)
    assert store.calls == ['seen', 'remember']
    assert speech(handle(build_request(user_id=None))).startswith("Welcome to Skill Search. ")
    Policy.initialize().get_current_state_response()
    assert store.calls == ['seen', 'remember']
    assert Conversation().launch() == SHORT_WELCOME
    assert store.calls == ['seen', 'remember', 'seen']


# --- searching ----------------------------------------------------------------------------------

def test_search_presents_the_first_result_with_a_card_and_carries_skills_as_json():
    expected = search('order pizza')
    assert 2 <= expected.total <= 6, "the catalog should have a few pizza skills"
    conversation = Conversation()
    conversation.launch()
    said = conversation.say(NEW_SEARCH, Query='order pizza')
    assert conversation.state == 'has_result'
    assert said == (f"You asked for order pizza. I found {expected.total} skills. "
                    f"The first skill is {expected.skills[0].name}. "
                    f"Would you like to hear more about it?")
    card = conversation.card
    assert card['type'] == 'Simple' and card['title'] == "Search for order pizza"
    assert card['content'].startswith(f"Top result: {expected.skills[0].name}\n\n")
    assert '*pizza*' in card['content'].lower()
    assert conversation.attributes['skills'] == [s.to_json() for s in expected.skills]
    carried = SessionAttributes.from_request(build_request(YES, {}, conversation.attributes))
    assert carried.skills == expected.skills
    assert 'searched' not in conversation.attributes and 'first_time' not in conversation.attributes


def test_many_results_are_announced_as_the_top_six():
    expected = search('news')
    assert expected.total > 6
    conversation = Conversation()
    said = conversation.say(NEW_SEARCH, Query='news')
    assert said == (f"You asked for news. Here are the top 6 results. The first skill is "
                    f"{expected.skills[0].name}. Would you like to hear more about it?")
    assert conversation.attributes['number_of_hits'] == expected.total
    assert len(conversation.attributes['skills']) == 6


def test_a_single_result_is_the_only_skill():
    expected = search('meditate')
    assert expected.total == 1
    said = Conversation().say(NEW_SEARCH, Query='meditate')
    assert said == (f"You asked for meditate. The only skill I found is "
                    f"{expected.skills[0].name}. Would you like to hear more about it?")


def test_leading_find_is_stripped_from_the_query():
    conversation = Conversation()
    said = conversation.say(NEW_SEARCH, Query='find pizza')
    assert said.startswith("You asked for pizza. ")
    assert conversation.card['title'] == "Search for pizza"
    assert conversation.attributes['query'] == 'pizza'
    assert conversation.attributes['skills'] == [s.to_json() for s in search('pizza').skills]


def test_searching_for_skills_finds_skill_search_itself():
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='skills')
    assert conversation.attributes['skills'][0]['name'] == 'Skill Search'


def test_no_results():
    assert search('xyzzy').total == 0
    conversation = Conversation()
    said = conversation.say(NEW_SEARCH, Query='xyzzy')
    assert conversation.state == 'no_result'
    assert said == ("You asked for xyzzy. I could not find any such skills. Please rephrase, "
                    "or say help me, for help.")
    assert conversation.say(NTH_SKILL, Nth='first') == \
        "I did not find any skills for query xyzzy."
    assert conversation.state == 'bad_navigate'


@pytest.mark.parametrize('query', [None, 'find'])
def test_search_without_a_query_asks_for_one(query):
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='order pizza')
    said = conversation.say(NEW_SEARCH, Query=query)
    assert conversation.state == 'no_query_search'
    assert said.startswith("Please say what it is that you want to do.")
    assert conversation.attributes['query'] == 'order pizza', "the last search stays"


def test_exit_misheard_as_a_search_ends_the_session():
    conversation = Conversation()
    conversation.launch()
    assert conversation.say(NEW_SEARCH, Query='exit') == GOODBYE
    assert conversation.state == 'exiting'
    assert conversation.envelope['response']['shouldEndSession'] is True
    assert 'reprompt' not in conversation.envelope['response']


# --- going through the results ------------------------------------------------------------------

def test_yes_describes_the_skill_with_its_image_and_no_moves_to_the_next():
    skills = search('order pizza').skills
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='order pizza')
    said = conversation.say(YES)
    first = skills[0]
    assert conversation.state == 'describing'
    assert said == (f"Okay, interrupt me anytime by saying 'Alexa.' {first.name}. "
                    f"{first.short_description}")
    rating = (f"{first.avg_rating} (from {first.num_ratings} reviews)" if first.num_ratings
              else "No reviews yet")
    assert conversation.card == {
        'type': 'Standard', 'title': first.name,
        'image': {'largeImageUrl': first.image_url},
        'text': f"Creator: {first.creator}\nCategory: {first.category}\n"
                f"Average rating: {rating}\n{first.description}"}
    assert conversation.envelope['response']['reprompt']['outputSpeech']['text'] == \
        "Will that be all?"
    assert conversation.say(NO) == "What skill would you like to find?"
    assert conversation.state == 'search_prompt'

    conversation.say(NEW_SEARCH, Query='order pizza')
    said = conversation.say(NO)
    assert said == f"The second skill is {skills[1].name}. Would you like to hear more about it?"
    assert conversation.card['content'].startswith(f"Second result: {skills[1].name}")
    assert conversation.say(YES) == f"{skills[1].name}. {skills[1].short_description}", \
        "the interrupt hint is said once per session"
    assert conversation.say(YES) == GOODBYE
    assert conversation.envelope['response']['shouldEndSession'] is True


@pytest.mark.parametrize('nth', ['third', '3rd', '3', 'three', ' Third '])
def test_nth_skill_understands_ordinals_numbers_and_suffixes(nth):
    skills = search('news').skills
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='news')
    said = conversation.say(NTH_SKILL, Nth=nth)
    assert conversation.state == 'has_result'
    assert said == f"The third skill is {skills[2].name}. Would you like to hear more about it?"
    assert conversation.attributes['skill_cursor'] == 2


@pytest.mark.parametrize('nth, expected', [
    ('fifth', "You asked for skill 5. I found only 2 skills for the query order pizza."),
    ('12th', "You asked for skill 12. I found only 2 skills for the query order pizza."),
    ('banana', "Sorry, I'm not sure which skill you want to go to. Please rephrase. "
               "For example, tell me about skill 3."),
    (None, "Sorry, I'm not sure which skill you want to go to. Please rephrase. "
           "For example, tell me about skill 3."),
    ('0', "Sorry, I'm not sure which skill you want to go to. Please rephrase. "
          "For example, tell me about skill 3."),
    ('9' * 5000, "Sorry, I'm not sure which skill you want to go to. Please rephrase. "
                 "For example, tell me about skill 3."),
])
def test_nth_skill_beyond_the_results_or_unparseable(nth, expected):
    assert search('order pizza').total == 2
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='order pizza')
    assert conversation.say(NTH_SKILL, Nth=nth) == expected
    assert conversation.state == 'bad_navigate'
    assert conversation.attributes['skill_cursor'] == 0


def test_navigation_edges():
    skills = search('order pizza').skills
    conversation = Conversation()
    assert conversation.say(NEXT_SKILL).startswith("To navigate to a skill, please search first.")
    conversation.say(NEW_SEARCH, Query='order pizza')
    assert conversation.say(PREVIOUS_SKILL) == \
        "There is no previous skill. I am currently at skill number one."
    conversation.say(NEXT_SKILL)
    assert conversation.attributes['skill_cursor'] == 1
    assert conversation.say(NEXT_SKILL) == "Sorry, there is no next skill. How else can I help you?"
    conversation.attributes['state'] = 'has_result'
    assert conversation.say(NO) == \
        "There are no more results. Please try a different search phrase."
    assert conversation.say(PREVIOUS_SKILL) == \
        f"The first skill is {skills[0].name}. Would you like to hear more about it?"


def test_describe_ratings_then_yes_or_no():
    skill = search('order pizza').skills[0]
    assert skill.num_ratings > 0
    conversation = Conversation()
    conversation.say(NEW_SEARCH, Query='order pizza')
    assert conversation.say(DESCRIBE_RATINGS) == (
        f"{skill.name} has an average rating of {skill.avg_rating} from {skill.num_ratings} "
        f"reviews. Would you like to hear more about this skill?")
    assert conversation.say(NO) == "Okay, Will that be all?"
    assert conversation.state == 'is_that_all'
    assert conversation.say(NO) == "What skill would you like to find?"
    conversation.say(NEW_SEARCH, Query='order pizza')
    conversation.say(DESCRIBE_RATINGS)
    conversation.say(YES)
    assert conversation.state == 'describing'


def test_skill_without_reviews():
    records = [json.loads(line) for line in
               (SKILL_DIR / 'catalog.jsonl').read_text(encoding='utf-8').splitlines() if line]
    unrated = Skill.from_json(next(r for r in records if r['num_ratings'] == 0))
    attributes = {'state': 'has_result', 'query': 'anything', 'skills': [unrated.to_json()],
                  'number_of_hits': 1, 'skill_cursor': 0}
    envelope = handle(build_request(DESCRIBE_RATINGS, {}, attributes))
    assert speech(envelope) == (f"{unrated.name} has no reviews at this time. "
                                f"Would you like to hear more about this skill?")
    described = handle(build_request(YES, {}, envelope['sessionAttributes']))
    assert "Average rating: No reviews yet\n" in described['response']['card']['text']


def test_describe_ratings_before_any_search_stays_and_repeats_the_state():
    conversation = Conversation()
    conversation.launch()
    assert conversation.say(DESCRIBE_RATINGS) == SHORT_WELCOME
    assert conversation.state == 'initial'


def test_yes_in_the_welcome_is_not_understood():
    conversation = Conversation()
    conversation.launch()
    assert conversation.say(YES) == NOT_UNDERSTOOD.speech
    assert conversation.state == 'initial'


# --- every state answers the certification intents ---------------------------------------------

STOP_OR_CANCEL_GOES_TO = {
    'initial': 'search_prompt', 'helping': 'search_prompt',
    'has_result': 'is_that_all', 'describing': 'is_that_all', 'describe_ratings': 'is_that_all',
    'no_result': 'exiting', 'search_prompt': 'exiting', 'is_that_all': 'exiting',
    'bad_navigate': 'exiting', 'no_query_search': 'exiting', 'exiting': 'exiting',
}


def test_the_table_below_covers_every_state():
    assert set(STOP_OR_CANCEL_GOES_TO) == set(Policy.initialize().fsm.states)


@pytest.mark.parametrize('state', sorted(STOP_OR_CANCEL_GOES_TO))
@pytest.mark.parametrize('intent', [STOP, CANCEL])
def test_stop_and_cancel_from_every_state(state, intent):
    envelope = handle(build_request(intent, {}, attributes_for('order pizza', state)))
    dest = STOP_OR_CANCEL_GOES_TO[state]
    assert envelope['sessionAttributes']['state'] == dest
    assert envelope['response']['shouldEndSession'] is (dest == 'exiting')
    expected = {'exiting': GOODBYE, 'is_that_all': "Okay, Will that be all?",
                'search_prompt': "What skill would you like to find?"}[dest]
    assert speech(envelope) == expected


@pytest.mark.parametrize('state', sorted(STOP_OR_CANCEL_GOES_TO))
@pytest.mark.parametrize('intent', [HELP_INTENT, FALLBACK])
def test_help_and_fallback_from_every_state(state, intent):
    envelope = handle(build_request(intent, {}, attributes_for('xyzzy', state)))
    assert envelope['sessionAttributes']['state'] == 'helping'
    assert speech(envelope) == HELP
    assert envelope['response']['shouldEndSession'] is False


@pytest.mark.parametrize('state', sorted(STOP_OR_CANCEL_GOES_TO))
def test_navigate_home_from_every_state_starts_a_new_search(state):
    envelope = handle(build_request(NAVIGATE_HOME, {}, attributes_for('news', state, cursor=3)))
    assert envelope['sessionAttributes']['state'] == 'search_prompt'
    assert speech(envelope) == "What skill would you like to find?"


def test_stop_during_real_turns():
    conversation = Conversation()
    conversation.launch()
    assert conversation.say(STOP) == "What skill would you like to find?"
    conversation.say(NEW_SEARCH, Query='order pizza')
    assert conversation.say(CANCEL) == "Okay, Will that be all?"
    assert conversation.say(YES) == GOODBYE


# --- bad and foreign input ----------------------------------------------------------------------

def test_unreadable_skills_in_the_session_start_afresh_instead_of_failing(caplog):
    attributes = {'state': 'has_result', 'query': 'pizza', 'skills': [{'name': 'half a skill'}],
                  'skill_cursor': 0}
    envelope = handle(build_request(HELP_INTENT, {}, attributes))
    assert envelope['sessionAttributes']['state'] == 'helping'
    assert 'skills' not in envelope['sessionAttributes']
    assert any('could not be rebuilt' in r.getMessage() for r in caplog.records)


def _sample_requests() -> List[Path]:
    return sorted((SAMPLES / 'requests').glob('*.json'))


def test_there_are_sample_requests():
    assert len(_sample_requests()) >= 15


@pytest.mark.parametrize('path', _sample_requests(), ids=lambda p: p.name)
def test_real_request_envelopes_are_handled_without_an_exception(path, caplog):
    request = json.loads(path.read_text(encoding='utf-8'))
    with caplog.at_level(logging.INFO):
        envelope = Policy.initialize().handle(request)
    assert_valid_response(envelope)
    assert not [r for r in caplog.records if r.exc_info], "no exception may be logged"
    errors = [r.getMessage() for r in caplog.records
              if r.name == 'alexafsm.policy' and r.levelno >= logging.ERROR]
    if request['request']['type'] == 'System.ExceptionEncountered':
        # the policy's report of Alexa's error about an earlier response, not a failure of ours
        assert len(errors) == 1 and 'Alexa could not use our previous response' in errors[0]
    else:
        assert errors == []
    if request['request']['type'] == 'LaunchRequest':
        assert speech(envelope).startswith("Welcome to Skill Search")


# --- the machine is the one transitions builds ---------------------------------------------------

class RecordingPolicy(SkillSearchPolicy):
    """Records the m_* callbacks in the order the machine calls them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: List[str] = []


def _recorder(name: str):
    original = getattr(SkillSearchPolicy, name)

    def record(self):
        self.calls.append(name)
        return original(self)

    record.__name__ = name
    return record


CALLBACKS = [name for name, _ in inspect.getmembers(SkillSearchPolicy, inspect.isfunction)
             if name.startswith('m_')]
for _name in CALLBACKS:
    setattr(RecordingPolicy, _name, _recorder(_name))

SLOT_VARIANTS = {
    NEW_SEARCH: [{'Query': q} for q in ('order pizza', 'news', 'xyzzy', 'exit', 'find',
                                        'find pizza', None)],
    NTH_SKILL: [{'Nth': n} for n in ('second', '5th', '6', 'tenth', 'banana', None)],
}


def _situations() -> Dict[str, Dict[str, Any]]:
    news = attributes_for('news', 'initial')
    return {
        'fresh': {},
        'no results': attributes_for('xyzzy', 'initial'),
        'cursor at first': news,
        'cursor in the middle': dict(news, skill_cursor=2),
        'cursor at the end': dict(news, skill_cursor=len(news['skills']) - 1),
    }


def _navigation(policy: SkillSearchPolicy) -> tuple:
    a = policy.attributes
    return a.query, a.skills, a.skill_cursor, a.number_of_hits, a.first_time_presenting_results


def test_compiled_dispatch_gives_what_transitions_gives():
    model_intents = load_model(MODEL_DIR).intent_names
    states = Policy.initialize().fsm.states
    # Built once: each case binds its policy as the model, which is what model=policy does,
    # without rebuilding the ~230 transitions for each of the 1,200 cases.
    machine = build_transitions_machine(States)
    compared = 0
    seen_outcomes = set()
    for situation, attributes in _situations().items():
        for state in states:
            for trigger in model_intents:
                for slots in SLOT_VARIANTS.get(trigger, [{}]):
                    request = build_request(trigger, slots, dict(attributes, state=state))

                    ours = RecordingPolicy.initialize()
                    envelope = ours.handle(request)
                    assert_valid_response(envelope)
                    assert speech(envelope) != apology().speech
                    ours_state = 'NOT_UNDERSTOOD' if speech(envelope) == NOT_UNDERSTOOD.speech \
                        else ours.state

                    reference = RecordingPolicy.initialize(request)
                    machine.add_model(reference)
                    reference.state = state
                    try:
                        machine.events[trigger].trigger(reference)
                        reference_state = reference.state
                    except MachineError:
                        reference_state = 'NOT_UNDERSTOOD'
                    finally:
                        machine.remove_model(reference)

                    where = f"{trigger} {slots} in {state} ({situation})"
                    assert ours_state == reference_state, where
                    assert ours.calls == reference.calls, where
                    assert _navigation(ours) == _navigation(reference), where
                    assert envelope['sessionAttributes']['state'] == \
                        (state if ours_state == 'NOT_UNDERSTOOD' else ours_state), where
                    compared += 1
                    seen_outcomes.add((ours_state, tuple(ours.calls)))
    assert compared > 1000
    dests = {dest for dest, _ in seen_outcomes}
    assert dests == set(states) | {'NOT_UNDERSTOOD'}, "the situations should reach every state"
    assert any('m_set_next' in calls for _, calls in seen_outcomes)
    assert any('m_set_previous' in calls for _, calls in seen_outcomes)
    assert any('m_set_nth' in calls for _, calls in seen_outcomes)


# --- the interaction model ----------------------------------------------------------------------

def test_model_has_exactly_the_intents_the_machine_triggers():
    machine = Policy.initialize().fsm
    for model in (load_model(MODEL_DIR), load_model(MODEL_DIR / 'legacy')):
        assert set(model.intent_names) == set(machine.events), model.source
        assert model.intent(NEW_SEARCH).slots[0].name == 'Query'
        assert model.intent(NEW_SEARCH).slots[0].type == 'QUERY'
        assert model.intent(NTH_SKILL).slots[0].type == 'NTH'
        for name in (HELP_INTENT, STOP, CANCEL, FALLBACK, NAVIGATE_HOME):
            assert name in model.intent_names
        for name in (NEW_SEARCH, NTH_SKILL, PREVIOUS_SKILL, NEXT_SKILL, DESCRIBE_RATINGS):
            assert model.intent(name).samples, name
        assert all('{Query}' in s for s in model.intent(NEW_SEARCH).samples)
        assert all('{Nth}' in s for s in model.intent(NTH_SKILL).samples)


def test_legacy_model_carries_the_same_samples_and_queries():
    current, legacy = load_model(MODEL_DIR), load_model(MODEL_DIR / 'legacy')
    assert current.invocation_name == 'skill search'
    for name in current.intent_names:
        assert legacy.intent(name).samples == current.intent(name).samples, name
    queries = [v.value for v in current.types['QUERY'].values]
    assert 200 <= len(queries) == len(set(queries))
    assert [v.value for v in legacy.types['QUERY'].values] == queries
    spoken = {w for v in current.types['NTH'].values for w in (v.value, *v.synonyms)}
    assert {v.value for v in legacy.types['NTH'].values} == spoken


def test_every_nth_value_and_synonym_parses_to_its_position():
    nth = load_model(MODEL_DIR).types['NTH']
    assert [v.id for v in nth.values] == [str(i) for i in range(1, 11)]
    for value in nth.values:
        for spoken in (value.value, *value.synonyms):
            assert nth.resolve(spoken) == value
            parsed = SessionAttributes(slots=Slots(None, spoken)).nth_as_index
            assert parsed == int(value.id) - 1, spoken


def test_most_sample_queries_find_skills():
    queries = [v.value for v in load_model(MODEL_DIR).types['QUERY'].values]
    found = [q for q in queries if search(q).total]
    assert len(found) >= 0.95 * len(queries)


# --- one Policy for `alexafsm serve skills.skillsearch` -----------------------------------------

def test_the_package_exposes_exactly_one_policy():
    assert load_policy('skills.skillsearch') is SkillSearchPolicy is Policy
    for module in ('attributes', 'intents', 'policy', 'states', 'users', 'catalog'):
        namespace = vars(importlib.import_module(f'skills.skillsearch.{module}'))
        found = {obj for obj in namespace.values()
                 if inspect.isclass(obj) and issubclass(obj, PolicyBase) and obj is not PolicyBase}
        assert found <= {SkillSearchPolicy}, module


# --- the user store -----------------------------------------------------------------------------

def test_user_store_remembers_in_memory():
    store = UserStore()
    assert not store.seen('a')
    store.remember('a')
    store.remember('a')
    assert store.seen('a') and not store.seen('b')


def test_user_store_file_is_shared_persistent_and_in_wal_mode(tmp_path):
    path = tmp_path / 'nested' / 'users.sqlite3'
    with UserStore(path) as first:
        first.remember('a')
        with UserStore(path) as second:
            assert second.seen('a')
            second.remember('b')
        assert first.seen('b')
        assert first._conn.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    with UserStore(path) as reopened:
        assert reopened.seen('a') and reopened.seen('b')


def test_user_store_with_threads(tmp_path):
    store = UserStore(tmp_path / 'users.sqlite3')
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                store.remember(f'user-{n}-{i}')
                store.remember('everyone')
                assert store.seen(f'user-{n}-{i}')
        except Exception as error:  # reported below, threads swallow exceptions
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store._conn.execute('SELECT count(*) FROM users').fetchone()[0] == 8 * 50 + 1


def _remember_many(path: str, n: int) -> None:
    with UserStore(path) as store:
        for i in range(100):
            store.remember(f'process-{n}-{i}')
            store.remember('shared')


def test_user_store_with_processes(tmp_path):
    path = str(tmp_path / 'users.sqlite3')
    context = multiprocessing.get_context(
        'fork' if 'fork' in multiprocessing.get_all_start_methods() else 'spawn')
    processes = [context.Process(target=_remember_many, args=(path, n)) for n in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(30)
    assert [p.exitcode for p in processes] == [0] * 4
    with UserStore(path) as store:
        assert store._conn.execute('SELECT count(*) FROM users').fetchone()[0] == 4 * 100 + 1
        assert store.seen('process-3-99') and store.seen('shared')


def test_user_store_names_the_setting_when_the_path_is_unusable(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match='SKILLSEARCH_USERS_DB'):
        UserStore(tmp_path)
    garbage = tmp_path / 'not-a-database'
    garbage.write_bytes(b'this is no database' * 100)
    with pytest.raises(sqlite3.OperationalError, match='SKILLSEARCH_USERS_DB'):
        UserStore(garbage)


def test_default_user_store_location(monkeypatch, tmp_path):
    monkeypatch.setenv('SKILLSEARCH_USERS_DB', str(tmp_path / 'configured.db'))
    assert users_module.default_path() == tmp_path / 'configured.db'
    monkeypatch.delenv('SKILLSEARCH_USERS_DB')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    assert users_module.default_path() == tmp_path / 'cache' / 'alexafsm' / users_module.FILE_NAME
    monkeypatch.delenv('XDG_CACHE_HOME')
    default = users_module.default_path().resolve()
    assert REPO not in default.parents


def test_policy_uses_the_configured_default_store(monkeypatch, tmp_path):
    path = tmp_path / 'from-env.sqlite3'
    monkeypatch.setenv('SKILLSEARCH_USERS_DB', str(path))
    monkeypatch.setattr(users_module, '_default', None)
    monkeypatch.setattr(SkillSearchPolicy, 'users', None)
    try:
        assert Conversation().launch().startswith("Welcome to Skill Search. ")
        assert Conversation().launch() == SHORT_WELCOME
        with UserStore(path) as store:
            assert store.seen(USER)
    finally:
        if users_module._default is not None:
            users_module._default.close()
