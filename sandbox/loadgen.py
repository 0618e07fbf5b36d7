"""Steady live traffic to an app's name for the whole sandbox run, counted by side.

Background threads send GET requests at a fixed rate (20 a second by default, from four
senders so a slow answer does not hold the others back) to the app's name, cycling through the given paths (``/`` and the health path, say). Each request does what
a browser does: it resolves the name (``sandbox.resolver``, honouring the resolver's cache, so
a weight change reaches this user after the TTL), connects to the load balancer the answer
names, which on this machine is ``127.0.0.1:<port_for(load balancer, 443 or 80)>``, and sends
the request with the name as ``Host`` and, over HTTPS, as SNI, verifying the certificate
against the caller's ``ssl.SSLContext`` (the test CA's client context; verification is never
turned off). Each request opens its own connection, as distinct users do.

A request **fails** when the connection is refused, the TLS handshake or the certificate check
fails, it times out, the answer is a 5xx, or ``ok(status, body)`` says the answer is not the
app's (a 404 where the app answers 200, for instance; by default any 2xx or 3xx is ok).

**Counting by side.** ``side_of(load balancer DNS name)`` names the side (``EC2`` or ``ECS``)
of the load balancer DNS sent the request to. Every request is counted under that side,
whether it succeeded or failed: a side's count is the requests DNS sent it, and its failures
are counted under it too (``SideCount.failed``), so a side that refuses connections shows as
many requests as it was sent and as many failures. A name that does not resolve, or resolves
to a load balancer ``port_for`` does not know, has no side: it counts in ``sent``/``failed``
and ``unresolved`` only. ``line()`` renders ``requests: N sent, F failed (EC2 a, ECS b)``.
The last failures are kept, with their reasons, for the transcript.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sandbox.resolver import ResolutionError, Resolver

PortFor = Callable[[str, int], int | None]
Ok = Callable[[int, bytes], bool]


def answers_like_the_app(status: int, body: bytes) -> bool:
    """The default ``ok``: any 2xx or 3xx answer."""
    return 200 <= status < 400


@dataclass(frozen=True)
class Failure:
    """One failed request, as the transcript shows it."""

    at: datetime
    url: str
    side: str | None  # None: the name did not reach a known load balancer
    load_balancer: str | None
    reason: str


@dataclass(frozen=True)
class SideCount:
    """What one side was sent and how much of it failed."""

    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class TrafficSummary:
    """The counts of a run (or so far)."""

    sent: int = 0
    failed: int = 0
    unresolved: int = 0
    sides: dict[str, SideCount] = field(default_factory=dict)
    last_failures: tuple[Failure, ...] = ()

    def answered(self, side: str) -> int:
        """Requests DNS sent to ``side`` (its failures included)."""
        return self.sides.get(side, SideCount()).sent

    def failed_on(self, side: str) -> int:
        """Requests to ``side`` that failed."""
        return self.sides.get(side, SideCount()).failed

    def plus(self, other: TrafficSummary) -> TrafficSummary:
        """The counts of two generators added up (their last failures kept, oldest first)."""
        sides = {
            side: SideCount(
                self.sides.get(side, SideCount()).sent + other.sides.get(side, SideCount()).sent,
                self.sides.get(side, SideCount()).failed
                + other.sides.get(side, SideCount()).failed,
            )
            for side in {*self.sides, *other.sides}
        }
        failures = sorted((*self.last_failures, *other.last_failures), key=lambda f: f.at)
        return TrafficSummary(
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            unresolved=self.unresolved + other.unresolved,
            sides=sides,
            last_failures=tuple(failures[-20:]),
        )

    def line(self) -> str:
        """``requests: N sent, F failed (EC2 a, ECS b)``."""
        return (
            f"requests: {self.sent} sent, {self.failed} failed "
            f"(EC2 {self.answered('EC2')}, ECS {self.answered('ECS')})"
        )


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to a fixed loopback address, with the real name as Host, SNI and checked name."""

    def __init__(
        self, host: str, address: tuple[str, int], *, context: ssl.SSLContext, timeout: float
    ):
        super().__init__(host, 443, context=context, timeout=timeout)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


