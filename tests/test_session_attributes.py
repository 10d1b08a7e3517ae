"""SessionAttributes: 0.1.11's behaviour and wire format, and what it now does with bad input."""
import json
import logging
from collections import namedtuple

import pytest

from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes as Base
from tests.helpers import base_request
from tests.helpers import intent_request

Slots = namedtuple('Slots', ['love', 'money'])


class SessionAttributes(Base):
    slots_cls = Slots
    not_sent_fields = ['intent']


class Rich(Base):
    slots_cls = Slots
    not_sent_fields = ['cache']

    def __init__(self, intent=None, slots=None, state=INITIAL_STATE, visits=0, cache=None):
        super().__init__(intent, slots, state)
        self.visits = visits
        self.cache = cache


REQUEST_011 = {  # the request of 0.1.11's own test_session_attributes.py
    'session': {'attributes': {'state': 'blissful', 'slots': ['loving', 'null']}},
    'request': {'type': 'IntentRequest', 'intent': {
        'name': 'Search', 'slots': {'Love': {'name': 'Love'},
                                    'Money': {'name': 'Money', 'value': 'lots'}}}},
}


def test_none_request_starts_in_the_initial_state_with_empty_slots():
    s = SessionAttributes.from_request(None)
    assert (s.intent, s.state, s.slots) == (None, INITIAL_STATE, Slots(None, None))


def test_intent_request_replaces_slots_and_keeps_state():
    s = SessionAttributes.from_request(REQUEST_011)
    assert s.intent == 'Search'
    assert s.slots == Slots(love=None, money='lots')  # Love was heard empty: None, not 'loving'
    assert s.state == 'blissful'


def test_to_json_leaves_out_not_sent_fields_and_keeps_the_namedtuple():
    js = SessionAttributes.from_request(REQUEST_011).to_json()
    assert 'intent' not in js
    assert js['state'] == 'blissful'
    assert js['slots'] == Slots(love=None, money='lots')


def test_round_trip_through_json_without_the_monkey_patch():
    s = Rich.from_request(intent_request('Search', {'Money': 'lots'}))
    s.visits = 3
    s.cache = {'big': 'x' * 100}
    wire = json.loads(json.dumps(s.to_json()))
    assert wire == {'intent': 'Search', 'slots': [None, 'lots'], 'state': INITIAL_STATE,
                    'visits': 3}
    again = Rich.from_request(intent_request('Other', {}, attributes=wire))
    assert (again.intent, again.state, again.visits, again.cache) == ('Other', INITIAL_STATE, 3,
                                                                      None)
    assert again.slots == Slots(None, None)


def test_slot_names_match_fields_case_insensitively_and_unknown_slots_are_ignored():
    s = SessionAttributes.from_request(intent_request('X', {'LOVE': 'you', 'mOnEy': '5',
                                                           'Other': 'ignored'}))
    assert s.slots == Slots(love='you', money='5')


def test_requests_without_intent_keep_the_previous_slots_as_a_namedtuple():
    s = SessionAttributes.from_request(base_request('LaunchRequest', {'slots': ['a', 'b'],
                                                                      'state': 'x'}))
    assert s.slots == Slots('a', 'b') and s.state == 'x'


@pytest.mark.parametrize('wire, expected', [
    (['a'], Slots('a', None)),                  # a deploy added a slot field
    (['a', 'b', 'c'], Slots('a', 'b')),         # a deploy removed one
    ({'Money': 'm'}, Slots(None, 'm')),         # written as a dict by some 0.1.x versions
    ('garbage', Slots(None, None)),
    (None, Slots(None, None)),
])
def test_previous_slots_of_another_shape_do_not_fail_the_session(wire, expected):
    s = SessionAttributes.from_request(base_request('LaunchRequest', {'slots': wire}))
    assert s.slots == expected


def test_unknown_attribute_keys_are_dropped_and_logged(caplog):
    with caplog.at_level(logging.WARNING):
        s = Rich.from_request(intent_request('X', attributes={'visits': 2, 'removed_field': 1}))
    assert s.visits == 2 and not hasattr(s, 'removed_field')
    assert "['removed_field']" in caplog.text and 'Rich.__init__' in caplog.text


def test_attributes_the_subclass_cannot_rebuild_start_afresh(caplog):
    class Strict(Base):
        slots_cls = Slots

        def __init__(self, intent=None, slots=None, state=INITIAL_STATE, visits=0):
            super().__init__(intent, slots, state)
            self.visits = int(visits)  # raises on the corrupt value below

    with caplog.at_level(logging.ERROR):
        s = Strict.from_request(intent_request('X', attributes={'state': 's', 'visits': 'many'}))
    assert s.state == INITIAL_STATE and s.visits == 0 and s.intent == 'X'
    assert 'Strict could not be rebuilt' in caplog.text


@pytest.mark.parametrize('state', [None, '', 5, ['x']])
def test_a_missing_or_mistyped_state_means_initial(state):
    assert Rich.from_request(intent_request('X', attributes={'state': state})).state == 'initial'


def test_private_fields_stay_out_of_the_wire_format():
    s = Rich.from_request(None)
    s._memo = 'internal'
    assert '_memo' not in s.to_json()


def test_slots_cls_defaults_to_no_slots_and_a_wrong_one_is_named():
    class NoSlots(Base):
        pass

    assert NoSlots.from_request(intent_request('X', {'a': 'b'})).slots == ()

    class Wrong(Base):
        slots_cls = dict

    with pytest.raises(TypeError, match='Wrong.slots_cls must be a namedtuple class'):
        Wrong.from_request(None)


def test_wire_json_is_the_json_of_to_json_in_one_pass():
    from alexafsm.jsonable import jsonable

    class Thing:
        def to_json(self):
            return {'name': 'thing', 'tags': {'b', 'a'}}

    s = Rich.from_request(intent_request('Search', {'Money': 'lots'}))
    s.visits = (1, Slots('x', None))
    s.cache = 'not sent'
    s._private = 'not sent either'
    s.extra = [Thing(), None, {'k': frozenset({3})}]
    assert s.wire_json() == jsonable(s.to_json())
    assert s.wire_json()['slots'] == [None, 'lots'] and 'cache' not in s.wire_json()

    class Custom(Rich):
        def to_json(self):
            return {'only': Slots('a', 'b')}

    assert Custom.from_request(None).wire_json() == {'only': ['a', 'b']}


def test_wire_json_follows_not_sent_fields_set_on_the_object_and_late_private_fields():
    s = Rich.from_request(intent_request('Search', {'Money': 'lots'}))
    s.cache = 'sent by this object'
    s.not_sent_fields = ['slots']  # an object may narrow what it sends
    assert s.wire_json()['cache'] == 'sent by this object' and 'slots' not in s.wire_json()
    other = Rich.from_request(None)
    other.cache = 'never sent'
    other._late = 'private, first seen after other fields were sent'
    assert 'cache' not in other.wire_json() and '_late' not in other.wire_json()
    assert other.wire_json() == jsonable_of_to_json(other)


def jsonable_of_to_json(attributes):
    from alexafsm.jsonable import jsonable
    return jsonable(attributes.to_json())


def test_odd_slots_in_the_request_give_what_can_be_read_of_them():
    odd = {'MONEY': {'name': 'MONEY', 'value': 'lots'}, 'love': 'not an object',
           'x': {'name': 7, 'value': 3}, 'Love': {'name': 'Love', 'value': 'much'}}
    request = intent_request('Search')
    request['request']['intent']['slots'] = odd
    assert Rich.from_request(request).slots == Slots('much', 'lots')
