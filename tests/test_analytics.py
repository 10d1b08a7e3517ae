"""Analytics never slow a turn: the background worker's queue, deadlines, drops and shutdown,
and the JSON-lines and VoiceLabs back ends, the latter on the real ``voicelabs`` package."""
import json
import logging
import multiprocessing
import threading
import time

import pytest

from alexafsm import background
from alexafsm.analytics import JsonLines
from alexafsm.analytics import VoiceLabs
from alexafsm.background import Worker
from alexafsm.extensions import Extensions
from alexafsm.request import parse
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.oracle import assert_valid_response
from tests.test_policy import SearchPolicy


@pytest.fixture
def release():
    """An event that hanging calls wait on, set at teardown so their threads end."""
    gate = threading.Event()
    yield gate
    gate.set()


def runner_threads(worker: Worker) -> int:
    return sum(1 for t in threading.enumerate() if t.name == f"{worker.name}-runner")


def test_events_run_in_order_and_are_counted():
    worker = Worker(name='order')
    seen = []
    for n in range(50):
        assert worker.submit(seen.append, n)
    assert worker.flush(2)
    assert seen == list(range(50))
    assert worker.stats == background.Stats(50, 50, 0, 0, 0, 0)


def test_failures_are_counted_and_logged_once_per_interval(caplog):
    worker = Worker(name='failing')

    def broken(n):
        raise ConnectionError(f'service gone {n}')

    with caplog.at_level(logging.WARNING, logger='alexafsm.background'):
        for n in range(5):
            worker.submit(broken, n)
        assert worker.flush(2)
    assert worker.stats.failed == 5
    reports = [r for r in caplog.records if 'failed' in r.getMessage()]
    assert len(reports) == 1
    assert 'test_failures_are_counted_and_logged_once_per_interval.<locals>.broken' in \
        reports[0].getMessage()
    assert 'service gone 0' in caplog.text  # the first failure with its traceback


def test_a_full_queue_drops_and_counts_without_blocking(release):
    worker = Worker(name='full', max_queue=10, deadline=5)
    start = time.perf_counter()
    queued = [worker.submit(release.wait) for _ in range(1000)]
    elapsed = time.perf_counter() - start
    assert elapsed < 0.1
    stats = worker.stats
    assert stats.submitted == 1000
    assert stats.dropped == queued.count(False) >= 1000 - 11  # 10 queued, maybe 1 running
    release.set()
    assert worker.flush(2)


def test_an_event_past_its_deadline_is_left_behind_and_the_queue_goes_on(release, caplog):
    worker = Worker(name='deadline', deadline=0.1)
    ran = threading.Event()
    with caplog.at_level(logging.WARNING, logger='alexafsm.background'):
        start = time.perf_counter()
        worker.submit(release.wait)
        worker.submit(ran.set)
        assert ran.wait(1)
        elapsed = time.perf_counter() - start
    assert 0.09 < elapsed < 0.5
    assert worker.flush(1)
    assert worker.stats.timed_out == 1 and worker.stats.completed == 1
    assert 'still running after its deadline of 0.1 s' in caplog.text


def test_hung_events_hold_at_most_max_stuck_threads(release):
    worker = Worker(name='stuck', deadline=0.02, max_stuck=2)
    ran = threading.Event()
    for _ in range(5):
        worker.submit(release.wait)
    worker.submit(ran.set)
    time.sleep(0.3)
    assert runner_threads(worker) <= 3  # two hung, at most one more waiting for its turn
    assert not ran.is_set()  # the queue waits rather than starting a thread per hung event
    release.set()
    assert ran.wait(2)
    assert worker.flush(2)


def test_close_returns_within_its_timeout_while_an_event_hangs(release, caplog):
    worker = Worker(name='closing', deadline=10)
    worker.submit(release.wait)
    for _ in range(5):
        worker.submit(time.sleep, 0)
    time.sleep(0.05)
    with caplog.at_level(logging.WARNING, logger='alexafsm.background'):
        start = time.perf_counter()
        clean = worker.close(timeout=0.3)
        elapsed = time.perf_counter() - start
    assert clean is False
    assert elapsed < 0.45
    assert not worker.submit(time.sleep, 0)  # closed: refused, counted
    stats = worker.stats
    assert stats.dropped == 6 and stats.timed_out == 1
    assert 'closed with 5 events still queued' in caplog.text


def test_close_runs_what_is_queued():
    worker = Worker(name='drain')
    seen = []
    for n in range(20):
        worker.submit(seen.append, n)
    assert worker.close(timeout=2) is True
    assert seen == list(range(20))


