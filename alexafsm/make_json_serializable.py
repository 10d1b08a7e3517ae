"""0.1.11's monkey-patch of the ``json`` module, kept for old code that imports it.

Importing it makes ``json.dumps`` call ``to_json()`` on objects that have one. alexafsm itself no
longer needs it: ``Policy.handle`` returns plain JSON values.
"""
from json import JSONEncoder

from alexafsm.jsonable import jsonable

__all__ = []

_original_default = JSONEncoder.default
_original_iterencode = JSONEncoder.iterencode


def _default(self: JSONEncoder, obj):
    to_json = getattr(type(obj), 'to_json', None)
    return to_json(obj) if to_json is not None else _original_default(self, obj)


def _iterencode(self: JSONEncoder, obj, _one_shot: bool = False):
    try:
        obj = jsonable(obj)
    except TypeError:
        pass  # leave it to default(), which raises the usual error
    return _original_iterencode(self, obj, _one_shot)


if getattr(JSONEncoder, '_alexafsm_patched', False) is False:
    JSONEncoder.default = _default
    JSONEncoder.iterencode = _iterencode
    JSONEncoder._alexafsm_patched = True
