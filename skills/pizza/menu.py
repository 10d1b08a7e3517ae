"""The menu: what can be ordered, read from the interaction model, and what each id costs.

The slot types of ``model/en-US.json`` are the one list of sizes, crusts, toppings and order
methods: Alexa resolves what users say to their ids, and the skill speaks their canonical words.
Prices are the only thing the model cannot hold, so they are keyed here by those same ids.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Dict
from typing import Optional
from typing import Tuple

from alexafsm.tools.interaction_model import Intent
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import SlotType
from alexafsm.tools.interaction_model import load_model
from skills.pizza.intents import ORDER_PIZZA

MODEL_PATH = Path(__file__).resolve().parent / 'model' / 'en-US.json'

NO_TOPPING = 'NO_TOPPING'
SIZE_CENTS: Dict[str, int] = {'SMALL': 999, 'MEDIUM': 1299, 'LARGE': 1599, 'EXTRA_LARGE': 1899}
CRUST_CENTS: Dict[str, int] = {'THIN': 0, 'REGULAR': 0, 'DEEP_DISH': 200, 'GLUTEN_FREE': 250}
TOPPING_CENTS: Dict[str, int] = {
    'PEPPERONI': 150, 'MUSHROOM': 150, 'ONION': 100, 'GREEN_PEPPER': 100, 'OLIVE': 150,
    'SAUSAGE': 200, 'HAM': 200, 'PINEAPPLE': 150, 'EXTRA_CHEESE': 150, NO_TOPPING: 0}
READY_MINUTES: Dict[str, int] = {'DELIVERY': 40, 'PICKUP': 20}


@cache
def model() -> InteractionModel:
    """The skill's interaction model, read once per process: menu words and dialog prompts."""
    return load_model(MODEL_PATH)


def order_intent() -> Intent:
    """The ordering intent of the model, whose slots and prompts drive the whole dialog."""
    intent = model().intent(ORDER_PIZZA)
    if intent is None:
        raise LookupError(f"{MODEL_PATH} has no intent {ORDER_PIZZA!r}, which the pizza skill "
                          f"orders with: restore it in languageModel.intents")
    return intent


def slot_type(slot: str) -> SlotType:
    """The custom type behind an order slot; the menu section that slot picks from."""
    model_slot = order_intent().slot(slot)
    if model_slot is None:
        raise LookupError(f"{ORDER_PIZZA} has no slot {slot!r} in {MODEL_PATH}; the slots are "
                          f"{', '.join(order_intent().slot_names)}")
    found = model().slot_type(model_slot.type)
    if found is None or not found.values:
        raise LookupError(f"slot {slot!r} of {ORDER_PIZZA} has type {model_slot.type!r}, which "
                          f"lists no values in {MODEL_PATH}, so it is no menu section")
    return found


def words_for(slot: str, item_id: str) -> str:
    """How the skill says an item: its canonical value, whatever synonym the user said."""
    for value in slot_type(slot).values:
        if value.id == item_id:
            return value.value
    raise LookupError(f"{item_id!r} is no id of slot {slot!r} ({slot_type(slot).name}) in "
                      f"{MODEL_PATH}")


def id_for_words(slot: str, words: str) -> Optional[str]:
    """The id of an item named by its canonical words, as the skill itself writes them.

    Alexa resolves only what users say; values the skill put into an ``updatedIntent`` come back
    as the skill wrote them, without resolutions, so they are looked up here. Synonyms are not
    matched: that would be guessing at entity resolution rather than reading our own words.
    """
    folded = ' '.join(words.split()).casefold()
    for value in slot_type(slot).values:
        if value.value.casefold() == folded:
            return value.id
    return None


def is_on_menu(slot: str, item_id: str) -> bool:
    """Whether an id (from Alexa, a session or persistent attributes) is still something we sell."""
    return any(value.id == item_id for value in slot_type(slot).values)


def toppings() -> Tuple[str, ...]:
    """The toppings one can pick, in menu order, for the skill to read them out."""
    return tuple(value.value for value in slot_type('toppingOne').values
                 if value.id != NO_TOPPING)


def unit_cents(size: str, crust: str, topping_ids: Tuple[str, ...]) -> int:
    """The price of one pizza: size, crust surcharge and each topping, all looked up by id."""
    return SIZE_CENTS[size] + CRUST_CENTS[crust] + sum(TOPPING_CENTS[t] for t in topping_ids)
