"""Request verification: every rule Amazon sets for web-service skills, passing and failing."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from cryptography import x509
from cryptography.x509 import verification
from werkzeug.datastructures import Headers

from alexafsm.hosting import verify as verify_module
from alexafsm.hosting.verify import MAX_CHAIN_BYTES
from alexafsm.hosting.verify import ChainCache
from alexafsm.hosting.verify import MalformedRequestError
from alexafsm.hosting.verify import RequestVerifier
from alexafsm.hosting.verify import VerificationError
from alexafsm.hosting.verify import VerifiedChain
from alexafsm.hosting.verify import certifi_roots
from alexafsm.hosting.verify import check_application_id
from alexafsm.hosting.verify import check_cert_url
from alexafsm.hosting.verify import check_timestamp
from alexafsm.hosting.verify import fetch_https
from alexafsm.hosting.verify import verify_chain
from tests.certs import CERT_URL
from tests.certs import Pki
from tests.certs import make_pki
from tests.certs import pem
from tests.paths import SAMPLES

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
APP_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
OTHER_APP_ID = "amzn1.ask.skill.99999999-8888-7777-6666-555555555555"


class Fetcher:
    """Serves fixed PEM bytes and counts downloads, standing in for S3."""

    def __init__(self, pem_bytes: bytes) -> None:
        self.pem = pem_bytes
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.urls.append(url)
        return self.pem

    @property
    def calls(self) -> int:
        return len(self.urls)


class Clock:
    """A settable now() so tests can move time across certificate expiry."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(NOW)


def envelope(
    *,
    timestamp: object = "2024-05-01T12:00:00Z",
    application_id: str | None = APP_ID,
    in_session: bool = True,
    request_type: str = "IntentRequest",
) -> dict:
    application = {"applicationId": application_id} if application_id is not None else {}
    body: dict = {
        "version": "1.0",
        "context": {"System": {"application": application, "user": {"userId": "amzn1.X"}}},
        "request": {"type": request_type, "requestId": "amzn1.request.1", "timestamp": timestamp},
    }
    if in_session:
        body["session"] = {"new": True, "sessionId": "s-1", "application": dict(application)}
    return body


def encode(envelope_dict: dict) -> bytes:
    return json.dumps(envelope_dict).encode()


def make_verifier(
    pki: Pki, *, chain: bytes | None = None, now: datetime = NOW, **kwargs
) -> tuple[RequestVerifier, Fetcher]:
    fetcher = Fetcher(pki.chain_pem if chain is None else chain)
    kwargs.setdefault("application_ids", [APP_ID])
    verifier = RequestVerifier(
        trust_roots=[pki.root], fetch_chain=fetcher, now=kwargs.pop("clock", lambda: now), **kwargs
    )
    return verifier, fetcher


def failure(verifier: RequestVerifier, headers, body: bytes) -> str:
    with pytest.raises(VerificationError) as info:
        verifier.verify(headers, body)
    return str(info.value)


# -- the happy path ---------------------------------------------------------


def test_valid_request_returns_parsed_body(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())

    assert verifier.verify(pki.headers(body), body) == json.loads(body)
    assert fetcher.urls == [CERT_URL]


# -- 1. headers -------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        ("SignatureCertChainUrl", "Signature-256"),
        ("signaturecertchainurl", "signature-256"),
        ("SIGNATURECERTCHAINURL", "SIGNATURE-256"),
        ("signatureCertChainURL", "Signature-256"),
    ],
)
def test_header_names_are_case_insensitive_in_plain_dicts(pki: Pki, names) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())
    headers = {names[0]: CERT_URL, names[1]: pki.sign(body), "Content-Type": "application/json"}

    assert verifier.verify(headers, body)["request"]["type"] == "IntentRequest"


def test_werkzeug_headers_are_accepted(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())
    headers = Headers([("signaturecertchainurl", CERT_URL), ("SIGNATURE-256", pki.sign(body))])

    assert verifier.verify(headers, body)["version"] == "1.0"


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_header_is_named(pki: Pki, missing: str) -> None:
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    headers = {k: v for k, v in pki.headers(body).items() if k != missing}

    assert f"{missing} header is missing" in failure(verifier, headers, body)
    assert fetcher.calls == 0


def test_empty_header_counts_as_missing(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())

    message = failure(verifier, {**pki.headers(body), "Signature-256": ""}, body)

    assert "Signature-256 header is missing or empty" in message


