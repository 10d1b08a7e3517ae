"""What Alexa would reject in a response: the rules Amazon's console and SDK model check.

A response that breaks one (malformed SSML, a dialog directive on a request that cannot take
one, a directive naming a slot the intent does not have, a bad card) makes the user hear a
generic error, yet nothing in the skill's own tests fails. The fuzzer checks every turn with
``response_problems``; Amazon's SDK is a test-only dependency, so the rules are written out here.
"""
import re
from typing import Any
from typing import List
from typing import Mapping
from typing import NamedTuple
from typing import Optional

from alexafsm import response
from alexafsm.request import CAN_FULFILL
from alexafsm.request import INTENT
from alexafsm.request import SESSION_ENDED
from alexafsm.response import DIALOG_DIRECTIVES
from alexafsm.response import ssml_problem
from alexafsm.tools.interaction_model import InteractionModel

__all__ = ['response_problems', 'ssml_problem', 'Problem']
_DIALOG_SLOT_KEYS = {'Dialog.ElicitSlot': 'slotToElicit', 'Dialog.ConfirmSlot': 'slotToConfirm'}
_CARD_TYPES = ('Simple', 'Standard', 'LinkAccount', 'AskForPermissionsConsent')

class Problem(NamedTuple):
    """One way a response breaks Alexa's rules: a short code for grouping, and the fix."""

    code: str
    message: str


def response_problems(request: Mapping[str, Any], envelope: Any,
                      model: Optional[InteractionModel] = None) -> List[Problem]:
    """Every rule of Alexa's that ``envelope``, the answer to ``request``, breaks.

    Alexa rejects such a response and the user hears a generic error, but nothing in the
    skill's own tests fails; these are the checks Amazon's SDK model and the console make,
    written out because the SDK is a test-only dependency. With ``model``, the slot a dialog
    directive names must be a slot of the intent. Never raises: the fuzzer and playback run it
    on whatever was sent or recorded, and a request that is no Alexa request (its "request" a
    list) is judged by the response alone.
    """
    try:
        return _problems(request, envelope, model)
    except Exception as error:  # a shape no rule above foresaw: say so rather than crash
        return [Problem('unchecked', f'the response could not be checked against Alexa\'s '
                                     f'rules ({type(error).__name__}: {error})')]


def _problems(request: Any, envelope: Any, model: Optional[InteractionModel]) -> List[Problem]:
    if not isinstance(envelope, dict) or envelope.get('version') != '1.0':
        return [Problem('envelope', 'the response is not an envelope {"version": "1.0", '
                                    '"response": {...}}: return what Policy.handle returns')]
    body = envelope.get('response')
    if not isinstance(body, dict):
        return [Problem('envelope', 'the envelope has no "response" object')]
    problems: List[Problem] = []
    add = lambda code, message: problems.append(Problem(code, message))  # noqa: E731
    kind = _body(request).get('type')
    kind = kind if isinstance(kind, str) else None
    attributes = envelope.get('sessionAttributes')
    if attributes is not None and not isinstance(attributes, dict):
        add('session-attributes', f'sessionAttributes must be an object, got {attributes!r}')
    end = body.get('shouldEndSession')
    if 'shouldEndSession' in body and not isinstance(end, bool):
        add('should-end', f'shouldEndSession must be true or false (or left out), got {end!r}')
    reprompt = body.get('reprompt')
    if reprompt is not None and (not isinstance(reprompt, dict)
                                 or not isinstance(reprompt.get('outputSpeech'), dict)):
        add('reprompt', f'reprompt must be {{"outputSpeech": {{...}}}}, got {reprompt!r}')
        reprompt = None
    for where, speech in (('outputSpeech', body.get('outputSpeech')),
                          ('reprompt.outputSpeech', (reprompt or {}).get('outputSpeech'))):
        if speech is not None:
            problems += _speech_problems(where, speech)
    if reprompt and end is True:
        add('reprompt-on-end', 'the response ends the session (shouldEndSession true) but has a '
                               'reprompt, which Alexa rejects: leave the reprompt out when '
                               'ending, or keep the session open')
    problems += _directive_problems(body, kind, request, model)
    problems += _card_problems(body.get('card'))
    if kind == SESSION_ENDED:
        sent = [key for key in ('outputSpeech', 'reprompt', 'card', 'directives') if key in body]
        if sent:
            add('answer-to-session-end', f'the answer to a SessionEndedRequest has {sent}, but '
                                         f'the session is over and Alexa accepts no speech, '
                                         f'card or directive: answer with response.empty()')
    if kind == CAN_FULFILL:
        answer = body.get('canFulfillIntent')
        if not isinstance(answer, dict) or answer.get('canFulfill') not in ('YES', 'NO', 'MAYBE'):
            add('can-fulfill', f'the answer to a CanFulfillIntentRequest needs canFulfillIntent '
                               f'with canFulfill YES, NO or MAYBE, got {answer!r}: build it with '
                               f'Response.can_fulfill_intent()')
        if any(key in body for key in ('outputSpeech', 'reprompt', 'card')):
            add('can-fulfill', 'the answer to a CanFulfillIntentRequest is not spoken: leave out '
                               'speech, reprompt and card')
    problems += [Problem('limits', message) for message in response.check_limits(envelope)]
    return problems


