"""Response: 0.1.11's JSON for 0.1.11's arguments, and what Alexa accepts for the new ones.

Every envelope built here goes through ``envelope()``, which also asks Amazon's ask-sdk-model
(tests/oracle.py) whether it reads the envelope back unchanged.
"""
import copy
import inspect
import json
import logging
import pickle
import typing
import xml.etree.ElementTree as ElementTree
from collections import namedtuple

import pytest

from alexafsm.response import APOLOGY
from alexafsm.response import NOT_UNDERSTOOD
from alexafsm.response import Card
from alexafsm.response import Directive
from alexafsm.response import Response
from alexafsm.response import ResponseError
from alexafsm.response import Ssml
from alexafsm.response import apology
from alexafsm.response import check_limits
from alexafsm.response import empty
from alexafsm.response import end
from alexafsm.response import render
from alexafsm.response import reprompt_of
from alexafsm.response import speech_of
from alexafsm.response import ssml
from alexafsm.response import updated_intent
from alexafsm.session_attributes import SessionAttributes
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

LOGGER = logging.getLogger('tests.response')


def envelope(resp: Response) -> dict:
    """The response's JSON, after checking it is plain JSON that Amazon's model round-trips."""
    result = resp.to_json()
    json.dumps(result)  # no default=: anything but plain JSON values fails here
    assert_valid_response(result)
    return result


def plain(text: str) -> dict:
    return {'type': 'PlainText', 'text': text}


# 0.1.11 compatibility

def test_simple_card_is_0_1_11_json():
    resp = Response(speech="Welcome to the zoo", reprompt="Which animal?", card="Zoo")
    assert envelope(resp) == {
        'version': '1.0',
        'response': {
            'outputSpeech': plain("Welcome to the zoo"),
            'card': {'type': 'Simple', 'title': 'Zoo', 'content': 'Welcome to the zoo'},
            'reprompt': {'outputSpeech': plain("Which animal?")},
            'shouldEndSession': False,
        },
    }


def test_image_makes_a_standard_card_as_in_0_1_11():
    resp = Response("A lion", "Another?", card="Lion", card_content="Panthera leo",
                    image="https://example.com/lion.png")
    assert envelope(resp)['response']['card'] == {
        'type': 'Standard', 'image': {'largeImageUrl': 'https://example.com/lion.png'},
        'title': 'Lion', 'text': 'Panthera leo'}


def test_no_card_without_a_card_title():
    resp = Response("Hello", "Say something", card_content="ignored without a title")
    assert 'card' not in envelope(resp)['response']


def test_card_content_defaults_to_the_stripped_speech_but_speech_is_sent_as_is():
    resp = Response(speech="  Hello there \n", reprompt="r", card="Hi")
    assert resp.card_content == "Hello there"
    body = envelope(resp)['response']
    assert body['card']['content'] == "Hello there"
    assert body['outputSpeech'] == plain("  Hello there \n")


def test_explicit_card_content_is_stripped():
    assert Response("s", "r", card="T", card_content="  details  ").card_content == "details"


def test_end_thanks_the_user_and_ends_without_a_reprompt():
    assert envelope(end("Zoo Guide")) == {
        'version': '1.0',
        'response': {'outputSpeech': plain("Thank you for using Zoo Guide"),
                     'shouldEndSession': True}}


def test_not_understood_is_0_1_11_json():
    assert envelope(NOT_UNDERSTOOD)['response'] == {
        'outputSpeech': plain("I did not understand your response, please say it differently."),
        'reprompt': {'outputSpeech': plain("Please respond in a different way.")},
        'shouldEndSession': False}


def test_fields_and_positional_arguments_of_0_1_11():
    assert Response._fields[:7] == ('speech', 'card', 'card_content', 'reprompt', 'should_end',
                                    'image', 'session_attributes')
    resp = Response("speech", "reprompt", "card", True, "content", "https://img")
    assert (resp.speech, resp.reprompt, resp.card, resp.should_end, resp.card_content,
            resp.image, resp.session_attributes) == (
        "speech", "reprompt", "card", True, "content", "https://img", None)


