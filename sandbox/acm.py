"""ACM in the sandbox: the test CA behind every certificate a load balancer stand-in serves.

On AWS, a certificate ACM issues is signed by Amazon's CAs (Amazon Trust Services) and one a
team imports by whichever public CA they bought it from; browsers trust both. Here one test CA
(``trustme``, pinned in the dev dependencies) stands for all of them, and the sandbox's clients
trust it (``sandbox_ca().client_context()``), so a name a certificate does not cover fails
hostname verification exactly as it would against a real CA.

The TLS certificate a load balancer stand-in presents for an ACM certificate is minted by this
CA from what ACM says the certificate covers (its ``DomainName`` and
``SubjectAlternativeNames``, ACM API Reference, DescribeCertificate), once per certificate ARN.
"""

from __future__ import annotations

import datetime
import functools
import ssl
import threading
from collections.abc import Sequence

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.acm.models import CertBundle, acm_backends

#: How long a certificate this CA puts into ACM is valid (ACM's own requested certificates
#: are moto's, valid 365 days; an imported one is what its team bought).
VALIDITY = datetime.timedelta(days=365)


class SandboxCA:
    """The one certificate authority of a sandbox run, and the TLS contexts it signs."""

    def __init__(self) -> None:
        self._ca = trustme.CA.from_pem(*_root())
        self._servers: dict[tuple[str, tuple[str, ...]], ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @property
    def certificate_pem(self) -> bytes:
        """The CA's own certificate (the chain an imported certificate comes with)."""
        return self._ca.cert_pem.bytes()

    def issue(self, names: Sequence[str]) -> tuple[bytes, bytes]:
        """A certificate for ``names`` (the first is its common name) and its private key, PEM."""
        now = datetime.datetime.now(datetime.UTC)
        leaf = self._ca.issue_cert(
            *names,
            common_name=names[0],
            not_before=now - datetime.timedelta(hours=1),
            not_after=now + VALIDITY,
        )
        return leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()

    def server_context(self, arn: str, names: Sequence[str]) -> ssl.SSLContext:
        """The TLS server context presenting the certificate ``arn`` covering ``names``."""
        key = (arn, tuple(names))
        with self._lock:
            context = self._servers.get(key)
            if context is None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                self._ca.issue_cert(*names, common_name=names[0]).configure_cert(context)
                self._servers[key] = context
            return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA and verifies host names (as browsers do)."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context


def _root() -> tuple[bytes, bytes]:
    """A self-signed root (certificate, key) in PEM, with the common name ACM's
    DescribeCertificate reports as ``Issuer`` (trustme's own roots have none)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "migrate-bot sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox Test Root CA"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=9), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@functools.cache
def sandbox_ca() -> SandboxCA:
    """The process's test CA (moto's state is per process too)."""
    return SandboxCA()


def issued_certificate(account: str, region: str, names: Sequence[str]) -> str:
    """Put an ISSUED Amazon-issued certificate for ``names`` into ACM; return its ARN.

    What an AWS service holds for a domain it validates itself (Express Mode's endpoints
    under ``ecs.<region>.on.aws``): type AMAZON_ISSUED, status ISSUED (ACM API Reference,
    CertificateDetail ``Type`` and ``Status``).
    """
    certificate, key = sandbox_ca().issue(names)
    bundle = CertBundle(
        account,
        certificate,
        key,
        chain=sandbox_ca().certificate_pem,
        region=region,
        cert_type="AMAZON_ISSUED",
        cert_status="ISSUED",
    )
    acm_backends[account][region]._certificates[bundle.arn] = bundle
    return bundle.arn
