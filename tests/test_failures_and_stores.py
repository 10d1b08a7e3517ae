"""One store rule for the dev tools, and a skill's exception failing the test that met it.

Conversation, stories, the pytest plugin, chat and fuzz keep persistent attributes in a fresh
memory unless told otherwise, so a skill that remembers users never answers the apology there
for want of a store; an exception in the skill's code fails the test with its own message and
traceback, unless the test asks to hear the apology as a user would.
"""
import re
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.errors import PersistenceError
from alexafsm.errors import StoryError
from alexafsm.persistence import MemoryStore
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.fuzz import APOLOGY_SPEECH
from alexafsm.testing.fuzz import fuzz
from alexafsm.testing.stories import dump_stories
from alexafsm.testing.stories import parse_stories
from alexafsm.testing.stories import run_story
from tests.fixtures.fuzzing.deep_trivia import DeepTriviaPolicy
from tests.fixtures.fuzzing.trivia import ANSWERS
from tests.fixtures.fuzzing.trivia import TriviaPolicy

FIXTURES = Path(__file__).parent / 'fixtures' / 'fuzzing'
MODEL = FIXTURES / 'trivia.json'
SKILL = 'tests.fixtures.fuzzing.deep_trivia:DeepTriviaPolicy'
REPO = Path(__file__).resolve().parents[1]


def seven_right(chat):
    chat.say('StartIntent')
    for answer in ANSWERS[:6]:
        assert chat.say('AnswerIntent', Answer=answer).state == 'right_answer'
    return chat


# --- the store rule -----------------------------------------------------------------------------

def test_a_conversation_keeps_persistent_attributes_in_a_fresh_memory_by_default():
    chat = seven_right(Conversation(TriviaPolicy, model=MODEL))
    assert 'your best is 6' in chat.say('ScoreIntent').speech
    other = Conversation(TriviaPolicy, model=MODEL)  # another conversation: another memory
    assert 'your best is 0' in other.say('ScoreIntent').speech


def test_store_none_leaves_the_skills_own_and_a_skill_without_one_fails_loudly():
    chat = Conversation(TriviaPolicy, model=MODEL, store=None)
    with pytest.raises(PersistenceError, match='no attributes store is configured'):
        chat.say('ScoreIntent')


def test_a_store_given_is_the_one_used():
    store = MemoryStore()
    seven_right(Conversation(TriviaPolicy, model=MODEL, store=store, user_id='amzn1.ask.account.A'))
    assert store.load('amzn1.ask.account.A').text == '{"best":6}'


def test_fuzz_takes_a_store_all_its_sessions_share():
    store = MemoryStore()
    report = fuzz(TriviaPolicy, MODEL, sessions=20, seed=1, store=store)
    assert report.passed, report.text()
    assert store._records  # the fuzzed users' best scores landed there


def test_the_chat_and_stories_commands_take_a_store(tmp_path):
    runner = CliRunner()
    chat = runner.invoke(main, ['chat', 'tests.fixtures.fuzzing.trivia', '--model', str(MODEL)],
                         input='what is my score\n')
    assert chat.exit_code == 0, chat.output
    assert 'your best is 0' in chat.output and 'Sorry' not in chat.output
    bad = runner.invoke(main, ['chat', 'tests.fixtures.fuzzing.trivia', '--model', str(MODEL),
                               '--store', 'nosuch://'])
    assert bad.exit_code == 2 and 'unknown store URL' in bad.output
    story = tmp_path / 'score.story.yaml'
    story.write_text(textwrap.dedent(f"""\
        model: {MODEL}
        stories:
          - name: score
            turns:
              - intent: ScoreIntent
                speech_contains: your best is 0
        """))
    database = tmp_path / 'users.sqlite3'
    ran = runner.invoke(main, ['stories', 'tests.fixtures.fuzzing.trivia', str(story),
                               '--store', f'sqlite:///{database}'])
    assert ran.exit_code == 0, ran.output
    assert database.exists()
    bad = runner.invoke(main, ['stories', 'tests.fixtures.fuzzing.trivia', str(story),
                               '--store', 'nosuch://'])
    assert bad.exit_code == 2 and '--store' in bad.output