def test_fields_are_declared_so_type_checkers_and_editors_see_them():
    hints = typing.get_type_hints(Response)
    assert tuple(hints) == Response._fields  # typing.NamedTuple: a field, an annotation
    assert hints['should_end'] == typing.Optional[bool]
    assert inspect.signature(Response).parameters['card'].default is None
    assert list(inspect.signature(Response).parameters)[:7] == [
        'speech', 'reprompt', 'card', 'should_end', 'card_content', 'image', 'session_attributes']


def test_replace_session_attributes_keeps_everything_else():
    resp = Response("  spoken  ", "again", card="T")._replace(session_attributes={'state': 's'})
    assert resp.card_content == "spoken"
    assert envelope(resp)['sessionAttributes'] == {'state': 's'}
    assert isinstance(resp, Response)


def test_copies_and_pickles_keep_every_field():
    resp = Response("s", "r", card="T", card_content="c", session_attributes={'a': 1},
                    directives=[Directive.confirm_intent()])
    assert copy.copy(resp) == resp
    assert copy.deepcopy(resp) == resp
    assert pickle.loads(pickle.dumps(resp)) == resp


def test_default_session_attributes_are_not_shared():
    assert Response("a", "b").session_attributes is None
    assert 'sessionAttributes' not in envelope(Response("a", "b"))


# speech and SSML

def test_ssml_value_is_sent_as_ssml():
    body = envelope(Response(Ssml('<speak>Hi <break time="1s"/> there</speak>'), "r"))['response']
    assert body['outputSpeech'] == {'type': 'SSML',
                                    'ssml': '<speak>Hi <break time="1s"/> there</speak>'}


def test_string_opening_with_speak_is_ssml_and_stripped():
    body = envelope(Response("s", reprompt="  <speak>Still there?</speak>\n"))['response']
    assert body['reprompt']['outputSpeech'] == {'type': 'SSML',
                                                'ssml': '<speak>Still there?</speak>'}


def test_speak_later_in_the_text_is_plain_text():
    body = envelope(Response("Say <speak> to me", "r"))['response']
    assert body['outputSpeech'] == plain("Say <speak> to me")


def test_ssml_escapes_plain_text_so_it_is_spoken_as_written():
    markup = ssml("Tom & Jerry <3 \"quoted\" 'single'")
    assert markup == ("<speak>Tom &amp; Jerry &lt;3 &quot;quoted&quot; &apos;single&apos;"
                      "</speak>")
    assert ElementTree.fromstring(markup).text == "Tom & Jerry <3 \"quoted\" 'single'"
    assert envelope(Response(markup, "r"))['response']['outputSpeech']['ssml'] == markup


def test_ssml_inserts_ssml_parts_as_is_and_unwraps_their_speak():
    inner = ssml("Tom & Jerry")
    markup = ssml("Today: ", inner, Ssml('<break time="500ms"/>'), Ssml("<speak> Bye</speak>"))
    assert isinstance(markup, Ssml)
    assert markup == '<speak>Today: Tom &amp; Jerry<break time="500ms"/> Bye</speak>'
    assert markup.count('<speak>') == 1
    envelope(Response(markup, "r"))


def test_card_defaults_to_the_words_of_ssml_speech():
    resp = Response(ssml("Tom & Jerry", Ssml('<break time="1s"/>'), " are here"), "r", card="T")
    assert envelope(resp)['response']['card']['content'] == "Tom & Jerry are here"


@pytest.mark.parametrize('markup, message', [
    ('<speak>Tom & Jerry</speak>', 'not well-formed'),
    ('<speak>Hi <break time="1s"></speak>', 'not well-formed'),
    ('<speak>one</speak><speak>two</speak>', 'not well-formed'),
    ('<speak>outer <speak>inner</speak></speak>', 'single <speak>'),
    ('<p>no speak root</p>', 'single <speak>'),
    ('<speak>hi <blink>x</blink></speak>', '<blink> is not an SSML tag Alexa knows'),
])
def test_malformed_ssml_is_rejected_with_the_problem_named(markup, message):
    with pytest.raises(ResponseError, match=message) as raised:
        Response(Ssml(markup), "r").to_json()
    assert 'speech' in str(raised.value) and 'ssml(' in str(raised.value)


