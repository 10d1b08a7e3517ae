"""Without ../shared/alexa-samples every module still collects, and only the tests that read a
sample skip, saying so (tests/paths.py).

The samples are third-party data kept outside the repository, so a fresh clone, a CI runner or
a packaged sdist may lack them. The subprocess runs point ALEXAFSM_SAMPLES at an empty folder,
the same as a checkout without ../shared.
"""
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from tests.paths import MISSING
from tests.paths import SAMPLES_ENV
from tests.paths import Samples

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()


def pytest_without_samples(empty: Path, *args: str) -> subprocess.CompletedProcess:
    """Runs pytest in a subprocess whose samples folder is the empty folder ``empty``."""
    empty.mkdir(exist_ok=True)
    env = dict(os.environ, **{SAMPLES_ENV: str(empty)})
    env.pop('PYTEST_ADDOPTS', None)  # the caller's -k or -m would change what is collected
    return subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def modules_reading_samples() -> List[str]:
    """Every test module that imports the samples helper, found by reading the sources, so a
    module that starts to read samples is covered without editing this list."""
    return sorted(str(path.relative_to(ROOT)) for path in (ROOT / 'tests').glob('test_*.py')
                  if path != HERE and 'from tests.paths import' in path.read_text())


def test_a_missing_sample_skips_the_test_and_says_which(tmp_path):
    absent = Samples(tmp_path / 'nowhere')
    with pytest.raises(pytest.skip.Exception, match=f'^{re.escape(MISSING)}: .*nowhere does not '
                                                    f'exist .*{SAMPLES_ENV}'):
        absent.path('requests', 'jovo.LaunchRequest.json')
    with pytest.raises(pytest.skip.Exception, match=re.escape(MISSING)):
        absent.files('requests/*.json')

    (tmp_path / 'partial' / 'requests').mkdir(parents=True)
    partial = Samples(tmp_path / 'partial')
    with pytest.raises(pytest.skip.Exception, match=f'^{re.escape(MISSING)}: '
                                                    r'requests/jovo.LaunchRequest.json is not in'):
        partial.path('requests', 'jovo.LaunchRequest.json')


def test_parameters_over_missing_samples_are_one_skipped_parameter(tmp_path):
    (param,) = Samples(tmp_path / 'nowhere').params('requests/*.json', 'models/*.json')
    (mark,) = param.marks
    assert param.id == 'no-samples'
    assert mark.name == 'skip' and mark.kwargs['reason'].startswith(MISSING + ': ')


def test_parameters_list_every_match_in_pattern_order(tmp_path):
    for name in ('models/b.json', 'models/a.json', 'models/legacy/x/IntentSchema.json',
                 'requests/r.json'):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('{}')
    samples = Samples(tmp_path)
    assert samples.params('models/*.json', 'models/legacy/*') == \
        [tmp_path / 'models/a.json', tmp_path / 'models/b.json', tmp_path / 'models/legacy/x']
    assert samples.files('requests/*.json') == [tmp_path / 'requests/r.json']
    assert samples.path('models', 'a.json') == tmp_path / 'models/a.json'


@pytest.mark.integration
def test_every_module_collects_without_the_samples(tmp_path):
    out = pytest_without_samples(tmp_path / 'empty', '--collect-only', '-q')
    assert out.returncode == 0, out.stdout + out.stderr
    assert not re.search(r'\berrors?\b', out.stdout.splitlines()[-1]), out.stdout
    collected = [line for line in out.stdout.splitlines() if '::' in line]
    # Each test parametrized over sample files is there, as one skipped placeholder.
    assert [line for line in collected if line.endswith('[no-samples]')] == [
        'tests/test_interaction_model.py::test_current_models_match_their_json[no-samples]',
        'tests/test_lambda.py::test_every_shared_envelope_gets_a_valid_answer[no-samples]',
        'tests/test_lambda.py::test_an_event_for_another_skill_raises_and_is_logged[no-samples]',
        'tests/test_policy.py::test_shared_request_envelopes_are_answered_without_error'
        '[no-samples]',
        'tests/test_skillsearch.py::'
        'test_real_request_envelopes_are_handled_without_an_exception[no-samples]',
        'tests/test_validation.py::test_every_shared_model_loads_and_validates[no-samples]',
    ], out.stdout
    assert 'tests/test_samples.py::test_every_module_collects_without_the_samples' in collected


@pytest.mark.integration
def test_tests_that_read_samples_skip_and_the_rest_pass_without_them(tmp_path):
    modules = modules_reading_samples()
    assert 'tests/test_lambda.py' in modules and 'tests/test_interaction_model.py' in modules
    out = pytest_without_samples(tmp_path / 'empty', '-q', '-rs', *modules)
    assert out.returncode == 0, out.stdout + out.stderr
    summary = out.stdout.splitlines()[-1]
    assert re.fullmatch(r'=* ?\d+ passed, \d+ skipped in .*', summary), out.stdout
    reasons = re.findall(r'^SKIPPED \[\d+\] (\S+): (.*)$', out.stdout, re.M)
    assert reasons and all(reason.startswith(MISSING + ': ') for _, reason in reasons), out.stdout
    # Skips are reported at the test that needed the sample, not inside the helper.
    assert not [where for where, _ in reasons if where.startswith('tests/paths.py')], out.stdout
