"""``alexafsm new NAME`` (issue 17, item 7): the project it writes passes every command its
README names, as they are, in a fresh folder, with nothing edited."""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.cli.new import TEMPLATES
from tests.oracle import assert_valid_response
from tests.serve_process import ALEXAFSM
from tests.serve_process import serving_in

LAUNCH = Path(__file__).resolve().parents[1] / 'scripts' / 'launch-request.json'


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_new_writes_the_project_and_names_the_next_commands(tmp_path):
    result = run('new', 'quiz_time', '--parent', str(tmp_path))
    assert result.exit_code == 0, result.output
    root = tmp_path / 'quiz_time'
    written = sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file())
    assert written == sorted(t.format(name='quiz_time') for t in TEMPLATES.values())
    assert 'alexafsm validate quiz_time --strict' in result.output
    readme = (root / 'README.md').read_text()
    for command in ('alexafsm validate quiz_time --strict', 'alexafsm stories quiz_time',
                    'python -m pytest', 'alexafsm serve quiz_time --dev'):
        assert command in readme
    package = (root / 'quiz_time' / '__init__.py').read_text()
    assert 'class QuizTimePolicy(Policy):' in package and '$' not in package
    model = json.loads((root / 'model' / 'en-US.json').read_text())
    assert model['interactionModel']['languageModel']['invocationName'] == 'quiz time'
    assert 'name = "quiz-time"' in (root / 'pyproject.toml').read_text()


def test_a_one_word_name_gets_a_two_word_invocation(tmp_path):
    assert run('new', 'trivia', '--parent', str(tmp_path)).exit_code == 0
    model = json.loads((tmp_path / 'trivia' / 'model' / 'en-US.json').read_text())
    assert model['interactionModel']['languageModel']['invocationName'] == 'trivia skill'


@pytest.mark.parametrize('name, says', [
    ('My-Skill', "use lower-case letters, digits and underscores, starting with a letter "
                 "(e.g. 'my_skill')"),
    ('2fast', "(e.g. 'skill_2fast')"),
    ('class', 'cannot be a Python package name'),
    ('json', "'json' is already an importable module"),
    ('alexafsm', "choose another name (e.g. 'alexafsm_skill')"),
])
def test_names_that_cannot_be_a_new_package_are_refused(tmp_path, name, says):
    result = run('new', name, '--parent', str(tmp_path))
    assert result.exit_code == 2
    assert says in ' '.join(result.output.split())
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / 'kept').mkdir()
    (tmp_path / 'kept' / 'notes.txt').write_text('mine')
    result = run('new', 'kept', '--parent', str(tmp_path))
    assert result.exit_code == 1
    assert 'already exists and is not an empty folder' in result.output
    assert [p.name for p in (tmp_path / 'kept').iterdir()] == ['notes.txt']


@pytest.mark.integration
def test_the_readme_commands_pass_in_a_fresh_project(tmp_path):
    """As a user runs them: the console script, in the new folder, nothing on PYTHONPATH."""
    subprocess.run([str(ALEXAFSM), 'new', 'hello_desk'], cwd=tmp_path, check=True,
                   capture_output=True)
    root = tmp_path / 'hello_desk'
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = os.pathsep.join([str(ALEXAFSM.parent), env.get('PATH', '')])

    def check(*command: str, input: str = '') -> str:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              input=input, timeout=300)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    assert check('alexafsm', 'validate', 'hello_desk', '--strict').splitlines()[-1] == \
        '0 error(s), 0 warning(s), 0 info'
    assert check('alexafsm', 'stories', 'hello_desk').strip() == 'all 2 stories passed'
    tested = check(sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider')
    assert '4 passed' in tested  # two tests and the two stories
    chatted = check('alexafsm', 'chat', 'hello_desk', input='my name is Ada\nstop\n')
    assert 'Alexa: Hello, ada! Who else is there?' in chatted
    with serving_in(root, 'hello_desk', '--dev') as (url, output):
        post = urllib.request.Request(url, data=LAUNCH.read_bytes(), method='POST',
                                      headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(post, timeout=10) as reply:
            answer = json.loads(reply.read())
    assert_valid_response(answer)
    assert answer['response']['outputSpeech']['text'] == \
        'Welcome to Hello Desk. Tell me your name, or say help.'
    assert any('DEV MODE' in line for line in output)
