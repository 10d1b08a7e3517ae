"""Turn skill values into plain JSON values without monkey-patching the ``json`` module.

0.1.11 needed ``alexafsm.make_json_serializable`` because session attributes held namedtuples and
skill objects with a ``to_json()`` method. The core converts them itself, once, on the way out.
"""
from itertools import chain
from itertools import islice
from typing import Any
from typing import Iterable

from alexafsm.errors import NotSerializableError

__all__ = ['jsonable', 'plain_dict', 'plain_list', 'SCALARS', 'all_plain']

#: The types JSON encoders take as they are; ``type(v) in SCALARS`` is the cheap test.
SCALARS = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Return ``value`` as dicts, lists and scalars so that any JSON encoder accepts it.

    Objects with ``to_json()`` are asked first (the 0.1.11 convention), namedtuples and other
    tuples become lists (the wire format of slots), sets become sorted lists so the output is
    stable between runs. Runs on every response, so dicts and lists that are plain already are
    returned as they are rather than copied.
    """
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is dict:
        return plain_dict(value)
    if kind is list:
        return plain_list(value)
    to_json = getattr(kind, 'to_json', None)
    if to_json is not None:
        return jsonable(to_json(value))
    if isinstance(value, tuple):  # namedtuples: slots travel as a list of values
        return [v if type(v) in SCALARS else jsonable(v) for v in value]
    if isinstance(value, (str, int, float)):  # subclasses such as Ssml or IntEnum
        return value
    if isinstance(value, dict):
        return plain_dict(dict(value))
    if isinstance(value, list):
        return plain_list(list(value))
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    raise NotSerializableError(
        f"{kind.__name__} is not JSON serializable: give it a to_json() method "
        f"or keep it out of the response with not_sent_fields")


#: Containers longer than this are first checked by ``all_plain``: a Python loop over their
#: items costs more than the setup of its C-level passes.
_CHECKED_IN_C = 16
_CONTAINERS = frozenset({dict, list})
_SCALARS_AND_CONTAINERS = SCALARS | _CONTAINERS
_STR_ONLY = frozenset({str})
_DEEPEST = 100


def all_plain(values: Iterable[Any]) -> bool:
    """Whether ``values`` are plain JSON values all the way down: scalars, lists, dicts with
    string keys, of exactly these types; ``jsonable`` returns such a value as it is.

    Checked a level of nesting at a time with ``map(type, ...)`` and ``set``, which loop in C:
    session attributes of 100 KB hold thousands of values, and a Python loop over each of them
    costs more than encoding them. A level that mixes containers and scalars is sorted in
    Python; any other type answers False, and the caller walks the value itself.
    """
    level = list(values)
    for _ in range(_DEEPEST):
        if not level:
            return True
        kinds = set(map(type, level))
        if kinds <= SCALARS:
            return True
        if not kinds <= _SCALARS_AND_CONTAINERS:
            return False
        if kinds == {dict}:
            dicts = level
        elif kinds == {list}:
            level = list(chain.from_iterable(level))
            continue
        else:
            dicts = [v for v in level if type(v) is dict]
        if dicts and not set(map(type, chain.from_iterable(dicts))) <= _STR_ONLY:
            return False  # a key that is no string: jsonable converts it
        nested = list(chain.from_iterable(map(dict.values, dicts)))
        if dicts is not level:
            nested.extend(chain.from_iterable(v for v in level if type(v) is list))
        level = nested
    return False  # deeper than any session's data, or a cycle: the caller's walk reports it


def plain_dict(value: dict) -> dict:
    """``jsonable`` of a dict: the dict itself when already plain, so responses copy nothing."""
    if len(value) > _CHECKED_IN_C and all_plain(value.values()) and \
            set(map(type, value)) <= _STR_ONLY:
        return value
    copy = None
    for i, (key, item) in enumerate(value.items()):
        kind = type(item)
        if kind in SCALARS and type(key) is str:
            converted = item
        else:
            # nested plain containers are common: skip jsonable's dispatch for them
            converted = plain_list(item) if kind is list else \
                plain_dict(item) if kind is dict else jsonable(item)
            if copy is None and (converted is not item or type(key) is not str):
                copy = dict(islice(value.items(), i))  # the plain entries before this one
        if copy is not None:
            copy[key if type(key) is str else str(key)] = converted
    return value if copy is None else copy


def plain_list(value: list) -> list:
    """``jsonable`` of a list: the list itself when already plain, so responses copy nothing."""
    if len(value) > _CHECKED_IN_C and all_plain(value):
        return value
    for i, item in enumerate(value):
        kind = type(item)
        if kind in SCALARS:
            continue
        converted = plain_list(item) if kind is list else \
            plain_dict(item) if kind is dict else jsonable(item)
        if converted is not item:
            return value[:i] + [converted] + [jsonable(v) for v in value[i + 1:]]
    return value
