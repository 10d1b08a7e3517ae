"""Per-key locks of the stores: one user's turns queue, different users' turns never wait.

The load test over two servers is tests/test_concurrent_turns.py; these check the rules one by
one, in this process and (SQLite's file locks) across processes.
"""
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from alexafsm import response
from alexafsm.extensions import Extensions
from alexafsm.persistence import MemoryStore
from alexafsm.persistence import RedisStore
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import store_from_url
from alexafsm.persistence.locks import KeyLocks
from tests.helpers import intent_request
from tests.test_persistence import CounterPolicy
from tests.test_persistence import speech

REPO = Path(__file__).resolve().parents[1]


class SlowCounter(CounterPolicy):
    """Counts like CounterPolicy, but holds the record a while: two turns at once overlap."""

    def m_count(self):
        count = self.persistent_attributes.get('count', 0)
        time.sleep(0.002)
        self.persistent_attributes['count'] = count + 1


@pytest.mark.parametrize('make', [lambda tmp: MemoryStore(),
                                  lambda tmp: SqliteStore(tmp / 'locks.sqlite3')],
                         ids=['memory', 'sqlite'])
def test_one_users_turns_at_once_all_count_on_the_first_try(tmp_path, make):
    store = make(tmp_path)
    extensions = Extensions(store=store, max_attempts=1)  # no retry: a race is an apology
    answers = []

    def worker():
        for _ in range(10):
            out = SlowCounter.initialize().handle(intent_request('Count'), extensions=extensions)
            answers.append(speech(out))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert response.APOLOGY.speech not in answers
    assert json.loads(store.load('amzn1.ask.account.test').text) == {'count': 60}


@pytest.mark.parametrize('make', [lambda tmp: MemoryStore(lock_wait=0.05),
                                  lambda tmp: SqliteStore(tmp / 'l.sqlite3', lock_wait=0.05)],
                         ids=['memory', 'sqlite'])
def test_a_held_key_makes_its_user_wait_and_nobody_else(tmp_path, make):
    assert_queues_one_user_only(make(tmp_path))


def assert_queues_one_user_only(store) -> None:
    """A second lock of a held key waits out ``lock_wait``; another key's is taken at once."""
    release = store.lock('alice')
    assert release is not None
    other = []
    thread = threading.Thread(target=lambda: other.extend([store.lock('alice'),
                                                           store.lock('bob')]))
    thread.start()
    thread.join()
    alice, bob = other
    assert alice is None  # the wait ran out: that turn goes on unlocked
    assert bob is not None
    bob()
    release()
    again = store.lock('alice')
    assert again is not None
    again()


def test_every_turn_releases_its_key_answered_failed_or_unchanged():
    store = MemoryStore(lock_wait=0.05)
    extensions = Extensions(store=store)
    for intent in ('Count', 'Crash', None, 'Odd'):
        request = intent_request(intent) if intent else intent_request('Chat')
        CounterPolicy.initialize(request).handle(request, extensions=extensions)
    assert store._key_locks.held() == 0  # every turn let go of its key
    release = store.lock('amzn1.ask.account.test')
    assert release is not None
    release()


def test_key_locks_keep_keys_apart_and_let_go():
    locks = KeyLocks()
    assert locks.acquire('a', 1) and locks.acquire('b', 1)
    assert not locks.acquire('a', 0.01)
    assert locks.held() == 2
    locks.release('a')
    locks.release('b')
    assert locks.held() == 0


HOLD = """
import sys
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import store_from_url
store = SqliteStore(sys.argv[1])
release = store.lock('alice')
print('held', flush=True)
sys.stdin.readline()
"""


def test_sqlite_queues_one_users_turns_across_processes_and_a_dead_holder_lets_go(tmp_path):
    path = str(tmp_path / 'shared.sqlite3')
    store = SqliteStore(path, lock_wait=0.1)
    holder = subprocess.Popen([sys.executable, '-c', HOLD, path], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == 'held'
        assert store.lock('alice') is None  # another process holds it
        release = store.lock('bob')
        assert release is not None
        release()
        holder.kill()  # kill -9: the kernel drops its locks
        holder.wait(10)
        release = store.lock('alice')
        assert release is not None
        release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_redis_queues_one_user_and_nobody_else(redis_server):
    store = RedisStore.from_url(redis_server)
    store.lock_wait = 0.1
    assert_queues_one_user_only(store)


def test_a_locked_redis_turn_costs_the_round_trips_of_an_unlocked_one(redis_server):
    store = store_from_url(redis_server)
    extensions = Extensions(store=store)
    for _ in range(2):  # the scripts are loaded on first use
        CounterPolicy.initialize().handle(intent_request('Count'), extensions=extensions)
    sent = []
    execute = store.client.execute_command

    def counting(*args, **options):
        sent.append(args[0])
        return execute(*args, **options)

    store.client.execute_command = counting
    CounterPolicy.initialize().handle(intent_request('Count'), extensions=extensions)
    assert sent == ['EVALSHA', 'EVALSHA']  # lock and read in one script, save and unlock
    assert redis.Redis.from_url(redis_server).keys('lock:*') == []
    assert json.loads(store.load('amzn1.ask.account.test').text) == {'count': 3}
