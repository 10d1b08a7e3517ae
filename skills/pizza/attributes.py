"""What the pizza skill remembers between turns: the order so far."""
from __future__ import annotations

from collections import namedtuple
from typing import Any
from typing import Optional

from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from skills.pizza.order import Draft
from skills.pizza.order import Problem
from skills.pizza.order import clean

Slots = namedtuple('Slots', ['size', 'crust', 'toppingOne', 'toppingTwo', 'quantity', 'method'])


class PizzaAttributes(SessionAttributes):
    """The session of one user; ``problem`` is about this turn only, so it is not sent.

    ``order`` holds menu ids, never the words Alexa heard, so a synonym said today and a
    canonical value said tomorrow are the same order.
    """

    slots_cls = Slots
    not_sent_fields = ['problem']

    def __init__(self, intent: Optional[str] = None, slots: Any = None,
                 state: str = INITIAL_STATE, order: Optional[Draft] = None,
                 problem: Optional[Problem] = None) -> None:
        """Take the order as a previous turn sent it through Alexa, minus anything off the menu."""
        super().__init__(intent, slots, state)
        self.order: Draft = clean(order)
        self.problem = problem