def _submit_in_child(worker: Worker, results) -> None:
    seen = []
    worker.submit(seen.append, 'child')
    results.put((worker.flush(2), seen))


# Forking a process that runs threads is the point: servers such as gunicorn fork workers from a
# parent whose analytics thread may already run. Python 3.12+ warns about exactly that.
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded:DeprecationWarning')
def test_a_forked_child_starts_its_own_thread():
    worker = Worker(name='forked')
    worker.submit(time.sleep, 0)
    assert worker.flush(1)
    context = multiprocessing.get_context('fork')
    results = context.Queue()
    child = context.Process(target=_submit_in_child, args=(worker, results))
    child.start()
    assert results.get(timeout=10) == (True, ['child'])
    child.join(5)


class Hanging:
    """An analytics back end whose service hangs: every call blocks for ``seconds``."""

    def __init__(self, gate: threading.Event, seconds: float) -> None:
        self.gate = gate
        self.seconds = seconds
        self.calls = 0

    def track(self, request, response):
        self.calls += 1
        self.gate.wait(self.seconds)


def test_a_hanging_back_end_adds_no_blocking_to_turns(release):
    worker = Worker(name='hanging', max_queue=100, deadline=2)
    backend = Hanging(release, seconds=2)
    extensions = Extensions(analytics=backend, worker=worker)
    request = intent_request('Search', {'Query': 'pizza'})
    start = time.perf_counter()
    for _ in range(200):
        out = SearchPolicy.initialize(request).handle(request, extensions=extensions)
    elapsed = time.perf_counter() - start
    assert_valid_response(out)
    assert out['response']['outputSpeech']['text'] == 'You asked for pizza.'
    assert elapsed < 1.0  # 200 turns; the back end alone would take 2 s for one of them
    stats = worker.stats
    assert stats.submitted == 200 and 99 <= stats.dropped <= 100  # 100 queued, 1 running
    deadline = time.monotonic() + 1
    while not backend.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert backend.calls == 1  # the first turn's event hangs in the back end, the rest wait
    start = time.perf_counter()
    assert worker.close(timeout=0.2) is False
    assert time.perf_counter() - start < 0.35


def test_trackers_of_the_policy_class_and_of_the_host_both_get_each_turn(tmp_path):
    worker = Worker(name='both')
    seen = []

    class Recorder:
        def __init__(self, name):
            self.name = name

        def track(self, request, response):
            seen.append((self.name, request.intent_name,
                         response['response']['outputSpeech']['text']))

    class Tracked(SearchPolicy):
        extensions = Extensions(analytics=Recorder('skill'), worker=worker)

    Tracked.initialize().handle(intent_request('Search', {'Query': 'tea'}),
                                extensions=Extensions(analytics=[Recorder('host')]))
    assert worker.flush(2)
    assert seen == [('skill', 'Search', 'You asked for tea.'),
                    ('host', 'Search', 'You asked for tea.')]


def test_json_lines_sink_writes_the_recording_format_with_tokens_redacted(tmp_path):
    path = tmp_path / 'turns.jsonl'
    worker = Worker(name='jsonl')
    extensions = Extensions(analytics=JsonLines(path), worker=worker)
    request = intent_request('Search', {'Query': 'x'})
    request['session']['user']['accessToken'] = 'secret-token'
    outs = [SearchPolicy.initialize().handle(request, extensions=extensions) for _ in range(3)]
    assert worker.flush(2)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 3
    assert lines[0][0]['session']['user']['accessToken'] == 'REDACTED'
    assert lines[0][0]['request'] == request['request']
    assert lines[2][1] == json.loads(outs[2].text)
    assert request['session']['user']['accessToken'] == 'secret-token'  # the turn's own copy


def test_json_lines_sink_refuses_a_path_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="cannot write analytics to .*existing, writable folder"):
        JsonLines(tmp_path / 'missing' / 'turns.jsonl')


class FakeInsights:
    """Records VoiceInsights calls, deduplicating sessions as the real package does."""

    log: list = []

    def __init__(self):
        self.session = None
        FakeInsights.log.append(('new',))

    def initialize(self, app_token, session):
        if self.session is not None and self.session['sessionId'] == session['sessionId']:
            return
        self.session = session
        FakeInsights.log.append(('initialize', app_token, session['sessionId']))

    def track(self, intent_name, intent_request, response):
        FakeInsights.log.append(('track', self.session['sessionId'], intent_name))


def session_request(session_id, intent=None, kind='IntentRequest'):
    request = intent_request(intent) if intent else base_request(kind)
    request['session']['sessionId'] = session_id
    return request


