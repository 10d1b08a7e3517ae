"""Prove that an HTTP request really comes from Alexa, as Amazon requires of web-service skills.

Amazon signs every request body with the key of a certificate it publishes
under ``https://s3.amazonaws.com/echo.api/``; a skill must check the URL, the
certificate chain, the signature, the timestamp and (optionally) its own
application id before acting on the request.  This follows the official ASK
SDK for Python (``ask_sdk_webservice_support.verifier``), which since 2022
reads only the SHA-256 ``Signature-256`` header; the legacy SHA-1
``Signature`` header is deliberately ignored so an attacker cannot pick the
weaker algorithm.  Chain building uses ``cryptography``'s own X.509 verifier.
The checks a Lambda host makes as well (JSON body, application id) and the errors live
in ``alexafsm.hosting.checks`` and are re-exported here, so only HTTP hosts load this module.
"""

import base64
import binascii
import functools
import http.client
import math
import posixpath
import re
import socket
import ssl
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Mapping
from typing import Optional
from typing import Tuple
from typing import Union
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification

from alexafsm.errors import ArgumentValueError
from alexafsm.hosting.checks import MalformedRequestError
from alexafsm.hosting.checks import VerificationError
from alexafsm.hosting.checks import check_application_id
from alexafsm.hosting.checks import normalize_application_ids
from alexafsm.hosting.checks import parse_request

__all__ = ['RequestVerifier', 'VerificationError', 'MalformedRequestError', 'ChainCache',
           'VerifiedChain', 'parse_request', 'signature_headers', 'check_application_id',
           'check_cert_url', 'check_signature', 'check_timestamp', 'verify_chain', 'fetch_https',
           'certifi_roots', 'CERT_URL_HEADER', 'SIGNATURE_HEADER', 'LEGACY_SIGNATURE_HEADER',
           'CERT_URL_HOST', 'CERT_URL_PATH_PREFIX', 'CERT_URL_PORT', 'ECHO_API_DOMAIN',
           'DEFAULT_TOLERANCE', 'SKILL_EVENT_TOLERANCE', 'SKILL_EVENT_TYPES', 'MAX_CHAIN_BYTES',
           'FETCH_TIMEOUT', 'FETCH_DEADLINE', 'CHAIN_CACHE_SIZE', 'FAILURE_TTL']

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
LEGACY_SIGNATURE_HEADER = "Signature"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_URL_PORT = 443
ECHO_API_DOMAIN = "echo-api.amazon.com"
DEFAULT_TOLERANCE = 150
#: Amazon delivers skill events up to an hour late; the ASK SDK accepts them.
SKILL_EVENT_TOLERANCE = 3600
SKILL_EVENT_TYPES = frozenset(
    {
        "AlexaSkillEvent.SkillEnabled",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillPermissionChanged",
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillAccountLinked",
    }
)
MAX_CHAIN_BYTES = 64 * 1024
#: Seconds one network operation of a chain download may block.
FETCH_TIMEOUT = 5.0
#: Seconds a whole chain download may take, however slowly its bytes trickle in.
FETCH_DEADLINE = 10.0
#: Chains (and recent failures) kept, least recently used dropped first; Amazon uses a handful.
CHAIN_CACHE_SIZE = 64
#: Seconds a failed fetch or chain check is remembered, so a flood of requests naming the same
#: bad URL costs one download, while a real outage is retried soon.
FAILURE_TTL = 30.0

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


@dataclass(frozen=True)
class VerifiedChain:
    """A signing certificate whose path to a trusted root was verified.

    Keeping the validity window of the whole path lets a cache skip chain
    building on later requests while still refusing the chain the moment
    any certificate on it expires.
    """

    certificates: Tuple[x509.Certificate, ...]

    @property
    def signing_certificate(self) -> x509.Certificate:
        """The certificate whose key signs request bodies (first in the path)."""
        return self.certificates[0]

    @property
    def not_before(self) -> datetime:
        """When the last certificate on the path became valid."""
        return max(c.not_valid_before_utc for c in self.certificates)

    @property
    def not_after(self) -> datetime:
        """When the first certificate on the path expires."""
        return min(c.not_valid_after_utc for c in self.certificates)

    def valid_at(self, now: datetime) -> bool:
        """Whether every certificate on the path is within its dates at ``now``."""
        return self.not_before <= now <= self.not_after


