"""alexafsm.dialogs' stack: push, RESUME, clear, unwinding and the reserved session attribute.

The rules of issue 12 and the design's table 4.3, each on a small skill written for it: a
push never suspends a digression or a NEVER_SUSPENDED state; the stack holds MAX_STACK states
(oldest dropped); entries naming removed states are skipped and RENAMED maps old names; an
ordinary transition into a suspended state unwinds to it; during a digression an intent only
the suspended state handles fires from it; skill code that raises keeps the incoming stack.
Then property tests over thousands of seeded random sessions: the stack stays bounded and
well-formed, and a push followed by a resume is the identity.
"""
import json
import logging
import random
from collections import namedtuple
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

import pytest

from alexafsm import amazon_intent
from alexafsm.dialogs import RESUME
from alexafsm.dialogs.compiled import dialog_info
from alexafsm.errors import DialogError
from alexafsm.machine import Machine
from alexafsm.policy import Policy
from alexafsm.response import Response
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions
from tests.helpers import base_request
from tests.helpers import intent_request
from tests.helpers import over_the_wire

HELP, YES, STOP, CANCEL = (amazon_intent.HELP, amazon_intent.YES, amazon_intent.STOP,
                           amazon_intent.CANCEL)
FAQ = 'FaqIntent'
Slots = namedtuple('Slots', ['topic'])
RUNTIME_LOGGER = 'alexafsm.dialogs._runtime'


class Attributes(SessionAttributes):
    """A counter a callback bumps, so tests can see user data survive the stack."""

    slots_cls = Slots

    def __init__(self, intent: Optional[str] = None, slots: Any = None,
                 state: str = 'initial', points: int = 0) -> None:
        super().__init__(intent, slots, state)
        self.points = points


def _say(self: Any) -> Response:
    view = self.dialog
    return Response(speech=f"{self.attributes.state} stack={list(view.stack)} "
                           f"resumed={view.resumed} by={view.interrupted_by}", reprompt='?')


class TaskStates(States):
    """Three tasks a-b-c in a row, help and faq as digressions, stop and cancel."""

    session_attributes_cls = Attributes
    ENDING_STATES = ['stopped']
    MAX_STACK = 2
    RENAMED = {'old_a': 'a'}

    @with_transitions({'trigger': 'GoA', 'source': '*', 'after': 'score'})
    def a(self) -> Response:
        return _say(self)

    @with_transitions({'trigger': 'Next', 'source': 'a'}, {'trigger': 'GoB', 'source': '*'},
                      {'trigger': 'OnlyB', 'dest': 'c'})
    def b(self) -> Response:
        return _say(self)

    @with_transitions({'trigger': 'Next', 'source': 'b'}, {'trigger': 'GoC', 'source': '*'})
    def c(self) -> Response:
        return _say(self)

    @with_transitions({'trigger': HELP, 'source': '*', 'push': True},
                      {'trigger': YES, 'dest': RESUME, 'otherwise': 'a'},
                      {'trigger': 'Boom', 'dest': 'a', 'before': 'explode'})
    def helping(self) -> Response:
        return _say(self)

    @with_transitions({'trigger': FAQ, 'source': '*', 'push': True},
                      {'trigger': YES, 'dest': RESUME})
    def faq(self) -> Response:
        return _say(self)

    def initial(self) -> Response:
        return _say(self)

    @with_transitions({'trigger': STOP, 'source': '*'})
    def stopped(self) -> Response:
        return Response(speech='bye', should_end=True)

    @with_transitions({'trigger': CANCEL, 'source': '*', 'clear': True})
    def cancelled(self) -> Response:
        return _say(self)


class TaskPolicy(Policy):
    """Logs the hooks, so tests see which ran."""

    states_cls = TaskStates

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: List[str] = []

    def score(self) -> None:
        self.attributes.points += 1

    def explode(self) -> None:
        raise RuntimeError('a bug in the skill')

    def on_enter_a(self) -> None:
        HOOKS.append('enter a')

    def on_exit_a(self) -> None:
        HOOKS.append('exit a')

    def on_exit_helping(self) -> None:
        HOOKS.append('exit helping')


