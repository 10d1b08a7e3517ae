"""The chat console: typed utterances matched to intents, and conversations through a pipe.

What the skill answers is never written down here: expected speech and states come from the
same conversation held with ``Conversation`` directly, so the tests check the matching and the
console, not the skills' wording. Every request and response goes through Amazon's model.
"""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.extensions import Extensions
from alexafsm.persistence import MemoryStore
from alexafsm.response import Directive
from alexafsm.response import Response
from alexafsm.response import updated_intent
from alexafsm.states import with_transitions
from alexafsm.testing.chat import BUILTIN_SAMPLES
from alexafsm.testing.chat import Console
from alexafsm.testing.chat import UtteranceMatcher
from alexafsm.testing.chat import normalize
from alexafsm.testing.chat import run
from alexafsm.testing.chat import speech_text
from alexafsm.testing.conversation import Conversation
from alexafsm.tools.interaction_model import load_model
from skills.pizza import PizzaPolicy
from skills.skillsearch import SkillSearchPolicy
from tests.fixtures.fuzzing.base import FruitPolicy
from tests.fixtures.fuzzing.base import FruitStates
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

REPO = Path(__file__).resolve().parents[1]
SKILLSEARCH_PATH = REPO / 'skills' / 'skillsearch' / 'model' / 'en-US.json'
SKILLSEARCH = load_model(SKILLSEARCH_PATH)
PIZZA = load_model(REPO / 'skills' / 'pizza' / 'model' / 'en-US.json')
FRUIT = load_model(REPO / 'tests' / 'fixtures' / 'fuzzing' / 'model.json')
ALEXAFSM = Path(sys.executable).with_name('alexafsm')


@pytest.fixture(autouse=True)
def stores(monkeypatch):
    """The example skills keep users and orders in memory, not in the machine's temp dir."""
    for policy_cls in (SkillSearchPolicy, PizzaPolicy):
        monkeypatch.setattr(policy_cls, 'extensions', Extensions(store=MemoryStore()))


def checked(console: Console) -> Console:
    for turn in console.chat.turns:
        assert_valid_request(turn.request)
        assert_valid_response(turn.response)
    return console


# --- matching ----------------------------------------------------------------------------------

@pytest.mark.parametrize('text,intent,slots', [
    ('how do i order pizza', 'NewSearch', {'Query': 'order pizza'}),
    ('How do I order pizza?!', 'NewSearch', {'Query': 'order pizza'}),
    ('i want a skill that can find recipes', 'NewSearch', {'Query': 'find recipes'}),
    ('tell me about the third skill', 'NthSkill', {'Nth': 'third'}),
    ('What is the 2nd skill?', 'NthSkill', {'Nth': '2nd'}),
    ('skill number five', 'NthSkill', {'Nth': 'five'}),
    ('what are the ratings', 'DescribeRatings', {}),
    ('how many reviews does it have', 'DescribeRatings', {}),
    ('next', 'NextSkill', {}),
    ('go back', 'PreviousSkill', {}),
    ('what can i ask', 'AMAZON.HelpIntent', {}),
    ('help', 'AMAZON.HelpIntent', {}),
    ('stop', 'AMAZON.StopIntent', {}),
    ('Never mind.', 'AMAZON.CancelIntent', {}),
    ('yes', 'AMAZON.YesIntent', {}),
    ('no thanks', 'AMAZON.NoIntent', {}),
    ('go home', 'AMAZON.NavigateHomeIntent', {}),
    ('flibber jabber wocky', 'AMAZON.FallbackIntent', {}),
])
def test_skillsearch_utterances_match_their_intents(text, intent, slots):
    found = UtteranceMatcher(SKILLSEARCH).understand(text)
    assert (found.intent, dict(found.slots)) == (intent, slots)


