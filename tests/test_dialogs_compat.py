"""T1-T3 of the dialogs design: a skill that uses no dialogs is exactly what it was.

Flat skills (the 0.1.11-style test skill, Skill Search, 300 random machines) keep the plain
``Machine`` and its candidate order, and never send the reserved ``alexafsm`` attribute; the
recordings of every example skill replay byte for byte elsewhere (tests/test_playback.py,
tests/test_example_skills.py). Speed: benchmarks/core.py for flat skills and
benchmarks/dialogs.py for a session with pushes and resumes are run here, their figures not
asserted (timings belong to benchmarks), only that they measure what they say.
"""
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from alexafsm.dialogs.compiled import dialog_info
from alexafsm.dialogs.compiled import uses_dialogs
from alexafsm.machine import Machine
from alexafsm.machine import build_transitions_machine
from alexafsm.session_attributes import ENVELOPE
from alexafsm.session_attributes import SessionAttributes
from skills.pizza import PizzaPolicy
from skills.skillsearch import Policy as SkillSearchPolicy
from tests.fixtures.compat_skill import Policy as CompatPolicy
from tests.helpers import intent_request
from tests.test_machine import random_skill

ROOT = Path(__file__).resolve().parents[1]


def _reference_order(states_cls, trigger, state):
    machine = build_transitions_machine(states_cls)
    event = machine.events.get(trigger)
    return [(t.dest, tuple(c.func for c in t.conditions if c.target),
             tuple(c.func for c in t.conditions if not c.target))
            for t in (event.transitions.get(state, []) if event else [])]


@pytest.mark.parametrize('seed', range(300))
def test_a_random_flat_skill_compiles_to_the_plain_machine_in_0_1_11s_order(seed):
    states_cls, policy_cls, triggers = random_skill(random.Random(seed))
    assert not uses_dialogs(states_cls) and dialog_info(states_cls) is None
    machine = Machine.of(policy_cls)
    assert type(machine) is Machine
    for trigger in triggers:
        for state in machine.states:
            ours = [(t.dest, t.conditions, t.unless) for t in machine.candidates(trigger, state)]
            assert ours == _reference_order(states_cls, trigger, state), (seed, trigger, state)
            assert not any(t.push or t.clear or t.otherwise or t.outcome
                           for t in machine.candidates(trigger, state))


@pytest.mark.parametrize('policy_cls', [CompatPolicy, SkillSearchPolicy])
def test_the_example_flat_skills_keep_the_plain_machine(policy_cls):
    assert type(Machine.of(policy_cls)) is Machine
    assert dialog_info(policy_cls.states_cls) is None


def test_the_pizza_uses_the_dialog_machine():
    assert type(Machine.of(PizzaPolicy)).__name__ == 'DialogMachine'


@pytest.mark.parametrize('seed', range(3))
def test_a_flat_skill_never_sends_the_reserved_attribute(seed):
    rng = random.Random(seed)
    intents = sorted(Machine.of(CompatPolicy).events) + ['Unknown']
    attributes = None
    for _ in range(300):
        request = intent_request(rng.choice(intents), {'food': rng.choice([None, 'pizza'])},
                                 attributes)
        envelope = json.loads(json.dumps(CompatPolicy.respond(request)))
        attributes = envelope.get('sessionAttributes')
        assert ENVELOPE not in (attributes or {})


def test_the_recordings_of_flat_skills_hold_no_reserved_attribute():
    for path in sorted((ROOT / 'skills' / 'skillsearch' / 'recordings').glob('*.jsonl')):
        assert f'"{ENVELOPE}"' not in path.read_text(encoding='utf-8'), path


def test_the_wire_format_of_plain_attributes_is_unchanged():
    attributes = SessionAttributes(intent='Order', state='ordering')
    assert attributes.wire_json() == {'intent': 'Order', 'state': 'ordering'}
    attributes._hidden = 'not sent'
    assert attributes.wire_json() == {'intent': 'Order', 'state': 'ordering'}


def test_a_session_attribute_named_alexafsm_never_reaches_the_skills_init():
    class Strict(SessionAttributes):
        def __init__(self, intent=None, slots=None, state='initial'):
            super().__init__(intent, slots, state)

    request = intent_request('X', {}, {'state': 'a', ENVELOPE: {'v': 1, 'stack': ['a']}})
    attributes = Strict.from_request(request)
    assert attributes.state == 'a' and attributes.wire_json()[ENVELOPE] == {'v': 1,
                                                                            'stack': ['a']}
    assert request['session']['attributes'][ENVELOPE] == {'v': 1, 'stack': ['a']}


@pytest.mark.integration
def test_the_dialogs_benchmark_compares_a_session_with_pushes_to_the_same_one_flat():
    out = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'dialogs.py'), '--seconds',
                          '0.05'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'push/resume against flat:' in out.stdout and 'us/request' in out.stdout


def test_attributes_with_their_own_to_json_carry_the_envelope_too():
    class Own(SessionAttributes):
        def to_json(self):
            return {'state': self.state, 'extra': 1}

    attributes = Own.from_request(intent_request('X', {}, {'state': 'a', ENVELOPE: {
        'v': 1, 'stack': ['b']}}))
    assert attributes.wire_json() == {'state': 'a', 'extra': 1,
                                      ENVELOPE: {'v': 1, 'stack': ['b']}}
    assert Own.from_request(intent_request('X', {}, {'state': 'a'})).wire_json() == {
        'state': 'a', 'extra': 1}
