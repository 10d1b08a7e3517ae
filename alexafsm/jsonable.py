"""Turn skill values into plain JSON values without monkey-patching the ``json`` module.

0.1.11 needed ``alexafsm.make_json_serializable`` because session attributes held namedtuples and
skill objects with a ``to_json()`` method. The core converts them itself, once, on the way out.
"""
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """Return ``value`` as dicts, lists and scalars so that any JSON encoder accepts it.

    Objects with ``to_json()`` are asked first (the 0.1.11 convention), namedtuples and other
    tuples become lists (the wire format of slots), sets become sorted lists so the output is
    stable between runs.
    """
    if isinstance(value, _SCALARS):
        return value
    to_json = getattr(type(value), 'to_json', None)
    if to_json is not None:
        return jsonable(to_json(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    raise TypeError(f"{type(value).__name__} is not JSON serializable: give it a to_json() method "
                    f"or keep it out of the response with not_sent_fields")
