"""``alexafsm new NAME``: a new skill project that validates, tests and serves as it is.

The files come from the templates in ``alexafsm/cli/templates/new/`` (package data), filled in
with ``string.Template``: ``$name`` (the package), ``$cls`` (the class-name prefix), ``$title``,
``$invocation``, ``$dist`` and ``$alexafsm_version``. ``tests/test_new.py`` runs each command
the generated README names in a fresh folder, so the scaffold cannot rot.
"""
import keyword
import os
import re
import sys
from importlib.util import find_spec
from pathlib import Path
from string import Template
from typing import Dict
from typing import List
from typing import Union

import click

__all__ = ['command', 'TEMPLATES', 'scaffold']

_TEMPLATE_DIR = Path(__file__).parent / 'templates' / 'new'

#: Each template file and where it goes in the project (``{name}`` is the package).
TEMPLATES: Dict[str, str] = {
    'README.md.tmpl': 'README.md',
    'pyproject.toml.tmpl': 'pyproject.toml',
    'gitignore.tmpl': '.gitignore',
    'package__init__.py.tmpl': '{name}/__init__.py',
    'model__en-US.json.tmpl': 'model/en-US.json',
    'stories__hello.story.yaml.tmpl': 'stories/hello.story.yaml',
    'tests__test_skill.py.tmpl': 'tests/test_{name}.py',
}

_NAME = re.compile(r'[a-z][a-z0-9_]*\Z')


def _check_name(name: str) -> None:
    """NAME becomes a package that ``alexafsm validate NAME`` imports: say why one cannot."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        suggestion = re.sub(r'[^a-z0-9_]+', '_', name.lower()).strip('_')
        if suggestion and suggestion[0].isdigit():
            suggestion = 'skill_' + suggestion
        raise click.BadParameter(
            f"{name!r} cannot be a Python package name, which the skill's folder and package "
            f"are named after: use lower-case letters, digits and underscores, starting with a "
            f"letter" + (f" (e.g. {suggestion!r})" if suggestion else ''), param_hint='NAME')
    stdlib = getattr(sys, 'stdlib_module_names', ())
    taken = name in stdlib or name in sys.builtin_module_names or find_spec(name) is not None
    if taken:
        raise click.BadParameter(
            f"{name!r} is already an importable module, so 'alexafsm validate {name}' could load "
            f"it instead of the skill: choose another name (e.g. '{name}_skill')",
            param_hint='NAME')


def _values(name: str) -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version
    try:
        alexafsm_version = version('alexafsm')
    except PackageNotFoundError:  # pragma: no cover - run from a checkout that is not installed
        alexafsm_version = '0.2.0'
    words = [w for w in name.split('_') if w]
    return {
        'name': name,
        'cls': ''.join(w.capitalize() for w in words),
        'title': ' '.join(w.capitalize() for w in words),
        # Alexa wants an invocation name of at least two words, in lower case
        'invocation': ' '.join(words) if len(words) > 1 else f'{words[0]} skill',
        'dist': name.replace('_', '-'),
        'alexafsm_version': alexafsm_version,
    }


def scaffold(name: str, parent: Union[str, 'os.PathLike[str]']) -> List[Path]:
    """Write the project ``parent/name`` from the templates; the files written, in order.

    The folder must not exist yet (or be empty), so nothing of the author's is overwritten.
    """
    root = Path(parent) / name
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} already exists and is not an empty folder")
    values = _values(name)
    written = []
    for template, target in TEMPLATES.items():
        text = Template((_TEMPLATE_DIR / template).read_text(encoding='utf-8')).substitute(values)
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')
        written.append(path)
    return written


@click.command('new')
@click.argument('name')
@click.option('--parent', type=click.Path(file_okay=False), default='.', show_default=True,
              help='The folder to create the project NAME in.')
def command(name: str, parent: str) -> None:
    """Create the skill project NAME: a package, its interaction model, a story, a test.

    \b
    After 'cd NAME' these work as they are:
        alexafsm validate NAME --strict
        alexafsm stories NAME
        python -m pytest
        alexafsm serve NAME --dev
    """
    _check_name(name)
    try:
        written = scaffold(name, parent)
    except (FileExistsError, OSError) as error:
        raise click.ClickException(str(error)) from None
    root = Path(parent) / name
    click.echo(f"Created {root}/ with:")
    for path in written:
        click.echo(f"  {path.relative_to(root)}")
    cd = os.path.relpath(root)
    click.echo(f"\nNext:\n  cd {cd}\n  alexafsm validate {name} --strict\n"
               f"  alexafsm stories {name}\n  python -m pytest\n  alexafsm chat {name}\n"
               f"  alexafsm serve {name} --dev")