def test_legacy_sha1_signature_header_is_not_accepted(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature": pki.sign(body)}

    message = failure(verifier, headers, body)

    assert "Signature-256 header is missing" in message
    assert "legacy SHA-1 Signature header" in message


# -- 2. the certificate chain URL -------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    ],
)
def test_amazon_cert_urls_pass_and_their_normal_form_is_fetched(pki: Pki, url: str) -> None:
    normal = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
    assert check_cert_url(url) == normal
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())

    verifier.verify(pki.headers(body, url=url), body)

    assert fetcher.urls == [normal]  # what was checked is what is downloaded


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem", "path starting with /echo.api/"),
        ("https://s3.amazonaws.com/echo.api/../cert.pem", "normalizes to '/cert.pem'"),
        ("https://s3.amazonaws.com/invalid.path/cert.pem", "path starting with /echo.api/"),
        ("https://s3.amazonaws.com", "normalizes to ''"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port 443 or none, not 563"),
        ("https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem", "not a valid URL"),
        ("https://notamazon.com/echo.api/cert.pem", "host s3.amazonaws.com, not 'notamazon.com'"),
        ("https://s3.amazonaws.com.evil.example/echo.api/x.pem", "host s3.amazonaws.com"),
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "must use https, but has 'http'"),
        ("badUrl", "must use https, but has no scheme"),
    ],
)
def test_foreign_cert_urls_are_refused_before_any_download(pki: Pki, url: str, reason: str) -> None:
    with pytest.raises(VerificationError, match="SignatureCertChainUrl") as info:
        check_cert_url(url)
    assert reason in str(info.value)

    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    assert reason in failure(verifier, pki.headers(body, url=url), body)
    assert fetcher.calls == 0


AMAZON = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://attacker@s3.amazonaws.com/echo.api/echo-api-cert.pem", "user information"),
        ("https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", "user information"),
        ("https://evil.com\\@s3.amazonaws.com/echo.api/echo-api-cert.pem", "backslash"),
        ("https://s3.amazonaws.com\\echo.api\\echo-api-cert.pem", "backslash"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/cert.pem", "percent-encoding"),
        ("https://s3.amazonaws.com/echo.api/..%2fcert.pem", "percent-encoding"),
        ("https://s3.amazonaws.com/echo.api/%2E%2E%2Fx/cert.pem", "percent-encoding"),
        (AMAZON + "?v=1", "query or a fragment"),
        (AMAZON + "?", "query or a fragment"),
        (AMAZON + "#1", "query or a fragment"),
        (AMAZON + "#", "query or a fragment"),
        ("ht\ttps://s3.amazonaws.com/echo.api/echo-api-cert.pem", "a tab inside the scheme"),
        ("https://s3.amazonaws.com/echo.api/echo-api-\ncert.pem", "control character"),
        (" " + AMAZON, "whitespace"),
        ("https://s3.amazonaws.com/echo.api/écho.pem", "non-ASCII"),
        (AMAZON + "," + AMAZON, "several SignatureCertChainUrl headers are joined"),
        (AMAZON + ", https://evil.example/echo.api/x.pem", "several SignatureCertChainUrl headers"),
    ],
)
def test_urls_a_strict_reading_refuses_fail_naming_the_rule_before_any_fetch(
    pki: Pki, url: str, rule: str
) -> None:
    """Item 2 of issue 14: each of these passed the check, and most were downloaded."""
    with pytest.raises(VerificationError, match="SignatureCertChainUrl") as info:
        check_cert_url(url)
    assert rule in str(info.value)

    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    assert rule in failure(verifier, pki.headers(body, url=url), body)
    assert fetcher.calls == 0


def test_a_duplicated_signature_header_is_named() -> None:
    headers = {"SignatureCertChainUrl": AMAZON, "Signature-256": "QUJD,REVG"}

    with pytest.raises(VerificationError, match="several Signature-256 headers"):
        verify_module.signature_headers(headers)


@pytest.mark.integration
def test_duplicated_headers_joined_by_the_server_are_refused(pki: Pki) -> None:
    """What a real server does with two SignatureCertChainUrl headers: one joined value."""
    from werkzeug.serving import make_server

    seen: list[str] = []
    verifier, fetcher = make_verifier(pki)

    def app(environ, start_response):
        headers = {"SignatureCertChainUrl": environ.get("HTTP_SIGNATURECERTCHAINURL", ""),
                   "Signature-256": environ.get("HTTP_SIGNATURE_256", "")}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            verifier.verify(headers, body)
        except VerificationError as error:
            seen.append(str(error))
        start_response("204 No Content", [])
        return [b""]

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    body = encode(envelope())
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as client:
        client.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       + f"SignatureCertChainUrl: {AMAZON}\r\n".encode()
                       + b"SignatureCertChainUrl: https://evil.example/echo.api/x.pem\r\n"
                       + f"Signature-256: {pki.sign(body)}\r\n".encode()
                       + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        client.recv(1024)
    thread.join(10)
    server.server_close()

    assert len(seen) == 1 and "several SignatureCertChainUrl headers are joined" in seen[0]
    assert fetcher.calls == 0


