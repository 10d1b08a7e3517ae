"""Stories: the YAML format, the failure report, ``alexafsm stories`` and the pytest plugin.

The fixture stories (tests/fixtures/conversation/pizza.story.yaml) pass; failing stories are
written to tmp_path, so that the plugin, once installed, never collects a failing one from the
suite. Every response a story gets is checked by Amazon's ask-sdk-model (tests/oracle.py).
"""
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.testing import Conversation
from alexafsm.testing import Story
from alexafsm.testing import StoryError
from alexafsm.testing import StoryTurn
from alexafsm.testing import run_story
from alexafsm.testing.stories import dump_stories
from alexafsm.testing.stories import load_stories
from alexafsm.testing.stories import parse_stories
from tests.fixtures.conversation.pizza import PizzaPolicy
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / 'tests' / 'fixtures' / 'conversation'
STORIES = FIXTURES / 'pizza.story.yaml'
MODEL = FIXTURES / 'pizza.model.json'
SKILL = 'tests.fixtures.conversation.pizza:PizzaPolicy'


def run(story: Story, **options):
    result = run_story(PizzaPolicy, story, **options)
    for turn in result.turns:
        assert_valid_request(turn.request)
        assert_valid_response(turn.response)
    return result


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_the_fixture_stories_pass():
    stories = load_stories(STORIES)
    assert stories.skill == SKILL
    assert stories.model == str(FIXTURES / 'pizza.model.json')
    assert [s.name for s in stories.stories] == [
        'order a large pizza in one go', 'asked for the size, then change of mind',
        'help and goodbye']
    for story in stories.stories:
        result = run(story, model=stories.model)
        assert result.passed, result.report()
        assert len(result.turns) == len(story.turns)


def test_a_failing_turn_is_reported_with_story_turn_said_expected_and_got(tmp_path):
    path = write(tmp_path / 'bad.yaml', """\
        stories:
          - name: wrong expectations
            turns:
              - launch:
              - intent: OrderIntent
                slots: {Size: large}
                state: ordering
                speech_contains: [large, extra cheese]
                speech_matches: '^Shall'
                card_title: Pizza
              - intent: AMAZON.YesIntent
        """)
    story = load_stories(path).stories[0]
    result = run(story, model=MODEL)
    assert not result.passed
    assert result.failed_turn == 2
    assert len(result.turns) == 2  # the story stops at the failing turn
    assert result.report().splitlines() == [
        f"story 'wrong expectations' ({path}) failed at turn 2 of 3: OrderIntent(Size='large')",
        "  state: expected 'ordering', got 'confirming'",
        "  speech_contains: expected speech containing 'extra cheese', got "
        "'A large pizza. Shall I order it?'",
        "  speech_matches: expected speech matching '^Shall', got "
        "'A large pizza. Shall I order it?'",
        "  card_title: expected 'Pizza', got None",
        "  turns before it:",
        "    1. launch -> initial: 'Welcome to Pizza Palace. What pizza would you like?'",
    ]


def test_a_turn_that_cannot_be_said_fails_the_story_with_the_reason():
    story = Story('typo', (StoryTurn.say('OrderPizza'),))
    result = run(story, model=MODEL)
    assert result.failed_turn == 1 and result.turns == []
    assert "'OrderPizza' is not an intent of the interaction model" in result.report()
    after_end = Story('end twice', (StoryTurn.launch(), StoryTurn.end(), StoryTurn.end()))
    assert 'no session is open' in run(after_end).report()


def test_every_check_passes_when_met():
    story = Story('all checks', (
        StoryTurn.say('OrderIntent', {'size': 'small'}, state='confirming',
                      speech='A small pizza. Shall I order it?', speech_contains='small',
                      speech_matches=r'^A \w+ pizza', should_end=False, card_title=None),
        StoryTurn.say('AMAZON.YesIntent', card_title='Pizza ordered', should_end=True),
    ))
    assert run(story).passed


@pytest.mark.parametrize('document', [
    [{'name': 'one', 'turns': ['launch', 'end']}],
    {'stories': {'one': ['launch', {'end': None}]}},
    {'skill': SKILL, 'stories': [{'name': 'one', 'turns': [{'launch': None}, 'end']}]},
])
def test_the_file_may_be_a_list_or_a_mapping_of_stories(document):
    stories = parse_stories(document).stories
    assert stories == (Story('one', (StoryTurn.launch(), StoryTurn.end())),)