def test_the_sample_with_most_literal_words_wins_and_slots_stop_at_the_next_anchor():
    matcher = UtteranceMatcher(PIZZA)
    found = matcher.match('a large pizza with ham and extra cheese')
    assert found.sample == 'a {size} pizza with {toppingOne} and {toppingTwo}'
    assert dict(found.slots) == {'size': 'large', 'toppingOne': 'ham',
                                 'toppingTwo': 'extra cheese'}
    lazy = matcher.match('a large pizza with ham and onions and olives')
    assert (lazy.slots['toppingOne'], lazy.slots['toppingTwo']) == ('ham', 'onions and olives')
    numbers = matcher.match('2 large ham pizzas for delivery')
    assert dict(numbers.slots) == {'quantity': '2', 'size': 'large', 'toppingOne': 'ham',
                                   'method': 'delivery'}
    assert dict(matcher.match('order three pizzas').slots) == {'quantity': 'three'}
    assert matcher.match("I'd like a pizza").sample == "I'd like a pizza"
    assert matcher.match('carry on with my order').intent == 'ResumeOrderIntent'


def test_builtin_intents_match_only_when_the_model_has_them_and_nothing_falls_back(tmp_path):
    path = tmp_path / 'fruit.json'
    path.write_text(json.dumps({'intents': [
        {'name': 'PickIntent', 'slots': [{'name': 'Item', 'type': 'AMAZON.Food'}],
         'samples': ['pick {Item}']},
        {'name': 'AMAZON.StopIntent', 'samples': []}]}))
    model = load_model(path)
    matcher = UtteranceMatcher(model)
    assert matcher.understand('stop').intent == 'AMAZON.StopIntent'
    assert matcher.understand('help') is None
    assert matcher.understand('pick a banana').slots == {'Item': 'a banana'}
    out = []
    console = Console(FruitPolicy, model, write=out.append)
    console.start()
    console.hear('sing me a song')
    assert out[-1] == '  no intent matched (the model has no AMAZON.FallbackIntent to send)'
    assert len(console.chat.turns) == 1
    assert set(BUILTIN_SAMPLES) >= {'AMAZON.StopIntent', 'AMAZON.CancelIntent',
                                    'AMAZON.HelpIntent', 'AMAZON.YesIntent', 'AMAZON.NoIntent'}


def test_normalize_ignores_case_punctuation_and_spacing():
    assert normalize("  What's UP,   doc?! ") == "what's up doc"
    assert normalize('gluten-free, "thin" crust') == 'gluten free thin crust'
    assert normalize('rock ’n’ roll') == 'rock n roll'
    assert normalize('?!') == ''


# --- entity resolution -------------------------------------------------------------------------

def slot_of(console: Console, name: str) -> dict:
    return console.chat.turns[-1].request['request']['intent']['slots'][name]


def test_custom_slot_values_and_synonyms_resolve_as_alexa_resolves_them():
    console = Console(SkillSearchPolicy, SKILLSEARCH, write=lambda line: None)
    console.start()
    console.hear('how do i order pizza')
    query = slot_of(console, 'Query')
    assert query['value'] == 'order pizza'
    assert query['resolutions']['resolutionsPerAuthority'][0]['status'] == \
        {'code': 'ER_SUCCESS_MATCH'}
    console.hear('tell me about skill number three')
    nth = slot_of(console, 'Nth')
    authority = nth['resolutions']['resolutionsPerAuthority'][0]
    assert nth['value'] == 'three'
    assert authority['status'] == {'code': 'ER_SUCCESS_MATCH'}
    assert authority['values'] == [{'value': {'name': 'third', 'id': '3'}}]
    assert authority['authority'].endswith('.NTH')
    console.hear('how do i juggle flaming torches')
    assert slot_of(console, 'Query')['resolutions']['resolutionsPerAuthority'][0]['status'] == \
        {'code': 'ER_SUCCESS_NO_MATCH'}
    checked(console)


# --- the console -------------------------------------------------------------------------------

