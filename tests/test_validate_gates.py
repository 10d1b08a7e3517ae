"""Gating CI on intents that fall through (issue 17, item 5) and the fix hints that name the
right place (item 10): ``--strict=falls-through``, ``--must-handle``/``MUST_HANDLE``, the
missing-Stop hint and the did-you-mean fix, at validation and at run time."""
import logging
from pathlib import Path

from click.testing import CliRunner

from alexafsm import amazon_intent
from alexafsm.cli import main
from alexafsm.errors import CallbackError
from alexafsm.machine import Machine
from alexafsm.policy import Policy
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.testing.requests import intent_request
from alexafsm.testing.requests import launch_request
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import INFO
from alexafsm.tools.validation import validate_policy
from tests.fixtures.broken import base
from tests.fixtures.broken.base import Attributes
from tests.fixtures.broken.base import say

MODEL = str(Path(__file__).parent / 'fixtures' / 'broken' / 'model.json')
BASE = 'tests.fixtures.broken.base'


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_strict_falls_through_fails_on_intents_a_state_answers_not_understood():
    # the clean diner passes --strict, but Yes and No fall through in three states
    assert run('validate', BASE, '--model', MODEL, '--strict').exit_code == 0
    gated = run('validate', BASE, '--model', MODEL, '--strict=falls-through')
    assert gated.exit_code == 1, gated.output
    assert ("--strict=falls-through: 6 intent(s) in some state answered 'I did not understand' "
            "fail the check") in gated.output
    assert run('validate', BASE, '--model', MODEL, '--strict', 'warnings').exit_code == 0


def test_strict_before_the_skill_is_still_a_flag():
    assert run('validate', '--strict', 'tests.fixtures.broken.slots', '--model', MODEL
               ).exit_code == 1
    assert run('validate', '--strict', BASE, '--model', MODEL).exit_code == 0
    assert run('validate', '--strict', 'falls-through', BASE, '--model', MODEL).exit_code == 1


def test_strict_falls_through_passes_a_skill_where_nothing_falls_through():
    # Yes and No are the diner's only intents that fall through anywhere
    ignored = ('--ignore-intent', amazon_intent.YES, '--ignore-intent', amazon_intent.NO)
    result = run('validate', BASE, '--model', MODEL, '--strict=falls-through', *ignored)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == '0 error(s), 0 warning(s), 0 info'


def test_must_handle_makes_a_state_that_drops_the_intent_an_error():
    findings = validate_policy(base.Policy, MODEL, must_handle=[amazon_intent.YES])
    errors = [(f.code, f.state, f.trigger) for f in findings if f.severity == ERROR]
    assert errors == [('must-handle', 'initial', amazon_intent.YES),
                      ('must-handle', 'helping', amazon_intent.YES),
                      ('must-handle', 'which_food', amazon_intent.YES)]
    hint = next(f for f in findings if f.code == 'must-handle').hint
    assert "Add 'initial' to the 'source' of the AMAZON.YesIntent transition declared on " \
           "state 'which_food'" in hint
    # reported once, as an error, not again among the facts
    assert not [f for f in findings if f.severity == INFO and f.trigger == amazon_intent.YES]
    result = run('validate', BASE, '--model', MODEL, '--must-handle', amazon_intent.YES)
    assert result.exit_code == 1
    assert "error: [must-handle] in state 'initial', AMAZON.YesIntent is answered" in \
        result.output


def test_must_handle_declared_on_the_states_class():
    states = type('States', (base.States,), {'MUST_HANDLE': amazon_intent.NO})
    policy = type('Policy', (base.Policy,), {'states_cls': states})
    found = [f for f in validate_policy(policy, MODEL) if f.code == 'must-handle']
    assert [f.state for f in found] == ['initial', 'helping', 'which_food']
    ignored = validate_policy(policy, MODEL, ignore_intents=[amazon_intent.NO])
    assert not [f for f in ignored if f.code == 'must-handle']


