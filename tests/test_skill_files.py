"""A skill finds its own model, stories and recordings (issue 17, item 6): ``MODEL`` on the
Policy, or a ``model/`` folder in or beside its package, so no command needs ``--model``."""
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm.cli import main
from alexafsm.cli.new import scaffold
from alexafsm.loader import load_policy
from alexafsm.loader import skill_files
from alexafsm.loader import skill_folders
from alexafsm.loader import skill_model_path
from alexafsm.testing import Conversation
from tests.fixtures.broken import base

REPO = Path(__file__).resolve().parents[1]
SKILLSEARCH = REPO / 'skills' / 'skillsearch'


def run(*args: str, input: str = ''):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh ``alexafsm new`` project, importable, as the working directory."""
    made = []

    def make(name: str) -> Path:
        scaffold(name, tmp_path)
        root = tmp_path / name
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.chdir(root)
        made.append(name)
        return root

    yield make
    for name in made:
        sys.modules.pop(name, None)


def test_the_model_folder_in_the_package_is_found():
    policy = load_policy('skills.skillsearch')
    assert skill_folders(policy)[0] == SKILLSEARCH
    assert skill_model_path(policy) == str(SKILLSEARCH / 'model')
    assert skill_files(policy, 'stories', '*.story.yaml') == sorted(
        str(p) for p in (SKILLSEARCH / 'stories').glob('*.story.yaml'))


def test_the_model_folder_beside_the_package_is_found(project):
    root = project('beside_skill')
    policy = load_policy('beside_skill')
    assert skill_folders(policy) == [root / 'beside_skill', root]
    assert skill_model_path(policy) == str(root / 'model')
    assert skill_files(policy, 'stories', '*.story.yaml') == [
        str(root / 'stories' / 'hello.story.yaml')]


def test_MODEL_on_the_policy_wins_and_is_relative_to_its_module(tmp_path):
    declared = type('Declared', (base.Policy,),
                    {'MODEL': 'model.json', '__module__': base.__name__})
    assert skill_model_path(declared) == str(Path(base.__file__).parent / 'model.json')
    absolute = type('Absolute', (base.Policy,), {'MODEL': str(tmp_path / 'm.json')})
    assert skill_model_path(absolute) == str(tmp_path / 'm.json')


def test_a_policy_with_no_model_anywhere_has_none():
    # defined here: tests/ and the repository root hold no model/ folder or model.json
    policy = type('Here', (base.Policy,), {'__module__': __name__})
    assert skill_model_path(policy) is None
    nowhere = type('Nowhere', (base.Policy,), {'__module__': 'not_a_loaded_module'})
    assert skill_folders(nowhere) == [] and skill_model_path(nowhere) is None


def test_chat_finds_the_skill_search_model_as_its_readme_says():
    assert 'alexafsm chat skills.skillsearch ' in (SKILLSEARCH / 'README.rst').read_text()
    result = run('chat', 'skills.skillsearch', input='how do i order pizza\nstop\n')
    assert result.exit_code == 0, result.output
    assert "intent: NewSearch(Query='order pizza')" in result.output
    assert 'intent: AMAZON.StopIntent()' in result.output


def test_validate_uses_the_found_model(project):
    project('validated_skill')
    result = run('validate', 'validated_skill', '--format', 'json')
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data['model'].endswith('model')
    # the model's checks ran: the fixture model's intents are all handled
    assert data['counts'] == {'error': 0, 'warning': 0, 'info': 0}
    broken = run('validate', 'tests.fixtures.broken.intent_typo')
    assert broken.exit_code == 1  # model.json beside the fixture names the intents
    assert "[unknown-trigger] trigger 'AMAZON.YesIntnet'" in broken.output


def test_stories_run_the_skills_own_story_files_with_its_model(project):
    root = project('storied_skill')
    result = run('stories', 'storied_skill')
    assert result.exit_code == 0, result.output
    assert result.output.strip() == 'all 2 stories passed'
    # a story file without a model of its own gets the skill's: the slot is checked against it
    story = root / 'stories' / 'hello.story.yaml'
    story.write_text(story.read_text().replace('model: ../model/en-US.json\n', '')
                     .replace('{name: Ada}', '{nmae: Ada}'))
    failed = run('stories', 'storied_skill')
    assert failed.exit_code == 1
    assert "HelloIntent has no slot 'nmae'" in failed.output


def test_stories_without_files_anywhere_is_a_usage_error():
    result = run('stories', 'tests.fixtures.broken.base')
    assert result.exit_code == 2
    assert 'has no stories/*.story.yaml' in result.output


def test_fuzz_and_coverage_find_the_model_and_recordings(project):
    root = project('fuzzed_skill')
    fuzzed = run('fuzz', 'fuzzed_skill', '--sessions', '20')
    assert fuzzed.exit_code == 0, fuzzed.output
    policy = load_policy('fuzzed_skill')
    (root / 'recordings').mkdir()
    chat = Conversation(policy, record_to=root / 'recordings' / 'hello.jsonl')
    chat.launch()
    chat.say('HelloIntent', name='Ada')
    covered = run('coverage', 'fuzzed_skill')
    assert covered.exit_code == 0, covered.output
    assert 'recordings 1, turns 2, sessions 1' in covered.output


def test_a_skill_without_a_model_says_how_to_give_one():
    result = run('chat', 'tests.fixtures.echo_skill')
    assert result.exit_code == 2
    assert "give --model PATH, set MODEL = 'path/to/model.json' on" in result.output
