"""The layout's rules: every import points down, and the Lambda path stays light.

The core depends on nothing around it; tools read the core only; testing may use the core,
the tools, persistence and the loader; hosting the core, persistence and the loader; nobody
imports the CLI. So a skill on AWS Lambda loads neither Flask, nor the tools, nor
``cryptography``, and each layer can change without the layers below noticing.

Two checks, since each misses what the other sees:

* statically, over the source of every module: each ``import`` and ``from ... import``
  (inside functions and ``if TYPE_CHECKING:`` blocks too), each ``import_module('...')`` and
  each string that names a module of the package (the tables lazy ``__getattr__`` hooks load
  from). An import a test run never reaches is caught here.
* at run time, in a fresh interpreter: what importing a core module, or answering a turn with
  ``lambda_handler``, actually loads, third-party modules included.
"""
import ast
import functools
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict
from typing import FrozenSet
from typing import Iterator
from typing import List
from typing import Optional
from typing import Set
from typing import Tuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'alexafsm'

CORE = 'core'
# Every top-level module of the package and its layer; subpackages are layers of their own.
# A module missing here fails test_every_module_has_a_layer, so a new one gets a place.
MODULES = {
    'alexafsm': CORE, 'alexafsm.amazon_intent': CORE, 'alexafsm.background': CORE,
    'alexafsm.errors': CORE, 'alexafsm.extensions': CORE, 'alexafsm.jsonable': CORE,
    'alexafsm.machine': CORE, 'alexafsm.make_json_serializable': CORE,
    'alexafsm.policy': CORE, 'alexafsm.request': CORE, 'alexafsm.response': CORE,
    'alexafsm.session_attributes': CORE, 'alexafsm.states': CORE,
    'alexafsm.transcript': CORE, 'alexafsm.turn': CORE, 'alexafsm._hints': CORE,
    # dialogs are part of the core: the machine compiles them, and they import only the core
    'alexafsm.dialogs': CORE, 'alexafsm.dialogs._declare': CORE, 'alexafsm.dialogs._form': CORE,
    'alexafsm.dialogs._model': CORE, 'alexafsm.dialogs._runtime': CORE,
    'alexafsm.dialogs.compiled': CORE,
    'alexafsm.loader': 'loader',
    'alexafsm.analytics': 'analytics',
    # 0.1.11's modules of tool functions: they re-export the tools by design
    'alexafsm.utils': 'compat', 'alexafsm.test_helpers': 'compat',
}
SUBPACKAGES = ('tools', 'persistence', 'testing', 'hosting', 'console', 'cli')
# The layers each layer may import; the CLI may import anything, and nothing but itself the CLI.
ALLOWED = {
    CORE: {CORE},
    'tools': {CORE, 'tools'},
    'persistence': {CORE, 'persistence'},
    'analytics': {CORE},
    'loader': {CORE},
    'testing': {CORE, 'tools', 'persistence', 'loader', 'testing'},
    'hosting': {CORE, 'persistence', 'loader', 'hosting'},
    # the conversation console drives a conversation (testing) and draws the machine (tools)
    'console': {CORE, 'tools', 'persistence', 'loader', 'testing', 'hosting', 'console'},
    'cli': {CORE, 'tools', 'persistence', 'analytics', 'loader', 'testing', 'hosting', 'console',
            'cli'},
}
EXEMPT = {'compat'}
# Analytics back ends run on the turns the policy serves, so they must not depend on it.
FORBIDDEN = {('alexafsm.analytics', 'alexafsm.policy')}
# Imports that break a rule until work in flight lands; each must still exist (see below).
PENDING: set = set()
HEAVY = ('flask', 'click', 'werkzeug', 'cryptography', 'certifi', 'ssl', 'redis', 'yaml',
         'graphviz', 'voicelabs')


