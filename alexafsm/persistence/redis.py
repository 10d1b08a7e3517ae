"""RedisStore: persistent attributes in Redis, for skills served from several machines.

Each user is a hash with the attributes' JSON (``d``) and a version (``v``). A save is a Lua
compare-and-set, atomic on the server: it writes only if the version is the one the turn read,
so two turns of one user on two machines never overwrite each other. ``ttl`` sets EXPIRE on
every save, so idle users disappear by themselves.

Redis down or slow must not hold a turn up: connecting and each command time out after
``timeout`` seconds (a quarter of a second by default) and redis-py's own retries are off. A
read on a dropped connection (the server restarted) is tried once more on a fresh one; a save
never is, since it might have been applied already and would then count the turn twice.

Requires the ``redis`` package: ``pip install alexafsm[redis]``.
"""
import os
import threading
import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from alexafsm.errors import ArgumentValueError
from alexafsm.errors import MissingPackageError
from alexafsm.extensions import Record
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence.locks import DEFAULT_LOCK_WAIT
from alexafsm.persistence.locks import KeyLocks
from alexafsm.persistence.locks import Release

__all__ = ['RedisStore', 'DEFAULT_TIMEOUT', 'DEFAULT_PREFIX', 'LOCK_LEASE']

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    _HAVE_REDIS = True
except ImportError:  # pragma: no cover - depends on the installation
    _HAVE_REDIS = False

DEFAULT_TIMEOUT = 0.25
DEFAULT_PREFIX = 'alexafsm:attributes:'
#: How long a lock key outlives a process that died holding it, in seconds: Alexa's deadline.
LOCK_LEASE = 8.0
_UNREAD = object()  # the record read with a lock was handed to load() already