# One SSML rule: what Response.to_json() refuses is exactly what the fuzzer's checks report.
SSML_TABLE = [
    ('<speak>hi</speak>', None),
    ('  <speak>padded</speak>\n', None),
    ('<speak>call <say-as interpret-as="digits">12</say-as><break time="1s"/></speak>', None),
    ('<speak><p><s>one</s></p><prosody rate="slow">two</prosody> <sub alias="x">y</sub></speak>',
     None),
    ('<speak><amazon:effect name="whispered">psst</amazon:effect></speak>', None),
    ('<speak><amazon:emotion name="excited" intensity="low">yes</amazon:emotion></speak>', None),
    ('<speak>Hi <alexa:name type="first" personId="amzn1.ask.person.x"/></speak>', None),
    ('<speak><audio src="https://x/a.mp3"/></speak>', None),
    ('<speak>hi <blink>x</blink></speak>', 'not an SSML tag'),
    ('<speak><amazon:sparkle>x</amazon:sparkle></speak>', 'not an SSML tag'),
    ('<speak>Tom & Jerry</speak>', 'not well-formed'),
    ('<speak>Hi <break time="1s"></speak>', 'not well-formed'),
    ('<speak>one</speak><speak>two</speak>', 'not well-formed'),
    ('<speak>outer <speak>inner</speak></speak>', 'inside <speak>'),
    ('<p>no speak root</p>', 'not <speak>'),
]


@pytest.mark.parametrize('markup, problem', SSML_TABLE)
def test_response_and_response_checks_agree_on_ssml(markup, problem):
    from alexafsm.response import ssml_problem
    from alexafsm.testing.response_checks import response_problems
    said = {'version': '1.0', 'response': {'outputSpeech': {'type': 'SSML', 'ssml': markup}}}
    checked = [p for p in response_problems({}, said) if p.code == 'ssml']
    reprompted = Response("fine", Ssml(markup))
    if problem is None:
        assert ssml_problem(markup) is None and checked == []
        assert envelope(Response(Ssml(markup), None))['response']['outputSpeech']['ssml'] == \
            markup.strip()
        assert reprompted.to_json()['response']['reprompt']['outputSpeech']['type'] == 'SSML'
        return
    assert problem in ssml_problem(markup)
    assert [p.message for p in checked] == \
        [f'outputSpeech is SSML Alexa rejects: {ssml_problem(markup)}: {markup!r}']
    for resp, where in ((Response(Ssml(markup), None), 'speech'), (reprompted, 'reprompt')):
        with pytest.raises(ResponseError) as raised:
            resp.to_json()
        assert str(raised.value) == \
            f'the {where} is SSML Alexa rejects: {ssml_problem(markup)}: {markup.strip()!r}'


def test_malformed_ssml_reprompt_names_the_reprompt():
    with pytest.raises(ResponseError, match='reprompt'):
        Response("fine", "<speak>Q&A</speak>").to_json()


# cards

def test_simple_card_value():
    resp = Response("s", "r", card=Card.simple("Title", "Content"))
    assert envelope(resp)['response']['card'] == {'type': 'Simple', 'title': 'Title',
                                                  'content': 'Content'}


@pytest.mark.parametrize('small, large, image', [
    ('https://x/s.png', 'https://x/l.png',
     {'smallImageUrl': 'https://x/s.png', 'largeImageUrl': 'https://x/l.png'}),
    ('https://x/s.png', None, {'smallImageUrl': 'https://x/s.png'}),
    (None, 'https://x/l.png', {'largeImageUrl': 'https://x/l.png'}),
])
def test_standard_card_value(small, large, image):
    card = Card.standard("Title", "Text", small_image_url=small, large_image_url=large)
    assert envelope(Response("s", "r", card=card))['response']['card'] == {
        'type': 'Standard', 'title': 'Title', 'text': 'Text', 'image': image}


def test_standard_card_without_images():
    card = envelope(Response("s", "r", card=Card.standard("T", "x")))['response']['card']
    assert card == {'type': 'Standard', 'title': 'T', 'text': 'x'}


def test_small_image_with_a_title_string_makes_a_standard_card():
    resp = Response("Speech", "r", card="T", small_image="https://x/s.png",
                    image="https://x/l.png")
    assert envelope(resp)['response']['card'] == {
        'type': 'Standard', 'title': 'T', 'text': 'Speech',
        'image': {'smallImageUrl': 'https://x/s.png', 'largeImageUrl': 'https://x/l.png'}}


