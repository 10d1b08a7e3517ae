"""The example skills meet their proof: stories pass, recordings play back, validation is clean,
fuzzing finds nothing, and every response they give is one Amazon's model accepts.

Stories and recordings depend on per-user memory (the welcome, the unfinished order), so each
story gets a fresh in-memory store from the host and playback gets one through the skill's class;
the embedded SQLite store in the user's cache folder must never be opened by a test.
"""
import importlib
import importlib.util
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Iterator
from typing import List
from typing import Tuple

import pytest

from alexafsm.extensions import Extensions
from alexafsm.loader import load_policy
from alexafsm.machine import Machine
from alexafsm.persistence import MemoryStore
from alexafsm.request import describe_request
from alexafsm.response import APOLOGY
from alexafsm.response import speech_of
from alexafsm.testing.fuzz import fuzz
from alexafsm.testing.playback import playback
from alexafsm.testing.stories import END_ACTION
from alexafsm.testing.stories import Story
from alexafsm.testing.stories import StoryResult
from alexafsm.testing.stories import load_stories
from alexafsm.testing.stories import run_story
from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import load_model
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import counts
from alexafsm.tools.validation import report_text
from alexafsm.tools.validation import validate_policy
from alexafsm.transcript import REDACTED
from alexafsm.transcript import read_turns
from skills.pizza import PizzaPolicy
from skills.skillsearch import SkillSearchPolicy
from tests.helpers import isolate_embedded_store
from tests.oracle import assert_valid_request
from tests.oracle import assert_valid_response

ROOT = Path(__file__).resolve().parents[1]
SKILLS = {'skillsearch': SkillSearchPolicy, 'pizza': PizzaPolicy}
RECORD_SCRIPT = ROOT / 'scripts' / 'record-examples.py'
SPEECH_CHECKS = {'speech', 'speech_contains', 'speech_matches'}
SECRET_KEYS = {'accessToken', 'apiAccessToken', 'consentToken'}
# A sentence of each skill that the recordings contain, to change on purpose.
CHANGES = {'skillsearch': ('skills.skillsearch.states', 'HEAR_MORE',
                           'Shall I tell you more about it?'),
           'pizza': ('skills.pizza.states', 'CARRY_ON_QUESTION', 'Back to your order, then?')}
FUZZ_SESSIONS = 300


def story_files(skill: str) -> List[Path]:
    return sorted((ROOT / 'skills' / skill / 'stories').glob('*.story.yaml'))


def recordings(skill: str) -> List[Path]:
    return sorted((ROOT / 'skills' / skill / 'recordings').glob('*.jsonl'))


@cache
def model(skill: str) -> InteractionModel:
    return load_model(ROOT / 'skills' / skill / 'model' / 'en-US.json')


STORIES = [pytest.param(skill, story, id=f'{skill}/{path.name}::{story.name}')
           for skill in SKILLS for path in story_files(skill)
           for story in load_stories(path).stories]


@pytest.fixture(autouse=True)
def embedded_stores_untouched(monkeypatch, tmp_path) -> Iterator[None]:
    """Point each skill's own store at a file that must still not exist when the test is over."""
    files = {name: tmp_path / f'{name}.sqlite3' for name in SKILLS}
    for name, policy_cls in SKILLS.items():
        isolate_embedded_store(monkeypatch, policy_cls, files[name])
    yield
    opened = [name for name, path in files.items() if path.exists()]
    assert not opened, f"a turn of {opened} fell back to the skill's embedded store"


def remembering(monkeypatch, policy_cls: type) -> None:
    """Give the skill's class an empty memory, as playback has no host to give it one."""
    monkeypatch.setattr(policy_cls, 'extensions', Extensions(store=MemoryStore()))


def run(skill: str, story: Story) -> StoryResult:
    return run_story(SKILLS[skill], story, model=model(skill), store=MemoryStore())


# Stories

