"""MemoryStore: persistent attributes in a dict, for tests and one-process experiments.

It forgets everything when the process ends and is not shared between worker processes; use
SqliteStore or RedisStore for anything users talk to.
"""
import threading
import time
from functools import partial
from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional
from typing import Tuple

from alexafsm.extensions import Record
from alexafsm.persistence.locks import DEFAULT_LOCK_WAIT
from alexafsm.persistence.locks import KeyLocks
from alexafsm.persistence.locks import Release

__all__ = ['MemoryStore']


class MemoryStore:
    """The reference store: the same compare-and-set and expiry rules as SQLite and Redis.

    ``ttl`` (seconds) forgets a user that long after their attributes were last saved; ``clock``
    lets tests move time on instead of sleeping.
    """

    description = 'memory://'

    def __init__(self, ttl: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic,
                 lock_wait: float = DEFAULT_LOCK_WAIT) -> None:
        self.ttl = ttl
        self.clock = clock
        self.lock_wait = lock_wait
        self._records: Dict[str, Tuple[str, int, Optional[float]]] = {}
        self._lock = threading.Lock()
        self._key_locks = KeyLocks()

    def lock(self, key: str) -> Optional[Release]:
        """Queue this turn behind the other turns of ``key``; None after ``lock_wait`` seconds."""
        if not self._key_locks.acquire(key, self.lock_wait):
            return None
        return partial(self._key_locks.release, key)

    def load(self, key: str) -> Optional[Record]:
        """The record of ``key``, unless there is none or it expired."""
        with self._lock:
            entry = self._records.get(key)
            if entry is None or self._expired(entry):
                return None
            return Record(entry[0], entry[1])

    def save(self, key: str, text: str, version: Any) -> bool:
        """Write if the record is still at ``version`` (None: absent or expired)."""
        with self._lock:
            entry = self._records.get(key)
            current = None if entry is None or self._expired(entry) else entry[1]
            if current != version:
                return False
            number = entry[1] + 1 if entry is not None else 1
            expires = self.clock() + self.ttl if self.ttl else None
            self._records[key] = (text, number, expires)
            return True

    def purge(self) -> int:
        """Forget expired records now; returns how many."""
        with self._lock:
            expired = [k for k, entry in self._records.items() if self._expired(entry)]
            for key in expired:
                del self._records[key]
            return len(expired)

    def close(self) -> None:
        """Nothing to release; here for the store interface."""

    def _expired(self, entry: Tuple[str, int, Optional[float]]) -> bool:
        return entry[2] is not None and entry[2] <= self.clock()
