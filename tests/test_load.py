"""A bounded load test on loopback: the verified endpoint under real gunicorn, many signed requests.

Run with -s to see the figures. The server trusts a throwaway PKI (tests/certs.py) instead of
Amazon's, and otherwise runs exactly as in production: wsgi factory, verification on, the
certificate chain fetched once per worker and cached.
"""
import http.client
import json
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from benchmarks.endpoint import ENDPOINT_SPEC
from benchmarks.endpoint import Gunicorn
from benchmarks.endpoint import echo_request
from benchmarks.endpoint import load
from benchmarks.endpoint import signed_requests
from benchmarks.endpoint import write_pki
from tests.certs import make_pki
from tests.oracle import assert_valid_response

WORKERS = 2
THREADS = 4
SECONDS = 5.0
MAX_REQUESTS = 20_000
#: RSS a worker may gain over the measured run once warm; a leak of a few hundred bytes per
#: request over thousands of requests exceeds it.
RSS_TOLERANCE_KB = 1024

pytestmark = pytest.mark.integration  # gunicorn workers under seconds of load


@pytest.fixture(scope='module')
def pki():
    return make_pki(datetime.now(timezone.utc))


@pytest.fixture(scope='module')
def server(pki, tmp_path_factory):
    env = write_pki(pki, tmp_path_factory.mktemp('pki'))
    with Gunicorn(ENDPOINT_SPEC, workers=WORKERS, threads=THREADS, env=env,
                  access_log=True) as running:
        yield running


def post(port, body, headers):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.request('POST', '/', body=body, headers=headers)
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def warm_up(server, pool):
    """Load until every worker has answered: a worker's first requests import and cache things.

    Gunicorn's workers race to accept connections, so one may get none for a while; rounds of
    fresh connections, more than there are worker threads, spread them.
    """
    deadline = time.monotonic() + 15
    load(server.port, pool, seconds=1.0, concurrency=2 * WORKERS * THREADS)
    while set(server.worker_pids()) - server.served_by():
        assert time.monotonic() < deadline, f"some workers got no request:\n{server.log()}"
        load(server.port, pool, seconds=0.3, concurrency=2 * WORKERS * THREADS)


def test_the_server_verifies_requests(server, pki):
    fresh = json.dumps(echo_request(1, datetime.now(timezone.utc))).encode()
    status, envelope = post(server.port, fresh, pki.headers(fresh))
    assert status == 200
    assert_valid_response(envelope)

    status, error = post(server.port, fresh, {'Content-Type': 'application/json'})
    assert (status, error['error']) == (400, 'verification_failed')
    assert 'SignatureCertChainUrl header is missing' in error['message']

    stale = json.dumps(echo_request(1, datetime.now(timezone.utc) - timedelta(minutes=5)))
    status, error = post(server.port, stale.encode(), pki.headers(stale.encode()))
    assert (status, error['error']) == (400, 'verification_failed')
    assert 'replay' in error['message']


def test_sustained_signed_load_without_errors_or_memory_growth(server, pki):
    pool = signed_requests(pki)
    warm_up(server, pool)
    before = server.worker_rss()

    result = load(server.port, pool, seconds=SECONDS, concurrency=8, max_requests=MAX_REQUESTS)

    after = server.worker_rss()
    print(f"\n{result.summary(f'gunicorn -w {WORKERS} --threads {THREADS}, verified')}")
    print(f"worker RSS KB before {before}, after {after}")
    assert result.errors == []
    assert result.requests >= 500, result.summary('too slow to mean anything')
    assert set(before) == set(after), "a worker died or was replaced during the run"
    grown = {pid: after[pid] - before[pid] for pid in before}
    assert all(kb <= RSS_TOLERANCE_KB for kb in grown.values()), f"RSS grew by {grown} KB"
    assert len(result.bodies) == len(pool)
    for i, body in result.bodies.items():
        envelope = json.loads(body)
        assert_valid_response(envelope)
        assert envelope['response']['outputSpeech']['text'] == f"You said: hello {i}"
        assert envelope['sessionAttributes']['echoes'] == i + 1