def module_files(package: Path = PACKAGE) -> Dict[str, Path]:
    """Every module of the package by dotted name; a package by its own name."""
    found = {}
    for path in sorted(package.rglob('*.py')):
        parts = list(path.relative_to(package.parent).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        found['.'.join(parts)] = path
    return found


def layer_of(module: str) -> Optional[str]:
    """The layer of a module of the package; None for one that has no place yet."""
    parts = module.split('.')
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    return MODULES.get(module)


def imports_of(module: str, source: str, known: Set[str]) -> Iterator[Tuple[str, int]]:
    """The modules of the package that ``source`` (module ``module``) imports, with lines.

    ``from package import name`` counts as importing ``package.name`` when that is a module.
    """
    tree = ast.parse(source)
    package = module if module in _packages(known) else module.rpartition('.')[0]
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            for alias in node.names:
                name = f'{base}.{alias.name}'
                yield (name if name in known else base), node.lineno
        elif isinstance(node, ast.Call) and _is_import_call(node.func) and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            yield node.args[0].value, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value in known and id(node) not in docstrings:
            yield node.value, node.lineno


def _is_import_call(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', None)
    return name in ('import_module', '__import__')


def _packages(known: Set[str]) -> Set[str]:
    return {name.rpartition('.')[0] for name in known if '.' in name}


def broken_rules(package: Path = PACKAGE) -> List[str]:
    """Every import of the package that points the wrong way, as 'file:line: why'."""
    files = module_files(package)
    known = set(files)
    problems = []
    for module, path in files.items():
        layer = layer_of(module)
        if layer is None or layer in EXEMPT:
            continue
        for imported, line in imports_of(module, path.read_text(encoding='utf-8'), known):
            if imported not in known and not imported.startswith('alexafsm.'):
                continue
            target = _module_of(imported, known)
            target_layer = layer_of(target)
            where = f'{path.relative_to(package.parent)}:{line}'
            if layer != 'cli' and target_layer == 'cli':
                problems.append(f'{where}: {module} imports {target}; nothing imports the CLI')
            elif (module, target) in FORBIDDEN:
                problems.append(f'{where}: {module} ({layer}) imports {target} '
                                f'({target_layer}), which it must not depend on')
            elif target_layer not in ALLOWED[layer]:
                problems.append(f'{where}: {module} ({layer}) imports {target} '
                                f'({target_layer}); {layer} may import only '
                                f'{", ".join(sorted(ALLOWED[layer]))}')
    return problems


def _module_of(imported: str, known: Set[str]) -> str:
    """The longest known module that ``imported`` is or lies in (e.g. a missing submodule)."""
    parts = imported.split('.')
    for end in range(len(parts), 0, -1):
        if '.'.join(parts[:end]) in known:
            return '.'.join(parts[:end])
    return imported


def _is_pending(problem: str) -> bool:
    return any(f' {a} (' in problem and f'imports {b} (' in problem for a, b in PENDING)


# -- static ------------------------------------------------------------------------------------

def test_every_module_has_a_layer():
    unplaced = [module for module in module_files() if layer_of(module) is None]
    assert unplaced == [], f"give {unplaced} a layer in MODULES, by what they import"


def test_every_import_points_down():
    problems = [p for p in broken_rules() if not _is_pending(p)]
    assert problems == []


def test_pending_exceptions_are_still_needed():
    """An exception left behind after the fix would silently allow the import again."""
    stale = [pair for pair in PENDING
             if not any(_is_pending(p) and f' {pair[0]} (' in p for p in broken_rules())]
    assert stale == [], f"remove {stale} from PENDING in tests/test_layout.py: it is fixed"


def test_the_walk_sees_lazy_imports_and_lazy_tables():
    files = module_files()
    known = set(files)

    def imported(module):
        return {name for name, _ in imports_of(module, files[module].read_text(), known)}
    assert 'alexafsm.tools.coverage' in imported('alexafsm.cli.graph')  # inside a function
    assert 'alexafsm.loader' in imported('alexafsm.testing.pytest_plugin')  # inside a method
    assert 'alexafsm.hosting.verify' in imported('alexafsm.hosting')  # a lazy __getattr__ table
    assert 'alexafsm.persistence.redis' in imported('alexafsm.persistence')  # import_module()


def test_a_planted_upward_import_is_caught(tmp_path):
    """Positive control: a copy of the package with imports that break each kind of rule."""
    copy = tmp_path / 'alexafsm'
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns('__pycache__'))
    plants = {
        'request.py': "\n\ndef _later():\n    from alexafsm.hosting import endpoint\n",
        'tools/graph.py': "\nimport alexafsm.testing.conversation\n",
        'hosting/wsgi.py': "\n\ndef _skill():\n    from alexafsm.cli.skill import skill_policy\n",
        'persistence/memory.py': "\nfrom importlib import import_module\n"
                                 "_LATER = import_module('alexafsm.tools.describe')\n",
        'loader.py': "\n_LAZY = {'x': 'alexafsm.persistence'}\n",
        'testing/chat.py': "\nfrom .. import hosting\n",
        'hosting/endpoint.py': "\n\ndef _console():\n    from alexafsm.console import find_model\n",
        'console/app.py': "\nfrom alexafsm.cli import skill\n",
    }
    for name, code in plants.items():
        with open(copy / name, 'a', encoding='utf-8') as file:
            file.write(code)
    caught = sorted(set(broken_rules(copy)) - set(broken_rules()))
    expected = [('alexafsm/request.py', 'imports alexafsm.hosting.endpoint (hosting)'),
                ('alexafsm/tools/graph.py', 'imports alexafsm.testing.conversation (testing)'),
                ('alexafsm/hosting/wsgi.py', 'imports alexafsm.cli.skill; nothing imports'),
                ('alexafsm/persistence/memory.py', 'imports alexafsm.tools.describe (tools)'),
                ('alexafsm/loader.py', 'imports alexafsm.persistence (persistence)'),
                ('alexafsm/testing/chat.py', 'imports alexafsm.hosting (hosting)'),
                ('alexafsm/hosting/endpoint.py', 'imports alexafsm.console (console)'),
                ('alexafsm/console/app.py', 'imports alexafsm.cli.skill; nothing imports')]
    assert len(caught) == len(expected), caught
    for path, words in expected:
        assert any(p.startswith(path + ':') and words in p for p in caught), (path, caught)


def test_docstrings_and_unrelated_strings_are_no_imports():
    known = set(module_files())
    source = textwrap.dedent('''
        """Like ``alexafsm.hosting``, said in a docstring."""
        import logging
        LOGGER = logging.getLogger('alexafsm.request')
        HINT = 'see alexafsm.cli for the command'
        ''')
    assert list(imports_of('alexafsm.response', source, known)) == [('logging', 3),
                                                                      ('alexafsm.request', 4)]


# -- run time ----------------------------------------------------------------------------------

def loaded_after(code: str) -> Set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` from the checkout,
    less those it loads before running anything (site hooks of the environment, not ours)."""
    return _loaded(code) - _loaded('')


@functools.cache
def _loaded(code: str) -> FrozenSet[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return frozenset(json.loads(out.stdout.splitlines()[-1]))


def test_the_core_loads_nothing_of_the_layers_around_it():
    core = sorted(m for m in module_files() if layer_of(m) == CORE)
    assert 'alexafsm.policy' in core and 'alexafsm.response' in core
    for module in core:
        loaded = loaded_after(f'import {module}')
        assert module in loaded
        wrong = sorted(m for m in loaded if m.startswith('alexafsm.') and layer_of(m) != CORE
                       or m.split('.')[0] in HEAVY)
        assert wrong == [], f"importing {module} loads {wrong}"


def test_the_check_sees_a_layer_when_one_is_imported():
    loaded = loaded_after('import alexafsm.hosting.flask_app')
    assert any(m.startswith('alexafsm.hosting') for m in loaded) and 'flask' in loaded


LAMBDA_TURN = '''
from alexafsm.hosting import lambda_handler
from tests.fixtures.echo_skill import EchoPolicy

handler = lambda_handler(EchoPolicy, application_ids=['amzn1.ask.skill.layout'])
application = {'applicationId': 'amzn1.ask.skill.layout'}
user = {'userId': 'amzn1.ask.account.layout'}
event = {
    'version': '1.0',
    'session': {'new': True, 'sessionId': 'amzn1.echo-api.session.layout',
                'application': application, 'user': user, 'attributes': {}},
    'context': {'System': {'application': application, 'user': user,
                           'device': {'deviceId': 'layout', 'supportedInterfaces': {}}}},
    'request': {'type': 'LaunchRequest', 'requestId': 'amzn1.echo-api.request.layout',
                'timestamp': '2024-05-01T12:00:00Z', 'locale': 'en-US'},
}
assert handler(event, None)['response']['outputSpeech']['text'].startswith('Welcome to Echo')
'''
LAMBDA_NEVER_LOADS = ('cryptography', 'certifi', 'ssl', '_ssl', 'alexafsm.hosting.verify',
                      'flask', 'werkzeug', 'click')


def test_a_lambda_turn_loads_no_cryptography_certifi_or_ssl():
    """Amazon exempts Lambda from signature checks, so a cold start must not pay for them."""
    loaded = loaded_after(LAMBDA_TURN)
    assert 'alexafsm.hosting.aws_lambda' in loaded
    wrong = sorted(m for m in loaded
                   if m in LAMBDA_NEVER_LOADS or m.split('.')[0] in LAMBDA_NEVER_LOADS)
    assert wrong == []


def test_the_lambda_check_would_see_verification():
    """Positive control: the same turn through the verifying host's module loads all three."""
    loaded = loaded_after('from alexafsm.hosting import RequestVerifier\n' + LAMBDA_TURN)
    assert {'cryptography', 'certifi', 'ssl', 'alexafsm.hosting.verify'} <= loaded