def test_to_yaml_reads_back_as_the_same_story():
    story = Story('round trip', (
        StoryTurn.launch(state='initial'),
        StoryTurn('intent', intent='OrderIntent', slots={'Size': 'large', 'Topping': None},
                  dialog_state='IN_PROGRESS', confirmation_status='CONFIRMED',
                  expect={'speech_contains': ['large', 'order'], 'card_title': None}),
        StoryTurn.end('EXCEEDED_MAX_REPROMPTS'),
    ))
    text = story.to_yaml(skill=SKILL, model='pizza.model.json')
    assert text.startswith(f"skill: {SKILL}\nmodel: pizza.model.json\nstories:\n- name: round "
                           f"trip\n  turns:\n  - launch:\n    state: initial\n")
    loaded = parse_stories(yaml.safe_load(text))
    assert loaded.stories == (story,)
    assert (loaded.skill, loaded.model) == (SKILL, 'pizza.model.json')


def test_a_recorded_conversation_becomes_a_story_that_replays_it():
    chat = Conversation(PizzaPolicy, model=MODEL)
    chat.launch()
    chat.say('OrderIntent', size='big')
    chat.say('AMAZON.NoIntent')
    chat.end()
    story = Story.from_conversation('found by hand', chat.turns)
    assert [t.describe() for t in story.turns] == [
        'launch', "OrderIntent(Size='big')", 'AMAZON.NoIntent()',
        'session ended (USER_INITIATED)']
    assert [t.expect for t in story.turns] == [
        {'state': 'initial'}, {'state': 'confirming'}, {'state': 'asking_size'}, {}]
    reloaded = parse_stories(yaml.safe_load(story.to_yaml())).stories[0]
    assert run(reloaded, model=MODEL).passed


@pytest.mark.parametrize('document,message', [
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'stat': 'a'}]}]},
     "<stories>: story 's', turn 1: unknown keys ['stat'] (did you mean 'state'?)"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'launch': None}]}]},
     "turn 1: a turn does exactly one of launch, intent, end; this one has ['intent', "
     "'launch']"),
    ({'stories': [{'name': 's', 'turns': [{'launch': None, 'slots': {'a': 'b'}}]}]},
     "['slots'] only apply to an intent turn, not to launch"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'speech_matches': '(unclosed'}]}]},
     "speech_matches '(unclosed' is not a regular expression"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'should_end': 'yes'}]}]},
     "should_end is true or false, got 'yes'"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'directives': 'Dialog.Delegate'}]}]},
     "directives is a list of directive types such as Dialog.Delegate"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'directives': [{'slot': 'a'}]}]}]},
     "or of mappings with a 'type' and the fields to check"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'reprompt': 3}]}]},
     "reprompt is compared to a string, or null for none, got 3"),
    ({'stories': [{'name': 's', 'turns': [{'end': 'BORED'}]}]},
     "'end' takes a reason, one of USER_INITIATED, ERROR, EXCEEDED_MAX_REPROMPTS"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'slots': {'n': True}}]}]},
     "slot 'n' is True; Alexa sends the words it heard"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'dialog_state': 'DONE'}]}]},
     "dialog_state is one of STARTED, IN_PROGRESS, COMPLETED, got 'DONE'"),
    ({'stories': [{'name': 's', 'turns': [{'intent': 'X', 'confirmation_status': 'YES'}]}]},
     "confirmation_status is one of NONE, CONFIRMED, DENIED, got 'YES'"),
    ({'stories': [{'name': 's', 'turns': [{'intent': None}]}]},
     "'intent' needs an intent name"),
    ({'stories': [{'name': 's', 'turns': []}]}, "'turns' must be a non-empty list"),
    ({'stories': [{'name': 's', 'turns': ['launch']}, {'name': 's', 'turns': ['launch']}]},
     "story names must be unique"),
    ({'stories': [{'turns': ['launch']}]}, "story 1 needs a 'name'"),
    ({'skil': SKILL, 'stories': []}, "unknown top-level keys ['skil'] (did you mean 'skill'?)"),
    ({'skill': SKILL}, "no 'stories'"),
    ('launch', 'stories must be a list'),
])
def test_mistakes_in_a_story_file_name_the_place_and_the_fix(document, message):
    with pytest.raises(StoryError) as error:
        parse_stories(document)
    assert message in str(error.value)


def test_an_unreadable_or_invalid_yaml_file_is_a_story_error(tmp_path):
    with pytest.raises(StoryError, match='cannot read the story file'):
        load_stories(tmp_path / 'missing.story.yaml')
    path = write(tmp_path / 'broken.story.yaml', 'stories: [\n')
    with pytest.raises(StoryError, match='broken.story.yaml: not valid YAML'):
        load_stories(path)


