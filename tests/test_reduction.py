"""Delta debugging on its own: what shrink, ddmin and simplify keep of a failing session."""
from dataclasses import dataclass
from dataclasses import field
from typing import Dict
from typing import Optional

from alexafsm.testing.reduction import Exhausted
from alexafsm.testing.reduction import ddmin
from alexafsm.testing.reduction import shrink
from alexafsm.testing.reduction import simplify


@dataclass(frozen=True)
class Step:
    intent: str
    slots: Dict[str, Optional[str]] = field(default_factory=dict)
    dialog_state: Optional[str] = None
    confirmation_status: str = 'NONE'


def failing_when(predicate, calls=None):
    def test(candidate):
        if calls is not None:
            calls.append(list(candidate))
        return list(candidate) if candidate and predicate(candidate) else None
    return test


def test_ddmin_finds_the_two_items_that_fail_together():
    items = list(range(20))
    assert ddmin(items, failing_when(lambda c: 3 in c and 17 in c)) == [3, 17]


def test_ddmin_cuts_a_candidate_where_the_test_says_it_failed():
    def test(candidate):  # fails at the first 5, as a replay stops at the failing turn
        return list(candidate[:candidate.index(5) + 1]) if 5 in candidate else None
    assert ddmin(list(range(10)), test) == [5]


def test_simplify_leaves_values_out_or_makes_them_plain_and_drops_dialog_state():
    steps = [Step('Order', {'size': 'an extraordinarily large one', 'note': 'x y z'},
                  dialog_state='IN_PROGRESS', confirmation_status='CONFIRMED')]

    def fails(candidate):  # needs a size said, long or known; nothing else
        size = candidate[0].slots.get('size') or ''
        return list(candidate) if size in ('large', 'small') or size.startswith('an extra') \
            else None

    plain = simplify(steps, fails, lambda step, name: ('small', 'large', 'medium'))
    assert plain == [Step('Order', {'size': 'large', 'note': None})]  # shortest, then a-z


def test_simplify_trims_characters_when_no_plain_value_fails():
    steps = [Step('Say', {'text': 'abc<def>ghi'})]
    fails = failing_when(lambda c: '<' in (c[0].slots['text'] or ''))
    assert simplify(steps, fails, lambda step, name: ()) == [Step('Say', {'text': '<'})]


def test_shrink_keeps_the_best_session_when_replays_run_out():
    calls = []
    base = failing_when(lambda c: 3 in c and 17 in c, calls)

    def test(candidate):
        if len(calls) >= 8:
            raise Exhausted()
        return base(candidate)

    items = list(range(20))
    shrunk = shrink(items, test, lambda step, name: ())
    assert 3 in shrunk and 17 in shrunk and len(shrunk) <= len(items)
    assert shrink(items, failing_when(lambda c: 3 in c and 17 in c),
                  lambda step, name: ()) == [3, 17]
