"""Framing of request bodies (issue 14, items 4-5): broken chunking is a 400, too much a 413.

Gunicorn raised its own framing errors out of ``get_data()`` (a 500 with a traceback), and
werkzeug cut a chunked body at the size limit and answered the first 256 KB as the request. The
endpoint now reads the body itself; ``alexafsm serve`` unframes chunked bodies strictly. Each
case runs through the Flask test client, then against real gunicorn and a real ``alexafsm serve``.
"""
import io
import json
import re
import socket
from pathlib import Path

import pytest
from gunicorn.http import errors as gunicorn_errors

from alexafsm.hosting import create_app
from alexafsm.hosting.endpoint import MAX_BODY_BYTES
from alexafsm.hosting.server import ChunkedInput
from benchmarks.endpoint import Gunicorn
from tests.fixtures.echo_skill import EchoPolicy
from tests.test_serve_cli import serving

LAUNCH = (Path(__file__).resolve().parents[1] / 'scripts' / 'launch-request.json').read_bytes()
SKILL = 'tests.fixtures.echo_skill'


def chunk(data: bytes) -> bytes:
    return b'%x\r\n' % len(data) + data + b'\r\n'


PADDING = chunk(b' ' * 8192) * (MAX_BODY_BYTES // 8192)
#: (name, chunked body, status, words of the error) as a client could send them
CASES = [
    ('valid', chunk(LAUNCH) + b'0\r\n\r\n', 200, None),
    ('valid in small chunks', b''.join(chunk(LAUNCH[i:i + 7]) for i in range(0, len(LAUNCH), 7))
     + b'0\r\n\r\n', 200, None),
    ('valid with an extension and a trailer', b'%x;name=value\r\n' % len(LAUNCH) + LAUNCH
     + b'\r\n0\r\nX-Trailer: 1\r\n\r\n', 200, None),
    ('bad hex size', b'zz\r\n' + LAUNCH + b'\r\n0\r\n\r\n', 400, 'malformed_body'),
    ('negative size', b'-1\r\n' + LAUNCH + b'\r\n0\r\n\r\n', 400, 'malformed_body'),
    ('0x prefix', b'0x3\r\nabc\r\n0\r\n\r\n', 400, 'malformed_body'),
    ('space after the size', b'%x \r\n' % len(LAUNCH) + LAUNCH + b'\r\n0\r\n\r\n', 400,
     'malformed_body'),
    ('NUL in an extension', b'%x;a\x00b\r\n' % len(LAUNCH) + LAUNCH + b'\r\n0\r\n\r\n', 400,
     'malformed_body'),
    ('missing CRLF after the data', b'%x\r\n' % len(LAUNCH) + LAUNCH + b'0\r\n\r\n', 400,
     'malformed_body'),
    ('over the limit, padding first', PADDING + chunk(LAUNCH) + b'0\r\n\r\n', 413, 'too_large'),
    ('over the limit, the request first', chunk(LAUNCH) + PADDING + b'0\r\n\r\n', 413,
     'too_large'),
]
IDS = [case[0] for case in CASES]


# -- the strict unframing of alexafsm serve -------------------------------------------------------

@pytest.mark.parametrize('name, body, status, kind', CASES, ids=IDS)
def test_chunked_input_unframes_valid_bodies_and_refuses_the_rest(name, body, status, kind):
    reader = ChunkedInput(io.BufferedReader(io.BytesIO(body)))
    if status == 400:
        with pytest.raises(ValueError):
            reader.read()
    else:
        data = reader.read()
        assert data.strip() == LAUNCH.strip()
        assert reader.read() == b''


@pytest.mark.parametrize('body, words', [
    (b'5\r\nab', 'ended inside a chunk'),
    (b'5', 'does not end with CRLF'),
    (b'1' * 2000 + b'\r\n', 'over 1024 bytes'),
    (b'0\r\n' + b'X: 1\r\n' * 101 + b'\r\n', 'over 100 trailer lines'),
    (b'1' * 17 + b'\r\n', 'is not hexadecimal digits only'),
])
def test_chunked_input_names_what_is_wrong(body, words):
    with pytest.raises(ValueError, match=words):
        ChunkedInput(io.BufferedReader(io.BytesIO(body))).read()


# -- the endpoint, whatever the server -----------------------------------------------------------

class ServerFramingError(Exception):
    """What gunicorn raises from its body reader: not an OSError, nothing werkzeug knows."""


class BrokenBody(io.RawIOBase):
    def __init__(self, error: BaseException, after: bytes = b'') -> None:
        self.error = error
        self.pending = after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.pending:
            data, self.pending = self.pending, b''
            return data
        raise self.error


def post_environ(**environ):
    client = create_app(EchoPolicy, dev=True).test_client()
    response = client.post('/', environ_overrides=environ)
    return response.status_code, response.get_json()


@pytest.mark.parametrize('error', [ServerFramingError("Invalid chunk size: b'0x3'"),
                                   ValueError('bad chunk'), OSError('Invalid chunk header')])
def test_any_error_the_server_raises_while_unframing_is_a_400_naming_it(error):
    status, reply = post_environ(**{'wsgi.input': BrokenBody(error, LAUNCH[:100]),
                                    'wsgi.input_terminated': True, 'CONTENT_LENGTH': ''})

    assert (status, reply['error']) == (400, 'malformed_body')
    assert type(error).__name__ in reply['message'] and str(error) in reply['message']


def test_a_body_too_slow_to_arrive_is_a_408():
    status, reply = post_environ(**{'wsgi.input': BrokenBody(socket.timeout('timed out')),
                                    'wsgi.input_terminated': True, 'CONTENT_LENGTH': ''})

    assert (status, reply['error']) == (408, 'request_timeout')


def test_a_terminated_stream_over_the_limit_is_a_413_not_cut_and_answered():
    padded = LAUNCH + b' ' * (MAX_BODY_BYTES + 10 - len(LAUNCH))  # valid JSON if cut anywhere
    status, reply = post_environ(**{'wsgi.input': io.BytesIO(padded),
                                    'wsgi.input_terminated': True, 'CONTENT_LENGTH': ''})

    assert (status, reply['error']) == (413, 'too_large')


def test_a_terminated_stream_at_the_limit_is_answered():
    padded = LAUNCH + b' ' * (MAX_BODY_BYTES - len(LAUNCH))
    status, reply = post_environ(**{'wsgi.input': io.BytesIO(padded),
                                    'wsgi.input_terminated': True, 'CONTENT_LENGTH': ''})

    assert status == 200
    assert reply['response']['outputSpeech']['text'].startswith('Welcome to Echo')


def test_a_body_shorter_than_its_content_length_is_a_400():
    status, reply = post_environ(**{'wsgi.input': io.BytesIO(LAUNCH[:50]),
                                    'CONTENT_LENGTH': str(len(LAUNCH))})

    assert (status, reply['error']) == (400, 'malformed_body')
    assert f'after 50 of the {len(LAUNCH)} bytes' in reply['message']


@pytest.mark.parametrize('length', ['-1', '1e3', ' 12', '٣'])
def test_a_content_length_that_is_no_number_is_a_400(length):
    status, reply = post_environ(**{'wsgi.input': io.BytesIO(LAUNCH), 'CONTENT_LENGTH': length})

    assert (status, reply['error']) == (400, 'malformed_body')


# -- real servers ------------------------------------------------------------------------------

def send_chunked(port: int, body: bytes):
    """POST ``body`` as is after a chunked head; the status and the JSON answer."""
    with socket.create_connection(('127.0.0.1', port), timeout=15) as client:
        client.sendall(b'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'
                       b'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n' + body)
        received = b''
        while True:
            try:
                data = client.recv(65536)
            except ConnectionResetError:  # a server may hang up on a body it did not read
                break
            if not data:
                break
            received += data
    head, _, content = received.partition(b'\r\n\r\n')
    status = int(re.match(rb'HTTP/1\.[01] (\d{3})', head).group(1))
    return status, json.loads(content)


@pytest.fixture(scope='module')
def gunicorn():
    with Gunicorn(f'alexafsm.hosting.wsgi:app("{SKILL}", dev=True)', workers=1,
                  threads=4) as server:
        yield server


@pytest.fixture(scope='module')
def serve():
    with serving('--dev') as (port, _):
        yield port


def check(status, reply, expected_status, kind):
    assert status == expected_status, reply
    if kind is None:
        assert reply['response']['outputSpeech']['text'].startswith('Welcome to Echo')
    else:
        assert reply['error'] == kind


@pytest.mark.integration
@pytest.mark.parametrize('name, body, status, kind', CASES, ids=IDS)
def test_under_gunicorn(gunicorn, name, body, status, kind):
    if name == 'NUL in an extension' and not hasattr(gunicorn_errors, 'InvalidChunkExtension'):
        pytest.skip("this gunicorn does not check chunk extensions: the body it passes on is "
                    "whole, so the endpoint answers it")
    check(*send_chunked(gunicorn.port, body), status, kind)
    assert 'Traceback' not in gunicorn.log()


@pytest.mark.integration
@pytest.mark.parametrize('name, body, status, kind', CASES, ids=IDS)
def test_under_alexafsm_serve(serve, name, body, status, kind):
    check(*send_chunked(serve, body), status, kind)