# --- a skill's exception fails the test ------------------------------------------------------

def test_a_skills_exception_is_raised_in_the_test_with_its_own_traceback():
    chat = seven_right(Conversation(DeepTriviaPolicy, model=MODEL))
    with pytest.raises(IndexError, match='tuple index out of range') as raised:
        chat.say('AnswerIntent', Answer=ANSWERS[6])
    text = ''.join(traceback.format_exception(raised.type, raised.value, raised.tb))
    assert 'deep_trivia.py' in text and 'return trivia.PRAISE[streak - 1]' in text
    if sys.version_info >= (3, 11):
        assert raised.value.__notes__ == [
            "alexafsm: raised at the fire step of the turn AnswerIntent(Answer='kiwi'), in state "
            "'right_answer'; Conversation(apologize=True) hears the apology instead"]
    # the turn happened as far as Alexa is concerned: the user heard the apology
    assert chat.turns[-1].speech == APOLOGY_SPEECH and chat.attributes['streak'] == 6


def test_apologize_true_hears_the_apology_as_a_user_would():
    chat = seven_right(Conversation(DeepTriviaPolicy, model=MODEL, apologize=True))
    turn = chat.say('AnswerIntent', Answer=ANSWERS[6])
    assert turn.speech == APOLOGY_SPEECH and turn.state == 'right_answer'


STORY = f"""\
skill: {SKILL}
model: {MODEL}
stories:
  - name: seven in a row
    turns:
      - intent: StartIntent
""" + ''.join(f"""      - intent: AnswerIntent
        slots: {{Answer: {answer}}}
        state: right_answer
""" for answer in ANSWERS[:7])


def test_a_story_fails_at_the_turn_with_the_skills_exception_and_traceback():
    story = parse_stories(__import__('yaml').safe_load(STORY)).stories[0]
    result = run_story(DeepTriviaPolicy, story, model=MODEL)
    assert result.failed_turn == 8 and result.error == 'IndexError: tuple index out of range'
    report = result.report()
    assert "failed at turn 8 of 8: AnswerIntent(Answer='kiwi')" in report
    assert "the skill raised IndexError: tuple index out of range (set 'apologize: true'" in report
    assert 'return trivia.PRAISE[streak - 1]' in report
    assert run_story(TriviaPolicy, story, model=MODEL).passed


def test_a_story_that_apologizes_checks_the_apology(tmp_path):
    document = __import__('yaml').safe_load(STORY)
    document['stories'][0]['apologize'] = True
    document['stories'][0]['turns'][-1] = {'intent': 'AnswerIntent', 'slots': {'Answer': 'kiwi'},
                                           'speech': APOLOGY_SPEECH}
    story = parse_stories(document).stories[0]
    assert story.apologize
    assert run_story(DeepTriviaPolicy, story, model=MODEL).passed
    assert 'apologize: true' in dump_stories([story])
    assert parse_stories({'apologize': True, 'stories': {'s': [{'launch': None}]}}) \
        .stories[0].apologize
    with pytest.raises(StoryError, match="'apologize' must be true or false, got 'yes'"):
        parse_stories({'stories': [{'name': 's', 'apologize': 'yes', 'turns': [{'launch': None}]}]})
    with pytest.raises(StoryError,
                       match=r"unknown keys \['apologise'\] \(did you mean 'apologize'\?\)"):
        parse_stories([{'name': 's', 'apologise': True, 'turns': [{'launch': None}]}])


@pytest.mark.integration
def test_the_pytest_plugin_fails_a_story_with_the_skills_traceback(tmp_path):
    (tmp_path / 'trivia.story.yaml').write_text(STORY)
    ran = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'alexafsm.testing.pytest_plugin', '-p',
         'no:cacheprovider', '-o', 'addopts=', '--rootdir', str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={'PYTHONPATH': str(REPO), 'PATH': '/usr/bin:/bin'})
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert re.search(r"the skill raised IndexError: tuple index out of range", ran.stdout)
    assert 'return trivia.PRAISE[streak - 1]' in ran.stdout