def test_link_account_card():
    resp = Response("Please link your account in the Alexa app.", None,
                    card=Card.link_account(), should_end=True)
    assert envelope(resp)['response']['card'] == {'type': 'LinkAccount'}


def test_ask_for_permissions_card():
    scope = 'read::alexa:device:all:address'
    resp = Response("I need your address.", None, card=Card.ask_for_permissions([scope]))
    assert envelope(resp)['response']['card'] == {'type': 'AskForPermissionsConsent',
                                                  'permissions': [scope]}


def test_ask_for_permissions_rejects_a_bare_string():
    with pytest.raises(ResponseError, match='wrap it in a list'):
        Card.ask_for_permissions('read::alexa:device:all:address')


def test_image_fields_with_a_card_value_are_an_error():
    with pytest.raises(ResponseError, match='Card.standard'):
        Response("s", "r", card=Card.simple("T", "c"), image="https://x/l.png").to_json()


# directives

INTENT = updated_intent('BookTrip', {'city': 'Paris', 'date': None}, 'NONE')
WIRE_INTENT = {'name': 'BookTrip', 'confirmationStatus': 'NONE', 'slots': {
    'city': {'name': 'city', 'value': 'Paris', 'confirmationStatus': 'NONE'},
    'date': {'name': 'date', 'confirmationStatus': 'NONE'}}}


def test_updated_intent_leaves_out_values_of_unfilled_slots():
    assert INTENT == WIRE_INTENT


def test_updated_intent_rejects_unknown_confirmation_status():
    with pytest.raises(ResponseError, match='NONE, CONFIRMED, DENIED'):
        updated_intent('BookTrip', {}, 'YES')


def test_delegate_has_no_speech():
    for directive, wire in [(Directive.delegate(), {'type': 'Dialog.Delegate'}),
                            (Directive.delegate(INTENT),
                             {'type': 'Dialog.Delegate', 'updatedIntent': WIRE_INTENT})]:
        body = envelope(Response(directives=[directive]))['response']
        assert body == {'directives': [wire], 'shouldEndSession': False}


@pytest.mark.parametrize('directive, wire', [
    (Directive.elicit_slot('date'), {'type': 'Dialog.ElicitSlot', 'slotToElicit': 'date'}),
    (Directive.elicit_slot('date', INTENT),
     {'type': 'Dialog.ElicitSlot', 'slotToElicit': 'date', 'updatedIntent': WIRE_INTENT}),
    (Directive.confirm_slot('city'), {'type': 'Dialog.ConfirmSlot', 'slotToConfirm': 'city'}),
    (Directive.confirm_slot('city', INTENT),
     {'type': 'Dialog.ConfirmSlot', 'slotToConfirm': 'city', 'updatedIntent': WIRE_INTENT}),
    (Directive.confirm_intent(), {'type': 'Dialog.ConfirmIntent'}),
    (Directive.confirm_intent(INTENT),
     {'type': 'Dialog.ConfirmIntent', 'updatedIntent': WIRE_INTENT}),
])
def test_dialog_directives_with_own_speech(directive, wire):
    body = envelope(Response("When do you travel?", "Which date?", directives=[directive]))
    assert body['response']['directives'] == [wire]
    assert body['response']['outputSpeech'] == plain("When do you travel?")


def test_a_single_directive_and_plain_dicts_are_accepted():
    raw = {'type': 'Dialog.ElicitSlot', 'slotToElicit': 'city'}
    assert Response("Where to?", "r", directives=raw).directives == (raw,)
    resp = Response("Where to?", "r", directives=[raw, Directive.confirm_intent()])
    assert envelope(resp)['response']['directives'] == [raw, {'type': 'Dialog.ConfirmIntent'}]


@pytest.mark.parametrize('speech, reprompt', [("Let me ask", None), (None, "Again?")])
def test_delegate_with_speech_is_an_error(speech, reprompt):
    with pytest.raises(ResponseError, match='speech=None'):
        Response(speech, reprompt, directives=[Directive.delegate()]).to_json()


