"""What the pizza skill says in each state, and the transitions into each state.

The order is a ``Form`` (alexafsm.dialogs) on Alexa's dialog management, mounted as ``order``
(states ``order.asking`` and ``order.confirming``): it reads and validates every slot of every
OrderPizzaIntent, hands a dialog the user just started to Alexa (``Dialog.Delegate``), asks for
the next slot itself (``Dialog.ElicitSlot``) so that it can say back what it understood, and
reads the complete order back (``Dialog.ConfirmIntent``). Help and "what toppings do you have"
are pushes: they suspend the order, and a "yes" resumes it where it stood. An unfinished order
is kept for the next launch (``RESUME_ACROSS_SESSIONS``).
"""
from __future__ import annotations

from datetime import timedelta

from alexafsm import amazon_intent
from alexafsm.dialogs import RESUME
from alexafsm.dialogs import Form
from alexafsm.dialogs import Resume
from alexafsm.dialogs import Slot
from alexafsm.response import Card
from alexafsm.response import Response
from alexafsm.states import States
from alexafsm.states import with_transitions
from skills.pizza import menu
from skills.pizza.attributes import PizzaAttributes
from skills.pizza.intents import LIST_TOPPINGS
from skills.pizza.intents import ORDER_PIZZA
from skills.pizza.intents import RESUME_ORDER
from skills.pizza.order import QUESTIONS
from skills.pizza.order import Draft
from skills.pizza.order import clean
from skills.pizza.order import describe
from skills.pizza.order import price
from skills.pizza.order import sorry
from skills.pizza.order import spoken_list
from skills.pizza.order import total_cents

SKILL_NAME = 'Pizza Palace'
ORDER_QUESTION = "Would you like to order a pizza?"
CARRY_ON_QUESTION = "Shall we carry on with your order?"
DID_NOT_CATCH = "Sorry, I didn't catch that."
STILL_NEEDED = {'size': 'the size', 'crust': 'the crust', 'toppingOne': 'a topping',
                'method': 'whether it is for delivery or pickup'}
# How the form's question opens, by the intent that led to it.
LEADS = {amazon_intent.FALLBACK: DID_NOT_CATCH, amazon_intent.START_OVER: "Okay, let's start over.",
         amazon_intent.NO: "Okay, let's start a fresh order.", amazon_intent.YES: "Okay.",
         RESUME_ORDER: "Okay."}

# Fallback keeps the user where they are and asks that state's question again, so that whatever
# they say next still means what it meant before.
STAY_ON_FALLBACK = {'trigger': amazon_intent.FALLBACK, 'dest': '='}
DIGRESSIONS = ['helping', 'listing_toppings']
ENDING_STATES = ['cancelled', 'placed', 'stopped']


def _say(*parts: str) -> str:
    return ' '.join(part for part in parts if part)


def _return_question(draft: Draft) -> str:
    """How a digression hands back: to the order in progress, or to starting one."""
    return CARRY_ON_QUESTION if draft else ORDER_QUESTION


class PizzaOrder(Form):
    """The order: slots, prompts and required ones from the model; the words are the skill's."""

    INTENT = ORDER_PIZZA
    MODEL = menu.MODEL_PATH
    SLOTS = {'size': Slot(kind='id'), 'crust': Slot(kind='id'), 'toppingOne': Slot(kind='id'),
             'toppingTwo': Slot(kind='id', prompt=QUESTIONS['toppingTwo']),
             'quantity': Slot(kind='number', prompt=QUESTIONS['quantity']),
             'method': Slot(kind='id')}
    CONFIRM = True

    @with_transitions(STAY_ON_FALLBACK)
    def asking(self) -> Response:
        """Delegate a dialog the user just started; else say what we have and ask for more."""
        frame = self.dialog.frame
        problem = frame.problem
        if problem is not None:
            return frame.elicit(_say(problem.message or sorry(problem.slot, problem.heard),
                                     frame.prompt(problem.slot)), problem.slot)
        intent = self.attributes.intent
        if (intent == ORDER_PIZZA and frame.started) or frame.next_slot is None:
            return frame.delegate()
        so_far = f"So far, {describe(frame.values)}." if frame.values else ''
        return frame.elicit(_say(LEADS.get(intent, ''), so_far, frame.prompt()))

    @with_transitions(STAY_ON_FALLBACK)
    def confirming(self) -> Response:
        """Read the whole order back with its price and ask to place it."""
        frame = self.dialog.frame
        if frame.missing:  # a deploy took an item of this session's order off the menu
            return PizzaOrder.asking(self)
        draft = frame.values
        lead = LEADS.get(self.attributes.intent, '') if self.attributes.intent in (
            amazon_intent.FALLBACK, amazon_intent.YES, RESUME_ORDER) else ''
        return frame.confirm(_say(lead, f"So that's {describe(draft)}, which comes to "
                                        f"{price(total_cents(draft))}. Shall I place the order?"),
                             reprompt="Shall I place your order? Please say yes or no.")


