"""The HTTP server of ``alexafsm serve``: werkzeug's threaded one, with the limits it lacked.

Werkzeug's development server starts a thread for every connection and waits for a client as
long as it likes, so a few thousand connections that send nothing (or a byte now and then) made
as many threads. This one bounds both: at most ``max_connections`` connections are served at a
time (one thread each; the next ones get an immediate 503 rather than a thread), every read
waits at most ``read_timeout`` seconds, and a whole request (head and body) must arrive within
``request_timeout`` seconds, however slowly it trickles. Chunked bodies are unframed strictly
(RFC 9112): the sizes werkzeug reads leniently (``0x3``, or ``1a`` followed by a space) are refused.

It stays a small server: for hundreds of slow clients at once, the production arrangement in the
README (gunicorn with its gevent worker, which holds a waiting connection for the price of a
greenlet) keeps answering where any thread-per-connection server must refuse.
"""
import io
import json
import logging
import socket
import threading
import time
from typing import Any
from typing import Callable

from werkzeug.serving import ThreadedWSGIServer
from werkzeug.serving import WSGIRequestHandler

from alexafsm.errors import ArgumentValueError

__all__ = ['make_server', 'BoundedServer', 'ChunkedInput', 'MAX_CONNECTIONS', 'READ_TIMEOUT',
           'REQUEST_TIMEOUT']

logger = logging.getLogger(__name__)

#: Connections served at once, each on its own thread; more are answered 503 straight away.
MAX_CONNECTIONS = 64
#: Seconds one read from a client may wait before the connection is dropped.
READ_TIMEOUT = 10.0
#: Seconds a client has to send a whole request, head and body, however it trickles.
REQUEST_TIMEOUT = 30.0

#: A chunk-size line longer than this is no Alexa request's: hex digits and a short extension.
_MAX_CHUNK_LINE = 1024
_HEX = frozenset(b'0123456789abcdefABCDEF')


def make_server(host: str, port: int, app: Callable[..., Any], *,
                max_connections: int = MAX_CONNECTIONS, read_timeout: float = READ_TIMEOUT,
                request_timeout: float = REQUEST_TIMEOUT) -> 'BoundedServer':
    """A listening server for ``app`` whose threads, waits and chunk parsing are all bounded.

    Like werkzeug's ``make_server`` (a busy port or bad host is reported the same way), since
    ``alexafsm serve`` is the same development-grade server, only safe to leave reachable.
    """
    if max_connections < 1:
        raise ArgumentValueError(f"max_connections must be 1 or more, not {max_connections}")
    if not (0 < read_timeout <= request_timeout):
        raise ArgumentValueError(
            f"read_timeout ({read_timeout}) and request_timeout ({request_timeout}) must be "
            f"seconds, with read_timeout no longer than request_timeout")
    return BoundedServer(host, port, app, max_connections=max_connections,
                         read_timeout=read_timeout, request_timeout=request_timeout)


class BoundedServer(ThreadedWSGIServer):
    """A thread per connection, at most ``max_connections`` of them, each with its deadlines."""

    def __init__(self, host: str, port: int, app: Callable[..., Any], *, max_connections: int,
                 read_timeout: float, request_timeout: float) -> None:
        """Listen on ``host:port``; the limits are read by each connection's handler."""
        self.max_connections = max_connections
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._busy = 0
        self._busy_lock = threading.Lock()
        #: connections answered 503 because every slot was taken, for operators and tests
        self.refused = 0
        self._last_warning = float('-inf')
        super().__init__(host, port, app, handler=_Handler)

    @property
    def busy(self) -> int:
        """Connections being served now (each holds a thread)."""
        with self._busy_lock:
            return self._busy

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a thread for the connection when a slot is free, else answer 503 at once."""
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            if time.monotonic() - self._last_warning > 10:  # say so, but not per connection
                self._last_warning = time.monotonic()
                logger.warning("all %d connections are busy: answering new ones 503 (%d so far); "
                               "for many slow clients, use the production arrangement in the "
                               "README", self.max_connections, self.refused)
            _refuse(request)
            self.shutdown_request(request)
            return
        with self._busy_lock:
            self._busy += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve the connection on its thread, then give its slot back whatever happened."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._busy_lock:
            self._busy -= 1
        self._slots.release()


def _refuse(connection: socket.socket) -> None:
    body = json.dumps({'error': 'busy', 'message': 'the server is serving as many connections '
                                                   'as it allows; retry shortly'}).encode()
    head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
    try:
        connection.settimeout(0.5)  # a fresh socket's send buffer is empty: this never waits
        connection.sendall(head.encode('ascii') + body)
    except OSError:
        pass  # the client left already


class _Handler(WSGIRequestHandler):
    """werkzeug's handler reading through a deadline, with strict chunked bodies."""

    server: BoundedServer

    def setup(self) -> None:
        super().setup()
        self._deadline = _Deadline(self.server.read_timeout, self.server.request_timeout)
        self.rfile = io.BufferedReader(_DeadlineSocket(self.connection, self._deadline))

    def handle_one_request(self) -> None:
        self._deadline.start()
        super().handle_one_request()

    def make_environ(self) -> Any:
        environ = super().make_environ()
        if environ.get('wsgi.input_terminated'):  # werkzeug saw Transfer-Encoding: chunked
            environ['wsgi.input'] = ChunkedInput(self.rfile)
        return environ


