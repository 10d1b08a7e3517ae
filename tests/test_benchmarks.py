"""The core benchmark still runs and prints every line the figures in notes come from.

Timings are not asserted (they belong to benchmarks, not tests); what is checked is that each
side produced a number and that the machine and firing comparisons measure what they say.
"""
import re
import subprocess
import sys
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
