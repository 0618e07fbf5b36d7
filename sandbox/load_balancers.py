"""Stand-ins for the account's Application Load Balancers, serving real HTTP and HTTPS on loopback.

``Balancers`` serves every listener moto's ELBv2 holds, the legacy ALBs and the ALBs Express
Mode creates alike, each on a loopback port of its own (``port(load balancer ARN, listener
port)``). Each request is answered as that listener's rules say at that moment
(``sandbox.alb_rules``), and each answered request is appended to the access log
(``sandbox.request_log.LOG``).

HTTPS listeners present a certificate chosen by SNI among the listener's default certificate
and those added with AddListenerCertificates, as ``DescribeListenerCertificates`` lists them
(ELB User Guide, "SSL certificates for your Application Load Balancer"): the certificate whose
names cover the requested host, else the default, so a name no certificate covers fails the
client's hostname verification. The certificate's bytes come from the sandbox's test CA
(``sandbox.acm``), minted for the names ACM says the certificate covers, and only for a
certificate ACM reports ISSUED (a certificate still pending validation cannot be served).

The request is proxied whole (method, path, headers, body) to the target and its whole answer
back, with ``X-Forwarded-For``/``-Proto``/``-Port`` added as an ALB does (ELB User Guide, "HTTP
headers and Application Load Balancers"). Security policies (TLS versions and ciphers), HTTP/2,
keep-alive and the idle timeout are not modelled.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.x509.oid import NameOID

from sandbox import alb_rules, express
from sandbox.acm import SandboxCA, sandbox_ca
from sandbox.request_log import LOG, RequestLog, RequestRecord

#: Headers that belong to one connection, never forwarded (RFC 9110, section 7.6.1).
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
_BAD_GATEWAY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class Answer:
    """What one side answered."""

    status: int
    body: bytes
    content_type: str = ""
    location: str | None = None


class Balancers:
    """Every Application Load Balancer in ELBv2, each listener on its own loopback port."""

    def __init__(
        self,
        elbv2: Any,
        acm: Any,
        *,
        ca: SandboxCA | None = None,
        log: RequestLog = LOG,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        iam: Any = None,
    ) -> None:
        self.elbv2, self.acm, self.log, self.clock = elbv2, acm, log, clock
        self.iam = iam  # IAM server certificates on a listener (read once: they never change)
        self._iam_names: dict[str, list[str]] = {}
        #: What each request reads (listener, rules, certificates, target health), at most
        #: ``PROPAGATION_SECONDS`` old.
        self.recent_elbv2, self.recent_acm = _Recent(elbv2), _Recent(acm)
        self._names: dict[str, str] = {}  # DNS name → load balancer ARN (never changes)
        self.ca = ca or sandbox_ca()
        self._servers: dict[tuple[str, int], _ListenerServer] = {}
        self._lock = threading.Lock()

    def sync(self) -> None:
        """Serve every listener ELBv2 holds now; stop serving the ones it no longer holds."""
        held: dict[tuple[str, int], str] = {}
        for balancer in self._balancers():
            if balancer.get("Type") != "application":
                continue
            arn = balancer["LoadBalancerArn"]
            for listener in self.elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
                held[(arn, int(listener["Port"]))] = str(listener["Protocol"])
        with self._lock:
            for key in [k for k in self._servers if k not in held]:
                self._servers.pop(key).stop()
            for key, protocol in held.items():
                if key not in self._servers:
                    self._servers[key] = _ListenerServer(self, *key, tls=protocol == "HTTPS")

    def port(self, load_balancer_arn: str, listener_port: int) -> int:
        """The loopback port serving a listener (``LookupError`` when ELBv2 has no such one)."""
        key = (load_balancer_arn, int(listener_port))
        if key not in self._servers:
            self.sync()
        server = self._servers.get(key)
        if server is None:
            raise LookupError(f"{load_balancer_arn} has no listener on port {listener_port}")
        return server.loopback_port

    def port_for(self, name: str, listener_port: int) -> int | None:
        """The loopback port for a DNS name a client resolved, on ``listener_port``, or None.

        ``name`` is a load balancer's DNS name (``dualstack.`` and a final dot allowed, as
        Route 53 aliases spell it) or an Express endpoint, which reaches its service's ALB.
        """
        wanted = name.lower().rstrip(".").removeprefix("dualstack.")
        arn = self._names.get(wanted)
        if arn is None:
            arn = next(
                (b["LoadBalancerArn"] for b in self._balancers() if b["DNSName"].lower() == wanted),
                None,
            ) or express.load_balancer_for(wanted)
            if arn is not None and not wanted.endswith(".on.aws"):
                self._names[wanted] = arn
        if arn is None:
            return None
        try:
            return self.port(arn, listener_port)
        except LookupError:
            return None

    def ports(self) -> dict[tuple[str, int], int]:
        """Every served (load balancer ARN, listener port) → its loopback port."""
        with self._lock:
            return {key: server.loopback_port for key, server in self._servers.items()}

    def stop(self) -> None:
        """Stop serving every listener."""
        with self._lock:
            for server in self._servers.values():
                server.stop()
            self._servers.clear()

    def _balancers(self) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"PageSize": 400}
        while True:
            page = self.elbv2.describe_load_balancers(**request)
            yield from page["LoadBalancers"]
            if not page.get("NextMarker"):
                return
            request["Marker"] = page["NextMarker"]

    # --- what one listener is, read at each connection and request ---------------------------

    def listener(self, load_balancer_arn: str, port: int) -> dict[str, Any] | None:
        """The listener on ``port`` as ELBv2 describes it now, or None when it is gone."""
        try:
            listeners = self.recent_elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)
        except ClientError:
            return None  # the load balancer was deleted
        return next((item for item in listeners["Listeners"] if item["Port"] == port), None)

    def certificates(self, listener_arn: str) -> list[tuple[str, list[str]]]:
        """The listener's ISSUED certificates, default first, each with the names it covers."""
        listed = self.recent_elbv2.describe_listener_certificates(ListenerArn=listener_arn)
        arns = [c["CertificateArn"] for c in sorted(listed["Certificates"], key=_not_default)]
        found: list[tuple[str, list[str]]] = []
        for arn in dict.fromkeys(arns):
            if ":iam:" in arn:
                names = self._iam_certificate_names(arn)
                if names:
                    found.append((arn, names))
                continue
            try:
                detail = self.recent_acm.describe_certificate(CertificateArn=arn)["Certificate"]
            except ClientError:
                continue  # deleted from ACM: nothing to present
            if detail["Status"] == "ISSUED":
                names = [detail["DomainName"], *detail.get("SubjectAlternativeNames", [])]
                found.append((arn, list(dict.fromkeys(names))))
        return found

    def _iam_certificate_names(self, arn: str) -> list[str]:
        """The names an IAM server certificate covers (its body's subject alternative names,
        else its common name: IAM's GetServerCertificate gives the body, not the names)."""
        if arn in self._iam_names or self.iam is None:
            return self._iam_names.get(arn, [])
        try:
            body = self.iam.get_server_certificate(ServerCertificateName=arn.rsplit("/", 1)[-1])[
                "ServerCertificate"
            ]["CertificateBody"]
        except ClientError:
            return []  # deleted: nothing to present
        self._iam_names[arn] = certificate_names(body.encode())
        return self._iam_names[arn]


