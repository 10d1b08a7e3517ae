"""What CI runs (.ci/run, which runs ./scripts/test.sh) fails when pytest runs no test.

pytest exits 5 when it collects or selects nothing: a renamed folder, a wrong ``testpaths`` or
a ``-k``/``-m`` that matches nothing would otherwise turn CI green without testing anything.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / '.venv'


@pytest.mark.integration
@pytest.mark.skipif(Path(sys.prefix).resolve() != VENV.resolve(),
                    reason="runs .ci/run only from the repository's .venv, which scripts/setup.sh "
                           "has already set up (it would otherwise create or install into it)")
def test_ci_fails_when_no_test_is_selected():
    env = dict(os.environ, PYTEST_ADDOPTS='-p no:cacheprovider -k no_test_has_this_name')
    out = subprocess.run(['bash', str(ROOT / '.ci' / 'run')], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert 'deselected' in out.stdout, out.stdout + out.stderr
    assert out.returncode == pytest.ExitCode.NO_TESTS_COLLECTED == 5, out.stdout + out.stderr
