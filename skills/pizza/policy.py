"""The pizza skill's policy: the conditions and actions its transitions name, and its memory.

Conditions read the order as it stands after this turn's slots (``order.read``) without changing
anything; the ``after`` actions commit it to the session and, when it changed, to the user's
persistent attributes, where the next launch finds an unfinished order.
"""
from __future__ import annotations

import logging
from typing import Optional

from alexafsm.extensions import Extensions
from alexafsm.extensions import PersistentAttributes
from alexafsm.policy import Policy
from alexafsm.request import LAUNCH
from alexafsm.response import Response
from skills.embedded_store import EmbeddedStore
from skills.pizza import order
from skills.pizza.order import Draft
from skills.pizza.order import Reading
from skills.pizza.states import PizzaStates

logger = logging.getLogger(__name__)

CONFIRMED = 'CONFIRMED'
DENIED = 'DENIED'
ORDERS_DB_ENV = 'PIZZA_ORDERS_DB'
ORDERS_DB_FILE = 'pizza-orders.sqlite3'
#: The persistent attribute holding the unfinished order (menu ids), absent when there is none.
UNFINISHED_ORDER = 'order'


class PizzaPolicy(Policy):
    """Take a pizza order with Alexa's dialog management, and keep unfinished ones for later.

    The unfinished order is kept in persistent attributes: in the host's store when it gives one
    (``alexafsm serve --store URL``, ``create_app(..., store=...)``), else in an SQLite file at
    ``$PIZZA_ORDERS_DB`` or in the user's cache folder.
    """

    states_cls = PizzaStates
    extensions = Extensions(store=EmbeddedStore(ORDERS_DB_ENV, ORDERS_DB_FILE))

    def get_current_state_response(self) -> Response:
        """Look for an unfinished order only on launch, the one answer that offers to resume it."""
        if self.request is not None and self.request.type == LAUNCH:
            memory = self._memory()
            if memory is not None:
                self.attributes.order = order.clean(memory.get(UNFINISHED_ORDER))
        return super().get_current_state_response()

    def _reading(self) -> Reading:
        return order.read(self.attributes.order, self.request)

    def _confirmation(self) -> str:
        return self.request.intent_confirmation if self.request is not None else 'NONE'

    def m_ready_to_confirm(self) -> bool:
        """Every required slot is on the menu and the user has not answered a confirmation yet."""
        reading = self._reading()
        return (self._confirmation() == 'NONE' and reading.problem is None
                and order.is_complete(reading.draft))

    def m_confirmed(self) -> bool:
        """The user said yes to Dialog.ConfirmIntent, and the order is still complete."""
        reading = self._reading()
        return (self._confirmation() == CONFIRMED and reading.problem is None
                and order.is_complete(reading.draft))

    def m_denied(self) -> bool:
        """The user said no to the order as read back to them."""
        return self._confirmation() == DENIED

    def m_has_order(self) -> bool:
        """Something was ordered already, so "no" to continuing means starting afresh."""
        return bool(self.attributes.order)

    def m_order_complete(self) -> bool:
        """A "yes" to carry on should go straight to the confirmation when nothing is missing."""
        return order.is_complete(self.attributes.order)

    def m_take_order(self) -> None:
        """Keep this turn's slots as menu ids, and a changed order for the next session too."""
        reading = self._reading()
        changed = reading.draft != self.attributes.order
        self.attributes.order = reading.draft
        self.attributes.problem = reading.problem
        if changed:
            self._keep(reading.draft)

    def m_place_order(self) -> None:
        """Place the order; a placed order is no unfinished one to offer at the next launch."""
        draft = self._reading().draft
        self.attributes.order = draft
        self._keep({})
        logger.info("request %s: order placed: %s", self.turn_context.request_id, draft)

    def m_discard_order(self) -> None:
        """Forget the order, here and for the next launch (cancel, start over, no to the order)."""
        self.attributes.order = {}
        self._keep({})

    def _memory(self) -> Optional[PersistentAttributes]:
        """The user's persistent attributes; None for a request without a user (never Alexa's)."""
        if self.request is None or not self.request.user_id:
            return None
        return self.persistent_attributes

    def _keep(self, draft: Draft) -> None:
        """Remember the draft for the next launch; an empty one is forgotten.

        Kept after every change rather than on "stop", since sessions mostly end by timing out.
        """
        memory = self._memory()
        if memory is None:
            return
        if draft:
            memory[UNFINISHED_ORDER] = draft
        else:
            memory.pop(UNFINISHED_ORDER, None)
