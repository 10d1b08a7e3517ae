"""One coffee-ordering skill written twice, in alexafsm and in Amazon's ask-sdk-core.

benchmarks/core.py times both on the same eleven turns. The two answer with the same bytes
(ask-sdk-core adds only its ``userAgent``): the same speech, the same session attributes in the
same order, in alexafsm's wire format (``slots`` a list in the order of ``Slots``), so each
side does the same work and a difference in time is a difference of toolkit.

The ask-sdk-core skill keeps the conversation's state in the session attributes by hand, as
ask-sdk-core skills do: each handler's ``can_handle`` reads the intent and the state.
"""
from collections import namedtuple
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.policy import Policy as PolicyBase
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes as SessionAttributesBase
from alexafsm.states import States as StatesBase
from alexafsm.states import with_transitions

SKILL_NAME = 'Corner Coffee'
PROMPT = 'What would you like to drink?'
Slots = namedtuple('Slots', ['drink', 'size', 'milk'])
NO_MILK = ('espresso', 'americano')

#: The session: (request type, intent, slots) for each of the eleven turns.
TURNS: List[Tuple[str, Optional[str], Dict[str, Optional[str]]]] = [
    ('LaunchRequest', None, {}),
    ('IntentRequest', 'OrderDrink', {'drink': 'latte', 'size': None, 'milk': None}),
    ('IntentRequest', 'ChooseSize', {'size': 'large'}),
    ('IntentRequest', 'ChooseMilk', {'milk': 'oat'}),
    ('IntentRequest', amazon_intent.HELP, {}),
    ('IntentRequest', 'OrderDrink', {'drink': 'espresso', 'size': 'small', 'milk': None}),
    ('IntentRequest', 'ChooseMilk', {'milk': 'soy'}),
    ('IntentRequest', 'OrderDrink', {'drink': 'cappuccino', 'size': 'medium', 'milk': None}),
    ('IntentRequest', 'ReviewOrder', {}),
    ('IntentRequest', amazon_intent.YES, {}),
    ('IntentRequest', amazon_intent.STOP, {}),
]

HELP = 'You can order a drink, say review my order, or say stop when you are done.'
NOT_UNDERSTOOD = response.NOT_UNDERSTOOD


def _describe(item: Dict[str, Any]) -> str:
    return ' '.join(part for part in (item['size'], item.get('milk'), item['drink']) if part)


def _review(order: List[Dict[str, Any]]) -> str:
    return ', '.join(_describe(item) for item in order) or 'nothing yet'


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


# --- ask-sdk-core ---------------------------------------------------------------------------

