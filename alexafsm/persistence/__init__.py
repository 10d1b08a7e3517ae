"""Persistent attributes: each user's memory across sessions, in a store that scales out.

``store_from_url`` picks one from a URL (``memory://``, ``sqlite:///path``,
``redis://host:port/db``); ``host_extensions(store, analytics)`` is what hosts build from their
``store=`` and ``analytics=`` options and pass to ``Policy.handle(..., extensions=...)``. Skill
code reads and writes ``self.persistent_attributes`` in Policy and States methods; see
``alexafsm.extensions`` for when it is loaded and saved. ``RedisStore`` needs the ``redis``
package and is imported on first use.
"""
from importlib import import_module
from typing import Any

from alexafsm.extensions import AttributesStore
from alexafsm.extensions import Record
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence.memory import MemoryStore
from alexafsm.persistence.sqlite import SqliteStore
from alexafsm.persistence.url import host_extensions
from alexafsm.persistence.url import open_store
from alexafsm.persistence.url import store_from_url

__all__ = ['AttributesStore', 'Record', 'StoreUnavailable', 'MemoryStore', 'SqliteStore',
           'RedisStore', 'store_from_url', 'open_store', 'host_extensions']


def __getattr__(name: str) -> Any:
    if name == 'RedisStore':
        return import_module('alexafsm.persistence.redis').RedisStore
    raise AttributeError(f"module 'alexafsm.persistence' has no attribute {name!r}")
