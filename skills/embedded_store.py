"""The example skills' default memory: a SQLite file outside the repository, opened on first use.

A skill's ``Policy.extensions`` is built at import time, but a ``SqliteStore`` creates its file
when it is made; importing a skill (``alexafsm validate``, a test run) must leave no file behind,
and a host that passes its own ``store=`` must never create one. ``EmbeddedStore`` therefore
decides on the path and opens the store the first time a turn reads persistent attributes.

The file is ``$ENV_VAR`` when set, else ``alexafsm/<file_name>`` in the user's cache folder
(``$XDG_CACHE_HOME`` or ``~/.cache``), else in the temp folder (AWS Lambda, homeless containers);
never in the checkout, where users' ids would end up in commits.
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any
from typing import List
from typing import Optional

from alexafsm.extensions import Record
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence import SqliteStore


class EmbeddedStore:
    """An attributes store that needs no service: a ``SqliteStore`` made on first use.

    Opening is tried again on each use until it works, so fixing a folder's permissions needs
    no restart; until then the turns go on without persistent attributes (the log says why).
    """

    def __init__(self, env_var: str, file_name: str) -> None:
        self.env_var = env_var
        self.file_name = file_name
        self._store: Optional[SqliteStore] = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Optional[Path]:
        """The file, once a turn needed it (None before): where an operator finds the memory."""
        return Path(self._store.path) if self._store is not None else None

    @property
    def description(self) -> str:
        """How the core's logs name this store."""
        if self._store is not None:
            return self._store.description
        return f"the embedded store (${self.env_var}, else {self.candidates()[0]})"

    def candidates(self) -> List[Path]:
        """Where the file may go, best first: only ``$ENV_VAR`` when an operator chose it."""
        configured = os.environ.get(self.env_var)
        if configured:
            return [Path(configured).expanduser()]
        folders = []
        try:
            folders.append(Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'))
        except RuntimeError:  # no home folder to resolve
            pass
        folders.append(Path(tempfile.gettempdir()))
        return [folder / 'alexafsm' / self.file_name for folder in folders]

    def load(self, key: str) -> Optional[Record]:
        """The record of ``key``; opens the file on the first call."""
        return self._open().load(key)

    def save(self, key: str, text: str, version: Any) -> bool:
        """Compare-and-set, as ``SqliteStore.save``; opens the file on the first call."""
        return self._open().save(key, text, version)

    def close(self) -> None:
        """Close the file if a turn opened it; a later turn opens it again."""
        if self._store is not None:
            self._store.close()

    def _open(self) -> SqliteStore:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                self._store = self._first_usable()
            return self._store

    def _first_usable(self) -> SqliteStore:
        failures = []
        for path in self.candidates():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                return SqliteStore(path)
            except ValueError as error:  # names the file and what is wrong with it
                failures.append(str(error))
            except OSError as error:
                failures.append(f"cannot create {path.parent}: {error}")
        raise StoreUnavailable(f"{'; '.join(failures)}. Set ${self.env_var} to the SQLite file to "
                               f"use, or give the host a store (--store URL, store=...)")

    def __repr__(self) -> str:
        return f"EmbeddedStore({self.env_var!r}, {self.file_name!r})"