def test_dump_stories_writes_several_stories_to_one_file():
    stories = [Story('a', (StoryTurn.launch(),)), Story('b', (StoryTurn.say('X', {'n': '1'}),))]
    assert parse_stories(yaml.safe_load(dump_stories(stories))).stories == tuple(stories)


# alexafsm stories

def test_cli_passes_the_fixture_stories():
    result = CliRunner().invoke(main, ['stories', 'tests.fixtures.conversation.pizza',
                                       str(STORIES)])
    assert result.exit_code == 0, result.output
    assert result.output == 'all 3 stories passed\n'


def test_cli_reports_failures_and_exits_1(tmp_path):
    path = write(tmp_path / 'mixed.story.yaml', f"""\
        model: {MODEL}
        stories:
          goodbye:
            - launch
            - intent: AMAZON.StopIntent
              should_end: true
          stays open:
            - intent: AMAZON.HelpIntent
              should_end: true
        """)
    result = CliRunner().invoke(main, ['stories', 'tests.fixtures.conversation.pizza',
                                       str(path), str(STORIES)])
    assert result.exit_code == 1
    assert (f"story 'stays open' ({path}) failed at turn 1 of 1: AMAZON.HelpIntent()\n"
            f"  should_end: expected True, got False\n") in result.output
    assert "story 'goodbye'" not in result.output
    assert result.output.endswith('4 of 5 stories passed\n')


def test_cli_refuses_a_broken_story_file_before_running_anything(tmp_path):
    path = write(tmp_path / 'typo.story.yaml', """\
        stories:
          - name: typo
            turns:
              - intent: AMAZON.HelpIntent
                speech_contain: Say
        """)
    result = CliRunner().invoke(main, ['stories', 'tests.fixtures.conversation.pizza',
                                       str(path)])
    assert result.exit_code == 2
    assert "story 'typo', turn 1: unknown keys ['speech_contain'] (did you mean " \
           "'speech_contains'?)" in result.output
    assert 'Traceback' not in result.output


# The pytest plugin

def pytest_run(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest in a fresh process with the plugin, on story files outside this suite."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE='1')
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'alexafsm.testing.pytest_plugin', '-p',
         'no:cacheprovider', '-o', 'addopts=', '--rootdir', str(directory), *args,
         str(directory)], capture_output=True, text=True, env=env, cwd=directory, timeout=60)


@pytest.mark.integration
def test_the_plugin_collects_one_item_per_story_and_reports_failures(tmp_path):
    (tmp_path / 'pizza.story.yaml').write_text(
        STORIES.read_text().replace('model: pizza.model.json', f'model: {MODEL}'))
    write(tmp_path / 'failing.story.yml', f"""\
        skill: {SKILL}
        stories:
          - name: expects the wrong state
            turns:
              - launch:
                state: ordering
          - name: passes
            turns:
              - launch
        """)
    (tmp_path / 'notes.yaml').write_text('not: a story file\n')
    ran = pytest_run(tmp_path, '-v')
    outcomes = [list(match.groups()) for match in
                re.finditer(r'^(\S+\.story\.ya?ml::.+?) (PASSED|FAILED)', ran.stdout, re.M)]
    assert sorted(outcomes) == sorted([
        ['failing.story.yml::expects the wrong state', 'FAILED'],
        ['failing.story.yml::passes', 'PASSED'],
        ['pizza.story.yaml::order a large pizza in one go', 'PASSED'],
        ['pizza.story.yaml::asked for the size, then change of mind', 'PASSED'],
        ['pizza.story.yaml::help and goodbye', 'PASSED']]), ran.stdout
    assert ran.returncode == 1
    assert '1 failed, 4 passed' in ran.stdout
    assert ("story 'expects the wrong state' (" in ran.stdout
            and "failed at turn 1 of 1: launch\n  state: expected 'ordering', got 'initial'"
            in ran.stdout)
    assert 'Traceback' not in ran.stdout


@pytest.mark.integration
def test_the_plugin_says_when_a_file_names_no_skill_or_a_wrong_one(tmp_path):
    write(tmp_path / 'anonymous.story.yaml', """\
        stories:
          - name: nobody runs me
            turns: [launch]
        """)
    write(tmp_path / 'wrong.story.yaml', """\
        skill: tests.fixtures.conversation.pizza:NoSuchPolicy
        stories:
          - name: nor me
            turns: [launch]
        """)
    ran = pytest_run(tmp_path, '-q')
    assert ran.returncode == 2  # collection errors
    assert ("anonymous.story.yaml: the story file does not say which skill to run: add a "
            "top-level 'skill: package.module:PolicyClass'") in ran.stdout
    assert "'NoSuchPolicy' in tests.fixtures.conversation.pizza is not a Policy subclass" \
        in ran.stdout


