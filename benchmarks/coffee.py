"""One coffee-ordering skill written twice, in alexafsm (here) and in Amazon's ask-sdk-core
(benchmarks/coffee_ask.py), with what they say in benchmarks/coffee_words.py.

benchmarks/core.py times both on the same eleven turns. The two answer with the same bytes
(ask-sdk-core adds only its ``userAgent``): the same speech, the same session attributes in the
same order, in alexafsm's wire format (``slots`` a list in the order of ``Slots``), so each
side does the same work and a difference in time is a difference of toolkit.
"""
from collections import namedtuple
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.policy import Policy as PolicyBase
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes as SessionAttributesBase
from alexafsm.states import States as StatesBase
from alexafsm.states import with_transitions
from benchmarks.coffee_words import HELP
from benchmarks.coffee_words import NO_MILK
from benchmarks.coffee_words import PROMPT
from benchmarks.coffee_words import SKILL_NAME
from benchmarks.coffee_words import SLOTS
from benchmarks.coffee_words import TURNS
from benchmarks.coffee_words import describe as _describe
from benchmarks.coffee_words import review as _review

__all__ = ['Policy', 'States', 'SessionAttributes', 'Slots', 'TURNS']

Slots = namedtuple('Slots', SLOTS)


# --- alexafsm -------------------------------------------------------------------------------

class SessionAttributes(SessionAttributesBase):
    """The drink being put together, the order so far and the earlier orders."""

    slots_cls = Slots

    def __init__(self, intent: Optional[str] = None, slots: Any = None,
                 state: str = INITIAL_STATE, drink: Optional[str] = None,
                 size: Optional[str] = None, order: Optional[List[Dict[str, Any]]] = None,
                 history: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(intent, slots, state)
        self.drink = drink
        self.size = size
        self.order = order or []
        self.history = history  # earlier orders, carried along: the scale benchmark fills it


class States(StatesBase):
    """One method per state: what the barista says there."""

    session_attributes_cls = SessionAttributes
    skill_name = SKILL_NAME
    default_prompt = PROMPT

    def initial(self) -> response.Response:
        return response.Response(speech=f"Welcome to {SKILL_NAME}. {PROMPT}", reprompt=PROMPT)

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'})
    def helping(self) -> response.Response:
        return response.Response(speech=HELP, reprompt=PROMPT)

    @with_transitions({'trigger': 'OrderDrink', 'source': '*', 'prepare': 'take_drink',
                       'unless': 'size_known'})
    def asking_size(self) -> response.Response:
        drink = self.attributes.drink
        return response.Response(speech=f"What size {drink}: small, medium or large?",
                                 reprompt="Which size?")

    @with_transitions({'trigger': 'ChooseSize', 'source': 'asking_size', 'prepare': 'take_size',
                       'conditions': 'wants_milk'},
                      {'trigger': 'OrderDrink', 'source': '*', 'prepare': 'take_drink',
                       'conditions': ['size_known', 'wants_milk']})
    def asking_milk(self) -> response.Response:
        return response.Response(speech=f"Which milk in your {self.attributes.drink}?",
                                 reprompt="Which milk?")

    @with_transitions({'trigger': 'ChooseMilk', 'source': 'asking_milk', 'after': 'add_drink'},
                      {'trigger': 'ChooseSize', 'source': 'asking_size', 'prepare': 'take_size',
                       'unless': 'wants_milk', 'after': 'add_drink'},
                      {'trigger': 'OrderDrink', 'source': '*', 'prepare': 'take_drink',
                       'conditions': 'size_known', 'unless': 'wants_milk', 'after': 'add_drink'})
    def added(self) -> response.Response:
        last = _describe(self.attributes.order[-1])
        return response.Response(speech=f"One {last}. Anything else?",
                                 reprompt="Anything else?", card='Your order',
                                 card_content=_review(self.attributes.order))

    @with_transitions({'trigger': 'ReviewOrder', 'source': '*'})
    def reviewing(self) -> response.Response:
        return response.Response(speech=f"You have {_review(self.attributes.order)}. "
                                        f"Shall I place it?", reprompt="Shall I place it?")

    @with_transitions({'trigger': amazon_intent.YES, 'source': 'reviewing'})
    def placed(self) -> response.Response:
        count = len(self.attributes.order)
        return response.Response(speech=f"Placed: {count} drinks. Say stop to finish.",
                                 reprompt="Say stop to finish.")

    @with_transitions({'trigger': amazon_intent.STOP, 'source': '*'},
                      {'trigger': amazon_intent.CANCEL, 'source': '*'})
    def exiting(self) -> response.Response:
        return response.end(SKILL_NAME)


class Policy(PolicyBase):
    """The callbacks the transitions name."""

    states_cls = States

    def take_drink(self) -> None:
        attributes = self.attributes
        attributes.drink = attributes.slots.drink
        attributes.size = attributes.slots.size

    def take_size(self) -> None:
        self.attributes.size = self.attributes.slots.size

    def size_known(self) -> bool:
        return self.attributes.size is not None

    def wants_milk(self) -> bool:
        return self.attributes.drink not in NO_MILK

    def add_drink(self) -> None:
        attributes = self.attributes
        item = {'drink': attributes.drink, 'size': attributes.size}
        if attributes.drink not in NO_MILK:
            item['milk'] = attributes.slots.milk
        attributes.order = attributes.order + [item]
        attributes.drink = attributes.size = None
