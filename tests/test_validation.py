"""The validator: one small broken skill per check, and no false alarm on 0.1.11's Skill Search.

Every broken skill in tests/fixtures/broken/ is the clean diner of base.py with one mistake, so
each test asserts the complete list of problems the mistake causes and nothing else.
"""
import importlib
import inspect
from pathlib import Path

import pytest

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.machine import build_transitions_machine
from alexafsm.policy import Policy
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.tools.interaction_model import load_model
from alexafsm.tools.validation import CHECKS
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import INFO
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import Finding
from alexafsm.tools.validation import report_text
from alexafsm.tools.validation import validate_policy
from alexafsm.utils import ValidationError
from alexafsm.utils import validate
from tests.fixtures import skillsearch011
from tests.fixtures.broken import base
from tests.fixtures.broken import dead_end
from tests.paths import SAMPLES

FIXTURES = Path(__file__).parent / 'fixtures'
DINER_MODEL = FIXTURES / 'broken' / 'model.json'
SKILLSEARCH_SCHEMA = FIXTURES / 'skillsearch011-schema.json'
REPO = Path(__file__).resolve().parents[1]


def broken(case: str) -> type:
    return importlib.import_module(f'tests.fixtures.broken.{case}').Policy


def problems(policy, model=DINER_MODEL, **options) -> list:
    """Errors and warnings, the findings a mistake causes; info is the skill's shape."""
    return [f for f in validate_policy(policy, model, **options) if f.severity != INFO]


def only(findings: list, code: str) -> Finding:
    assert [f.code for f in findings] == [code], '\n'.join(map(str, findings))
    return findings[0]


def test_the_clean_diner_has_no_problems():
    assert problems(base.Policy) == []


def test_no_initial_state():
    f = only(problems(broken('no_initial')), 'no-initial')
    assert (f.severity, f.state) == (ERROR, 'initial')
    assert "States has no method 'initial'" in f.message and 'LaunchRequest' in f.message
    assert 'def initial(self)' in f.hint


def test_unknown_source():
    f = only(problems(broken('unknown_source')), 'unknown-source')
    assert (f.severity, f.state, f.trigger) == (ERROR, 'confirming', amazon_intent.YES)
    assert "'which_fod', which is not a state" in f.message
    assert "Did you mean 'which_food'?" in f.hint


def test_unknown_dest():
    f = only(problems(broken('unknown_dest')), 'unknown-dest')
    assert (f.severity, f.state, f.trigger) == (ERROR, 'confirming', amazon_intent.NO)
    assert "goes to 'exitting', which is not a state" in f.message
    assert "Did you mean 'exiting'?" in f.hint and 'add a method' not in f.hint


def test_missing_condition_suggests_the_closest_policy_method():
    f = only(problems(broken('missing_callback')), 'missing-callback')
    assert (f.severity, f.state, f.trigger, f.callback) == \
        (ERROR, 'confirming', amazon_intent.YES, 'm_has_fod')
    assert "names condition 'm_has_fod', which Policy does not define" in f.message
    assert "Did you mean 'm_has_food'?" in f.hint
    # a typo is fixed by correcting it, not by adding the misspelt method as a second name
    assert f.hint == ("Did you mean 'm_has_food'? Correct 'm_has_fod' to 'm_has_food' in the "
                      "transition's 'conditions'")


@pytest.mark.parametrize('role, words', [('conditions', 'condition'),
                                         ('unless', 'unless condition'),
                                         ('prepare', 'prepare callback'),
                                         ('before', 'before callback'),
                                         ('after', 'after callback')])
def test_every_kind_of_callback_is_checked(role, words):
    def confirming(self):
        return base.say('Sure?')

    transition = {'trigger': amazon_intent.YES, 'source': 'ordered', 'conditions': 'm_has_food'}
    confirming = with_transitions({**transition, role: 'm_remember'})(confirming)
    states = type('States', (base.States,), {'confirming': confirming})
    policy = type('Policy', (base.Policy,), {'states_cls': states})
    f = only(problems(policy), 'missing-callback')
    assert (f.state, f.callback) == ('confirming', 'm_remember')
    assert f"names {words} 'm_remember'" in f.message