# -- 3. the certificate chain -----------------------------------------------


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        (Pki.expired, "signing certificate expired on"),
        (Pki.not_yet_valid, "signing certificate is not yet valid"),
        (Pki.wrong_san, "do not include echo-api.amazon.com"),
        (lambda p: p.reissue(dns_names=()), "subject alternative names [] do not include"),
        (Pki.without_digital_signature, "does not include digitalSignature"),
        (Pki.untrusted, "does not lead to a trusted root"),
    ],
    ids=["expired", "not-yet-valid", "wrong-san", "no-san", "no-digital-signature", "untrusted"],
)
def test_bad_signing_chain_is_refused(pki: Pki, variant, reason: str) -> None:
    bad = variant(pki)
    verifier, _ = make_verifier(pki, chain=bad.chain_pem)
    body = encode(envelope())

    assert reason in failure(verifier, bad.headers(body), body)


def test_chain_without_intermediate_is_refused(pki: Pki) -> None:
    verifier, _ = make_verifier(pki, chain=pem(pki.leaf))
    body = encode(envelope())

    assert "does not lead to a trusted root" in failure(verifier, pki.headers(body), body)


def test_chain_must_list_the_signing_certificate_first(pki: Pki) -> None:
    verifier, _ = make_verifier(pki, chain=pem(pki.intermediate, pki.leaf))
    body = encode(envelope())

    assert "do not include echo-api.amazon.com" in failure(verifier, pki.headers(body), body)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
)
def test_unparseable_chain_is_refused(pki: Pki, garbage: bytes) -> None:
    verifier, _ = make_verifier(pki, chain=garbage)
    body = encode(envelope())

    assert "certificate chain is not valid PEM" in failure(verifier, pki.headers(body), body)


def test_oversize_chain_is_refused(pki: Pki) -> None:
    padded = pki.chain_pem + b"\n" * (MAX_CHAIN_BYTES + 1 - len(pki.chain_pem))
    verifier, _ = make_verifier(pki, chain=padded)
    body = encode(envelope())

    assert f"over the {MAX_CHAIN_BYTES}-byte limit" in failure(verifier, pki.headers(body), body)


def test_chain_exactly_at_the_size_limit_is_accepted(pki: Pki) -> None:
    padded = pki.chain_pem + b"\n" * (MAX_CHAIN_BYTES - len(pki.chain_pem))
    verifier, _ = make_verifier(pki, chain=padded)
    body = encode(envelope())

    assert verifier.verify(pki.headers(body), body)


def test_fetcher_failure_becomes_verification_error(pki: Pki) -> None:
    def broken(url: str) -> bytes:
        raise urllib.error.URLError("connection refused")

    verifier = RequestVerifier(trust_roots=[pki.root], fetch_chain=broken, now=lambda: NOW)
    body = encode(envelope())

    message = failure(verifier, pki.headers(body), body)

    assert f"could not fetch the certificate chain from {CERT_URL}" in message
    assert "connection refused" in message


def test_fetcher_returning_text_is_refused(pki: Pki) -> None:
    verifier = RequestVerifier(
        trust_roots=[pki.root], fetch_chain=lambda url: pki.chain_pem.decode(), now=lambda: NOW
    )
    body = encode(envelope())

    assert "returned str" in failure(verifier, pki.headers(body), body)


# -- 4. the signature -------------------------------------------------------


def test_tampered_body_is_refused(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())
    tampered = body.replace(b"IntentRequest", b"LaunchRequest")

    assert "does not match the request body" in failure(verifier, pki.headers(body), tampered)


def test_signature_from_another_key_is_refused(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())
    headers = {**pki.headers(body), "Signature-256": pki.untrusted().sign(body)}

    assert "does not match the request body" in failure(verifier, headers, body)


@pytest.mark.parametrize("signature", ["not base64!", "abc", "YWJj\x00"])
def test_bad_base64_signature_is_refused(pki: Pki, signature: str) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())

    message = failure(verifier, {**pki.headers(body), "Signature-256": signature}, body)

    assert "Signature-256 header is not valid base64" in message


# -- 5. JSON and timestamp --------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage", b"[" * 100_000])
def test_signed_but_malformed_body_is_distinguished(pki: Pki, body: bytes) -> None:
    verifier, _ = make_verifier(pki)

    with pytest.raises(MalformedRequestError, match="request body"):
        verifier.verify(pki.headers(body), body)


def test_unsigned_malformed_body_fails_the_signature_first(pki: Pki) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(envelope())

    with pytest.raises(VerificationError) as info:
        verifier.verify(pki.headers(body), b"{not json")

    assert not isinstance(info.value, MalformedRequestError)


