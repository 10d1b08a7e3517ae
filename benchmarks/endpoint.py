"""How much of a bare Flask endpoint's throughput the alexafsm endpoint keeps, and ask-sdk's.

The apps run under the same gunicorn settings and take the same signed requests from the same
client, in alternating rounds, so each ratio isolates what an app adds per request:
  bare Flask                 reads the body, answers a fixed envelope: the baseline
  alexafsm verified          signature check (chain cached), JSON parsing, the turn, the text
  alexafsm unverified        the same without the signature check (dev mode)
  ask-sdk Flask, unverified  flask-ask-sdk's SkillAdapter on the same echo skill written for
                             ask-sdk-core (bench extra). Unverified: its verifier needs
                             certvalidator, whose oscrypto cannot read OpenSSL 3's version and
                             fails on import, so the app is built with certvalidator stubbed out
                             and verification switched off.
Target: verified alexafsm >= 0.85 of bare Flask.

    .venv/bin/python benchmarks/endpoint.py [--seconds 5] [--rounds 5] [--workers 2] [--threads 4]

The pieces (a gunicorn process, a load client, signed request bodies, a verifier trusting a
throwaway PKI) are shared with tests/test_load.py.
"""
import argparse
import contextlib
import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Set
from typing import Tuple

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make tests.certs and the skills importable
    sys.path.insert(0, str(REPO))

PKI_DIR_ENV = 'ALEXAFSM_BENCH_PKI'
ECHO_SKILL = 'tests.fixtures.echo_skill'
APPLICATION_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-00000000bench'
ENDPOINT_SPEC = (f"alexafsm.hosting.wsgi:app({ECHO_SKILL!r}, "
                 f"verifier='benchmarks.endpoint:pki_verifier', "
                 f"application_ids=[{APPLICATION_ID!r}])")
BARE_SPEC = 'benchmarks.endpoint:bare_app()'
UNVERIFIED_SPEC = (f"alexafsm.hosting.wsgi:app({ECHO_SKILL!r}, dev=True, "
                   f"application_ids=[{APPLICATION_ID!r}])")
ASK_SPEC = 'benchmarks.endpoint:ask_app()'
BARE_RESPONSE = (b'{"version":"1.0","response":{"outputSpeech":{"type":"PlainText",'
                 b'"text":"You said: hello"},"shouldEndSession":false}}')


def pki_verifier() -> Any:
    """A RequestVerifier trusting the test PKI written to $ALEXAFSM_BENCH_PKI, chain 'fetched' once.

    Runs inside gunicorn workers, which cannot share the test process's objects: root and
    chain travel as PEM files.
    """
    from cryptography import x509

    from alexafsm.hosting import RequestVerifier

    directory = Path(os.environ[PKI_DIR_ENV])
    root = x509.load_pem_x509_certificate((directory / 'root.pem').read_bytes())
    chain = (directory / 'chain.pem').read_bytes()
    return RequestVerifier(trust_roots=[root], fetch_chain=lambda url: chain)


def bare_app() -> Any:
    """The baseline: Flask reading the body and answering a fixed envelope, nothing else."""
    import flask

    app = flask.Flask('bare', static_folder=None)

    @app.post('/')
    def answer() -> flask.Response:
        flask.request.get_data()
        return flask.Response(BARE_RESPONSE, mimetype='application/json')

    @app.get('/health')
    def health() -> flask.Response:
        return flask.Response(b'{"status":"ok"}', mimetype='application/json')

    return app