class _Deadline:
    """When the request being read must have arrived, and how long the next read may wait."""

    def __init__(self, read_timeout: float, request_timeout: float) -> None:
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout
        self.ends = time.monotonic() + request_timeout

    def start(self) -> None:
        self.ends = time.monotonic() + self.request_timeout

    def next_wait(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise socket.timeout(f"the request did not arrive within {self.request_timeout:g} s")
        return min(self.read_timeout, left)


class _DeadlineSocket(io.RawIOBase):
    """The connection's reading side, each read waiting no longer than the deadline allows."""

    def __init__(self, connection: socket.socket, deadline: _Deadline) -> None:
        self._connection = connection
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._connection.settimeout(self._deadline.next_wait())
        return self._connection.recv_into(buffer)


class ChunkedInput(io.RawIOBase):
    """A chunked request body, unframed by RFC 9112's rules and no looser.

    Each chunk is a size in hex digits only, an optional ``;extension`` of visible characters,
    CRLF, the data, CRLF; the last is size 0, then optional trailer lines, then CRLF. Anything
    else raises ValueError naming what was wrong, which the endpoint answers with a 400.
    """

    def __init__(self, rfile: Any) -> None:
        """Read from ``rfile``, the connection's buffered reader, positioned after the head."""
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self._done = False

    def readable(self) -> bool:
        """A body is read, never written."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current chunk, reading the next size line when it ends."""
        if self._done or not len(buffer):
            return 0
        if self._left == 0:
            self._left = self._size_line()
            if self._left == 0:
                self._trailers()
                self._done = True
                return 0
        data = self._rfile.read(min(len(buffer), self._left))
        if not data:
            raise ValueError("the connection ended inside a chunk")
        buffer[:len(data)] = data
        self._left -= len(data)
        if self._left == 0 and self._rfile.read(2) != b'\r\n':
            raise ValueError("a chunk's data is not followed by CRLF")
        return len(data)

    def _line(self) -> bytes:
        line = self._rfile.readline(_MAX_CHUNK_LINE + 1)
        if not line.endswith(b'\r\n'):
            if len(line) > _MAX_CHUNK_LINE:
                raise ValueError(f"a chunk line is over {_MAX_CHUNK_LINE} bytes")
            raise ValueError(f"chunk line {line!r} does not end with CRLF")
        return line[:-2]

    def _size_line(self) -> int:
        line = self._line()
        size, _, extension = line.partition(b';')
        if not size or not set(size) <= _HEX or len(size) > 16:
            raise ValueError(f"chunk size {size!r} is not hexadecimal digits only")
        if any(not 0x21 <= c <= 0x7e and c not in b' \t' for c in extension):
            raise ValueError(f"chunk extension {extension!r} holds a control character")
        return int(size, 16)

    def _trailers(self) -> None:
        for _ in range(100):
            if not self._line():
                return
        raise ValueError("a chunked body has over 100 trailer lines")