class _PinnedPlain(http.client.HTTPConnection):
    """HTTP to a fixed loopback address, with the real name as Host."""

    def __init__(self, host: str, address: tuple[str, int], *, timeout: float):
        super().__init__(host, 80, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection(self._address, self.timeout)


class LoadGenerator:
    """Sends steady GETs to a name through the resolver and counts what each side answered."""

    def __init__(
        self,
        name: str,
        *,
        resolver: Resolver,
        port_for: PortFor,
        side_of: Callable[[str], str],
        tls: ssl.SSLContext | None,
        scheme: str = "https",
        paths: Sequence[str] = ("/",),
        rate_per_second: float = 20.0,
        timeout_seconds: float = 2.0,
        ok: Ok = answers_like_the_app,
        clients: int = 1,
        senders: int = 4,
        failures_kept: int = 20,
    ) -> None:
        if scheme not in ("https", "http"):
            raise ValueError(f"scheme must be https or http, not {scheme}")
        if scheme == "https" and tls is None:
            raise ValueError("https needs the client's ssl.SSLContext (verification stays on)")
        if tls is not None and (tls.verify_mode != ssl.CERT_REQUIRED or not tls.check_hostname):
            raise ValueError("the client context must verify certificates and host names")
        self.name, self.scheme, self.paths = name.lower().rstrip("."), scheme, list(paths)
        self._resolver, self._port_for, self._side_of = resolver, port_for, side_of
        self._tls, self._ok, self._timeout = tls, ok, timeout_seconds
        self._interval = 1.0 / rate_per_second
        self._clients = max(1, clients)
        #: Requests in flight at most: users do not wait for each other, so a slow answer
        #: (this machine is shared) does not lower the rate the others are sent at.
        self._senders = max(1, senders)
        self._lock = threading.Lock()
        self._summary = TrafficSummary()
        self._failures: deque[Failure] = deque(maxlen=failures_kept)
        self._count = 0
        self._stop = threading.Event()
        self._first = threading.Event()  # set once a request has been counted
        self._threads: list[threading.Thread] = []

    def start(self) -> LoadGenerator:
        """Start sending from daemon threads (``senders`` of them, each at its share of the
        rate, staggered)."""
        for index in range(self._senders):
            thread = threading.Thread(
                target=self._run, args=(index,), name=f"loadgen-{self.name}-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return self

    def wait_for_first(self, timeout: float = 30.0) -> bool:
        """Wait until the first request has been answered (or failed); False on a timeout.
        A run that stops before its users sent anything would say nothing about them."""
        return self._first.wait(timeout)

    def stop(self) -> TrafficSummary:
        """Stop sending, wait for the requests in flight, and return the counts."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._timeout + 5)
        return self.summary()

    def summary(self) -> TrafficSummary:
        """The counts so far."""
        with self._lock:
            return replace(self._summary, last_failures=tuple(self._failures))

    def send_one(self) -> Failure | None:
        """Send the next request now and count it; return its failure, if it failed."""
        with self._lock:
            index = self._count
            self._count += 1
        path = self.paths[index % len(self.paths)]
        url = f"{self.scheme}://{self.name}{path}"
        side: str | None = None
        balancer: str | None = None
        try:
            balancer = self._resolver.resolve(self.name, client=index % self._clients).target
            port = self._port_for(balancer, 443 if self.scheme == "https" else 80)
            if port is None:
                raise ResolutionError(f"{balancer}: no load balancer listens for it here")
            side = self._side_of(balancer)
            reason = self._get(port, path)
        except ResolutionError as error:
            reason = f"DNS: {error}"
        failure = None
        if reason is not None:
            failure = Failure(datetime.now(UTC), url, side, balancer, reason)
        self._count_one(side, failure)
        return failure

    def _get(self, port: int, path: str) -> str | None:
        """GET ``path`` through the load balancer on ``port``; the reason it failed, or None."""
        address = ("127.0.0.1", port)
        connection: http.client.HTTPConnection
        if self.scheme == "https":
            assert self._tls is not None
            connection = _Pinned(self.name, address, context=self._tls, timeout=self._timeout)
        else:
            connection = _PinnedPlain(self.name, address, timeout=self._timeout)
        try:
            connection.request("GET", path, headers={"User-Agent": "migrate-bot-sandbox-loadgen"})
            response = connection.getresponse()
            body = response.read()
        except ConnectionRefusedError:
            return "connection refused"
        except ssl.SSLCertVerificationError as error:
            return f"TLS: certificate verify failed ({error.verify_message})"
        except ssl.SSLError as error:
            return f"TLS: {error.reason or error}"
        except TimeoutError:
            return f"timeout after {self._timeout:g} s"
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        if response.status >= 500:
            return f"HTTP {response.status}"
        if not self._ok(response.status, body):
            return f"HTTP {response.status} (not the app's answer)"
        return None

    def _count_one(self, side: str | None, failure: Failure | None) -> None:
        with self._lock:
            current = self._summary
            sides = dict(current.sides)
            if side is not None:
                before = sides.get(side, SideCount())
                sides[side] = SideCount(before.sent + 1, before.failed + (failure is not None))
            self._summary = TrafficSummary(
                sent=current.sent + 1,
                failed=current.failed + (failure is not None),
                unresolved=current.unresolved + (side is None),
                sides=sides,
            )
            if failure is not None:
                self._failures.append(failure)
        self._first.set()

    def _run(self, index: int) -> None:
        interval = self._interval * self._senders
        next_at = time.monotonic() + self._interval * index
        self._stop.wait(max(0.0, next_at - time.monotonic()))
        while not self._stop.is_set():
            self.send_one()
            next_at = max(next_at + interval, time.monotonic())
            self._stop.wait(max(0.0, next_at - time.monotonic()))