# A lock key holds its owner's token; only that token deletes it. Taking the lock reads the
# record in the same round trip, and a save deletes the lock in its own, so a turn that locks
# costs no more round trips than one that does not.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_LOCK_LOAD = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local record = redis.call('HMGET', KEYS[2], 'd', 'v')
return {1, record[1], record[2]}
"""

_SAVE = """
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
local v = redis.call('HGET', KEYS[1], 'v')
if v == false then v = '' end
if v ~= ARGV[1] then return 0 end
local n = (tonumber(v) or 0) + 1
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'v', n)
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return n
"""


def _require_redis() -> None:
    if not _HAVE_REDIS:
        raise MissingPackageError(
            "RedisStore needs the redis package: pip install 'alexafsm[redis]'")


class RedisStore:
    """Persistent attributes in Redis under ``prefix`` + key; build it with ``from_url``.

    Pass your own ``client`` to control TLS, pools or Sentinel; then its timeouts and retries
    are yours to keep short.
    """

    def __init__(self, client: Any, ttl: Optional[float] = None, prefix: str = DEFAULT_PREFIX,
                 description: Optional[str] = None, lock_wait: float = DEFAULT_LOCK_WAIT
                 ) -> None:
        _require_redis()
        if ttl is not None and not ttl > 0:
            raise ArgumentValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.client = client
        self.ttl = ttl
        self.prefix = prefix
        self.description = description or f"Redis {client!r}"
        self.lock_wait = lock_wait
        self._save = client.register_script(_SAVE)
        self._unlock = client.register_script(_UNLOCK)
        self._lock_load = client.register_script(_LOCK_LOAD)
        self._threads = KeyLocks()
        self._local = threading.local()  # key -> (lock name, token, record read with the lock)

    @classmethod
    def from_url(cls, url: str, ttl: Optional[float] = None, prefix: str = DEFAULT_PREFIX,
                 timeout: float = DEFAULT_TIMEOUT, **options: Any) -> 'RedisStore':
        """A store on ``redis://host:port/db`` (or rediss://, unix://) with short timeouts.

        Connecting is lazy: a server that is down at start-up costs turns their persistence,
        not the start of the skill.
        """
        _require_redis()
        if not timeout > 0:
            raise ArgumentValueError(
                f"timeout must be a positive number of seconds, got {timeout!r}")
        settings: Dict[str, Any] = dict(socket_timeout=timeout, socket_connect_timeout=timeout,
                                        retry=Retry(NoBackoff(), 0), retry_on_timeout=False,
                                        health_check_interval=0)
        settings.update(options)
        try:
            client = redis.Redis.from_url(url, **settings)
        except ValueError as error:
            raise ArgumentValueError(f"cannot use the Redis URL {_safe(url)}: {error}") from None
        return cls(client, ttl=ttl, prefix=prefix, description=_safe(url))

    def load(self, key: str) -> Optional[Record]:
        """The record of ``key``, or None when there is none (or it expired).

        Right after ``lock(key)`` it is the record the lock's round trip read.
        """
        held = self._held().get(key)
        if held is not None and held[2] is not _UNREAD:
            record, held[2] = held[2], _UNREAD
            return record
        name = self.prefix + key
        try:
            try:
                data, version = self.client.hmget(name, ('d', 'v'))
            except redis.ConnectionError:  # a pooled connection from before a restart
                data, version = self.client.hmget(name, ('d', 'v'))
        except redis.RedisError as error:
            raise StoreUnavailable(f"{self.description}: {type(error).__name__}: {error}") \
                from None
        if data is None:
            return None
        return Record(data.decode('utf-8'), version.decode('ascii'))

    def save(self, key: str, text: str, version: Any) -> bool:
        """Compare-and-set on the server: write only if the version is still ``version``.

        A save that got no answer may still be applied by the server later (it was paused, or
        slow): the StoreUnavailable then says the outcome is unknown (``outcome_unknown``), so
        the log does not claim that nothing was saved.
        """
        expected = '' if version is None else str(version)
        ttl_ms = int(self.ttl * 1000) if self.ttl else 0
        locks = self._held()
        held = locks.get(key)  # the save lets the lock go, saved or not
        keys = [self.prefix + key] + ([held[0]] if held else [])
        try:
            saved = self._save(keys=keys, args=[expected, text, ttl_ms, held[1] if held else ''])
            locks.pop(key, None)  # answered: the lock is gone; else release() tries again
            return bool(saved)
        except redis.RedisError as error:
            unavailable = StoreUnavailable(
                f"{self.description}: {type(error).__name__}: {error}")
            unavailable.outcome_unknown = _maybe_sent(error)
            raise unavailable from None

    def lock(self, key: str) -> Optional[Release]:
        """Queue this turn behind the other turns of ``key``, on every machine; bounded wait.

        The threads of this process queue in memory, so at most one per process asks Redis:
        ``SET lock:PREFIXkey token NX PX``, retried with a short growing pause until
        ``lock_wait`` seconds have passed (None: the turn goes on unlocked, compare-and-set
        still keeps every update). The key expires after ``LOCK_LEASE`` seconds should its
        holder die; only the holder's token deletes it.
        """
        deadline = time.monotonic() + self.lock_wait
        if not self._threads.acquire(key, self.lock_wait):
            return None
        name = 'lock:' + self.prefix + key
        token = os.urandom(12).hex()
        pause = 0.0005
        try:
            while True:
                reply = self._take(name, key, token)
                if reply[0]:
                    break
                if time.monotonic() >= deadline:
                    self._threads.release(key)
                    return None
                time.sleep(pause)
                pause = min(pause * 2, 0.01)
        except redis.RedisError as error:
            self._threads.release(key)
            raise StoreUnavailable(f"{self.description}: {type(error).__name__}: {error}") \
                from None
        except BaseException:
            self._threads.release(key)
            raise
        data, version = reply[1], reply[2]
        record = None if data is None else Record(data.decode('utf-8'), version.decode('ascii'))
        held = self._held()
        held[key] = [name, token, record]

        def release() -> None:
            try:
                if held.pop(key, None) is not None:  # no save let it go
                    self._unlock(keys=[name], args=[token])
            except redis.RedisError:
                pass  # the key expires by itself after LOCK_LEASE
            finally:
                self._threads.release(key)

        return release

    def _take(self, name: str, key: str, token: str) -> Any:
        args = [token, int(LOCK_LEASE * 1000)]
        try:
            return self._lock_load(keys=[name, self.prefix + key], args=args)
        except redis.ConnectionError:  # a pooled connection from before a restart
            return self._lock_load(keys=[name, self.prefix + key], args=args)

    def _held(self) -> Dict[str, List[Any]]:
        """This thread's locks: key -> [lock name, token, record read with it or _UNREAD]."""
        held = getattr(self._local, 'held', None)
        if held is None:
            held = self._local.held = {}
        return held

    def close(self) -> None:
        """Close the pool's connections."""
        self.client.close()

    def __repr__(self) -> str:
        return f"RedisStore({self.description}, ttl={self.ttl!r}, prefix={self.prefix!r})"


def _maybe_sent(error: Exception) -> bool:
    """Whether a failed command may still be applied: not when the server refused it, nor
    when no connection was made."""
    return not isinstance(error, redis.ResponseError) and 'connecting to' not in str(error)


def _safe(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ''
        if parts.port:
            host += f":{parts.port}"
        user = parts.username or ''
        parts = parts._replace(netloc=f"{user}:***@{host}")
    query = [(k, '***' if k == 'password' else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))