def certificate_names(pem: bytes) -> list[str]:
    """The DNS names a PEM certificate covers: its SANs, else its common name."""
    certificate = x509.load_pem_x509_certificate(pem)
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = list(sans.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = []
    if not names:
        names = [
            str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ]
    return names


#: How old a stand-in's copy of its listener's configuration may be, in real seconds. A change
#: (a rule's hosts, a certificate added, a target registered) reaches requests within it. AWS
#: also applies such changes asynchronously and documents no figure; the copy only saves the
#: sandbox's one process from several ELBv2 and ACM calls per request.
PROPAGATION_SECONDS = 0.25


class _Recent:
    """A boto3 client whose ``describe_*`` answers are reused for ``PROPAGATION_SECONDS``."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._copies: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)
        if not name.startswith("describe_"):
            return call

        def recent(**kwargs: Any) -> Any:
            key = f"{name}:{sorted(kwargs.items())!r}"
            now = time.monotonic()
            with self._lock:
                copy = self._copies.get(key)
            if copy is not None and copy[0] > now:
                return copy[1]
            answer = call(**kwargs)  # an error is raised, not kept
            with self._lock:
                self._copies[key] = (now + PROPAGATION_SECONDS, answer)
            return answer

        return recent


def _not_default(certificate: dict[str, Any]) -> bool:
    return not certificate.get("IsDefault")


class _ListenerServer(ThreadingHTTPServer):
    """One listener of one load balancer: a threaded proxy on a free loopback port."""

    daemon_threads = True

    def __init__(self, fleet: Balancers, load_balancer_arn: str, port: int, *, tls: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Proxy)
        self.fleet, self.load_balancer_arn, self.listener_port, self.tls = (
            fleet,
            load_balancer_arn,
            port,
            tls,
        )
        # A short poll: ``stop`` (``shutdown``) waits for the loop's next look, up to 0.5 s
        # per listener with the default, on every sandbox's way out.
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def loopback_port(self) -> int:
        return int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Terminate TLS in the connection's own thread, then handle the request."""
        if self.tls:
            request = self._handshake(request)
            if request is None:
                return
        super().finish_request(request, client_address)

    def _handshake(self, raw: socket.socket) -> ssl.SSLSocket | None:
        listener = self.fleet.listener(self.load_balancer_arn, self.listener_port)
        certificates = self.fleet.certificates(listener["ListenerArn"]) if listener else []
        if not certificates:
            raw.close()  # the listener is gone, or has nothing it can present
            return None
        contexts = {arn: self.fleet.ca.server_context(arn, names) for arn, names in certificates}
        default = contexts[certificates[0][0]]
        default.sni_callback = _select
        wrapped = default.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        wrapped.sandbox_contexts = (certificates, contexts)  # type: ignore[attr-defined]
        try:
            wrapped.do_handshake()
        except (ssl.SSLError, OSError):
            wrapped.close()  # the client refused the certificate, or went away
            return None
        return wrapped

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _select(sock: Any, server_name: str | None, _context: ssl.SSLContext) -> None:
    """SNI callback: present the certificate the listener chooses for ``server_name``."""
    certificates, contexts = getattr(sock, "sandbox_contexts", ([], {}))
    chosen = alb_rules.choose_certificate(server_name, certificates)
    if chosen is not None:
        sock.context = contexts[chosen]


class _Proxy(BaseHTTPRequestHandler):
    server: _ListenerServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def _handle(self) -> None:
        server = self.server
        fleet = server.fleet
        listener = fleet.listener(server.load_balancer_arn, server.listener_port)
        if listener is None:
            self.close_connection = True  # deleted since the connection opened: no answer
            return
        path, _, query = self.path.partition("?")
        request = alb_rules.Request(
            scheme="https" if server.tls else "http",
            port=server.listener_port,
            host=(self.headers.get("Host") or "").split(":")[0].lower(),
            path=path,
            query=query,
        )
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        decision = alb_rules.decide(fleet.recent_elbv2, listener["ListenerArn"], request)
        if isinstance(decision, alb_rules.Fixed):
            headers = [("Content-Type", decision.content_type)]
            if decision.location:
                headers.append(("Location", decision.location))
            # Logged before the answer goes out, so whoever got the answer finds it logged.
            self._log(request, decision.status, decision.target_group_arn, None, None)
            self._reply(decision.status, headers, decision.body)
            return
        started = time.perf_counter()
        answered = self._upstream(decision.port, request, body) if decision.port else None
        seconds = time.perf_counter() - started
        if answered is None:
            self._log(request, 502, decision.target_group_arn, None, None)
            self._reply(502, [("Content-Type", "text/html")], _BAD_GATEWAY)
            return
        status, headers, data = answered
        self._log(request, status, decision.target_group_arn, status, seconds)
        self._reply(status, headers, data)

    def _upstream(
        self, port: int, request: alb_rules.Request, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["X-Forwarded-For"] = self.client_address[0]
        headers["X-Forwarded-Proto"] = request.scheme
        headers["X-Forwarded-Port"] = str(request.port)
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
            upstream.close()
        except OSError:
            return None  # the target refused or dropped the connection: 502
        return response.status, kept, data

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _log(
        self,
        request: alb_rules.Request,
        status: int,
        target_group_arn: str | None,
        target_status: int | None,
        target_seconds: float | None,
    ) -> None:
        self.server.fleet.log.append(
            RequestRecord(
                at=self.server.fleet.clock(),
                load_balancer_arn=self.server.load_balancer_arn,
                target_group_arn=target_group_arn,
                host=request.host,
                path=request.path,
                elb_status=status,
                target_status=target_status,
                target_seconds=target_seconds,
            )
        )

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


def fetch(
    port: int, host: str, path: str, tls: ssl.SSLContext | None = None, timeout: float = 10
) -> Answer:
    """GET ``path`` from a stand-in on ``port`` as a user of ``host`` would (Host, and SNI)."""
    if tls is None:
        connection: http.client.HTTPConnection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=timeout
        )
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
        # Connect to the stand-in on loopback while TLS names ``host`` (SNI, verification).
        connection._create_connection = (  # type: ignore[attr-defined]
            lambda address, *args, **kwargs: socket.create_connection(
                ("127.0.0.1", port), *args, **kwargs
            )
        )
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return Answer(
            response.status,
            response.read(),
            response.getheader("Content-Type") or "",
            response.getheader("Location"),
        )
    finally:
        connection.close()
