"""What both coffee skills say and when, shared by benchmarks/coffee.py (alexafsm) and
benchmarks/coffee_ask.py (ask-sdk-core); it imports neither toolkit, so a cold start of one
side loads nothing of the other.
"""
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

SKILL_NAME = 'Corner Coffee'
PROMPT = 'What would you like to drink?'
SLOTS = ('drink', 'size', 'milk')
NO_MILK = ('espresso', 'americano')
INITIAL_STATE = 'initial'
HELP_INTENT = 'AMAZON.HelpIntent'
YES_INTENT = 'AMAZON.YesIntent'
STOP_INTENT = 'AMAZON.StopIntent'
CANCEL_INTENT = 'AMAZON.CancelIntent'
HELP = 'You can order a drink, say review my order, or say stop when you are done.'
# alexafsm's response.NOT_UNDERSTOOD, word for word (benchmarks/core.py compares the answers)
NOT_UNDERSTOOD = ("I did not understand your response, please say it differently.",
                  "Please respond in a different way.")

#: The session: (request type, intent, slots) for each of the eleven turns.
TURNS: List[Tuple[str, Optional[str], Dict[str, Optional[str]]]] = [
    ('LaunchRequest', None, {}),
    ('IntentRequest', 'OrderDrink', {'drink': 'latte', 'size': None, 'milk': None}),
    ('IntentRequest', 'ChooseSize', {'size': 'large'}),
    ('IntentRequest', 'ChooseMilk', {'milk': 'oat'}),
    ('IntentRequest', HELP_INTENT, {}),
    ('IntentRequest', 'OrderDrink', {'drink': 'espresso', 'size': 'small', 'milk': None}),
    ('IntentRequest', 'ChooseMilk', {'milk': 'soy'}),
    ('IntentRequest', 'OrderDrink', {'drink': 'cappuccino', 'size': 'medium', 'milk': None}),
    ('IntentRequest', 'ReviewOrder', {}),
    ('IntentRequest', YES_INTENT, {}),
    ('IntentRequest', STOP_INTENT, {}),
]


def describe(item: Dict[str, Any]) -> str:
    """One drink of the order as the barista says it: 'large oat latte'."""
    return ' '.join(part for part in (item['size'], item.get('milk'), item['drink']) if part)


def review(order: List[Dict[str, Any]]) -> str:
    """The order so far, as the barista reads it back."""
    return ', '.join(describe(item) for item in order) or 'nothing yet'