@pytest.mark.parametrize(
    ("offset", "ok"),
    [(-151, False), (-150, True), (-149, True), (0, True), (149, True), (150, True), (151, False)],
)
def test_timestamp_must_be_within_150_seconds(pki: Pki, offset: int, ok: bool) -> None:
    stamp = (NOW + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    verifier, _ = make_verifier(pki)
    body = encode(envelope(timestamp=stamp))

    if ok:
        assert verifier.verify(pki.headers(body), body)["request"]["timestamp"] == stamp
    else:
        message = failure(verifier, pki.headers(body), body)
        assert f"is 151 s {'after' if offset > 0 else 'before'} now" in message
        assert "at most 150 s" in message


@pytest.mark.parametrize(("offset", "ok"), [(-149, True), (149, True), (-151, False), (151, False)])
def test_epoch_millisecond_timestamps_are_accepted(offset: int, ok: bool) -> None:
    millis = int((NOW + timedelta(seconds=offset)).timestamp() * 1000)
    request = envelope(timestamp=millis)

    if ok:
        check_timestamp(request, NOW, 150)
    else:
        with pytest.raises(VerificationError, match="request.timestamp"):
            check_timestamp(request, NOW, 150)


def test_custom_tolerance_is_honoured(pki: Pki) -> None:
    stamp = (NOW - timedelta(seconds=100)).isoformat()
    verifier, _ = make_verifier(pki, tolerance=30)
    body = encode(envelope(timestamp=stamp))

    assert "at most 30 s" in failure(verifier, pki.headers(body), body)


@pytest.mark.parametrize("stamp", ["2024-05-01T12:01:00Z", "2024-05-01T12:01:00.250Z",
                                   "2024-05-01T12:01:00+00:00", "2024-05-01T14:01:00+02:00",
                                   "2024-05-01T12:01:00z"])
def test_the_ways_iso_8601_writes_one_utc_instant_are_read_alike(stamp: str) -> None:
    check_timestamp(envelope(timestamp=stamp), NOW, 150)  # 60 s after NOW: within the limit
    check_timestamp(envelope(timestamp=stamp), NOW + timedelta(seconds=209), 150)
    with pytest.raises(VerificationError, match="is 151 s before now"):
        check_timestamp(envelope(timestamp=stamp), NOW + timedelta(seconds=211), 150)


def test_timestamp_without_offset_is_read_as_utc() -> None:
    check_timestamp(envelope(timestamp="2024-05-01T12:02:00"), NOW, 150)
    with pytest.raises(VerificationError):
        check_timestamp(envelope(timestamp="2024-05-01T12:03:00"), NOW, 150)


def test_skill_events_may_be_an_hour_old() -> None:
    old = (NOW - timedelta(minutes=50)).isoformat()
    too_old = (NOW - timedelta(minutes=61)).isoformat()

    event = "AlexaSkillEvent.SkillEnabled"

    check_timestamp(envelope(timestamp=old, request_type=event), NOW, 150)
    with pytest.raises(VerificationError, match="at most 3600 s"):
        check_timestamp(envelope(timestamp=too_old, request_type=event), NOW, 150)
    with pytest.raises(VerificationError, match="at most 150 s"):
        check_timestamp(envelope(timestamp=old), NOW, 150)


@pytest.mark.parametrize(
    ("request_json", "reason"),
    [
        ({"request": {"type": "LaunchRequest"}}, "request.timestamp is missing"),
        ({"request": []}, "request.timestamp is missing"),
        ({}, "request.timestamp is missing"),
        (envelope(timestamp="yesterday"), "is not ISO 8601"),
        (envelope(timestamp=True), "not bool"),
        (envelope(timestamp={"at": 1}), "not dict"),
        (envelope(timestamp=10**30), "out of range"),
        (envelope(timestamp=10**400), "of 401 digits is out of range"),
        (envelope(timestamp=-(10**400)), "of 401 digits is out of range"),
        (envelope(timestamp=1e300), "1e+300 is out of range"),
    ],
)
def test_unusable_timestamps_are_refused(request_json: dict, reason: str) -> None:
    """10**400 raised OverflowError (a 500) before item 3 of issue 14."""
    with pytest.raises(VerificationError) as info:
        check_timestamp(request_json, NOW, 150)
    assert reason in str(info.value)


# -- 6. application id ------------------------------------------------------


def test_matching_application_id_passes_and_other_is_refused(pki: Pki) -> None:
    verifier, _ = make_verifier(pki, application_ids=[OTHER_APP_ID, APP_ID])
    body = encode(envelope())
    assert verifier.verify(pki.headers(body), body)

    strict, _ = make_verifier(pki, application_ids=[OTHER_APP_ID])
    message = failure(strict, pki.headers(body), body)
    assert f"application id '{APP_ID}' from session.application.applicationId" in message
    assert OTHER_APP_ID in message


def test_application_id_is_not_checked_when_none_configured(pki: Pki) -> None:
    verifier, _ = make_verifier(pki, application_ids=None)
    body = encode(envelope(application_id="amzn1.ask.skill.anything"))

    assert verifier.verify(pki.headers(body), body)


def test_application_id_is_compared_exactly() -> None:
    with pytest.raises(VerificationError):
        check_application_id(envelope(application_id=APP_ID.upper()), [APP_ID])
    with pytest.raises(VerificationError):
        check_application_id(envelope(application_id=APP_ID + " "), [APP_ID])


def test_application_id_comes_from_context_without_a_session() -> None:
    check_application_id(envelope(in_session=False), [APP_ID])
    with pytest.raises(VerificationError, match="from context.System.application.applicationId"):
        check_application_id(envelope(in_session=False, application_id=OTHER_APP_ID), [APP_ID])


def test_session_application_id_wins_over_context() -> None:
    request = envelope()
    request["context"]["System"]["application"]["applicationId"] = OTHER_APP_ID

    check_application_id(request, [APP_ID])


@pytest.mark.parametrize("where", ["session", "context", "both", "neither", "garbage"])
def test_the_host_checks_the_application_id_the_skill_reads(where: str) -> None:
    from alexafsm.request import Request
    request = envelope(application_id=None)
    if where in ("session", "both"):
        request["session"]["application"]["applicationId"] = APP_ID
    if where in ("context", "both"):
        request["context"]["System"]["application"]["applicationId"] = APP_ID
    if where == "garbage":  # no string in the session: the context's id is the one
        request["session"]["application"]["applicationId"] = ["x"]
        request["context"]["System"]["application"]["applicationId"] = APP_ID
    read = Request(request)
    if read.application_id is None:
        with pytest.raises(VerificationError, match="request has no application id"):
            check_application_id(request, [APP_ID])
        assert read.application_id_from is None
        return
    assert read.application_id == APP_ID
    check_application_id(request, [APP_ID])
    with pytest.raises(VerificationError) as refused:
        check_application_id(request, [OTHER_APP_ID])
    assert f"application id '{APP_ID}' from {read.application_id_from} is not" in \
        str(refused.value)
    assert read.application_id_from == ("context.System.application.applicationId"
                                        if where in ("context", "garbage")
                                        else "session.application.applicationId")


def test_request_without_application_id_is_refused_when_ids_are_configured() -> None:
    with pytest.raises(VerificationError, match="request has no application id"):
        check_application_id(envelope(application_id=None), [APP_ID])
    check_application_id(envelope(application_id=None), None)


def test_single_string_is_one_application_id_not_a_set_of_characters() -> None:
    check_application_id(envelope(), APP_ID)
    with pytest.raises(VerificationError):
        check_application_id(envelope(application_id="a"), "abc")


def test_empty_application_ids_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="pass None"):
        RequestVerifier(application_ids=[])


