"""Every public function and method of the package says why it exists and what it returns.

The quality bar for alexafsm's API: a skill author reads the docstring and the type hints, not
the body. This walks the source, so a new function without them fails here, named.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / 'alexafsm'


def public_functions():
    for path in sorted(PACKAGE.rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        owners = [(None, tree.body)] + [(node.name, node.body) for node in tree.body
                                         if isinstance(node, ast.ClassDef)
                                         and not node.name.startswith('_')]
        for owner, body in owners:
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                        and not node.name.startswith('_'):
                    name = f'{owner}.{node.name}' if owner else node.name
                    yield f'{path.relative_to(PACKAGE.parent)}: {name}', node


def test_the_walk_finds_the_api():
    names = {name for name, _ in public_functions()}
    assert 'alexafsm/policy.py: Policy.handle' in names
    assert 'alexafsm/response.py: ssml' in names
    assert len(names) > 150


def test_every_public_function_has_a_docstring_and_a_return_type():
    missing = [f'{name} ({", ".join(what)})' for name, node in public_functions()
               for what in [[w for w, ok in (('docstring', ast.get_docstring(node)),
                                             ('return type', node.returns is not None))
                             if not ok]] if what]
    assert missing == []


def test_every_parameter_of_a_public_function_has_a_type():
    untyped = [f'{name}({arg.arg})' for name, node in public_functions()
               for arg in node.args.args + node.args.kwonlyargs
               if arg.annotation is None and arg.arg not in ('self', 'cls')]
    assert untyped == []
