"""``alexafsm serve`` as a user starts it, in any folder: for the tests of ``alexafsm new`` and
``alexafsm chat --url``, which need a real server on loopback."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from typing import List
from typing import Tuple

import pytest

ALEXAFSM = Path(sys.executable).with_name('alexafsm')


@contextmanager
def serving_in(folder: Path, skill: str, *args: str) -> Iterator[Tuple[str, List[str]]]:
    """``alexafsm serve SKILL --port 0 ARGS`` run in ``folder`` until the block ends; yields
    the URL it serves and the list of lines it printed, which gets the rest of them once the
    block has ended and the server stopped."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        str(folder), os.environ.get('PYTHONPATH', '')])))
    process = subprocess.Popen([str(ALEXAFSM), 'serve', skill, '--port', '0', *args],
                               cwd=folder, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()],
                              daemon=True)
    reader.start()
    output: List[str] = []
    try:
        while True:
            try:
                line = lines.get(timeout=15)
            except queue.Empty:
                pytest.fail(f"no 'Serving' line from alexafsm serve:\n{''.join(output)}")
            output.append(line)
            found = re.search(r'^Serving \w+ on (http://127\.0\.0\.1:\d+/)$', line)
            if found:  # printed last, once the socket listens
                break
        yield found.group(1), output
        # Ctrl-C reaches every process of the terminal's group: with --reload, the watcher and
        # the server it restarts
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=10)
        reader.join(timeout=10)
        while not lines.empty():
            output.append(lines.get())
        assert code == 0, ''.join(output)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