def test_story_files_name_their_skill_and_model():
    for skill, policy_cls in SKILLS.items():
        files = story_files(skill)
        assert len(files) >= 3, f"skills/{skill}/stories holds {len(files)} story files"
        for path in files:
            stories = load_stories(path)
            assert load_policy(stories.skill) is policy_cls, path
            assert Path(stories.model).resolve() == Path(model(skill).source).resolve(), path


@pytest.mark.parametrize('skill,story', STORIES)
def test_story(skill, story):
    result = run(skill, story)
    assert result.passed, result.report()
    for number, (turn, got) in enumerate(zip(story.turns, result.turns), 1):
        where = f"{story.name!r}, turn {number} ({got.said})"
        assert_valid_request(got.request)
        assert_valid_response(got.response)
        if turn.action == END_ACTION:
            continue
        assert got.speech != APOLOGY.speech, f"{where}: the skill's code raised"
        assert 'state' in turn.expect, f"{where} does not say which state the skill is in"
        if got.speech is not None:
            assert SPEECH_CHECKS & set(turn.expect), f"{where} does not check what is said"
        if got.card is not None:
            assert 'card_title' in turn.expect, f"{where} does not check the card shown"


@pytest.mark.parametrize('skill', SKILLS)
def test_the_stories_visit_every_state(skill):
    visited = {got.state for path in story_files(skill)
               for story in load_stories(path).stories for got in run(skill, story).turns}
    never = set(Machine.of(SKILLS[skill]).states) - visited
    assert not never, f"no story of skills/{skill} reaches {sorted(never)}"


def test_a_story_spans_sessions_with_the_memory_of_the_earlier_ones():
    path = ROOT / 'skills' / 'pizza' / 'stories' / 'next-launch.story.yaml'
    story = next(s for s in load_stories(path).stories if s.name.startswith('stop keeps'))

    remembered = run('pizza', story)
    forgotten = run_story(PizzaPolicy, story, model=model('pizza'), store=Forgetful())

    assert remembered.passed, remembered.report()
    assert len({got.request['session']['sessionId'] for got in remembered.turns}) == 3
    assert forgotten.failed_turn == 5, forgotten.report()  # the launch that offers to resume


# Recordings

@pytest.mark.parametrize('skill', SKILLS)
def test_the_recordings_play_back(skill, monkeypatch):
    remembering(monkeypatch, SKILLS[skill])
    paths = recordings(skill)
    turns = [turn for path in paths for turn in read_turns(path)]
    report = playback(SKILLS[skill], paths)
    assert report.passed, report.report()
    assert len(paths) == len(story_files(skill))
    assert report.turns == len(turns)
    assert report.sessions == len({turn.session_id for turn in turns}) >= 10
    for turn in turns:
        assert_valid_response(turn.response)


@pytest.mark.parametrize('skill', SKILLS)
def test_playback_names_each_turn_whose_answer_changed(skill, monkeypatch):
    module_name, constant, replacement = CHANGES[skill]
    module = importlib.import_module(module_name)
    original = getattr(module, constant)
    monkeypatch.setattr(module, constant, replacement)
    remembering(monkeypatch, SKILLS[skill])
    paths = recordings(skill)
    saying_it = []
    for path in paths:
        turns = read_turns(path)
        saying_it += [(turn, place) for turn, place in zip(turns, session_places(turns))
                      if original in (speech_of(turn.response) or '')]
    assert len(saying_it) >= 2, f"the recordings of {skill} hardly say {original!r}"

    report = playback(SKILLS[skill], paths)

    assert [(m.turn.path, m.turn.line) for m in report.mismatches] == \
        [(turn.path, turn.line) for turn, _ in saying_it]
    for mismatch, (turn, place) in zip(report.mismatches, saying_it):
        text = mismatch.describe()
        header = text.splitlines()[0]
        assert header == (f"{turn.path}:{turn.line}: session {turn.session_id}, turn {place}: "
                          f"{describe_request(turn.request)}")
        was = speech_of(turn.response)
        assert f"  expected: {json.dumps(was)}" in text
        assert f"  got:      {json.dumps(was.replace(original, replacement))}" in text
    assert report.summary().endswith(f"{len(saying_it)} responses differ")


