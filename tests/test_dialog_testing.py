"""Stories, the chat console and the stack rules on a skill that uses alexafsm.dialogs.

The coffee skill (tests/fixtures/coffee_skill.py) orders through a Form and has Help and a menu
as pushes; each test drives it as Alexa would and reads only what went over the wire.
"""
import pytest

from alexafsm import amazon_intent as ai
from alexafsm.errors import StoryError
from alexafsm.testing.chat import Console
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.conversation import Turn as ChatTurn
from alexafsm.testing.dialog_checks import frame_values
from alexafsm.testing.dialog_checks import stack_problems
from alexafsm.testing.dialog_checks import was_resumed
from alexafsm.testing.stories import Story
from alexafsm.testing.stories import Turn
from alexafsm.testing.stories import parse_stories
from alexafsm.testing.stories import run_story
from alexafsm.tools.interaction_model import load_model
from tests.fixtures.coffee_skill import MENU
from tests.fixtures.coffee_skill import MODEL
from tests.fixtures.coffee_skill import ORDER
from tests.fixtures.coffee_skill import CoffeePolicy

COFFEE = load_model(MODEL)

STORY = """
stories:
  - name: help in the middle of an order goes back to it
    turns:
      - launch:
        stack: []
      - intent: OrderCoffeeIntent
        dialog_state: STARTED
        slots: {drink: latte}
        state: coffee.asking
        frame: {drink: LATTE}
        resumed: false
      - intent: AMAZON.HelpIntent
        state: helping
        stack: [coffee.asking]
      - intent: AMAZON.YesIntent
        state: coffee.asking
        stack: []
        resumed: true
        frame: {drink: LATTE}
        directives: [{type: Dialog.ElicitSlot, slotToElicit: size}]
"""


def story(text: str = STORY) -> Story:
    return parse_stories(__import__('yaml').safe_load(text)).stories[0]


def test_a_story_checks_stack_resumed_and_frame():
    result = run_story(CoffeePolicy, story(), model=COFFEE)
    assert result.passed, result.report()


@pytest.mark.parametrize('check, wrong, got', [
    ('stack', '[helping]', "['coffee.asking']"),
    ('resumed', 'true', 'False'),
    ('frame', '{drink: TEA}', "{'drink': 'LATTE'}"),
])
def test_a_missed_dialog_expectation_reads_plainly(check, wrong, got):
    """Turn 3 (help) is where the wrong expectation goes."""
    text = STORY.replace('        stack: [coffee.asking]\n',
                         f'        stack: [coffee.asking]\n        {check}: {wrong}\n'
                         if check != 'stack' else f'        stack: {wrong}\n')
    result = run_story(CoffeePolicy, story(text), model=COFFEE)
    assert result.failed_turn == 3
    assert f"{check}: expected " in result.report() and f"got {got}" in result.report()


@pytest.mark.parametrize('check, value, words', [
    ('stack', 'coffee.asking', 'stack is a list of state names'),
    ('resumed', 'maybe', 'resumed is true or false'),
    ('frame', '[LATTE]', 'frame is a mapping of slot names'),
])
def test_a_malformed_dialog_expectation_fails_when_read(check, value, words):
    with pytest.raises(StoryError, match=words):
        story(f"stories: [{{name: x, turns: [{{launch: null, {check}: {value}}}]}}]")


def test_resumed_and_frame_need_the_skill():
    turn = Turn.say(ai.HELP, resumed=False)
    got = Conversation(CoffeePolicy, model=COFFEE).launch()
    with pytest.raises(StoryError, match='reads the skill'):
        turn.check(got)


def test_a_story_from_a_conversation_pins_the_stack():
    chat = Conversation(CoffeePolicy, model=COFFEE)
    turns = [chat.launch(), chat.say(ORDER, drink='tea', dialog_state='STARTED'),
             chat.say(MENU)]
    written = Story.from_conversation('menu', turns)
    assert [t.expect for t in written.turns] == [
        {'state': 'initial'}, {'state': 'coffee.asking'},
        {'state': 'listing_menu', 'stack': ['coffee.asking']}]
    assert run_story(CoffeePolicy, written, model=COFFEE).passed


