"""alexafsm.dialogs' Form: every slot of every turn read and validated, asked on Alexa's terms.

On the coffee fixture skill (tests/fixtures/coffee_skill.py), through ``Conversation`` with its
interaction model, so slots arrive entity-resolved as Alexa sends them; and on small forms
written here for the rules the coffee order has no use for (model validation rules, slot
confirmation, two forms side by side). Every response is checked by Amazon's own SDK model.
"""
import random
from collections import namedtuple
from typing import Any
from typing import Dict
from typing import Optional

import pytest

from alexafsm import amazon_intent
from alexafsm.dialogs import RESUME
from alexafsm.dialogs import Form
from alexafsm.dialogs import Invalid
from alexafsm.dialogs import Slot
from alexafsm.dialogs.compiled import dialog_info
from alexafsm.policy import Policy
from alexafsm.response import Response
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.testing import Conversation
from alexafsm.testing import Turn
from tests.fixtures.coffee_skill import MODEL as COFFEE_MODEL
from tests.fixtures.coffee_skill import ORDER
from tests.fixtures.coffee_skill import CoffeePolicy
from tests.fixtures.coffee_skill import CoffeeStates
from tests.oracle import assert_valid_response

HELP, YES = amazon_intent.HELP, amazon_intent.YES


class Coffee:
    """A coffee session; during a dialog Alexa re-sends the slots of the last updatedIntent."""

    def __init__(self) -> None:
        # no store (None: the skill's own, which it has not): forms alone, no resume record
        self.chat = Conversation(CoffeePolicy, model=COFFEE_MODEL, store=None)
        self.dialog: Dict[str, Optional[str]] = {}

    def order(self, dialog_state: str = 'IN_PROGRESS', confirmation: str = 'NONE',
              **said: str) -> Turn:
        slots = dict(self.dialog) if dialog_state != 'STARTED' else {}
        slots.update(said)
        return self._checked(self.chat._say(ORDER, slots, dialog_state=dialog_state,
                                            confirmation_status=confirmation))

    def say(self, intent: str) -> Turn:
        return self._checked(self.chat.say(intent))

    def _checked(self, turn: Turn) -> Turn:
        assert_valid_response(turn.response)
        for d in turn.response['response'].get('directives', []):
            if 'updatedIntent' in d:
                self.dialog = {n: s.get('value') for n, s in d['updatedIntent']['slots'].items()}
        return turn


def directive(turn: Turn) -> Dict[str, Any]:
    directives = turn.response['response'].get('directives', [])
    assert len(directives) == 1, directives
    return directives[0]


def filled(turn: Turn) -> Dict[str, str]:
    slots = directive(turn)['updatedIntent']['slots']
    return {name: slot['value'] for name, slot in slots.items() if 'value' in slot}


@pytest.fixture
def coffee() -> Coffee:
    return Coffee()


def test_a_dialog_just_started_with_nothing_to_say_is_delegated_without_speech(coffee):
    turn = coffee.order('STARTED', drink='short black')
    assert turn.state == 'coffee.asking'
    assert directive(turn)['type'] == 'Dialog.Delegate'
    assert turn.speech is None and turn.reprompt is None
    assert filled(turn) == {'drink': 'espresso'}, "ids go back as the model's canonical words"
    assert turn.attributes['coffee'] == {'drink': 'ESPRESSO'}


def test_everything_in_the_first_utterance_is_read_and_validated(coffee):
    turn = coffee.order('STARTED', drink='latte', size='big', cups=2)
    assert turn.state == 'coffee.confirming'
    assert directive(turn)['type'] == 'Dialog.ConfirmIntent'
    assert turn.speech == "2 large latte. Shall I make it?"
    coffee = Coffee()
    turn = coffee.order('STARTED', drink='latte', size='big', cups=9)
    assert turn.state == 'coffee.asking', "the first utterance's values are validated too"
    assert directive(turn) == {**directive(turn), 'type': 'Dialog.ElicitSlot',
                               'slotToElicit': 'cups'}
    assert turn.speech == "We make one to four cups at a time. How many cups?"
    assert filled(turn) == {'drink': 'latte', 'size': 'large'}, "only validated values"


