"""README.rst stays true: its Python examples run, and it opens with the two set-up commands."""
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / 'README.rst').read_text(encoding='utf-8')


def code_blocks(language):
    blocks = []
    for match in re.finditer(rf'^\.\. code-block:: {language}\n\n((?:    .*\n|\n)+)', README,
                             re.MULTILINE):
        lines = match.group(1).splitlines()
        blocks.append('\n'.join(line[4:] for line in lines).strip() + '\n')
    return blocks


def test_the_first_commands_are_serve_and_test():
    commands = [line.split('#')[0].strip() for line in code_blocks('bash')[0].splitlines()]
    assert commands[:2] == ['./scripts/serve.sh', './scripts/test.sh']
    root = Path(__file__).resolve().parents[1]
    assert all((root / command).stat().st_mode & 0o111 for command in commands[:2])


def test_the_python_examples_run_in_order():
    blocks = code_blocks('python')
    assert len(blocks) >= 2
    namespace = {'__name__': 'readme_example'}
    for block in blocks:
        exec(compile(block, 'README.rst', 'exec'), namespace)  # noqa: S102 - our own README
