"""The pizza example skill: whole conversations, as Alexa holds them, and the unfinished order.

``Alexa`` below plays Alexa for one user, through ``alexafsm.testing.Conversation`` with the
host's store holding the user's persistent attributes. Session attributes go through JSON
between turns, and during a dialog the next OrderPizzaIntent carries the slots of the
``updatedIntent`` the skill last sent (without resolutions, since Alexa resolves only what users
say) plus what the user said this turn, entity-resolved against the skill's own interaction
model. Every request must be one Amazon's SDK model accepts, and every response must round-trip
through it.
"""
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from typing import Dict
from typing import Optional
from unittest import mock

import pytest

from alexafsm import amazon_intent
from alexafsm.extensions import StoreUnavailable
from alexafsm.loader import load_policy
from alexafsm.machine import Machine
from alexafsm.persistence import MemoryStore
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import host_extensions
from alexafsm.testing import Conversation
from alexafsm.testing import Turn
from alexafsm.testing import respond
from alexafsm.testing.requests import custom_type_resolution
from alexafsm.testing.requests import intent_request
from alexafsm.testing.requests import launch_request
from alexafsm.testing.requests import new_session_id
from alexafsm.tools.interaction_model import load_model
from skills.pizza import PizzaPolicy
from skills.pizza import PizzaStates
from skills.pizza import menu
from skills.pizza.intents import LIST_TOPPINGS
from skills.pizza.intents import ORDER_PIZZA
from skills.pizza.intents import RESUME_ORDER
from skills.pizza.policy import ORDERS_DB_ENV
from skills.pizza.policy import ORDERS_DB_FILE
from tests.helpers import isolate_embedded_store
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

REPO = Path(__file__).resolve().parents[1]
MODEL_PATH = REPO / 'skills' / 'pizza' / 'model' / 'en-US.json'
MODEL = load_model(MODEL_PATH)
ORDER_SLOTS = MODEL.intent(ORDER_PIZZA).slot_names
USER = 'amzn1.ask.account.PIZZALOVER'
OTHER_USER = 'amzn1.ask.account.SOMEONEELSE'
REQUIRED = ('size', 'crust', 'toppingOne', 'method')
COMPLETE = {'size': 'LARGE', 'crust': 'THIN', 'toppingOne': 'PEPPERONI', 'method': 'DELIVERY'}


def prompt(slot: str) -> str:
    """The model's elicitation prompt, read here from the JSON rather than through the skill."""
    return MODEL.intent(ORDER_PIZZA).slot(slot).elicitation_prompt.text


class Alexa:
    """Alexa and one user: sessions, attributes through JSON, and the dialog's intent."""

    def __init__(self, store: Any, user_id: str = USER) -> None:
        self.chat = Conversation(PizzaPolicy, user_id=user_id, store=store)
        self.dialog_slots: Dict[str, Optional[str]] = {}
        self.last: Dict[str, Any] = {}

    @property
    def attributes(self) -> Dict[str, Any]:
        return self.chat.attributes

    def mid_session(self, attributes: Dict[str, Any]) -> 'Alexa':
        """Carry on a session whose earlier turns left ``attributes``."""
        self.chat.session_id = new_session_id()
        self.chat.attributes = json.loads(json.dumps(attributes))
        return self

    def launch(self) -> Dict[str, Any]:
        self.dialog_slots = {}
        return self._checked(self.chat.launch())

    def say(self, intent: str) -> Dict[str, Any]:
        """An intent without slots (help, yes, "what toppings do you have", ...)."""
        return self._send(intent)

    def order(self, dialog_state: str, confirmation: str = 'NONE',
              resolutions: Optional[Dict[str, Any]] = None, **spoken: str) -> Dict[str, Any]:
        """OrderPizzaIntent: a new dialog (STARTED) holds only what was said now; a dialog in
        progress also holds the slots of the skill's last directive."""
        slots = {name: None for name in ORDER_SLOTS}
        if dialog_state != 'STARTED':
            slots.update(self.dialog_slots)
        slots.update(spoken)
        resolved = {name: self._resolve(name, value) for name, value in spoken.items()
                    if name != 'quantity'}
        resolved.update(resolutions or {})
        return self._send(ORDER_PIZZA, slots, dialog_state=dialog_state,
                          confirmation_status=confirmation, resolutions=resolved)

    def walk_away(self) -> Dict[str, Any]:
        """The session times out: Alexa tells the skill, which cannot answer any more."""
        return self._checked(self.chat.end('EXCEEDED_MAX_REPROMPTS'))

    @staticmethod
    def _resolve(slot: str, spoken: str) -> Any:
        type_name = MODEL.intent(ORDER_PIZZA).slot(slot).type
        match = MODEL.resolve(type_name, spoken)
        return custom_type_resolution(type_name, match.value if match else None,
                                      match.id if match else None)

    def _send(self, intent: str, slots: Optional[Dict[str, Any]] = None,
              **options: Any) -> Dict[str, Any]:
        request = intent_request(intent, slots, attributes=self.chat.attributes,
                                 caller=self.chat.caller, session_id=self.chat.session_id,
                                 new=not self.chat.in_session, **options)
        return self._checked(self.chat.send(request))

    def _checked(self, turn: Turn) -> Dict[str, Any]:
        """The skill's answer, held to Alexa's rules; a directive's intent is the dialog's."""
        assert_valid_request(turn.request)
        envelope = turn.response
        assert_valid_response(envelope)
        self.last = envelope
        for directive in envelope['response'].get('directives', []):
            intent = directive.get('updatedIntent')
            if intent:
                self.dialog_slots = {name: slot.get('value')
                                     for name, slot in intent['slots'].items()}
        if turn.should_end:
            self.dialog_slots = {}
        return envelope


