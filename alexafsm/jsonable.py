"""Turn skill values into plain JSON values without monkey-patching the ``json`` module.

0.1.11 needed ``alexafsm.make_json_serializable`` because session attributes held namedtuples and
skill objects with a ``to_json()`` method. The core converts them itself, once, on the way out.
"""
from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Return ``value`` as dicts, lists and scalars so that any JSON encoder accepts it.

    Objects with ``to_json()`` are asked first (the 0.1.11 convention), namedtuples and other
    tuples become lists (the wire format of slots), sets become sorted lists so the output is
    stable between runs. Runs on every response, so the common shapes take the short path.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _SCALARS else jsonable(v)
                for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else jsonable(v) for v in value]
    to_json = getattr(kind, 'to_json', None)
    if to_json is not None:
        return jsonable(to_json(value))
    if isinstance(value, tuple):  # namedtuples: slots travel as a list of values
        return [v if type(v) in _SCALARS else jsonable(v) for v in value]
    if isinstance(value, (str, int, float)):  # subclasses such as Ssml or IntEnum
        return value
    if isinstance(value, dict):
        return jsonable(dict(value))
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    raise TypeError(f"{kind.__name__} is not JSON serializable: give it a to_json() method "
                    f"or keep it out of the response with not_sent_fields")
