"""``alexafsm validate``, ``print`` and ``graph`` as CI runs them: output and exit codes."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from alexafsm import amazon_intent
from alexafsm.cli import main
from alexafsm.states import with_transitions
from alexafsm.tools.describe import describe
from alexafsm.tools.describe import machine_listing
from alexafsm.tools.describe import machine_text
from alexafsm.tools.graph import to_dot
from alexafsm.tools.validation import counts
from alexafsm.tools.validation import validate_policy
from tests.fixtures.broken import base
from tests.oracle import assert_valid_response

FIXTURES = Path(__file__).parent / 'fixtures'
MODEL = str(FIXTURES / 'broken' / 'model.json')
BROKEN = 'tests.fixtures.broken.'


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_validate_passes_a_clean_skill():
    result = run('validate', BROKEN + 'base', '--model', MODEL)
    assert result.exit_code == 0, result.output
    info = counts(validate_policy(base.Policy, MODEL))['info']
    assert info > 0
    assert result.output.splitlines()[-1] == f'0 error(s), 0 warning(s), {info} info'
    assert re.search(r'^  which_food +AMAZON.YesIntent, AMAZON.NoIntent$', result.output, re.M)


def test_validate_fails_on_errors_and_prints_every_one():
    result = run('validate', BROKEN + 'unreachable', '--model', MODEL)
    assert result.exit_code == 1
    assert "error: [no-inbound] no transition leads into state 'lost'" in result.output
    assert "error: [unreachable] state 'limbo' cannot be reached" in result.output


def test_warnings_fail_only_with_strict():
    lenient = run('validate', BROKEN + 'slots', '--model', MODEL)
    assert lenient.exit_code == 0
    assert "warning: [slot-dropped] slot 'count' of intent 'OrderIntent'" in lenient.output
    assert run('validate', BROKEN + 'slots', '--model', MODEL, '--strict').exit_code == 1
    assert run('validate', BROKEN + 'base', '--model', MODEL, '--strict').exit_code == 0


def test_validate_json_lists_the_findings_with_counts():
    result = run('validate', BROKEN + 'dead_end', '--model', MODEL, '--format', 'json')
    assert result.exit_code == 1
    data = json.loads(result.output)
    from tests.fixtures.broken.dead_end import Policy
    expected = validate_policy(Policy, MODEL)
    assert data['findings'] == [f.to_json() for f in expected]
    assert data['counts'] == counts(expected) == {'error': 1, 'warning': 3, 'info': 3}
    assert (data['skill'], data['model']) == (BROKEN + 'dead_end', MODEL)
    assert data['findings'][0]['state'] == 'waiting'


def test_ignored_intents_and_ending_states_reach_the_validator():
    strict = ('--model', MODEL, '--strict')
    assert run('validate', BROKEN + 'dead_end', *strict,
               '--ending-state', 'exiting', '--ending-state', 'waiting').exit_code == 0
    typo = run('validate', BROKEN + 'intent_typo', *strict, '--ignore-intent', 'AMAZON.YesIntnet')
    assert typo.exit_code == 0, typo.output


def test_a_model_that_cannot_be_read_is_a_usage_error(tmp_path):
    missing = run('validate', BROKEN + 'base', '--model', str(tmp_path / 'nope.json'))
    assert missing.exit_code == 2
    assert 'Invalid value for --model' in missing.output and 'no such file' in missing.output
    bad = tmp_path / 'bad.json'
    bad.write_text('{"interactionModel": {"languageModel": {"intents": [{"name": 3}]}}}')
    result = run('validate', BROKEN + 'base', '--model', str(bad))
    assert result.exit_code == 2
    assert 'intents[0].name should be a string' in result.output
    assert 'Traceback' not in result.output


def test_a_skill_that_cannot_be_loaded_is_a_usage_error():
    for command in ('validate', 'print'):
        result = run(command, 'tests.fixtures.broken.nonexistent')
        assert result.exit_code == 2
        assert "cannot import module 'tests.fixtures.broken.nonexistent'" in result.output
    result = run('graph', 'tests.fixtures.broken.base:Nope', '--output', 'x.svg')
    assert result.exit_code == 2


def test_print_text_tells_unless_from_conditions_and_0_1_11_keeps_its_exact_text():
    text = run('print', BROKEN + 'base')
    assert text.exit_code == 0
    assert text.output == machine_listing(base.Policy)
    assert text.output.startswith('Machine states:\n\tinitial, exiting, helping, ordered, ')
    # the two opposite OrderIntent transitions read as opposites
    assert "\t\tinitial -> ordered, conditions: ['m_has_food']\n" \
           "\t\tinitial -> which_food, unless: ['m_has_food']\n" in text.output
    old = run('print', BROKEN + 'base', '--format', '0.1.11')
    assert old.output == machine_text(base.Policy)
    assert "\t\tinitial -> which_food, conditions: ['m_has_food']\n" in old.output
    # only the lines with unless (or before/after) differ from 0.1.11's printout
    changed = [(a, b) for a, b in zip(old.output.splitlines(), text.output.splitlines()) if a != b]
    assert len(changed) == 5 and all('unless' in b for _, b in changed)
    data = run('print', BROKEN + 'base:Policy', '--format', 'json')
    assert json.loads(data.output) == describe(base.Policy)


def test_graph_writes_the_format_of_the_suffix(tmp_path):
    svg = tmp_path / 'fsm.svg'
    result = run('graph', BROKEN + 'base', '--output', str(svg))
    assert result.exit_code == 0
    assert result.output == f"wrote {svg}\n"
    assert svg.read_text().lstrip().startswith('<?xml')
    dot = tmp_path / 'fsm.dot'
    assert run('graph', BROKEN + 'base', '-o', str(dot)).exit_code == 0
    assert dot.read_text() == to_dot(base.Policy)


class _Hooked(base.States):
    @with_transitions({'trigger': amazon_intent.REPEAT, 'source': '*', 'prepare': 'm_look',
                       'conditions': ['m_has_food', 'm_open'], 'unless': 'm_busy',
                       'before': 'm_log', 'after': ['m_add', 'm_count']})
    def repeating(self):
        return base.say('Again?')


class _HookedPolicy(base.Policy):
    states_cls = _Hooked


def test_print_text_shows_every_callback_under_its_own_key():
    listing = machine_listing(_HookedPolicy)
    assert ("\t\tordered -> repeating, prepare: ['m_look'], conditions: ['m_has_food', "
            "'m_open'], unless: ['m_busy'], before: ['m_log'], after: ['m_add', 'm_count']\n"
            ) in listing
    old = machine_text(_HookedPolicy)
    assert ("\t\tordered -> repeating, prepare: ['m_look'], conditions: ['m_has_food', "
            "'m_open', 'm_busy']\n") in old
    assert 'after' not in old and 'before' not in old


def test_graph_refuses_an_unknown_suffix_and_an_unwritable_path(tmp_path):
    result = run('graph', BROKEN + 'base', '--output', str(tmp_path / 'fsm.jpg'))
    assert result.exit_code == 2
    assert 'Invalid value for --output' in result.output and '.svg' in result.output
    result = run('graph', BROKEN + 'base', '--output', str(tmp_path / 'no' / 'fsm.dot'))
    assert result.exit_code == 2
    assert "cannot write" in result.output and 'Traceback' not in result.output


def test_graph_with_coverage_shows_how_often_each_transition_fired(tmp_path):
    pytest.importorskip('alexafsm.tools.coverage')
    from alexafsm.testing import Conversation
    recording = tmp_path / 'session.jsonl'
    user = Conversation(base.Policy, record_to=recording)
    turns = [user.launch(), user.say('OrderIntent', food='pizza'), user.say(amazon_intent.YES),
             user.say(amazon_intent.HELP), user.say('OrderIntent', food='soup'),
             user.say(amazon_intent.NO)]
    for turn in turns:
        assert_valid_response(turn.response)
    assert [t.state for t in turns[1:]] == ['ordered', 'which_food', 'helping', 'ordered',
                                            'exiting']
    out = tmp_path / 'fsm.dot'
    result = run('graph', BROKEN + 'base', '-o', str(out), '--coverage', str(recording))
    assert result.exit_code == 0, result.output
    labels = dict(re.findall(r'^\t(\S+ -> \S+) \[label="([^"]*)"', out.read_text(), re.M))
    assert labels['"*" -> ordered'] == r'OrderIntent\n[m_has_food]\n(2)'
    assert labels['ordered -> which_food'] == r'AMAZON.YesIntent\n(1)'
    assert labels['"*" -> helping'] == r'AMAZON.HelpIntent\n(1)'
    assert labels['ordered -> exiting'] == r'AMAZON.NoIntent\n(1)'
    assert labels['"*" -> which_food'] == r'OrderIntent\n[!m_has_food]\n(0)'


def test_graph_coverage_of_an_unreadable_recording_is_a_usage_error(tmp_path):
    pytest.importorskip('alexafsm.tools.coverage')
    junk = tmp_path / 'junk.jsonl'
    junk.write_text('not json\n')
    result = run('graph', BROKEN + 'base', '-o', str(tmp_path / 'x.dot'), '--coverage', str(junk))
    assert result.exit_code == 2
    assert 'Invalid value for --coverage' in result.output and 'junk.jsonl:1' in result.output
