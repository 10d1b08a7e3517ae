"""The tools on skills that use ``alexafsm.dialogs``, and flat skills' output kept as it was.

The files in tests/fixtures/flat_golden/ were written by the tools before they learnt dialogs:
a flat skill must still draw and report byte for byte the same.
"""
import json
import re
from pathlib import Path

import pytest

from alexafsm import amazon_intent as ai
from alexafsm.dialogs import RESUME
from alexafsm.states import with_transitions
from alexafsm.testing.requests import intent_request
from alexafsm.tools.coverage import coverage
from alexafsm.tools.describe import describe
from alexafsm.tools.describe import machine_listing
from alexafsm.tools.describe import machine_of
from alexafsm.tools.describe import machine_text
from alexafsm.tools.dialog_facts import uses_dialogs
from alexafsm.tools.graph import BACK
from alexafsm.tools.graph import render
from alexafsm.tools.graph import to_dot
from skills.skillsearch.policy import SkillSearchPolicy
from tests.fixtures import skillsearch011
from tests.fixtures.broken import base
from tests.test_validate_dialogs import DinerStates
from tests.test_validate_dialogs import policy
from tests.test_validate_dialogs import say

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / 'fixtures' / 'flat_golden'
# pizza is no flat skill since issue 12 rewrote it on alexafsm.dialogs
FLAT = {'skillsearch011': skillsearch011.Policy, 'diner': base.Policy,
        'skillsearch': SkillSearchPolicy}


def flat(name: str):
    skill = FLAT[name]
    assert not uses_dialogs(machine_of(skill))
    return skill


def recordings(name: str) -> list:
    return [str(p.relative_to(REPO)) for p in sorted((REPO / 'skills' / name / 'recordings')
                                                     .glob('*.jsonl'))]


@pytest.mark.parametrize('name', sorted(FLAT))
def test_a_flat_skill_draws_as_before(name):
    assert to_dot(flat(name)) == (GOLDEN / f'{name}.dot').read_text()


@pytest.mark.parametrize('name', ['skillsearch'])
def test_a_flat_skill_covers_as_before(name, monkeypatch):
    monkeypatch.chdir(REPO)
    report = coverage(flat(name), recordings(name))
    assert report.to_text() + '\n' == (GOLDEN / f'{name}.coverage.txt').read_text()


@pytest.mark.parametrize('name', sorted(FLAT))
def test_a_flat_skill_describes_with_no_dialog_keys(name):
    data = describe(flat(name))
    assert set(data) == {'skill', 'states_cls', 'initial', 'states', 'ending_states', 'events'}
    for by_source in data['events'].values():
        for candidates in by_source.values():
            for t in candidates:
                assert set(t) == {'dest', 'conditions', 'unless', 'prepare', 'before', 'after',
                                  'declared_source', 'declared_on'}


DINER = policy(DinerStates)


def test_a_push_is_dashed_and_a_resume_leads_back():
    dot = to_dot(DINER)
    # the push is declared from '*', so it is drawn once from the "any state" node
    assert re.search(r'\t"\*" -> helping \[label="AMAZON.HelpIntent\\n\(push\)" style=dashed\]',
                     dot), dot
    assert f'"back from helping" [label="{BACK}\\n(else ordering)"' in dot
    assert '\thelping -> "back from helping" [label="AMAZON.YesIntent"]' in dot
    assert RESUME not in dot  # no "not a state" node for the RESUME token
    assert '"*" -> exiting [label="AMAZON.CancelIntent\\n(clear)"]' in dot


def test_the_real_dot_draws_a_dialog_skill(tmp_path):
    svg = render(DINER, tmp_path / 'diner.svg').read_text()
    assert '(push)' in svg and 'back' in svg


def test_print_marks_push_resume_and_clear():
    text = machine_text(DINER)
    assert '\t\tordering -> helping (push)' in text
    assert '\t\tordering -> helping (push)' in machine_listing(DINER)
    assert '\t\thelping -> <resume> (otherwise ordering)' in text
    assert '\t\tinitial -> exiting (clear)' in text


