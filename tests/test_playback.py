"""Recording and playback: sessions saved as JSON lines, replayed, and differences shown readably.

The committed recording tests/fixtures/conversation/pizza.recording.jsonl was made with
``Conversation(PizzaPolicy, model=..., record_to=...)``; responses are checked by Amazon's
ask-sdk-model (tests/oracle.py).
"""
import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.testing import Conversation
from alexafsm.testing.playback import diff_responses
from alexafsm.testing.playback import playback
from alexafsm.testing.playback import word_diff
from alexafsm.transcript import RecordingError
from alexafsm.transcript import read_turns
from tests.fixtures.conversation.pizza import PizzaPolicy
from tests.fixtures.conversation.pizza_changed import RewordedPolicy
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

FIXTURES = Path(__file__).parent / 'fixtures' / 'conversation'
MODEL = FIXTURES / 'pizza.model.json'
RECORDING = FIXTURES / 'pizza.recording.jsonl'
PIZZA = 'tests.fixtures.conversation.pizza'
CHANGED = 'tests.fixtures.conversation.pizza_changed:RewordedPolicy'
SKILLSEARCH_MODEL = Path(__file__).parents[1] / 'skills' / 'skillsearch' / 'model' / 'en-US.json'


def record_session(path: Path, policy_cls=PizzaPolicy) -> Conversation:
    chat = Conversation(policy_cls, model=MODEL, record_to=path)
    chat.launch()
    chat.say('OrderIntent', size='big')
    chat.say('AMAZON.NoIntent')
    chat.say('SizeIntent', size='medium')
    chat.say('AMAZON.YesIntent')
    for turn in chat.turns:
        assert_valid_request(turn.request)
        assert_valid_response(turn.response)
    return chat


def test_the_committed_recording_plays_back_unchanged():
    report = playback(PizzaPolicy, [RECORDING])
    assert report.passed, report.report()
    assert (report.turns, report.sessions) == (11, 3)
    assert report.summary() == '11 turns in 3 sessions from 1 recording: every response matches'
    for turn in read_turns(RECORDING):
        assert_valid_response(turn.response)


def test_playback_catches_a_changed_response_and_names_the_turn(tmp_path):
    path = tmp_path / 'pizza.jsonl'
    chat = record_session(path)
    assert playback(PizzaPolicy, [path]).passed
    report = playback(RewordedPolicy, [path])
    assert not report.passed
    # launch, OrderIntent, NoIntent, SizeIntent, YesIntent: turns 2 and 4 ask to confirm
    assert [(m.number, m.turn.line) for m in report.mismatches] == [(2, 2), (4, 4)]
    text = report.mismatches[0].describe()
    session_id = chat.turns[0].request['session']['sessionId']
    assert text.splitlines()[0] == (f"{path}:2: session {session_id}, turn 2: "
                                    f"OrderIntent(Size='big')")
    assert 'expected: "A large pizza. Shall I order it?"' in text
    assert 'got:      "A large pizza. Should I order it?"' in text
    assert 'changed:  A large pizza. [-Shall-] {+Should+} I order it?' in text
    assert ('response.reprompt.outputSpeech.text: expected "Shall I order it?", '
            'got "Should I order it?"') in text
    assert 'state:' not in text  # the state is the same; only what differs is shown
    assert report.summary().endswith('2 responses differ')


def test_turn_numbers_count_within_each_session(tmp_path):
    path = tmp_path / 'two.jsonl'
    record_session(path)
    record_session(path)
    report = playback(RewordedPolicy, [path])
    assert [(m.number, m.turn.line) for m in report.mismatches] == [(2, 2), (4, 4), (2, 7),
                                                                    (4, 9)]
    assert report.sessions == 2


def test_diff_shows_state_attributes_by_key_and_the_rest_by_path():
    expected = {'version': '1.0',
                'sessionAttributes': {'state': 'confirming', 'size': 'large', 'orders': 1},
                'response': {'outputSpeech': {'type': 'PlainText', 'text': 'Hi'},
                             'shouldEndSession': False}}
    actual = {'version': '1.0',
              'sessionAttributes': {'state': 'asking_size', 'orders': True, 'topping': 'ham'},
              'response': {'outputSpeech': {'type': 'PlainText', 'text': 'Hi'},
                           'shouldEndSession': True, 'card': {'type': 'Simple'}}}
    assert diff_responses(expected, actual) == [
        'state: expected "confirming", got "asking_size"',
        'attributes:',
        '  size: expected "large", got (missing)',
        '  orders: expected 1, got true',  # 1 == True in Python, not in JSON
        '  topping: expected (missing), got "ham"',
        'other differences:',
        '  response.shouldEndSession: expected false, got true',
        '  response.card: expected (missing), got {"type": "Simple"}',
    ]
    assert diff_responses(expected, json.loads(json.dumps(expected))) == []


def test_ssml_speech_is_compared_as_markup():
    def ssml(text):
        return {'version': '1.0', 'response': {'outputSpeech': {'type': 'SSML', 'ssml': text}}}

    lines = diff_responses(ssml('<speak>Hi there</speak>'), ssml('<speak>Hi <break/>there</speak>'))
    assert lines[0] == 'speech:'
    assert lines[3] == '  changed:  <speak>Hi [-there</speak>-] {+<break/>there</speak>+}'


def test_word_diff_marks_removed_and_added_words():
    assert word_diff('a b c d', 'a x c d e') == 'a [-b-] {+x+} c d {+e+}'
    assert word_diff('a  b', 'a b') == '(whitespace only)'


