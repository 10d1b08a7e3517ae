"""store_from_url: pick a persistent-attributes store from one configuration string.

Hosts and ``alexafsm serve --store URL`` take the store as text, so a deployment can change it
without code:

    memory://                              in the process only (tests)
    sqlite:///skill.sqlite3                relative to the working folder
    sqlite:////var/lib/skill/attrs.sqlite3 absolute (four slashes)
    redis://localhost:6379/0               also rediss:// (TLS) and unix:///path/redis.sock

Options go in the query: ``ttl`` (seconds a user is kept after their last save), ``timeout``
(seconds to wait for the store; SQLite's busy timeout, Redis's socket timeouts) and, for Redis,
``prefix`` of its keys. Redis URLs also take redis-py's own options (``password``, ``db``...).
"""
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Set
from typing import Tuple
from urllib.parse import parse_qsl
from urllib.parse import unquote
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.extensions import AttributesStore
from alexafsm.extensions import Extensions
from alexafsm.persistence.memory import MemoryStore
from alexafsm.persistence.sqlite import SqliteStore

__all__ = ['store_from_url', 'open_store', 'host_extensions']

_EXAMPLES = "memory://, sqlite:///skill.sqlite3, sqlite:////abs/path.sqlite3 or redis://host:6379/0"
_OURS = {'memory': {'ttl'}, 'sqlite': {'ttl', 'timeout'}, 'redis': {'ttl', 'timeout', 'prefix'}}


def store_from_url(url: str) -> AttributesStore:
    """The store a URL names; ValueError naming the mistake for anything else.

    Opening is cheap and checks what can be checked without a round trip: the SQLite file is
    created at once, a Redis server is contacted on the first turn.
    """
    if not isinstance(url, str):
        raise ArgumentValueError(f"a store URL is a string such as {_EXAMPLES}, got {url!r}")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    family = 'redis' if scheme in ('redis', 'rediss', 'unix') else scheme
    if family not in _OURS:
        raise ArgumentValueError(f"unknown store URL {url!r}: use {_EXAMPLES}")
    ours, theirs = _split_query(parts.query, _OURS[family], family, url)
    if family == 'memory':
        if parts.netloc or parts.path.strip('/'):
            raise ArgumentValueError(f"memory:// takes no host or path, got {url!r}")
        return MemoryStore(ttl=ours.get('ttl'))
    if family == 'sqlite':
        path = _sqlite_path(parts, url)
        return SqliteStore(path, **ours)
    from alexafsm.persistence.redis import RedisStore
    plain = urlunsplit(parts._replace(query=urlencode(theirs)))
    return RedisStore.from_url(plain, **ours)


def open_store(store: Any) -> Optional[AttributesStore]:
    """What hosts do with their ``store=`` argument: a URL is opened, a store passes as is."""
    if store is None:
        return None
    if isinstance(store, str):
        return store_from_url(store)
    if callable(getattr(store, 'load', None)) and callable(getattr(store, 'save', None)):
        return store
    raise ArgumentTypeError(
        f"store must be a URL such as {_EXAMPLES}, or a store object with load() "
        f"and save(), got {store!r}")


def host_extensions(store: Any = None, analytics: Any = None) -> Optional[Extensions]:
    """What a host passes to ``Policy.handle(..., extensions=...)`` for its options.

    ``store`` is a URL or a store object, ``analytics`` a back end or a list of them. None when
    neither is given, so such a host's turns take the core's plain path. Raises ValueError or
    TypeError naming the mistake, at start-up rather than on the first turn.
    """
    if store is None and analytics is None:
        return None
    return Extensions(store=open_store(store), analytics=analytics)


def _sqlite_path(parts: Any, url: str) -> str:
    if parts.netloc:
        raise ArgumentValueError(
            f"{url!r} names a host ({parts.netloc!r}), but SQLite is a local file: "
            f"use sqlite:///relative/path or sqlite:////absolute/path")
    path = unquote(parts.path)[1:]
    if not path or path == ':memory:':
        raise ArgumentValueError(
            f"{url!r} names no file: use sqlite:///skill.sqlite3 (relative) or "
            f"sqlite:////abs/path.sqlite3; for a store in memory use memory://")
    return path


def _split_query(query: str, accepted: Set[str], family: str,
                 url: str) -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """Our options (``prefix`` a string, times in seconds) apart from the client's own."""
    ours: Dict[str, Any] = {}
    theirs = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in accepted:
            ours[name] = value if name == 'prefix' else _seconds(name, value, url)
        elif family == 'redis':
            theirs.append((name, value))
        else:
            raise ArgumentValueError(
                f"unknown option {name!r} in store URL {url!r}; {family} takes "
                f"{', '.join(sorted(accepted))}")
    return ours, theirs


def _seconds(name: str, value: str, url: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = float('nan')
    if not seconds > 0 or seconds == float('inf'):
        raise ArgumentValueError(
            f"{name} in store URL {url!r} must be a positive number of seconds, "
            f"got {value!r}")
    return seconds