class _Checks(base.Policy):
    """Callbacks the machine can call although they are no plain methods."""

    class States(base.States):
        @with_transitions({'trigger': amazon_intent.YES, 'source': 'ordered',
                           'conditions': ['wants_more', 'always', 'os.getcwd'],
                           'unless': 'm_set_in_init'})
        def confirming(self):
            return base.say('Sure?')

    states_cls = States
    always = True

    def __init__(self, states, request=None, with_graph=False):
        super().__init__(states, request, with_graph)
        self.m_set_in_init = lambda: False

    @property
    def wants_more(self) -> bool:
        return True


def test_properties_attributes_and_dotted_paths_are_callbacks_too():
    assert problems(_Checks.initialize()) == []
    # an attribute set in __init__ is only seen on an instance
    f = only(problems(_Checks), 'missing-callback')
    assert f.callback == 'm_set_in_init'


def test_callbacks_defined_on_states_or_attributes_instead_of_policy():
    found = problems(broken('callback_on_states'))
    assert [(f.code, f.callback or f.state) for f in found] == [
        ('callback-on-states', 'm_wants_more'), ('callback-on-states', 'is_hungry'),
        ('no-inbound', 'm_wants_more')]
    on_states, on_attributes, _ = found
    assert "defined on States, not on Policy" in on_states.message
    assert "'m_wants_more' is taken for a state" in on_states.message
    assert "Move 'm_wants_more' to Policy" in on_states.hint
    assert "defined on Attributes, not on Policy" in on_attributes.message
    assert 'return self.attributes.is_hungry' in on_attributes.hint


def test_two_unconditional_transitions_for_one_trigger_and_source():
    f = only(problems(broken('ambiguous')), 'ambiguous')
    assert (f.severity, f.state, f.trigger) == (ERROR, 'which_food', amazon_intent.YES)
    assert "from state 'ordered' has two unconditional transitions, to 'confirming'" in f.message
    assert "and to 'which_food'" in f.message


def test_a_transition_after_an_unconditional_one_never_fires():
    found = problems(broken('shadowed'))
    assert [(f.code, f.state, f.trigger) for f in found] == [
        ('shadowed', 'ordered', base.ORDER), ('shadowed', 'which_food', base.ORDER)]
    assert "from every state: the transition to 'ordered'" in found[0].message
    assert "unconditional transition to 'asking'" in found[0].message


def test_states_nothing_leads_to_and_states_reached_only_from_them():
    found = problems(broken('unreachable'))
    assert sorted((f.code, f.state) for f in found) == [('no-inbound', 'lost'),
                                                        ('unreachable', 'limbo')]
    limbo = next(f for f in found if f.state == 'limbo')
    assert "entered only from state 'lost'" in limbo.message


def test_a_state_without_a_way_out_is_a_dead_end_and_misses_help_stop_cancel():
    found = problems(broken('dead_end'))
    assert [(f.code, f.severity, f.state, f.trigger) for f in found] == [
        ('dead-end', ERROR, 'waiting', None)] + [
        ('missing-required-intent', WARNING, 'waiting', intent)
        for intent in amazon_intent.REQUIRED]
    assert 'ENDING_STATES' in found[0].hint


@pytest.mark.parametrize('ending', [['waiting'], 'waiting'])
def test_states_listed_in_ENDING_STATES_end_the_session(ending):
    states = type('States', (dead_end.States,), {'ENDING_STATES': ending})
    policy = type('Policy', (dead_end.Policy,), {'states_cls': states})
    assert problems(policy) == []


def test_ending_states_can_be_configured_and_unknown_ones_are_reported():
    assert problems(dead_end.Policy, ending_states={'exiting', 'waiting'}) == []
    f = only(problems(base.Policy, ending_states={'exiting', 'exitting'}), 'unknown-ending-state')
    assert (f.severity, f.state) == (WARNING, 'exitting')
    assert "Did you mean 'exiting'?" in f.hint


