"""0.1.11's monkey-patch of the ``json`` module, kept for old code that imports it.

Importing it makes ``json.dumps`` call ``to_json()`` on objects that have one. alexafsm itself no
longer needs it: ``Policy.handle`` returns plain JSON values.
"""
from json import JSONEncoder
from typing import Any
from typing import Iterator
from typing import List

from alexafsm.jsonable import jsonable

__all__: List[str] = []

_original_default = JSONEncoder.default
_original_iterencode = JSONEncoder.iterencode


def _default(self: JSONEncoder, o: Any) -> Any:
    to_json = getattr(type(o), 'to_json', None)
    return to_json(o) if to_json is not None else _original_default(self, o)


def _iterencode(self: JSONEncoder, o: Any, _one_shot: bool = False) -> Iterator[str]:
    try:
        o = jsonable(o)
    except TypeError:
        pass  # leave it to default(), which raises the usual error
    return _original_iterencode(self, o, _one_shot)


# Patching the standard library's class is what this 0.1.11 module is for.
if getattr(JSONEncoder, '_alexafsm_patched', False) is False:
    JSONEncoder.default = _default  # type: ignore[method-assign]
    JSONEncoder.iterencode = _iterencode  # type: ignore[method-assign]
    JSONEncoder._alexafsm_patched = True  # type: ignore[attr-defined]