def test_voicelabs_initializes_each_session_once_and_tracks_each_intent():
    FakeInsights.log = []
    worker = Worker(name='voicelabs')
    extensions = Extensions(analytics=VoiceLabs('token', insights_factory=FakeInsights),
                            worker=worker)
    turns = [session_request('s1', kind='LaunchRequest'), session_request('s1', 'Search'),
             session_request('s2', 'AMAZON.HelpIntent'), session_request('s1', 'Search'),
             session_request('s2', kind='SessionEndedRequest'),
             session_request('s2', 'AMAZON.HelpIntent')]
    for request in turns:
        SearchPolicy.initialize().handle(request, extensions=extensions)
    assert worker.flush(2)
    assert FakeInsights.log == [
        ('new',), ('initialize', 'token', 's1'), ('track', 's1', 'Search'),
        ('new',), ('initialize', 'token', 's2'), ('track', 's2', 'AMAZON.HelpIntent'),
        ('track', 's1', 'Search'),
        ('new',), ('initialize', 'token', 's2'), ('track', 's2', 'AMAZON.HelpIntent')]


def test_voicelabs_keeps_only_the_most_recent_sessions():
    FakeInsights.log = []
    voicelabs = VoiceLabs('token', max_sessions=2, insights_factory=FakeInsights)
    for session_id in ('a', 'b', 'c', 'a'):
        voicelabs.track(parse(session_request(session_id, 'Search')), {})
    assert [e for e in FakeInsights.log if e[0] == 'initialize'] == \
        [('initialize', 'token', s) for s in ('a', 'b', 'c', 'a')]  # 'a' was forgotten


def test_voicelabs_needs_its_token(monkeypatch):
    monkeypatch.delenv('VOICELABS_API_KEY', raising=False)
    with pytest.raises(ValueError, match='set the environment variable VOICELABS_API_KEY'):
        VoiceLabs()
    monkeypatch.setenv('VOICELABS_API_KEY', 'from-env')
    assert VoiceLabs().api_key == 'from-env'


def test_voicelabs_on_the_real_package_sends_its_events_off_the_request_path(monkeypatch):
    import voicelabs.voicelabs as package
    posted = []

    def slow_post(url, params, data, headers, timeout):
        time.sleep(0.3)  # a slow service; the package's own timeout is 1 s per call
        posted.append(json.loads(data))

    monkeypatch.setattr(package.requests, 'post', slow_post)
    worker = Worker(name='voicelabs-real')
    extensions = Extensions(analytics=VoiceLabs('app-token'), worker=worker)
    start = time.perf_counter()
    for query in ('pizza', 'tea'):
        out = SearchPolicy.initialize().handle(intent_request('Search', {'Query': query}),
                                               extensions=extensions)
    assert time.perf_counter() - start < 0.2
    assert out['response']['outputSpeech']['text'] == 'You asked for tea.'
    assert worker.flush(5)
    assert [(e['event_type'], e.get('intent')) for e in posted] == \
        [('INITIALIZE', None), ('SPEECH', 'Search'), ('SPEECH', 'Search')]
    assert {e['app_token'] for e in posted} == {'app-token'}
    assert [e['data']['speech'] for e in posted[1:]] == ['You asked for pizza.',
                                                         'You asked for tea.']


def test_0_1_11_voice_insights_argument_runs_in_the_background(monkeypatch, release):
    monkeypatch.setenv('VOICELABS_API_KEY', 'key')
    calls = []

    class SlowVoiceInsights:
        def initialize(self, token, session):
            release.wait(1)
            calls.append(('initialize', token, session['sessionId']))

        def track(self, intent_name, intent_request, response):
            calls.append(('track', intent_name))
            raise ConnectionError('service gone')

    start = time.perf_counter()
    out = SearchPolicy.initialize().handle(intent_request('Search', {'Query': 'x'}),
                                           SlowVoiceInsights())
    assert time.perf_counter() - start < 0.5
    assert out.speech == 'You asked for x.'
    release.set()
    assert background.shared().flush(5)
    assert calls == [('initialize', 'key', 'amzn1.echo-api.session.test'), ('track', 'Search')]


@pytest.mark.parametrize('options, message', [
    ({'max_queue': 0}, 'max_queue must be a positive number of events'),
    ({'deadline': 0}, 'deadline must be a positive number of seconds'),
    ({'max_stuck': 0}, 'max_stuck must be a positive number of threads'),
])
def test_worker_settings_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        Worker(**options)