def ask_app() -> Any:
    """The echo skill on ask-sdk-core behind flask-ask-sdk's SkillAdapter, unverified.

    Same answers as tests/fixtures/echo_skill.py, session attributes in its wire format.
    """
    import types

    try:
        import certvalidator  # noqa: F401
    except Exception:  # oscrypto cannot load on OpenSSL 3; only verification would use it
        stub = types.ModuleType('certvalidator')
        stub.CertificateValidator = None  # type: ignore[attr-defined]
        errors = types.ModuleType('certvalidator.errors')
        errors.ValidationError = errors.PathError = Exception  # type: ignore[attr-defined]
        sys.modules.update({'certvalidator': stub, 'certvalidator.errors': errors})
    import flask
    from ask_sdk_core.dispatch_components import AbstractRequestHandler
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_model import Response as AskResponse
    from ask_sdk_model.ui import PlainTextOutputSpeech
    from ask_sdk_model.ui import Reprompt
    from ask_sdk_model.ui import SimpleCard
    from flask_ask_sdk.skill_adapter import VERIFY_SIGNATURE_APP_CONFIG
    from flask_ask_sdk.skill_adapter import VERIFY_TIMESTAMP_APP_CONFIG
    from flask_ask_sdk.skill_adapter import SkillAdapter

    prompt = 'Say something and I will repeat it.'

    class Echo(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            request = handler_input.request_envelope.request
            return request.object_type == 'IntentRequest' and request.intent.name == 'EchoIntent'

        def handle(self, handler_input: Any) -> Any:
            intent = handler_input.request_envelope.request.intent
            slot = (intent.slots or {}).get('phrase')
            phrase = slot.value if slot is not None else None
            manager = handler_input.attributes_manager
            echoes = manager.session_attributes.get('echoes', 0) + 1
            manager.session_attributes = {'intent': intent.name, 'slots': [phrase],
                                          'state': 'echoing', 'echoes': echoes}
            return AskResponse(output_speech=PlainTextOutputSpeech(text=f"You said: {phrase}"),
                               card=SimpleCard(title='Echo', content=phrase),
                               reprompt=Reprompt(output_speech=PlainTextOutputSpeech(text=prompt)),
                               should_end_session=False)

    builder = SkillBuilder()
    builder.add_request_handler(Echo())
    builder.skill_id = APPLICATION_ID
    app = flask.Flask('ask', static_folder=None)
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    adapter = SkillAdapter(skill=builder.create(), skill_id=APPLICATION_ID, app=app)
    adapter.register(app=app, route='/')

    @app.get('/health')
    def health() -> flask.Response:
        return flask.Response(b'{"status":"ok"}', mimetype='application/json')

    return app


def write_pki(pki: Any, directory: Path) -> Dict[str, str]:
    """Write what the workers need to trust ``pki``; returns the environment to start them with."""
    from cryptography.hazmat.primitives import serialization

    (directory / 'root.pem').write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    (directory / 'chain.pem').write_bytes(pki.chain_pem)
    return {PKI_DIR_ENV: str(directory)}


def echo_request(i: int, now: datetime) -> Dict[str, Any]:
    """The i-th turn of a conversation with the echo skill, stamped ``now``."""
    ids = {'applicationId': APPLICATION_ID}
    user = {'userId': f'amzn1.ask.account.BENCH{i % 50}'}
    return {
        'version': '1.0',
        'session': {'new': False, 'sessionId': f'amzn1.echo-api.session.bench-{i % 50}',
                    'application': ids, 'user': user,
                    'attributes': {'state': 'echoing', 'slots': [f'hello {i - 1}'],
                                   'echoes': i}},
        'context': {'System': {'application': ids, 'user': user,
                               'device': {'deviceId': 'amzn1.ask.device.BENCH',
                                          'supportedInterfaces': {}},
                               'apiEndpoint': 'https://api.amazonalexa.com'}},
        'request': {'type': 'IntentRequest', 'requestId': f'amzn1.echo-api.request.bench-{i}',
                    'timestamp': now.strftime('%Y-%m-%dT%H:%M:%SZ'), 'locale': 'en-US',
                    'intent': {'name': 'EchoIntent', 'confirmationStatus': 'NONE',
                               'slots': {'phrase': {'name': 'phrase', 'value': f'hello {i}',
                                                    'confirmationStatus': 'NONE'}}}},
    }


def signed_requests(pki: Any, count: int = 64) -> List[Tuple[bytes, Dict[str, str]]]:
    """Bodies with their signature headers, signed just before a run so timestamps are fresh.

    Signing costs the client about a millisecond of CPU; a pool keeps that out of the figures
    while the server still verifies every request it receives.
    """
    now = datetime.now(timezone.utc)
    pool = []
    for i in range(count):
        body = json.dumps(echo_request(i, now)).encode('utf-8')
        headers = dict(pki.headers(body), **{'Content-Type': 'application/json'})
        pool.append((body, headers))
    return pool


class Gunicorn:
    """A gunicorn master on 127.0.0.1 and a free port, killed with its workers on exit.

    Its log stays readable after exit, for failure messages.
    """

    def __init__(self, app_spec: str, *, workers: int = 2, threads: int = 4,
                 env: Optional[Dict[str, str]] = None, timeout: float = 30.0,
                 access_log: bool = False, args: Sequence[str] = ()) -> None:
        self.app_spec = app_spec
        self.args = list(args)  # more gunicorn options, e.g. a worker class
        self.workers = workers
        self.threads = threads
        self.env = {**os.environ, 'PYTHONPATH': str(REPO), **(env or {})}
        self.timeout = timeout
        self.process: Optional[subprocess.Popen] = None
        self.port = 0
        self._log = tempfile.TemporaryFile(mode='w+')
        self._access_log = tempfile.NamedTemporaryFile(mode='w+') if access_log else None

    def __enter__(self) -> 'Gunicorn':
        access = [] if self._access_log is None else [
            '--access-logfile', self._access_log.name, '--access-logformat', '%(p)s %(s)s']
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', '--workers', str(self.workers),
             '--threads', str(self.threads), '--bind', '127.0.0.1:0', '--chdir', str(REPO),
             '--graceful-timeout', '2', *access, *self.args, self.app_spec],
            cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            self.port = self._wait_for_port()
            self._wait_until_healthy()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log(self) -> str:
        """Everything gunicorn and the app wrote, for failure messages."""
        self._log.seek(0)
        return self._log.read()

    def served_by(self) -> Set[int]:
        """The workers that answered at least one request (needs ``access_log=True``)."""
        with open(self._access_log.name) as log:
            return {int(m) for m in re.findall(r'^<(\d+)>', log.read(), re.M)}

    def worker_pids(self) -> List[int]:
        """The workers: the master's child processes, read from /proc."""
        pids = []
        for entry in Path('/proc').iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / 'stat').read_text()
                except OSError:
                    continue
                # the command name may hold spaces and parentheses: split after the last ')'
                if int(stat.rsplit(')', 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def worker_rss(self) -> Dict[int, int]:
        """Resident memory of each worker in KB."""
        sizes = {}
        for pid in self.worker_pids():
            status = Path(f'/proc/{pid}/status').read_text()
            sizes[pid] = int(re.search(r'^VmRSS:\s+(\d+) kB', status, re.M).group(1))
        return sizes

    def worker_cpu_seconds(self) -> float:
        """User plus system CPU time of all workers so far, from /proc."""
        ticks = 0
        for pid in self.worker_pids():
            fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf('SC_CLK_TCK')

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            found = re.search(r'Listening at: http://127\.0\.0\.1:(\d+)', self.log())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not start listening in {self.timeout} s:\n{self.log()}")

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log()}")
            try:
                connection = http.client.HTTPConnection('127.0.0.1', self.port, timeout=2)
                connection.request('GET', '/health')
                if connection.getresponse().status == 200 and len(self.worker_pids()) == \
                        self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /health in {self.timeout} s:\n{self.log()}")


class LoadResult(NamedTuple):
    """What a load run measured; latencies are in seconds, sorted."""
    requests: int
    errors: List[str]
    seconds: float
    latencies: List[float]
    bodies: Dict[int, bytes]  # one response body per request in the pool, to check their shape

    @property
    def per_second(self) -> float:
        """Completed requests per second of wall time."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile ``p`` (0-100), in seconds."""
        if not self.latencies:
            return float('nan')
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * p / 100))]

    def summary(self, name: str) -> str:
        """One line for humans: throughput, latency, errors."""
        return (f"{name}: {self.requests} requests in {self.seconds:.1f} s = "
                f"{self.per_second:.0f} req/s, p50 {self.percentile(50) * 1000:.1f} ms, "
                f"p99 {self.percentile(99) * 1000:.1f} ms, {len(self.errors)} errors")