def test_a_value_off_the_model_is_asked_again_and_removes_the_old_value(coffee):
    coffee.order('STARTED', drink='latte')
    turn = coffee.order(drink='mocha')
    assert directive(turn)['slotToElicit'] == 'drink'
    assert turn.speech == "Sorry, I didn't get mocha. Latte, espresso or tea?"
    assert turn.reprompt == "Latte, espresso or tea?"
    assert turn.attributes['coffee'] == {} and 'drink' not in filled(turn)


def test_the_first_problem_in_slot_order_is_asked_and_later_good_values_are_kept(coffee):
    turn = coffee.order('STARTED', drink='mocha', size='small', cups=7)
    assert directive(turn)['slotToElicit'] == 'drink'
    assert turn.attributes['coffee'] == {'size': 'SMALL'}


def test_a_missing_slot_after_an_answer_is_delegated_when_there_is_nothing_to_say(coffee):
    coffee.order('STARTED', drink='tea')
    turn = coffee.order(cups=3)
    assert directive(turn)['type'] == 'Dialog.Delegate' and turn.speech is None
    assert turn.attributes['alexafsm']['forms'] == {'coffee': {'asked': 'size'}}


def test_too_many_refusals_give_up_to_the_mapped_state(coffee):
    coffee.order('STARTED', drink='tea', size='small')
    for tries in (1, 2, 3):
        turn = coffee.order(cups=9)
        assert turn.state == 'coffee.asking'
        assert turn.attributes['alexafsm']['forms']['coffee']['tries'] == {'cups': tries}
    turn = coffee.order(cups=9)
    assert turn.state == 'helping', "MAX_TRIES is 3: the fourth refusal gives up"
    assert 'forms' not in (turn.attributes.get('alexafsm') or {}), "bookkeeping dropped"


def test_confirmed_is_done_with_defaults_filled_and_denied_keeps_the_values(coffee):
    coffee.order('STARTED', drink='tea', size='small')
    turn = coffee.order(confirmation='CONFIRMED')
    assert turn.state == 'made' and turn.should_end
    coffee = Coffee()
    coffee.order('STARTED', drink='tea', size='small')
    made = coffee.chat.turns[-1]
    assert made.state == 'coffee.confirming'
    turn = coffee.order(confirmation='DENIED')
    assert turn.state == 'initial'
    assert turn.attributes['coffee'] == {'drink': 'TEA', 'size': 'SMALL'}
    assert 'alexafsm' not in turn.attributes


def test_done_fills_the_defaults_of_optional_slots():
    chat = Conversation(CoffeePolicy, model=COFFEE_MODEL)
    chat.say(ORDER, dialog_state='STARTED', drink='tea', size='small')
    policy = CoffeePolicy.initialize()
    assert dialog_info(CoffeeStates).forms['coffee'].slot('cups').default == 1
    turn = chat._say(ORDER, {'drink': 'tea', 'size': 'small'}, dialog_state='IN_PROGRESS',
                     confirmation_status='CONFIRMED')
    assert turn.state == 'made' and policy is not None
    assert turn.speech == "Your tea is coming."


def test_after_a_digression_the_form_asks_again_where_it_stood_values_kept(coffee):
    coffee.order('STARTED', drink='latte')
    help_turn = coffee.say(HELP)
    assert help_turn.attributes['alexafsm']['stack'] == ['coffee.asking']
    turn = coffee.say(YES)
    assert turn.state == 'coffee.asking'
    assert directive(turn)['type'] == 'Dialog.ElicitSlot', "RESUME_WITH = 'elicit'"
    assert directive(turn)['slotToElicit'] == 'size' and turn.speech == "Small or large?"
    assert filled(turn) == {'drink': 'latte'}
    coffee.order(size='small')
    coffee.say('MenuIntent')
    turn = coffee.say(YES)
    assert turn.state == 'coffee.confirming' and directive(turn)['type'] == \
        'Dialog.ConfirmIntent'


def test_answering_the_form_during_a_digression_unwinds_into_it(coffee):
    coffee.order('STARTED', drink='latte')
    coffee.say(HELP)
    turn = coffee.order(size='large')
    assert turn.state == 'coffee.confirming'
    assert 'alexafsm' not in turn.attributes, "stack unwound, digression over, nothing asked"


