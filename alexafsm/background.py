"""Work that must not slow a turn down: a bounded queue drained by a background thread.

Analytics services are slow or gone at times, and their client libraries block for seconds when
they are. Alexa waits for the skill's answer, so such calls never run on the request path: the
turn ``submit``\\ s them and returns at once. ``submit`` never blocks; when the queue is full the
event is dropped and counted, because an analytics event is worth less than a user's turn.

Each event gets a deadline. A thread cannot be killed, so an event that overruns is abandoned:
it keeps its thread, which ends when the call finally returns, and the next events go on in a
new one. At most ``max_stuck`` such threads exist; beyond that the queue waits for one of them
(and fills up, and drops) instead of piling up threads. ``close(timeout)`` returns within its
timeout even while an event hangs. Threads start on the first ``submit``, and again in a child
process after a fork (gunicorn's pre-fork workers), since threads do not survive a fork.

    worker = Worker(max_queue=1000, deadline=2.0)
    worker.submit(send_event, request, response)   # returns at once: True queued, False dropped
    worker.close(timeout=1.0)

On AWS Lambda the environment is frozen between invocations, so queued events go out during the
next invocations, or never if Lambda discards the environment.
"""
import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from typing import Any
from typing import Callable
from typing import Deque
from typing import NamedTuple
from typing import Optional
from typing import Tuple

from alexafsm.errors import ArgumentValueError

__all__ = ['EXIT_TIMEOUT', 'Event', 'Stats', 'Worker', 'shared']

logger = logging.getLogger(__name__)

#: How long interpreter exit waits for queued events, so a JSON-lines sink gets its last lines.
EXIT_TIMEOUT = 1.0

#: How often a failing or hanging event is logged in full; the others in between are counted.
_LOG_INTERVAL = 60.0

Event = Tuple[Callable[..., Any], Tuple[Any, ...]]


class Stats(NamedTuple):
    """What happened to the events submitted so far, for logs, metrics and tests."""
    submitted: int
    completed: int
    failed: int
    timed_out: int
    dropped: int
    queued: int


class _Job:
    """One event handed to a runner; ``done`` and ``error`` are set under the worker's lock."""

    __slots__ = ('event', 'done', 'error')

    def __init__(self, event: Event) -> None:
        self.event = event
        self.done = False
        self.error: Optional[BaseException] = None


class _Runner:
    """A thread that runs one event at a time for the worker, until abandoned or stopped."""

    def __init__(self, name: str, progress: threading.Condition) -> None:
        self.progress = progress
        self.inbox: Deque[Optional[_Job]] = deque()
        self.ready = threading.Semaphore(0)
        self.abandoned = False
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def run(self, event: Event) -> _Job:
        job = _Job(event)
        self.inbox.append(job)
        self.ready.release()
        return job

    def stop(self) -> None:
        self.inbox.append(None)
        self.ready.release()

    def _loop(self) -> None:
        while True:
            self.ready.acquire()
            job = self.inbox.popleft()
            if job is None:
                return
            fn, args = job.event
            error = None
            try:
                fn(*args)
            except BaseException as exception:  # reported by the worker, which owns the logging
                error = exception
            with self.progress:
                job.done, job.error = True, error
                self.progress.notify_all()
            if self.abandoned:
                return


