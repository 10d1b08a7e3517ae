"""What a skill says back to Alexa, and the JSON envelope Alexa expects for it.

``Response`` keeps the 0.1.11 constructor and field order, so skills that build or ``_replace``
responses keep working; speech, cards, directives and CanFulfillIntent answers are added as
optional fields after the old ones. ``to_json()`` returns plain JSON values only and raises
``ResponseError`` for combinations Alexa would reject, so the mistake shows up in the skill's
tests rather than as "There was a problem with the requested skill's response" on a device.
"""
import json
import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Mapping
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Tuple
from typing import Union

from alexafsm.errors import ResponseError
from alexafsm.jsonable import jsonable
from alexafsm.session_attributes import SessionAttributes

__all__ = ['Response', 'ResponseError', 'Card', 'Directive', 'Ssml', 'ssml', 'updated_intent',
           'empty', 'end', 'apology', 'NOT_UNDERSTOOD', 'APOLOGY', 'render', 'check_limits',
           'parse_ssml', 'ssml_problem', 'SSML_TAGS', 'DIALOG_DIRECTIVES', 'speech_of',
           'reprompt_of', 'MAX_SPEECH_CHARS', 'MAX_CARD_CHARS', 'MAX_RESPONSE_BYTES',
           'WARN_RESPONSE_BYTES']

MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
MAX_RESPONSE_BYTES = 120 * 1024
WARN_RESPONSE_BYTES = 24 * 1024
_SMALLEST_LIMIT = min(MAX_SPEECH_CHARS, MAX_CARD_CHARS)  # an envelope this small breaks none

_SPEAK = re.compile(r'\s*<speak[\s>]')
_SPEAK_WRAPPED = re.compile(r'\s*<speak(?:\s[^>]*)?>(.*)</speak>\s*\Z', re.DOTALL)
_CONFIRMATION_STATUSES = ('NONE', 'CONFIRMED', 'DENIED')
# The directives that run a step of Alexa's dialog model: they keep the session open and answer
# only an IntentRequest. Response.to_json() and the fuzzer's response checks both go by this.
DIALOG_DIRECTIVES = ('Dialog.Delegate', 'Dialog.ElicitSlot', 'Dialog.ConfirmSlot',
                     'Dialog.ConfirmIntent')


class Ssml(str):
    """A string of SSML the skill author vouches for: spoken as markup, never escaped."""

    __slots__ = ()


def ssml(*parts: str) -> Ssml:
    """Build SSML from pieces so that text from users or databases can never break the markup.

    Plain ``str`` parts are escaped ('Tom & Jerry <3' is spoken as written), ``Ssml`` parts are
    inserted as they are, without their own ``<speak>`` wrapper. Parts are concatenated as is,
    like ``str`` concatenation: put the spaces you want to hear inside the parts.
    """
    inner = []
    for part in parts:
        if isinstance(part, Ssml):
            wrapped = _SPEAK_WRAPPED.match(part)
            inner.append(wrapped.group(1) if wrapped else str(part))
        else:
            inner.append(_escape(str(part)))
    return Ssml('<speak>' + ''.join(inner) + '</speak>')


def _escape(text: str) -> str:
    """XML's five escapes, '&' first. Not xml.sax.saxutils.escape: that module imports
    urllib.request, and with it ssl, into every skill, which a Lambda function has no use for."""
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&apos;'))


def _is_ssml(speech: Optional[str]) -> bool:
    """Whether speech goes out as SSML: an ``Ssml`` value, or a string opening with <speak>.

    Response() and to_json() test ``type(speech) is str and '<speak' not in speech`` inline
    before calling this: plain text is every ordinary turn, and the three calls that spares
    are 0.3 us of a 16 us turn, 2% of the ratio benchmarks/core.py measures against the floor.
    """
    if type(speech) is str:  # skip the regex when possible
        return '<speak' in speech[:64] and _SPEAK.match(speech) is not None
    return isinstance(speech, Ssml) or (isinstance(speech, str)
                                        and _SPEAK.match(speech) is not None)


