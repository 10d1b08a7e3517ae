"""The validator's dialog checks: one seeded bug per code, and no false alarm on a clean skill.

The clean skill is a diner whose Help is a digression: it pushes from any state, and "yes"
goes back (RESUME) to whatever was interrupted. Each test changes it in one way and asserts the
complete list of problems that change causes.
"""
from collections import namedtuple
from typing import Any
from typing import Optional

from alexafsm import amazon_intent as ai
from alexafsm import response
from alexafsm.dialogs import RESUME
from alexafsm.dialogs import Form
from alexafsm.dialogs import Slot
from alexafsm.policy import Policy
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.tools.describe import machine_of
from alexafsm.tools.dialog_facts import Config
from alexafsm.tools.dialog_facts import explore
from alexafsm.tools.validation import CHECKS
from alexafsm.tools.validation import ERROR
from alexafsm.tools.validation import INFO
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import validate_policy

ORDER = 'OrderIntent'
PIZZA = 'OrderPizzaIntent'

Slots = namedtuple('Slots', ['food', 'size', 'crust', 'quantity'])

MODEL = {'interactionModel': {
    'languageModel': {
        'invocationName': 'dialog diner',
        'intents': [
            {'name': ai.HELP, 'samples': []}, {'name': ai.STOP, 'samples': []},
            {'name': ai.CANCEL, 'samples': []}, {'name': ai.YES, 'samples': []},
            {'name': ai.NO, 'samples': []},
            {'name': ORDER, 'slots': [{'name': 'food', 'type': 'AMAZON.Food'}],
             'samples': ['{food} please']},
            {'name': PIZZA, 'slots': [{'name': 'size', 'type': 'SIZE'},
                                      {'name': 'crust', 'type': 'CRUST'},
                                      {'name': 'quantity', 'type': 'AMAZON.NUMBER'}],
             'samples': ['a {size} pizza', '{quantity} {size} {crust} pizzas']}],
        'types': [{'name': 'SIZE', 'values': [{'id': 'L', 'name': {'value': 'large'}},
                                              {'id': 'S', 'name': {'value': 'small'}}]},
                  {'name': 'CRUST', 'values': [{'id': 'THIN', 'name': {'value': 'thin'}}]}]},
    'dialog': {'intents': [{
        'name': PIZZA, 'confirmationRequired': False, 'prompts': {},
        'slots': [{'name': 'size', 'type': 'SIZE', 'elicitationRequired': True,
                   'confirmationRequired': False, 'prompts': {'elicitation': 'Elicit.size'}},
                  {'name': 'crust', 'type': 'CRUST', 'elicitationRequired': True,
                   'confirmationRequired': False, 'prompts': {}},
                  {'name': 'quantity', 'type': 'AMAZON.NUMBER',
                   'elicitationRequired': False, 'confirmationRequired': False,
                   'prompts': {}}]}]},
    'prompts': [{'id': 'Elicit.size', 'variations': [
        {'type': 'PlainText', 'value': 'Which size?'}]}]}}


class Attributes(SessionAttributes):
    slots_cls = Slots


def say(text: str) -> response.Response:
    return response.Response(speech=text, reprompt='What would you like?')


class DinerStates(States):
    """Help is a digression: it pushes from every state, and yes goes back."""

    session_attributes_cls = Attributes

    def initial(self):
        return say('Welcome to the diner.')

    @with_transitions({'trigger': ORDER, 'source': '*'})
    def ordering(self):
        return say('What would you like?')

    @with_transitions({'trigger': ai.HELP, 'source': '*', 'push': True},
                      {'trigger': ai.YES, 'dest': RESUME, 'otherwise': 'ordering'})
    def helping(self):
        return say('Say: two pizzas. Shall we go on?')

    @with_transitions({'trigger': ai.YES, 'source': 'ordering'})
    def ordered(self):
        return say('Anything else?')

    @with_transitions({'trigger': ai.NO, 'source': 'ordered'},
                      {'trigger': ai.STOP, 'source': '*'},
                      {'trigger': ai.CANCEL, 'source': '*', 'clear': True})
    def exiting(self):
        return response.end('the diner')


def policy(states_cls: type, **members: Any) -> type:
    """A Policy over ``states_cls``; every test gets its own class, so its own machine."""
    return type('DinerPolicy', (Policy,), {'states_cls': states_cls, **members})