class Worker:
    """A bounded queue of calls and the thread that runs them, each within ``deadline`` seconds.

    Share one per process: every call of every turn goes through the same queue, so
    ``max_queue`` bounds the memory that a dead analytics service can make the process hold.
    """

    def __init__(self, name: str = 'alexafsm-background', max_queue: int = 1000,
                 deadline: float = 2.0, max_stuck: int = 4) -> None:
        if not isinstance(max_queue, int) or max_queue < 1:
            raise ArgumentValueError(
                f"max_queue must be a positive number of events, got {max_queue!r}")
        if not isinstance(deadline, (int, float)) or not deadline > 0:
            raise ArgumentValueError(
                f"deadline must be a positive number of seconds, got {deadline!r}")
        if not isinstance(max_stuck, int) or max_stuck < 1:
            raise ArgumentValueError(
                f"max_stuck must be a positive number of threads, got {max_stuck!r}")
        self.name = name
        self.max_queue = max_queue
        self.deadline = float(deadline)
        self.max_stuck = max_stuck
        self._reset()
        _WORKERS.add(self)

    def _reset(self) -> None:
        """Fresh queue, counters and no threads: at start-up, and in a child after a fork."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)  # the dispatcher, idle: events to run
        self._progress = threading.Condition(self._lock)  # flush, close, _run: events finished
        self._items: Deque[Event] = deque()
        self._unfinished = 0
        self._closed = False
        self._close_by: Optional[float] = None
        self._thread: Optional[threading.Thread] = None
        self._idle: Optional[_Runner] = None
        self._stuck: list = []
        self._submitted = self._completed = self._failed = self._timed_out = self._dropped = 0
        self._cut = 0  # queued events dropped by close(), as opposed to refused by submit()
        self._logged_at = -_LOG_INTERVAL
        self._unlogged = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Queue ``fn(*args)`` and return at once: True if queued, False if dropped.

        Dropping instead of waiting is the point: a full queue means the back end cannot keep up,
        and making users wait would not help it.
        """
        with self._lock:
            self._submitted += 1
            if self._closed or len(self._items) >= self.max_queue:
                self._dropped += 1
                return False
            self._items.append((fn, args))
            self._unfinished += 1
            if self._thread is None:
                self._start()
            self._wakeup.notify()
        return True

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._dispatch, name=self.name, daemon=True)
        self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Wait until every event submitted so far has run, timed out or been dropped.

        For tests and for the end of a batch job; a request handler must never wait on it.
        Returns False when ``timeout`` ran out first.
        """
        end = time.monotonic() + timeout
        with self._lock:
            while self._unfinished:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._progress.wait(left)
        return True

    def close(self, timeout: float = EXIT_TIMEOUT) -> bool:
        """Stop taking events and run the queued ones for at most ``timeout`` seconds.

        Returns True when every queued event ran; what is left after the timeout is dropped
        and counted, and a hanging event is left to its thread, so this never hangs.
        """
        end = time.monotonic() + timeout
        with self._lock:
            lost_before = self._cut + self._timed_out
            self._closed = True
            self._close_by = end
            thread = self._thread
            self._wakeup.notify_all()
            self._progress.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, end - time.monotonic()) + 0.05)  # the thread wakes at `end`
        with self._lock:
            dropped = self._drop_queued()  # what the thread, held up by a hung event, left
            clean = self._unfinished == 0 and self._cut + self._timed_out == lost_before
        self._log_dropped(dropped)
        return clean

    @property
    def stats(self) -> Stats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return Stats(self._submitted, self._completed, self._failed, self._timed_out,
                         self._dropped, len(self._items))

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not self._items and not self._closed:
                    self._wakeup.wait()
                if not self._items:
                    return
                dropped = 0
                if self._close_by is not None and time.monotonic() >= self._close_by:
                    dropped = self._drop_queued()
                else:
                    event = self._items.popleft()
            if dropped:
                self._log_dropped(dropped)
                return
            self._run(event)
            with self._lock:
                self._unfinished -= 1
                self._progress.notify_all()

    def _drop_queued(self) -> int:
        """At the close deadline: what is still queued will not run (called under the lock)."""
        left = len(self._items)
        self._items.clear()
        self._dropped += left
        self._cut += left
        self._unfinished -= left
        self._progress.notify_all()
        return left

    def _log_dropped(self, count: int) -> None:
        if count:
            logger.warning("%s closed with %d events still queued; they were dropped",
                           self.name, count)

    def _run(self, event: Event) -> None:
        self._wait_for_stuck()
        if self._close_by is not None and time.monotonic() >= self._close_by:
            with self._lock:
                self._dropped += 1  # closed while waiting for a hung thread: too late to start
                self._cut += 1
            return
        runner = self._idle or _Runner(f"{self.name}-runner", self._progress)
        self._idle = None
        job = runner.run(event)
        give_up = time.monotonic() + self.deadline
        with self._lock:
            while not job.done:
                end = give_up if self._close_by is None else min(give_up, self._close_by)
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._progress.wait(left)
            if job.done:
                if job.error is None:
                    self._completed += 1
                else:
                    self._failed += 1
            else:
                self._timed_out += 1
        if job.done:
            self._idle = runner
            if job.error is not None:
                self._report(event, job.error, "failed")
            return
        runner.abandoned = True
        runner.stop()
        self._stuck.append(runner)
        when = ("when the worker closed" if time.monotonic() < give_up
                else f"after its deadline of {self.deadline:g} s")
        self._report(event, None, f"was still running {when} and was left to its thread")

    def _wait_for_stuck(self) -> None:
        """Bound the threads that hung events hold: wait for one to finish when there are many."""
        self._stuck = [r for r in self._stuck if r.thread.is_alive()]
        while len(self._stuck) >= self.max_stuck:
            close_by = self._close_by
            wait = self.deadline if close_by is None else close_by - time.monotonic()
            if wait <= 0:
                return
            self._stuck[0].thread.join(min(wait, 0.05))
            self._stuck = [r for r in self._stuck if r.thread.is_alive()]

    def _report(self, event: Event, error: Optional[BaseException], what: str) -> None:
        """Log the first problem in full and then one line per _LOG_INTERVAL, not one per event.

        A dead service fails every event; a log line for each would bury everything else.
        """
        now = time.monotonic()
        if now - self._logged_at < _LOG_INTERVAL:
            self._unlogged += 1
            return
        fn = event[0]
        name = getattr(fn, '__qualname__', None) or repr(fn)
        suffix = (f" ({self._unlogged} more events failed or hung since the last report)"
                  if self._unlogged else '')
        self._logged_at, self._unlogged = now, 0
        stats = self.stats
        logger.warning("%s: background call %s %s%s; so far %d completed, %d failed, %d timed "
                       "out, %d dropped", self.name, name, what, suffix, stats.completed,
                       stats.failed, stats.timed_out, stats.dropped,
                       exc_info=(type(error), error, error.__traceback__) if error else None)


_WORKERS: 'weakref.WeakSet[Worker]' = weakref.WeakSet()
_SHARED: Optional[Worker] = None
_SHARED_LOCK = threading.Lock()


def shared() -> Worker:
    """The process's default worker, created on first use; what analytics use unless told."""
    global _SHARED
    if _SHARED is None:
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = Worker()
    return _SHARED


def _reset_all_in_child() -> None:
    for worker in list(_WORKERS):
        worker._reset()


os.register_at_fork(after_in_child=_reset_all_in_child)


@atexit.register
def _close_all() -> None:
    """Give queued events a last, short chance at exit; a hung one cannot hold the exit up."""
    workers = [w for w in list(_WORKERS) if w._thread is not None and w._pid == os.getpid()]
    end = time.monotonic() + EXIT_TIMEOUT
    for worker in workers:
        worker.close(max(0.0, end - time.monotonic()))