def test_dialog_directive_cannot_end_the_session():
    resp = Response("Which date?", None, should_end=True, directives=[Directive.elicit_slot('d')])
    with pytest.raises(ResponseError, match='Dialog.ElicitSlot.*should_end=False'):
        resp.to_json()


# shouldEndSession and reprompt

def test_should_end_none_leaves_should_end_session_out():
    body = envelope(Response("Now playing", "r", should_end=None))['response']
    assert 'shouldEndSession' not in body
    assert body['reprompt'] == {'outputSpeech': plain("r")}


def test_ending_response_never_reprompts():
    body = envelope(Response("Bye", "Are you there?", should_end=True))['response']
    assert body == {'outputSpeech': plain("Bye"), 'shouldEndSession': True}


@pytest.mark.parametrize('reprompt', ['', None])
def test_empty_reprompt_is_left_out(reprompt):
    body = envelope(Response("Hi", reprompt, should_end=False))['response']
    assert body == {'outputSpeech': plain("Hi"), 'shouldEndSession': False}


# CanFulfillIntent

def test_can_fulfill_intent_answer():
    resp = Response.can_fulfill_intent('MAYBE', {'city': ('YES', 'YES'), 'date': ('MAYBE', 'NO')},
                                       session_attributes={'state': 'initial'})
    assert envelope(resp) == {
        'version': '1.0', 'sessionAttributes': {'state': 'initial'},
        'response': {'canFulfillIntent': {'canFulfill': 'MAYBE', 'slots': {
            'city': {'canUnderstand': 'YES', 'canFulfill': 'YES'},
            'date': {'canUnderstand': 'MAYBE', 'canFulfill': 'NO'}}}}}


def test_can_fulfill_intent_without_slots():
    assert envelope(Response.can_fulfill_intent('NO'))['response'] == {
        'canFulfillIntent': {'canFulfill': 'NO', 'slots': {}}}


@pytest.mark.parametrize('can, slots, message', [
    ('yes', {}, "can_fulfill must be one of YES, NO, MAYBE, got 'yes'"),
    ('YES', {'city': ('YES', 'MAYBE')}, "canFulfill of slot 'city' must be one of YES, NO"),
    ('YES', {'city': ('SURE', 'YES')}, "canUnderstand of slot 'city'"),
    ('YES', {'city': 'YES'}, "must be a pair"),
])
def test_can_fulfill_intent_rejects_values_alexa_does_not_know(can, slots, message):
    with pytest.raises(ResponseError, match=message):
        Response.can_fulfill_intent(can, slots)


def test_can_fulfill_intent_answer_is_not_spoken():
    resp = Response.can_fulfill_intent('YES')._replace(speech="Sure")
    with pytest.raises(ResponseError, match='not spoken'):
        resp.to_json()


# empty and apology

def test_empty_says_nothing():
    assert envelope(empty()) == {'version': '1.0', 'response': {}}
    assert envelope(empty({'state': 'x'})) == {
        'version': '1.0', 'sessionAttributes': {'state': 'x'}, 'response': {}}


def test_apology_keeps_the_session_open_and_reprompts():
    body = envelope(APOLOGY)['response']
    assert body['outputSpeech'] == plain("Sorry, something went wrong. Please try again.")
    assert body['reprompt']['outputSpeech']['text']
    assert body['shouldEndSession'] is False
    assert envelope(apology({'state': 's'}))['sessionAttributes'] == {'state': 's'}


# sessionAttributes

Slots = namedtuple('Slots', ['city', 'date'])


class Attributes:
    """Stands in for SessionAttributes: an object that says what to send through to_json()."""

    def __init__(self, state: str, slots: Slots) -> None:
        self.state, self.slots, self.cache = state, slots, object()

    def to_json(self) -> dict:
        return {'state': self.state, 'slots': self.slots}


def test_session_attributes_from_an_object_with_to_json():
    resp = Response("s", "r", session_attributes=Attributes('asking', Slots('Paris', None)))
    assert envelope(resp)['sessionAttributes'] == {'state': 'asking', 'slots': ['Paris', None]}


def test_session_attributes_from_a_dict_with_namedtuples_and_sets():
    attributes = {'slots': Slots('Rome', '2024-05-01'), 'seen': {'b', 'a'}, 'count': 2}
    resp = Response("s", "r", session_attributes=attributes)
    assert envelope(resp)['sessionAttributes'] == {'slots': ['Rome', '2024-05-01'],
                                                   'seen': ['a', 'b'], 'count': 2}


