"""The pizza skill's policy: the conditions and actions its transitions name, and its order store.

Conditions read the order as it stands after this turn's slots (``order.read``) without changing
anything; the ``after`` actions commit it to the attributes and to the order store.
"""
from __future__ import annotations

import logging
import sqlite3
from typing import Optional

from alexafsm.policy import Policy
from alexafsm.request import LAUNCH
from alexafsm.response import Response
from skills.pizza import order
from skills.pizza.order import Draft, Reading
from skills.pizza.states import PizzaStates
from skills.pizza.store import ENV_VAR, OrderStore, default_store

logger = logging.getLogger(__name__)

CONFIRMED = 'CONFIRMED'
DENIED = 'DENIED'


class PizzaPolicy(Policy):
    """Take a pizza order with Alexa's dialog management, and keep unfinished ones for later.

    ``orders`` is None to use the SQLite store at ``$PIZZA_ORDERS_DB`` (see ``store.py``); set it
    on the class to any object with ``load(user_id)`` and ``save(user_id, draft)`` to keep
    orders elsewhere or to test.
    """

    states_cls = PizzaStates
    orders: Optional[OrderStore] = None

    def get_current_state_response(self) -> Response:
        """Look for an unfinished order only on launch, the one answer that offers to resume it."""
        if self.request is not None and self.request.type == LAUNCH:
            self._recall_order()
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
        """Keep this turn's slots as menu ids, and the order for the next session too."""
        reading = self._reading()
        self.attributes.order = reading.draft
        self.attributes.problem = reading.problem
        self._keep(reading.draft)

    def m_place_order(self) -> None:
        """Place the order; a placed order is no unfinished one to offer at the next launch."""
        draft = self._reading().draft
        self.attributes.order = draft
        self._keep(None)
        logger.info("request %s: order placed: %s", self._request_id(), draft)

    def m_discard_order(self) -> None:
        """Forget the order, here and in the store (cancel, start over, no to the read-back)."""
        self.attributes.order = {}
        self._keep(None)

    def _store(self) -> OrderStore:
        return self.orders if self.orders is not None else default_store()

    def _user_id(self) -> Optional[str]:
        return self.request.user_id if self.request is not None else None

    def _recall_order(self) -> None:
        user_id = self._user_id()
        if not user_id:
            return
        try:
            saved = self._store().load(user_id)
        except (OSError, sqlite3.Error):
            logger.exception("request %s: cannot read unfinished orders; the user is welcomed "
                             "without one. Point %s at a readable SQLite file, or set "
                             "PizzaPolicy.orders", self._request_id(), ENV_VAR)
            return
        if saved is not None:
            self.attributes.order = order.clean(saved)

    def _keep(self, draft: Optional[Draft]) -> None:
        """Persistence is a convenience: a failing store is logged, and the order goes on."""
        user_id = self._user_id()
        if not user_id:
            return
        try:
            self._store().save(user_id, draft or None)
        except (OSError, sqlite3.Error):
            logger.exception("request %s: cannot keep the order for the next session; the "
                             "conversation goes on without it. Point %s at a writable SQLite "
                             "file, or set PizzaPolicy.orders", self._request_id(), ENV_VAR)
