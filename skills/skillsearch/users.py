"""Which users have opened Skill Search before, so only newcomers hear the long welcome.

0.1.11 kept this in DynamoDB. An SQLite file in WAL mode needs no service, and several threads and
processes of one host can share it; the toolkit's persistent attributes will replace it.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional, Union

ENV_VAR = 'SKILLSEARCH_USERS_DB'
MEMORY = ':memory:'
FILE_NAME = 'skillsearch-users.sqlite3'
BUSY_TIMEOUT_SECONDS = 10.0


class UserStore:
    """A set of user ids on disk (or in memory, the default, for tests and one-off runs).

    One connection per store is shared by its threads behind a lock; other processes open their
    own, and SQLite's locking with a busy timeout keeps their writes apart.
    """

    def __init__(self, path: Union[str, os.PathLike] = MEMORY) -> None:
        """Open or create the store, with its folder, so a fresh host needs no setup step."""
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                         check_same_thread=False, isolation_level=None)
        except sqlite3.Error as error:
            raise sqlite3.OperationalError(
                f"cannot open Skill Search's user store {self.path}: {error}; point {ENV_VAR} "
                f"at a writable file") from error
        try:
            if self.path != MEMORY:
                self._conn.execute('PRAGMA journal_mode=WAL')
            self._conn.execute('CREATE TABLE IF NOT EXISTS users ('
                               'user_id TEXT PRIMARY KEY, first_seen REAL NOT NULL) WITHOUT ROWID')
        except sqlite3.Error as error:
            self._conn.close()
            raise sqlite3.OperationalError(
                f"{self.path} cannot hold Skill Search's users: {error}; point {ENV_VAR} at "
                f"a new file") from error

    def seen(self, user_id: str) -> bool:
        """Whether ``remember`` was called for this user, by any thread or process."""
        with self._lock:
            row = self._conn.execute('SELECT 1 FROM users WHERE user_id = ?',
                                     (user_id,)).fetchone()
        return row is not None

    def remember(self, user_id: str) -> None:
        """Record the user; a second call keeps the first visit, so racing launches are harmless."""
        with self._lock:
            self._conn.execute('INSERT OR IGNORE INTO users (user_id, first_seen) VALUES (?, ?)',
                               (user_id, time.time()))

    def close(self) -> None:
        """Release the file, which tests and short-lived tools need before deleting it."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> UserStore:
        """Allow ``with UserStore(path) as users:`` so the file is closed on the way out."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the store when the ``with`` block ends."""
        self.close()


def default_path() -> Path:
    """Where users are kept unless configured: ``$SKILLSEARCH_USERS_DB``, else the cache dir.

    Never in the source tree, where a checkout would carry real user ids into commits; without
    a home directory (some containers) the temp dir is used.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get('XDG_CACHE_HOME')
    try:
        base = Path(cache) if cache else Path.home() / '.cache'
    except RuntimeError:  # no home directory to resolve
        base = Path(tempfile.gettempdir())
    return base / 'alexafsm' / FILE_NAME


_default: Optional[UserStore] = None
_default_lock = threading.Lock()


def default_store() -> UserStore:
    """The process-wide store at ``default_path()``, opened on first use so imports do no I/O.

    An unusable cache dir falls back to the temp dir, since first-time detection is not worth
    failing a launch for; a configured path that fails is an error the operator must see.
    """
    global _default
    with _default_lock:
        if _default is None:
            try:
                _default = UserStore(default_path())
            except (OSError, sqlite3.Error):
                if os.environ.get(ENV_VAR):
                    raise
                _default = UserStore(Path(tempfile.gettempdir()) / 'alexafsm' / FILE_NAME)
        return _default