# -- no exception but VerificationError for bad input -----------------------


@pytest.mark.parametrize(
    "request_json",
    [
        {"request": {"timestamp": "2024-05-01T12:00:00Z"}, "session": []},
        {
            "request": {"timestamp": "2024-05-01T12:00:00Z"},
            "session": {"application": {"applicationId": ["x"]}},
        },
        {"request": {"timestamp": "2024-05-01T12:00:00Z"}, "context": {"System": None}},
        {"request": {"timestamp": "2024-05-01T12:00:00Z", "type": ["list"]}, "session": {}},
    ],
)
def test_odd_json_shapes_raise_only_verification_error(pki: Pki, request_json: dict) -> None:
    verifier, _ = make_verifier(pki)
    body = encode(request_json)

    with pytest.raises(VerificationError):
        verifier.verify(pki.headers(body), body)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (None, b"{}"),
        (["SignatureCertChainUrl", CERT_URL], b"{}"),
        ({"SignatureCertChainUrl": 7, "Signature-256": "YWJj"}, b"{}"),
        ({"SignatureCertChainUrl": CERT_URL, "Signature-256": b"YWJj"}, b"{}"),
        ({"SignatureCertChainUrl": CERT_URL, "Signature-256": "YWJj", 3: "x"}, b"{}"),
        ({"SignatureCertChainUrl": CERT_URL, "Signature-256": "YWJj"}, "{}"),
    ],
)
def test_wrongly_typed_input_raises_only_verification_error(pki: Pki, headers, body) -> None:
    verifier, _ = make_verifier(pki)

    with pytest.raises(VerificationError):
        verifier.verify(headers, body)


def test_naive_clock_is_a_configuration_error(pki: Pki) -> None:
    verifier, _ = make_verifier(pki, now=NOW.replace(tzinfo=None))
    body = encode(envelope())

    with pytest.raises(ValueError, match="aware datetime"):
        verifier.verify(pki.headers(body), body)


# -- the chain cache --------------------------------------------------------


def test_chain_is_fetched_and_built_once_for_many_requests(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki)
    for n in range(20):
        body = encode(envelope() | {"n": n})
        verifier.verify(pki.headers(body), body)

    assert fetcher.calls == 1
    assert len(verifier.chains) == 1


def test_cached_chain_is_refused_once_now_passes_its_expiry(pki: Pki) -> None:
    clock = Clock(NOW)
    verifier, fetcher = make_verifier(pki, clock=clock)
    body = encode(envelope())
    verifier.verify(pki.headers(body), body)

    clock.now = pki.leaf.not_valid_after_utc + timedelta(seconds=1)
    late_body = encode(envelope(timestamp=clock.now.isoformat()))

    assert "signing certificate expired on" in failure(verifier, pki.headers(late_body), late_body)
    assert fetcher.calls == 2  # the stale entry was dropped, not served