def problems(states_cls: type, model: Optional[dict] = None, ignore=(PIZZA,),
             **members: Any) -> list:
    """Errors and warnings: the diner leaves the pizza intent to the form tests."""
    from alexafsm.tools.interaction_model import _from_json
    findings = validate_policy(policy(states_cls, **members),
                               _from_json(model or MODEL, 'test model'), ignore_intents=ignore)
    return [f for f in findings if f.severity != INFO]


def only(findings: list, code: str):
    assert [f.code for f in findings] == [code], '\n'.join(map(str, findings))
    return findings[0]


def test_every_dialog_code_is_registered_with_its_severity():
    assert {code: CHECKS[code][0] for code in (
        'push-no-return', 'resume-without-push', 'stack-overflow-possible',
        'form-slot-unknown', 'form-prompt-missing', 'form-validator-missing',
        'reserved-attribute')} == {
        'push-no-return': ERROR, 'resume-without-push': WARNING,
        'stack-overflow-possible': WARNING, 'form-slot-unknown': ERROR,
        'form-prompt-missing': ERROR, 'form-validator-missing': ERROR,
        'reserved-attribute': ERROR}


def test_the_clean_dialog_diner_has_no_problems():
    """RESUME is no unknown dest, and the states it leads back to count as reachable."""
    assert problems(DinerStates) == []


def helping_with(*outbound: dict, **attributes: Any) -> type:
    """The diner whose Help (still a push from every state) has only ``outbound`` ways on."""
    @with_transitions({'trigger': ai.HELP, 'source': '*', 'push': True}, *outbound)
    def helping(self):
        return say('Say: two pizzas. Shall we go on?')

    return type('Mutant', (DinerStates,), {'helping': helping, **attributes})


BACK = {'trigger': ai.YES, 'dest': RESUME, 'otherwise': 'ordering'}


def test_push_no_return():
    f = only(problems(helping_with({'trigger': ai.YES, 'dest': 'ordering'})), 'push-no-return')
    assert (f.severity, f.state, f.trigger) == (ERROR, 'helping', ai.HELP)
    assert "'helping' is entered by a push (AMAZON.HelpIntent" in f.message
    assert 'no transition of its own to RESUME' in f.message
    assert "'dest': RESUME" in f.hint


def test_quitting_is_no_return():
    """A digression left only by Stop (an ending state) or a clear still strands the task."""
    assert [f.code for f in problems(helping_with())] == ['push-no-return']


def test_resume_without_push():
    f = only(problems(helping_with({'trigger': ai.YES, 'dest': RESUME})), 'resume-without-push')
    assert (f.severity, f.state, f.trigger) == (WARNING, 'helping', ai.YES)
    # the shortest conversation that shows it: Help at the welcome is never suspended
    assert "(launch, AMAZON.HelpIntent in 'initial', AMAZON.YesIntent in 'helping')" in f.message
    assert "goes to 'initial' and replays the welcome" in f.message
    assert "'otherwise'" in f.hint


def test_stack_overflow_possible():
    deep = helping_with(BACK, {'trigger': ai.NO, 'dest': 'ordered'}, MAX_STACK=1)
    f = only(problems(deep), 'stack-overflow-possible')
    assert (f.severity, f.state, f.trigger) == (WARNING, 'ordered', ai.HELP)
    assert "more states than Mutant.MAX_STACK (1) keeps" in f.message
    assert ("launch, OrderIntent in 'initial', AMAZON.HelpIntent in 'ordering', "
            "AMAZON.NoIntent in 'helping', AMAZON.HelpIntent in 'ordered'") in f.message
    assert "so 'ordering' is forgotten" in f.message
    assert 'MAX_STACK to 2' in f.hint


def test_the_same_chain_fits_a_deep_enough_stack():
    deep = helping_with(BACK, {'trigger': ai.NO, 'dest': 'ordered'}, MAX_STACK=2)
    assert problems(deep) == []


def test_reserved_attribute():
    class Reserved(Attributes):
        def __init__(self, intent=None, slots=None, state='initial', alexafsm=None):
            super().__init__(intent, slots, state)
            self.alexafsm = alexafsm

    class ReservedStates(DinerStates):
        session_attributes_cls = Reserved

    f = only(problems(ReservedStates), 'reserved-attribute')
    assert f.severity == ERROR
    assert "Reserved.__init__ takes a parameter 'alexafsm'" in f.message


def test_a_flat_skill_gets_no_dialog_findings():
    class Flat(DinerStates):
        @with_transitions({'trigger': ai.HELP, 'source': '*'},
                          {'trigger': ai.YES, 'dest': 'ordering'})
        def helping(self):
            return say('Say: two pizzas.')

    assert problems(Flat) == []