def test_empty_session_attributes_are_sent_as_an_empty_object():
    assert envelope(Response("s", "r", session_attributes={}))['sessionAttributes'] == {}


def test_session_attributes_must_be_an_object():
    with pytest.raises(ResponseError, match='session_attributes must be a dict.*Slots'):
        Response("s", "r", session_attributes=Slots('a', 'b')).to_json()


# limits

def test_speech_of_8000_characters_passes_and_8001_fails():
    assert check_limits(envelope(Response("a" * 8000, "r"))) == []
    problems = check_limits(envelope(Response("a" * 8001, "r")))
    assert len(problems) == 1
    assert 'outputSpeech is 8,001 characters' in problems[0] and '8,000' in problems[0]


def test_reprompt_and_ssml_count_their_markup():
    assert check_limits(envelope(Response("s", "a" * 8000))) == []
    assert 'reprompt.outputSpeech' in check_limits(envelope(Response("s", "a" * 8001)))[0]
    markup = ssml("a" * (8000 - len('<speak></speak>')))
    assert check_limits(envelope(Response(markup, "r"))) == []
    assert check_limits(envelope(Response(ssml(markup, "a"), "r")))


def test_card_title_and_content_share_8000_characters():
    assert check_limits(envelope(Response("s", "r", card="T" * 10,
                                          card_content="c" * 7990))) == []
    problems = check_limits(envelope(Response("s", "r", card=Card.standard("T" * 10, "c" * 7991))))
    assert problems and 'card has 8,001 characters' in problems[0]


def big_attributes(kilobytes: int) -> dict:
    return {'cache': 'x' * (kilobytes * 1024)}


def rendered(envelope_: dict, request_id=None) -> dict:
    """What a host sends: render()'s envelope, whose JSON text must be the text it returns."""
    answer, text = render(envelope_, LOGGER, request_id)
    assert json.loads(text) == answer
    return answer


def test_oversized_response_is_replaced_by_an_apology_that_keeps_the_session(caplog):
    huge = envelope(Response("Here you go", "More?", session_attributes=big_attributes(130)))
    problems = check_limits(huge)
    assert len(problems) == 1 and '120 KB' in problems[0] and 'sessionAttributes' in problems[0]
    with caplog.at_level(logging.ERROR, logger=LOGGER.name):
        answer = rendered(huge, request_id='req-42')
    assert_valid_response(answer)
    assert answer['response'] == APOLOGY.to_json()['response']
    assert answer['response']['shouldEndSession'] is False
    assert check_limits(answer) == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    size = f"{len(json.dumps(huge, separators=(',', ':'))):,}"
    assert any('req-42' in e and '120 KB' in e and size in e and 'not_sent_fields' in e
               for e in errors), errors
    assert any('dropped' in e for e in errors), errors


def test_apology_keeps_the_session_attributes_when_they_fit(caplog):
    attributes = {'state': 'reading', 'page': 3}
    too_long = envelope(Response("a" * 8001, "r", session_attributes=attributes))
    with caplog.at_level(logging.ERROR, logger=LOGGER.name):
        answer = rendered(too_long, 'req-7')
    assert answer == apology(attributes).to_json()
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert 'outputSpeech is 8,001 characters' in caplog.records[0].getMessage()


def test_large_response_warns_and_passes_unchanged(caplog):
    large = envelope(Response("s", "r", session_attributes=big_attributes(30)))
    assert check_limits(large) == []
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        assert rendered(large, 'req-9') is large
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert '24 KB' in caplog.records[0].getMessage() and 'req-9' in caplog.records[0].getMessage()


@pytest.mark.parametrize(('make', 'named'), [
    (lambda e: e['response'].update(outputSpeech={'type': 'PlainText', 'text': float('nan')}),
     'NaN and Infinity'),
    (lambda e: e['sessionAttributes'].update(me=e), 'RecursionError'),
    (lambda e: e['sessionAttributes'].update(obj=object()), 'TypeError'),
])
def test_an_envelope_json_cannot_carry_becomes_the_apology_with_the_cause_logged(make, named,
                                                                                 caplog):
    broken = envelope(Response('s', 'r', session_attributes={'state': 'x'}))
    make(broken)
    with caplog.at_level(logging.ERROR, logger=LOGGER.name):
        answer = rendered(broken, 'req-3')
    assert answer == APOLOGY.to_json()
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert named in caplog.records[0].getMessage() and 'req-3' in caplog.records[0].getMessage()


