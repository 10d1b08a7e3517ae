"""One exception tree: every error class of the package descends from AlexafsmError.

Each class also keeps the builtin it had before the tree existed, and no more, so an
``except ValueError`` written against 0.1.11 or an earlier 0.2.0 catches exactly what it caught;
the drawing in ``alexafsm.errors``'s docstring is checked against the classes, so it cannot drift.
"""
import importlib
import inspect
import pkgutil
import re
from collections import namedtuple

import pytest
from transitions import MachineError

import alexafsm
from alexafsm import errors
from alexafsm.errors import AlexafsmError

# Every exception class of the package, by the module that raised it before the tree, with the
# builtin (or transitions) class it was then: it must still be exactly that one.
PREVIOUS = {
    'alexafsm.states.TransitionError': ValueError,
    'alexafsm.machine.NotHandled': MachineError,
    'alexafsm.machine.CallbackError': AttributeError,
    'alexafsm.extensions.StoreUnavailable': Exception,
    'alexafsm.extensions.PersistenceError': RuntimeError,
    'alexafsm.loader.PolicyLoadError': ValueError,
    'alexafsm.response.ResponseError': ValueError,
    'alexafsm.transcript.RecordingError': ValueError,
    'alexafsm.hosting.checks.VerificationError': Exception,
    'alexafsm.hosting.checks.MalformedRequestError': Exception,
    'alexafsm.hosting.endpoint.RejectedRequest': Exception,
    'alexafsm.tools.interaction_model.ModelError': ValueError,
    'alexafsm.tools.graph.GraphError': RuntimeError,
    'alexafsm.testing.fuzz.FuzzError': ValueError,
    'alexafsm.testing.reduction.Exhausted': Exception,
    'alexafsm.testing.pytest_plugin.StoryFailed': AssertionError,
    'alexafsm.testing.stories.StoryError': ValueError,
    'alexafsm.testing.conversation.ConversationError': Exception,
    'alexafsm.test_helpers.MissingRecording': FileNotFoundError,
    'alexafsm.utils.ValidationError': AssertionError,
}
# Classes new with the tree, for the bare builtins raised before it: the builtin they replace.
NEW = {
    'MissingStateError': AttributeError, 'SkillClassError': TypeError,
    'NotSerializableError': TypeError, 'ArgumentValueError': ValueError,
    'ArgumentTypeError': TypeError, 'LateRegistrationError': RuntimeError,
    'MissingPackageError': ImportError, 'DialogError': ValueError, 'Invalid': ValueError,
}


def package_modules():
    """Every module of the package, imported (optional extras are test dependencies here)."""
    yield alexafsm
    for info in pkgutil.walk_packages(alexafsm.__path__, 'alexafsm.'):
        yield importlib.import_module(info.name)


def exception_classes():
    """(where, class) for every exception class a module of the package defines or exports."""
    for module in package_modules():
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and \
                    value.__module__.startswith('alexafsm'):
                yield f'{module.__name__}.{name}', value


def foreign_bases(cls):
    """The classes in ``cls``'s MRO that are not the package's: its builtin side."""
    return {base for base in cls.__mro__ if not base.__module__.startswith('alexafsm')}


def test_every_exception_class_of_the_package_is_in_the_tree():
    found = dict(exception_classes())
    assert len(found) > 40  # the walk reaches every module
    assert [where for where, cls in found.items() if not issubclass(cls, AlexafsmError)] == []
    assert {cls.__module__ for cls in found.values()} == {'alexafsm.errors'}


def test_each_class_is_still_exactly_the_builtin_it_was():
    for where, builtin in PREVIOUS.items():
        module_name, _, name = where.rpartition('.')
        cls = getattr(importlib.import_module(module_name), name)
        assert cls is getattr(errors, name), where
        assert foreign_bases(cls) == set(builtin.__mro__), where
    for name, builtin in NEW.items():
        assert foreign_bases(getattr(errors, name)) == set(builtin.__mro__), name


def test_the_groups_add_no_builtin_so_no_except_clause_catches_more():
    groups = [cls for cls in vars(errors).values() if inspect.isclass(cls)
              and issubclass(cls, AlexafsmError) and cls.__subclasses__()]
    for group in groups:
        shared = set.intersection(*(foreign_bases(c) for c in group.__subclasses__()))
        assert foreign_bases(group) <= shared, group.__name__


