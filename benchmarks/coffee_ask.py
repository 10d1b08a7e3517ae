"""The coffee skill of benchmarks/coffee.py on Amazon's ask-sdk-core (the bench extra).

It keeps the conversation's state in the session attributes by hand, as ask-sdk-core skills
do: each handler's ``can_handle`` reads the intent and the state. It imports nothing of
alexafsm, so benchmarks/coldstart.py times ask-sdk-core's cold start alone.
"""
import json
from typing import Any
from typing import Dict
from typing import Optional
from typing import Tuple

from benchmarks.coffee_words import CANCEL_INTENT
from benchmarks.coffee_words import HELP
from benchmarks.coffee_words import HELP_INTENT
from benchmarks.coffee_words import INITIAL_STATE
from benchmarks.coffee_words import NO_MILK
from benchmarks.coffee_words import NOT_UNDERSTOOD
from benchmarks.coffee_words import PROMPT
from benchmarks.coffee_words import SKILL_NAME
from benchmarks.coffee_words import SLOTS
from benchmarks.coffee_words import STOP_INTENT
from benchmarks.coffee_words import YES_INTENT
from benchmarks.coffee_words import describe as _describe
from benchmarks.coffee_words import review as _review


def ask_skill() -> Any:
    """The same skill on ask-sdk-core: a CustomSkill whose handlers keep the state by hand."""
    return ask_builder().create()


def ask_builder() -> Any:
    """The SkillBuilder of the skill, whose ``lambda_handler()`` is the Lambda entry point.

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
                slots = [values.get(name) for name in SLOTS]
            else:
                slots = attributes.get('slots') or [None] * len(SLOTS)
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
            return intent_is(handler_input, HELP_INTENT)

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
            slots = dict(zip(SLOTS, attributes['slots']))
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
            return intent_is(handler_input, YES_INTENT) and \
                state_of(handler_input)['state'] == 'reviewing'

        def handle(self, handler_input: Any) -> Any:
            attributes = state_of(handler_input)
            attributes['state'] = 'placed'
            return answer(f"Placed: {len(attributes['order'])} drinks. Say stop to finish.",
                          "Say stop to finish.")

    class Stop(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return intent_is(handler_input, STOP_INTENT, CANCEL_INTENT)

        def handle(self, handler_input: Any) -> Any:
            state_of(handler_input)['state'] = 'exiting'
            return answer(f"Thank you for using {SKILL_NAME}", '', end=True)

    class NotUnderstood(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return True

        def handle(self, handler_input: Any) -> Any:
            return answer(*NOT_UNDERSTOOD)

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
    return builder


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
        request = self.serializer.deserialize(payload=text, obj_type=self.envelope_cls)
        return json.dumps(self.serializer.serialize(self.skill.invoke(request, None)))

    @staticmethod
    def comparable(text: str) -> str:
        """The response text without ask-sdk-core's ``userAgent``, as alexafsm writes it."""
        envelope = json.loads(text)
        envelope.pop('userAgent', None)
        return json.dumps(envelope)
