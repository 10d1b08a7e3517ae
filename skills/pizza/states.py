"""What the pizza skill says in each state, and the transitions into each state.

The order is taken with Alexa's dialog management. When the user starts an order, the skill
hands the dialog to Alexa (``Dialog.Delegate``) with what it already knows filled in; on each
answer after that it asks for the next slot itself (``Dialog.ElicitSlot``), so that it can say
back what it understood and re-ask for anything off the menu; once the order is complete it asks
for a yes or no on the whole of it (``Dialog.ConfirmIntent``). Help and "what toppings do you
have" interrupt the dialog; a "yes" afterwards starts it again where the order stood.
"""
from __future__ import annotations

from alexafsm import amazon_intent
from alexafsm.response import Card
from alexafsm.response import Directive
from alexafsm.response import Response
from alexafsm.states import States
from alexafsm.states import with_transitions
from skills.pizza import menu
from skills.pizza.attributes import PizzaAttributes
from skills.pizza.intents import LIST_TOPPINGS
from skills.pizza.intents import ORDER_PIZZA
from skills.pizza.intents import RESUME_ORDER
from skills.pizza.order import Draft
from skills.pizza.order import describe
from skills.pizza.order import is_complete
from skills.pizza.order import missing
from skills.pizza.order import price
from skills.pizza.order import question
from skills.pizza.order import sorry
from skills.pizza.order import spoken_list
from skills.pizza.order import total_cents
from skills.pizza.order import updated_intent

SKILL_NAME = 'Pizza Palace'
ORDER_QUESTION = "Would you like to order a pizza?"
CARRY_ON_QUESTION = "Shall we carry on with your order?"
DID_NOT_CATCH = "Sorry, I didn't catch that."
STILL_NEEDED = {'size': 'the size', 'crust': 'the crust', 'toppingOne': 'a topping',
                'method': 'whether it is for delivery or pickup'}

# Fallback keeps the user where they are and asks that state's question again, so that whatever
# they say next still means what it meant before.
STAY_ON_FALLBACK = {'trigger': amazon_intent.FALLBACK, 'dest': '='}
# States whose question a "yes" answers by ordering: to order, or to carry on with the order.
ASKS_TO_ORDER = ['initial', 'helping', 'listing_toppings', 'not_placed']
DIGRESSIONS = ['helping', 'listing_toppings']
ENDING_STATES = ['cancelled', 'placed', 'stopped']


def _say(*parts: str) -> str:
    return ' '.join(part for part in parts if part)


def _return_question(draft: Draft) -> str:
    """How a digression hands back: to the order in progress, or to starting one."""
    return CARRY_ON_QUESTION if draft else ORDER_QUESTION


def _elicit(slot: str, draft: Draft, speech: str) -> Response:
    return Response(speech=speech, reprompt=question(slot),
                    directives=[Directive.elicit_slot(slot, updated_intent(draft))])