def test_not_handled_is_still_a_transitions_machine_error_as_in_0_1_11():
    assert issubclass(errors.NotHandled, MachineError)
    error = errors.NotHandled('HelpIntent', 'initial')
    assert (error.trigger, error.state) == ('HelpIntent', 'initial')
    assert error.value == "Can't trigger event HelpIntent from state initial!"


def drawn_tree():
    """(class name, parent name) for each line of the drawing in the module docstring."""
    parents = {}
    stack = []
    for line in errors.__doc__.splitlines():
        match = re.match(r'^    ((?:│   |    )*)(?:├── |└── )(\w+)', line)
        if match:
            depth, name = len(match.group(1)) // 4 + 1, match.group(2)
        elif line.strip() == 'AlexafsmError':
            depth, name = 0, 'AlexafsmError'
        else:
            continue
        del stack[depth:]
        parents[name] = stack[-1] if stack else None
        stack.append(name)
    return parents


def test_the_drawing_in_the_docstring_is_the_tree():
    drawn = drawn_tree()
    assert sorted(drawn) == sorted(errors.__all__)
    for name, parent in drawn.items():
        cls = getattr(errors, name)
        ours = [base for base in cls.__bases__ if base.__module__ == 'alexafsm.errors']
        assert [base.__name__ for base in ours] == ([parent] if parent else []), name


def test_every_class_says_why_it_is_raised():
    assert [name for name in errors.__all__ if not getattr(errors, name).__doc__] == []


# -- representative raises: the tree class, and the builtin callers caught before ----------------

def test_a_malformed_transition_is_a_skill_definition_error_and_a_value_error():
    from alexafsm.states import with_transitions
    with pytest.raises(ValueError, match="needs a 'trigger'") as caught:
        with_transitions({'source': '*'})(lambda self: None)
    assert isinstance(caught.value, errors.SkillDefinitionError)


def test_a_policy_without_states_is_a_skill_class_error_and_a_type_error():
    from alexafsm.machine import Machine
    from alexafsm.policy import Policy

    class Incomplete(Policy):
        states_cls = None

    with pytest.raises(TypeError, match='states_cls is not set') as caught:
        Machine.of(Incomplete)
    assert isinstance(caught.value, errors.SkillClassError)


def test_a_value_without_json_form_is_a_type_error_of_the_skill():
    from alexafsm.jsonable import jsonable
    with pytest.raises(TypeError, match='give it a to_json') as caught:
        jsonable({'when': object()})
    assert isinstance(caught.value, errors.NotSerializableError)
    assert isinstance(caught.value, errors.SkillDefinitionError)


def test_a_bad_store_url_is_a_usage_error_and_a_value_error():
    from alexafsm.persistence import open_store
    from alexafsm.persistence import store_from_url
    with pytest.raises(ValueError, match='unknown store URL') as caught:
        store_from_url('ftp://x')
    assert isinstance(caught.value, errors.ArgumentValueError)
    with pytest.raises(TypeError, match='store must be a URL') as caught:
        open_store(42)
    assert isinstance(caught.value, errors.UsageError)


def test_a_broken_model_is_an_input_file_error_and_a_value_error(tmp_path):
    from alexafsm.tools.interaction_model import load_model
    path = tmp_path / 'en-US.json'
    path.write_text('{"interactionModel": ', encoding='utf-8')
    with pytest.raises(ValueError, match='invalid JSON') as caught:
        load_model(path)
    assert isinstance(caught.value, errors.ModelError)
    assert isinstance(caught.value, errors.InputFileError)


def test_a_refused_lambda_event_is_a_request_error():
    from alexafsm.hosting import lambda_handler
    from tests.fixtures.echo_skill import EchoPolicy
    handler = lambda_handler(EchoPolicy, application_ids=['amzn1.ask.skill.mine'])
    event = {'version': '1.0', 'session': {'application': {'applicationId': 'other'}},
             'request': {'type': 'LaunchRequest', 'requestId': 'r'}}
    with pytest.raises(errors.RequestError) as caught:
        handler(event, None)
    assert isinstance(caught.value, errors.VerificationError)
    assert caught.value.status == 400


def test_one_except_clause_catches_whatever_alexafsm_refuses():
    from alexafsm.testing.requests import intent_request
    slots = namedtuple('Slots', 'size')  # a namedtuple is no string: Alexa sends strings
    with pytest.raises(AlexafsmError, match='Alexa sends slot values as strings'):
        intent_request('OrderIntent', slots={'size': slots('big')})
