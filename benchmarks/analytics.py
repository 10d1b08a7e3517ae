"""Turn latency with analytics whose service hangs, against none at all, measured in one run.

Sends bursts of requests through ``Policy.handle`` and prints p50, p99 and the maximum of each
request's time for:
  none      no extensions
  hanging   an analytics back end that blocks for --hang seconds on every event (a dead
            service behind a client library without timeouts)
  jsonl     the JSON-lines sink, a back end that does real work on the background thread
plus what the background worker did with the events (completed, timed out, dropped).

    .venv/bin/python benchmarks/analytics.py [--requests 2000] [--hang 3] [--rounds 3]
"""
import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alexafsm.analytics import JsonLines  # noqa: E402
from alexafsm.background import Worker  # noqa: E402
from alexafsm.extensions import Extensions  # noqa: E402
from tests.fixtures.compat_skill import Policy  # noqa: E402
from tests.helpers import intent_request  # noqa: E402


class Hanging:
    """A back end whose service never answers in time: each call blocks for ``seconds``."""

    def __init__(self, seconds: float, gate: threading.Event) -> None:
        self.seconds = seconds
        self.gate = gate

    def track(self, request, response):
        self.gate.wait(self.seconds)


def burst(extensions, requests):
    """Each request's time in microseconds, handled one after the other as fast as possible."""
    times = []
    for request in requests:
        start = time.perf_counter()
        Policy.initialize(request).handle(request, extensions=extensions)
        times.append((time.perf_counter() - start) * 1e6)
    return times


def summary(name, times):
    cuts = statistics.quantiles(times, n=100)
    return (f"  {name:8} p50 {cuts[49]:7.1f} us   p99 {cuts[98]:7.1f} us   "
            f"max {max(times) / 1000:7.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--hang', type=float, default=3.0)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    requests = [intent_request('Order', {'food': 'pizza', 'count': '2'}, request_id=f'r{n}')
                for n in range(args.requests)]
    gate = threading.Event()
    hanging_worker = Worker(name='bench-hanging', max_queue=1000, deadline=2.0)
    jsonl_worker = Worker(name='bench-jsonl', max_queue=1000, deadline=2.0)
    folder = tempfile.TemporaryDirectory()
    setups = {
        'none': None,
        'hanging': Extensions(analytics=Hanging(args.hang, gate), worker=hanging_worker),
        'jsonl': Extensions(analytics=JsonLines(Path(folder.name) / 'turns.jsonl'),
                            worker=jsonl_worker),
    }
    burst(None, requests[:200])  # warm up: machine compiled, caches filled
    times = {name: [] for name in setups}
    for _ in range(args.rounds):  # interleaved, so drift in the machine's load hits all alike
        for name, extensions in setups.items():
            times[name] += burst(extensions, requests)
    print(f"{args.rounds} rounds of {args.requests} requests, back end hanging {args.hang:g} s "
          f"per event, queue of 1000, deadline 2 s per event")
    for name in setups:
        print(summary(name, times[name]))
    jsonl_worker.flush(30)
    for name, worker in (('hanging', hanging_worker), ('jsonl', jsonl_worker)):
        stats = worker.stats
        print(f"  {name:8} events: {stats.submitted} submitted, {stats.completed} completed, "
              f"{stats.timed_out} timed out, {stats.dropped} dropped, {stats.queued} queued")
    start = time.perf_counter()
    clean = hanging_worker.close(timeout=1.0)
    print(f"  close(timeout=1) with a hanging event returned {clean} after "
          f"{time.perf_counter() - start:.2f} s")
    gate.set()
    folder.cleanup()


if __name__ == '__main__':
    main()