class PizzaStates(States):
    """One method per state; the order's own states are the form's."""

    session_attributes_cls = PizzaAttributes
    skill_name = SKILL_NAME
    default_prompt = ORDER_QUESTION
    ENDING_STATES = ENDING_STATES
    RESUME_ACROSS_SESSIONS = Resume(ttl=timedelta(days=7))
    # sessions in flight when the order became a form keep their place
    RENAMED = {'ordering': 'order.asking', 'confirming': 'order.confirming'}

    order = PizzaOrder.mount(
        enter=[{'trigger': ORDER_PIZZA, 'source': '*'},
               {'trigger': RESUME_ORDER, 'source': ['order', 'not_placed']},
               {'trigger': amazon_intent.YES, 'source': 'not_placed'},
               {'trigger': amazon_intent.NO, 'source': 'initial', 'clear': True,
                'conditions': 'm_has_resume_point', 'before': 'm_discard_order'},
               {'trigger': amazon_intent.START_OVER, 'source': '*', 'clear': True,
                'before': 'm_discard_order'}],
        done='placed', denied='not_placed')

    @with_transitions(STAY_ON_FALLBACK,
                      {'trigger': amazon_intent.FALLBACK, 'source': ENDING_STATES},
                      {'trigger': amazon_intent.YES, 'dest': RESUME, 'otherwise': 'order'},
                      {'trigger': RESUME_ORDER, 'dest': RESUME, 'otherwise': 'order'})
    def initial(self) -> Response:
        """Welcome; with an unfinished order from an earlier session, offer to continue it."""
        point = self.dialog.resume_point
        draft = clean(point.data.get('order')) if point is not None else {}
        retry = self.attributes.intent == amazon_intent.FALLBACK
        if draft:
            return Response(
                speech=_say(DID_NOT_CATCH if retry else f"Welcome back to {SKILL_NAME}.",
                            f"You were ordering {describe(draft)}. Shall we continue?"),
                reprompt="Shall we continue with that order? Say no to start a fresh one.")
        return Response(
            speech=_say(DID_NOT_CATCH if retry else f"Welcome to {SKILL_NAME}.", ORDER_QUESTION),
            reprompt=f"{ORDER_QUESTION} You can also ask for help.")

    @with_transitions({'trigger': amazon_intent.YES, 'source': 'order.confirming',
                       'conditions': 'm_order_complete', 'clear': True})
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

    @with_transitions({'trigger': amazon_intent.NO, 'source': 'order.confirming'},
                      STAY_ON_FALLBACK)
    def not_placed(self) -> Response:
        """The user said no to the order as read back: nothing is placed; offer a new one."""
        retry = self.attributes.intent == amazon_intent.FALLBACK
        return Response(
            speech=_say(DID_NOT_CATCH if retry else "Okay, I won't place that order.",
                        "Would you like to start a new one?"),
            reprompt="Would you like to start a new order?")

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*', 'push': True},
                      {'trigger': amazon_intent.YES, 'dest': RESUME, 'otherwise': 'order'},
                      {'trigger': RESUME_ORDER, 'dest': RESUME, 'otherwise': 'order'},
                      STAY_ON_FALLBACK)
    def helping(self) -> Response:
        """Explain what to say next, given where the order stands, then offer to return to it."""
        draft = self.attributes.order
        back = _return_question(draft)
        if self.attributes.intent == amazon_intent.FALLBACK:
            return Response(speech=_say(DID_NOT_CATCH, back), reprompt=back)
        frame = self.dialog.frame
        if draft:
            needed = [STILL_NEEDED[slot] for slot in (frame.missing if frame else ())]
            speech = _say(f"You're ordering {describe(draft)}.",
                          f"I still need {spoken_list(needed)}." if needed else '',
                          "You can ask what toppings we have, say start over, or say stop and "
                          "I'll keep your order for next time.", back)
        else:
            speech = _say(f"{SKILL_NAME} takes pizza orders, for delivery or pickup. Try "
                          f"saying: a large pepperoni pizza for delivery. You can also ask what "
                          f"toppings we have.", back)
        return Response(speech=speech, reprompt=back)

    @with_transitions({'trigger': LIST_TOPPINGS, 'source': '*', 'push': True},
                      {'trigger': amazon_intent.YES, 'dest': RESUME, 'otherwise': 'order'},
                      {'trigger': RESUME_ORDER, 'dest': RESUME, 'otherwise': 'order'},
                      STAY_ON_FALLBACK)
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
        {'trigger': amazon_intent.NO, 'source': 'initial', 'unless': 'm_has_resume_point'})
    def stopped(self) -> Response:
        """Say goodbye; an unfinished order stays remembered for the next launch."""
        if self.attributes.order:
            return Response(speech="Okay. I'll keep your order for next time. Goodbye!",
                            should_end=True)
        return Response(speech="Okay. Goodbye, and come back hungry!", should_end=True)

    @with_transitions({'trigger': amazon_intent.CANCEL, 'source': '*', 'clear': True,
                       'after': 'm_discard_order'})
    def cancelled(self) -> Response:
        """Cancel means the order: forget it, here and for the next launch, and say goodbye."""
        return Response(speech="Okay, no pizza this time. Goodbye!", should_end=True)