def updated_intent(name: str, slots: Optional[Mapping[str, Optional[str]]] = None,
                   confirmation_status: str = 'NONE') -> Dict[str, Any]:
    """An ``updatedIntent`` for a Dialog directive, so skills can pre-fill or clear slot values.

    A slot whose value is None is sent without a value, which is how Alexa marks it unfilled.
    """
    _check_choice('confirmation_status', confirmation_status, _CONFIRMATION_STATUSES)
    wire_slots = {}
    for slot, value in (slots or {}).items():
        wire_slots[slot] = {'name': slot, 'confirmationStatus': 'NONE'}
        if value is not None:
            wire_slots[slot]['value'] = str(value)
    return {'name': name, 'confirmationStatus': confirmation_status, 'slots': wire_slots}


@dataclass(frozen=True)
class Card:
    """A card for the Alexa app or a screen; build one with the class methods below."""

    type: str
    body: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def simple(cls, title: str, content: str) -> 'Card':
        """A text-only card, for devices and apps that show what was said."""
        return cls('Simple', {'title': title, 'content': content})

    @classmethod
    def standard(cls, title: str, text: str, small_image_url: Optional[str] = None,
                 large_image_url: Optional[str] = None) -> 'Card':
        """A card with an image; Alexa fetches the URLs itself, so they must be public HTTPS."""
        body: Dict[str, Any] = {'title': title, 'text': text}
        image = _image(small_image_url, large_image_url)
        if image:
            body['image'] = image
        return cls('Standard', body)

    @classmethod
    def link_account(cls) -> 'Card':
        """Asks the user to link their account in the Alexa app before the skill can help."""
        return cls('LinkAccount')

    @classmethod
    def ask_for_permissions(cls, permissions: Iterable[str]) -> 'Card':
        """Asks the user to grant permissions such as 'read::alexa:device:all:address'."""
        if isinstance(permissions, str):
            raise ResponseError(f"Card.ask_for_permissions() takes a list of permission scopes, "
                                f"got the string {permissions!r}: wrap it in a list")
        return cls('AskForPermissionsConsent', {'permissions': list(permissions)})

    def to_json(self) -> Dict[str, Any]:
        """The card as Alexa's JSON, for the ``card`` key of the response."""
        return {'type': self.type, **jsonable(dict(self.body))}


@dataclass(frozen=True)
class Directive:
    """Something Alexa does besides speaking, such as running a step of the dialog model."""

    type: str
    body: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def delegate(cls, updated_intent: Any = None) -> 'Directive':
        """Lets Alexa's dialog model pick and speak the next prompt; the skill sends no speech."""
        return cls._dialog('Dialog.Delegate', updated_intent)

    @classmethod
    def elicit_slot(cls, slot_to_elicit: str, updated_intent: Any = None) -> 'Directive':
        """Asks for one slot with the skill's own speech, e.g. after a value failed validation."""
        return cls._dialog('Dialog.ElicitSlot', updated_intent, slotToElicit=slot_to_elicit)

    @classmethod
    def confirm_slot(cls, slot_to_confirm: str, updated_intent: Any = None) -> 'Directive':
        """Asks the user to confirm one slot value with the skill's own speech."""
        return cls._dialog('Dialog.ConfirmSlot', updated_intent, slotToConfirm=slot_to_confirm)

    @classmethod
    def confirm_intent(cls, updated_intent: Any = None) -> 'Directive':
        """Asks the user to confirm the whole request before the skill acts on it."""
        return cls._dialog('Dialog.ConfirmIntent', updated_intent)

    @classmethod
    def _dialog(cls, type_: str, updated_intent: Any, **body: Any) -> 'Directive':
        if updated_intent is not None:
            body['updatedIntent'] = updated_intent
        return cls(type_, body)

    def to_json(self) -> Dict[str, Any]:
        """The directive as Alexa's JSON, for the ``directives`` list of the response."""
        return {'type': self.type, **jsonable(dict(self.body))}