@dataclass(frozen=True)
class _Failure:
    """A fetch or chain check that failed, remembered until ``until``."""

    message: str
    until: datetime


class _Flight:
    """One download in progress; requests for the same URL wait for it instead of fetching."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Union[VerifiedChain, _Failure, None] = None


class ChainCache:
    """Per-URL cache of verified chains, wrapping any fetcher, that forged requests cannot grow.

    Amazon signs all requests with one certificate for months, so a hot
    server should download and build its chain once, not per request.  The
    URL comes from an unsigned header, so the cache must also hold up against
    anyone who can reach the endpoint: it is keyed by the normalised URL (so
    ``/./``, ``:443`` or an upper-case host are one entry), bounded (least
    recently used dropped first), remembers failures for ``failure_ttl``
    seconds (a flood naming a bad URL costs one download), and fetches each
    URL once at a time (concurrent requests wait for that one download, at
    most ``wait`` seconds).  Each hit re-checks validity dates against the
    caller's ``now``, and an entry that is no longer valid is dropped and
    fetched again (a renewed certificate at the same URL is then picked up).
    """

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        verify: Callable[[bytes, datetime], VerifiedChain],
        *,
        max_entries: int = CHAIN_CACHE_SIZE,
        failure_ttl: float = FAILURE_TTL,
        wait: float = FETCH_DEADLINE + FETCH_TIMEOUT,
    ) -> None:
        """Take both steps as callables so any fetcher (tests, proxies, S3) gets the same caching.

        ``fetch(url)`` returns PEM bytes; ``verify(pem, now)`` returns the
        verified chain or raises VerificationError.
        """
        if max_entries < 1:
            raise ArgumentValueError(f"max_entries must be 1 or more, not {max_entries}")
        if failure_ttl < 0 or wait < 0:
            raise ArgumentValueError(
                f"failure_ttl and wait are seconds, zero or more, not {failure_ttl} and {wait}")
        self._fetch = fetch
        self._verify = verify
        self.max_entries = max_entries
        self.failure_ttl = failure_ttl
        self.wait = wait
        self._entries: OrderedDict[str, Union[VerifiedChain, _Failure]] = OrderedDict()
        self._flights: Dict[str, _Flight] = {}
        self._lock = threading.Lock()
        #: downloads started, for operators and tests: forged spellings must not raise it
        self.fetches = 0

    def get(self, url: str, now: datetime) -> VerifiedChain:
        """The verified chain served at ``url``, valid at ``now``, fetching it when needed.

        ``url`` is the cache key as given: :class:`RequestVerifier` passes the URL
        :func:`check_cert_url` normalised, so spellings of one URL share one entry.
        """
        key = url
        with self._lock:
            cached = self._lookup(key, now)
            if cached is not None:
                return self._unwrap(cached)
            running = self._flights.get(key)
            leader = running is None
            flight = self._flights[key] = running or _Flight()
            if leader:
                self.fetches += 1
        if not leader:
            # another request is downloading this URL: wait for it rather than download again
            if not flight.done.wait(self.wait):
                raise VerificationError(
                    f"the certificate chain from {key} is still downloading after {self.wait:g} s"
                )
            assert flight.result is not None
            return self._unwrap(flight.result)
        # what waiters hear should the check itself crash (a bug, which then propagates here)
        result: Union[VerifiedChain, _Failure] = _Failure(
            f"checking the certificate chain from {key} failed unexpectedly", now)
        try:
            result = self._settle(key, now)
        finally:
            with self._lock:
                del self._flights[key]
            flight.result = result
            flight.done.set()
        return self._unwrap(result)

    def clear(self) -> None:
        """Forget every chain and failure, e.g. after changing the trust roots."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _lookup(self, key: str, now: datetime) -> Union[VerifiedChain, _Failure, None]:
        entry = self._entries.get(key)
        if entry is None:
            return None
        fresh = now <= entry.until if isinstance(entry, _Failure) else entry.valid_at(now)
        if not fresh:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _store(self, key: str, entry: Union[VerifiedChain, _Failure]) -> None:
        if isinstance(entry, _Failure) and self.failure_ttl == 0:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _settle(self, key: str, now: datetime) -> Union[VerifiedChain, _Failure]:
        result: Union[VerifiedChain, _Failure]
        try:
            result = self._verify(self._download(key), now)
        except VerificationError as error:
            result = _Failure(str(error), now + timedelta(seconds=self.failure_ttl))
        with self._lock:
            self._store(key, result)
        return result

    @staticmethod
    def _unwrap(entry: Union[VerifiedChain, _Failure]) -> VerifiedChain:
        if isinstance(entry, _Failure):
            raise VerificationError(entry.message)
        return entry

    def _download(self, url: str) -> bytes:
        try:
            pem = self._fetch(url)
        except VerificationError:
            raise
        except Exception as exc:  # any fetcher failure means "no chain", never a 500
            raise VerificationError(
                f"could not fetch the certificate chain from {url}: {exc!r}"
            ) from exc
        if not isinstance(pem, (bytes, bytearray)):
            raise VerificationError(
                f"the chain fetcher returned {type(pem).__name__} for {url}; "
                "it must return PEM bytes"
            )
        return bytes(pem)