# The example skill

@pytest.mark.skipif(importlib.util.find_spec('skills.skillsearch') is None,
                    reason='the Skill Search example is not in this tree')
def test_a_skillsearch_story(tmp_path, monkeypatch):
    from alexafsm.extensions import Extensions
    from alexafsm.persistence import MemoryStore
    from skills.skillsearch import SkillSearchPolicy

    monkeypatch.setattr(SkillSearchPolicy, 'extensions', Extensions(store=MemoryStore()))
    document = yaml.safe_load(textwrap.dedent("""\
        stories:
          - name: search and leave
            turns:
              - launch:
                state: initial
                speech_contains: Welcome to Skill Search.
              - intent: NewSearch
                slots: {query: pizza}
                state: has_result
                speech_matches: '^You asked for pizza\\. I found \\d+ skills\\.'
                card_title: Search for pizza
              - intent: NthSkill
                slots: {nth: fifth}
                state: bad_navigate
              - intent: AMAZON.StopIntent
                state: exiting
                should_end: true
        """))
    model = ROOT / 'skills' / 'skillsearch' / 'model' / 'en-US.json'
    story = parse_stories(document).stories[0]
    result = run_story(SkillSearchPolicy, story, model=model)
    assert result.passed, result.report()
    for turn in result.turns:
        assert_valid_response(turn.response)



PIZZA_MODEL = Path(__file__).resolve().parents[1] / 'skills' / 'pizza' / 'model' / 'en-US.json'


def run_pizza(**expect):
    """The example pizza skill's first two dialog turns, with checks on the second: it answers
    a started order with Dialog.Delegate and no speech, then asks for the topping itself."""
    from skills.pizza import PizzaPolicy as DialogPizza
    story = Story('dialog', (
        StoryTurn('intent', intent='OrderPizzaIntent', slots={'size': 'large'},
                  dialog_state='STARTED'),
        StoryTurn('intent', intent='OrderPizzaIntent', slots={'crust': 'thin'},
                  dialog_state='IN_PROGRESS', expect=expect)))
    result = run_story(DialogPizza, story, model=PIZZA_MODEL)
    for turn in result.turns:
        assert_valid_response(turn.response)
    return result


def test_directives_speech_and_reprompt_checks_pass_when_met_and_name_what_differs():
    elicit = {'type': 'Dialog.ElicitSlot', 'slotToElicit': 'toppingOne'}
    assert run_pizza(directives=['Dialog.ElicitSlot'], reprompt=None).passed is False
    assert run_pizza(directives=['Dialog.ElicitSlot'],
                     speech_contains='What topping would you like?').passed
    assert run_pizza(directives=[elicit]).passed
    failed = run_pizza(directives=['Dialog.Delegate'])
    assert failed.mismatches[0].describe() == \
        "directives: expected ['Dialog.Delegate'], got ['Dialog.ElicitSlot']"
    failed = run_pizza(directives=[{**elicit, 'slotToElicit': 'method'}])
    assert failed.mismatches[0].got == [elicit]  # only the fields the story named
    failed = run_pizza(directives=[], speech=None)
    assert [m.expectation for m in failed.mismatches] == ['directives', 'speech']


def test_a_turn_without_speech_is_checked_with_null():
    from skills.pizza import PizzaPolicy as DialogPizza
    story = Story('delegate', (StoryTurn('intent', intent='OrderPizzaIntent',
                                         slots={'size': 'large'}, dialog_state='STARTED',
                                         expect={'speech': None, 'reprompt': None,
                                                 'directives': ['Dialog.Delegate']}),))
    assert run_story(DialogPizza, story, model=PIZZA_MODEL).passed


def test_a_response_alexa_would_reject_fails_the_story_even_without_checks():
    from alexafsm import response
    from alexafsm.policy import Policy
    from alexafsm.states import States

    class Odd(States):
        def initial(self):  # Response builds it, but Alexa fetches no image over plain http
            card = response.Card.standard('Hi', 'there', small_image_url='http://x/s.png')
            return response.Response(speech='Hi', card=card)

    policy_cls = type('OddPolicy', (Policy,), {'states_cls': Odd})
    result = run_story(policy_cls, Story('odd', (StoryTurn.launch(),)))
    assert not result.passed and result.failed_turn == 1
    assert result.mismatches[0].expectation == 'response'
    assert 'http://x/s.png' in result.mismatches[0].got
