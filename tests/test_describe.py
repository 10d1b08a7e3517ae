"""0.1.11's printout and the JSON description, both checked against transitions' own machine."""
import json

import pytest

from alexafsm.machine import build_transitions_machine
from alexafsm.tools.describe import describe
from alexafsm.tools.describe import ending_states_of
from alexafsm.tools.describe import machine_text
from alexafsm.utils import print_machine
from tests.fixtures import skillsearch011
from tests.fixtures.broken import base
from tests.fixtures.broken import dead_end

SKILLS = [skillsearch011, base]


def print_machine_0_1_11(machine) -> str:
    """0.1.11's print_machine, reading a transitions.Machine, with print() turned into text."""
    out = [f"Machine states:\n\t{', '.join(machine.states)}\n", "\nEvents and transitions:\n\n"]
    for _, event in machine.events.items():
        out.append(f"Event: {event.name}\n")
        for source, trans in event.transitions.items():
            out.append(f"\tSource: {source}\n")
            for tran in trans:
                out.append(f"\t\t{tran.source} -> {tran.dest}")
                if tran.prepare:
                    out.append(f", prepare: {tran.prepare}")
                if tran.conditions:
                    out.append(f", conditions: {[cond.func for cond in tran.conditions]}")
                out.append('\n')
    return ''.join(out)


@pytest.mark.parametrize('skill', SKILLS, ids=lambda m: m.__name__)
def test_print_machine_prints_what_0_1_11_printed(skill, capsys):
    expected = print_machine_0_1_11(build_transitions_machine(skill.States))
    print_machine(skill.Policy.initialize())
    assert capsys.readouterr().out == expected
    assert machine_text(skill.Policy) == expected


def test_the_printout_shows_unless_among_conditions_and_prepare_as_0_1_11_did():
    text = machine_text(skillsearch011.Policy)
    assert "\t\tinitial -> bad_navigate, conditions: ['m_has_nth']\n" in text
    assert ("\t\thelping -> no_result, prepare: ['m_search'], conditions: ['m_no_result']\n"
            in text)
    assert text.startswith('Machine states:\n\tinitial, bad_navigate, ')


def _reference_events(states_cls) -> dict:
    """Events as transitions sees them: conditions with target False are ``unless``."""
    machine = build_transitions_machine(states_cls)
    return {name: {source: [{'dest': t.dest,
                             'conditions': [c.func for c in t.conditions if c.target],
                             'unless': [c.func for c in t.conditions if not c.target],
                             'prepare': list(t.prepare), 'before': list(t.before),
                             'after': list(t.after)} for t in trans]
                   for source, trans in event.transitions.items()}
            for name, event in machine.events.items()}


@pytest.mark.parametrize('skill', SKILLS, ids=lambda m: m.__name__)
def test_describe_holds_the_same_machine_as_transitions(skill):
    data = json.loads(json.dumps(describe(skill.Policy)))
    machine = build_transitions_machine(skill.States)
    assert data['states'] == list(machine.states)
    assert data['initial'] == 'initial'
    assert data['ending_states'] == ['exiting']
    assert data['skill'] == f"{skill.__name__}:Policy"
    stripped = {trigger: {source: [{k: v for k, v in t.items()
                                    if k not in ('declared_source', 'declared_on')}
                                   for t in transitions]
                          for source, transitions in by_source.items()}
                for trigger, by_source in data['events'].items()}
    assert stripped == _reference_events(skill.States)


def test_describe_says_where_each_transition_was_declared():
    events = describe(skillsearch011.Policy)['events']
    assert events['AMAZON.HelpIntent']['has_result'] == [{
        'dest': 'helping', 'conditions': [], 'unless': [], 'prepare': [], 'before': [],
        'after': [], 'declared_source': '*', 'declared_on': 'helping'}]
    yes = events['AMAZON.YesIntent']['describe_ratings'][0]
    assert (yes['declared_source'], yes['declared_on']) == (['has_result', 'describe_ratings'],
                                                            'describing')
    no = events['AMAZON.NoIntent']['has_result']
    assert [(t['dest'], t['declared_source'], t['after']) for t in no] == [
        ('bad_navigate', 'has_result', []), ('has_result', 'has_result', ['m_set_next'])]


def test_ending_states_are_exiting_plus_what_the_states_class_declares():
    assert ending_states_of(base.States) == {'exiting'}
    assert ending_states_of(base.States, ['done']) == {'done'}
    states = type('States', (dead_end.States,), {'ENDING_STATES': ['waiting']})
    assert ending_states_of(states) == {'exiting', 'waiting'}
    policy = type('Policy', (dead_end.Policy,), {'states_cls': states})
    assert describe(policy)['ending_states'] == ['exiting', 'waiting']
    assert describe(policy, ['waiting', 'nowhere'])['ending_states'] == ['waiting']
