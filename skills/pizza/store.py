"""Unfinished orders kept between sessions, so the next launch can offer to continue one.

Sessions end without warning (the user walks away, the device times out), so the skill keeps
the draft after every change rather than on "stop". The toolkit's persistent attributes will
replace this; until then an SQLite file needs no service and is shared by the threads and
processes of one host.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional, Protocol, Union

ENV_VAR = 'PIZZA_ORDERS_DB'
MEMORY = ':memory:'
FILE_NAME = 'pizza-orders.sqlite3'
BUSY_TIMEOUT_SECONDS = 10.0


class OrderStore(Protocol):
    """What the skill needs from any store: one draft per user, or none."""

    def load(self, user_id: str) -> Optional[Dict[str, Any]]:
        """The user's unfinished order, or None when there is nothing to resume."""

    def save(self, user_id: str, draft: Optional[Dict[str, Any]]) -> None:
        """Keep the user's draft; None (or an empty draft) forgets it."""


class SqliteOrderStore:
    """Drafts as JSON by user id, on disk or in memory (the default, for tests and one-off runs).

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
                f"cannot open the pizza order store {self.path}: {error}; point {ENV_VAR} at a "
                f"writable file") from error
        try:
            if self.path != MEMORY:
                self._conn.execute('PRAGMA journal_mode=WAL')
            self._conn.execute('CREATE TABLE IF NOT EXISTS drafts (user_id TEXT PRIMARY KEY, '
                               'draft TEXT NOT NULL, saved_at REAL NOT NULL) WITHOUT ROWID')
        except sqlite3.Error as error:
            self._conn.close()
            raise sqlite3.OperationalError(
                f"{self.path} cannot hold pizza orders: {error}; point {ENV_VAR} at a new "
                f"file") from error

    def load(self, user_id: str) -> Optional[Dict[str, Any]]:
        """The user's draft as saved; a row that is not a JSON object counts as none."""
        with self._lock:
            row = self._conn.execute('SELECT draft FROM drafts WHERE user_id = ?',
                                     (user_id,)).fetchone()
        if row is None:
            return None
        try:
            draft = json.loads(row[0])
        except ValueError:
            return None
        return draft if isinstance(draft, dict) else None

    def save(self, user_id: str, draft: Optional[Dict[str, Any]]) -> None:
        """Replace the user's draft, or delete it when the order was placed or given up."""
        with self._lock:
            if draft:
                self._conn.execute('INSERT OR REPLACE INTO drafts (user_id, draft, saved_at) '
                                   'VALUES (?, ?, ?)', (user_id, json.dumps(draft), time.time()))
            else:
                self._conn.execute('DELETE FROM drafts WHERE user_id = ?', (user_id,))

    def close(self) -> None:
        """Release the file, which tests and short-lived tools need before deleting it."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteOrderStore:
        """Allow ``with SqliteOrderStore(path) as orders:`` so the file is closed on the way out."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the store when the ``with`` block ends."""
        self.close()


def default_path() -> Path:
    """``$PIZZA_ORDERS_DB``, else a file in the temp dir: never in the source tree, where a
    checkout would carry users' ids into commits, and writable on AWS Lambda too."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return Path(tempfile.gettempdir()) / 'alexafsm' / FILE_NAME


_default: Optional[SqliteOrderStore] = None
_default_lock = threading.Lock()


def default_store() -> SqliteOrderStore:
    """The process-wide store at ``default_path()``, opened on first use so imports do no I/O."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SqliteOrderStore(default_path())
        return _default