class _ResponseFields(NamedTuple):
    """Response's fields in 0.1.11's tuple order, then the added ones; Response keeps its own
    constructor (``typing.NamedTuple`` forbids a ``__new__`` in the class that declares fields)."""

    speech: Optional[str]  # a str or Ssml, spoken as SSML when it opens with <speak>
    card: Union[str, Card, None]
    card_content: Optional[str]
    reprompt: Optional[str]
    should_end: Optional[bool]
    image: Optional[str]
    session_attributes: Any
    small_image: Optional[str]
    directives: Tuple[Union[Directive, Mapping[str, Any]], ...]
    can_fulfill: Optional[Mapping[str, Any]]


class Response(_ResponseFields):
    """Pythonic representation of the response to be sent to Alexa.

    The first seven fields and the constructor's parameters are 0.1.11's. ``speech`` and
    ``reprompt`` may be ``Ssml`` (or strings opening with <speak>); ``card`` is a title string or
    a ``Card``; ``should_end`` None leaves ``shouldEndSession`` out so the device decides.
    """

    __slots__ = ()

    def __new__(cls, speech: Optional[str] = None, reprompt: Optional[str] = None,
                card: Union[str, Card, None] = None, should_end: Optional[bool] = False,
                card_content: Optional[str] = None, image: Optional[str] = None,
                session_attributes: Any = None, small_image: Optional[str] = None,
                directives: Union[Iterable[Union[Directive, Mapping[str, Any]]],
                                  Directive, Mapping[str, Any]] = (),
                can_fulfill: Optional[Mapping[str, Any]] = None) -> 'Response':
        if not card_content:  # plain text inline, as in to_json(): see _is_ssml
            card_content = speech if type(speech) is str and '<speak' not in speech \
                else _spoken_text(speech) if speech is not None and _is_ssml(speech) else speech
        if type(directives) is not tuple:
            directives = (directives,) if isinstance(directives, (Directive, Mapping)) \
                else tuple(directives)
        # in field order; tuple.__new__ spares the keyword call of the namedtuple's __new__
        return tuple.__new__(cls, (
            speech, card, card_content.strip() if card_content is not None else None, reprompt,
            should_end, image, session_attributes, small_image, directives, can_fulfill))

    def with_session(self, attributes: Any) -> 'Response':
        """``self._replace(session_attributes=attributes)`` without its keyword handling.

        Every turn does this once, and ``_replace`` costs as much as the rest of building the
        Response; a subclass still goes through ``_replace``.
        """
        if type(self) is not Response:
            return self._replace(session_attributes=attributes)
        (speech, card, card_content, reprompt, should_end, image, _, small_image, directives,
         can_fulfill) = self
        return tuple.__new__(Response, (
            speech, card, card_content, reprompt, should_end, image, attributes, small_image,
            directives, can_fulfill))

    def __reduce__(self) -> Tuple[Any, ...]:
        # The default for namedtuples passes the fields to __new__ in field order, which is not
        # 0.1.11's parameter order, so copies and pickles would scramble them.
        return self._make, (tuple(self),)

    @classmethod
    def can_fulfill_intent(cls, can_fulfill: str,
                           slots: Optional[Mapping[str, Tuple[str, str]]] = None,
                           session_attributes: Any = None) -> 'Response':
        """Answers a CanFulfillIntentRequest, with which Alexa asks whether to route an intent here.

        ``can_fulfill`` is 'YES', 'NO' or 'MAYBE'; ``slots`` maps each slot name to a pair
        (canUnderstand: 'YES'/'NO'/'MAYBE', canFulfill: 'YES'/'NO').
        """
        _check_choice('can_fulfill', can_fulfill, ('YES', 'NO', 'MAYBE'))
        wire_slots = {}
        for name, pair in (slots or {}).items():
            if isinstance(pair, str) or len(pair) != 2:
                raise ResponseError(f"slot {name!r} of can_fulfill_intent() must be a pair "
                                    f"(can_understand, can_fulfill) such as ('YES', 'NO'), "
                                    f"got {pair!r}")
            understand, fulfill = pair
            _check_choice(f"canUnderstand of slot {name!r}", understand, ('YES', 'NO', 'MAYBE'))
            _check_choice(f"canFulfill of slot {name!r}", fulfill, ('YES', 'NO'))
            wire_slots[name] = {'canUnderstand': understand, 'canFulfill': fulfill}
        return cls(should_end=None, session_attributes=session_attributes,
                   can_fulfill={'canFulfill': can_fulfill, 'slots': wire_slots})

    def to_json(self) -> Dict[str, Any]:
        """The envelope Alexa expects, as plain JSON values any encoder or test can handle.

        Raises ResponseError for what Alexa would reject (malformed SSML, speech with
        Dialog.Delegate, ...), so the mistake fails the skill's tests instead of a live session.
        """
        (speech, card, _, reprompt, should_end, _, session_attributes, _, directives,
         can_fulfill) = self
        if directives or can_fulfill is not None:
            self._check_combination()
        response: Dict[str, Any] = {}
        if speech is not None:  # plain text is built inline, without a call: see _is_ssml
            response['outputSpeech'] = {'type': 'PlainText', 'text': speech} \
                if type(speech) is str and '<speak' not in speech \
                else _output_speech(speech, 'speech')
        if card is not None:
            card_json = self._card_json()
            if card_json is not None:
                response['card'] = card_json
        if reprompt and should_end is not True:
            response['reprompt'] = {'outputSpeech': {'type': 'PlainText', 'text': reprompt}
                                    if type(reprompt) is str and '<speak' not in reprompt
                                    else _output_speech(reprompt, 'reprompt')}
        if should_end is not None:
            response['shouldEndSession'] = should_end
        if directives:
            response['directives'] = [jsonable(d) for d in directives]
        if can_fulfill is not None:
            response['canFulfillIntent'] = jsonable(can_fulfill)
        envelope: Dict[str, Any] = {'version': '1.0'}
        if session_attributes is not None:
            attributes = _session_json(session_attributes)
            if attributes is not None:
                envelope['sessionAttributes'] = attributes
        envelope['response'] = response
        return envelope

    def _card_json(self) -> Optional[Dict[str, Any]]:
        if isinstance(self.card, Card):
            if self.image or self.small_image:
                raise ResponseError("image and small_image only apply when card is a title "
                                    "string; with a Card value pass the URLs to "
                                    "Card.standard(title, text, small_image_url, large_image_url)")
            return self.card.to_json()
        if not self.card:
            return None
        image = _image(self.small_image, self.image) if self.small_image or self.image else None
        if image:
            card = {'type': 'Standard', 'image': image, 'title': self.card,
                    'text': self.card_content}
        else:
            card = {'type': 'Simple', 'title': self.card, 'content': self.card_content}
        # without card_content or speech there is no content, and Alexa wants no null either
        if self.card_content is None:
            return {k: v for k, v in card.items() if v is not None}
        return card

    def _check_combination(self) -> None:
        if not self.directives and self.can_fulfill is None:
            return
        types = [d.get('type') if isinstance(d, Mapping) else getattr(d, 'type', None)
                 for d in self.directives]
        dialog = [t for t in types if t in DIALOG_DIRECTIVES]
        if dialog and self.should_end is True:
            raise ResponseError(f"{', '.join(dialog)} continues the dialog, so the session "
                                f"cannot end in the same response: use should_end=False or None")
        if 'Dialog.Delegate' in types and (self.speech is not None or self.reprompt):
            raise ResponseError("Dialog.Delegate lets Alexa speak the prompts of the dialog "
                                "model, and Alexa rejects a response that also has speech or a "
                                "reprompt: pass speech=None and reprompt=None, or use "
                                "Directive.elicit_slot() to ask with your own words")
        if self.can_fulfill is not None and (self.speech is not None or self.reprompt
                                             or self.card):
            raise ResponseError("an answer to a CanFulfillIntentRequest is not spoken: build it "
                                "with Response.can_fulfill_intent(), without speech, reprompt "
                                "or card")


