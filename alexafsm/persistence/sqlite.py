"""SqliteStore: persistent attributes in one SQLite file, the default that needs no service.

WAL mode lets readers and one writer work at once, and SQLite's file locks keep the worker
processes of one machine (gunicorn, ``alexafsm serve``) apart. Each row has a version: a save
is ``UPDATE ... WHERE version = ?``, so of two turns of one user that read the same version
only the first writes and the other runs again on its data. For several machines, use Redis.

Waiting for another process's write is bounded by ``timeout`` (SQLite's busy timeout), far
under Alexa's deadline; past it the turn goes on without saving. ``synchronous=NORMAL`` makes a
commit survive a crash of the process but not a power cut, and never corrupts the file.

A turn that reads a user's attributes first takes that user's lock: a byte-range lock on the
file ``PATH.locks`` next to the database (writes nothing, dropped by the kernel if the process
dies), so one user's turns queue instead of racing, across threads and processes.

A connection keeps using the file it opened; so each use compares the file now at the path
(its inode) with it: a file replaced under the running skill is reopened, a deleted one is said
in the log (once when seen, then on every turn that cannot save). A database that is read-only
or not a database at all is refused when the store is made, at start-up.
"""
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional
from typing import Tuple
from typing import Union

from alexafsm.errors import ArgumentValueError
from alexafsm.extensions import Record
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence.locks import DEFAULT_LOCK_WAIT
from alexafsm.persistence.locks import FileKeyLocks
from alexafsm.persistence.locks import Release

__all__ = ['SqliteStore', 'DEFAULT_TIMEOUT', 'TABLE', 'LOCK_SUFFIX']

logger = logging.getLogger('alexafsm.persistence')

DEFAULT_TIMEOUT = 0.5
_SETUP_TIMEOUT = 10.0
_PURGE_EVERY = 1000
TABLE = 'alexafsm_attributes'
#: The lock file next to the database (``skill.sqlite3.locks``): it stays empty, its byte ranges
#: are the per-user locks that queue one user's turns across processes.
LOCK_SUFFIX = '.locks'


