"""The order being taken: the menu ids chosen so far, keyed by the slot that chose them.

A draft is a plain dict such as ``{'size': 'LARGE', 'crust': 'THIN', 'toppingOne': 'PEPPERONI',
'quantity': 2}``, so it travels unchanged in the session attributes and in persistent attributes.
Functions here take drafts and return new ones; none changes its argument.
"""
from __future__ import annotations

import logging
from typing import Any
from typing import Dict
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Tuple
from typing import Union

from alexafsm import response
from alexafsm.request import Request
from alexafsm.request import Slot
from skills.pizza import menu
from skills.pizza.intents import ORDER_PIZZA

logger = logging.getLogger(__name__)

Draft = Dict[str, Union[str, int]]

QUANTITY = 'quantity'
TOPPING_SLOTS = ('toppingOne', 'toppingTwo')
MAX_QUANTITY = 10
NUMBER_WORDS = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine',
                'ten')
# The model has prompts only for the slots Alexa must elicit; these two are asked for by the
# skill alone, when what the user said for them cannot be used.
QUESTIONS = {'toppingTwo': "What would you like as a second topping?",
             QUANTITY: "How many pizzas would you like?"}


class Problem(NamedTuple):
    """Something the user said for a slot that is not on the menu, so the slot is asked again."""

    slot: str
    heard: str


class Reading(NamedTuple):
    """A draft with this turn's slots read into it, and the first slot that could not be used."""

    draft: Draft
    problem: Optional[Problem]


def slot_names() -> Tuple[str, ...]:
    """The order's slots in model order, which is also the order the skill asks in."""
    return menu.order_intent().slot_names


def read(draft: Draft, request: Optional[Request]) -> Reading:
    """Merge what the user said this turn into the draft, as menu ids.

    Only an OrderPizzaIntent carries order slots. A slot without a value keeps what the draft
    had; a value off the menu removes it, since the user meant to change it, and is reported.
    """
    updated = dict(draft)
    if request is None or request.intent_name != ORDER_PIZZA:
        return Reading(updated, None)
    problem = None
    for name in slot_names():
        slot = request.slot(name)
        if slot is None or not slot.value:
            continue
        item = _understood(name, slot)
        if item is None:
            updated.pop(name, None)
            problem = problem or Problem(name, slot.value)
        else:
            updated[name] = item
    return Reading(updated, problem)


def _understood(name: str, slot: Slot) -> Optional[Union[str, int]]:
    if name == QUANTITY:
        return _quantity(slot.value)
    resolved = slot.resolved()
    if resolved.id is not None:
        return resolved.id if menu.is_on_menu(name, resolved.id) else None
    if not slot.resolutions:  # our own words from an updatedIntent, which Alexa does not resolve
        return menu.id_for_words(name, slot.value)
    return None  # ER_SUCCESS_NO_MATCH: not on the menu


def _quantity(value: str) -> Optional[int]:
    """AMAZON.NUMBER sends digits, or '?' for a number it could not make out."""
    value = value.strip()
    if not value.isdigit():
        return None
    count = int(value)
    return count if 1 <= count <= MAX_QUANTITY else None


def clean(value: Any) -> Draft:
    """A draft from outside (the session, persistent attributes) with what we cannot sell removed.

    Sessions and stored drafts outlive deploys, and session attributes come back from the
    network, so an id that is no longer on the menu is dropped (and that slot asked again)
    rather than failing the turn.
    """
    if not isinstance(value, dict):
        if value:
            logger.warning("an order draft is a %s, not a dict; starting an empty order",
                           type(value).__name__)
        return {}
    draft: Draft = {}
    for name in slot_names():
        item = value.get(name)
        if name == QUANTITY:
            if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= MAX_QUANTITY:
                draft[name] = item
        elif isinstance(item, str) and menu.is_on_menu(name, item):
            draft[name] = item
    dropped = sorted(set(value) - set(draft))
    if dropped:
        logger.warning("order draft entries %s are not on the menu (any more) and were dropped",
                       {k: value[k] for k in dropped})
    return draft


def missing(draft: Draft) -> Tuple[str, ...]:
    """The slots the dialog model requires that the draft has no value for, in asking order."""
    return tuple(slot.name for slot in menu.order_intent().required_slots
                 if slot.name not in draft)


