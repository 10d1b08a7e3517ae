"""Delta debugging: shrink a failing session to the shortest, plainest one that fails alike.

A session a fuzzer found is tens of turns of odd values; the bug is in two of them. ``shrink``
drops turns (Zeller's ddmin), then makes each remaining slot value as plain as the failure
allows: left out, one of the values a user would say, or fewer characters. Whether a candidate
still fails is the caller's ``test``, so this knows nothing of skills, only of steps: dataclasses
with ``slots`` and, for intents, ``dialog_state`` and ``confirmation_status``.
"""
import dataclasses
from typing import Any
from typing import Callable
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from alexafsm.errors import Exhausted

__all__ = ['shrink', 'ddmin', 'simplify', 'Exhausted', 'Test', 'PlainValues']

#: Replays the candidate; returns the steps that failed (cut where the failure came), or None.
Test = Callable[[Sequence[Any]], Optional[List[Any]]]
#: The values a user would say for a step's slot, plainest first after sorting.
PlainValues = Callable[[Any, str], Tuple[str, ...]]

_ROUNDS = 3  # drop, then simplify, until nothing changes or this many times
_SIMPLER_VALUES = 5  # plain values tried per slot before trimming characters


def shrink(steps: List[Any], test: Test, plain_values: PlainValues) -> List[Any]:
    """The shortest, plainest steps that ``test`` still finds failing, as far as replays allow.

    ``steps`` must fail already; each round keeps what the previous one reached, so running out
    of replays (``Exhausted``) costs only the round in progress.
    """
    current = list(steps)
    try:
        for _ in range(_ROUNDS):
            before = list(current)
            current = ddmin(current, test)
            current = simplify(current, test, plain_values)
            if current == before:
                break
    except Exhausted:
        pass
    return current


def ddmin(items: List[Any], test: Test) -> List[Any]:
    """Zeller's delta debugging: a 1-minimal sublist of ``items`` that still fails.

    ``test`` returns the list that failed (possibly shortened), or None when it did not.
    """
    granularity = 2
    while len(items) >= 2:
        size = -(-len(items) // granularity)
        chunks = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
        reduced = None
        for start, stop in chunks:
            reduced = test(items[start:stop])
            if reduced is not None:
                granularity = 2
                break
        else:
            for start, stop in chunks:
                reduced = test(items[:start] + items[stop:])
                if reduced is not None:
                    granularity = max(granularity - 1, 2)
                    break
        if reduced is not None:
            items = reduced
            continue
        if granularity >= len(items):
            break
        granularity = min(granularity * 2, len(items))
    return items


def simplify(steps: List[Any], test: Test, plain_values: PlainValues) -> List[Any]:
    """Make every slot value as plain as the failure allows, one value at a time.

    A step in the middle of a dialog is first tried as a plain intent, without dialog state
    or confirmation, since most failures do not need them.
    """
    index = 0
    while index < len(steps):
        step = steps[index]
        if getattr(step, 'dialog_state', None) \
                or getattr(step, 'confirmation_status', 'NONE') != 'NONE':
            plain = dataclasses.replace(step, dialog_state=None, confirmation_status='NONE')
            steps = test(steps[:index] + [plain] + steps[index + 1:]) or steps
        names = list(getattr(steps[index], 'slots', {})) if index < len(steps) else []
        for name in names:
            if index < len(steps):
                steps = _simplify_slot(steps, index, name, test, plain_values)
        index += 1
    return steps


def _simplify_slot(steps: List[Any], index: int, name: str, test: Test,
                   plain_values: PlainValues) -> List[Any]:
    """Try the value left out, then the type's shortest plain values, then fewer characters."""
    step = steps[index]
    value = step.slots.get(name)
    if value is None:
        return steps

    def with_value(new: Optional[str]) -> List[Any]:
        slots = dict(steps[index].slots)
        slots[name] = new
        return steps[:index] + [dataclasses.replace(steps[index], slots=slots)] \
            + steps[index + 1:]

    result = test(with_value(None))
    if result is not None:
        return result
    plain = plain_values(step, name)
    if value in plain:
        candidates = [v for v in sorted(plain, key=lambda v: (len(v), v))
                      if (len(v), v) < (len(value), value)]
    else:
        candidates = sorted(plain, key=lambda v: (len(v), v))
    for candidate in candidates[:_SIMPLER_VALUES]:
        result = test(with_value(candidate))
        if result is not None:
            return result
    if value in plain or len(value) < 2:
        return steps
    best = {'steps': steps}

    def test_chars(chars: Sequence[str]) -> Optional[List[str]]:
        result = test(with_value(''.join(chars)))
        if result is None or index >= len(result):
            return None
        best['steps'] = result
        return list(result[index].slots.get(name) or '')

    ddmin(list(value), test_chars)
    return best['steps']