def test_small_response_passes_silently(caplog):
    small = envelope(NOT_UNDERSTOOD)
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        assert rendered(small) is small
    assert caplog.records == []


def test_size_counts_non_ascii_text_as_json_dumps_escapes_it():
    # json.dumps sends 'é' as '\u00e9', six bytes: 21,000 of them fit as characters, not as sent
    wide = envelope(Response("s", "r", session_attributes={'t': 'é' * 21000}))
    assert len(json.dumps(wide, ensure_ascii=False)) < 120 * 1024
    assert '126,0' in check_limits(wide)[0]


# the oracle itself: it must catch what it is there for

@pytest.mark.parametrize('broken, reason', [
    ({'version': '1.0', 'response': {'card': {'type': 'Simple', 'title': 't', 'contnet': 'x'}}},
     'response.card.contnet: dropped'),
    ({'version': '1.0', 'response': {'shouldEndSession': None}}, 'shouldEndSession: dropped'),
    ({'version': '1.0', 'response': {'shouldEndSession': 'yes'}}, "ours 'yes', theirs True"),
    ({'version': '1.0', 'response': {'card': {'type': 'Fancy'}}}, 'rejects'),
    ({'version': '1.0', 'response': {'canFulfillIntent': {'canFulfill': 'SURE'}}}, 'rejects'),
    ({'version': '1.0', 'response': {'outputSpeech': plain(float('nan'))}}, 'not plain JSON'),
])
def test_oracle_rejects_what_amazon_would_not_read_back(broken, reason):
    with pytest.raises(AssertionError, match=reason):
        assert_valid_response(broken)


def test_oracle_accepts_alexa_timestamps_but_not_other_changes():
    request = {'version': '1.0', 'request': {
        'type': 'LaunchRequest', 'requestId': 'r1', 'timestamp': '2024-05-01T12:00:00Z',
        'locale': 'en-US'}}
    assert_valid_request(request)
    request['request']['shouldLinkResultBeReturned'] = 'yes'  # not a LaunchRequest field
    with pytest.raises(AssertionError, match='shouldLinkResultBeReturned: dropped'):
        assert_valid_request(request)


def test_amazons_own_ssml_tags_need_no_namespace_declaration():
    markup = ('<speak><amazon:effect name="whispered">a secret</amazon:effect> '
              '<amazon:emotion name="excited" intensity="medium">yes</amazon:emotion></speak>')
    envelope = Response(speech=markup, reprompt=None).to_json()
    assert envelope['response']['outputSpeech'] == {'type': 'SSML', 'ssml': markup}
    assert Response(speech=markup, reprompt=None, card='Card').card_content == 'a secret yes'
    assert_valid_response(envelope)
    with pytest.raises(ResponseError, match='not well-formed'):
        Response(speech='<speak><amazon:effect>open</speak>', reprompt=None).to_json()


def test_session_attributes_whose_to_json_gives_no_dict_are_named():
    class Listed(SessionAttributes):
        def to_json(self):
            return ['not', 'a', 'dict']

    with pytest.raises(ResponseError, match='Listed that turns into list'):
        Response('s', session_attributes=Listed.from_request(None)).to_json()


def test_speech_of_and_reprompt_of_read_an_envelope_as_it_was_sent():
    plain = Response(speech='Hello & welcome', reprompt='Still there?').to_json()
    assert (speech_of(plain), reprompt_of(plain)) == ('Hello & welcome', 'Still there?')
    marked = Response(speech='<speak>Hi <break time="1s"/></speak>', reprompt=None).to_json()
    assert speech_of(marked) == '<speak>Hi <break time="1s"/></speak>'
    silent = empty().to_json()
    assert (speech_of(silent), reprompt_of(silent)) == (None, None)
    assert speech_of({}) is None and reprompt_of({'response': {'reprompt': 'garbage'}}) is None
