"""Per-key locks: one user's turns take their persistent attributes one at a time.

Two turns of one user at once (their Echo and their phone) both read the same record; the
compare-and-set save lets only the first write, and the other runs again on the fresh data. With
many turns at once a turn can lose every try and answer with the apology. So a turn that reads
its attributes first takes the key's lock and holds it until it has saved: the turns of one
user queue up, the turns of different users never wait for each other.

``KeyLocks`` queues the threads of one process; each store adds what queues processes (SQLite:
a byte-range lock on a file next to the database, released by the kernel if the process dies;
Redis: a lock key set with NX and an expiry, holding a token only its owner can delete). Waiting
is bounded: past ``wait`` seconds the turn goes on without the lock, and the compare-and-set
still keeps every update (the turn may run again).
"""
import logging
import os
import threading
import time
import zlib
from typing import Callable
from typing import Optional

__all__ = ['KeyLocks', 'Release', 'DEFAULT_LOCK_WAIT', 'FileKeyLocks', 'lock_offset']

logger = logging.getLogger('alexafsm.persistence')

#: How long a turn waits for the other turns of its user before going on without the lock.
DEFAULT_LOCK_WAIT = 2.0

#: What ``lock`` returns: call it once to let the next turn of the user in.
Release = Callable[[], None]


class KeyLocks:
    """Locks by key within one process: a fixed table of locks, a key's lock picked by its hash.

    Why a table and not one lock per user: a skill has millions of users and a turn must not
    pay for bookkeeping; two users whose keys share a slot (one chance in ``slots`` for two
    turns at once) only wait for each other's few milliseconds, never lose an update.
    """

    def __init__(self, slots: int = 4096) -> None:
        self._slots = [threading.Lock() for _ in range(slots)]
        self._pid = os.getpid()

    def acquire(self, key: str, wait: float) -> bool:
        """Take ``key``'s lock, waiting at most ``wait`` seconds; False when the wait ran out."""
        if self._pid != os.getpid():  # a forked child: the parent's holders are not here
            self._slots = [threading.Lock() for _ in self._slots]
            self._pid = os.getpid()
        return self._slots[hash(key) % len(self._slots)].acquire(True, wait)

    def release(self, key: str) -> None:
        """Let the next thread waiting for ``key`` in."""
        self._slots[hash(key) % len(self._slots)].release()

    def held(self) -> int:
        """How many slots are held now (tests check that every turn let go)."""
        return sum(lock.locked() for lock in self._slots)


def lock_offset(key: str) -> int:
    """The byte of the lock file that stands for ``key``: its CRC-32, the same in every process.

    Two keys share a byte only by a collision (one in four billion), which would make them
    wait for each other now and then, never lose an update.
    """
    return zlib.crc32(key.encode('utf-8'))


class FileKeyLocks:
    """Locks by key across the processes of one machine: POSIX byte-range locks on one file.

    Why a file lock and not a row in the database: taking it writes nothing, so turns of
    different users do not queue for SQLite's single writer, and the kernel releases the locks
    of a process that dies (kill -9) at once. POSIX locks belong to a process, so the threads of
    one process queue on ``KeyLocks`` first; the file is opened once per process, since closing
    any descriptor of it would drop all of the process's locks.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.threads = KeyLocks()
        self._fd: Optional[int] = None  # -1: cannot be opened in this process
        self._pid = 0
        self._open_lock = threading.Lock()

    def acquire(self, key: str, wait: float) -> Optional[Release]:
        """Take ``key``'s lock in this process, then across processes; None after ``wait``."""
        deadline = time.monotonic() + wait
        if not self.threads.acquire(key, wait):
            return None
        try:
            fd = self._descriptor()
            if fd is None:  # no fcntl (Windows) or no lock file: one process's turns only
                return lambda: self.threads.release(key)
            import fcntl
            offset = lock_offset(key)
            pause = 0.0005
            while True:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                    break
                except OSError:
                    if time.monotonic() >= deadline:
                        self.threads.release(key)
                        return None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.01)
        except BaseException:
            self.threads.release(key)
            raise

        def release() -> None:
            try:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
            finally:
                self.threads.release(key)

        return release

    def _descriptor(self) -> Optional[int]:
        if self._pid != os.getpid():
            with self._open_lock:
                if self._pid != os.getpid():
                    self._fd = self._open()
                    self._pid = os.getpid()
        return self._fd if self._fd is not None and self._fd >= 0 else None

    def _open(self) -> int:
        try:
            import fcntl  # noqa: F401  (POSIX only)
        except ImportError:  # pragma: no cover - not POSIX
            return -1
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            logger.warning("cannot open the lock file %s (%s): turns of one user in different "
                           "processes are not queued, only kept apart by compare-and-set",
                           self.path, error)
            return -1