HOOKS: List[str] = []


class Session:
    """One session of TaskPolicy, attributes through JSON as Alexa carries them."""

    def __init__(self, policy_cls: Any = TaskPolicy) -> None:
        self.policy_cls = policy_cls
        self.attributes: Dict[str, Any] = {}
        self.last: Dict[str, Any] = {}

    def launch(self) -> Dict[str, Any]:
        return self._send(base_request('LaunchRequest'))

    def say(self, intent: str, **slots: Optional[str]) -> Dict[str, Any]:
        return self._send(intent_request(intent, slots, self.attributes or None))

    def _send(self, request: Dict[str, Any]) -> Dict[str, Any]:
        self.last = over_the_wire(self.policy_cls.respond(over_the_wire(request)))
        self.attributes = self.last.get('sessionAttributes') or {}
        return self.last

    @property
    def state(self) -> Optional[str]:
        return self.attributes.get('state')

    @property
    def envelope(self) -> Optional[Dict[str, Any]]:
        return self.attributes.get('alexafsm')

    @property
    def stack(self) -> List[str]:
        return (self.envelope or {}).get('stack', [])

    @property
    def speech(self) -> str:
        return self.last['response']['outputSpeech']['text']


@pytest.fixture(autouse=True)
def clean_hooks():
    HOOKS.clear()


def at(state: str, **envelope: Any) -> Session:
    session = Session()
    session.attributes = {'state': state}
    if envelope:
        session.attributes['alexafsm'] = {'v': 1, **envelope}
    return session


# -- push and resume ------------------------------------------------------------------------

def test_a_push_suspends_the_source_and_the_envelope_travels_in_one_reserved_key():
    session = at('b')
    session.say(HELP)
    assert session.state == 'helping'
    assert session.envelope == {'v': 1, 'stack': ['b'], 'digression': 'helping'}
    assert session.speech == "helping stack=['b'] resumed=False by=None"


def test_resume_goes_back_without_entering_again_and_the_digression_exits():
    session = at('a')
    session.say(HELP)
    HOOKS.clear()
    session.say(YES)
    assert session.state == 'a' and session.envelope is None
    assert session.speech == "a stack=[] resumed=True by=helping"
    assert HOOKS == ['exit helping'], "the resumed state was never exited, so is not entered"


def test_a_push_does_not_exit_the_suspended_state():
    session = at('a')
    session.say(HELP)
    assert HOOKS == []


def test_resume_with_an_empty_stack_goes_to_otherwise():
    session = at('helping')
    session.say(YES)
    assert session.state == 'a' and session.speech.endswith('resumed=False by=None')


def test_resume_without_otherwise_goes_to_resume_otherwise_initial():
    session = at('faq')
    session.say(YES)
    assert session.state == 'initial'


def test_help_at_the_welcome_then_yes_goes_to_otherwise_never_back_to_the_welcome():
    session = Session()
    session.launch()
    session.say(HELP)
    assert session.state == 'helping' and session.stack == []
    session.say(YES)
    assert session.state == 'a'


def test_a_push_during_a_digression_replaces_the_digression_and_keeps_the_task_on_top():
    session = at('b')
    session.say(HELP)
    session.say(FAQ)
    assert session.envelope == {'v': 1, 'stack': ['b'], 'digression': 'faq'}
    session.say(YES)
    assert session.state == 'b', "never back to help"


def test_the_stack_holds_max_stack_states_dropping_the_oldest(caplog):
    caplog.set_level(logging.INFO, logger=RUNTIME_LOGGER)
    session = at('a')
    for task in ('GoA', 'GoB', 'GoC'):
        session.say(task)
        session.say(HELP)
    assert session.stack == ['b', 'c'], "MAX_STACK is 2: 'a' was dropped"
    assert "forgot 'a'" in caplog.text
    session.say(YES)
    assert session.state == 'c'
    session.say(HELP)
    assert session.stack == ['b', 'c']