def load(port: int, pool: Sequence[Tuple[bytes, Dict[str, str]]], *, seconds: float = 5.0,
         concurrency: int = 8, max_requests: int = 100_000) -> LoadResult:
    """POST the pool's requests round-robin from ``concurrency`` keep-alive connections.

    Stops after ``seconds`` or ``max_requests``, whichever comes first; any status other than
    200 and any connection failure is an error.
    """
    tickets = itertools.count()
    deadline = time.monotonic() + seconds
    latencies: List[float] = []
    errors: List[str] = []
    bodies: Dict[int, bytes] = {}
    lock = threading.Lock()

    def client() -> None:
        mine: List[float] = []
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        try:
            while time.monotonic() < deadline:
                ticket = next(tickets)
                if ticket >= max_requests:
                    break
                body, headers = pool[ticket % len(pool)]
                started = time.perf_counter()
                try:
                    connection.request('POST', '/', body=body, headers=headers)
                    reply = connection.getresponse()
                    data = reply.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    with lock:
                        errors.append(f"request {ticket}: {error!r}")
                    continue
                mine.append(time.perf_counter() - started)
                if reply.status != 200:
                    with lock:
                        errors.append(f"request {ticket}: HTTP {reply.status} {data[:300]!r}")
                elif ticket < len(pool):
                    bodies[ticket] = data
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return LoadResult(len(latencies), errors, elapsed, sorted(latencies), bodies)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Measure both endpoints and print the figures; exit 1 when the ratio misses the target.

    Both servers run at once and are measured in alternating rounds, so a burst of other work
    on the machine slows both rather than skewing the ratio.
    """
    from tests.certs import make_pki

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=5.0, help='per endpoint, in total')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, default=4)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--target', type=float, default=0.85)
    args = parser.parse_args(argv)

    pki = make_pki(datetime.now(timezone.utc))
    specs = {'bare Flask': BARE_SPEC, 'alexafsm verified': ENDPOINT_SPEC,
             'alexafsm unverified': UNVERIFIED_SPEC}
    if _ask_installed():
        specs['ask-sdk Flask, unverified'] = ASK_SPEC
    else:
        print("ask-sdk Flask adapter not installed: pip install -e '.[bench]'")
    names = tuple(specs)
    rounds: Dict[str, List[LoadResult]] = {name: [] for name in names}
    cpu = dict.fromkeys(names, 0.0)
    settings = dict(workers=args.workers, threads=args.threads)
    with tempfile.TemporaryDirectory() as directory, contextlib.ExitStack() as stack:
        env = write_pki(pki, Path(directory))
        servers = {name: stack.enter_context(Gunicorn(spec, env=env, **settings))
                   for name, spec in specs.items()}
        pool = signed_requests(pki)
        for server in servers.values():  # warm-up
            load(server.port, pool, seconds=1.0, concurrency=args.concurrency)
        for _ in range(args.rounds):
            pool = signed_requests(pki)  # timestamps stay fresh however long the run
            for name, server in servers.items():
                before = server.worker_cpu_seconds()
                rounds[name].append(load(server.port, pool, seconds=args.seconds / args.rounds,
                                         concurrency=args.concurrency))
                cpu[name] += server.worker_cpu_seconds() - before
    totals = {name: combine(results) for name, results in rounds.items()}
    print(f"gunicorn --workers {args.workers} --threads {args.threads}, "
          f"{args.concurrency} client connections, {os.cpu_count()} CPUs; ratio to bare Flask: "
          f"all rounds together (each round's)")
    bare = names[0]
    # The load client shares the CPUs, so throughput can be the client's; the servers' CPU
    # time per request is what an app costs, and bare/app is the throughput it allows.
    cpu_per = {name: cpu[name] / max(totals[name].requests, 1) for name in names}
    for name in names:
        line = (f"{totals[name].summary(name)}; server CPU "
                f"{cpu[name] / max(totals[name].requests, 1) * 1e6:.0f} us/request")
        if name != bare:
            ratio = totals[name].per_second / totals[bare].per_second
            per_round = [e.per_second / b.per_second
                         for b, e in zip(rounds[bare], rounds[name])]
            line += (f"; ratio {ratio:.2f} ({' '.join(f'{r:.2f}' for r in per_round)}); "
                     f"by server CPU {cpu_per[bare] / cpu_per[name]:.2f}")
        print(line)
    ratio = totals['alexafsm verified'].per_second / totals[bare].per_second
    print(f"alexafsm verified: ratio {ratio:.2f} (target >= {args.target})")
    failed = any(t.errors for t in totals.values()) or ratio < args.target
    return 1 if failed else 0


def _ask_installed() -> bool:
    try:
        import flask_ask_sdk  # noqa: F401
    except ImportError:
        return False
    except Exception:  # installed; its verifier's import fails, which ask_app() works around
        return True
    return True


def combine(results: Sequence[LoadResult]) -> LoadResult:
    """Several runs against one server as if they were one."""
    return LoadResult(sum(r.requests for r in results), [e for r in results for e in r.errors],
                      sum(r.seconds for r in results),
                      sorted(x for r in results for x in r.latencies),
                      {k: v for r in results for k, v in r.bodies.items()})


if __name__ == '__main__':
    sys.exit(main())