class _NoStopStates(States):
    session_attributes_cls = Attributes

    def initial(self):
        return say('Welcome.')

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'},
                      {'trigger': amazon_intent.CANCEL, 'source': '*'})
    def helping(self):
        return say('Say: a pizza.')

    @with_transitions({'trigger': amazon_intent.STOP, 'source': 'helping'},
                      {'trigger': amazon_intent.NO, 'source': '*'})
    def exiting(self):
        return say('Bye.')


class _NoStopPolicy(Policy):
    states_cls = _NoStopStates


def test_the_missing_stop_hint_names_the_declaration_to_widen():
    found = [f for f in validate_policy(_NoStopPolicy) if f.code == 'missing-required-intent']
    stop = next(f for f in found if f.state == 'initial' and f.trigger == amazon_intent.STOP)
    assert stop.hint == ("Add 'initial' to the 'source' of the AMAZON.StopIntent transition "
                         "declared on state 'exiting' (into 'exiting'), or make that source '*'")


def test_the_missing_stop_hint_names_the_ending_state_when_nothing_handles_stop():
    class NoStop(_NoStopStates):
        # nothing handles Stop: the transition belongs on the ending state, not on 'initial'
        @with_transitions({'trigger': amazon_intent.NO, 'source': '*'})
        def exiting(self):
            return say('Bye.')

    policy = type('Policy', (Policy,), {'states_cls': NoStop})
    stop = next(f for f in validate_policy(policy) if f.trigger == amazon_intent.STOP)
    assert stop.hint == ("Add {'trigger': 'AMAZON.StopIntent', 'source': '*'} to the "
                         "@with_transitions of state 'exiting', which ends the session (a "
                         "transition is declared on the state it leads into)")


class _TypoStates(States):
    session_attributes_cls = Attributes

    def initial(self):
        return say('Welcome.')

    @with_transitions({'trigger': 'More', 'source': '*', 'conditions': 'm_has_mroe'})
    def more(self):
        return say('More.')


class _TypoPolicy(Policy):
    states_cls = _TypoStates

    def m_has_more(self) -> bool:
        return True


def test_a_misspelt_callback_is_corrected_not_added_at_validation_and_at_run_time(caplog):
    finding = next(f for f in validate_policy(_TypoPolicy) if f.code == 'missing-callback')
    assert finding.hint == ("Did you mean 'm_has_more'? Correct 'm_has_mroe' to 'm_has_more' in "
                            "the transition's 'conditions'")
    assert 'def m_has_mroe' not in finding.hint
    with caplog.at_level(logging.ERROR):
        _TypoPolicy.initialize().handle(intent_request('More'))
    errors = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1],
                                                                     CallbackError)]
    assert errors, caplog.text
    message = str(errors[0].exc_info[1])
    assert "did you mean 'm_has_more'? Correct 'm_has_mroe' to 'm_has_more' in the " \
           "transition's 'conditions'" in message
    assert 'def m_has_mroe' not in message


def test_a_callback_close_to_nothing_still_gets_the_add_a_method_fix(caplog):
    class Far(_TypoStates):
        @with_transitions({'trigger': 'More', 'source': '*', 'conditions': 'zzz'})
        def more(self):
            return say('More.')

    policy = type('Policy', (_TypoPolicy,), {'states_cls': Far})
    with caplog.at_level(logging.ERROR):
        policy.initialize().handle(intent_request('More'))
    assert "add a method 'def zzz(self)' to Policy or fix the name" in caplog.text
    assert list(Machine.of(policy).states) == ['initial', 'more']


def test_the_apology_log_line_has_single_spaces_for_a_launch(caplog):
    class Broken(_TypoStates):
        def initial(self):
            raise RuntimeError('boom')

    policy = type('BrokenPolicy', (_TypoPolicy,), {'states_cls': Broken})
    with caplog.at_level(logging.ERROR):
        policy.initialize().handle(launch_request())
    assert 'while answering LaunchRequest in state initial;' in caplog.text
    assert '  ' not in caplog.records[-1].getMessage()
