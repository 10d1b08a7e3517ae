"""What the pizza skill remembers between turns: the order so far, the form's values."""
from __future__ import annotations

from collections import namedtuple
from typing import Any
from typing import Optional

from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes
from skills.pizza.order import Draft
from skills.pizza.order import clean

Slots = namedtuple('Slots', ['size', 'crust', 'toppingOne', 'toppingTwo', 'quantity', 'method'])


class PizzaAttributes(SessionAttributes):
    """The session of one user; ``order`` is the field the ``order`` form keeps its values in.

    ``order`` holds menu ids, never the words Alexa heard, so a synonym said today and a
    canonical value said tomorrow are the same order.
    """

    slots_cls = Slots

    def __init__(self, intent: Optional[str] = None, slots: Any = None,
                 state: str = INITIAL_STATE, order: Optional[Draft] = None) -> None:
        """Take the order as a previous turn sent it through Alexa, minus anything off the menu."""
        super().__init__(intent, slots, state)
        self.order: Draft = clean(order)