def test_help_stop_and_cancel_are_required_in_every_state():
    f = only(problems(broken('missing_required')), 'missing-required-intent')
    assert (f.severity, f.state, f.trigger) == (WARNING, 'ordered', amazon_intent.CANCEL)
    assert 'certification' in f.message


def test_slots_the_model_sends_and_fields_it_never_fills():
    found = problems(broken('slots'))
    assert [(f.code, f.severity, f.trigger, f.slot) for f in found] == [
        ('slot-dropped', WARNING, base.ORDER, 'count'),
        ('slot-unfilled', WARNING, None, 'amount')]
    assert 'fields: food, amount' in found[0].message
    # 'amount' is no typo of 'count', so no "did you mean": the hint names the slot left over
    assert found[1].hint == ("Rename the field after the model's slot (without a field: "
                             "'count'), or remove it")


def test_a_trigger_that_is_no_intent_of_the_model():
    f = only(problems(broken('intent_typo')), 'unknown-trigger')
    assert (f.severity, f.trigger) == (ERROR, 'AMAZON.YesIntnet')
    assert str(DINER_MODEL) in f.message
    assert "Did you mean 'AMAZON.YesIntent'?" in f.hint


def test_without_a_model_only_the_machine_is_checked():
    assert problems(broken('intent_typo'), None) == []
    assert only(problems(broken('unknown_dest'), None), 'unknown-dest')


def test_every_finding_has_the_severity_its_code_documents():
    cases = [p.stem for p in (FIXTURES / 'broken').glob('*.py') if not p.stem.startswith('_')]
    findings = [f for case in cases for f in validate_policy(broken(case), DINER_MODEL)]
    # the codes no fixture module causes are covered by the tests on configuration and on
    # legacy models (tests/test_legacy_models.py)
    assert {f.code for f in findings} == \
        set(CHECKS) - {'unhandled-intent', 'unknown-ending-state', 'model-warning'}
    for f in findings:
        assert CHECKS[f.code][0] == f.severity, f


class HighLow(Policy):
    """A tiny high-low game that forgot the guessing itself."""

    class States(States):
        def initial(self):
            return response.Response(speech='Shall we play?', reprompt='Shall we play?')

        @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'},
                          {'trigger': amazon_intent.YES, 'source': 'initial'})
        def playing(self):
            return response.Response(speech='Guess a number.', reprompt='Your guess?')

        @with_transitions({'trigger': amazon_intent.STOP, 'source': '*'},
                          {'trigger': amazon_intent.CANCEL, 'source': '*'},
                          {'trigger': amazon_intent.NO, 'source': '*'})
        def exiting(self):
            return response.end('High Low')

    states_cls = States


def test_a_skill_against_a_shared_model_reports_its_unhandled_intents():
    model = load_model(SAMPLES.path('models', 'highlowgame.en-US.json'))
    found = validate_policy(HighLow, model)
    handled = {t['trigger'] for _, t in HighLow.States.declared_transitions()}
    unhandled = [f for f in found if f.code == 'unhandled-intent']
    assert [f.trigger for f in unhandled] == [n for n in model.intent_names if n not in handled]
    assert {'NumberGuessIntent', 'AMAZON.FallbackIntent'} == {f.trigger for f in unhandled}
    assert all(f.severity == ERROR and 'has no transition in any state' in f.message
               for f in unhandled)
    ignored = validate_policy(HighLow, model, ignore_intents={'AMAZON.FallbackIntent'})
    assert [f.trigger for f in ignored if f.code == 'unhandled-intent'] == ['NumberGuessIntent']


@pytest.mark.parametrize('path', SAMPLES.params('models/*.json', 'models/legacy/*'),
                         ids=lambda p: p.name)
def test_every_shared_model_loads_and_validates(path):
    model = load_model(path)
    found = validate_policy(HighLow, path)
    handled = {t['trigger'] for _, t in HighLow.States.declared_transitions()}
    assert {f.trigger for f in found if f.code == 'unhandled-intent'} == \
        set(model.intent_names) - handled
    assert {f.trigger for f in found if f.code == 'unknown-trigger'} == \
        handled - set(model.intent_names)


