"""The compiled machine fires exactly as ``transitions`` does, and explains authors' mistakes."""
import random

import pytest
from transitions import MachineError

from alexafsm import response
from alexafsm.machine import Machine
from alexafsm.machine import NotHandled
from alexafsm.machine import build_transitions_machine
from alexafsm.policy import Policy
from alexafsm.states import States
from alexafsm.states import TransitionError
from alexafsm.states import with_transitions

OUTCOMES = [True, False, 1, 0, 'yes', None]  # transitions compares with == True / == False


def random_skill(rng: random.Random):
    """A random States/Policy pair; callbacks log their calls into ``policy.log``."""
    names = [f's{i}' for i in range(rng.randint(2, 7))]
    triggers = [f'T{i}' for i in range(rng.randint(1, 4))]
    conditions = {f'c{i}': rng.choice(OUTCOMES) for i in range(4)}
    all_states = names + ['initial']
    namespace = {}
    for name in names:
        specs = []
        for _ in range(rng.randint(0, 4)):
            spec = {'trigger': rng.choice(triggers)}
            if rng.random() < 0.5:
                spec['source'] = rng.choice(['*', rng.choice(all_states),
                                             rng.sample(all_states, 2)])
            else:
                spec['dest'] = rng.choice(all_states + ['='])
            for key in ('conditions', 'unless'):
                if rng.random() < 0.5:
                    spec[key] = rng.sample(sorted(conditions), rng.randint(1, 2))
            for key in ('prepare', 'before', 'after'):
                if rng.random() < 0.4:
                    spec[key] = f'{key}_cb'
            specs.append(spec)

        def state_method(self, _name=name):
            return response.Response(speech=_name, reprompt='')
        state_method.__name__ = name
        namespace[name] = with_transitions(*specs)(state_method) if specs else state_method
    namespace['initial'] = lambda self: response.Response(speech='initial', reprompt='')
    states_cls = type('RandomStates', (States,), namespace)

    policy_ns = {'states_cls': states_cls}
    for cond, outcome in conditions.items():
        policy_ns[cond] = (lambda c, o: lambda self: self.log.append(c) or o)(cond, outcome)
    for key in ('prepare', 'before', 'after'):
        policy_ns[f'{key}_cb'] = (lambda k: lambda self: self.log.append(k))(key)
    entered = rng.choice(names)
    policy_ns[f'on_enter_{entered}'] = lambda self: self.log.append('enter')
    policy_ns[f'on_exit_{entered}'] = lambda self: self.log.append('exit')
    return states_cls, type('RandomPolicy', (Policy,), policy_ns), triggers


def outcome_of(fire):
    try:
        return fire()
    except (MachineError, KeyError):
        return 'not handled'
    except ValueError as error:  # a dest that is no state
        return f'bad dest: {type(error).__name__}'


@pytest.mark.parametrize('seed', range(150))
def test_same_result_as_transitions_on_random_machines(seed):
    rng = random.Random(seed)
    states_cls, policy_cls, triggers = random_skill(rng)
    machine = Machine.of(policy_cls)
    for state in machine.states:
        for trigger in triggers + ['Unknown']:
            ours = policy_cls.initialize()
            theirs = policy_cls.initialize()
            ours.state = theirs.state = state
            ours.log, theirs.log = [], []
            reference = build_transitions_machine(states_cls, model=theirs)
            reference.set_state(state, model=theirs)
            # outcome_of calls each lambda at once, in this iteration
            got = outcome_of(lambda: machine.fire(ours, trigger))  # noqa: B023
            expected = outcome_of(lambda: reference.events[trigger].trigger(theirs))  # noqa: B023
            assert (got, ours.state, ours.log) == (expected, theirs.state, theirs.log), \
                (seed, state, trigger)


def test_candidates_are_ordered_by_state_name_then_declaration():
    class S(States):
        def initial(self):
            return response.Response('hi', '')

        @with_transitions({'trigger': 'Go', 'source': 'initial', 'conditions': 'first'},
                          {'trigger': 'Go', 'source': 'initial'})
        def zebra(self):
            return response.Response('z', '')

        @with_transitions({'trigger': 'Go', 'source': 'initial', 'conditions': 'second'})
        def apple(self):
            return response.Response('a', '')

    class P(Policy):
        states_cls = S

        def first(self):
            return True

        def second(self):
            return True

    assert [t.dest for t in Machine.of(P).candidates('Go', 'initial')] == \
        ['apple', 'zebra', 'zebra']
    policy = P.initialize()
    policy.trigger('Go')
    assert policy.state == 'apple'  # alphabetical wins, as in 0.1.11


def test_not_handled_is_a_machine_error_naming_trigger_and_state():
    class S(States):
        def initial(self):
            return response.Response('hi', '')

    class P(Policy):
        states_cls = S

    with pytest.raises(NotHandled, match="Can't trigger event Nope from state initial"):
        P.initialize().trigger('Nope')
    assert issubclass(NotHandled, MachineError)


