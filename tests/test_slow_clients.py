"""Slow clients (issue 14, item 6): hundreds of connections that send a byte now and then.

``alexafsm serve`` started a thread per connection and waited for each forever (3,000 slow
connections: 3,001 threads), and the documented gunicorn setup (threads) stopped answering with
200 of them. ``serve`` now bounds its threads and its waits; the production arrangement in the
README, gunicorn's gevent worker, keeps answering signed requests while hundreds of slow clients
hold connections. Run with -s to see the figures.
"""
import http.client
import json
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import List
from typing import Optional

import pytest

from alexafsm.hosting import create_app
from alexafsm.hosting.server import MAX_CONNECTIONS
from alexafsm.hosting.server import make_server
from benchmarks.endpoint import ENDPOINT_SPEC
from benchmarks.endpoint import Gunicorn
from benchmarks.endpoint import load
from benchmarks.endpoint import signed_requests
from benchmarks.endpoint import write_pki
from tests.certs import make_pki
from tests.fixtures.echo_skill import EchoPolicy
from tests.test_serve_cli import serving

LAUNCH = (Path(__file__).resolve().parents[1] / 'scripts' / 'launch-request.json').read_bytes()
#: the production arrangement the README documents, at the size of this test machine
PRODUCTION_ARGS = ['--worker-class', 'gevent', '--worker-connections', '1000']
SLOW_CLIENTS = 400


class SlowClients:
    """``count`` connections each sending its request one byte every ``interval`` seconds.

    ``mode`` 'head' trickles the request head, 'body' sends a whole head announcing 100,000
    bytes and trickles the body. When ``reconnect`` is set, a connection the server answers or
    drops is replaced at once, as an attacker would, so the server always faces ``count``.
    ``heard`` counts what ended connections: a status line (503, 408...), '<closed>' or
    '<reset>'.
    """

    def __init__(self, port: int, count: int, *, interval: float = 1.0, mode: str = 'head',
                 reconnect: bool = False) -> None:
        self.port = port
        self.interval = interval
        self.mode = mode
        self.reconnect = reconnect
        self.sockets: List[socket.socket] = []
        self.heard: Counter = Counter()
        self.opened = 0
        self.connect_failures = 0
        self._lock = threading.Lock()
        for _ in range(count):
            self._connect()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        head = b'POST / HTTP/1.1\r\nHost: localhost\r\n'
        head += (b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{'
                 if self.mode == 'body' else b'X-Slow: ')
        try:
            client = socket.create_connection(('127.0.0.1', self.port), timeout=2)
            client.sendall(head)
        except OSError:
            self.connect_failures += 1
            return
        client.setblocking(False)
        self.sockets.append(client)
        self.opened += 1

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        """Note what the server said to each connection, and send the live ones one more byte."""
        with self._lock:
            ended = [(c, said) for c in self.sockets for said in [self._said(c)] if said]
            for client, _ in ended:
                self.sockets.remove(client)
                client.close()
                if self.reconnect and not self._stop.is_set():
                    self._connect()
            # counted last, so whoever sees a count also sees those connections gone
            self.heard.update(said for _, said in ended)

    def _said(self, client: socket.socket) -> Optional[str]:
        try:
            data = client.recv(4096)
            return (data.split(b'\r\n')[0] or b'<closed>').decode()
        except BlockingIOError:
            pass  # nothing said: the server still waits for our request
        except OSError:
            return '<reset>'
        try:
            client.send(b' ')
        except BlockingIOError:
            pass
        except OSError:
            return '<reset>'
        return None

    @property
    def open(self) -> int:
        """Connections the server holds open, waiting for the rest of the request."""
        with self._lock:
            return len(self.sockets)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            for client in self.sockets:
                client.close()

    def summary(self) -> str:
        return (f"{self.open} slow '{self.mode}' connections open, {self.opened} opened in all "
                f"({self.connect_failures} could not connect), ended by "
                f"{dict(sorted(self.heard.items()))}")


def threads_of(pid: int) -> int:
    status = Path(f'/proc/{pid}/status').read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith('Threads:')))