def test_cached_chain_is_refused_before_its_validity(pki: Pki) -> None:
    clock = Clock(NOW)
    verifier, _ = make_verifier(pki, clock=clock)
    body = encode(envelope())
    verifier.verify(pki.headers(body), body)

    clock.now = pki.leaf.not_valid_before_utc - timedelta(seconds=1)
    early_body = encode(envelope(timestamp=clock.now.isoformat()))

    assert "not yet valid" in failure(verifier, pki.headers(early_body), early_body)


def test_renewed_certificate_at_the_same_url_is_picked_up_after_expiry(pki: Pki) -> None:
    clock = Clock(NOW)
    verifier, fetcher = make_verifier(pki, clock=clock)
    body = encode(envelope())
    verifier.verify(pki.headers(body), body)

    clock.now = pki.leaf.not_valid_after_utc + timedelta(days=1)
    renewed = pki.reissue(
        not_before=clock.now - timedelta(days=1), not_after=clock.now + timedelta(days=30)
    )
    fetcher.pem = renewed.chain_pem
    late_body = encode(envelope(timestamp=clock.now.isoformat()))

    assert verifier.verify(renewed.headers(late_body), late_body)
    assert fetcher.calls == 2


def test_failed_chain_is_remembered_briefly_then_fetched_again(pki: Pki) -> None:
    clock = Clock(NOW)
    verifier, fetcher = make_verifier(pki, chain=pki.expired().chain_pem, clock=clock)
    body = encode(envelope())
    first = failure(verifier, pki.headers(body), body)
    fetcher.pem = pki.chain_pem

    assert failure(verifier, pki.headers(body), body) == first  # within FAILURE_TTL: no fetch
    assert fetcher.calls == 1

    clock.now = NOW + timedelta(seconds=verify_module.FAILURE_TTL + 1)
    later = encode(envelope(timestamp=clock.now.isoformat()))
    assert verifier.verify(pki.headers(later), later)
    assert fetcher.calls == 2


def test_each_url_has_its_own_entry(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    other = "https://s3.amazonaws.com/echo.api/echo-api-cert-other.pem"

    for url in (CERT_URL, other, CERT_URL, other):
        verifier.verify(pki.headers(body, url=url), body)

    assert sorted(fetcher.urls) == sorted([CERT_URL, other])


def test_cache_serves_concurrent_requests(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    headers = pki.headers(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: verifier.verify(headers, body), range(64)))

    assert all(r == json.loads(body) for r in results)
    assert 1 <= fetcher.calls <= 8
    assert len(verifier.chains) == 1


def test_concurrent_requests_for_one_url_share_one_download(pki: Pki) -> None:
    release = threading.Event()
    fetcher = Fetcher(pki.chain_pem)

    def slow(url: str) -> bytes:
        release.wait(10)
        return fetcher(url)

    verifier = RequestVerifier(trust_roots=[pki.root], fetch_chain=slow, now=lambda: NOW)
    body = encode(envelope())
    headers = pki.headers(body)
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(verifier.verify, headers, body) for _ in range(16)]
        while verifier.chains.fetches == 0:  # the first request is downloading
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)  # the others queue up behind it meanwhile
        release.set()
        results = [f.result() for f in futures]

    assert all(r == json.loads(body) for r in results)
    assert fetcher.calls == 1
    assert verifier.chains.fetches == 1


def test_waiters_share_the_failure_of_the_one_download(pki: Pki) -> None:
    release = threading.Event()
    calls: list[str] = []

    def failing(url: str) -> bytes:
        calls.append(url)
        release.wait(10)
        raise OSError("connection reset")

    verifier = RequestVerifier(trust_roots=[pki.root], fetch_chain=failing, now=lambda: NOW)
    body = encode(envelope())
    headers = pki.headers(body)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(failure, verifier, headers, body) for _ in range(8)]
        while not calls:
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)
        release.set()
        messages = {f.result() for f in futures}

    assert len(calls) == 1
    assert len(messages) == 1 and "connection reset" in messages.pop()


def test_a_waiter_gives_up_after_the_wait_bound() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(url: str) -> bytes:
        started.set()
        release.wait(10)
        return b"never checked"

    def never(pem: bytes, now: datetime) -> VerifiedChain:
        raise VerificationError("not a chain")

    cache = ChainCache(stuck, never, wait=0.05)
    with ThreadPoolExecutor(max_workers=1) as pool:
        leader = pool.submit(lambda: pytest.raises(VerificationError, cache.get, "u", NOW))
        started.wait(10)
        with pytest.raises(VerificationError, match="still downloading after 0.05 s"):
            cache.get("u", NOW)
        release.set()
        leader.result()
    assert cache.fetches == 1


def test_many_spellings_of_one_url_cost_one_fetch_and_one_entry(pki: Pki) -> None:
    """Item 1 of issue 14: forged spellings were one download and one permanent entry each."""
    verifier, fetcher = make_verifier(pki, chain=b"forged: not a chain")
    body = encode(envelope())
    spellings = [_spelling(i) for i in range(3000)]
    assert len(set(spellings)) == 3000

    for url in spellings:
        assert "not valid PEM" in failure(verifier, pki.headers(body, url=url), body)

    assert fetcher.calls == 1
    assert len(verifier.chains) == 1