def test_a_state_pushed_again_moves_to_the_top_instead_of_appearing_twice():
    session = at('b', stack=['b', 'a'])
    session.say(HELP)
    assert session.stack == ['a', 'b']


def test_an_ordinary_transition_into_a_suspended_state_unwinds_the_stack_to_it():
    session = at('helping', stack=['a', 'b'], digression='helping')
    session.say('GoB')
    assert session.state == 'b' and session.stack == ['a']


def test_ending_a_digression_elsewhere_keeps_the_stack_for_a_later_resume():
    session = at('helping', stack=['a'], digression='helping')
    session.say('GoC')
    assert session.state == 'c' and session.envelope == {'v': 1, 'stack': ['a']}
    session.say(HELP)
    session.say(YES)
    assert session.state == 'c' and session.stack == ['a']


def test_during_a_digression_an_intent_only_the_suspended_state_handles_fires_from_it():
    session = at('helping', stack=['b'], digression='helping')
    session.say('OnlyB')
    assert session.state == 'c' and session.envelope is None


def test_outside_a_digression_a_stale_entry_does_not_answer_for_the_current_state():
    session = at('c', stack=['b'])
    session.say('OnlyB')
    assert 'not understand' in session.speech and session.state == 'c'


def test_a_suspended_state_that_a_deploy_removed_is_skipped(caplog):
    caplog.set_level(logging.INFO, logger=RUNTIME_LOGGER)
    session = at('helping', stack=['a', 'gone'], digression='helping')
    session.say(YES)
    assert session.state == 'a'
    assert "'gone' is no state" in caplog.text


def test_renamed_maps_the_state_and_the_stack_entries():
    session = at('old_a')
    session.say(HELP)
    assert session.stack == ['a']
    session = at('helping', stack=['old_a'], digression='helping')
    session.say(YES)
    assert session.state == 'a'


def test_clear_forgets_the_stack_and_sends_no_envelope():
    session = at('helping', stack=['a', 'b'], digression='helping')
    session.say(CANCEL)
    assert session.state == 'cancelled' and session.envelope is None


def test_an_ending_state_drops_the_envelope():
    session = at('helping', stack=['a'], digression='helping')
    session.say(STOP)
    assert session.state == 'stopped' and 'alexafsm' not in session.attributes


def test_skill_code_that_raises_keeps_the_incoming_stack():
    session = at('helping', stack=['b'], digression='helping')
    before = json.loads(json.dumps(session.attributes))
    session.say('Boom')
    assert session.speech.startswith('Sorry, something went wrong')
    assert session.attributes == before


def test_an_unknown_envelope_version_is_ignored(caplog):
    caplog.set_level(logging.INFO, logger=RUNTIME_LOGGER)
    session = Session()
    session.attributes = {'state': 'helping', 'alexafsm': {'v': 99, 'stack': ['b']}}
    session.say(YES)
    assert session.state == 'a' and "version 99" in caplog.text


def test_policy_and_states_see_the_same_dialog_view():
    policy = TaskPolicy.initialize(intent_request(YES, {}, {'state': 'helping', 'alexafsm': {
        'v': 1, 'stack': ['c'], 'digression': 'helping'}}))
    assert policy.dialog.stack == ('c',) == policy.states.dialog.stack
    assert policy.dialog.digression == 'helping'


# -- declarations ---------------------------------------------------------------------------

@pytest.mark.parametrize('spec,words', [
    ({'trigger': 'X', 'dest': 'a', 'otherwise': 'b'}, "'otherwise' only goes with"),
    ({'trigger': 'X', 'source': '*', 'push': True, 'clear': True}, "keep one"),
    ({'trigger': 'X', 'dest': RESUME, 'push': True}, "both push and resume"),
])
def test_a_stack_key_that_cannot_work_is_refused_naming_the_transition(spec, words):
    states_cls = type('Bad', (States,), {
        'initial': lambda self: Response(speech='hi'),
        'a': with_transitions(spec)(lambda self: Response(speech='a')),
        'b': lambda self: Response(speech='b')})
    with pytest.raises(DialogError, match=words) as raised:
        dialog_info(states_cls)
    assert "declared on 'a'" in str(raised.value)


