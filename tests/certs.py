"""A throwaway PKI shaped like Amazon's, so tests can sign Alexa requests.

Real Alexa signatures cannot be produced offline, so tests build their own
root CA, intermediate CA and ``echo-api.amazon.com`` signing certificate and
trust that root instead of certifi's.  RSA keys are slow to generate, so each
role's key is made once per process and shared by every certificate and test
module that asks for it; certificates themselves are cheap and rebuilt freely.

Typical use::

    pki = make_pki(now)
    headers = pki.headers(body)            # SignatureCertChainUrl + Signature-256
    verifier = RequestVerifier(trust_roots=[pki.root],
                               fetch_chain=lambda url: pki.chain_pem,
                               now=lambda: now)
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

ECHO_API_DOMAIN = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


@functools.cache
def rsa_key(role: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per role per process, because generation dominates test time."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(*certificates: x509.Certificate) -> bytes:
    """Concatenate certificates as PEM, in the order Amazon serves them (leaf first)."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@dataclass(frozen=True)
class Pki:
    """A root, an intermediate and a signing certificate, plus the signing key.

    The variant methods reissue only the signing certificate (or, for
    :meth:`untrusted`, the whole hierarchy) so one trusted root can be used
    to check many ways a chain can be wrong.
    """

    now: datetime
    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey

    @property
    def chain_pem(self) -> bytes:
        """What ``SignatureCertChainUrl`` serves: signing certificate, then intermediate."""
        return pem(self.leaf, self.intermediate)

    def sign(self, body: bytes) -> str:
        """The ``Signature-256`` header value Alexa would send for ``body``."""
        signature = self.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def headers(self, body: bytes, url: str = CERT_URL) -> dict[str, str]:
        """Both signature headers for ``body``, so callers need not know their names."""
        return {"SignatureCertChainUrl": url, "Signature-256": self.sign(body)}

    def reissue(
        self,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        dns_names: Sequence[str] = (ECHO_API_DOMAIN,),
        digital_signature: bool = True,
    ) -> Pki:
        """A new signing certificate under the same intermediate, with the given changes."""
        leaf = _issue_leaf(
            self.intermediate,
            self.intermediate_key,
            self.leaf_key,
            not_before=not_before or self.now - timedelta(days=1),
            not_after=not_after or self.now + timedelta(days=30),
            dns_names=dns_names,
            digital_signature=digital_signature,
        )
        return Pki(
            self.now, self.root, self.intermediate, self.intermediate_key, leaf, self.leaf_key
        )

    def expired(self) -> Pki:
        """Signing certificate that stopped being valid a day before ``now``."""
        return self.reissue(
            not_before=self.now - timedelta(days=60), not_after=self.now - timedelta(days=1)
        )

    def not_yet_valid(self) -> Pki:
        """Signing certificate that starts being valid a day after ``now``."""
        return self.reissue(
            not_before=self.now + timedelta(days=1), not_after=self.now + timedelta(days=60)
        )

    def wrong_san(self, *dns_names: str) -> Pki:
        """Signing certificate issued for other names than echo-api.amazon.com."""
        return self.reissue(dns_names=dns_names or ("echo-api.example.com",))

    def without_digital_signature(self) -> Pki:
        """Signing certificate whose key usage forbids signatures (key encipherment only)."""
        return self.reissue(digital_signature=False)

    def untrusted(self) -> Pki:
        """A well-formed hierarchy under a different root key than :attr:`root`.

        Names are identical, so only the signatures tell the roots apart:
        exactly what a forger who copies Amazon's names would produce.
        """
        return make_pki(self.now, key_prefix="rogue")


def make_pki(now: datetime, *, key_prefix: str = "test") -> Pki:
    """Build a valid hierarchy whose certificates are all valid at ``now``."""
    root_key = rsa_key(f"{key_prefix}-root")
    intermediate_key = rsa_key(f"{key_prefix}-intermediate")
    leaf_key = rsa_key(f"{key_prefix}-leaf")

    root_name = _name("alexafsm Test Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=365))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    intermediate = (
        x509.CertificateBuilder()
        .subject_name(_name("alexafsm Test Server CA"))
        .issuer_name(root_name)
        .public_key(intermediate_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=365))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(intermediate_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    leaf = _issue_leaf(
        intermediate,
        intermediate_key,
        leaf_key,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        dns_names=(ECHO_API_DOMAIN,),
        digital_signature=True,
    )
    return Pki(now, root, intermediate, intermediate_key, leaf, leaf_key)


def _issue_leaf(
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    leaf_key: rsa.RSAPrivateKey,
    *,
    not_before: datetime,
    not_after: datetime,
    dns_names: Sequence[str],
    digital_signature: bool,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0] if dns_names else "no-san"))
        .issuer_name(issuer.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "alexafsm tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
