"""Fixtures shared by the test modules: a real redis-server on a free loopback port.

Tests that use it are marked ``integration`` here (see pytest_collection_modifyitems), so that
``pytest -m "not integration"`` stays a quick loop without a redis-server process per test.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator
from typing import List
from typing import Optional

import pytest


def free_port() -> int:
    """A port nothing listens on right now, picked by the kernel."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server process in its own folder, on loopback only, that a test can kill.

    No snapshots and no append-only file unless ``appendonly``, so nothing outlives the test.
    """

    def __init__(self, folder: Path, appendonly: bool = False) -> None:
        binary = shutil.which('redis-server')
        if binary is None:
            pytest.fail("redis-server is not installed: scripts/setup.sh installs it "
                        "(apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.appendonly = appendonly
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.start()

    @property
    def url(self) -> str:
        """Where clients reach it: redis://127.0.0.1:PORT/0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart, on the same port and folder) and wait until it answers PING."""
        self.process = subprocess.Popen(
            [self.binary, '--port', str(self.port), '--bind', '127.0.0.1', '--dir',
             str(self.folder), '--save', '', '--appendonly',
             'yes' if self.appendonly else 'no', '--appendfsync', 'always'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited at start with {self.process.returncode}")
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.2) as sock:
                    sock.sendall(b'PING\r\n')
                    if sock.recv(64).startswith(b'+PONG'):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        pytest.fail("redis-server did not answer PING within 10 s")

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it; no chance to save anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def redis_process(tmp_path_factory) -> Iterator[RedisServer]:
    """A running redis-server the test may kill and restart; killed at teardown."""
    server = RedisServer(tmp_path_factory.mktemp('redis'))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_server(redis_process: RedisServer) -> str:
    """The URL of a fresh redis-server on a free loopback port (redis://127.0.0.1:PORT/0)."""
    return redis_process.url


@pytest.fixture
def start_redis(tmp_path_factory) -> Iterator:
    """Start more servers, e.g. ``start_redis(appendonly=True)`` to prove data survives a kill."""
    servers = []

    def start(appendonly: bool = False) -> RedisServer:
        server = RedisServer(tmp_path_factory.mktemp('redis'), appendonly=appendonly)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.kill()


#: Fixtures that start a redis-server: every test that uses one, directly or through another
#: fixture, is an integration test.
SERVER_FIXTURES = frozenset({'redis_process', 'start_redis'})


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Marks ``integration`` each test that starts a redis-server through a fixture above.

    The mark follows the fixture rather than being written on each test, so a new test that
    asks for a server cannot slip into the quick loop unmarked.
    """
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, 'fixturenames', ())):
            item.add_marker(pytest.mark.integration)
