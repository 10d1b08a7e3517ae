"""The documentation site (issue 17, item 9): the guide's examples run, it names every key a
story file takes, and ``scripts/docs.sh`` builds it with warnings as errors."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from alexafsm.testing import stories

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / 'docs' / 'guide.rst').read_text(encoding='utf-8')


def python_blocks(text):
    blocks = []
    for match in re.finditer(r'^\.\. code-block:: python\n\n((?:    .*\n|\n)+)', text,
                             re.MULTILINE):
        blocks.append('\n'.join(line[4:] for line in match.group(1).splitlines()) + '\n')
    return blocks


def test_the_guides_python_examples_run_in_order():
    blocks = python_blocks(GUIDE)
    assert len(blocks) >= 4
    namespace = {'__name__': 'docs_guide'}
    for block in blocks:
        exec(compile(block, 'docs/guide.rst', 'exec'), namespace)  # noqa: S102 - our own docs


def test_the_guide_names_every_story_file_key():
    keys = stories.FILE_KEYS + stories.ACTIONS + stories.INTENT_OPTIONS + stories.EXPECTATIONS
    missing = [key for key in keys if f'\n``{key}``\n' not in GUIDE]
    assert missing == []


def test_the_guide_covers_what_the_readme_leaves_out():
    for topic in ("{'dest': '='}", 'Extensions(store=...)', 'alphabetical order',
                  'class:`~alexafsm.testing.conversation.Turn`'):
        assert topic in GUIDE


def test_the_built_docs_stay_out_of_git():
    ignored = subprocess.run(['git', 'check-ignore', 'build/docs/html/index.html',
                              'docs/_generated/api/index.rst'], cwd=ROOT, capture_output=True,
                             text=True)
    assert ignored.stdout.split() == ['build/docs/html/index.html',
                                      'docs/_generated/api/index.rst']


@pytest.mark.integration
def test_docs_sh_builds_the_site_with_warnings_as_errors(tmp_path):
    pytest.importorskip('sphinx', reason="the docs extra (pip install -e '.[docs]') is missing")
    out = tmp_path / 'html'
    done = subprocess.run([str(ROOT / 'scripts' / 'docs.sh'), '-d', str(tmp_path / 'doctrees')],
                          cwd=ROOT, capture_output=True, text=True,
                          env={'ALEXAFSM_DOCS_NO_SETUP': '1', 'ALEXAFSM_DOCS_OUT': str(out),
                               'PATH': '/usr/bin:/bin'})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / 'guide.html').exists()
    reference = (out / '_generated' / 'api' / 'alexafsm.testing.conversation.html').read_text()
    assert 'Talk to a skill the way Alexa does' in reference  # the module's docstring
    commands = (out / '_generated' / 'commands.html').read_text()
    assert 'alexafsm new' in commands and '--strict' in commands
    shutil.rmtree(out)
