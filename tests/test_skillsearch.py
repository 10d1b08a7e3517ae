"""Skill Search, 0.1.11's example skill: whole conversations, its memory, model and machine.

Conversations go through ``alexafsm.testing.Conversation``, which carries the session attributes
from turn to turn through JSON as Alexa does, with the host's store (a ``MemoryStore`` per test
unless a test says otherwise) holding who has been welcomed. Every request and response is
checked by Amazon's ask-sdk-model (tests/oracle.py).
"""
import importlib
import inspect
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from unittest import mock

import pytest
from transitions import MachineError

from alexafsm import amazon_intent
from alexafsm.loader import load_policy
from alexafsm.machine import build_transitions_machine
from alexafsm.persistence import MemoryStore
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import host_extensions
from alexafsm.policy import Policy as PolicyBase
from alexafsm.response import NOT_UNDERSTOOD
from alexafsm.response import apology
from alexafsm.testing import Conversation
from alexafsm.testing import Turn
from alexafsm.testing import respond
from alexafsm.testing.requests import intent_request
from alexafsm.testing.requests import launch_request
from alexafsm.testing.requests import new_session_id
from alexafsm.tools.interaction_model import load_model
from skills.embedded_store import EmbeddedStore
from skills.skillsearch import Policy
from skills.skillsearch import SkillSearchPolicy
from skills.skillsearch import States
from skills.skillsearch.attributes import SessionAttributes
from skills.skillsearch.attributes import Slots
from skills.skillsearch.catalog import Skill
from skills.skillsearch.catalog import default_catalog
from skills.skillsearch.intents import DESCRIBE_RATINGS
from skills.skillsearch.intents import NEW_SEARCH
from skills.skillsearch.intents import NEXT_SKILL
from skills.skillsearch.intents import NTH_SKILL
from skills.skillsearch.intents import PREVIOUS_SKILL
from skills.skillsearch.policy import USERS_DB_ENV
from skills.skillsearch.policy import USERS_DB_FILE
from skills.skillsearch.states import HELP
from tests.helpers import isolate_embedded_store
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response
from tests.paths import SAMPLES

SKILL_DIR = Path(__file__).resolve().parents[1] / 'skills' / 'skillsearch'
MODEL_DIR = SKILL_DIR / 'model'
MODEL = load_model(MODEL_DIR)
REPO = Path(__file__).resolve().parents[1]
USER = 'amzn1.ask.account.TESTUSER'
OTHER_USER = 'amzn1.ask.account.OTHER'
YES, NO = amazon_intent.YES, amazon_intent.NO
HELP_INTENT, STOP, CANCEL = amazon_intent.HELP, amazon_intent.STOP, amazon_intent.CANCEL
FALLBACK, NAVIGATE_HOME = amazon_intent.FALLBACK, amazon_intent.NAVIGATE_HOME
LONG_WELCOME = f"Welcome to Skill Search. {HELP}"
SHORT_WELCOME = "Welcome to Skill Search, What skill would you like to find?"
GOODBYE = "Thank you for using Skill Search"


class Chat(Conversation):
    """A user talking to Skill Search; every request and answer must be one Alexa accepts."""

    def send(self, request: Dict[str, Any]) -> Turn:
        assert_valid_request(request)
        turn = super().send(request)
        assert_valid_response(turn.response)
        assert turn.speech != apology().speech, f"skill code raised on {turn.said}"
        return turn

    def mid_session(self, attributes: Dict[str, Any]) -> 'Chat':
        """Carry on a session whose earlier turns left ``attributes``, as Alexa carries them."""
        self.session_id = new_session_id()
        self.attributes = json.loads(json.dumps(attributes))
        return self

    @property
    def last(self) -> Turn:
        return self.turns[-1]

    @property
    def state(self) -> Optional[str]:
        return self.last.state

    @property
    def card(self) -> Optional[Dict[str, Any]]:
        return self.last.card