def speech(envelope: Dict[str, Any]) -> Optional[str]:
    return (envelope['response'].get('outputSpeech') or {}).get('text')


def directive(envelope: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    directives = envelope['response'].get('directives', [])
    assert len(directives) <= 1, directives
    return directives[0] if directives else None


def state(envelope: Dict[str, Any]) -> Optional[str]:
    return (envelope.get('sessionAttributes') or {}).get('state')


def filled(envelope: Dict[str, Any]) -> Dict[str, str]:
    """The slot values of the directive's updatedIntent that carry a value."""
    slots = directive(envelope)['updatedIntent']['slots']
    assert set(slots) == set(ORDER_SLOTS), "updatedIntent must carry every slot of the intent"
    return {name: slot['value'] for name, slot in slots.items() if 'value' in slot}


def price(*ids: str, quantity: int = 1) -> str:
    cents = quantity * (menu.SIZE_CENTS[ids[0]] + menu.CRUST_CENTS[ids[1]]
                        + sum(menu.TOPPING_CENTS[t] for t in ids[2:]))
    return f"${cents / 100:.2f}"


def remembered_order(store: Any, user_id: str = USER) -> Optional[Dict[str, Any]]:
    """The unfinished order the store keeps for the user's next launch, None when there is none:
    the form's values in the resume record alexafsm.dialogs keeps (RESUME_ACROSS_SESSIONS)."""
    record = store.load(user_id)
    resume = (json.loads(record.text).get('alexafsm') or {}).get('resume') \
        if record is not None else None
    return resume['data']['order'] if resume else None


def remember_order(store: Any, draft: Any, user_id: str = USER) -> None:
    """An order left unfinished in an earlier session: a resume record at its form's state."""
    complete = isinstance(draft, dict) and set(REQUIRED) <= set(draft)
    record = {'state': 'order.confirming' if complete else 'order.asking', 'stack': [],
              'forms': {}, 'data': {'order': draft}, 'at': time.time()}
    assert store.save(user_id, json.dumps({'alexafsm': {'v': 1, 'resume': record}}), None)


@pytest.fixture(autouse=True)
def embedded_default(monkeypatch, tmp_path) -> Path:
    """Where the skill's own store would put its file in this test, made afresh and unopened."""
    path = tmp_path / 'embedded' / ORDERS_DB_FILE
    isolate_embedded_store(monkeypatch, PizzaPolicy, path)
    return path


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def alexa(memory) -> Alexa:
    return Alexa(memory)


# The interaction model and the machine agree ------------------------------------------------

def test_model_has_a_dialog_model_with_a_prompt_for_every_required_slot():
    intent = MODEL.intent(ORDER_PIZZA)
    assert MODEL.delegation_strategy == 'SKILL_RESPONSE'
    assert intent.delegation_strategy == 'SKILL_RESPONSE'
    assert tuple(s.name for s in intent.required_slots) == REQUIRED
    assert not intent.confirmation_required, "the skill confirms with its own read-back"
    for slot in intent.slots:
        assert slot.samples, f"slot {slot.name} needs samples for Dialog.ElicitSlot answers"
    for slot in ('size', 'crust', 'method'):
        values = MODEL.slot_type(intent.slot(slot).type).values
        for variation in intent.slot(slot).elicitation_prompt.texts:
            missing = [v.value for v in values if v.value not in variation.casefold()]
            assert not missing, f"prompt {variation!r} does not offer {missing}"


def test_every_intent_the_machine_triggers_is_in_the_model_and_vice_versa():
    triggers = set(Machine.of(PizzaPolicy).events)
    assert triggers == set(MODEL.intent_names)


def test_every_menu_id_has_a_price_and_no_synonym_is_ambiguous():
    for slot, prices in (('size', menu.SIZE_CENTS), ('crust', menu.CRUST_CENTS),
                         ('toppingOne', menu.TOPPING_CENTS), ('method', menu.READY_MINUTES)):
        slot_type = MODEL.slot_type(MODEL.intent(ORDER_PIZZA).slot(slot).type)
        assert {v.id for v in slot_type.values} == set(prices), slot
        words = [w.casefold() for v in slot_type.values for w in (v.value, *v.synonyms)]
        assert len(words) == len(set(words)), f"{slot_type.name} repeats a word: {words}"


def test_serve_finds_exactly_one_policy_in_the_package():
    assert load_policy('skills.pizza') is PizzaPolicy


def test_machine_states_and_ending_states():
    fsm = Machine.of(PizzaPolicy)
    assert fsm.states == ('initial', 'cancelled', 'helping', 'listing_toppings', 'not_placed',
                          'order.asking', 'order.confirming', 'placed', 'stopped')
    assert set(PizzaStates.ENDING_STATES) == {'cancelled', 'placed', 'stopped'}
    assert PizzaPolicy.initialize().machine.get_transitions(
        amazon_intent.FALLBACK, 'order.asking')[0].dest == 'order.asking'


# Dialog management ------------------------------------------------------------------------

def test_launch_without_an_unfinished_order_welcomes(alexa):
    envelope = alexa.launch()
    assert speech(envelope) == "Welcome to Pizza Palace. Would you like to order a pizza?"
    assert state(envelope) == 'initial'
    assert envelope['response']['shouldEndSession'] is False


def test_started_dialog_is_delegated_with_the_synonym_resolved_to_its_id(alexa):
    # "Alexa, ask pizza palace for a family pizza", resolved as Alexa reports it
    family = {'resolutionsPerAuthority': [{
        'authority': 'amzn1.er-authority.echo-sdk.amzn1.ask.skill.00000000-0000-4000-8000-'
                     '000000000000.PIZZA_SIZE',
        'status': {'code': 'ER_SUCCESS_MATCH'},
        'values': [{'value': {'name': 'large', 'id': 'LARGE'}}]}]}
    envelope = alexa.order('STARTED', resolutions={'size': family}, size='family')
    assert directive(envelope)['type'] == 'Dialog.Delegate'
    assert 'outputSpeech' not in envelope['response'] and 'reprompt' not in envelope['response']
    assert filled(envelope) == {'size': 'large'}
    assert envelope['sessionAttributes']['order'] == {'size': 'LARGE'}
    assert state(envelope) == 'order.asking'


@pytest.mark.parametrize('answers, asked', [
    ({'size': 'big'}, 'crust'),
    ({'size': 'big', 'crust': 'crispy'}, 'toppingOne'),
    ({'size': 'big', 'crust': 'crispy', 'toppingOne': 'shrooms'}, 'method'),
    ({'crust': 'deep', 'method': 'carry out'}, 'size'),
])
def test_in_progress_dialog_elicits_the_first_missing_slot_with_the_model_prompt(alexa, answers,
                                                                                 asked):
    alexa.order('STARTED')
    envelope = alexa.order('IN_PROGRESS', **answers)
    elicit = directive(envelope)
    assert elicit['type'] == 'Dialog.ElicitSlot' and elicit['slotToElicit'] == asked
    assert speech(envelope).endswith(prompt(asked))
    assert envelope['response']['reprompt']['outputSpeech']['text'] == prompt(asked)
    assert asked not in filled(envelope)
    assert set(filled(envelope)) == set(answers)


def test_synonyms_reach_the_skill_as_ids_and_are_said_back_in_canonical_words(alexa):
    alexa.order('STARTED', size='family', crust='crispy')
    envelope = alexa.order('IN_PROGRESS', toppingOne='shrooms', toppingTwo='salami')
    assert alexa.attributes['order'] == {'size': 'LARGE', 'crust': 'THIN',
                                         'toppingOne': 'MUSHROOM', 'toppingTwo': 'PEPPERONI'}
    assert speech(envelope).startswith(
        "So far, a large thin crust pizza with mushrooms and pepperoni.")
    assert filled(envelope) == {'size': 'large', 'crust': 'thin', 'toppingOne': 'mushrooms',
                                'toppingTwo': 'pepperoni'}


def test_completed_dialog_asks_for_confirmation_with_a_read_back_from_ids(alexa):
    alexa.order('STARTED')
    envelope = alexa.order('COMPLETED', size='big', crust='crispy', toppingOne='pepperoni',
                           toppingTwo='mushroom', quantity='2', method='bring it')
    confirm = directive(envelope)
    assert confirm['type'] == 'Dialog.ConfirmIntent'
    assert confirm['updatedIntent']['name'] == ORDER_PIZZA
    assert speech(envelope) == (
        f"So that's two large thin crust pizzas with pepperoni and mushrooms, for delivery, "
        f"which comes to {price('LARGE', 'THIN', 'PEPPERONI', 'MUSHROOM', quantity=2)}. "
        f"Shall I place the order?")
    assert filled(envelope)['quantity'] == '2'
    assert state(envelope) == 'order.confirming'


def test_confirmed_order_is_placed_with_a_card_and_ends_the_session(alexa, memory):
    alexa.order('STARTED', size='small', crust='regular', toppingOne='none', method='pick up')
    assert remembered_order(memory) == {'size': 'SMALL', 'crust': 'REGULAR',
                                 'toppingOne': 'NO_TOPPING', 'method': 'PICKUP'}
    assert directive(alexa.last)['type'] == 'Dialog.ConfirmIntent'
    envelope = alexa.order('IN_PROGRESS', confirmation='CONFIRMED')
    assert state(envelope) == 'placed'
    assert envelope['response']['shouldEndSession'] is True
    assert 'directives' not in envelope['response']
    total = price('SMALL', 'REGULAR')
    assert speech(envelope) == (
        f"Your order is placed: a small regular crust pizza with just cheese, for pickup. It "
        f"will be ready to pick up in about {menu.READY_MINUTES['PICKUP']} minutes. That's "
        f"{total} in total. Thank you for ordering from Pizza Palace!")
    card = envelope['response']['card']
    assert card['type'] == 'Simple' and card['title'] == 'Your Pizza Palace order'
    assert f"Total: {total}" in card['content']
    assert remembered_order(memory) is None, "a placed order is not offered at the next launch"
    assert speech(alexa.launch()).startswith("Welcome to Pizza Palace.")


def test_yes_without_the_dialog_also_places_a_complete_order(alexa, memory):
    alexa.order('STARTED', size='medium', crust='thin', toppingOne='ham', method='delivery')
    envelope = alexa.say(amazon_intent.YES)
    assert state(envelope) == 'placed' and remembered_order(memory) is None


def test_denied_order_is_not_placed_and_a_new_one_can_start(alexa, memory):
    alexa.order('STARTED', size='medium', crust='thin', toppingOne='ham', method='delivery')
    envelope = alexa.order('IN_PROGRESS', confirmation='DENIED')
    assert state(envelope) == 'not_placed'
    assert speech(envelope) == "Okay, I won't place that order. Would you like to start a new one?"
    assert 'directives' not in envelope['response']
    assert remembered_order(memory) is None and alexa.attributes['order'] == {}
    envelope = alexa.say(amazon_intent.YES)
    assert directive(envelope)['slotToElicit'] == 'size' and filled(envelope) == {}
    assert speech(envelope) == f"Okay. {prompt('size')}"


def test_denied_then_no_says_goodbye(alexa):
    alexa.order('STARTED', size='medium', crust='thin', toppingOne='ham', method='delivery')
    alexa.order('IN_PROGRESS', confirmation='DENIED')
    envelope = alexa.say(amazon_intent.NO)
    assert state(envelope) == 'stopped' and envelope['response']['shouldEndSession'] is True


def test_a_size_not_on_the_menu_is_elicited_again(alexa):
    envelope = alexa.order('STARTED', size='gigantic', crust='thin')
    elicit = directive(envelope)
    assert elicit['type'] == 'Dialog.ElicitSlot' and elicit['slotToElicit'] == 'size'
    assert speech(envelope) == f"Sorry, we don't make gigantic pizzas. {prompt('size')}"
    assert filled(envelope) == {'crust': 'thin'}
    envelope = alexa.order('IN_PROGRESS', size='x large')
    assert directive(envelope)['slotToElicit'] == 'toppingOne'
    assert alexa.attributes['order'] == {'size': 'EXTRA_LARGE', 'crust': 'THIN'}
    assert 'an extra large thin crust pizza' in speech(envelope)


def test_changing_a_slot_to_something_off_the_menu_drops_the_old_value(alexa):
    alexa.order('STARTED', size='large', crust='thin')
    envelope = alexa.order('IN_PROGRESS', crust='cauliflower')
    assert directive(envelope)['slotToElicit'] == 'crust'
    assert speech(envelope).startswith("Sorry, we don't have a cauliflower crust.")
    assert alexa.attributes['order'] == {'size': 'LARGE'}


@pytest.mark.parametrize('spoken', ['20', '0', '?'])
def test_a_quantity_we_cannot_make_is_elicited_again(alexa, spoken):
    envelope = alexa.order('STARTED', size='large', crust='thin', toppingOne='ham',
                           method='pickup', quantity=spoken)
    assert directive(envelope)['slotToElicit'] == 'quantity'
    assert speech(envelope) == ("Sorry, we make between one and ten pizzas per order. "
                                "How many pizzas would you like?")
    envelope = alexa.order('IN_PROGRESS', quantity='3')
    assert directive(envelope)['type'] == 'Dialog.ConfirmIntent'
    assert speech(envelope).startswith("So that's three large thin crust pizzas with ham")


# Digressions ------------------------------------------------------------------------------

def test_toppings_question_mid_dialog_then_yes_returns_to_the_same_slot(alexa):
    alexa.order('STARTED', size='large')
    alexa.order('IN_PROGRESS', crust='thin')
    assert directive(alexa.last)['slotToElicit'] == 'toppingOne'
    envelope = alexa.say(LIST_TOPPINGS)
    toppings = [v.value for v in MODEL.slot_type('PIZZA_TOPPING').values
                if v.id != 'NO_TOPPING']
    assert speech(envelope) == (f"We have {', '.join(toppings[:-1])} and {toppings[-1]}. You can "
                                f"pick up to two. Shall we carry on with your order?")
    assert state(envelope) == 'listing_toppings' and 'directives' not in envelope['response']
    envelope = alexa.say(amazon_intent.YES)
    assert directive(envelope)['type'] == 'Dialog.ElicitSlot'
    assert directive(envelope)['slotToElicit'] == 'toppingOne'
    assert filled(envelope) == {'size': 'large', 'crust': 'thin'}
    assert speech(envelope) == f"Okay. So far, a large thin crust pizza. {prompt('toppingOne')}"
    envelope = alexa.order('IN_PROGRESS', toppingOne='olives')
    assert directive(envelope)['slotToElicit'] == 'method'


def test_help_during_confirmation_then_continue_asks_for_confirmation_again(alexa):
    alexa.order('STARTED', size='large', crust='thin', toppingOne='ham', method='pickup')
    assert state(alexa.last) == 'order.confirming'
    envelope = alexa.say(amazon_intent.HELP)
    assert state(envelope) == 'helping'
    assert speech(envelope).startswith(
        "You're ordering a large thin crust pizza with ham, for pickup. You can ask")
    assert speech(envelope).endswith("Shall we carry on with your order?")
    envelope = alexa.say(RESUME_ORDER)
    assert directive(envelope)['type'] == 'Dialog.ConfirmIntent'
    assert state(envelope) == 'order.confirming'
    assert speech(envelope).startswith("Okay. So that's a large thin crust pizza with ham")
    assert alexa.order('IN_PROGRESS', confirmation='CONFIRMED')['sessionAttributes'][
        'state'] == 'placed'


def test_help_says_what_is_still_needed(alexa):
    alexa.order('STARTED', size='large', crust='thin')
    envelope = alexa.say(amazon_intent.HELP)
    assert "I still need a topping and whether it is for delivery or pickup." in speech(envelope)


def test_a_new_order_utterance_after_a_digression_continues_the_same_order(alexa):
    alexa.order('STARTED', size='large')
    alexa.say(amazon_intent.HELP)
    envelope = alexa.order('STARTED', crust='deep dish')
    assert directive(envelope)['type'] == 'Dialog.Delegate'
    assert filled(envelope) == {'size': 'large', 'crust': 'deep dish'}


def test_no_after_a_digression_keeps_the_order_for_next_time(alexa, memory):
    alexa.order('STARTED', size='large')
    alexa.say(LIST_TOPPINGS)
    envelope = alexa.say(amazon_intent.NO)
    assert speech(envelope) == "Okay. I'll keep your order for next time. Goodbye!"
    assert remembered_order(memory) == {'size': 'LARGE'}


# Resuming at the next launch --------------------------------------------------------------

def test_stop_mid_order_then_launch_offers_to_continue_and_yes_resumes(tmp_path):
    path = tmp_path / 'orders.sqlite3'
    first_run = SqliteStore(path)
    alexa = Alexa(first_run)
    alexa.launch()
    alexa.order('STARTED', size='big', crust='crispy')
    envelope = alexa.say(amazon_intent.STOP)
    assert envelope['response']['shouldEndSession'] is True
    first_run.close()
    alexa = Alexa(SqliteStore(path))  # the host restarted: a new store on the same file
    envelope = alexa.launch()
    assert speech(envelope) == ("Welcome back to Pizza Palace. You were ordering a large "
                                "thin crust pizza. Shall we continue?")
    assert state(envelope) == 'initial'
    envelope = alexa.say(amazon_intent.YES)
    assert directive(envelope)['slotToElicit'] == 'toppingOne'
    assert filled(envelope) == {'size': 'large', 'crust': 'thin'}


def test_resume_offer_answered_no_starts_a_fresh_order(alexa, memory):
    remember_order(memory, {'size': 'SMALL', 'toppingOne': 'HAM'})
    assert "You were ordering a small pizza with ham." in speech(alexa.launch())
    envelope = alexa.say(amazon_intent.NO)
    assert speech(envelope) == f"Okay, let's start a fresh order. {prompt('size')}"
    assert directive(envelope)['slotToElicit'] == 'size' and filled(envelope) == {}
    assert remembered_order(memory) is None


def test_a_complete_saved_order_resumes_at_the_confirmation(alexa, memory):
    remember_order(memory, dict(COMPLETE))
    alexa.launch()
    envelope = alexa.say(amazon_intent.YES)
    assert directive(envelope)['type'] == 'Dialog.ConfirmIntent'


def test_an_order_left_by_a_timed_out_session_is_offered_too(alexa):
    alexa.launch()
    alexa.order('STARTED', size='medium')
    alexa.walk_away()
    assert "You were ordering a medium pizza." in speech(alexa.launch())


def test_orders_are_kept_per_user(alexa, memory):
    alexa.order('STARTED', size='medium')
    other = Alexa(memory, user_id=OTHER_USER)
    assert speech(other.launch()) == "Welcome to Pizza Palace. Would you like to order a pizza?"
    assert remembered_order(memory, OTHER_USER) is None
    other.order('STARTED', size='small', crust='thin')
    other.say(amazon_intent.STOP)
    assert "You were ordering a medium pizza." in speech(alexa.launch())
    assert "You were ordering a small thin crust pizza." in speech(other.launch())
    alexa.say(amazon_intent.CANCEL)
    assert remembered_order(memory) is None
    assert remembered_order(memory, OTHER_USER) == {'size': 'SMALL', 'crust': 'THIN'}


def test_a_stored_order_of_the_wrong_shape_is_not_offered(alexa, memory, caplog):
    remember_order(memory, ['LARGE', 'THIN'])
    with caplog.at_level(logging.WARNING, logger='skills.pizza.order'):
        assert speech(alexa.launch()) == ("Welcome to Pizza Palace. Would you like to order a "
                                          "pizza?")
    assert any('not a dict' in r.getMessage() for r in caplog.records)
    alexa.order('STARTED', size='large')
    assert remembered_order(memory) == {'size': 'LARGE'}


def test_a_saved_order_with_items_no_longer_on_the_menu_loses_only_those(alexa, memory):
    remember_order(memory, {'size': 'GIGANTIC', 'crust': 'THIN', 'quantity': 99, 'colour': 'red'})
    assert "You were ordering a thin crust pizza." in speech(alexa.launch())


def test_cancel_forgets_the_order(alexa, memory):
    alexa.order('STARTED', size='medium')
    envelope = alexa.say(amazon_intent.CANCEL)
    assert speech(envelope) == "Okay, no pizza this time. Goodbye!"
    assert envelope['response']['shouldEndSession'] is True
    assert remembered_order(memory) is None


def test_start_over_forgets_the_order_and_asks_for_the_size(alexa, memory):
    alexa.order('STARTED', size='large', crust='thin', toppingOne='ham', method='pickup')
    envelope = alexa.say(amazon_intent.START_OVER)
    assert speech(envelope) == f"Okay, let's start over. {prompt('size')}"
    assert filled(envelope) == {} and remembered_order(memory) is None


# Help, Stop, Cancel and Fallback everywhere -----------------------------------------------

def _in_state(name: str) -> Dict[str, Any]:
    """Session attributes as the skill sends them in ``name`` (with an order fitting it)."""
    draft = COMPLETE if name in ('order.confirming', 'placed') else {'size': 'LARGE'}
    return {'state': name, 'order': dict(draft)}


@pytest.mark.parametrize('name', Machine.of(PizzaPolicy).states)
def test_help_stop_cancel_and_fallback_are_answered_in_every_state(memory, name):
    fsm = Machine.of(PizzaPolicy)
    for intent, expected in ((amazon_intent.HELP, 'helping'), (amazon_intent.STOP, 'stopped'),
                             (amazon_intent.CANCEL, 'cancelled')):
        assert fsm.handles(intent, name)
        envelope = Alexa(memory).mid_session(_in_state(name)).say(intent)
        assert state(envelope) == expected
        assert speech(envelope), f"{intent} in {name} must say something"
    assert fsm.handles(amazon_intent.FALLBACK, name)
    envelope = Alexa(memory).mid_session(_in_state(name)).say(amazon_intent.FALLBACK)
    if name in PizzaStates.ENDING_STATES:
        assert state(envelope) == 'initial'
    else:
        assert state(envelope) == name, "fallback keeps the user where they were"
    assert speech(envelope).startswith("Sorry, I didn't catch that.")
    assert envelope['response']['shouldEndSession'] is False


def test_fallback_during_the_dialog_asks_for_the_same_slot_again(alexa):
    alexa.order('STARTED', size='large', crust='thin')
    envelope = alexa.say(amazon_intent.FALLBACK)
    assert directive(envelope)['slotToElicit'] == 'toppingOne'
    assert speech(envelope) == (f"Sorry, I didn't catch that. So far, a large thin crust "
                                f"pizza. {prompt('toppingOne')}")


# Robustness -------------------------------------------------------------------------------

def test_an_unusable_order_file_costs_the_resume_offer_not_the_order(monkeypatch, tmp_path,
                                                                      caplog):
    monkeypatch.setenv(ORDERS_DB_ENV, str(tmp_path))  # a folder, not a file
    alexa = Alexa(store=None)
    with caplog.at_level(logging.ERROR):
        assert state(alexa.launch()) == 'initial'
        envelope = alexa.order('STARTED', size='large')
        assert directive(envelope)['type'] == 'Dialog.Delegate'
        assert speech(alexa.say(amazon_intent.STOP)) == ("Okay. I'll keep your order for next "
                                                         "time. Goodbye!")
    messages = [r.getMessage() for r in caplog.records if r.name == 'alexafsm.extensions']
    assert len(messages) == 2, "read at launch and when the order changed, never written"
    assert all(ORDERS_DB_ENV in m and str(tmp_path) in m for m in messages)
    assert speech(alexa.launch()).startswith("Welcome to Pizza Palace."), "nothing was kept"


def test_a_store_that_fails_to_save_keeps_the_session_order(caplog):
    class ReadOnlyReplica(MemoryStore):
        def save(self, key: str, text: str, version: Any) -> bool:
            raise StoreUnavailable('read-only replica')

    alexa = Alexa(ReadOnlyReplica())
    alexa.order('STARTED', size='large', crust='thin')
    envelope = alexa.order('IN_PROGRESS', toppingOne='ham')
    assert alexa.attributes['order'] == {'size': 'LARGE', 'crust': 'THIN', 'toppingOne': 'HAM'}
    assert directive(envelope)['slotToElicit'] == 'method'
    assert any('read-only replica' in r.getMessage() for r in caplog.records)


def test_requests_without_a_user_are_answered_and_nothing_is_kept():
    store = mock.Mock(wraps=MemoryStore())
    host = host_extensions(store=store)
    launch = launch_request()
    order = intent_request(ORDER_PIZZA, {'size': 'large'}, dialog_state='STARTED', new=True)
    for request in (launch, order):
        for where in (request['session'], request['context']['System']):
            del where['user']
    envelope = respond(PizzaPolicy, launch, extensions=host)
    assert_valid_response(envelope)
    assert speech(envelope) == "Welcome to Pizza Palace. Would you like to order a pizza?"
    envelope = respond(PizzaPolicy, order, extensions=host)
    assert_valid_response(envelope)
    assert directive(envelope)['type'] == 'Dialog.Delegate'
    assert envelope['sessionAttributes']['order'] == {'size': 'LARGE'}
    assert store.method_calls == []


def test_a_resolved_id_that_is_not_on_the_menu_is_elicited_again(alexa):
    dynamic = custom_type_resolution('PIZZA_TOPPING', 'anchovies', 'ANCHOVY')._replace(
        authority='amzn1.er-authority.echo-sdk.dynamic.amzn1.ask.skill.0.PIZZA_TOPPING')
    envelope = alexa.order('STARTED', resolutions={'toppingOne': [dynamic]}, size='large',
                           toppingOne='anchovies')
    assert directive(envelope)['slotToElicit'] == 'toppingOne'
    assert speech(envelope).startswith("Sorry, we don't have anchovies.")
    assert alexa.attributes['order'] == {'size': 'LARGE'}


def test_a_session_order_off_the_menu_is_asked_for_again_not_crashed_on(alexa):
    alexa.mid_session({'state': 'confirming', 'order': {'size': 'GIGANTIC', 'crust': 'THIN',
                                                        'toppingOne': 'HAM', 'method': 'PICKUP'}})
    envelope = alexa.say(amazon_intent.YES)
    assert state(envelope) == 'order.confirming'
    assert directive(envelope)['slotToElicit'] == 'size'


# Where the order is kept ------------------------------------------------------------------

def test_the_order_is_read_at_launch_and_written_only_when_it_changes():
    store = mock.Mock(wraps=MemoryStore())
    alexa = Alexa(store)

    def calls():
        names = [call[0] for call in store.method_calls]
        store.reset_mock()
        loads = [i for i, name in enumerate(names) if name == 'load']
        assert [names[i - 1] for i in loads] == ['lock'] * len(loads), names  # the user's lock
        assert names.count('lock') == len(loads), names
        return [name for name in names if name != 'lock']

    alexa.launch()
    assert calls() == ['load']
    alexa.say(LIST_TOPPINGS)
    alexa.say(amazon_intent.HELP)
    assert calls() == []
    alexa.say(amazon_intent.YES)
    alexa.order('STARTED', size='large')
    assert calls() == ['load', 'save']
    alexa.order('IN_PROGRESS')
    alexa.say(amazon_intent.FALLBACK)
    assert calls() == [], "nothing new was said"
    alexa.order('IN_PROGRESS', crust='thin')
    assert calls() == ['load', 'save']
    alexa.say(amazon_intent.STOP)
    assert calls() == []
    alexa.launch()
    alexa.say(amazon_intent.CANCEL)
    assert calls() == ['load', 'load', 'save']


def test_without_a_host_store_the_embedded_file_is_opened_when_first_needed(embedded_default):
    store = PizzaPolicy.extensions.store
    alexa = Alexa(store=None)
    alexa.say(LIST_TOPPINGS)
    alexa.say(amazon_intent.HELP)
    assert not embedded_default.exists() and store.path is None, "no turn needed the memory"
    alexa.order('STARTED', size='large')
    alexa.say(amazon_intent.STOP)
    assert store.path == embedded_default
    assert remembered_order(SqliteStore(embedded_default)) == {'size': 'LARGE'}
    assert "You were ordering a large pizza." in speech(alexa.launch())


def test_a_host_store_leaves_the_embedded_file_alone(alexa, embedded_default):
    alexa.launch()
    alexa.order('STARTED', size='large')
    alexa.say(amazon_intent.STOP)
    assert "You were ordering a large pizza." in speech(alexa.launch())
    assert not embedded_default.exists()
    assert PizzaPolicy.extensions.store.path is None


def test_importing_the_skill_creates_no_file_and_the_first_launch_does(tmp_path):
    """A fresh process told only where to keep orders, as an operator would run it."""
    path = tmp_path / 'orders' / 'pizza.sqlite3'
    script = (
        "import os, sys\n"
        "from alexafsm.testing import Conversation\n"
        "from skills.pizza import PizzaPolicy\n"
        "print(os.path.exists(sys.argv[1]))\n"
        "print(Conversation(PizzaPolicy, store=None).launch().speech)\n"
        "print(os.path.exists(sys.argv[1]))\n")
    ran = subprocess.run([sys.executable, '-c', script, str(path)], cwd=REPO, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(REPO), **{ORDERS_DB_ENV: str(path)}),
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        'False', 'Welcome to Pizza Palace. Would you like to order a pizza?', 'True']


def test_validate_reports_no_errors_or_warnings_and_opens_no_store(embedded_default):
    ran = subprocess.run(
        [str(Path(sys.executable).with_name('alexafsm')), 'validate', 'skills.pizza',
         '--model', str(MODEL_PATH), '--strict'],
        cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
        timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '0 error(s), 0 warning(s)' in ran.stdout
    assert not embedded_default.exists()
