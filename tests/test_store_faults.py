"""Store faults an operator causes: files deleted or replaced, read-only files, Redis paused.

The README promises that the log explains when nothing is saved; these check that it does, and
that it never claims a write failed when Redis may still apply it.
"""
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from alexafsm.errors import ArgumentValueError
from alexafsm.extensions import Extensions
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import store_from_url
from tests.test_persistence import CounterPolicy
from tests.test_persistence import speech
from tests.test_persistence import turn
from tests.test_serve_cli import SKILL
from tests.test_serve_cli import run


def test_a_deleted_sqlite_folder_is_said_in_the_log_and_not_answered_as_saved(tmp_path, caplog):
    folder = tmp_path / 'data'
    folder.mkdir()
    extensions = Extensions(store=SqliteStore(folder / 'users.sqlite3'))
    assert speech(turn('Count', extensions)) == 'Count is 1.'
    shutil.rmtree(folder)
    with caplog.at_level(logging.ERROR):
        outs = [speech(turn('Count', extensions)) for _ in range(3)]
    assert outs == ['Count is 1.'] * 3  # no memory, as when the store is down, not 'Count is 2.'
    deleted = [r.getMessage() for r in caplog.records if 'database file was deleted' in
               r.getMessage()]
    assert len(deleted) == 4  # once when seen, then each turn that could not read
    assert 'restore it' in deleted[-1]


def test_a_replaced_sqlite_file_is_reopened(tmp_path, caplog):
    path = tmp_path / 'users.sqlite3'
    extensions = Extensions(store=SqliteStore(path))
    for _ in range(3):
        turn('Count', extensions)
    backup = SqliteStore(tmp_path / 'backup.sqlite3')
    assert backup.save('alice', json.dumps({'count': 10}), None)
    backup.close()
    with sqlite3.connect(path) as conn:
        conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    os.replace(tmp_path / 'backup.sqlite3', path)  # a backup restored under the running skill
    with caplog.at_level(logging.ERROR):
        assert speech(turn('Count', extensions)) == 'Count is 11.'
    assert 'database file was replaced' in caplog.text
    assert json.loads(SqliteStore(path).load('alice').text) == {'count': 11}


def _make_read_only(path) -> None:
    os.chmod(path, 0o444)
    if os.geteuid() == 0:  # root writes whatever the mode says; the immutable flag stops it
        if shutil.which('chattr') is None or subprocess.run(
                ['chattr', '+i', str(path)], capture_output=True).returncode != 0:
            pytest.skip('running as root on a file system without chattr +i')


def _make_writable(path) -> None:
    if os.geteuid() == 0:
        subprocess.run(['chattr', '-i', str(path)], capture_output=True)
    os.chmod(path, 0o644)


def test_a_read_only_sqlite_file_is_refused_at_start_once_and_clearly(tmp_path):
    path = tmp_path / 'users.sqlite3'
    SqliteStore(path).close()
    _make_read_only(path)
    try:
        with pytest.raises(ArgumentValueError, match='the file is read-only'):
            SqliteStore(path)
        result = run(SKILL, '--dev', '--store', f'sqlite:///{path}')
        assert result.exit_code == 1 and 'Serving' not in result.output
        assert result.output.count('read-only') == 1
    finally:
        _make_writable(path)


def test_a_file_that_is_no_database_is_refused_at_start_once_and_clearly(tmp_path):
    path = tmp_path / 'users.sqlite3'
    path.write_text('these are my notes, not a database\n' * 100)
    result = run(SKILL, '--dev', '--store', f'sqlite:///{path}')
    assert result.exit_code == 1 and 'Serving' not in result.output
    assert result.output.count('file is not a database') == 1


def test_a_write_redis_may_apply_after_a_pause_is_logged_as_unknown(redis_process, caplog):
    store = store_from_url(f"{redis_process.url}?timeout=0.2")
    pid = redis_process.process.pid

    class PausingCounter(CounterPolicy):
        def m_count(self):
            super().m_count()  # read: lock taken and record loaded; then Redis stops
            os.kill(pid, signal.SIGSTOP)  # as a VM pause or a long fork would
            threading.Timer(0.5, os.kill, (pid, signal.SIGCONT)).start()

    request_extensions = Extensions(store=store)
    turn('Count', request_extensions)
    with caplog.at_level(logging.ERROR):
        out = PausingCounter.initialize().handle(_alice_count(), extensions=request_extensions)
    assert speech(out) == 'Count is 2.'
    assert 'outcome is unknown' in caplog.text
    assert 'without saving' not in caplog.text
    time.sleep(0.8)  # the pause ends and Redis applies the write it held
    assert json.loads(store.load('alice').text) == {'count': 2}


def _alice_count() -> dict:
    from tests.helpers import intent_request
    request = intent_request('Count')
    request['session']['user']['userId'] = 'alice'
    request['context']['System']['user']['userId'] = 'alice'
    return request