@pytest.fixture(autouse=True)
def embedded_default(monkeypatch, tmp_path) -> Path:
    """Where the skill's own store would put its file in this test, made afresh and unopened."""
    path = tmp_path / 'embedded' / USERS_DB_FILE
    isolate_embedded_store(monkeypatch, SkillSearchPolicy, path)
    return path


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def talk(memory):
    """Start a conversation of ``user_id`` with the host keeping memory in ``store``."""
    def start(user_id: str = USER, store: Any = memory) -> Chat:
        return Chat(Policy, user_id=user_id, model=MODEL, store=store)
    return start


def remembered(store: Any, user_id: str = USER) -> Optional[Dict[str, Any]]:
    """The persistent attributes the store holds for the user, None before any was saved."""
    record = store.load(user_id)
    return json.loads(record.text) if record is not None else None


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

def test_first_launch_gets_the_long_welcome_and_the_next_launch_the_short_one(talk, memory):
    chat = talk()
    assert chat.launch().speech == LONG_WELCOME
    assert remembered(memory) == {'welcomed': True}
    assert chat.launch().speech == SHORT_WELCOME, "a new session of the same user"
    assert talk().launch().speech == SHORT_WELCOME, "the same user in a new conversation"


def test_each_user_has_their_own_memory(talk, memory):
    assert talk(USER).launch().speech == LONG_WELCOME
    assert talk(OTHER_USER).launch().speech == LONG_WELCOME
    assert talk(OTHER_USER).launch().speech == SHORT_WELCOME
    assert talk(USER).launch().speech == SHORT_WELCOME
    assert memory.load(USER).version == 1 == memory.load(OTHER_USER).version, \
        "each user's record was written once, by their own first launch"
    assert talk('amzn1.ask.account.THIRD', store='memory://').launch().speech == LONG_WELCOME
    assert remembered(memory, 'amzn1.ask.account.THIRD') is None, "that host kept its own store"


def calls(store: mock.Mock) -> list:
    """The store's calls but its locks, each of which a turn takes right before it loads."""
    names = [call[0] for call in store.method_calls]
    assert [names[i - 1] for i, name in enumerate(names) if name == 'load'] == \
        ['lock'] * names.count('lock'), names
    return [name for name in names if name != 'lock']


def test_memory_is_consulted_only_to_welcome_and_only_with_a_user_id(talk):
    store = mock.Mock(wraps=MemoryStore())
    chat = talk(store=store)
    chat.launch()
    assert calls(store) == ['load', 'save']
    chat.say(NEW_SEARCH, Query='order pizza')
    chat.say(YES)
    chat.say(HELP_INTENT)
    chat.say(NTH_SKILL, Nth='second')
    assert calls(store) == ['load', 'save']

    anonymous = launch_request()
    for where in (anonymous['session'], anonymous['context']['System']):
        del where['user']
    envelope = respond(Policy, anonymous, extensions=host_extensions(store=store))
    assert_valid_response(envelope)
    assert envelope['response']['outputSpeech']['text'] == LONG_WELCOME
    assert Policy.initialize().get_current_state_response().speech == LONG_WELCOME
    assert calls(store) == ['load', 'save']

    assert chat.launch().speech == SHORT_WELCOME
    assert calls(store) == ['load', 'save', 'load'], \
        "a returning user is read, and nothing is written"


def test_memory_survives_a_restart_in_a_sqlite_file(talk, tmp_path):
    path = tmp_path / 'users.sqlite3'
    first_run = SqliteStore(path)
    assert talk(store=first_run).launch().speech == LONG_WELCOME
    first_run.close()
    assert talk(store=SqliteStore(path)).launch().speech == SHORT_WELCOME
    assert talk(store=f'sqlite:///{path}').launch().speech == SHORT_WELCOME
    assert talk(OTHER_USER, store=f'sqlite:///{path}').launch().speech == LONG_WELCOME