def is_complete(draft: Draft) -> bool:
    """Whether the order can be confirmed: everything the dialog model requires is chosen."""
    return not missing(draft)


def topping_ids(draft: Draft) -> Tuple[str, ...]:
    """The toppings to put on (and charge for): each once, and "no toppings" is none."""
    chosen = (draft.get(slot) for slot in TOPPING_SLOTS)
    return tuple(dict.fromkeys(t for t in chosen if t and t != menu.NO_TOPPING))


def describe(draft: Draft) -> str:
    """The order in words, from ids: "two large thin crust pizzas with ham, for delivery".

    Said back at every step, so the user hears what Alexa understood (a "family" pizza is a
    large one) and can correct it; parts not chosen yet are left out.
    """
    count = int(draft.get(QUANTITY) or 1)
    words = []
    if 'size' in draft:
        words.append(menu.words_for('size', str(draft['size'])))
    if 'crust' in draft:
        words.append(f"{menu.words_for('crust', str(draft['crust']))} crust")
    words.append('pizza' if count == 1 else 'pizzas')
    phrase = ' '.join(words)
    text = f"{_article(phrase)} {phrase}" if count == 1 else f"{NUMBER_WORDS[count]} {phrase}"
    toppings = [menu.words_for('toppingOne', t) for t in topping_ids(draft)]
    if toppings:
        text += f" with {spoken_list(toppings)}"
    elif any(draft.get(slot) == menu.NO_TOPPING for slot in TOPPING_SLOTS):
        text += " with just cheese"
    if 'method' in draft:
        text += f", for {menu.words_for('method', str(draft['method']))}"
    return text


def total_cents(draft: Draft) -> int:
    """What a complete order costs; the prices are looked up by id, never by spoken words."""
    if not is_complete(draft):
        raise ValueError(f"an order without {', '.join(missing(draft))} has no price yet: "
                         f"confirm only complete orders (order.is_complete)")
    unit = menu.unit_cents(str(draft['size']), str(draft['crust']), topping_ids(draft))
    return unit * int(draft.get(QUANTITY) or 1)


def price(cents: int) -> str:
    """Dollars as Alexa reads them well: "$41.96"."""
    return f"${cents // 100}.{cents % 100:02d}"


def question(slot: str) -> str:
    """How to ask for a slot: the model's elicitation prompt, so the skill's ElicitSlot and
    Alexa's Delegate ask with the same words (Alexa varies them; tests see the first)."""
    model_slot = menu.order_intent().slot(slot)
    if model_slot is not None and model_slot.elicitation_prompt is not None:
        return model_slot.elicitation_prompt.text
    try:
        return QUESTIONS[slot]
    except KeyError:
        raise LookupError(f"slot {slot!r} of {ORDER_PIZZA} has no elicitation prompt in "
                          f"{menu.MODEL_PATH} and no question in order.QUESTIONS: add one") \
            from None


def sorry(problem: Problem) -> str:
    """Why a slot is asked again, naming what was heard so the user knows what went wrong."""
    if problem.slot == QUANTITY:
        return f"Sorry, we make between one and {NUMBER_WORDS[MAX_QUANTITY]} pizzas per order."
    if problem.slot == 'size':
        return f"Sorry, we don't make {problem.heard} pizzas."
    if problem.slot == 'crust':
        return f"Sorry, we don't have a {problem.heard} crust."
    if problem.slot == 'method':
        return f"Sorry, I didn't get whether {problem.heard} means delivery or pickup."
    return f"Sorry, we don't have {problem.heard}."


def updated_intent(draft: Draft) -> Dict[str, Any]:
    """The OrderPizzaIntent as the draft fills it, for the dialog directives.

    Every slot is sent, unfilled ones without a value, so that Alexa's dialog (re)starts from
    what the skill knows: after a digression, a new session, or a value the skill rejected.
    """
    values: Dict[str, Optional[str]] = {}
    for name in slot_names():
        item = draft.get(name)
        if item is None:
            values[name] = None
        elif name == QUANTITY:
            values[name] = str(item)
        else:
            values[name] = menu.words_for(name, str(item))
    return response.updated_intent(ORDER_PIZZA, values)


def _article(phrase: str) -> str:
    return 'an' if phrase[:1].lower() in 'aeiou' else 'a'


def spoken_list(items: Sequence[str]) -> str:
    """Items as one says them: "ham", "ham and olives", "ham, olives and onions"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