def ask_skill() -> Any:
    """The same skill on ask-sdk-core: a CustomSkill whose handlers keep the state by hand.

    Imported here, not at the top: the bench extra (ask-sdk-core) is optional.
    """
    from ask_sdk_core.dispatch_components import AbstractExceptionHandler
    from ask_sdk_core.dispatch_components import AbstractRequestHandler
    from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
    from ask_sdk_core.dispatch_components import AbstractResponseInterceptor
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_model import Response as AskResponse
    from ask_sdk_model.ui import PlainTextOutputSpeech
    from ask_sdk_model.ui import Reprompt
    from ask_sdk_model.ui import SimpleCard

    def answer(speech: str, reprompt: Optional[str], card: Optional[Tuple[str, str]] = None,
               end: bool = False) -> Any:
        return AskResponse(
            output_speech=PlainTextOutputSpeech(text=speech),
            card=SimpleCard(title=card[0], content=card[1]) if card else None,
            reprompt=Reprompt(output_speech=PlainTextOutputSpeech(text=reprompt))
            if reprompt and not end else None,
            should_end_session=end)

    class Session(AbstractRequestInterceptor):
        """alexafsm's wire format of the attributes: intent, slots as a list, state, fields."""

        def process(self, handler_input: Any) -> None:
            attributes = handler_input.attributes_manager.session_attributes
            request = handler_input.request_envelope.request
            intent = getattr(request, 'intent', None)
            values: Dict[str, Any] = {}
            if intent is not None:
                values = {name: slot.value for name, slot in (intent.slots or {}).items()}
                slots = [values.get(name) for name in Slots._fields]
            else:
                slots = attributes.get('slots') or [None] * len(Slots._fields)
            fresh = {'intent': intent.name if intent is not None else attributes.get('intent'),
                     'slots': slots, 'state': attributes.get('state') or INITIAL_STATE}
            for key in ('drink', 'size', 'order', 'history'):
                fresh[key] = attributes.get(key)
            fresh['order'] = fresh['order'] or []
            handler_input.attributes_manager.session_attributes = fresh

    class Strip(AbstractResponseInterceptor):
        """Leave out None values, as alexafsm does."""

        def process(self, handler_input: Any, response: Any) -> None:
            manager = handler_input.attributes_manager
            manager.session_attributes = {k: v for k, v in manager.session_attributes.items()
                                          if v is not None}

    def state_of(handler_input: Any) -> Dict[str, Any]:
        return handler_input.attributes_manager.session_attributes

    def intent_is(handler_input: Any, *names: str) -> bool:
        request = handler_input.request_envelope.request
        return request.object_type == 'IntentRequest' and request.intent.name in names

    class Launch(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return handler_input.request_envelope.request.object_type == 'LaunchRequest'

        def handle(self, handler_input: Any) -> Any:
            state_of(handler_input)['state'] = INITIAL_STATE
            return answer(f"Welcome to {SKILL_NAME}. {PROMPT}", PROMPT)

    class Help(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, amazon_intent.HELP)

        def handle(self, handler_input: Any) -> Any:
            state_of(handler_input)['state'] = 'helping'
            return answer(HELP, PROMPT)

    def added(attributes: Dict[str, Any], milk: Optional[str]) -> Any:
        item = {'drink': attributes['drink'], 'size': attributes['size']}
        if attributes['drink'] not in NO_MILK:
            item['milk'] = milk
        attributes['order'] = attributes['order'] + [item]
        attributes['drink'] = attributes['size'] = None
        attributes['state'] = 'added'
        return answer(f"One {_describe(item)}. Anything else?", "Anything else?",
                      ('Your order', _review(attributes['order'])))

    def asking_milk(attributes: Dict[str, Any]) -> Any:
        attributes['state'] = 'asking_milk'
        return answer(f"Which milk in your {attributes['drink']}?", "Which milk?")

    class OrderDrink(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, 'OrderDrink')

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            slots = dict(zip(Slots._fields, attributes['slots']))
            attributes['drink'], attributes['size'] = slots['drink'], slots['size']
            if attributes['size'] is None:
                attributes['state'] = 'asking_size'
                return answer(f"What size {attributes['drink']}: small, medium or large?",
                              "Which size?")
            if attributes['drink'] not in NO_MILK:
                return asking_milk(attributes)
            return added(attributes, slots['milk'])

    class ChooseSize(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, 'ChooseSize') and \
                state_of(handler_input)['state'] == 'asking_size'

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            attributes['size'] = attributes['slots'][1]
            if attributes['drink'] not in NO_MILK:
                return asking_milk(attributes)
            return added(attributes, None)

    class ChooseMilk(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, 'ChooseMilk') and \
                state_of(handler_input)['state'] == 'asking_milk'

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            return added(attributes, attributes['slots'][2])

    class Review(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, 'ReviewOrder')

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            attributes['state'] = 'reviewing'
            return answer(f"You have {_review(attributes['order'])}. Shall I place it?",
                          "Shall I place it?")

    class Place(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, amazon_intent.YES) and \
                state_of(handler_input)['state'] == 'reviewing'

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            attributes['state'] = 'placed'
            return answer(f"Placed: {len(attributes['order'])} drinks. Say stop to finish.",
                          "Say stop to finish.")

    class Stop(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, amazon_intent.STOP, amazon_intent.CANCEL)

        def handle(self, handler_input: Any) -> Any:
            state_of(handler_input)['state'] = 'exiting'
            return answer(f"Thank you for using {SKILL_NAME}", '', end=True)

    class NotUnderstood(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return True

        def handle(self, handler_input: Any) -> Any:
            return answer(NOT_UNDERSTOOD.speech, NOT_UNDERSTOOD.reprompt)

    class Failed(AbstractExceptionHandler):
        def can_handle(self, handler_input: Any, exception: Exception) -> bool:
            return False

        def handle(self, handler_input: Any, exception: Exception) -> Any:
            raise exception

    builder = SkillBuilder()
    for handler in (Launch, Help, OrderDrink, ChooseSize, ChooseMilk, Review, Place, Stop,
                    NotUnderstood):
        builder.add_request_handler(handler())
    builder.add_global_request_interceptor(Session())
    builder.add_global_response_interceptor(Strip())
    builder.add_exception_handler(Failed())
    return builder.create()


class AskTurn:
    """ask-sdk-core's Lambda path for one request text: deserialize, invoke, serialize, dump.

    What ``SkillBuilder.lambda_handler()`` does with an event, from the JSON text on.
    """

    def __init__(self) -> None:
        from ask_sdk_model import RequestEnvelope

        self.skill = ask_skill()
        self.serializer = self.skill.serializer
        self.envelope_cls = RequestEnvelope

    def __call__(self, text: str) -> str:
        import json

        request = self.serializer.deserialize(payload=text, obj_type=self.envelope_cls)
        return json.dumps(self.serializer.serialize(self.skill.invoke(request, None)))

    @staticmethod
    def comparable(text: str) -> str:
        """The response text without ask-sdk-core's ``userAgent``, as alexafsm writes it."""
        import json

        envelope = json.loads(text)
        envelope.pop('userAgent', None)
        return json.dumps(envelope)