class SqliteStore:
    """Persistent attributes in the SQLite file ``path``, created with its table if missing.

    ``ttl`` (seconds) forgets a user that long after their attributes were last saved: expired
    rows are ignored when read and deleted by ``purge()``, which runs every thousand saves.
    Safe to share between threads (one connection each) and processes (one file).
    """

    def __init__(self, path: Union[str, 'os.PathLike[str]'], ttl: Optional[float] = None,
                 timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time,
                 lock_wait: float = DEFAULT_LOCK_WAIT) -> None:
        self.path = os.fspath(path)
        if ttl is not None and not ttl > 0:
            raise ArgumentValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        if not timeout > 0:
            raise ArgumentValueError(
                f"timeout must be a positive number of seconds, got {timeout!r}")
        folder = Path(self.path).resolve().parent
        if not folder.is_dir():
            raise ArgumentValueError(
                f"cannot keep persistent attributes in {self.path}: the folder "
                f"{folder} does not exist (in a URL, sqlite:///name is relative to "
                f"the working folder and sqlite:////abs/path is absolute)")
        self.ttl = ttl
        self.timeout = timeout
        self.lock_wait = lock_wait
        self.clock = clock
        self.description = f"sqlite:///{self.path}"
        self._local = threading.local()
        self._saves = 0
        self._locks = FileKeyLocks(self.path + LOCK_SUFFIX)
        self._create()
        self._identity = _identity(self.path)  # the file the connections are meant to use
        self._identity_lock = threading.Lock()

    def _create(self) -> None:
        """Create the file and table if missing; a file we cannot write or read is refused now.

        SQLite opens a file it may not write read-only without a word, and every save would
        then fail: so the check is made here, once, at start-up.
        """
        try:
            if os.path.exists(self.path):
                os.close(os.open(self.path, os.O_RDWR))
        except OSError as error:
            raise ArgumentValueError(
                f"cannot keep persistent attributes in {self.path}: the file is read-only "
                f"({error.strerror}); make it writable by the server's user, or give another "
                f"path") from None
        try:
            conn = sqlite3.connect(self.path, timeout=_SETUP_TIMEOUT, isolation_level=None)
            try:
                conn.execute('PRAGMA journal_mode=WAL')
                conn.execute(f'CREATE TABLE IF NOT EXISTS {TABLE} ('
                             f'key TEXT PRIMARY KEY, data TEXT NOT NULL, '
                             f'version INTEGER NOT NULL, expires_at REAL) WITHOUT ROWID')
                conn.execute(f'CREATE INDEX IF NOT EXISTS {TABLE}_expiry ON {TABLE} '
                             f'(expires_at) WHERE expires_at IS NOT NULL')
            finally:
                conn.close()
        except sqlite3.Error as error:
            raise ArgumentValueError(
                f"cannot keep persistent attributes in {self.path}: {error}; give "
                f"the path of a new or alexafsm-made SQLite file in a writable "
                f"folder") from None

    def _conn(self, check: bool = True) -> sqlite3.Connection:
        """This thread's connection to the file now at ``path``; a forked child opens its own.

        A connection keeps writing to the file it opened even after that file was deleted or
        replaced (a folder removed, a backup restored), and every save would then be lost
        without a word: so each turn's read (``check``) compares the file's inode, reopens on
        a replaced file and refuses, with a message saying so, while the file is gone. The
        save that follows within the turn uses the connection the read checked.
        """
        local = self._local
        conn = getattr(local, 'conn', None)
        if conn is not None and not check and local.pid == os.getpid():
            return conn
        identity = _identity(self.path)
        if conn is not None and local.pid == os.getpid() and local.identity == identity:
            return conn
        if conn is not None:
            conn.close()
            local.conn = None
        if identity != self._identity:
            self._moved(identity)
        if identity is None:
            raise StoreUnavailable(f"{self.description}: the database file was deleted while "
                                   f"the skill ran, so nothing is read or saved: restore it "
                                   f"(or remove what is left of it) and restart the skill")
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                               check_same_thread=True)
        conn.execute('PRAGMA synchronous=NORMAL')
        local.conn, local.pid, local.identity = conn, os.getpid(), identity
        return conn

    def _moved(self, identity: Optional[Tuple[int, int]]) -> None:
        """Log once that the file was deleted or replaced; a replacement gets the table."""
        with self._identity_lock:
            if identity == self._identity:
                return  # another thread saw it first
            self._identity = identity
        if identity is None:
            logger.error("%s: the database file was deleted while the skill ran; turns go on "
                         "without persistent attributes and save nothing until it is "
                         "restored", self.description)
            return
        logger.error("%s: the database file was replaced while the skill ran; using the new "
                     "file from now on (what was saved to the old one since is not in it)",
                     self.description)
        try:
            self._create()
        except ArgumentValueError as error:
            raise StoreUnavailable(str(error)) from None

    def lock(self, key: str) -> Optional[Release]:
        """Queue this turn behind the other turns of ``key``, in this and other processes.

        None when they kept it longer than ``lock_wait`` seconds: the turn goes on unlocked
        and compare-and-set still keeps every update.
        """
        return self._locks.acquire(key, self.lock_wait)

    def load(self, key: str) -> Optional[Record]:
        """The record of ``key``, unless there is none or it expired."""
        try:
            row = self._conn().execute(
                f'SELECT data, version FROM {TABLE} WHERE key = ? '
                f'AND (expires_at IS NULL OR expires_at > ?)', (key, self.clock())).fetchone()
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.description}: {error}") from None
        return Record(row[0], row[1]) if row is not None else None

    def save(self, key: str, text: str, version: Any) -> bool:
        """Write if the row is still at ``version``; None means absent, or expired."""
        now = self.clock()
        expires = now + self.ttl if self.ttl else None
        try:
            if version is None:
                cursor = self._conn(check=False).execute(
                    f'INSERT INTO {TABLE} (key, data, version, expires_at) VALUES (?, ?, 1, ?) '
                    f'ON CONFLICT (key) DO UPDATE SET data = excluded.data, '
                    f'version = version + 1, expires_at = excluded.expires_at '
                    f'WHERE expires_at IS NOT NULL AND expires_at <= ?',
                    (key, text, expires, now))
            else:
                cursor = self._conn(check=False).execute(
                    f'UPDATE {TABLE} SET data = ?, version = version + 1, expires_at = ? '
                    f'WHERE key = ? AND version = ?', (text, expires, key, version))
            saved = cursor.rowcount == 1
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.description}: {error}") from None
        if self.ttl:
            self._saves += 1
            if self._saves % _PURGE_EVERY == 0:
                try:
                    self.purge()
                except sqlite3.Error:
                    pass  # another process is busy; the next round will purge
        return saved

    def purge(self) -> int:
        """Delete the expired rows now; returns how many."""
        cursor = self._conn().execute(
            f'DELETE FROM {TABLE} WHERE expires_at IS NOT NULL AND expires_at <= ?',
            (self.clock(),))
        return cursor.rowcount

    def close(self) -> None:
        """Close this thread's connection; other threads' close when their threads end."""
        conn = getattr(self._local, 'conn', None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r}, ttl={self.ttl!r})"


def _identity(path: str) -> Optional[Tuple[int, int]]:
    """Which file ``path`` names now (device and inode), None when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino
