"""Persistent attributes: loaded on first use, saved only when changed, no lost update, faults.

The counting skill below is shared with tests/test_redis_store.py: every Count turn adds one
to the user's persistent count, so a lost update shows up as a count that is too low.
"""
import json
import logging
import multiprocessing
import sqlite3
import threading
import time
from typing import Any
from typing import Optional

import pytest

from alexafsm import response
from alexafsm.extensions import Extensions
from alexafsm.extensions import StoreUnavailable
from alexafsm.extensions import device_key
from alexafsm.extensions import person_key
from alexafsm.persistence import MemoryStore
from alexafsm.persistence import SqliteStore
from alexafsm.persistence import host_extensions
from alexafsm.persistence import open_store
from alexafsm.persistence import store_from_url
from alexafsm.policy import Policy
from alexafsm.states import States
from alexafsm.states import with_transitions
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.helpers import over_the_wire
from tests.oracle import assert_valid_response


class CounterStates(States):
    skill_name = 'Counter'

    def initial(self):
        visits = self.persistent_attributes.get('count', 0)
        return response.Response(speech=f"Welcome. Your count is {visits}.", reprompt='Count?')

    @with_transitions({'trigger': 'Count', 'source': '*', 'after': 'm_count'})
    def counted(self):
        return response.Response(speech=f"Count is {self.persistent_attributes['count']}.",
                                 reprompt='Again?')

    @with_transitions({'trigger': 'Chat', 'source': '*'})
    def chatting(self):
        return response.Response(speech='Nice weather.', reprompt='Again?')

    @with_transitions({'trigger': 'Crash', 'source': '*', 'before': 'm_count'})
    def crashed(self):
        raise RuntimeError('skill bug after counting')

    @with_transitions({'trigger': 'Odd', 'source': '*', 'before': 'm_store_a_set'})
    def odd(self):
        return response.Response(speech='Stored.', reprompt='Again?')


class CounterPolicy(Policy):
    states_cls = CounterStates
    runs = 0  # how often m_count ran, in this process

    def m_count(self):
        type(self).runs += 1
        memory = self.persistent_attributes
        memory['count'] = memory.get('count', 0) + 1

    def m_store_a_set(self):
        self.persistent_attributes['things'] = object()


def turn(intent: Optional[str], extensions: Optional[Extensions], user: str = 'alice',
         **ids: Any) -> dict:
    """One turn of a new session of ``user``, checked by Amazon's model, as Alexa receives it."""
    request = intent_request(intent) if intent else base_request('LaunchRequest')
    request['session']['user']['userId'] = user
    request['context']['System']['user']['userId'] = user
    if 'person' in ids:
        request['context']['System']['person'] = {'personId': ids['person']}
    if 'device' in ids:
        request['context']['System']['device']['deviceId'] = ids['device']
    out = CounterPolicy.initialize(request).handle(request, extensions=extensions)
    assert_valid_response(out)
    return over_the_wire(out)


def speech(out: dict) -> str:
    return out['response']['outputSpeech']['text']


class Watched:
    """A store that counts the calls the core makes, around a real MemoryStore."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner or MemoryStore()
        self.loads = self.saves = 0

    def load(self, key):
        self.loads += 1
        return self.inner.load(key)

    def save(self, key, text, version):
        self.saves += 1
        return self.inner.save(key, text, version)

    def close(self):
        pass


def test_without_a_store_the_turn_apologizes_and_the_log_names_the_fix(caplog):
    with caplog.at_level(logging.ERROR):
        out = turn('Count', None)
    assert speech(out) == response.APOLOGY.speech
    assert 'no attributes store is configured' in caplog.text
    assert "store='sqlite:///skill.sqlite3'" in caplog.text and '--store' in caplog.text


def test_attributes_persist_across_sessions_per_user():
    extensions = Extensions(store=MemoryStore())
    assert [speech(turn('Count', extensions)) for _ in range(3)] == \
        ['Count is 1.', 'Count is 2.', 'Count is 3.']
    assert speech(turn(None, extensions)) == 'Welcome. Your count is 3.'
    assert speech(turn(None, extensions, user='bob')) == 'Welcome. Your count is 0.'


def test_loaded_on_first_use_only_and_saved_only_when_changed():
    store = Watched()
    extensions = Extensions(store=store)
    turn('Chat', extensions)
    assert (store.loads, store.saves) == (0, 0)
    turn(None, extensions)
    assert (store.loads, store.saves) == (1, 0)
    turn('Count', extensions)
    assert (store.loads, store.saves) == (2, 1)
    stored = json.loads(store.inner.load('alice').text)
    assert stored == {'count': 1}


def test_policy_and_states_share_one_mapping_and_nested_changes_are_saved():
    seen = []

    class Nested(CounterPolicy):
        def m_count(self):
            super().m_count()
            self.persistent_attributes.setdefault('history', []).append('count')
            seen.append(self.persistent_attributes is self.states.persistent_attributes)

    store = MemoryStore()
    request = intent_request('Count')
    for _ in range(2):
        Nested.initialize(request).handle(request, extensions=Extensions(store=store))
    assert seen == [True, True]
    assert json.loads(store.load('amzn1.ask.account.test').text) == \
        {'count': 2, 'history': ['count', 'count']}


def test_a_failed_turn_saves_nothing(caplog):
    store = MemoryStore()
    extensions = Extensions(store=store)
    turn('Count', extensions)
    with caplog.at_level(logging.ERROR):
        out = turn('Crash', extensions)
    assert speech(out) == response.APOLOGY.speech
    assert json.loads(store.load('alice').text) == {'count': 1}


def test_the_key_can_be_the_recognised_person_or_the_device():
    store = MemoryStore()
    by_person = Extensions(store=store, key=person_key)
    turn('Count', by_person, person='amzn1.ask.person.ann')
    turn('Count', by_person, person='amzn1.ask.person.ann')
    turn('Count', by_person)  # not recognised: the account's record
    by_device = Extensions(store=store, key=device_key)
    turn('Count', by_device, device='amzn1.ask.device.kitchen')
    assert json.loads(store.load('amzn1.ask.person.ann').text) == {'count': 2}
    assert json.loads(store.load('alice').text) == {'count': 1}
    assert json.loads(store.load('amzn1.ask.device.kitchen').text) == {'count': 1}


def test_a_request_without_the_key_gets_an_apology_naming_it(caplog):
    request = intent_request('Count')
    del request['session']['user']
    del request['context']['System']['user']
    with caplog.at_level(logging.ERROR):
        out = CounterPolicy.initialize().handle(request, extensions=Extensions(store=MemoryStore()))
    assert speech(out) == response.APOLOGY.speech
    assert 'stored per user_key(request), and this request has none' in caplog.text


def test_values_that_are_not_json_are_refused_with_their_key(caplog):
    store = MemoryStore()
    with caplog.at_level(logging.ERROR):
        out = turn('Odd', Extensions(store=store))
    assert speech(out) == response.APOLOGY.speech
    assert "persistent_attributes['things'] of 'alice' cannot be stored as JSON" in caplog.text
    assert store.load('alice') is None


class RacingStore(MemoryStore):
    """Another worker saves a Count of its own just before each of the first ``races`` saves."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, key, text, version):
        if self.races:
            self.races -= 1
            current = self.load(key)
            count = json.loads(current.text)['count'] if current else 0
            assert super().save(key, json.dumps({'count': count + 1}),
                                current.version if current else None)
        return super().save(key, text, version)


def test_a_conflict_runs_the_turn_again_on_the_fresh_data(caplog):
    store = RacingStore(races=2)
    CounterPolicy.runs = 0
    with caplog.at_level(logging.INFO, logger='alexafsm.policy'):
        out = turn('Count', Extensions(store=store))
    assert CounterPolicy.runs == 3  # the callbacks of a retried turn run again
    assert speech(out) == 'Count is 3.'  # two racing turns, then this one: none lost
    assert json.loads(store.load('alice').text) == {'count': 3}
    assert 'trying this turn again on the fresh data (attempt 3 of 3)' in caplog.text


def test_when_every_attempt_conflicts_the_turn_apologizes_and_saves_nothing(caplog):
    store = RacingStore(races=5)
    with caplog.at_level(logging.ERROR):
        out = turn('Count', Extensions(store=store, max_attempts=2))
    assert speech(out) == response.APOLOGY.speech
    assert json.loads(store.load('alice').text) == {'count': 2}  # only the racers counted
    assert "changed under each of 2 tries" in caplog.text


class Broken:
    """A store that is down: every call fails after ``delay`` seconds."""

    def __init__(self, fail_load: bool = True, delay: float = 0.0) -> None:
        self.fail_load = fail_load
        self.delay = delay
        self.inner = MemoryStore()

    def load(self, key):
        time.sleep(self.delay)
        if self.fail_load:
            raise StoreUnavailable('connection refused')
        return self.inner.load(key)

    def save(self, key, text, version):
        raise StoreUnavailable('disk full')

    def close(self):
        pass


def test_a_store_that_is_down_costs_the_turn_its_persistence_not_its_answer(caplog):
    availability = []

    class Checking(CounterPolicy):
        def m_count(self):
            availability.append(self.persistent_attributes.available)
            super().m_count()

    request = intent_request('Count')
    with caplog.at_level(logging.ERROR):
        out = Checking.initialize().handle(request, extensions=Extensions(store=Broken()))
    assert_valid_response(out)
    assert out.speech == 'Count is 1.'
    assert availability == [False]
    assert 'could not read the persistent attributes' in caplog.text
    assert 'connection refused' in caplog.text


def test_a_failed_save_is_logged_and_the_turn_keeps_its_answer(caplog):
    with caplog.at_level(logging.ERROR):
        out = turn('Count', Extensions(store=Broken(fail_load=False)))
    assert speech(out) == 'Count is 1.'
    assert "could not write the persistent attributes of 'alice'" in caplog.text
    assert 'disk full' in caplog.text


def test_a_corrupt_record_is_neither_used_nor_overwritten(caplog):
    store = MemoryStore()
    assert store.save('alice', '[1, 2', None)
    with caplog.at_level(logging.ERROR):
        out = turn('Count', Extensions(store=store))
    assert speech(out) == 'Count is 1.'
    assert store.load('alice').text == '[1, 2'
    assert 'are not a JSON object' in caplog.text


@pytest.mark.parametrize('make', [lambda tmp, clock: MemoryStore(ttl=60, clock=clock),
                                  lambda tmp, clock: SqliteStore(tmp / 'a.sqlite3', ttl=60,
                                                                 clock=clock)],
                         ids=['memory', 'sqlite'])
def test_store_compare_and_set_and_expiry(tmp_path, make):
    now = [1000.0]
    store = make(tmp_path, lambda: now[0])
    assert store.load('u') is None
    assert store.save('u', '{"a":1}', None)
    assert not store.save('u', '{"a":2}', None)  # someone else created it first
    first = store.load('u')
    assert first.text == '{"a":1}'
    assert store.save('u', '{"a":2}', first.version)
    assert not store.save('u', '{"a":3}', first.version)  # stale version
    assert store.load('u').text == '{"a":2}'
    now[0] += 59
    assert store.load('u').text == '{"a":2}'
    now[0] += 2
    assert store.load('u') is None  # idle for longer than the ttl
    assert store.save('u', '{"a":9}', None)  # a new record over the expired one
    assert store.load('u').text == '{"a":9}'
    now[0] += 61
    assert store.purge() == 1
    assert store.load('u') is None


def test_sqlite_busy_beyond_its_timeout_skips_persistence_quickly(tmp_path, caplog):
    path = tmp_path / 'busy.sqlite3'
    store = SqliteStore(path, timeout=0.2)
    extensions = Extensions(store=store)
    turn('Count', extensions)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute('BEGIN EXCLUSIVE')  # another process holds the write lock
    try:
        with caplog.at_level(logging.ERROR):
            start = time.perf_counter()
            out = turn('Count', extensions)
            elapsed = time.perf_counter() - start
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    assert speech(out) == 'Count is 2.'
    assert elapsed < 0.6
    assert 'could not write the persistent attributes' in caplog.text
    assert 'database is locked' in caplog.text
    assert json.loads(store.load('alice').text) == {'count': 1}  # intact, not half-written


def _count_in_process(path: str, turns: int, results) -> None:
    store = SqliteStore(path)
    extensions = Extensions(store=store, max_attempts=1000)
    apologies = 0
    for _ in range(turns):
        out = CounterPolicy.initialize().handle(intent_request('Count'), extensions=extensions)
        apologies += speech(out) == response.APOLOGY.speech
    results.put((apologies, CounterPolicy.runs))


@pytest.mark.integration
def test_sqlite_loses_no_update_with_several_processes_on_one_file(tmp_path):
    path = str(tmp_path / 'shared.sqlite3')
    SqliteStore(path)
    processes, turns = 4, 50
    context = multiprocessing.get_context('spawn')  # forking a threaded pytest may deadlock
    results = context.Queue()
    CounterPolicy.runs = 0
    workers = [context.Process(target=_count_in_process, args=(path, turns, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    assert [apologies for apologies, _ in outcomes] == [0] * processes
    count = json.loads(SqliteStore(path).load('amzn1.ask.account.test').text)['count']
    assert count == processes * turns
    runs = sum(r for _, r in outcomes)
    assert runs >= count  # callbacks of turns that lost a race ran again


def test_with_default_attempts_every_answered_turn_counts_exactly_once(tmp_path):
    store = SqliteStore(tmp_path / 'threads.sqlite3')
    extensions = Extensions(store=store)
    answered = []

    def worker():
        for _ in range(30):
            out = CounterPolicy.initialize().handle(intent_request('Count'),
                                                    extensions=extensions)
            answered.append(speech(out) != response.APOLOGY.speech)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count = json.loads(store.load('amzn1.ask.account.test').text)['count']
    assert count == sum(answered)
    assert count > 0


@pytest.mark.parametrize('url, kind, ttl', [
    ('memory://', MemoryStore, None),
    ('memory://?ttl=60', MemoryStore, 60.0),
    ('sqlite:///rel.sqlite3?ttl=3600&timeout=0.1', SqliteStore, 3600.0),
])
def test_store_from_url(url, kind, ttl, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = store_from_url(url)
    assert isinstance(store, kind) and store.ttl == ttl
    if kind is SqliteStore:
        assert store.path == 'rel.sqlite3' and store.timeout == 0.1
        assert (tmp_path / 'rel.sqlite3').exists()


def test_store_from_url_with_an_absolute_sqlite_path(tmp_path):
    store = store_from_url(f"sqlite:///{tmp_path}/abs.sqlite3")  # sqlite:// + /abs/path
    assert store.path == f"{tmp_path}/abs.sqlite3"
    assert store.save('k', '{}', None) and store.load('k').text == '{}'


@pytest.mark.parametrize('url, message', [
    ('postgres://db/x', "unknown store URL 'postgres://db/x': use memory://"),
    ('sqlite://', 'names no file'),
    ('sqlite:///:memory:', 'for a store in memory use memory://'),
    ('sqlite://host/x.db', "names a host ('host')"),
    ('sqlite:///no/such/folder/x.db', 'the folder'),
    ('sqlite:///x.db?ttl=-5', 'ttl in store URL'),
    ('sqlite:///x.db?ttl=soon', "must be a positive number of seconds, got 'soon'"),
    ('sqlite:///x.db?prefix=a', "unknown option 'prefix'"),
    ('memory://somewhere', 'takes no host or path'),
    ('redis://localhost/0?timeout=0', 'timeout in store URL'),
])
def test_bad_store_urls_name_the_mistake(url, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as error:
        store_from_url(url)
    assert message in str(error.value)


def test_open_store_takes_urls_stores_or_nothing(tmp_path):
    store = MemoryStore()
    assert open_store(store) is store
    assert open_store(None) is None
    assert isinstance(open_store('memory://'), MemoryStore)
    with pytest.raises(TypeError, match='store must be a URL'):
        open_store(42)


def test_extensions_refuse_a_url_where_a_store_belongs():
    with pytest.raises(TypeError, match='store_from_url'):
        Extensions(store='sqlite:///x.db')
    with pytest.raises(ValueError, match='max_attempts'):
        Extensions(max_attempts=0)


def test_the_policy_class_can_carry_the_store(tmp_path):
    class Remembering(CounterPolicy):
        extensions = Extensions(store=SqliteStore(tmp_path / 'class.sqlite3'))

    request = intent_request('Count')
    outs = [Remembering.initialize(request).handle(request) for _ in range(2)]
    assert [o.speech for o in outs] == ['Count is 1.', 'Count is 2.']



def test_host_extensions_open_the_store_once_and_stay_out_of_the_way_without_options(tmp_path):
    assert host_extensions() is None
    extensions = host_extensions(store=f"sqlite:///{tmp_path}/host.sqlite3")
    assert isinstance(extensions.store, SqliteStore) and extensions.analytics == []
    outs = [turn('Count', extensions) for _ in range(2)]
    assert [speech(o) for o in outs] == ['Count is 1.', 'Count is 2.']
    with pytest.raises(ValueError, match='unknown store URL'):
        host_extensions(store='mysql://db')
    with pytest.raises(TypeError, match='track\\(request, response\\)'):
        host_extensions(analytics='turns.jsonl')
