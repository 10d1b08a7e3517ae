"""load_policy: the one way hosts, tests, scripts and the command name a skill.

Its errors are plain exceptions with the mistake and the fix in the message, so the CLI, the
gunicorn factory and the pytest plugin each show them their own way; none of them needs click.
"""
import textwrap

import pytest

from alexafsm.loader import PolicyLoadError
from alexafsm.loader import load_policy
from tests.fixtures.echo_skill import EchoPolicy
from tests.fixtures.memory_echo import MemoryEcho


@pytest.fixture
def module(tmp_path, monkeypatch):
    """Write a module of skill code under a fresh name; returns the name to load it by."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name, source):
        (tmp_path / f'{name}.py').write_text(textwrap.dedent(source))
        return name
    return write


def test_a_module_with_one_policy_or_a_named_class_loads():
    assert load_policy('tests.fixtures.echo_skill') is EchoPolicy
    assert load_policy('tests.fixtures.memory_echo:MemoryEcho') is MemoryEcho


def test_errors_are_value_errors_that_say_what_was_found():
    assert issubclass(PolicyLoadError, ValueError)
    with pytest.raises(PolicyLoadError, match="cannot import module 'tests.fixtures.nothing'"):
        load_policy('tests.fixtures.nothing')
    with pytest.raises(PolicyLoadError, match="'Nope' in tests.fixtures.echo_skill is not a "
                                              "Policy subclass"):
        load_policy('tests.fixtures.echo_skill:Nope')
    with pytest.raises(PolicyLoadError, match=r"must define exactly one Policy subclass with "
                                              r"states_cls \(found: EchoPolicy, MemoryEcho\); "
                                              r"name one as 'tests.fixtures.memory_echo:"):
        load_policy('tests.fixtures.memory_echo')


def test_a_policy_without_states_says_to_set_states_cls(module):
    name = module('loader_no_states', """
        from alexafsm.policy import Policy

        class Lonely(Policy):
            pass
        """)
    with pytest.raises(PolicyLoadError, match=f"{name}:Lonely has no states_cls: set it to "):
        load_policy(f'{name}:Lonely')
    with pytest.raises(PolicyLoadError, match=r'\(found: none\)'):
        load_policy(name)


def test_skill_code_that_fails_to_import_is_named_with_its_error(module):
    name = module('loader_broken', "raise ZeroDivisionError('at import')\n")
    with pytest.raises(PolicyLoadError, match=f"importing '{name}' failed: ZeroDivisionError: "
                                              f"at import") as raised:
        load_policy(name)
    assert isinstance(raised.value.__cause__, ZeroDivisionError)
