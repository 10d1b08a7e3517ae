"""Sphinx configuration of alexafsm's API reference (``./scripts/docs.sh`` builds it).

The pages of the API reference and of the commands are generated here, at every build, from
the package itself (every module, and each command's ``--help``), so a new module or option
needs no edit of the docs; they are written under ``_generated/``, which git ignores.
"""
import importlib
import os
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import alexafsm  # noqa: E402

project = 'alexafsm'
author = 'Allen AI'
try:
    from importlib.metadata import version as _version
    release = _version('alexafsm')
except Exception:  # a checkout that is not installed
    release = '0.2.0'
extensions = ['sphinx.ext.autodoc', 'sphinx.ext.viewcode']
exclude_patterns = ['_build']
html_theme = 'alabaster'
html_static_path: list = []
autodoc_default_options = {'members': True, 'show-inheritance': True}
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
# Docstrings name classes the way the code imports them; a reference that does not resolve
# stays plain text rather than failing the build.
nitpicky = False
suppress_warnings = ['ref.python']  # one name exported by several modules: no single target
# Modules skipped by the reference: the CLI is documented by its --help (commands.rst).
_SKIP_PREFIXES = ('alexafsm.cli',)


def _modules():
    names = ['alexafsm']
    for info in pkgutil.walk_packages(alexafsm.__path__, 'alexafsm.'):
        if info.name.startswith(_SKIP_PREFIXES) or '._' in info.name:
            continue
        names.append(info.name)
    return sorted(names)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding='utf-8') != text:
        path.write_text(text, encoding='utf-8')


def _api_pages() -> None:
    out = HERE / '_generated' / 'api'
    modules = _modules()
    for name in modules:
        title = f'``{name}``'
        _write(out / f'{name}.rst', f"{title}\n{'=' * len(title)}\n\n"
                                     f".. automodule:: {name}\n")
    index = ['API reference', '=============', '',
             'Every module of the package, from its docstrings; a module documents the names in '
             'its ``__all__``.', '', '.. toctree::', '   :maxdepth: 1', '']
    index += [f'   {name}' for name in modules]
    _write(out / 'index.rst', '\n'.join(index) + '\n')


def _command_pages() -> None:
    from click.testing import CliRunner

    from alexafsm.cli import COMMANDS
    from alexafsm.cli import main
    lines = ['Commands', '========', '',
             'The ``alexafsm`` command, one subcommand a section, as ``--help`` shows it.', '']
    runner = CliRunner()
    for name in [None, *sorted(COMMANDS)]:
        args = [name, '--help'] if name else ['--help']
        result = runner.invoke(main, args, prog_name='alexafsm', terminal_width=100)
        title = f'alexafsm {name}' if name else 'alexafsm'
        lines += [title, '-' * len(title), '', '.. code-block:: text', '']
        lines += [f'    {line}'.rstrip() for line in result.output.splitlines()]
        lines.append('')
    _write(HERE / '_generated' / 'commands.rst', '\n'.join(lines) + '\n')


os.environ.setdefault('COLUMNS', '100')
_api_pages()
_command_pages()
importlib.invalidate_caches()