def empty(session_attributes: Any = None) -> Response:
    """An answer that says nothing, for requests Alexa expects no speech for.

    Such as SessionEndedRequest, System.ExceptionEncountered and request types the skill does
    not handle; every response field is left out, ``shouldEndSession`` too, because some of
    these requests accept none of them.
    """
    return Response(should_end=None, session_attributes=session_attributes)


def apology(session_attributes: Any = None) -> Response:
    """What the user hears when the skill itself fails: a short apology, with the session open."""
    return Response(speech="Sorry, something went wrong. Please try again.",
                    reprompt="Please try again.", session_attributes=session_attributes)


def end(skill_name: str) -> Response:
    """The goodbye 0.1.11 skills answer AMAZON.StopIntent with; it ends the session."""
    return Response(speech=f"Thank you for using {skill_name}", reprompt="", should_end=True)


NOT_UNDERSTOOD = Response(
    speech="I did not understand your response, please say it differently.",
    reprompt="Please respond in a different way.")

APOLOGY = apology()


def check_limits(envelope: Mapping[str, Any], size: Optional[int] = None) -> List[str]:
    """The limits of Alexa's that an envelope breaks, each with its size and how to fix it.

    Alexa rejects such a response outright and the user hears a generic error, so the policy
    checks every envelope before sending it. An empty list means the envelope is within limits.
    ``size`` is the length of the envelope's compact JSON when the caller has it already.
    """
    if size is None:
        size = _size(envelope)
    if size <= _SMALLEST_LIMIT:
        return []  # no part can be longer than the whole; this is every ordinary turn
    problems = []
    response = envelope.get('response') or {}
    speeches = [('outputSpeech', response.get('outputSpeech')),
                ('reprompt.outputSpeech', (response.get('reprompt') or {}).get('outputSpeech'))]
    for where, speech in speeches:
        if speech:
            chars = len(speech.get('ssml') or speech.get('text') or '')
            if chars > MAX_SPEECH_CHARS:
                problems.append(f"response.{where} is {chars:,} characters, over Alexa's limit "
                                f"of {MAX_SPEECH_CHARS:,}: say less in one turn, or split it "
                                f"over several turns")
    card = response.get('card') or {}
    card_chars = sum(len(card.get(key) or '') for key in ('title', 'content', 'text'))
    if card_chars > MAX_CARD_CHARS:
        problems.append(f"response.card has {card_chars:,} characters of title and content, over "
                        f"Alexa's limit of {MAX_CARD_CHARS:,}: shorten the card text")
    if size > MAX_RESPONSE_BYTES:
        attributes = _size(envelope.get('sessionAttributes') or {})
        problems.append(f"the response is {size:,} bytes of JSON, over Alexa's limit of "
                        f"{MAX_RESPONSE_BYTES:,} bytes (120 KB), of which sessionAttributes are "
                        f"{attributes:,}: keep large values out of the session attributes "
                        f"(not_sent_fields) and shorten speech and cards")
    return problems