def test_the_console_shows_speech_card_and_state_of_each_turn():
    out = []
    console = Console(SkillSearchPolicy, SKILLSEARCH, write=out.append)
    console.start()
    console.hear('how do i order pizza')
    reference = Conversation(SkillSearchPolicy, model=SKILLSEARCH)
    reference.launch()
    turn = reference.say('NewSearch', Query='order pizza')
    card_lines = [f'        {line.strip()}' for line in turn.card['content'].splitlines()
                  if line.strip()]
    assert out[-4 - len(card_lines):] == [
        "  intent: NewSearch(Query='order pizza')",
        f'Alexa: {turn.speech}',
        f"  card: {turn.card['title']}",
        *card_lines,
        '  state: has_result']
    console.finish()
    assert out[-1] == '  (session ended: USER_INITIATED)'
    assert console.chat.turns[-1].request['request']['type'] == 'SessionEndedRequest'
    checked(console)


def test_a_dialog_is_followed_as_alexa_would_follow_it():
    out = []
    console = Console(PizzaPolicy, PIZZA, write=out.append)
    console.start()
    for line in ('order a large pizza', 'thin', 'no toppings', 'for delivery', 'yes'):
        console.hear(line)
    requests = [turn.request['request'] for turn in console.chat.turns]
    assert requests[1]['dialogState'] == 'STARTED'
    assert [r['dialogState'] for r in requests[2:]] == ['IN_PROGRESS'] * 4
    assert requests[-1]['intent']['confirmationStatus'] == 'CONFIRMED'
    assert {name: slot.get('value') for name, slot in requests[-1]['intent']['slots'].items()
            if slot.get('value')} == {'size': 'large', 'crust': 'thin',
                                      'toppingOne': 'no toppings', 'method': 'delivery'}
    crust = PIZZA.intent('OrderPizzaIntent').slot('crust').elicitation_prompt.text
    assert f'Alexa: {crust}' in out
    assert '  intent: ' + console.chat.turns[-1].said + ' (confirmed)' in out
    assert console.chat.turns[-1].should_end
    assert out[-1] == '  (the skill ended the session; what you say next opens a new one)'
    checked(console)


class SlipStates(FruitStates):
    """Asks for the number with an updatedIntent that fills a slot CountIntent does not have."""

    @with_transitions({'trigger': 'CountIntent', 'source': '*', 'prepare': 'count'})
    def counted(self) -> Response:
        return Response(speech='How far?', reprompt='How far?', directives=[
            Directive.elicit_slot('Number', updated_intent('CountIntent', {'Colour': 'red'}))])


class SlipPolicy(FruitPolicy):
    states_cls = SlipStates


def test_a_dialog_request_alexa_could_not_send_is_reported_not_raised():
    out = []
    console = Console(SlipPolicy, FRUIT, write=out.append)
    console.start()
    console.hear('count to ten')
    assert console.dialog is not None and console.dialog.elicit == 'Number'
    console.hear('five')
    assert out[-1].startswith("  Alexa could not send CountIntent (was the skill's updatedIntent "
                              "right?): CountIntent has no slot 'Colour' in the interaction model")
    assert console.dialog is None
    assert len(console.chat.turns) == 2
    console.hear('help')
    assert console.chat.turns[-1].said == 'AMAZON.HelpIntent()'


def test_commands_relaunch_list_themselves_and_quit():
    out = []
    console = Console(SkillSearchPolicy, SKILLSEARCH, write=out.append)
    first = console.start()
    assert console.hear(':help')
    assert '  :quit    end the session and leave (so does end of input)' in out
    assert console.hear(':launch')
    assert console.chat.turns[-1].request['session']['sessionId'] != \
        first.request['session']['sessionId']
    assert console.hear(':nope')
    assert out[-1] == "  unknown command ':nope'; commands: :quit, :launch, :help"
    assert console.hear('   ')
    assert not console.hear(':quit')


def test_speech_text_reads_ssml_as_a_listener_hears_it():
    assert speech_text('Plain & simple') == 'Plain & simple'
    assert speech_text('<speak>Hi <break time="1s"/>there, <sub alias="doctor">Dr.</sub> '
                       '<amazon:effect name="whispered">Who</amazon:effect>'
                       '<audio src="https://x/y.mp3"/></speak>') == 'Hi there, doctor Who [audio]'
    assert speech_text('<speak>broken & bad</speak>') == '<speak>broken & bad</speak>'
    assert speech_text(None) == ''