def test_explore_keeps_the_stack_as_the_runtime_does():
    """Help in a task suspends it, help at the welcome does not, and yes resumes."""
    walk = explore(machine_of(policy(DinerStates)), ending={'exiting'})
    assert walk.complete
    reached = set(walk.parents)
    assert Config('helping', ('ordering',), 'helping') in reached
    assert Config('helping', (), 'helping') in reached  # pushed from the welcome
    # help in 'ordered', then an order (which ends the digression), then help again
    assert Config('helping', ('ordered', 'ordering'), 'helping') in reached
    assert max(len(c.stack) for c in reached) == 2
    assert walk.overflows == [] and walk.empty_resumes != []


class PizzaAttributes(Attributes):
    def __init__(self, intent=None, slots=None, state='initial', pizza=None):
        super().__init__(intent, slots, state)
        self.pizza = pizza or {}


class PizzaForm(Form):
    INTENT = PIZZA
    MODEL = MODEL
    SLOTS = {'size': Slot(kind='id'), 'crust': Slot(kind='id', prompt='Which crust?'),
             'quantity': Slot(kind='number', required=False, validate='check_quantity')}


def with_form(form: type) -> type:
    """The diner with ``form`` mounted as 'pizza', entered from the states outside it."""
    class FormStates(DinerStates):
        session_attributes_cls = PizzaAttributes
        pizza = form.mount(enter=[{'trigger': PIZZA, 'source': ['initial', 'ordering',
                                                                'helping']}],
                           done='ordered', denied='ordering')
    return FormStates


def check_quantity(self, value: int) -> int:
    return value


def form_problems(form: type, validator: bool = True) -> list:
    return problems(with_form(form), ignore=(),
                    **({'check_quantity': check_quantity} if validator else {}))


def test_a_clean_form_has_no_problems():
    assert form_problems(PizzaForm) == []


def test_form_slot_unknown():
    class Misspelt(PizzaForm):
        SLOTS = {**PizzaForm.SLOTS, 'crusts': Slot(required=False)}

    f = only(form_problems(Misspelt), 'form-slot-unknown')
    assert (f.severity, f.state, f.trigger, f.slot) == (ERROR, 'pizza', PIZZA, 'crusts')
    assert "Misspelt (mount 'pizza'): SLOTS names 'crusts', which intent 'OrderPizzaIntent'" \
        in f.message
    assert "Did you mean 'crust'?" in f.hint


def test_form_prompt_missing():
    class Unprompted(PizzaForm):
        SLOTS = {**PizzaForm.SLOTS, 'crust': Slot(kind='id')}

    f = only(form_problems(Unprompted), 'form-prompt-missing')
    assert (f.severity, f.slot) == (ERROR, 'crust')
    assert "slot 'crust' is required, but neither the model nor its Slot has a prompt" in f.message
    assert "Slot(prompt='...')" in f.hint


def test_an_optional_slot_needs_no_prompt():
    class Optional_(PizzaForm):
        SLOTS = {**PizzaForm.SLOTS, 'crust': Slot(kind='id', required=False)}

    assert form_problems(Optional_) == []


def test_form_validator_missing():
    f = only(form_problems(PizzaForm, validator=False), 'form-validator-missing')
    assert (f.severity, f.slot, f.callback) == (ERROR, 'quantity', 'check_quantity')
    assert "validated by 'check_quantity', which DinerPolicy does not define" in f.message
    assert "def check_quantity(self, value)" in f.hint


def test_reserved_store():
    class Reserved(DinerStates):
        session_attributes_cls = PizzaAttributes
        pizza = PizzaForm.mount(enter=[{'trigger': PIZZA, 'source': 'initial'}],
                                store='alexafsm', done='ordered')

    assert 'reserved-attribute' in [f.code for f in problems(
        Reserved, ignore=(), check_quantity=check_quantity)]


def test_the_dialog_example_skills_validate_without_false_alarms():
    """The rewritten pizza and the coffee skill: every new check runs, none cries wolf."""
    from pathlib import Path

    from skills.pizza.policy import PizzaPolicy
    from tests.fixtures.coffee_skill import MODEL as COFFEE_MODEL
    from tests.fixtures.coffee_skill import CoffeePolicy
    pizza_model = Path(__file__).resolve().parents[1] / 'skills' / 'pizza' / 'model'
    assert [f for f in validate_policy(PizzaPolicy, pizza_model) if f.severity != INFO] == []
    assert [f for f in validate_policy(CoffeePolicy, COFFEE_MODEL,
                                       ignore_intents=[ai.FALLBACK])
            if f.severity != INFO] == []