def test_simultaneous_first_launches_give_the_long_welcome_once(talk, tmp_path):
    store = SqliteStore(tmp_path / 'users.sqlite3')
    start = threading.Barrier(8)
    said: List[str] = []

    def launch() -> None:
        chat = Chat(Policy, user_id=USER, store=store)
        start.wait()
        said.append(chat.launch().speech)

    threads = [threading.Thread(target=launch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(said) == sorted([LONG_WELCOME] + [SHORT_WELCOME] * 7)


# --- the embedded default store -----------------------------------------------------------------

def test_without_a_host_store_the_embedded_file_is_opened_when_first_needed(embedded_default):
    store = SkillSearchPolicy.extensions.store
    chat = Chat(Policy, user_id=USER, model=MODEL, store=None)  # None: the skill's own store
    chat.say(HELP_INTENT)
    chat.say(NEW_SEARCH, Query='order pizza')
    assert not embedded_default.exists() and store.path is None, "no turn needed the memory"
    assert chat.launch().speech == LONG_WELCOME
    assert store.path == embedded_default and embedded_default.exists()
    assert chat.launch().speech == SHORT_WELCOME
    assert remembered(SqliteStore(embedded_default)) == {'welcomed': True}


def test_a_host_store_leaves_the_embedded_file_alone(talk, embedded_default):
    chat = talk(store='memory://')
    chat.launch()
    chat.launch()
    assert chat.last.speech == SHORT_WELCOME
    assert not embedded_default.exists()
    assert SkillSearchPolicy.extensions.store.path is None


def test_an_unusable_embedded_file_costs_the_memory_not_the_conversation(monkeypatch, tmp_path,
                                                                        caplog):
    monkeypatch.setenv(USERS_DB_ENV, str(tmp_path))  # a folder, not a file
    chat = Chat(Policy, user_id=USER, model=MODEL, store=None)
    with caplog.at_level(logging.ERROR):
        assert chat.launch().speech == LONG_WELCOME
        assert chat.launch().speech == LONG_WELCOME, "nothing could be remembered"
    messages = [r.getMessage() for r in caplog.records if r.name == 'alexafsm.extensions']
    assert len(messages) == 2 and all(USERS_DB_ENV in m and str(tmp_path) in m for m in messages)
    assert chat.say(NEW_SEARCH, Query='meditate').state == 'has_result'

    repaired = tmp_path / 'users.sqlite3'
    monkeypatch.setenv(USERS_DB_ENV, str(repaired))
    assert chat.launch().speech == LONG_WELCOME
    assert chat.launch().speech == SHORT_WELCOME, "opened once the setting was fixed"
    assert SkillSearchPolicy.extensions.store.path == repaired


def test_the_default_file_is_in_the_cache_folder_else_the_temp_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(USERS_DB_ENV)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    store = EmbeddedStore(USERS_DB_ENV, USERS_DB_FILE)
    assert store.candidates() == [tmp_path / 'cache' / 'alexafsm' / USERS_DB_FILE,
                                  Path(tempfile.gettempdir()) / 'alexafsm' / USERS_DB_FILE]
    monkeypatch.delenv('XDG_CACHE_HOME')
    assert store.candidates()[0] == Path.home() / '.cache' / 'alexafsm' / USERS_DB_FILE
    assert all(REPO not in path.resolve().parents for path in store.candidates())

    (tmp_path / 'not-a-folder').write_text('')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'not-a-folder'))
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path / 'tmp'))
    assert store.save(USER, '{"welcomed":true}', None)
    assert store.path == tmp_path / 'tmp' / 'alexafsm' / USERS_DB_FILE
    assert store.load(USER).text == '{"welcomed":true}'
    store.close()


