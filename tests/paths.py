"""Where the tests find the third-party Alexa samples, and how a test that needs one skips.

The samples (request envelopes captured by other projects, Amazon's sample interaction models,
Amazon's expired signing chain) are third-party data kept beside the repository, in
``../shared/alexa-samples``, and never copied into it. A checkout without them must still
collect every module and run every test that does not need them, so nothing here reads a file
at import or collection time:

- ``SAMPLES.path('requests', 'jovo.LaunchRequest.json')`` inside a test (or fixture) gives the
  file's path, or skips that test saying which file is missing;
- ``SAMPLES.files('requests/*.json')`` inside a test gives every matching file, or skips;
- ``@pytest.mark.parametrize('path', SAMPLES.params('requests/*.json'))`` lists the matching
  files without reading them; with none it yields one skipped parameter, so the test shows up
  as skipped with the reason instead of vanishing or failing to collect.

``ALEXAFSM_SAMPLES`` points the tests at another folder (tests/test_samples.py sets it to an
empty folder to prove that every module still collects without the samples).
"""
import os
from pathlib import Path
from typing import Any
from typing import List

import pytest

SAMPLES_ENV = 'ALEXAFSM_SAMPLES'
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / 'shared' / 'alexa-samples'
MISSING = '../shared/alexa-samples not found'


class Samples:
    """The sample folder, read only from inside a test so that its absence is a skip."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def missing(self, what: str) -> str:
        """The skip reason: starts with MISSING, names what is absent and how to provide it."""
        if not self.root.is_dir():
            return (f"{MISSING}: {self.root} does not exist (third-party data kept outside the "
                    f"repository; set {SAMPLES_ENV} to use another folder)")
        return f"{MISSING}: {what} is not in {self.root}"

    def path(self, *parts: str) -> Path:
        """The path of one sample file or folder; skips the calling test when it is absent."""
        __tracebackhide__ = True  # the skip is reported at the test's line, not this one
        path = self.root.joinpath(*parts)
        if not path.exists():
            pytest.skip(self.missing('/'.join(parts)))
        return path

    def _matches(self, patterns: tuple) -> List[Path]:
        # Path.glob on a folder that does not exist yields nothing, it does not raise.
        return [path for pattern in patterns for path in sorted(self.root.glob(pattern))]

    def files(self, *patterns: str) -> List[Path]:
        """Every sample matching the glob patterns, in order; skips the calling test if none."""
        __tracebackhide__ = True
        found = self._matches(patterns)
        if not found:
            pytest.skip(self.missing(' or '.join(patterns)))
        return found

    def params(self, *patterns: str) -> List[Any]:
        """Parametrize values: every matching sample, or one skipped parameter when none.

        Called at collection time, so it only lists the folder: an empty parameter list would
        make pytest skip with a vague "got empty parameter set", and a read would fail the
        whole module.
        """
        found: List[Any] = self._matches(patterns)
        if found:
            return found
        reason = self.missing(' or '.join(patterns))
        return [pytest.param(self.root / patterns[0], id='no-samples',
                             marks=pytest.mark.skip(reason=reason))]


SAMPLES = Samples(Path(os.environ.get(SAMPLES_ENV) or DEFAULT_ROOT))
