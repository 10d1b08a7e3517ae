"""Lambda cold start: alexafsm against ask-sdk-core, each in fresh interpreters.

A cold start is a new Python process that imports the Lambda path and the skill, builds the
handler, then answers its first request. Both sides run the coffee skill (benchmarks/coffee.py
and benchmarks/coffee_ask.py, which imports nothing of alexafsm) on the first request of a
realistic session, in alternating rounds, and each child reports
  import   importing the Lambda path and the skill, and building the handler
  first    the first turn: the event in, the response envelope out
  process  the whole process, interpreter start and exit included (timed by the parent)
Printed are each side's medians and the ratio ask-sdk-core / alexafsm of the medians, with
its range over the rounds (each round's ratio).

    .venv/bin/python benchmarks/coldstart.py [--rounds 20]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict
from typing import List

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHILDREN = {
    'alexafsm': '''
import json, sys, time
started = time.perf_counter()
from alexafsm.hosting.aws_lambda import lambda_handler
from benchmarks.coffee import Policy
handler = lambda_handler(Policy)
built = time.perf_counter()
envelope = handler(json.loads(sys.stdin.read()), None)
answered = time.perf_counter()
assert 'Welcome to Corner Coffee' in json.dumps(envelope), envelope
print(built - started, answered - built)
''',
    'ask-sdk-core': '''
import json, sys, time
started = time.perf_counter()
from benchmarks.coffee_ask import ask_builder
handler = ask_builder().lambda_handler()
built = time.perf_counter()
envelope = handler(json.loads(sys.stdin.read()), None)
answered = time.perf_counter()
assert 'Welcome to Corner Coffee' in json.dumps(envelope), envelope
print(built - started, answered - built)
''',
}


def first_request() -> str:
    """The launch request of the coffee session, realistic when the request samples exist."""
    from benchmarks import core

    texts, _ = core.coffee_session(core.sample_context())
    return texts[0]


def cold_start(side: str, event: str) -> Dict[str, float]:
    """One fresh interpreter of ``side``: its import, first turn and whole process, in ms."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, '-c', CHILDREN[side]], input=event, text=True,
                         capture_output=True, cwd=ROOT, timeout=120,
                         env={**os.environ, 'PYTHONPATH': str(ROOT)})
    process = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"{side} failed:\n{out.stderr}")
    imported, first = (float(x) for x in out.stdout.split())
    return {'import': imported * 1e3, 'first': first * 1e3, 'process': process * 1e3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=20)
    args = parser.parse_args()
    try:
        import ask_sdk_core  # noqa: F401
        sides = list(CHILDREN)
    except ImportError:
        print("ask-sdk-core not installed (pip install -e '.[bench]'): alexafsm alone")
        sides = ['alexafsm']
    event = first_request()
    for side in sides:  # warm the file system cache and the bytecode of both
        cold_start(side, event)
    runs: Dict[str, List[Dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side in sides:
            runs[side].append(cold_start(side, event))
    print(f"Lambda cold start, {args.rounds} fresh interpreters a side, alternating; ms, median")
    for side in sides:
        medians = {part: statistics.median(run[part] for run in runs[side])
                   for part in ('import', 'first', 'process')}
        line = (f"  {side:<13} import {medians['import']:7.1f}  first turn "
                f"{medians['first']:6.1f}  process {medians['process']:7.1f}")
        if side != 'alexafsm':
            for part in ('import', 'first', 'process'):
                ratios = sorted(o[part] / a[part] for o, a in zip(runs[side], runs['alexafsm']))
                mine = statistics.median(a[part] for a in runs['alexafsm'])
                line += (f"\n      {part}: {medians[part] / mine:.2f}x alexafsm's "
                         f"[{ratios[0]:.2f}-{ratios[-1]:.2f} over rounds]")
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