def _speech_problems(where: str, speech: Any) -> List[Problem]:
    if not isinstance(speech, dict):
        return [Problem('speech', f'{where} must be an object, got {speech!r}')]
    kind = speech.get('type')
    key = {'PlainText': 'text', 'SSML': 'ssml'}.get(kind) if isinstance(kind, str) else None
    if key is None:
        return [Problem('speech', f'{where}.type must be PlainText or SSML, got {kind!r}')]
    text = speech.get(key)
    if not isinstance(text, str):
        return [Problem('speech', f'{where} of type {kind} needs "{key}" as a string, '
                                  f'got {text!r}')]
    if kind == 'SSML':
        problem = ssml_problem(text)
        if problem is not None:
            return [Problem('ssml', f'{where} is SSML Alexa rejects: {problem}: '
                                    f'{_clip(text)!r}')]
    return []


def _directive_problems(body: Mapping[str, Any], kind: Optional[str],
                        request: Mapping[str, Any],
                        model: Optional[InteractionModel]) -> List[Problem]:
    directives = body.get('directives', [])
    if not isinstance(directives, list):
        return [Problem('directive', f'directives must be a list, got {directives!r}')]
    problems = []
    dialog = []
    for directive in directives:
        if not isinstance(directive, dict) or not isinstance(directive.get('type'), str):
            problems.append(Problem('directive', f'a directive must be an object with a "type", '
                                                 f'got {directive!r}'))
        elif directive['type'] in DIALOG_DIRECTIVES:
            dialog.append(directive)
    if not dialog:
        return problems
    names = [d['type'] for d in dialog]
    if body.get('shouldEndSession') is True:
        problems.append(Problem('dialog-on-end', f'{", ".join(names)} continues the dialog, so '
                                                 f'the response cannot end the session'))
    if kind != INTENT:
        problems.append(Problem('dialog-outside-intent', f'{", ".join(names)} answers a {kind}, '
                                                         f'but Alexa takes dialog directives '
                                                         f'only in answer to an IntentRequest'))
    if len(dialog) > 1:
        problems.append(Problem('dialog-several', f'one response may carry one dialog '
                                                  f'directive, this one has {names}'))
    for directive in dialog:
        problems += _dialog_problems(directive, body, request, model)
    return problems


def _dialog_problems(directive: Mapping[str, Any], body: Mapping[str, Any],
                     request: Mapping[str, Any],
                     model: Optional[InteractionModel]) -> List[Problem]:
    kind = directive['type']
    problems = []
    if kind == 'Dialog.Delegate' and ('outputSpeech' in body or 'reprompt' in body):
        problems.append(Problem('delegate-with-speech', 'Dialog.Delegate lets Alexa speak the '
                                                        'dialog model\'s prompts; a response '
                                                        'with it must have no speech or '
                                                        'reprompt'))
    updated = directive.get('updatedIntent')
    if updated is not None and (not isinstance(updated, dict)
                                or not isinstance(updated.get('name'), str)):
        problems.append(Problem('dialog-incomplete', f'{kind}\'s updatedIntent must be an '
                                                     f'intent object with a name, got '
                                                     f'{updated!r}: use '
                                                     f'alexafsm.response.updated_intent()'))
        updated = None
    target = model.intent(updated['name']) if model is not None and updated else None
    if target is not None and updated is not None:
        unknown = sorted(str(name) for name in (updated.get('slots') or {})
                         if target.slot(str(name)) is None)
        if unknown:
            problems.append(Problem('dialog-unknown-slot', f'{kind}\'s updatedIntent fills '
                                                           f'slots {unknown}, which intent '
                                                           f'{target.name} does not have'))
    slot_key = _DIALOG_SLOT_KEYS.get(kind)
    if slot_key is None:
        return problems
    slot = directive.get(slot_key)
    if not isinstance(slot, str) or not slot:
        problems.append(Problem('dialog-incomplete', f'{kind} must name the slot in '
                                                     f'"{slot_key}": build it with '
                                                     f'Directive.{_snake(kind)}(slot)'))
        return problems
    intent = _body(request).get('intent')
    intent_name = (updated or {}).get('name') or \
        (intent.get('name') if isinstance(intent, dict) else None)
    if not isinstance(intent_name, str):
        intent_name = None
    intent = model.intent(intent_name) if model is not None and intent_name else None
    if intent is not None and intent.slot(slot) is None:
        slots = ', '.join(intent.slot_names) or 'none'
        problems.append(Problem('dialog-unknown-slot', f'{kind} names slot {slot!r}, which '
                                                       f'intent {intent_name} does not have '
                                                       f'(slots: {slots})'))
    return problems


def _body(request: Any) -> Mapping[str, Any]:
    """The request's "request" object; empty when the request or it is not an object."""
    body = request.get('request') if isinstance(request, Mapping) else None
    return body if isinstance(body, Mapping) else {}


def _card_problems(card: Any) -> List[Problem]:
    if card is None:
        return []
    if not isinstance(card, dict) or card.get('type') not in _CARD_TYPES:
        return [Problem('card', f'a card is an object whose type is one of '
                                f'{", ".join(_CARD_TYPES)}, got {card!r}')]
    problems = [Problem('card', f'card {key} must be a string, got {card[key]!r}')
                for key in ('title', 'content', 'text') if key in card
                and not isinstance(card[key], str)]
    image = card.get('image') or {}
    for key, url in (image.items() if isinstance(image, dict) else ()):
        if not (isinstance(url, str) and url.startswith('https://')):
            problems.append(Problem('card', f'card image {key} must be a public https URL, '
                                            f'got {url!r}'))
    return problems


def _snake(directive: str) -> str:
    name = directive.split('.', 1)[1]
    return re.sub(r'(?<!^)([A-Z])', r'_\1', name).lower()


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + '...'