def test_the_compiled_dialogs_are_readable_by_tools():
    info = dialog_info(TaskStates)
    assert info is not None and info.max_stack == 2
    assert info.never_suspended == {'initial'} and info.renamed == {'old_a': 'a'}
    assert info.digressions == {'helping', 'faq'}
    assert {spec['dest'] for _, spec in info.pushes} == {'helping', 'faq'}
    assert [(on, spec.get('otherwise')) for on, spec in info.resumes] == [
        ('faq', None), ('helping', 'a')]
    assert [on for on, _ in info.clears] == ['cancelled']
    machine = Machine.of(TaskPolicy)
    pushes = {t.source for t in machine.transitions if t.push}
    assert pushes == set(machine.states)
    resume = [t for t in machine.transitions if t.dest == RESUME]
    assert {(t.source, t.otherwise) for t in resume} == {('helping', 'a'), ('faq', None)}
    assert not any(t.dest == RESUME for t in
                   [tr for ts in machine.transitions_machine.events.values()
                    for tr in ts.transitions.get('helping', [])])


def test_a_flat_skill_has_no_dialog_info_and_keeps_the_plain_machine():
    from tests.fixtures.compat_skill import Policy as CompatPolicy
    assert dialog_info(CompatPolicy.states_cls) is None
    assert type(Machine.of(CompatPolicy)) is Machine


# -- properties over random sessions ----------------------------------------------------------

TRIGGERS = ['GoA', 'GoB', 'GoC', 'Next', 'OnlyB', HELP, FAQ, YES, CANCEL, 'Unknown']


def _check_envelope(session: Session) -> None:
    info = dialog_info(TaskStates)
    envelope = session.envelope
    if envelope is None:
        return
    text = json.dumps(envelope)
    assert len(text) < 1024 and json.loads(text) == envelope and envelope['v'] == 1
    stack = envelope.get('stack', [])
    assert len(stack) <= info.max_stack
    assert len(set(stack)) == len(stack), stack
    assert not set(stack) & info.digressions, stack
    assert set(stack) <= set(info.states) - info.never_suspended, stack
    assert set(envelope) <= {'v', 'stack', 'digression', 'forms', 'saved'}
    assert len(envelope) > 1, "an empty envelope is not sent"


@pytest.mark.parametrize('seed', range(3))
def test_the_stack_stays_bounded_and_well_formed_over_random_sessions(seed):
    rng = random.Random(seed)
    turns = 0
    for _ in range(700):
        session = Session()
        session.launch()
        for _ in range(rng.randint(1, 12)):
            session.say(rng.choice(TRIGGERS))
            turns += 1
            _check_envelope(session)
            if session.last['response'].get('shouldEndSession'):
                break
    assert turns > 3000


@pytest.mark.parametrize('seed', range(3))
def test_a_push_then_a_resume_is_the_identity(seed):
    """Metamorphic: prefix + [push, resume] ends where the prefix ended, data and stack too."""
    rng = random.Random(seed)
    tried = 0
    for _ in range(300):
        prefix = [rng.choice(TRIGGERS[:-3]) for _ in range(rng.randint(0, 6))]
        plain = Session()
        plain.launch()
        for intent in prefix:
            plain.say(intent)
        if plain.state in ('helping', 'faq', 'initial'):
            continue  # a digression or the welcome is never suspended
        tried += 1
        detour = Session()
        detour.launch()
        for intent in prefix + [rng.choice([HELP, FAQ]), YES]:
            detour.say(intent)
        assert detour.state == plain.state
        assert detour.attributes['points'] == plain.attributes['points']
        assert detour.stack == plain.stack
    assert tried > 100