def test_the_frame_of_a_suspended_form_is_seen_from_the_digression():
    policy = CoffeePolicy.initialize({
        'version': '1.0', 'session': {'new': False, 'sessionId': 's', 'application': {
            'applicationId': 'a'}, 'user': {'userId': 'u'}, 'attributes': {
            'state': 'helping', 'coffee': {'drink': 'TEA'},
            'alexafsm': {'v': 1, 'stack': ['coffee.asking'], 'digression': 'helping'}}},
        'request': {'type': 'IntentRequest', 'requestId': 'r', 'locale': 'en-US',
                    'intent': {'name': YES, 'confirmationStatus': 'NONE'}}})
    frame = policy.dialog.frame
    assert frame.values == {'drink': 'TEA'} and frame.missing == ('size',)
    assert frame.next_slot == 'size' and not frame.complete


# -- rules the coffee order does not need: model validations, slot confirmation, two forms ------

NOTE_MODEL = {'interactionModel': {
    'languageModel': {'invocationName': 'notes', 'types': [], 'intents': [
        {'name': 'NoteIntent', 'slots': [{'name': 'color', 'type': 'AMAZON.Color'},
                                         {'name': 'count', 'type': 'AMAZON.NUMBER'},
                                         {'name': 'title', 'type': 'AMAZON.SearchQuery'}]},
        {'name': 'TodoIntent', 'slots': [{'name': 'title', 'type': 'AMAZON.SearchQuery'}]},
        {'name': 'StartIntent', 'slots': []}]},
    'dialog': {'intents': [
        {'name': 'NoteIntent', 'confirmationRequired': True,
         'prompts': {'confirmation': 'Confirm.note'}, 'slots': [
             {'name': 'color', 'type': 'AMAZON.Color', 'elicitationRequired': True,
              'prompts': {'elicitation': 'Elicit.color'}, 'validations': [
                  {'type': 'isInSet', 'prompt': 'Bad.color', 'values': ['red', 'blue']}]},
             {'name': 'count', 'type': 'AMAZON.NUMBER', 'elicitationRequired': True,
              'prompts': {'elicitation': 'Elicit.count'}, 'validations': [
                  {'type': 'isGreaterThan', 'prompt': 'Bad.count', 'value': '0'},
                  {'type': 'isLessThanOrEqualTo', 'prompt': 'Bad.count', 'value': '5'}]},
             {'name': 'title', 'type': 'AMAZON.SearchQuery', 'elicitationRequired': True,
              'confirmationRequired': True,
              'prompts': {'elicitation': 'Elicit.title', 'confirmation': 'Confirm.title'}}]},
        {'name': 'TodoIntent', 'slots': [
            {'name': 'title', 'type': 'AMAZON.SearchQuery', 'elicitationRequired': True,
             'prompts': {'elicitation': 'Elicit.todo'}}]}]},
    'prompts': [{'id': i, 'variations': [{'type': 'PlainText', 'value': v}]} for i, v in (
        ('Elicit.color', 'Which color?'), ('Elicit.count', 'How many?'),
        ('Elicit.title', 'What title?'), ('Elicit.todo', 'What to do?'),
        ('Bad.color', 'Red or blue only.'), ('Bad.count', 'One to five.'),
        ('Confirm.title', 'Is the title right?'), ('Confirm.note', 'Save the note?'))]}}


class NoteForm(Form):
    INTENT = 'NoteIntent'
    MODEL = NOTE_MODEL
    SLOTS = {'color': Slot(), 'count': Slot(kind='number'), 'title': Slot()}
    ELICIT = 'elicit'


class TodoForm(Form):
    INTENT = 'TodoIntent'
    MODEL = NOTE_MODEL
    RESUME_WITH = 'delegate'


class NoteAttributes(SessionAttributes):
    slots_cls = namedtuple('NoteSlots', ['color', 'count', 'title'])

    def __init__(self, intent: Optional[str] = None, slots: Any = None, state: str = 'initial',
                 note: Optional[dict] = None, todo: Optional[dict] = None) -> None:
        super().__init__(intent, slots, state)
        self.note = note
        self.todo = todo


