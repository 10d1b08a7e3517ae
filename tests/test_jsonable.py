"""jsonable: the wire values of session attributes, without json's monkey-patch."""
from collections import namedtuple

import pytest

from alexafsm.jsonable import jsonable

Slots = namedtuple('Slots', ['a', 'b'])


class Thing:
    def __init__(self, name):
        self.name = name

    def to_json(self):
        return {'name': self.name, 'tags': {'x'}}


def test_plain_values_are_returned_as_they_are():
    plain = {'a': [1, 'x', None, {'b': [True, 2.5]}], 'c': 'd'}
    assert jsonable(plain) is plain


def test_only_what_needs_converting_is_copied_and_the_input_is_not_changed():
    value = {'first': 1, 'slots': Slots('x', None), 'last': [Thing('t')], 'tail': 'z', 5: 'k'}
    out = jsonable(value)
    assert out == {'first': 1, 'slots': ['x', None], 'last': [{'name': 't', 'tags': ['x']}],
                   'tail': 'z', '5': 'k'}
    assert list(out) == ['first', 'slots', 'last', 'tail', '5']
    assert isinstance(value['slots'], Slots) and isinstance(value['last'][0], Thing)


def test_lists_convert_from_the_first_changed_item_on():
    items = ['a', Slots(1, 2), 'b', (3,), {'k': {4}}]
    assert jsonable(items) == ['a', [1, 2], 'b', [3], {'k': [4]}]


def test_values_json_cannot_hold_are_named():
    with pytest.raises(TypeError, match='object is not JSON serializable.*not_sent_fields'):
        jsonable({'bad': object()})


def test_containers_nested_at_any_depth_are_converted_and_plain_ones_kept_as_they_are():
    value = [[1, (2, 3)], {'a': [{2, 1}], 'b': [[Thing('t')]]}, [Slots(1, [Thing('u')])]]
    assert jsonable(value) == [[1, [2, 3]], {'a': [[1, 2]], 'b': [[{'name': 't', 'tags': ['x']}]]},
                               [[1, [{'name': 'u', 'tags': ['x']}]]]]
    plain = {'order': [['pizza', '2'], ['salad', '1']], 'n': {'deep': [[None, True, 1.5]]}}
    assert jsonable(plain) is plain and jsonable(plain)['order'][0] is plain['order'][0]


class Tagged(dict):
    def to_json(self):
        return {'tagged': True}


@pytest.mark.parametrize('odd', [
    Slots('x', None),             # a namedtuple: jsonable makes it a list
    ('a', 'b'),                   # a tuple
    Tagged(a=1),                  # a dict subclass with to_json, which jsonable asks
    {True: 'yes'},                # a key that is no string: 'True', where json writes 'true'
    {'nested': {None: 1}},
    {'deep': [[[Thing('t')]]]},
    {1, 2},
])
def test_all_plain_finds_a_value_jsonable_would_change_at_any_depth(odd):
    from alexafsm.jsonable import all_plain

    history = [{'drink': 'latte', 'size': 'large', 'n': i} for i in range(40)]
    assert all_plain(history)
    history[23] = dict(history[23], odd=odd)
    assert not all_plain(history)
    # and the long containers that take the C-level check convert exactly as a walk would
    converted = jsonable({'history': history})
    assert converted['history'] is not history and converted['history'][22] is history[22]
    assert converted['history'][23]['odd'] == jsonable(odd)


def test_long_plain_containers_are_returned_as_they_are_and_cycles_still_fail():
    from alexafsm.jsonable import all_plain

    plain = {f'k{i}': [i, str(i), None, {'x': [1.5, True]}] for i in range(40)}
    assert jsonable(plain) is plain
    looped = list(range(40))
    looped.append(looped)
    assert not all_plain(looped)
    with pytest.raises(RecursionError):
        jsonable(looped)
