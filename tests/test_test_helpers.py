"""0.1.11's test helpers: ``recordable`` on JSON instead of pickle; ``get_requests_responses``."""
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from alexafsm.test_helpers import MissingRecording
from alexafsm.test_helpers import get_requests_responses
from alexafsm.test_helpers import recordable
from alexafsm.test_helpers import recording_name
from tests.fixtures.conversation.pizza import PizzaPolicy

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / 'tests' / 'fixtures' / 'conversation' / 'pizza.recording.jsonl'


class Mode:
    """The switches a skill's settings object gives recordable, flipped by each test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.playback = False
        self.record = False

    def decorator(self, **options):
        return recordable(lambda: str(self.directory), lambda: self.playback,
                          lambda: self.record, **options)


@pytest.fixture
def mode(tmp_path) -> Mode:
    return Mode(tmp_path / 'recordings')


def search(query: str, top_n: int = 3, *, category: str = None) -> dict:
    search.calls += 1
    return {'query': query, 'hits': [f'{query} {i}' for i in range(top_n)],
            'category': category}


def test_record_then_play_back_without_calling_the_service(mode):
    search.calls = 0
    recorded = mode.decorator()(search)
    mode.record = True
    first = recorded('pizza', category='food')
    assert search.calls == 1
    mode.record, mode.playback = False, True
    assert recorded('pizza', category='food') == first
    assert search.calls == 1


def test_the_file_is_json_keyed_by_a_stable_hash_of_name_and_arguments(mode):
    search.calls = 0
    mode.record = True
    mode.decorator()(search)('pizza', 2)
    files = list(mode.directory.iterdir())
    assert len(files) == 1
    arguments = {'query': 'pizza', 'top_n': 2, 'category': None}
    canonical = json.dumps(arguments, sort_keys=True, separators=(',', ':'))
    digest = hashlib.sha256(f"search\n{canonical}".encode()).hexdigest()
    assert files[0].name == f"search_{digest[:32]}.json"
    assert json.loads(files[0].read_text()) == {
        'function': 'search', 'arguments': arguments,
        'result': {'query': 'pizza', 'hits': ['pizza 0', 'pizza 1'], 'category': None}}


def test_positional_keyword_and_default_arguments_share_one_recording(mode):
    search.calls = 0
    recorded = mode.decorator()(search)
    mode.record = True
    recorded('pizza')
    recorded(query='pizza', top_n=3)
    recorded('pizza', 3, category=None)
    assert len(list(mode.directory.iterdir())) == 1
    recorded('pizza', 4)
    recorded('sushi')
    assert len(list(mode.directory.iterdir())) == 3


def test_the_key_does_not_depend_on_the_process_or_its_hash_seed():
    code = ("from tests.test_test_helpers import search; "
            "from alexafsm.test_helpers import recording_name; "
            "print(recording_name(search, {'query': 'pizza', 'top_n': 3, 'category': None}))")
    names = set()
    for seed in ('1', '2'):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        names.add(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                                 env=env, cwd=ROOT, check=True).stdout.strip())
    assert names == {recording_name(search, {'query': 'pizza', 'top_n': 3, 'category': None})}


@dataclass(frozen=True)
class Hit:
    name: str
    stars: float

    def to_json(self) -> dict:
        return {'name': self.name, 'stars': self.stars}

    @classmethod
    def from_json(cls, data: dict) -> 'Hit':
        return cls(**data)


def test_objects_with_to_json_round_trip_through_the_decode_hook(mode):
    def best(query: str) -> Hit:
        return Hit(f'{query} palace', 4.5)

    mode.record = True
    assert mode.decorator(decode=Hit.from_json)(best)('pizza') == Hit('pizza palace', 4.5)
    mode.record, mode.playback = False, True
    replayed = mode.decorator(decode=Hit.from_json)(best)('pizza')
    assert replayed == Hit('pizza palace', 4.5) and isinstance(replayed, Hit)
    assert mode.decorator()(best)('pizza') == {'name': 'pizza palace', 'stars': 4.5}


def test_a_missing_recording_names_the_function_arguments_and_file(mode):
    mode.playback = True
    with pytest.raises(MissingRecording) as error:
        mode.decorator()(search)('pizza', category='food')
    message = str(error.value)
    expected_file = mode.directory / recording_name(
        search, {'query': 'pizza', 'top_n': 3, 'category': 'food'})
    assert message.startswith('no recorded result of search(query="pizza", top_n=3, '
                              'category="food"): looked for ')
    assert str(expected_file) in message
    assert isinstance(error.value, FileNotFoundError)  # what 0.1.11's open() raised


def test_results_and_arguments_without_json_form_are_refused(mode):
    mode.record = True

    def opaque(query: str) -> object:
        return object()

    with pytest.raises(TypeError, match=r"opaque\(\) returned a object, which has no JSON form"):
        mode.decorator()(opaque)('x')
    assert not mode.directory.exists() or not list(mode.directory.iterdir())
    with pytest.raises(TypeError, match=r"argument 'query' is a object"):
        mode.decorator()(search)(object())


def test_a_corrupt_recording_says_to_record_again(mode):
    mode.record = True
    mode.decorator()(search)('pizza')
    path = next(mode.directory.iterdir())
    path.write_text('[1, 2]')
    mode.record, mode.playback = False, True
    with pytest.raises(ValueError, match='is not a recording of search.*record again'):
        mode.decorator()(search)('pizza')


def test_without_record_or_playback_the_function_just_runs(mode):
    search.calls = 0
    assert mode.decorator()(search)('pizza', 1)['hits'] == ['pizza 0']
    assert search.calls == 1
    assert not mode.directory.exists()


def test_methods_are_keyed_without_self(mode):
    class Client:
        def __init__(self, suffix):
            self.suffix = suffix

        @mode.decorator()
        def lookup(self, query):
            return query + self.suffix

    mode.record = True
    assert Client('!').lookup('pizza') == 'pizza!'
    mode.record, mode.playback = False, True
    assert Client('?').lookup('pizza') == 'pizza!'  # another instance, the same recording


def test_the_decorator_keeps_the_functions_name_and_doc(mode):
    assert mode.decorator()(search).__name__ == 'search'
    assert mode.decorator()(search).__wrapped__ is search


def test_get_requests_responses_returns_pairs_in_recorded_order():
    pairs = get_requests_responses(str(RECORDING))
    assert len(pairs) == 11
    assert all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs)
    lines = RECORDING.read_text().splitlines()
    assert pairs[4] == tuple(json.loads(lines[4]))
    assert pairs[0][0]['request']['type'] == 'LaunchRequest'
    # 0.1.11's use: replay and compare
    for request, response in pairs:
        assert json.loads(json.dumps(PizzaPolicy.initialize(request).handle(request))) == \
            response


@pytest.mark.skipif(importlib.util.find_spec('skills.skillsearch') is None,
                    reason='the Skill Search example is not in this tree')
def test_recording_skillsearch_catalog_searches(mode):
    from skills.skillsearch.catalog import SearchResult
    from skills.skillsearch.catalog import default_catalog

    catalog = default_catalog()
    searched = mode.decorator(decode=SearchResult.from_json)(catalog.search)
    mode.record = True
    live = searched('meditate', 6)
    assert live.total > 0
    mode.record, mode.playback = False, True
    assert searched('meditate', 6) == live
    assert searched('meditate', limit=6) == live
    with pytest.raises(MissingRecording, match=r'search\(query="order pizza", limit=6\)'):
        searched('order pizza')