def test_a_terminal_gets_a_prompt_and_a_pipe_gets_each_line_echoed():
    prompts, out = [], []
    run(SkillSearchPolicy, SKILLSEARCH, io.StringIO('help\n'), out.append, interactive=True,
        prompt=prompts.append)
    assert prompts == ['you> ', 'you> ']
    assert not any(line.startswith('you> ') for line in out)
    assert out[-2:] == ['', '  (session ended: USER_INITIATED)']
    piped = []
    run(SkillSearchPolicy, SKILLSEARCH, io.StringIO('help\n:quit\nstop\n'), piped.append,
        interactive=False, prompt=prompts.append)
    assert len(prompts) == 2
    assert [line for line in piped if line.startswith('you> ')] == ['you> help', 'you> :quit']


class Interrupted(io.StringIO):
    """A terminal where the user types one line and then presses Ctrl-C."""

    def readline(self, *args):
        line = super().readline(*args)
        if not line:
            raise KeyboardInterrupt
        return line


def test_ctrl_c_ends_the_session_like_the_end_of_input():
    out = []
    run(SkillSearchPolicy, SKILLSEARCH, Interrupted('help\n'), out.append, interactive=True)
    assert out[-2:] == ['', '  (session ended: USER_INITIATED)']


# --- the command -------------------------------------------------------------------------------

def test_a_scripted_conversation_through_a_pipe(tmp_path):
    lines = ['how do i order pizza', 'tell me about the second skill', 'what are the ratings',
             'flibber jabber wocky', 'stop']
    process = subprocess.run(
        [str(ALEXAFSM), 'chat', 'skills.skillsearch', '--model', str(SKILLSEARCH_PATH)],
        input=''.join(line + '\n' for line in lines), capture_output=True, text=True,
        cwd=REPO, timeout=60,
        env=dict(os.environ, PYTHONPATH=str(REPO),
                 SKILLSEARCH_USERS_DB=str(tmp_path / 'users.sqlite3')))
    assert process.returncode == 0, process.stderr
    assert process.stderr == ''
    reference = Conversation(SkillSearchPolicy, model=SKILLSEARCH)
    launch = reference.launch()
    turns = [reference.say('NewSearch', Query='order pizza'),
             reference.say('NthSkill', Nth='second'), reference.say('DescribeRatings'),
             reference.say('AMAZON.FallbackIntent'), reference.say('AMAZON.StopIntent')]
    expected = [f'Alexa: {launch.speech}', f'  state: {launch.state}']
    for line, turn in zip(lines, turns):
        expected += [f'you> {line}', f'  intent: {turn.said}', f'Alexa: {turn.speech}',
                     f'  state: {turn.state}']
    shown = [line for line in process.stdout.splitlines()
             if line.startswith(('you> ', '  intent: ', 'Alexa: ', '  state: '))]
    assert shown == expected
    assert process.stdout.splitlines()[0] == expected[0]
    assert reference.in_session, 'the script should leave the session open for EOF to end'
    assert process.stdout.splitlines()[-1] == '  (session ended: USER_INITIATED)'


def test_the_command_reads_stdin_without_a_terminal():
    result = CliRunner().invoke(main, ['chat', 'skills.skillsearch', '--model',
                                       str(SKILLSEARCH_PATH)], input='what can i ask\n')
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:4] == ['you> what can i ask',
                                               '  intent: AMAZON.HelpIntent()']


@pytest.mark.parametrize('args,message', [
    (['no.such.skill', '--model', str(SKILLSEARCH_PATH)], 'cannot import module'),
    (['skills.skillsearch', '--model', 'missing.json'], 'no such file or directory'),
    (['tests.fixtures.echo_skill'], "no interaction model: give --model PATH"),
], ids=['bad skill', 'missing model', 'no model'])
def test_the_command_exits_2_for_a_bad_skill_or_model(args, message):
    result = CliRunner().invoke(main, ['chat', *args], input='help\n')
    assert result.exit_code == 2
    assert message in result.output
    assert 'Traceback' not in result.output