def render(envelope: Dict[str, Any], logger: logging.Logger,
           request_id: Optional[str] = None) -> Tuple[Dict[str, Any], str]:
    """The envelope to send and its JSON text; one Alexa would reject is swapped for an apology.

    The author is told why in the log. The apology keeps the session attributes, so the
    conversation goes on where it was, unless the attributes alone would push the apology over
    the size limit; then they are dropped and the next turn starts from the initial state, which
    beats Alexa ending the session. Envelopes above 24 KB pass unchanged with a warning, as a
    hint before they hit the limit. The size check needs the JSON text anyway, so it is
    serialized only once: hosts send it as is instead of encoding again.
    """
    try:
        text = ''.join(_json_chunks(envelope, 0))  # _text() without its call: once a turn
    except ValueError as error:
        logger.error("request %s: the response holds a number JSON cannot carry (%s), so Alexa "
                     "would reject it and the user hears an apology instead: keep NaN and "
                     "Infinity out of session attributes and responses", request_id, error)
        return APOLOGY.to_json(), _text(APOLOGY.to_json())
    except (RecursionError, TypeError) as error:  # only envelopes not made by Response.to_json
        logger.error("request %s: the response is no JSON (%s: %s), so the user hears an "
                     "apology instead: build it with Response.to_json(), which converts skill "
                     "values and has no cycles", request_id, type(error).__name__, error)
        return APOLOGY.to_json(), _text(APOLOGY.to_json())
    size = len(text)
    problems = check_limits(envelope, size) if size > _SMALLEST_LIMIT else None
    if problems:
        logger.error("request %s: the skill's response breaks Alexa's limits and was replaced "
                     "with an apology: %s", request_id, '; '.join(problems))
        fallback = apology(envelope.get('sessionAttributes')).to_json()
        if check_limits(fallback):
            logger.error("request %s: the session attributes alone exceed Alexa's limits, so "
                         "they were dropped and the next turn starts afresh", request_id)
            fallback = APOLOGY.to_json()
        return fallback, _text(fallback)
    if size > WARN_RESPONSE_BYTES:
        logger.warning("request %s: the response is %s bytes of JSON, above %s bytes (24 KB); "
                       "Alexa rejects responses above %s bytes (120 KB): keep large values out "
                       "of the session attributes (not_sent_fields)", request_id,
                       f"{len(text):,}", f"{WARN_RESPONSE_BYTES:,}", f"{MAX_RESPONSE_BYTES:,}")
    return envelope, text