class NoteStates(States):
    session_attributes_cls = NoteAttributes
    note = NoteForm.mount(enter=[{'trigger': 'NoteIntent', 'source': '*'},
                                 {'trigger': 'StartIntent', 'source': '*'}], done='saved')
    todo = TodoForm.mount(enter=[{'trigger': 'TodoIntent', 'source': '*', 'push': True}],
                          done=RESUME)

    def initial(self) -> Response:
        return Response(speech='Notes.')

    @with_transitions({'trigger': HELP, 'source': '*', 'push': True},
                      {'trigger': YES, 'dest': RESUME})
    def helping(self) -> Response:
        return Response(speech='Say a note.', reprompt='Go on?')

    def saved(self) -> Response:
        return Response(speech='Saved.', should_end=True)


class NotePolicy(Policy):
    states_cls = NoteStates

    def validate_note__title(self, title: str) -> str:
        if 'secret' in title:
            raise Invalid("No secrets, please.")
        return title.strip().capitalize()


def notes() -> Conversation:
    return Conversation(NotePolicy)


def test_the_models_local_validation_rules_refuse_with_the_models_prompt():
    chat = notes()
    turn = chat.say('NoteIntent', dialog_state='STARTED', color='green', count='9',
                    title='groceries')
    assert turn.speech == "Red or blue only. Which color?"
    assert turn.attributes['note'] == {'title': 'Groceries'}, "count 9 refused as well"
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', color='red', count='0')
    assert turn.speech == "One to five. How many?"
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', count='5')
    assert turn.attributes['note'] == {'title': 'Groceries', 'color': 'red', 'count': 5}


def test_a_validator_named_by_convention_normalises_or_refuses_with_its_words():
    chat = notes()
    turn = chat.say('NoteIntent', dialog_state='STARTED', title='my secret')
    assert turn.speech == "No secrets, please. What title?"
    assert directive(turn)['slotToElicit'] == 'title'


def test_a_slot_to_confirm_is_asked_with_confirm_slot_and_denied_clears_it():
    chat = notes()
    chat.say('NoteIntent', dialog_state='STARTED', color='red', count='2', title='milk')
    turn = chat.turns[-1]
    assert directive(turn)['type'] == 'Dialog.ConfirmSlot'
    assert directive(turn)['slotToConfirm'] == 'title'
    assert turn.speech == 'Is the title right?'
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', color='red', count='2',
                    title='milk', slot_confirmations={'title': 'DENIED'})
    assert directive(turn)['slotToElicit'] == 'title' and 'title' not in turn.attributes['note']
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', color='red', count='2',
                    title='bread')
    assert directive(turn)['type'] == 'Dialog.ConfirmSlot'
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', color='red', count='2',
                    title='bread', slot_confirmations={'title': 'CONFIRMED'})
    assert turn.state == 'note.confirming' and turn.speech == 'Save the note?'
    turn = chat.say('NoteIntent', dialog_state='IN_PROGRESS', color='red', count='2',
                    title='bread', confirmation_status='CONFIRMED')
    assert turn.state == 'saved'


def test_elicit_mode_asks_with_the_skills_own_directive_even_when_alexa_could():
    chat = notes()
    turn = chat.say('NoteIntent', dialog_state='STARTED', color='blue')
    assert directive(turn)['type'] == 'Dialog.ElicitSlot' and turn.speech == 'How many?'


def test_two_forms_keep_their_bookkeeping_apart_and_a_pushed_form_resumes_the_other():
    chat = notes()
    chat.say('NoteIntent', dialog_state='STARTED', color='green')
    turn = chat.say('TodoIntent', dialog_state='STARTED')
    assert turn.state == 'todo.asking'
    assert turn.attributes['alexafsm']['stack'] == ['note.asking']
    assert turn.attributes['alexafsm']['forms'] == {
        'note': {'asked': 'color', 'tries': {'color': 1}}, 'todo': {'asked': 'title'}}
    turn = chat.say('TodoIntent', dialog_state='IN_PROGRESS', title='call mum')
    assert turn.state == 'note.asking', "the todo's done outcome resumes the note"
    assert turn.attributes['todo'] == {'title': 'call mum'}
    assert turn.attributes['alexafsm']['forms'] == {'note': {'asked': 'color',
                                                              'tries': {'color': 1}}}
    assert directive(turn)['slotToElicit'] == 'color'