def test_importing_the_skill_creates_no_file_and_the_first_launch_does(tmp_path):
    """A fresh process with no settings, as ./scripts/serve.sh runs on a new machine."""
    script = (
        "import sys\n"
        "from alexafsm.testing import Conversation\n"
        "from skills.skillsearch import Policy\n"
        "print(Policy.extensions.store.path)\n"
        "chat = Conversation(Policy, store=None)\n"
        "print(chat.launch().speech == sys.argv[1], chat.launch().speech == sys.argv[2])\n"
        "print(Policy.extensions.store.path)\n")
    env = {key: value for key, value in os.environ.items() if key != USERS_DB_ENV}
    env.update(PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / 'cache'),
               HOME=str(tmp_path / 'home'))
    ran = subprocess.run([sys.executable, '-c', script, LONG_WELCOME, SHORT_WELCOME],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    expected = tmp_path / 'cache' / 'alexafsm' / USERS_DB_FILE
    assert ran.stdout.splitlines() == ['None', 'True True', str(expected)]
    assert expected.exists()


def test_validate_reports_no_errors_or_warnings_and_opens_no_store(embedded_default):
    ran = subprocess.run(
        [str(Path(sys.executable).with_name('alexafsm')), 'validate', 'skills.skillsearch',
         '--model', str(MODEL_DIR / 'en-US.json'), '--strict'],
        cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
        timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '0 error(s), 0 warning(s)' in ran.stdout
    assert not embedded_default.exists()


# --- searching ----------------------------------------------------------------------------------

def test_search_presents_the_first_result_with_a_card_and_carries_skills_as_json(talk):
    expected = search('order pizza')
    assert 2 <= expected.total <= 6, "the catalog should have a few pizza skills"
    chat = talk()
    chat.launch()
    said = chat.say(NEW_SEARCH, Query='order pizza').speech
    assert chat.state == 'has_result'
    assert said == (f"You asked for order pizza. I found {expected.total} skills. "
                    f"The first skill is {expected.skills[0].name}. "
                    f"Would you like to hear more about it?")
    card = chat.card
    assert card['type'] == 'Simple' and card['title'] == "Search for order pizza"
    assert card['content'].startswith(f"Top result: {expected.skills[0].name}\n\n")
    assert '*pizza*' in card['content'].lower()
    assert chat.attributes['skills'] == [s.to_json() for s in expected.skills]
    carried = SessionAttributes.from_request(
        intent_request(YES, attributes=chat.attributes, session_id=chat.session_id))
    assert carried.skills == expected.skills
    assert 'searched' not in chat.attributes and 'first_time' not in chat.attributes


def test_many_results_are_announced_as_the_top_six(talk):
    expected = search('news')
    assert expected.total > 6
    chat = talk()
    said = chat.say(NEW_SEARCH, Query='news').speech
    assert said == (f"You asked for news. Here are the top 6 results. The first skill is "
                    f"{expected.skills[0].name}. Would you like to hear more about it?")
    assert chat.attributes['number_of_hits'] == expected.total
    assert len(chat.attributes['skills']) == 6


def test_a_single_result_is_the_only_skill(talk):
    expected = search('meditate')
    assert expected.total == 1
    said = talk().say(NEW_SEARCH, Query='meditate').speech
    assert said == (f"You asked for meditate. The only skill I found is "
                    f"{expected.skills[0].name}. Would you like to hear more about it?")


def test_leading_find_is_stripped_from_the_query(talk):
    chat = talk()
    said = chat.say(NEW_SEARCH, Query='find pizza').speech
    assert said.startswith("You asked for pizza. ")
    assert chat.card['title'] == "Search for pizza"
    assert chat.attributes['query'] == 'pizza'
    assert chat.attributes['skills'] == [s.to_json() for s in search('pizza').skills]


def test_searching_for_skills_finds_skill_search_itself(talk):
    chat = talk()
    chat.say(NEW_SEARCH, Query='skills')
    assert chat.attributes['skills'][0]['name'] == 'Skill Search'


def test_no_results(talk):
    assert search('xyzzy').total == 0
    chat = talk()
    said = chat.say(NEW_SEARCH, Query='xyzzy').speech
    assert chat.state == 'no_result'
    assert said == ("You asked for xyzzy. I could not find any such skills. Please rephrase, "
                    "or say help me, for help.")
    assert chat.say(NTH_SKILL, Nth='first').speech == \
        "I did not find any skills for query xyzzy."
    assert chat.state == 'bad_navigate'


@pytest.mark.parametrize('query', [None, 'find'])
def test_search_without_a_query_asks_for_one(talk, query):
    chat = talk()
    chat.say(NEW_SEARCH, Query='order pizza')
    said = chat.say(NEW_SEARCH, Query=query).speech
    assert chat.state == 'no_query_search'
    assert said.startswith("Please say what it is that you want to do.")
    assert chat.attributes['query'] == 'order pizza', "the last search stays"


def test_exit_misheard_as_a_search_ends_the_session(talk):
    chat = talk()
    chat.launch()
    turn = chat.say(NEW_SEARCH, Query='exit')
    assert turn.speech == GOODBYE and turn.state == 'exiting'
    assert turn.should_end and not chat.in_session
    assert turn.reprompt is None


# --- going through the results ------------------------------------------------------------------

def test_yes_describes_the_skill_with_its_image_and_no_moves_to_the_next(talk):
    skills = search('order pizza').skills
    chat = talk()
    chat.say(NEW_SEARCH, Query='order pizza')
    turn = chat.say(YES)
    first = skills[0]
    assert turn.state == 'describing'
    assert turn.speech == (f"Okay, interrupt me anytime by saying 'Alexa.' {first.name}. "
                           f"{first.short_description}")
    rating = (f"{first.avg_rating} (from {first.num_ratings} reviews)" if first.num_ratings
              else "No reviews yet")
    assert turn.card == {
        'type': 'Standard', 'title': first.name,
        'image': {'largeImageUrl': first.image_url},
        'text': f"Creator: {first.creator}\nCategory: {first.category}\n"
                f"Average rating: {rating}\n{first.description}"}
    assert turn.reprompt == "Will that be all?"
    assert chat.say(NO).speech == "What skill would you like to find?"
    assert chat.state == 'search_prompt'

    chat.say(NEW_SEARCH, Query='order pizza')
    said = chat.say(NO).speech
    assert said == f"The second skill is {skills[1].name}. Would you like to hear more about it?"
    assert chat.card['content'].startswith(f"Second result: {skills[1].name}")
    assert chat.say(YES).speech == f"{skills[1].name}. {skills[1].short_description}", \
        "the interrupt hint is said once per session"
    assert chat.say(YES).speech == GOODBYE
    assert chat.last.should_end


@pytest.mark.parametrize('nth', ['third', '3rd', '3', 'three', ' Third '])
def test_nth_skill_understands_ordinals_numbers_and_suffixes(talk, nth):
    skills = search('news').skills
    chat = talk()
    chat.say(NEW_SEARCH, Query='news')
    said = chat.say(NTH_SKILL, Nth=nth).speech
    assert chat.state == 'has_result'
    assert said == f"The third skill is {skills[2].name}. Would you like to hear more about it?"
    assert chat.attributes['skill_cursor'] == 2


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
def test_nth_skill_beyond_the_results_or_unparseable(talk, nth, expected):
    assert search('order pizza').total == 2
    chat = talk()
    chat.say(NEW_SEARCH, Query='order pizza')
    assert chat.say(NTH_SKILL, Nth=nth).speech == expected
    assert chat.state == 'bad_navigate'
    assert chat.attributes['skill_cursor'] == 0


def test_navigation_edges(talk):
    skills = search('order pizza').skills
    chat = talk()
    assert chat.say(NEXT_SKILL).speech.startswith("To navigate to a skill, please search first.")
    chat.say(NEW_SEARCH, Query='order pizza')
    assert chat.say(PREVIOUS_SKILL).speech == \
        "There is no previous skill. I am currently at skill number one."
    chat.say(NEXT_SKILL)
    assert chat.attributes['skill_cursor'] == 1
    assert chat.say(NEXT_SKILL).speech == \
        "Sorry, there is no next skill. How else can I help you?"
    chat.attributes['state'] = 'has_result'
    assert chat.say(NO).speech == \
        "There are no more results. Please try a different search phrase."
    assert chat.say(PREVIOUS_SKILL).speech == \
        f"The first skill is {skills[0].name}. Would you like to hear more about it?"


def test_describe_ratings_then_yes_or_no(talk):
    skill = search('order pizza').skills[0]
    assert skill.num_ratings > 0
    chat = talk()
    chat.say(NEW_SEARCH, Query='order pizza')
    assert chat.say(DESCRIBE_RATINGS).speech == (
        f"{skill.name} has an average rating of {skill.avg_rating} from {skill.num_ratings} "
        f"reviews. Would you like to hear more about this skill?")
    assert chat.say(NO).speech == "Okay, Will that be all?"
    assert chat.state == 'is_that_all'
    assert chat.say(NO).speech == "What skill would you like to find?"
    chat.say(NEW_SEARCH, Query='order pizza')
    chat.say(DESCRIBE_RATINGS)
    chat.say(YES)
    assert chat.state == 'describing'


def test_skill_without_reviews(talk):
    records = [json.loads(line) for line in
               (SKILL_DIR / 'catalog.jsonl').read_text(encoding='utf-8').splitlines() if line]
    unrated = Skill.from_json(next(r for r in records if r['num_ratings'] == 0))
    attributes = {'state': 'has_result', 'query': 'anything', 'skills': [unrated.to_json()],
                  'number_of_hits': 1, 'skill_cursor': 0}
    chat = talk().mid_session(attributes)
    assert chat.say(DESCRIBE_RATINGS).speech == (f"{unrated.name} has no reviews at this time. "
                                                 f"Would you like to hear more about this skill?")
    assert "Average rating: No reviews yet\n" in chat.say(YES).card['text']


def test_describe_ratings_before_any_search_stays_and_repeats_the_state(talk):
    chat = talk()
    chat.launch()
    assert chat.say(DESCRIBE_RATINGS).speech == SHORT_WELCOME
    assert chat.state == 'initial'


def test_yes_in_the_welcome_is_not_understood(talk):
    chat = talk()
    chat.launch()
    assert chat.say(YES).speech == NOT_UNDERSTOOD.speech
    assert chat.state == 'initial'


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
def test_stop_and_cancel_from_every_state(talk, state, intent):
    turn = talk().mid_session(attributes_for('order pizza', state)).say(intent)
    dest = STOP_OR_CANCEL_GOES_TO[state]
    assert turn.state == dest
    assert turn.should_end is (dest == 'exiting')
    expected = {'exiting': GOODBYE, 'is_that_all': "Okay, Will that be all?",
                'search_prompt': "What skill would you like to find?"}[dest]
    assert turn.speech == expected


@pytest.mark.parametrize('state', sorted(STOP_OR_CANCEL_GOES_TO))
@pytest.mark.parametrize('intent', [HELP_INTENT, FALLBACK])
def test_help_and_fallback_from_every_state(talk, state, intent):
    turn = talk().mid_session(attributes_for('xyzzy', state)).say(intent)
    assert turn.state == 'helping'
    assert turn.speech == HELP
    assert turn.response['response']['shouldEndSession'] is False


@pytest.mark.parametrize('state', sorted(STOP_OR_CANCEL_GOES_TO))
def test_navigate_home_from_every_state_starts_a_new_search(talk, state):
    turn = talk().mid_session(attributes_for('news', state, cursor=3)).say(NAVIGATE_HOME)
    assert turn.state == 'search_prompt'
    assert turn.speech == "What skill would you like to find?"


def test_stop_during_real_turns(talk):
    chat = talk()
    chat.launch()
    assert chat.say(STOP).speech == "What skill would you like to find?"
    chat.say(NEW_SEARCH, Query='order pizza')
    assert chat.say(CANCEL).speech == "Okay, Will that be all?"
    assert chat.say(YES).speech == GOODBYE


# --- bad and foreign input ----------------------------------------------------------------------

def test_unreadable_skills_in_the_session_start_afresh_instead_of_failing(talk, caplog):
    attributes = {'state': 'has_result', 'query': 'pizza', 'skills': [{'name': 'half a skill'}],
                  'skill_cursor': 0}
    turn = talk().mid_session(attributes).say(HELP_INTENT)
    assert turn.state == 'helping'
    assert 'skills' not in turn.attributes
    assert any('could not be rebuilt' in r.getMessage() for r in caplog.records)


def test_there_are_sample_requests():
    assert len(SAMPLES.files('requests/*.json')) >= 15


@pytest.mark.parametrize('path', SAMPLES.params('requests/*.json'), ids=lambda p: p.name)
def test_real_request_envelopes_are_handled_without_an_exception(path, memory, caplog):
    request = json.loads(path.read_text(encoding='utf-8'))
    with caplog.at_level(logging.INFO):
        envelope = respond(Policy, request, extensions=host_extensions(store=memory))
    assert_valid_response(envelope)
    assert not [r for r in caplog.records if r.exc_info], "no exception may be logged"
    errors = [r.getMessage() for r in caplog.records
              if r.name.startswith('alexafsm') and r.levelno >= logging.ERROR]
    if request['request']['type'] == 'System.ExceptionEncountered':
        # the policy's report of Alexa's error about an earlier response, not a failure of ours
        assert len(errors) == 1 and 'Alexa could not use our previous response' in errors[0]
    else:
        assert errors == []
    if request['request']['type'] == 'LaunchRequest':
        assert envelope['response']['outputSpeech']['text'] == LONG_WELCOME
        assert remembered(memory, request['context']['System']['user']['userId']) == \
            {'welcomed': True}


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


def test_compiled_dispatch_gives_what_transitions_gives(memory):
    host = host_extensions(store=memory)
    session_id = new_session_id()
    model_intents = MODEL.intent_names
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
                    request = intent_request(trigger, slots, session_id=session_id,
                                             attributes=dict(attributes, state=state))

                    ours = RecordingPolicy.initialize()
                    envelope = ours.handle(request, extensions=host)
                    assert_valid_response(envelope)
                    said = envelope['response']['outputSpeech']['text']
                    assert said != apology().speech
                    ours_state = 'NOT_UNDERSTOOD' if said == NOT_UNDERSTOOD.speech \
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
    for model in (MODEL, load_model(MODEL_DIR / 'legacy')):
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
    current, legacy = MODEL, load_model(MODEL_DIR / 'legacy')
    assert current.invocation_name == 'skill search'
    for name in current.intent_names:
        assert legacy.intent(name).samples == current.intent(name).samples, name
    queries = [v.value for v in current.types['QUERY'].values]
    assert 200 <= len(queries) == len(set(queries))
    assert [v.value for v in legacy.types['QUERY'].values] == queries
    spoken = {w for v in current.types['NTH'].values for w in (v.value, *v.synonyms)}
    assert {v.value for v in legacy.types['NTH'].values} == spoken


def test_every_nth_value_and_synonym_parses_to_its_position():
    nth = MODEL.types['NTH']
    assert [v.id for v in nth.values] == [str(i) for i in range(1, 11)]
    for value in nth.values:
        for spoken in (value.value, *value.synonyms):
            assert nth.resolve(spoken) == value
            parsed = SessionAttributes(slots=Slots(None, spoken)).nth_as_index
            assert parsed == int(value.id) - 1, spoken


def test_most_sample_queries_find_skills():
    queries = [v.value for v in MODEL.types['QUERY'].values]
    found = [q for q in queries if search(q).total]
    assert len(found) >= 0.95 * len(queries)


# --- one Policy for `alexafsm serve skills.skillsearch` -----------------------------------------

def test_the_package_exposes_exactly_one_policy():
    assert load_policy('skills.skillsearch') is SkillSearchPolicy is Policy
    for module in ('attributes', 'intents', 'policy', 'states', 'catalog'):
        namespace = vars(importlib.import_module(f'skills.skillsearch.{module}'))
        found = {obj for obj in namespace.values()
                 if inspect.isclass(obj) and issubclass(obj, PolicyBase) and obj is not PolicyBase}
        assert found <= {SkillSearchPolicy}, module