def test_a_missing_callback_names_the_transition_and_the_fix():
    class S(States):
        def initial(self):
            return response.Response('hi', '')

        @with_transitions({'trigger': 'Go', 'source': '*', 'conditions': 'm_typo'})
        def going(self):
            return response.Response('go', '')

    class P(Policy):
        states_cls = S

    with pytest.raises(AttributeError) as error:
        P.initialize().trigger('Go')
    assert "initial -> going on 'Go'" in str(error.value)
    assert "condition 'm_typo'" in str(error.value) and 'def m_typo(self)' in str(error.value)


def test_property_attribute_and_dotted_path_callbacks_resolve_like_transitions():
    class S(States):
        def initial(self):
            return response.Response('hi', '')

        @with_transitions({'trigger': 'A', 'source': '*', 'conditions': 'ready'},
                          {'trigger': 'B', 'source': '*', 'conditions': 'flag'},
                          {'trigger': 'C', 'source': '*', 'conditions': 'builtins.bool'})
        def done(self):
            return response.Response('done', '')

    class P(Policy):
        states_cls = S

        @property
        def ready(self):
            return True

    policy = P.initialize()
    assert policy.trigger('A') is True
    policy = P.initialize()
    policy.flag = False
    assert policy.trigger('B') is False and policy.state == 'initial'
    policy = P.initialize()
    assert policy.trigger('C') is False  # bool() is False, as transitions would call it


@pytest.mark.parametrize('spec, message', [
    ({'source': '*'}, "needs a 'trigger'"),
    ({'trigger': 'X', 'source': 'a', 'dest': 'b'}, "both 'source' and 'dest'"),
    ({'trigger': 'X'}, "names neither 'source'"),
    ('X', 'takes dicts'),
])
def test_with_transitions_rejects_mistakes_at_import_time(spec, message):
    with pytest.raises(TransitionError, match='state .helping.') as error:
        @with_transitions(spec)
        def helping(self):
            pass
    assert message in str(error.value)


def test_unknown_transition_keys_fail_when_the_machine_compiles():
    class S(States):
        @with_transitions({'trigger': 'X', 'source': '*', 'condition': 'c'})
        def helping(self):
            pass

    class P(Policy):
        states_cls = S

    with pytest.raises(TransitionError, match='state .helping.') as error:
        Machine.of(P)
    assert "unknown keys ['condition']" in str(error.value)


def test_a_state_method_replaced_by_a_later_def_takes_its_unknown_keys_away():
    """A published 0.1.11 skill: the second def of a state replaces the decorated first one."""
    class S(States):
        @with_transitions({'trigger': 'Help', 'source': '*', 'conditon': 'typo'})
        def helping(self):
            return response.Response(speech='old help', reprompt='?')

        def helping(self):  # noqa: F811 - the live method, as in the skill
            return response.Response(speech='help', reprompt='?')

        @with_transitions({'trigger': 'Help', 'source': '*'})
        def other(self):
            return response.Response(speech='other', reprompt='?')

    class P(Policy):
        states_cls = S

    policy = P.initialize()
    assert policy.trigger('Help') is True and policy.state == 'other'


def test_with_transitions_does_not_mutate_a_shared_dict_and_stacks():
    shared = {'trigger': 'Help', 'source': '*'}

    class S(States):
        @with_transitions({'trigger': 'Top', 'source': 'initial'})
        @with_transitions(shared)
        def one(self):
            pass

        @with_transitions(shared)
        def two(self):
            pass

    assert shared == {'trigger': 'Help', 'source': '*'}
    _, transitions = S.get_states_transitions()
    assert [(t['trigger'], t['dest']) for t in transitions] == \
        [('Top', 'one'), ('Help', 'one'), ('Help', 'two')]
    assert S.get_states_transitions()[0] == ['one', 'two', 'initial']


def test_private_helpers_are_not_states():
    class S(States):
        def initial(self):
            return self._say('hi')

        def _say(self, text):
            return response.Response(text, '')

    class P(Policy):
        states_cls = S

    assert Machine.of(P).states == ('initial',)


def test_the_machine_is_compiled_once_per_class():
    class S(States):
        def initial(self):
            return response.Response('hi', '')

    class P(Policy):
        states_cls = S

    class Q(P):
        pass

    assert P.initialize().fsm is P.initialize().fsm
    assert Q.initialize().fsm is not P.initialize().fsm and Q.initialize().fsm.policy_cls is Q


def test_a_subclass_overriding_a_states_words_keeps_its_transitions():
    class Base(States):
        def initial(self):
            return response.Response('hi', '')

        @with_transitions({'trigger': 'Go', 'source': '*'})
        def going(self):
            return response.Response('going', '')

    class Reworded(Base):
        def going(self):
            return response.Response('off we go', '')

    class Silenced(Base):
        @with_transitions()
        def going(self):
            return response.Response('nowhere', '')

    def policy(states_cls):
        return type('P', (Policy,), {'states_cls': states_cls}).initialize()

    reworded = policy(Reworded)
    assert reworded.trigger('Go') and reworded.get_current_state_response().speech == 'off we go'
    with pytest.raises(NotHandled):
        policy(Silenced).trigger('Go')