def test_spellings_of_the_real_url_with_forged_signatures_keep_one_chain(pki: Pki) -> None:
    """What S3 serves for every spelling is Amazon's real chain: it used to be kept once each."""
    verifier, fetcher = make_verifier(pki)
    body = encode(envelope())
    forged = base64.b64encode(b"\0" * 256).decode()

    for i in range(3000):
        headers = {"SignatureCertChainUrl": _spelling(i), "Signature-256": forged}
        assert "does not match the request body" in failure(verifier, headers, body)

    assert fetcher.calls == 1
    assert len(verifier.chains) == 1


def _spelling(i: int) -> str:
    """The i-th distinct way to write Amazon's chain URL that a strict reading still accepts."""
    host = "".join(c.upper() if i >> n & 1 else c for n, c in enumerate("s3.amazonaws.com"))
    port = ":443" if i & 1 else ""
    return f"hTTpS://{host}{port}/echo.api/{'./' * (i % 7)}x/{'../' * 1}{'/' * (i % 3)}cert.pem"


def test_the_cache_is_bounded_whatever_urls_arrive(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki, chain=b"forged")
    verifier.chains.max_entries = 50
    body = encode(envelope())

    for i in range(500):
        url = f"https://s3.amazonaws.com/echo.api/forged-{i}.pem"
        failure(verifier, pki.headers(body, url=url), body)

    assert fetcher.calls == 500  # distinct URLs are distinct downloads...
    assert len(verifier.chains) == 50  # ...but only the most recent are remembered


def test_least_recently_used_chain_is_dropped_first(pki: Pki) -> None:
    verifier, fetcher = make_verifier(pki)
    verifier.chains.max_entries = 2
    body = encode(envelope())
    a, b, c = (f"https://s3.amazonaws.com/echo.api/{n}.pem" for n in "abc")

    for url in (a, b, a, c, a, b):  # c pushes out b (a was used since), then b pushes out c
        verifier.verify(pki.headers(body, url=url), body)

    assert fetcher.urls == [a, b, c, b]


@pytest.mark.parametrize("kwargs", [{"max_entries": 0}, {"failure_ttl": -1}, {"wait": -1}])
def test_chain_cache_bounds_must_make_sense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        ChainCache(lambda url: b"", lambda pem, now: None, **kwargs)  # type: ignore


def test_chain_cache_works_with_any_fetcher_and_verifier(pki: Pki) -> None:
    fetcher = Fetcher(b"chain bytes")
    seen: list[tuple[bytes, datetime]] = []
    chain = VerifiedChain((pki.leaf, pki.intermediate, pki.root))

    def fake_verify(pem_bytes: bytes, now: datetime) -> VerifiedChain:
        seen.append((pem_bytes, now))
        return chain

    cache = ChainCache(fetcher, fake_verify)

    assert cache.get("u", NOW) is chain
    assert cache.get("u", NOW + timedelta(days=1)) is chain
    assert seen == [(b"chain bytes", NOW)]
    assert chain.not_after == min(c.not_valid_after_utc for c in chain.certificates)
    assert chain.not_after == pki.leaf.not_valid_after_utc

    cache.clear()
    cache.get("u", NOW)
    assert fetcher.calls == 2


# -- the default downloader -------------------------------------------------


class Loopback:
    """A one-shot TCP server on 127.0.0.1 whose answer a test writes, standing in for S3.

    ``fetch_https`` is pointed at it by replacing ``_connection`` with a plain-HTTP one: TLS
    is not what these tests are about, reading the answer is.
    """

    def __init__(self, answer) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self._answer = answer
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            self.requests.append(connection.recv(65536))
            try:
                self._answer(connection, self.stop)
            except OSError:
                pass  # the client hung up, as it should once its deadline passed

    def close(self) -> None:
        self.stop.set()
        if not self.requests:  # never called: wake the accept up
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        self._thread.join(10)
        self.server.close()


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch):
    servers: list[Loopback] = []
    connections: list[tuple[str, int, float]] = []

    def start(answer) -> Loopback:
        server = Loopback(answer)
        servers.append(server)

        def plain(host: str, port: int, timeout: float) -> http.client.HTTPConnection:
            connections.append((host, port, timeout))
            return http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)

        monkeypatch.setattr(verify_module, "_connection", plain)
        server.connections = connections  # type: ignore[attr-defined]
        return server

    yield start
    for server in servers:
        server.close()


def reply(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}"
            f"Connection: close\r\n\r\n").encode() + body


def test_fetch_https_returns_the_body(loopback, pki: Pki) -> None:
    server = loopback(lambda connection, stop: connection.sendall(reply(pki.chain_pem)))

    assert fetch_https(CERT_URL) == pki.chain_pem
    assert server.connections == [("s3.amazonaws.com", 443, verify_module.FETCH_TIMEOUT)]
    assert server.requests[0].startswith(b"GET /echo.api/echo-api-cert-test.pem HTTP/1.1\r\n")