_AMAZON_PREFIX = re.compile(r'<(/?)(amazon|alexa):')

# The tags Alexa speaks: the W3C ones it supports and its own amazon:/alexa: tags. Alexa refuses
# a response with any other tag, so Response.to_json() and the fuzzer's checks both refuse it.
SSML_TAGS = frozenset({
    'speak', 'p', 's', 'break', 'emphasis', 'lang', 'phoneme', 'prosody', 'say-as', 'sub',
    'voice', 'w', 'audio', 'mark', 'amazon:effect', 'amazon:emotion', 'amazon:domain',
    'amazon:auto-breaths', 'amazon:breath', 'alexa:name'})


def parse_ssml(markup: str) -> ElementTree.Element:
    """SSML as an element tree, with Amazon's own tags (``<amazon:effect>``, ``<amazon:emotion>``,
    ``<alexa:name>``) accepted without a namespace declaration, as Alexa accepts them.

    A plain XML parser rejects those as unbound prefixes. Raises
    ``xml.etree.ElementTree.ParseError`` for markup that is not well-formed.
    """
    root = ElementTree.fromstring(_AMAZON_PREFIX.sub(r'<\1\2-', markup.strip()))
    for element in root.iter():
        prefix, _, name = element.tag.partition('-')
        if name and prefix in ('amazon', 'alexa'):
            element.tag = f'{prefix}:{name}'
    return root


def ssml_problem(markup: str) -> Optional[str]:
    """Why Alexa would refuse this SSML, or None: well-formed, one <speak>, known tags only.

    The one SSML rule of the package: ``Response.to_json()`` raises ``ResponseError`` with it,
    and the fuzzer's response checks report it, so a skill's tests and the fuzzer never disagree
    about what Alexa accepts. Amazon's ``amazon:`` and ``alexa:`` tags need no namespace
    declaration, as on Alexa.
    """
    try:
        root = parse_ssml(markup)
    except ElementTree.ParseError as error:
        return (f"not well-formed XML ({error}); build SSML with alexafsm.response.ssml(...), "
                f"which escapes '&', '<' and quotes in plain text")
    if root.tag != 'speak':
        return (f"the root element is <{root.tag}>, not <speak>: put a single <speak> element "
                f"around everything; ssml(...) wraps it for you")
    for element in root.iter():
        if element.tag not in SSML_TAGS:
            return (f"<{element.tag}> is not an SSML tag Alexa knows; if it is meant as words, "
                    f"build the speech with ssml(...), which escapes it")
        if element.tag == 'speak' and element is not root:
            return ("a <speak> inside <speak>: SSML has a single <speak> element around "
                    "everything; ssml(...) unwraps nested SSML for you")
    return None


def speech_of(envelope: Mapping[str, Any]) -> Optional[str]:
    """The speech of a response envelope as sent: its text, or its SSML markup; None if silent.

    Tests, playback diffs and coverage all compare speech, and must agree on what it is.
    """
    return _sent_speech((envelope.get('response') or {}).get('outputSpeech'))