class RequestVerifier:
    """Checks headers and raw body of one Alexa request; safe to share between threads."""

    def __init__(
        self,
        application_ids: Optional[Iterable[str]] = None,
        *,
        trust_roots: Optional[Iterable[x509.Certificate]] = None,
        fetch_chain: Optional[Callable[[str], bytes]] = None,
        now: Optional[Callable[[], datetime]] = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        """Configure once at start-up so that each request only pays for what changed.

        ``trust_roots`` defaults to certifi's bundle (loaded on first use);
        ``fetch_chain`` defaults to :func:`fetch_https` and is always wrapped
        in a :class:`ChainCache`; ``now`` exists so tests and replays can
        pin the clock; ``tolerance`` is in seconds (Amazon allows at most 150
        for certified skills).
        """
        if tolerance < 0:
            raise ArgumentValueError(f"tolerance must be zero or more seconds, not {tolerance}")
        self.application_ids = normalize_application_ids(application_ids)
        self.tolerance = tolerance
        self._now = now or _utcnow
        self._store: Optional[verification.Store] = None
        self._store_lock = threading.Lock()
        if trust_roots is not None:
            roots = list(trust_roots)
            if not roots:
                raise ArgumentValueError(
                    "trust_roots is empty, so no chain could ever be trusted; "
                    "pass None to use certifi's roots"
                )
            self._store = verification.Store(roots)
        self.chains = ChainCache(fetch_chain or fetch_https, self._verify_chain)

    def verify(self, headers: Mapping[str, str], body: bytes) -> Dict[str, Any]:
        """Return the request JSON once every check passed, otherwise raise VerificationError.

        ``body`` must be the raw bytes received: the signature covers them
        exactly, so a re-serialized body would never verify.
        """
        now = self._current_time()
        if not isinstance(body, (bytes, bytearray)):
            raise VerificationError(
                f"body must be the raw request bytes, not {type(body).__name__}; "
                "pass e.g. flask.request.get_data()"
            )
        body = bytes(body)
        cert_url, signature = signature_headers(headers)
        # the normalised URL is both the cache key and what is downloaded: what was checked
        chain = self.chains.get(check_cert_url(cert_url), now)
        check_signature(chain.signing_certificate, signature, body)
        request = parse_request(body)
        check_timestamp(request, now, self.tolerance)
        check_application_id(request, self.application_ids)
        return request

    def _current_time(self) -> datetime:
        now = self._now()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ArgumentValueError(
                f"now() returned {now!r}; it must return an aware datetime, "
                "e.g. datetime.now(timezone.utc)"
            )
        return now

    def _verify_chain(self, pem: bytes, now: datetime) -> VerifiedChain:
        return verify_chain(pem, now, self._trust_store())

    def _trust_store(self) -> verification.Store:
        with self._store_lock:
            if self._store is None:
                self._store = verification.Store(list(certifi_roots()))
            return self._store


def signature_headers(headers: Mapping[str, str]) -> Tuple[str, str]:
    """Find ``SignatureCertChainUrl`` and ``Signature-256`` whatever their case.

    Plain dicts are case-sensitive while HTTP header names are not, so the
    lookup cannot rely on the mapping's own ``get``.
    """
    try:
        items = list(headers.items())
    except (AttributeError, TypeError) as exc:
        raise VerificationError(
            f"headers must be a mapping of header names to values, not {type(headers).__name__}"
        ) from exc
    found: Dict[str, Any] = {}  # a value that is no string is reported below
    for key, value in items:
        if isinstance(key, str):
            found.setdefault(key.lower(), value)
    values = []
    for name in (CERT_URL_HEADER, SIGNATURE_HEADER):
        header = found.get(name.lower())
        if not header:
            hint = ""
            if name == SIGNATURE_HEADER and found.get(LEGACY_SIGNATURE_HEADER.lower()):
                hint = (
                    f" (only the legacy SHA-1 {LEGACY_SIGNATURE_HEADER} header is present;"
                    " it is not accepted)"
                )
            raise VerificationError(
                f"the {name} header is missing or empty{hint}; Alexa sends it with every request"
            )
        if not isinstance(header, str):
            raise VerificationError(
                f"the {name} header must be a string, not {type(header).__name__}"
            )
        if "," in header:
            raise VerificationError(
                f"the {name} header holds a comma, as when several {name} headers are joined "
                "into one; Alexa sends exactly one"
            )
        values.append(header)
    cert_url, signature = values
    return cert_url, signature


def check_cert_url(url: str) -> str:
    """Refuse chain URLs outside Amazon's bucket before any download; return the URL normalised.

    Without this, anyone could sign requests with their own certificate by
    pointing the header at a server they control.  Beyond Amazon's rules
    (https, host, port, path under ``/echo.api/`` once dot segments are
    removed) the reading is strict, because URL parsers disagree on exactly
    these inputs and Amazon's own URLs use none of them: no whitespace or
    control characters, backslashes, percent-encoding, query, fragment,
    user information or commas (duplicated headers, which servers join with
    one).  The normalised form (lower-case scheme and host, no default port,
    dot segments removed) is what is fetched and the cache key, so the many
    spellings of one URL cost one download.
    """
    if not isinstance(url, str):
        raise VerificationError(f"{CERT_URL_HEADER} must be a string, not {type(url).__name__}")
    for rule, broken in _STRICT_URL_RULES:
        if broken(url):
            raise VerificationError(f"{CERT_URL_HEADER} {url!r} {rule}; Amazon's chain URLs "
                                    f"never do, so it is refused before any download")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VerificationError(f"{CERT_URL_HEADER} {url!r} is not a valid URL: {exc}") from exc
    if parts.scheme.lower() != "https":
        scheme = repr(parts.scheme) if parts.scheme else "no scheme"
        raise VerificationError(f"{CERT_URL_HEADER} {url!r} must use https, but has {scheme}")
    if "@" in parts.netloc:
        raise VerificationError(
            f"{CERT_URL_HEADER} {url!r} carries user information (a 'name@' before the host); "
            "Amazon's chain URLs never do, so it is refused before any download"
        )
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationError(
            f"{CERT_URL_HEADER} {url!r} must point to host {CERT_URL_HOST}, not {parts.hostname!r}"
        )
    normalized = posixpath.normpath(parts.path) if parts.path else ""
    if not normalized.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationError(
            f"{CERT_URL_HEADER} {url!r} must have a path starting with {CERT_URL_PATH_PREFIX} "
            f"(case-sensitive) after normalization, but it normalizes to {normalized!r}"
        )
    if port is not None and port != CERT_URL_PORT:
        raise VerificationError(
            f"{CERT_URL_HEADER} {url!r} must use port {CERT_URL_PORT} or none, not {port}"
        )
    return f"https://{CERT_URL_HOST}{normalized}"


#: What a strict reading of a chain URL refuses, checked in this order on the raw header.
_STRICT_URL_RULES: Tuple[Tuple[str, Callable[[str], bool]], ...] = (
    (f"contains a comma, as when several {CERT_URL_HEADER} headers are joined into one",
     lambda url: "," in url),
    ("contains whitespace, a control character (such as a tab inside the scheme) or a "
     "non-ASCII character", lambda url: any(not "!" <= c <= "~" for c in url)),
    ("contains a backslash, which some URL parsers read as '/', changing the host",
     lambda url: "\\" in url),
    ("contains percent-encoding, which can hide dot segments and separators (%2e%2e, ..%2f)",
     lambda url: "%" in url),
    ("has a query or a fragment ('?' or '#')", lambda url: "?" in url or "#" in url),
)


def verify_chain(pem: bytes, now: datetime, store: verification.Store) -> VerifiedChain:
    """Check a downloaded PEM chain (signing certificate first) the way Amazon requires.

    The signing certificate's own properties are checked before path
    building so an expired, misnamed or non-signing certificate gets a
    message saying exactly that, rather than a generic path error.
    """
    if len(pem) > MAX_CHAIN_BYTES:
        raise VerificationError(
            f"certificate chain is {len(pem)} bytes, over the {MAX_CHAIN_BYTES}-byte limit; "
            "Amazon's chains are a few KB, so this is not one"
        )
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise VerificationError(f"certificate chain is not valid PEM: {exc}") from exc
    leaf, intermediates = certificates[0], certificates[1:]
    _check_signing_certificate(leaf, now)
    verifier = (
        verification.PolicyBuilder()
        .store(store)
        .time(now)
        .build_server_verifier(x509.DNSName(ECHO_API_DOMAIN))
    )
    try:
        path = verifier.verify(leaf, intermediates)
    except (verification.VerificationError, ValueError) as exc:
        raise VerificationError(
            f"certificate chain does not lead to a trusted root: {exc}; the chain must list "
            "the signing certificate first, then its intermediates"
        ) from exc
    return VerifiedChain(tuple(path))


def _check_signing_certificate(cert: x509.Certificate, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise VerificationError(
            "signing certificate is not yet valid: valid from "
            f"{cert.not_valid_before_utc.isoformat()}, now is {now.isoformat()}"
        )
    if now > cert.not_valid_after_utc:
        raise VerificationError(
            f"signing certificate expired on {cert.not_valid_after_utc.isoformat()}, "
            f"now is {now.isoformat()}"
        )
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
    except (x509.ExtensionNotFound, ValueError):
        names = []
    if ECHO_API_DOMAIN not in (n.lower() for n in names):
        raise VerificationError(
            f"signing certificate's subject alternative names {names} "
            f"do not include {ECHO_API_DOMAIN}"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        usage = None
    if usage is None or not usage.digital_signature:
        raise VerificationError(
            "signing certificate's key usage does not include digitalSignature, "
            "so its key may not sign requests"
        )


def check_signature(certificate: x509.Certificate, signature: str, body: bytes) -> None:
    """Check ``Signature-256`` (base64 RSA PKCS#1 v1.5 over SHA-256) against the raw body."""
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError) as exc:
        raise VerificationError(
            f"the {SIGNATURE_HEADER} header is not valid base64: {exc}"
        ) from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError(
            f"signing certificate has a {type(key).__name__}; Alexa signatures need an RSA key"
        )
    try:
        key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise VerificationError(
            f"the {SIGNATURE_HEADER} header does not match the request body; the body was "
            "altered, or was not passed as the exact bytes received"
        ) from exc


def check_timestamp(
    request: Mapping[str, Any], now: datetime, tolerance: float = DEFAULT_TOLERANCE
) -> None:
    """Refuse replays: ``request.timestamp`` must be within ``tolerance`` seconds of ``now``.

    Accepts ISO 8601 strings and the integer epoch milliseconds some request
    types carry.  Skill events may be up to an hour old, as Amazon documents
    and the ASK SDK allows.
    """
    inner = request.get("request") if isinstance(request, Mapping) else None
    if not isinstance(inner, Mapping):
        inner = {}
    value = inner.get("timestamp")
    if value is None:
        raise VerificationError(
            "request.timestamp is missing, so the request's age cannot be checked"
        )
    timestamp = _parse_timestamp(value)
    limit = tolerance
    request_type = inner.get("type")
    if isinstance(request_type, str) and request_type in SKILL_EVENT_TYPES:
        limit = max(tolerance, SKILL_EVENT_TOLERANCE)
    age = (now - timestamp).total_seconds()
    if abs(age) > limit:
        direction = "before" if age > 0 else "after"
        raise VerificationError(
            f"request.timestamp {timestamp.isoformat()} is {abs(age):.0f} s {direction} now "
            f"({now.isoformat()}); at most {limit:g} s is allowed, so this may be a replay "
            "or the server clock is wrong"
        )


def _digits(value: int) -> int:
    # repr of an int past 4300 digits raises ValueError (CVE-2020-10735 limit): count instead
    return len(str(abs(value))) if abs(value) < 10 ** 100 else int(math.log10(abs(value))) + 1


def _parse_timestamp(value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # only a float can be infinite or NaN; math.isfinite of an int past float range raises
        if isinstance(value, float) and not math.isfinite(value):
            raise VerificationError(f"request.timestamp {value!r} is not a finite number")
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:
            shown = f"{value:.3g}" if isinstance(value, float) else f"of {_digits(value)} digits"
            raise VerificationError(
                f"request.timestamp {shown} is out of range for epoch milliseconds"
            ) from exc
    if isinstance(value, str):
        try:
            # Alexa writes UTC as 'Z', which fromisoformat reads only from Python 3.11 on
            parsed = datetime.fromisoformat(
                value[:-1] + '+00:00' if value[-1:] in ('Z', 'z') else value)
        except ValueError as exc:
            raise VerificationError(
                f"request.timestamp {value!r} is not ISO 8601 (e.g. 2017-10-26T19:47:38Z)"
            ) from exc
        # Alexa timestamps are UTC by definition; a missing offset means UTC.
        return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=timezone.utc)
    raise VerificationError(
        "request.timestamp must be an ISO 8601 string or epoch milliseconds, "
        f"not {type(value).__name__}"
    )


def fetch_https(
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_CHAIN_BYTES,
    deadline: float = FETCH_DEADLINE,
) -> bytes:
    """Download a chain, bounded in time and size because the URL comes from the request.

    ``timeout`` bounds each network operation and ``deadline`` the whole
    download: a server trickling a byte every few seconds would otherwise
    hold the request (and its worker) for as long as it likes.  Redirects
    are refused: the chain must come from the URL that was checked.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise VerificationError(
            f"refusing to download the certificate chain over a non-https URL {url!r}"
        )
    connection = _connection(parts.hostname, parts.port or CERT_URL_PORT, timeout)
    watchdog = _Watchdog(connection, deadline)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        if response.status != 200:
            raise VerificationError(
                f"could not download the certificate chain from {url}: the server answered "
                f"{response.status} {response.reason}"
                + (" (redirects are refused)" if 300 <= response.status < 400 else "")
            )
        data = response.read(max_bytes + 1)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if watchdog.fired:
            raise VerificationError(
                f"could not download the certificate chain from {url} within {deadline:g} s"
            ) from exc
        raise VerificationError(
            f"could not download the certificate chain from {url}: {exc}"
        ) from exc
    finally:
        watchdog.cancel()
        connection.close()
    if watchdog.fired:  # the last bytes came just as time ran out: still too slow
        raise VerificationError(
            f"could not download the certificate chain from {url} within {deadline:g} s"
        )
    if len(data) > max_bytes:
        raise VerificationError(
            f"certificate chain at {url} is over the {max_bytes}-byte limit; "
            "Amazon's chains are a few KB"
        )
    return data


class _Watchdog:
    """Shuts a connection's socket down at a deadline, ending any read still blocked on it."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: the fetch ended anyway

    def cancel(self) -> None:
        self._timer.cancel()


def _connection(host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    """An HTTPS connection trusting certifi's roots (tests substitute a loopback one)."""
    context = ssl.create_default_context(cafile=certifi.where())
    return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)


@functools.cache
def certifi_roots() -> Tuple[x509.Certificate, ...]:
    """certifi's roots, parsed once per process since every default verifier needs them.

    Certificates are parsed one by one so a single root that a future
    ``cryptography`` rejects (several have serial number 0 today, which it
    already warns about) cannot make the whole bundle unusable.
    """
    with open(certifi.where(), "rb") as bundle:
        blocks = _PEM_CERTIFICATE.findall(bundle.read())
    roots = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in blocks:
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    return tuple(roots)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