class PizzaStates(States):
    """One method per state; each builds its response from the order in the attributes."""

    session_attributes_cls = PizzaAttributes
    skill_name = SKILL_NAME
    default_prompt = ORDER_QUESTION
    ENDING_STATES = ENDING_STATES

    @with_transitions(STAY_ON_FALLBACK,
                      {'trigger': amazon_intent.FALLBACK, 'source': ENDING_STATES})
    def initial(self) -> Response:
        """Welcome; with an unfinished order from an earlier session, offer to continue it."""
        draft = self.attributes.order
        retry = self.attributes.intent == amazon_intent.FALLBACK
        if draft:
            return Response(
                speech=_say(DID_NOT_CATCH if retry else f"Welcome back to {SKILL_NAME}.",
                            f"You were ordering {describe(draft)}. Shall we continue?"),
                reprompt="Shall we continue with that order? Say no to start a fresh one.")
        return Response(
            speech=_say(DID_NOT_CATCH if retry else f"Welcome to {SKILL_NAME}.", ORDER_QUESTION),
            reprompt=f"{ORDER_QUESTION} You can also ask for help.")

    @with_transitions(
        # an OrderPizzaIntent that is none of the other three outcomes: keep collecting
        {'trigger': ORDER_PIZZA, 'source': '*',
         'unless': ['m_confirmed', 'm_denied', 'm_ready_to_confirm'], 'after': 'm_take_order'},
        {'trigger': amazon_intent.YES, 'source': ASKS_TO_ORDER, 'unless': 'm_order_complete'},
        {'trigger': RESUME_ORDER, 'source': '*', 'unless': 'm_order_complete'},
        {'trigger': amazon_intent.NO, 'source': 'initial', 'conditions': 'm_has_order',
         'before': 'm_discard_order'},
        {'trigger': amazon_intent.START_OVER, 'source': '*', 'before': 'm_discard_order'},
        STAY_ON_FALLBACK)
    def ordering(self) -> Response:
        """Collect the slots: delegate a dialog the user just started, else ask for one slot."""
        draft = self.attributes.order
        problem = self.attributes.problem
        if problem is not None:
            return _elicit(problem.slot, draft, _say(sorry(problem), question(problem.slot)))
        intent = self.attributes.intent
        started = self.request is not None and self.request.dialog_state == 'STARTED'
        needed = missing(draft)
        if (intent == ORDER_PIZZA and started) or not needed:
            return Response(speech=None, reprompt=None,
                            directives=[Directive.delegate(updated_intent(draft))])
        lead = {amazon_intent.FALLBACK: DID_NOT_CATCH,
                amazon_intent.START_OVER: "Okay, let's start over.",
                amazon_intent.NO: "Okay, let's start a fresh order.",
                amazon_intent.YES: "Okay.", RESUME_ORDER: "Okay."}.get(intent, '')
        so_far = f"So far, {describe(draft)}." if draft else ''
        return _elicit(needed[0], draft, _say(lead, so_far, question(needed[0])))

    @with_transitions(
        {'trigger': ORDER_PIZZA, 'source': '*', 'conditions': 'm_ready_to_confirm',
         'after': 'm_take_order'},
        {'trigger': amazon_intent.YES, 'source': ASKS_TO_ORDER, 'conditions': 'm_order_complete'},
        {'trigger': RESUME_ORDER, 'source': '*', 'conditions': 'm_order_complete'},
        STAY_ON_FALLBACK)
    def confirming(self) -> Response:
        """Read the whole order back with its price and ask to place it."""
        draft = self.attributes.order
        if not is_complete(draft):  # a deploy took an item of this session's order off the menu
            return self.ordering()
        intent = self.attributes.intent
        lead = DID_NOT_CATCH if intent == amazon_intent.FALLBACK else \
            'Okay.' if intent in (amazon_intent.YES, RESUME_ORDER) else ''
        return Response(
            speech=_say(lead, f"So that's {describe(draft)}, which comes to "
                              f"{price(total_cents(draft))}. Shall I place the order?"),
            reprompt="Shall I place your order? Please say yes or no.",
            directives=[Directive.confirm_intent(updated_intent(draft))])

    @with_transitions(
        {'trigger': ORDER_PIZZA, 'source': '*', 'conditions': 'm_confirmed',
         'after': 'm_place_order'},
        {'trigger': amazon_intent.YES, 'source': 'confirming', 'conditions': 'm_order_complete',
         'after': 'm_place_order'})
    def placed(self) -> Response:
        """The order is placed: say when it will be ready, and leave the details on a card."""
        draft = self.attributes.order
        total = price(total_cents(draft))
        minutes = menu.READY_MINUTES[str(draft['method'])]
        when = (f"It will be with you in about {minutes} minutes."
                if draft['method'] == 'DELIVERY'
                else f"It will be ready to pick up in about {minutes} minutes.")
        card = Card.simple(f"Your {SKILL_NAME} order",
                           f"{describe(draft).capitalize()}\nTotal: {total}\n"
                           f"Ready in about {minutes} minutes")
        return Response(speech=f"Your order is placed: {describe(draft)}. {when} That's {total} "
                               f"in total. Thank you for ordering from {SKILL_NAME}!",
                        card=card, should_end=True)

    @with_transitions(
        {'trigger': ORDER_PIZZA, 'source': '*', 'conditions': 'm_denied',
         'after': 'm_discard_order'},
        {'trigger': amazon_intent.NO, 'source': 'confirming', 'after': 'm_discard_order'},
        STAY_ON_FALLBACK)
    def not_placed(self) -> Response:
        """The user said no to the order as read back: nothing is placed; offer a new one."""
        retry = self.attributes.intent == amazon_intent.FALLBACK
        return Response(
            speech=_say(DID_NOT_CATCH if retry else "Okay, I won't place that order.",
                        "Would you like to start a new one?"),
            reprompt="Would you like to start a new order?")

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'}, STAY_ON_FALLBACK)
    def helping(self) -> Response:
        """Explain what to say next, given where the order stands, then offer to return to it."""
        draft = self.attributes.order
        back = _return_question(draft)
        if self.attributes.intent == amazon_intent.FALLBACK:
            return Response(speech=_say(DID_NOT_CATCH, back), reprompt=back)
        if draft:
            needed = [STILL_NEEDED[slot] for slot in missing(draft)]
            speech = _say(f"You're ordering {describe(draft)}.",
                          f"I still need {spoken_list(needed)}." if needed else '',
                          "You can ask what toppings we have, say start over, or say stop and "
                          "I'll keep your order for next time.", back)
        else:
            speech = _say(f"{SKILL_NAME} takes pizza orders, for delivery or pickup. Try "
                          f"saying: a large pepperoni pizza for delivery. You can also ask what "
                          f"toppings we have.", back)
        return Response(speech=speech, reprompt=back)

    @with_transitions({'trigger': LIST_TOPPINGS, 'source': '*'}, STAY_ON_FALLBACK)
    def listing_toppings(self) -> Response:
        """Answer "what toppings do you have" from the menu, then offer to return to the order."""
        back = _return_question(self.attributes.order)
        if self.attributes.intent == amazon_intent.FALLBACK:
            return Response(speech=_say(DID_NOT_CATCH, back), reprompt=back)
        return Response(speech=_say(f"We have {spoken_list(menu.toppings())}.",
                                    "You can pick up to two.", back),
                        reprompt=back)

    @with_transitions(
        {'trigger': amazon_intent.STOP, 'source': '*'},
        {'trigger': amazon_intent.NAVIGATE_HOME, 'source': '*'},
        {'trigger': amazon_intent.NO, 'source': DIGRESSIONS + ['not_placed']},
        {'trigger': amazon_intent.NO, 'source': 'initial', 'unless': 'm_has_order'})
    def stopped(self) -> Response:
        """Say goodbye; an unfinished order stays remembered for the next launch."""
        if self.attributes.order:
            return Response(speech="Okay. I'll keep your order for next time. Goodbye!",
                            should_end=True)
        return Response(speech="Okay. Goodbye, and come back hungry!", should_end=True)

    @with_transitions({'trigger': amazon_intent.CANCEL, 'source': '*',
                       'after': 'm_discard_order'})
    def cancelled(self) -> Response:
        """Cancel means the order: forget it, here and for the next launch, and say goodbye."""
        return Response(speech="Okay, no pizza this time. Goodbye!", should_end=True)