def reprompt_of(envelope: Mapping[str, Any]) -> Optional[str]:
    """The reprompt of a response envelope as sent, read as :func:`speech_of` reads speech."""
    reprompt = (envelope.get('response') or {}).get('reprompt') or {}
    return _sent_speech(reprompt.get('outputSpeech') if isinstance(reprompt, dict) else None)


def _sent_speech(output_speech: Any) -> Optional[str]:
    if not isinstance(output_speech, dict):
        return None
    return output_speech.get('ssml') if output_speech.get('type') == 'SSML' \
        else output_speech.get('text')


def _output_speech(speech: str, where: str) -> Dict[str, str]:
    if not _is_ssml(speech):
        return {'type': 'PlainText', 'text': speech}
    markup = speech.strip()
    problem = ssml_problem(markup)
    if problem is not None:
        raise ResponseError(f"the {where} is SSML Alexa rejects: {problem}: {markup!r}")
    return {'type': 'SSML', 'ssml': markup}


def _spoken_text(markup: str) -> str:
    """The words of SSML, for a card that defaults to the speech; malformed SSML is left as is."""
    try:
        return ' '.join(''.join(parse_ssml(markup).itertext()).split())
    except ElementTree.ParseError:
        return markup  # to_json() reports it


def _image(small_url: Optional[str], large_url: Optional[str]) -> Dict[str, str]:
    image = {}
    if small_url:
        image['smallImageUrl'] = small_url
    if large_url:
        image['largeImageUrl'] = large_url
    return image


def _session_json(attributes: Any) -> Optional[Dict[str, Any]]:
    """Session attributes as Alexa stores them; None leaves the key out, as Amazon's SDK does."""
    if isinstance(attributes, SessionAttributes):
        value = attributes.wire_json()
    else:
        value = jsonable(attributes)
    if value is None or isinstance(value, dict):
        return value
    raise ResponseError(f"session_attributes must be a dict, or an object whose to_json() "
                        f"returns one (such as SessionAttributes), got "
                        f"{type(attributes).__name__} that turns into {type(value).__name__}")


def _check_choice(what: str, value: Any, choices: Tuple[str, ...]) -> None:
    if value not in choices:
        raise ResponseError(f"{what} must be one of {', '.join(choices)}, got {value!r}")


def _compact_json() -> Callable[[Any, int], Sequence[str]]:
    """The function that writes an envelope's JSON text, in chunks: compact, ASCII, NaN refused.

    Called as ``''.join(_json_chunks(value, 0))``, the C encoder's own signature, so the hot
    path (render(), once a turn) pays no Python call of ours around it.

    ASCII, so the text's length is its size in bytes: the larger of the encodings a host may
    send, so what passes the size check fits either way. No circular-reference markers:
    jsonable() has walked every value an envelope holds, so it has no cycle, and one built by
    hand that has fails with RecursionError, which render() reports.

    Why a private API: ``json.dumps`` and ``JSONEncoder.encode`` build a new C encoder on
    every call, and benchmarks/core.py puts that at 5 to 8% of a turn (ratio to the floor 1.75
    against 1.85 on the small skill, 1.66 against 1.80 on the generated machine). So the C
    encoder, ``json.encoder.c_make_encoder``, is built once here with the arguments
    ``JSONEncoder.iterencode`` gives it. Fallback: on a Python without it (no C accelerator,
    or a future one that renames it), the public ``JSONEncoder.encode`` with the same
    settings, which writes the same text.
    """
    encoder = json.JSONEncoder(separators=(',', ':'), allow_nan=False, check_circular=False)
    make_encoder = getattr(json.encoder, 'c_make_encoder', None)
    if make_encoder is None:
        return lambda value, _level: (encoder.encode(value),)
    return make_encoder(None, encoder.default, json.encoder.encode_basestring_ascii, None,
                        ':', ',', False, False, False)


_json_chunks = _compact_json()


def _text(value: Any) -> str:
    return ''.join(_json_chunks(value, 0))


def _size(value: Any) -> int:
    return len(_text(value))
