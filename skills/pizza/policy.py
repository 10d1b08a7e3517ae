"""The pizza skill's policy: the quantity check, and what placing or dropping an order does.

Reading, validating and asking for the order's slots is the ``PizzaOrder`` form's job, and the
unfinished order for the next launch is ``RESUME_ACROSS_SESSIONS``'s (alexafsm.dialogs).
"""
from __future__ import annotations

import logging

from alexafsm.extensions import Extensions
from alexafsm.policy import Policy
from skills.embedded_store import EmbeddedStore
from skills.pizza.order import check_quantity
from skills.pizza.states import PizzaStates

logger = logging.getLogger(__name__)

ORDERS_DB_ENV = 'PIZZA_ORDERS_DB'
ORDERS_DB_FILE = 'pizza-orders.sqlite3'


class PizzaPolicy(Policy):
    """Take a pizza order with Alexa's dialog management, and keep unfinished ones for later.

    The unfinished order is kept in persistent attributes: in the host's store when it gives one
    (``alexafsm serve --store URL``, ``create_app(..., store=...)``), else in an SQLite file at
    ``$PIZZA_ORDERS_DB`` or in the user's cache folder.
    """

    states_cls = PizzaStates
    extensions = Extensions(store=EmbeddedStore(ORDERS_DB_ENV, ORDERS_DB_FILE))

    def validate_quantity(self, count: int) -> int:
        """The form's validator of ``quantity``: one to ten pizzas."""
        return check_quantity(count)

    def m_has_resume_point(self) -> bool:
        """An earlier session left an order, so "no" to continuing means starting afresh."""
        return self.dialog.resume_point is not None

    def m_order_complete(self) -> bool:
        """A "yes" places the order only when nothing is missing from it."""
        return not self.dialog.frame.missing

    def m_discard_order(self) -> None:
        """Forget the order of this session (start over, no to continuing, cancel)."""
        self.attributes.order = {}

    def on_enter_placed(self) -> None:
        """Place the order (here: log it); the form's outcome has forgotten the resume record."""
        logger.info("request %s: order placed: %s", self.turn_context.request_id,
                    self.attributes.order)

    def on_enter_not_placed(self) -> None:
        """No to the order as read back: nothing is placed, and a new order starts empty."""
        self.attributes.order = {}