def test_fetch_https_stops_reading_past_the_size_cap(loopback) -> None:
    loopback(lambda connection, stop: connection.sendall(reply(b"x" * 10_000)))

    with pytest.raises(VerificationError, match="over the 4096-byte limit"):
        fetch_https(CERT_URL, max_bytes=4096)


def test_fetch_https_wraps_network_errors(loopback) -> None:
    loopback(lambda connection, stop: None)  # hangs up without an answer

    with pytest.raises(VerificationError, match="could not download the certificate chain.*Remote"):
        fetch_https(CERT_URL)


def test_a_trickled_chain_is_cut_off_at_the_deadline(loopback) -> None:
    """Item 1 of issue 14: a byte every 2 s held a worker 27 minutes; a timeout bounds one read."""

    def trickle(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.wait(0.05):  # each byte well within the per-read timeout
            connection.sendall(b"-")

    loopback(trickle)
    with pytest.raises(VerificationError, match=r"within 0.5 s"):
        fetch_https(CERT_URL, timeout=5, deadline=0.5)


def test_trickled_headers_are_cut_off_at_the_deadline_too(loopback) -> None:
    def trickle(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.05):
            connection.sendall(b"X")

    loopback(trickle)
    with pytest.raises(VerificationError, match=r"within 0.5 s"):
        fetch_https(CERT_URL, timeout=5, deadline=0.5)


def test_fetch_https_refuses_plain_http(loopback) -> None:
    server = loopback(lambda connection, stop: None)

    with pytest.raises(VerificationError, match="non-https"):
        fetch_https("http://s3.amazonaws.com/echo.api/echo-api-cert.pem")
    assert server.connections == []


@pytest.mark.parametrize("status", ["302 Found", "301 Moved Permanently", "403 Forbidden"])
def test_redirects_and_errors_are_refused(loopback, status: str) -> None:
    loopback(lambda connection, stop: connection.sendall(
        reply(b"<html/>", status, "Location: https://evil.example/x.pem\r\n")))

    with pytest.raises(VerificationError, match=f"the server answered {status}") as info:
        fetch_https(CERT_URL)
    assert ("redirects are refused" in str(info.value)) == status.startswith("3")


# -- the real, expired Amazon chain -----------------------------------------


@pytest.fixture(scope="module")
def amazon_chain() -> bytes:
    return SAMPLES.path("requests", "echo-api-cert-7.pem").read_bytes()


def test_amazon_chain_parses_with_echo_api_in_san(amazon_chain: bytes) -> None:
    certificates = x509.load_pem_x509_certificates(amazon_chain)
    leaf = certificates[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert len(certificates) == 4
    assert san.get_values_for_type(x509.DNSName) == ["echo-api.amazon.com"]
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert leaf.not_valid_after_utc == datetime(2020, 5, 15, 12, 0, tzinfo=timezone.utc)


def test_amazon_chain_is_expired_today(amazon_chain: bytes) -> None:
    verifier = RequestVerifier(fetch_chain=Fetcher(amazon_chain))
    body = encode(envelope())

    message = failure(verifier, {"SignatureCertChainUrl": CERT_URL, "Signature-256": "YWJj"}, body)

    assert "signing certificate expired on 2020-05-15T12:00:00+00:00" in message


def test_amazon_chain_validates_to_certifi_root_inside_its_window(amazon_chain: bytes) -> None:
    when = datetime(2020, 1, 1, tzinfo=timezone.utc)

    chain = verify_chain(amazon_chain, when, verification.Store(list(certifi_roots())))

    assert [c.subject.rfc4514_string() for c in chain.certificates] == [
        "CN=echo-api.amazon.com",
        "CN=Amazon,OU=Server CA 1B,O=Amazon,C=US",
        "CN=Amazon Root CA 1,O=Amazon,C=US",
    ]
    assert chain.not_after == datetime(2020, 5, 15, 12, 0, tzinfo=timezone.utc)


def test_certifi_roots_pass_amazon_chain_so_only_the_signature_fails(amazon_chain: bytes) -> None:
    """With certifi's roots by default, the chain passes and the fake signature is what fails."""
    verifier = RequestVerifier(
        fetch_chain=Fetcher(amazon_chain), now=lambda: datetime(2020, 1, 1, tzinfo=timezone.utc)
    )
    body = encode(envelope())

    message = failure(verifier, {"SignatureCertChainUrl": CERT_URL, "Signature-256": "YWJj"}, body)

    assert "does not match the request body" in message


def test_amazon_chain_is_untrusted_without_amazon_roots(amazon_chain: bytes, pki: Pki) -> None:
    when = datetime(2020, 1, 1, tzinfo=timezone.utc)

    with pytest.raises(VerificationError, match="does not lead to a trusted root"):
        verify_chain(amazon_chain, when, verification.Store([pki.root]))