def test_a_broken_recording_names_the_file_and_line(tmp_path):
    path = tmp_path / 'broken.jsonl'
    lines = RECORDING.read_text().splitlines()
    path.write_text(lines[0] + '\n\n' + '{"not": "a pair"}\n')
    with pytest.raises(RecordingError, match=r'broken.jsonl:3: not a \[request, response\] pair'):
        read_turns(path)
    path.write_text('[{"a": 1}, {"b": 2}\n')
    with pytest.raises(RecordingError, match=r'broken.jsonl:1: not JSON'):
        read_turns(path)
    with pytest.raises(RecordingError, match='cannot read the recording'):
        read_turns(tmp_path / 'missing.jsonl')


def test_read_turns_skips_blank_lines_and_keeps_line_numbers(tmp_path):
    path = tmp_path / 'gaps.jsonl'
    lines = RECORDING.read_text().splitlines()
    path.write_text(f"{lines[0]}\n\n{lines[1]}\n")
    assert [t.line for t in read_turns(path)] == [1, 3]


def test_concurrent_recording_loses_no_turn(tmp_path):
    path = tmp_path / 'busy.jsonl'
    threads_count, turns_each = 8, 50
    conversations = [Conversation(PizzaPolicy, model=MODEL, record_to=path,
                                  user_id=f'amzn1.ask.account.USER{i}')
                     for i in range(threads_count)]
    barrier = threading.Barrier(threads_count)

    def talk(chat):
        barrier.wait()
        for _ in range(turns_each // 5):
            chat.launch()
            chat.say('OrderIntent', size='large')
            chat.say('AMAZON.NoIntent')
            chat.say('SizeIntent', size='small')
            chat.say('AMAZON.YesIntent')

    threads = [threading.Thread(target=talk, args=(chat,)) for chat in conversations]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    turns = read_turns(path)  # every line parses, or this raises
    assert len(turns) == threads_count * turns_each
    for i, chat in enumerate(conversations):
        mine = [(t.request, t.response) for t in turns
                if t.request['session']['user']['userId'] == f'amzn1.ask.account.USER{i}']
        assert mine == [(t.request, t.response) for t in chat.turns]
    assert playback(PizzaPolicy, [path]).passed
    assert elapsed < 10, f"400 recorded turns took {elapsed:.1f}s"


# The command

def test_cli_passes_an_unchanged_recording():
    result = CliRunner().invoke(main, ['playback', PIZZA, str(RECORDING)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ('11 turns in 3 sessions from 1 recording: every '
                                     'response matches')


def test_cli_fails_a_changed_skill_with_the_diff(tmp_path):
    path = tmp_path / 'pizza.jsonl'
    record_session(path)
    result = CliRunner().invoke(main, ['playback', CHANGED, str(RECORDING), str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: session " in result.output
    assert 'turn 2: OrderIntent(Size=\'big\')' in result.output
    assert '[-Shall-] {+Should+}' in result.output
    assert result.output.rstrip().endswith(
        '16 turns in 4 sessions from 2 recordings: 4 responses differ')


def test_cli_refuses_an_unreadable_recording_with_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ['playback', PIZZA, str(tmp_path / 'nope.jsonl')])
    assert result.exit_code == 2
    assert 'nope.jsonl: cannot read the recording' in result.output
    assert 'Traceback' not in result.output
    result = CliRunner().invoke(main, ['playback', 'tests.fixtures.nothing_here', str(RECORDING)])
    assert result.exit_code == 2 and 'cannot import module' in result.output


# The example skill

skillsearch_missing = importlib.util.find_spec('skills.skillsearch') is None


@pytest.mark.skipif(skillsearch_missing, reason='the Skill Search example is not in this tree')
def test_skillsearch_playback_catches_a_renamed_skill(tmp_path, monkeypatch):
    from alexafsm.extensions import Extensions
    from alexafsm.persistence import MemoryStore
    from skills.skillsearch import SkillSearchPolicy
    from skills.skillsearch import States

    def fresh_users():
        monkeypatch.setattr(SkillSearchPolicy, 'extensions', Extensions(store=MemoryStore()))

    class RenamedStates(States):
        skill_name = 'Skill Finder'

    class Renamed(SkillSearchPolicy):
        states_cls = RenamedStates

    path = tmp_path / 'skillsearch.jsonl'
    fresh_users()
    chat = Conversation(SkillSearchPolicy, model=SKILLSEARCH_MODEL, record_to=path)
    chat.launch()
    chat.say('NewSearch', query='pizza')
    chat.say('AMAZON.YesIntent')
    chat.say('AMAZON.StopIntent')
    chat.say('AMAZON.YesIntent')
    for turn in chat.turns:
        assert_valid_request(turn.request)
        assert_valid_response(turn.response)
    assert [turn.state for turn in chat.turns] == ['initial', 'has_result', 'describing',
                                                   'is_that_all', 'exiting']

    fresh_users()
    assert playback(SkillSearchPolicy, [path]).passed
    fresh_users()
    report = playback(Renamed, [path])
    assert [m.number for m in report.mismatches] == [1]  # only the welcome names the skill
    assert ('changed:  Welcome to Skill [-Search.-] {+Finder.+} Skill Search helps you search '
            '...' in report.mismatches[0].describe())
    assert report.summary() == ('5 turns in 1 session from 1 recording: 1 response differs')
