"""One user's turns at once, over two server processes on one store: queued, none apologised.

A user whose Echo and phone speak at once sends two turns of the same key together; with many
such turns, compare-and-set alone made some lose every try and answer "something went wrong".
The stores' per-key locks queue them. Each test serves ``MemoryEcho`` (one persistent count per
user, one more per turn) from two ``alexafsm serve`` processes on one store, sends 8 threads x
25 turns of one user spread over both, and checks that every turn was answered and counted.
Run with -s to see the figures: turns per second for one user and for 8 different users.
"""
import http.client
import json
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Tuple

import pytest

from alexafsm import response
from alexafsm.persistence import store_from_url
from tests.test_serve_cli import LAUNCH
from tests.test_serve_cli import serving

THREADS = 8
TURNS = 25
SKILL = 'tests.fixtures.memory_echo:MemoryEcho'

pytestmark = pytest.mark.integration  # two server processes, hundreds of requests


def echo_request(user: str, n: int) -> bytes:
    """An EchoIntent of ``user``: one more echo counted in their persistent attributes."""
    request = json.loads(LAUNCH.read_text())
    request['session']['user']['userId'] = user
    request['context']['System']['user']['userId'] = user
    request['request'] = {'type': 'IntentRequest', 'requestId': f'amzn1.echo-api.request.{n}',
                          'timestamp': request['request']['timestamp'], 'locale': 'en-US',
                          'intent': {'name': 'EchoIntent',
                                     'slots': {'phrase': {'name': 'phrase', 'value': 'hi'}}}}
    return json.dumps(request).encode()


def hammer(ports: List[int], users: List[str]) -> Tuple[int, int, float]:
    """THREADS threads x TURNS turns, thread i as users[i % len(users)], alternating servers.

    Returns (answered, apologies, seconds).
    """
    outcomes: List[str] = []
    errors: List[BaseException] = []

    def client(i: int) -> None:
        try:
            user = users[i % len(users)]
            connections = [http.client.HTTPConnection('127.0.0.1', port, timeout=30)
                           for port in ports]
            for n in range(TURNS):
                connection = connections[(i + n) % len(connections)]
                connection.request('POST', '/', body=echo_request(user, i * 1000 + n),
                                   headers={'Content-Type': 'application/json'})
                reply = connection.getresponse()
                body: Dict[str, Any] = json.loads(reply.read())
                assert reply.status == 200, body
                outcomes.append(body['response']['outputSpeech']['text'])
            for connection in connections:
                connection.close()
        except BaseException as error:  # an assertion in a thread is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    assert errors == []
    apologies = sum(text == response.APOLOGY.speech for text in outcomes)
    return len(outcomes), apologies, seconds


def run_on(url: str, name: str) -> None:
    with ExitStack() as stack:
        ports = [stack.enter_context(serving('--dev', '--store', url, skill=SKILL))[0]
                 for _ in range(2)]
        hammer(ports, [f'amzn1.ask.account.WARM{i}' for i in range(THREADS)])  # imports, caches
        one = 'amzn1.ask.account.ONE'
        answered, apologies, seconds = hammer(ports, [one])
        many = [f'amzn1.ask.account.MANY{i}' for i in range(THREADS)]
        _, many_apologies, many_seconds = hammer(ports, many)
    store = store_from_url(url)
    record = store.load(one)
    counted = json.loads(record.text)['echoes'] if record is not None else 0
    many_counted = sum(json.loads(store.load(user).text)['echoes']  # type: ignore[union-attr]
                       for user in many)
    store.close()
    total = THREADS * TURNS
    print(f"\n{name}: one user, {THREADS} threads x {TURNS} turns over 2 servers: "
          f"{counted} of {total} counted, {apologies} apologies, "
          f"{answered / seconds:.0f} turns/s; {THREADS} users: {many_counted} of {total} "
          f"counted, {many_apologies} apologies, {total / many_seconds:.0f} turns/s")
    assert (answered, apologies, counted) == (total, 0, total)
    assert (many_apologies, many_counted) == (0, total)


def test_one_users_turns_are_queued_on_sqlite(tmp_path: Path) -> None:
    run_on(f"sqlite:///{tmp_path / 'users.sqlite3'}", 'SQLite')


def test_one_users_turns_are_queued_on_redis(redis_server: str) -> None:
    run_on(redis_server, 'Redis')