def post(port: int, body: bytes = LAUNCH, headers=None, timeout: float = 10):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        connection.request('POST', '/', body=body,
                           headers=headers or {'Content-Type': 'application/json'})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def answer_on_connect(port: int, timeout: float = 10):
    """What the server says to a connection before it sends anything: a refusal comes at once,
    so reading it does not race the server closing while a request is still being written."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as connection:
        received = b''
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b'\r\n\r\n')
    return int(head.split()[1]), json.loads(body)


# -- alexafsm serve: bounded threads and waits ---------------------------------------------------

@contextmanager
def bounded_server(**limits):
    server = make_server('127.0.0.1', 0, create_app(EchoPolicy, dev=True), **limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def wait_until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.integration
def test_a_trickling_client_is_dropped_at_the_request_deadline():
    with bounded_server(read_timeout=0.5, request_timeout=1.0) as server:
        slow = SlowClients(server.server_port, 3, interval=0.1)  # a byte well within each read
        try:
            # the trickle would go on for ever; the deadline ends it
            assert wait_until(lambda: slow.open == 0), slow.summary()
            assert slow.heard == {'<closed>': 3}
            assert wait_until(lambda: server.busy == 0)
            assert post(server.server_port)[0] == 200
        finally:
            slow.close()


@pytest.mark.integration
def test_a_silent_client_is_dropped_at_the_read_timeout():
    with bounded_server(read_timeout=0.3, request_timeout=30) as server:
        with socket.create_connection(('127.0.0.1', server.server_port), timeout=20) as client:
            client.sendall(b'POST / HTTP/1.1\r\n')  # then nothing
            assert client.recv(1024) == b''  # the server hung up, long before 20 s
        assert wait_until(lambda: server.busy == 0)


@pytest.mark.integration
def test_a_body_that_stops_arriving_gets_a_408():
    with bounded_server(read_timeout=0.3, request_timeout=30) as server:
        with socket.create_connection(('127.0.0.1', server.server_port), timeout=20) as client:
            client.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"ver')
            assert client.recv(1024).startswith(b'HTTP/1.1 408')


@pytest.mark.integration
def test_connections_past_the_bound_get_a_503_and_no_thread():
    with bounded_server(max_connections=5, read_timeout=30, request_timeout=60) as server:
        slow = SlowClients(server.server_port, 20, interval=0.2)
        try:
            busy = 'HTTP/1.1 503 Service Unavailable'
            assert wait_until(lambda: slow.heard[busy] == 15), slow.summary()
            assert slow.open == 5 and server.busy == 5 and server.refused == 15
            status, reply = answer_on_connect(server.server_port)
            assert (status, reply['error']) == (503, 'busy')
        finally:
            slow.close()
        assert wait_until(lambda: server.busy == 0)
        assert post(server.server_port)[0] == 200  # slots come back as connections end


@pytest.mark.parametrize('limits', [{'max_connections': 0}, {'read_timeout': 0},
                                    {'read_timeout': 10, 'request_timeout': 5}])
def test_server_limits_must_make_sense(limits):
    with pytest.raises(ValueError):
        make_server('127.0.0.1', 0, create_app(EchoPolicy, dev=True), **limits)


@pytest.mark.integration
def test_alexafsm_serve_keeps_its_threads_bounded_under_hundreds_of_slow_clients():
    with serving('--dev') as (port, _):
        listening = subprocess.run(['ss', '-ltnpH', f'sport = :{port}'], capture_output=True,
                                   text=True, check=True).stdout
        pid = int(re.search(r'pid=(\d+)', listening).group(1))
        slow = SlowClients(port, SLOW_CLIENTS)
        try:
            busy = 'HTTP/1.1 503 Service Unavailable'
            assert wait_until(lambda: slow.heard[busy] == SLOW_CLIENTS - MAX_CONNECTIONS), \
                slow.summary()
            threads = threads_of(pid)
            print(f"\nalexafsm serve: {slow.summary()}; server threads {threads}")
            assert threads <= MAX_CONNECTIONS + 4  # before: one per connection, 401
            assert slow.open == MAX_CONNECTIONS
        finally:
            slow.close()


# -- the production arrangement: gunicorn's gevent worker ----------------------------------------

@pytest.mark.integration
def test_the_production_arrangement_keeps_answering_with_hundreds_of_slow_clients(
        tmp_path_factory):
    pki = make_pki(datetime.now(timezone.utc))
    env = write_pki(pki, tmp_path_factory.mktemp('pki'))
    with Gunicorn(ENDPOINT_SPEC, workers=2, env=env, args=PRODUCTION_ARGS) as server:
        load(server.port, signed_requests(pki), seconds=0.5, concurrency=4)  # warm the workers
        # heads trickled (gunicorn drops each after --keep-alive s; the attacker reconnects)
        heads = SlowClients(server.port, SLOW_CLIENTS // 2, reconnect=True)
        bodies = SlowClients(server.port, SLOW_CLIENTS // 2, mode='body')  # held, one greenlet each
        try:
            time.sleep(1.0)
            result = load(server.port, signed_requests(pki), seconds=5.0, concurrency=8)
            heads.poll()
            bodies.poll()
            print(f"\ngunicorn -w 2 -k gevent: {heads.summary()}; {bodies.summary()}")
            print(result.summary('signed, verified requests meanwhile'))
            assert result.errors == []
            assert result.requests > 0
            assert heads.open == bodies.open == SLOW_CLIENTS // 2  # the attack kept up throughout
        finally:
            heads.close()
            bodies.close()
