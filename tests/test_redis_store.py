"""RedisStore against a real redis-server on loopback: compare-and-set, expiry, no lost update,
and turns that keep answering, quickly, while the server is paused or killed."""
import json
import logging
import threading
import time

import pytest
import redis

from alexafsm import response
from alexafsm.extensions import Extensions
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence import RedisStore
from alexafsm.persistence import store_from_url
from tests.helpers import intent_request
from tests.test_persistence import CounterPolicy
from tests.test_persistence import speech
from tests.test_persistence import turn

USER = 'amzn1.ask.account.test'


def stored_count(store: RedisStore, user: str = USER) -> int:
    return json.loads(store.load(user).text)['count']


def test_compare_and_set_on_the_server(redis_server):
    store = store_from_url(redis_server)
    assert isinstance(store, RedisStore)
    assert store.load('u') is None
    assert store.save('u', '{"a":1}', None)
    assert not store.save('u', '{"a":2}', None)
    first = store.load('u')
    assert first.text == '{"a":1}'
    assert store.save('u', '{"a":2}', first.version)
    assert not store.save('u', '{"a":3}', first.version)
    assert store.load('u').text == '{"a":2}'
    raw = redis.Redis.from_url(redis_server)
    assert raw.hgetall('alexafsm:attributes:u') == {b'd': b'{"a":2}', b'v': b'2'}
    assert raw.ttl('alexafsm:attributes:u') == -1  # no ttl: kept until deleted


def test_ttl_expires_idle_users_and_prefix_separates_skills(redis_server):
    store = store_from_url(f"{redis_server}?ttl=0.3&prefix=pizza:")
    assert store.save('u', '{"a":1}', None)
    raw = redis.Redis.from_url(redis_server)
    assert 0 < raw.pttl('pizza:u') <= 300
    other = store_from_url(redis_server)
    assert other.load('u') is None  # another prefix, another skill
    time.sleep(0.4)
    assert store.load('u') is None
    assert store.save('u', '{"a":2}', None)


def test_a_skill_remembers_users_across_sessions(redis_server):
    extensions = Extensions(store=store_from_url(redis_server))
    assert [speech(turn('Count', extensions)) for _ in range(3)] == \
        ['Count is 1.', 'Count is 2.', 'Count is 3.']
    assert speech(turn(None, extensions)) == 'Welcome. Your count is 3.'
    assert speech(turn(None, extensions, user='bob')) == 'Welcome. Your count is 0.'


def test_no_lost_update_with_many_threads_on_one_user(redis_server):
    store = store_from_url(redis_server)
    extensions = Extensions(store=store, max_attempts=1000)
    threads_count, turns = 8, 40
    answers, errors = [], []

    def worker():
        try:
            for _ in range(turns):
                out = CounterPolicy.initialize().handle(intent_request('Count'),
                                                        extensions=extensions)
                answers.append(speech(out))
        except Exception as error:  # collected: assertion errors in threads are otherwise lost
            errors.append(error)

    CounterPolicy.runs = 0
    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert response.APOLOGY.speech not in answers
    assert stored_count(store) == threads_count * turns
    assert sorted(answers, key=lambda s: int(s.split()[2][:-1])) == \
        [f"Count is {n}." for n in range(1, threads_count * turns + 1)]  # each count said once


def test_a_paused_server_costs_a_turn_its_timeout_not_its_answer(redis_server, caplog):
    store = store_from_url(f"{redis_server}?timeout=0.2")
    extensions = Extensions(store=store)
    turn('Count', extensions)
    redis.Redis.from_url(redis_server).execute_command('CLIENT', 'PAUSE', 600, 'ALL')
    with caplog.at_level(logging.ERROR):
        start = time.perf_counter()
        out = turn('Count', extensions)
        elapsed = time.perf_counter() - start
    assert speech(out) == 'Count is 1.'  # an empty memory, as for a new user
    assert elapsed < 0.5
    assert 'could not read the persistent attributes' in caplog.text
    assert 'Timeout' in caplog.text
    time.sleep(0.5)
    assert stored_count(store, 'alice') == 1  # what was stored before is intact


def test_turns_keep_answering_when_the_server_is_killed(start_redis, caplog):
    server = start_redis(appendonly=True)
    store = store_from_url(server.url)
    extensions = Extensions(store=store)
    for _ in range(5):
        turn('Count', extensions)
    server.kill()
    latencies = []
    with caplog.at_level(logging.ERROR):
        for _ in range(20):
            start = time.perf_counter()
            out = turn('Count', extensions)
            latencies.append(time.perf_counter() - start)
            assert speech(out) == 'Count is 1.'
    assert max(latencies) < 0.3
    errors = [r for r in caplog.records if 'could not read the persistent attributes' in
              r.getMessage()]
    assert len(errors) == 20 and 'ConnectionError' in errors[0].getMessage()
    with pytest.raises(StoreUnavailable):
        store.load('alice')
    server.start()  # same folder: the append-only file holds what was saved before the kill
    assert stored_count(store, 'alice') == 5  # and the first read reconnects by itself
    assert speech(turn('Count', extensions)) == 'Count is 6.'


def test_a_store_on_a_port_where_nothing_listens_fails_fast():
    store = store_from_url('redis://127.0.0.1:1/0')
    start = time.perf_counter()
    with pytest.raises(StoreUnavailable, match='redis://127.0.0.1:1/0: ConnectionError'):
        store.load('u')
    with pytest.raises(StoreUnavailable):
        store.save('u', '{}', None)
    assert time.perf_counter() - start < 0.5


def test_passwords_stay_out_of_messages():
    store = store_from_url('redis://user:hunter2@127.0.0.1:1/0')
    with pytest.raises(StoreUnavailable) as error:
        store.load('u')
    assert 'hunter2' not in str(error.value) and 'user:***@127.0.0.1:1' in str(error.value)
    assert 'hunter2' not in repr(store)