def _falling_through(states_cls, model, ending=('exiting',)) -> set:
    """Computed the other way round, on transitions' own machine."""
    machine = build_transitions_machine(states_cls)
    events = {name: event.transitions for name, event in machine.events.items()}
    return {(state, intent) for state in machine.states if state not in ending
            for intent in model.intent_names
            if intent in events and intent not in amazon_intent.REQUIRED
            and state not in events[intent]}


def test_skill_search_of_0_1_11_validates_as_it_did():
    policy = skillsearch011.Policy.initialize()
    validate(policy, SKILLSEARCH_SCHEMA, ignore_intents={'DontUnderstand'})
    validate(skillsearch011.Policy, str(SKILLSEARCH_SCHEMA))
    found = validate_policy(skillsearch011.Policy, SKILLSEARCH_SCHEMA)
    assert [f for f in found if f.severity != INFO] == []
    assert {(f.state, f.trigger) for f in found if f.code == 'falls-through'} == \
        _falling_through(skillsearch011.States, load_model(SKILLSEARCH_SCHEMA))


def test_utils_validate_raises_one_assertion_error_with_every_problem():
    model = load_model(SKILLSEARCH_SCHEMA)
    triggers = {t['trigger'] for _, t in base.States.declared_transitions()}
    with pytest.raises(AssertionError) as raised:
        validate(base.Policy.initialize(), SKILLSEARCH_SCHEMA)
    assert isinstance(raised.value, ValidationError)
    message = str(raised.value)
    expected = [f"intent '{n}' of the model has no transition"
                for n in set(model.intent_names) - triggers]
    expected += [f"trigger '{t}' is not an intent" for t in triggers - set(model.intent_names)]
    assert len(expected) >= 5
    for text in expected:
        assert text in message
    assert len(raised.value.findings) == len(expected)


def test_utils_validate_keeps_to_the_checks_of_0_1_11():
    validate(broken('slots'), DINER_MODEL)  # warnings only
    validate(broken('shadowed'), DINER_MODEL)  # a newer check: validate_policy's alone
    with pytest.raises(ValidationError, match="no transition leads into state 'lost'"):
        validate(broken('unreachable'), DINER_MODEL)


def test_utils_validate_reads_every_model_format():
    legacy = SAMPLES.path('models', 'legacy', 'minecraftHelper')
    with pytest.raises(ValidationError, match="intent 'RecipeIntent' of the model"):
        validate(base.Policy, legacy / 'IntentSchema.json')
    with pytest.raises(ValidationError, match="intent 'RecipeIntent' of the model"):
        validate(base.Policy, legacy)


def test_the_text_report_puts_errors_first_and_tabulates_what_falls_through():
    text = report_text(validate_policy(broken('dead_end'), DINER_MODEL))
    lines = text.splitlines()
    assert lines[0].startswith('error: [dead-end]')
    assert lines[2].startswith('warning: [missing-required-intent]')
    table = lines[lines.index("Intents answered 'I did not understand', by state (info):") + 1:]
    assert table[0].split() == ['state', 'intents']
    assert table[1].split() == ['waiting', 'AMAZON.YesIntent,', 'AMAZON.NoIntent,', 'OrderIntent']
    assert table[2] == ''
    assert lines[-1] == '1 error(s), 3 warning(s), 3 info'


def test_the_example_skill_search_validates_cleanly():
    model = REPO / 'skills' / 'skillsearch' / 'model' / 'en-US.json'
    if not model.exists():
        pytest.skip('skills/skillsearch/model/en-US.json is not written yet')
    package = importlib.import_module('skills.skillsearch')
    if not any(inspect.isclass(v) and issubclass(v, Policy) and v.states_cls is not None
               for v in vars(package).values()):
        pytest.skip('skills.skillsearch defines no Policy yet')
    from alexafsm.loader import load_policy
    assert problems(load_policy('skills.skillsearch'), model) == []
