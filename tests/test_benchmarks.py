"""The benchmarks still run and print every line the figures in notes come from.

Timings are not asserted (they belong to benchmarks, not tests); what is checked is that each
side produced a number and that the machine and firing comparisons measure what they say.
"""
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / '.cache' / 'alexafsm-0.1.11' / 'alexafsm'
NUMBER = r'\s+([\d.]+) us/'

pytestmark = pytest.mark.integration  # runs benchmarks/core.py and 0.1.11 in other processes


def run_core(*args):
    out = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'core.py'), '--seconds',
                          '0.02', *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def figures(text):
    return {name: float(value) for name, value in re.findall(r'^  (\S+)' + NUMBER, text, re.M)}


def test_core_benchmark_prints_each_side_for_the_compat_skill():
    text = run_core('--skill', 'tests.fixtures.compat_skill:Policy')
    got = figures(text)
    expected = {'floor', 'ours', 'machine', 'build', 'firing'} | ({'0.1.11'} if OLD.is_dir()
                                                                  else set())
    assert set(got) == expected and all(value > 0 for value in got.values()), text
    assert 'ratio to floor' in text and 'at most' in text


@pytest.mark.skipif(not OLD.is_dir(), reason='0.1.11 not unpacked in .cache/')
def test_the_old_version_really_runs_0_1_11():
    from benchmarks import core
    texts, _ = core.session_texts(core.load('tests.fixtures.compat_skill:Policy'),
                                  core.SCRIPTS['tests.fixtures.compat_skill:Policy'])
    old = core.OldVersion(core.OLD_SKILLS['tests.fixtures.compat_skill:Policy'], texts)
    try:
        assert old(1) > 0  # its driver asserts alexafsm.__version__ == '0.1.11' first
    finally:
        old.close()
    assert old.process.returncode == 0


def test_a_generated_machine_session_walks_intents_the_machine_handles():
    text = run_core('--skill', 'tests.fixtures.compat_skill:Policy', '--generated', '12,40')
    assert 'generated' not in text  # --skill alone leaves the generated machine out
    sys.path.insert(0, str(ROOT / 'benchmarks'))
    try:
        from tools import generate

        from benchmarks import core
    finally:
        sys.path.remove(str(ROOT / 'benchmarks'))
    policy_cls = generate(12, 40)[0]
    texts, responses = core.session_texts(policy_cls, 7)
    speeches = [r['response']['outputSpeech']['text'] for r in responses]
    assert len(texts) == 7 and 'I did not understand' not in ' '.join(speeches)


def test_the_fuzzing_benchmark_prints_throughput_coverage_depth_and_the_planted_crash():
    out = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'fuzzing.py'), '--sessions',
                          '700', '--seeds', '1', '--skill', 'trivia', '--skill', 'deep_trivia'],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert re.search(r'^trivia: 1 seeds x 700 sessions, up to 20 turns$', text, re.M), text
    assert len(re.findall(r'^ +[\d,]+ sessions/s +[\d,]+ turns/s +[\d.]+ turns/session$', text,
                          re.M)) == 2
    assert len(re.findall(r'^  transitions 54 of 61 declared$', text, re.M)) == 2
    assert re.search(r'^  depth  20: +[\d,]+ #+$', text, re.M)
    assert re.search(r'^  found seed 1: session \d+, reduced to \d+ turns', text, re.M), text
    assert 'Traceback' not in text + out.stderr


def test_the_coffee_skill_runs_on_every_side_with_the_same_answers():
    """The default run: floor, .text, 0.1.11's call and ask-sdk-core, realistic and minimal
    envelopes; compare() exits non-zero if any side answers a turn differently."""
    from benchmarks.core import SAMPLES  # the benchmark's own, with or without ALEXAFSM_SAMPLES

    text = run_core('--rounds', '2', '--no-instructions')
    sides = re.findall(r'^  (\S+)' + NUMBER + r'turn(?:\s+([\d.]+)x floor \[([\d.]+)-([\d.]+)\])?',
                       text, re.M)
    names = [name for name, *_ in sides]
    kinds = 2 if SAMPLES.is_dir() else 1
    assert names == ['floor', '.text', 'dumps(handle)', 'ask-sdk-core'] * kinds, text
    for name, value, middle, low, high in sides:
        assert float(value) > 0
        if name != 'floor':
            assert float(low) <= float(middle) <= float(high), text
    assert ('realistic envelopes (' in text) == SAMPLES.is_dir(), text
    assert 'minimal envelopes (' in text


def test_the_coffee_skill_answers_alike_in_both_toolkits_turn_by_turn():
    from benchmarks import core
    from benchmarks.coffee import Policy
    from benchmarks.coffee_ask import AskTurn

    texts, responses = core.coffee_session(None)
    ask = AskTurn()
    speeches = []
    for text, expected in zip(texts, responses):
        assert json.loads(AskTurn.comparable(ask(text))) == expected
        assert json.loads(json.dumps(Policy.initialize().handle(json.loads(text)))) == expected
        speeches.append(expected['response']['outputSpeech']['text'])
    assert len(texts) == 11 and sum('did not understand' in s for s in speeches) == 1, speeches


def test_the_scale_mode_checks_bytes_on_both_paths_up_to_100_kb():
    text = run_core('--scale', '--states', '10,40', '--kilobytes', '1,100', '--rounds', '2')
    assert re.search(r'machine of 10 states, 40 transitions: floor [\d.]+ us/turn; \.text ', text)
    assert re.search(r'session attributes of 10\d KB \(byte-identical on both paths\)', text), text


@pytest.mark.skipif(shutil.which('valgrind') is None, reason='valgrind not installed')
def test_instruction_counts_are_per_turn_and_leave_start_up_out():
    from benchmarks import core

    floor = core.instructions_per_turn('floor', 'minimal', 11, passes=2)
    turn = core.instructions_per_turn('.text', 'minimal', 11, passes=2)
    # a turn of ours does more than the JSON floor, and start-up (tens of millions) is out
    assert 10_000 < floor < turn < 5_000_000


def test_the_cold_start_benchmark_starts_both_sides_in_fresh_interpreters():
    out = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'coldstart.py'), '--rounds',
                          '1'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert re.search(r'alexafsm\s+import\s+[\d.]+\s+first turn\s+[\d.]+', out.stdout)
    assert re.search(r'import: [\d.]+x alexafsm', out.stdout), out.stdout


def test_the_ask_sdk_flask_adapter_answers_the_echo_requests_like_alexafsm():
    from alexafsm.hosting import create_app
    from benchmarks.endpoint import APPLICATION_ID  # noqa: F401
    from benchmarks.endpoint import ask_app
    from benchmarks.endpoint import echo_request
    from tests.fixtures.echo_skill import EchoPolicy

    ours = create_app(EchoPolicy, dev=True).test_client()
    theirs = ask_app().test_client()
    body = json.dumps(echo_request(3, datetime.now(timezone.utc)))
    mine = ours.post('/', data=body, content_type='application/json').get_json()
    other = theirs.post('/', data=body, content_type='application/json').get_json()
    other.pop('userAgent')
    assert other == mine and mine['response']['outputSpeech']['text'] == 'You said: hello 3'