def test_resume_with_delegate_hands_the_question_back_to_alexa(monkeypatch, coffee):
    from tests.fixtures.coffee_skill import CoffeeOrder
    monkeypatch.setattr(CoffeeOrder, 'RESUME_WITH', 'delegate')
    coffee.order('STARTED', drink='latte')
    coffee.say(HELP)
    turn = coffee.say(YES)
    assert turn.state == 'coffee.asking'
    assert directive(turn)['type'] == 'Dialog.Delegate' and turn.speech is None


def test_help_inside_a_pushed_form_is_a_digression_of_the_digression():
    """The pushed todo is the digression; help replaces it, and yes goes to the suspended note."""
    chat = notes()
    chat.say('NoteIntent', dialog_state='STARTED', color='red')
    turn = chat.say('TodoIntent', dialog_state='STARTED')
    assert turn.attributes['alexafsm']['digression'] == 'todo'
    turn = chat.say(HELP)
    assert turn.attributes['alexafsm']['stack'] == ['note.asking']
    assert turn.attributes['alexafsm']['digression'] == 'helping'
    assert chat.say(YES).state == 'note.asking'


def test_entering_a_form_with_a_complete_frame_goes_straight_to_its_read_back():
    chat = notes()
    chat.attributes = {'state': 'initial', 'note': {'color': 'red', 'count': 1, 'title': 'X'},
                       'alexafsm': {'v': 1, 'forms': {'note': {'confirmed': ['title']}}}}
    chat.session_id = 'amzn1.echo-api.session.notes'
    turn = chat.send(__import__('alexafsm.testing.requests', fromlist=['x']).intent_request(
        'StartIntent', {}, attributes=chat.attributes, session_id=chat.session_id))
    assert turn.state == 'note.confirming'


@pytest.mark.parametrize('seed', range(3))
def test_the_slot_asked_is_the_first_problem_else_the_first_missing_one(seed):
    """Property: random values, good and bad, for random subsets of the slots."""
    rng = random.Random(seed)
    good = {'color': ['red', 'blue'], 'count': ['1', '5'], 'title': ['milk', 'tea']}
    bad = {'color': ['green'], 'count': ['0', '6', '?'], 'title': ['a secret']}
    order = ['color', 'count', 'title']
    for _ in range(200):
        said = {}
        for slot in order:
            roll = rng.random()
            if roll < 0.35:
                said[slot] = rng.choice(good[slot])
            elif roll < 0.6:
                said[slot] = rng.choice(bad[slot])
        turn = notes().say('NoteIntent', dialog_state='STARTED', **said)
        problems = [s for s in order if s in said and said[s] in bad[s]]
        missing = [s for s in order if s not in said or said[s] in bad[s]]
        d = directive(turn)
        assert_valid_response(turn.response)
        if problems:
            assert d['slotToElicit'] == problems[0]
        elif missing:
            assert d['slotToElicit'] == missing[0]
        else:
            assert d['type'] == 'Dialog.ConfirmSlot' and d['slotToConfirm'] == 'title'
        values = {name: slot.get('value') for name, slot in d['updatedIntent']['slots'].items()}
        assert all(values[s] is None for s in problems), "refused values are never sent back"


def test_the_view_names_the_mount_its_store_and_its_escape_hatches_forget_the_stack():
    request = {'version': '1.0', 'session': {
        'new': False, 'sessionId': 's', 'application': {'applicationId': 'a'},
        'user': {'userId': 'u'}, 'attributes': {
            'state': 'coffee.asking', 'coffee': {'drink': 'TEA'},
            'alexafsm': {'v': 1, 'stack': ['helping', 'coffee.confirming']}}},
        'request': {'type': 'IntentRequest', 'requestId': 'r', 'locale': 'en-US',
                    'intent': {'name': YES, 'confirmationStatus': 'NONE'}}}
    view = CoffeePolicy.initialize(request).dialog
    assert view.path == 'coffee' and view.data == {'drink': 'TEA'}
    view.drop()
    assert view.stack == ('helping',)
    view.clear()
    assert view.stack == () and view.digression is None
    assert request['session']['attributes']['alexafsm']['stack'] == ['helping',
                                                                    'coffee.confirming']