def test_describe_gives_the_stack_keys_of_a_dialog_skill():
    data = describe(DINER)
    assert data['max_stack'] == 3 and data['never_suspended'] == ['initial']
    yes = data['events'][ai.YES]['helping'][0]
    assert (yes['dest'], yes['resume'], yes['otherwise']) == (RESUME, True, 'ordering')
    assert data['events'][ai.HELP]['ordering'][0]['push'] is True
    assert data['events'][ai.CANCEL]['ordering'][0]['clear'] is True



def turn(intent: str, state: str, stack: list, dest: str, digression: bool = False) -> str:
    """A recorded turn: the request in ``state`` with ``stack`` suspended, answered in ``dest``."""
    envelope = {'alexafsm': {'v': 1, 'stack': stack, **({'digression': state} if digression
                                                        else {})}} if stack else {}
    request = intent_request(intent, attributes={'state': state, **envelope})
    return json.dumps([request, {'version': '1.0', 'sessionAttributes': {'state': dest}}])


def test_a_resumed_turn_counts_on_the_resume_transition(tmp_path):
    recording = tmp_path / 'resume.jsonl'
    recording.write_text('\n'.join([
        turn(ai.HELP, 'ordering', [], 'helping'),
        turn(ai.YES, 'helping', ['ordering'], 'ordering'),  # back to the suspended state
        turn(ai.YES, 'helping', ['ordered'], 'ordered'),
        turn(ai.YES, 'helping', [], 'ordering'),  # nothing suspended: the otherwise
        turn(ai.YES, 'helping', ['gone', 'ordered'], 'initial'),  # matches no transition
    ]) + '\n')
    report = coverage(DINER, [recording])
    assert report.steps[('helping', ai.YES, RESUME)] == 3
    assert report.steps[('ordering', ai.HELP, 'helping')] == 1
    assert report.unmatched == {('helping', ai.YES): 1}
    assert 'helping -> <resume> on AMAZON.YesIntent' in report.to_text()


def test_in_a_digression_the_suspended_states_transition_counts(tmp_path):
    """Yes is not handled in the help of a skill whose yes belongs to 'ordering' alone."""
    class Flat(DinerStates):
        @with_transitions({'trigger': ai.HELP, 'source': '*', 'push': True},
                          {'trigger': ai.NO, 'dest': RESUME, 'otherwise': 'ordering'})
        def helping(self):
            return say('Say: two pizzas. Say no to go on.')

    recording = tmp_path / 'fall.jsonl'
    recording.write_text(turn(ai.YES, 'helping', ['ordering'], 'ordered', True) + '\n')
    report = coverage(policy(Flat), [recording])
    assert report.steps[('ordering', ai.YES, 'ordered')] == 1 and not report.unmatched


def test_a_mount_is_a_cluster_with_its_entry_in_bold(tmp_path):
    from tests.fixtures.coffee_skill import CoffeePolicy
    dot = to_dot(CoffeePolicy)
    cluster = dot[dot.index('subgraph cluster_coffee {'):]
    assert 'label="coffee (CoffeeOrder)"' in cluster
    assert '"coffee.asking" [penwidth=2 style="rounded,bold"]' in cluster
    assert '"coffee.confirming"' in cluster and 'helping' not in cluster
    assert '"coffee.asking" -> made [label="OrderCoffeeIntent\\n[coffee_done]\\n= done"]' in dot
    svg = render(CoffeePolicy, tmp_path / 'coffee.svg').read_text()
    assert 'cluster_coffee' in svg and 'coffee (CoffeeOrder)' in svg


def test_print_and_describe_list_the_mounts():
    from tests.fixtures.coffee_skill import CoffeePolicy
    assert machine_text(CoffeePolicy).endswith(
        '\nMounted dialogs:\n\tcoffee: CoffeeOrder, entry coffee.asking, store coffee; '
        'done -> made, denied -> initial, gave_up -> helping\n')
    dialogs = describe(CoffeePolicy)['dialogs']
    assert dialogs == [{'path': 'coffee', 'class': 'tests.fixtures.coffee_skill:CoffeeOrder',
                        'entry': 'coffee.asking', 'store': 'coffee',
                        'outcomes': {'done': 'made', 'denied': 'initial', 'gave_up': 'helping'}}]