def test_the_coffee_skill_keeps_the_stack_rules():
    chat = Conversation(CoffeePolicy, model=COFFEE)
    turns = [chat.launch(), chat.say(ORDER, drink='tea', dialog_state='STARTED'),
             chat.say(ai.HELP), chat.say(MENU), chat.say(ai.YES), chat.say(ai.STOP)]
    assert [stack_problems(CoffeePolicy, t) for t in turns] == [[]] * len(turns)
    assert [was_resumed(CoffeePolicy, t) for t in turns] == \
        [False, False, False, False, True, False]
    assert frame_values(CoffeePolicy, turns[-1]) == {'drink': 'TEA'}


def answer(state: str, attributes: dict, should_end: bool = False) -> ChatTurn:
    request = {'request': {'type': 'IntentRequest', 'intent': {'name': ai.HELP}},
               'session': {'attributes': {'state': 'initial'}}}
    return ChatTurn(request, {'sessionAttributes': {'state': state, **attributes},
                              'response': {'shouldEndSession': should_end}})


@pytest.mark.parametrize('attributes, state, should_end, problem', [
    ({'alexafsm': {'v': 1, 'stack': ['initial', 'coffee.asking', 'coffee.confirming', 'made']}},
     'helping', False, 'more than CoffeeStates.MAX_STACK (3)'),
    ({'alexafsm': {'v': 1, 'stack': ['initial', 'initial']}}, 'helping', False,
     'holds a state twice'),
    ({'alexafsm': {'v': 1, 'stack': ['ordering']}}, 'helping', False, "names ['ordering']"),
    ({'alexafsm': {'v': 1, 'stack': ['listing_menu']}}, 'helping', False,
     "suspends the digression(s) ['listing_menu']"),
    ({'alexafsm': {'v': 1, 'stack': ['initial'], 'digression': 'helping'}}, 'listing_menu',
     False, "the digression in progress is 'helping'"),
    ({'alexafsm': {'v': 1, 'stack': ['coffee.asking']}}, 'stopped', True,
     'ended the session but still sends the stack'),
    ({'alexafsm': {'v': 1, 'stack': ['initial'], 'x': 'y' * 1100}}, 'helping', False,
     'more than 1024'),
    ({'coffee': {'drink': 'TEA', 'milk': 'oat'}}, 'coffee.asking', False,
     "form 'coffee' holds ['milk']"),
])
def test_each_stack_rule_catches_its_corruption(attributes, state, should_end, problem):
    problems = stack_problems(CoffeePolicy, answer(state, attributes, should_end))
    assert len(problems) == 1 and problem in problems[0], problems


def test_the_chat_follows_the_forms_directives():
    """ElicitSlot: the next line fills that slot; ConfirmIntent: yes confirms; a digression
    between is answered and the form's directive after the resume is followed again."""
    out = []
    console = Console(CoffeePolicy, COFFEE, write=out.append)
    console.start()
    for line in ['a latte', 'help', 'yes', 'large', 'yes']:
        console.hear(line)
    text = '\n'.join(out)
    assert '  state: coffee.asking' in text
    assert 'Alexa: Small or large?' in text  # the model's prompt, for the Delegate
    assert "  intent: OrderCoffeeIntent(drink='latte', size='large')" in text
    assert 'Alexa: 1 large latte. Shall I make it?' in text
    assert "(confirmed)" in text and 'Alexa: Your latte is coming.' in text
    assert '  stack: coffee.asking' in text  # the chat shows what is suspended


def test_a_pushed_dialogs_digression_is_its_mount():
    """The runtime names a pushed form's digression by its mount: any of its states is in it."""
    turn = answer('coffee.confirming', {'alexafsm': {'v': 1, 'stack': ['initial'],
                                                     'digression': 'coffee'}})
    assert stack_problems(CoffeePolicy, turn) == []
