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