def test_the_recordings_are_what_the_record_script_writes():
    ran = subprocess.run([sys.executable, str(RECORD_SCRIPT), '--check'], cwd=ROOT / 'tests',
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    count = sum(len(recordings(skill)) for skill in SKILLS)
    assert ran.stdout.strip() == f"all {count} recordings are up to date"


def test_the_record_script_reports_a_recording_that_is_out_of_date(tmp_path, monkeypatch):
    script = record_script()
    story_file = story_files('pizza')[0]
    committed = script.recording_for(story_file)
    lines = committed.read_text(encoding='utf-8').splitlines(keepends=True)
    request, response = json.loads(lines[0])
    response['response']['outputSpeech']['text'] = 'Hello from an older skill.'
    edited = tmp_path / committed.name
    edited.write_text(json.dumps([request, response]) + '\n' + ''.join(lines[1:]),
                      encoding='utf-8')
    monkeypatch.setattr(script, 'recording_for', lambda path: edited)

    stale, failed = script.stale_recordings([story_file])

    assert (stale, failed) == ([edited], [])


def test_the_recordings_hold_no_secrets_or_machine_paths():
    for skill in SKILLS:
        for path in recordings(skill):
            text = path.read_text(encoding='utf-8')
            assert str(ROOT) not in text and str(Path.home()) not in text, path
            for turn in read_turns(path):
                leaked = [f"{key}={value!r}" for key, value in items(turn.request)
                          if key in SECRET_KEYS and value != REDACTED]
                assert not leaked, f"{path}:{turn.line} holds {leaked}"


# Validation and fuzzing

@pytest.mark.parametrize('skill', SKILLS)
def test_the_skill_validates_without_errors_or_warnings(skill):
    findings = validate_policy(SKILLS[skill], model(skill))
    found = counts(findings)
    assert (found[ERROR], found[WARNING]) == (0, 0), report_text(findings)


@pytest.mark.parametrize('skill', SKILLS)
def test_fuzzing_finds_nothing(skill):
    checked, rejected = oracle_checked(SKILLS[skill])
    report = fuzz(checked, model(skill), sessions=FUZZ_SESSIONS, seed=2024,
                  skill=f'skills.{skill}')
    assert report.passed, report.text()
    assert report.sessions == FUZZ_SESSIONS
    assert set(report.states_reached) == set(Machine.of(SKILLS[skill]).states), report.text()
    assert not rejected, '\n'.join(rejected[:3])


# Helpers

def oracle_checked(policy_cls: type) -> Tuple[type, List[str]]:
    """The skill with every response it gives held to Amazon's model, and the rejections."""
    rejected: List[str] = []

    class Checked(policy_cls):
        @classmethod
        def respond(cls, request: Any, **options: Any) -> Any:
            envelope = super().respond(request, **options)
            try:
                assert_valid_response(json.loads(json.dumps(envelope)))
            except AssertionError as error:
                rejected.append(f"{describe_request(request)}: {error}")
            return envelope

    return Checked, rejected


class Forgetful(MemoryStore):
    """A store that says it saved and keeps nothing: memory that does not outlive a turn."""

    def save(self, key: str, text: str, version: Any) -> bool:
        return True


def record_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location('record_examples', RECORD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def session_places(turns: list) -> List[int]:
    """Each turn's place in its session, from 1, counted here rather than by playback."""
    seen: Dict[Any, int] = {}
    places = []
    for turn in turns:
        seen[turn.session_id] = seen.get(turn.session_id, 0) + 1
        places.append(seen[turn.session_id])
    return places


def items(value: Any) -> Iterator[Tuple[str, Any]]:
    """Every key and value of a JSON document, however deep."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from items(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from items(inner)
