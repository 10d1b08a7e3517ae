"""What the skill says about an order: the words, the price. The form keeps the order itself.

An order is a plain dict of menu ids keyed by slot, such as ``{'size': 'LARGE', 'crust':
'THIN', 'toppingOne': 'PEPPERONI', 'quantity': 2}``: the ``PizzaOrder`` form's values, which
travel in the session attributes (``order``) and in the resume record for the next launch.
"""
from __future__ import annotations

import logging
from typing import Any
from typing import Dict
from typing import Sequence
from typing import Tuple
from typing import Union

from alexafsm.dialogs import Invalid
from skills.pizza import menu

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
TOO_MANY = f"Sorry, we make between one and {NUMBER_WORDS[MAX_QUANTITY]} pizzas per order."


def check_quantity(count: int) -> int:
    """The quantity validator's rule: one to ten pizzas, else ``Invalid`` with the words."""
    if not 1 <= count <= MAX_QUANTITY:
        raise Invalid(TOO_MANY)
    return count


def clean(value: Any) -> Draft:
    """An order from outside (the session, a resume record) with what we cannot sell removed.

    Sessions and stored orders outlive deploys, so an id that is no longer on the menu is
    dropped (and that slot asked again) rather than failing the turn.
    """
    if not isinstance(value, dict):
        if value:
            logger.warning("an order draft is a %s, not a dict; starting an empty order",
                           type(value).__name__)
        return {}
    draft: Draft = {}
    for name in menu.order_intent().slot_names:
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


def topping_ids(draft: Draft) -> Tuple[str, ...]:
    """The toppings to put on (and charge for): each once, and "no toppings" is none."""
    chosen = (draft.get(slot) for slot in TOPPING_SLOTS)
    return tuple(dict.fromkeys(str(t) for t in chosen if t and t != menu.NO_TOPPING))


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
    unit = menu.unit_cents(str(draft['size']), str(draft['crust']), topping_ids(draft))
    return unit * int(draft.get(QUANTITY) or 1)


def price(cents: int) -> str:
    """Dollars as Alexa reads them well: "$41.96"."""
    return f"${cents // 100}.{cents % 100:02d}"


def sorry(slot: str, heard: str) -> str:
    """Why a slot is asked again, naming what was heard so the user knows what went wrong."""
    if slot == QUANTITY:
        return TOO_MANY
    if slot == 'size':
        return f"Sorry, we don't make {heard} pizzas."
    if slot == 'crust':
        return f"Sorry, we don't have a {heard} crust."
    if slot == 'method':
        return f"Sorry, I didn't get whether {heard} means delivery or pickup."
    return f"Sorry, we don't have {heard}."


def _article(phrase: str) -> str:
    return 'an' if phrase[:1].lower() in 'aeiou' else 'a'


def spoken_list(items: Sequence[str]) -> str:
    """Items as one says them: "ham", "ham and olives", "ham, olives and onions"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
