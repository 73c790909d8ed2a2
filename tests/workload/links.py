"""The cluster network between network namespaces: a TCP link that listens on an address in one namespace and
connects to the same address in another, copying bytes both ways unchanged (TLS and SNI pass end to end).

Why: two parties' pods bind the same ports on 0.0.0.0 (mysqld 3306, Pulsar 6650/6651/8080/8081 and its
ZooKeeper and bookie, nginx 9300/9310), so they cannot share one namespace as the single-party tests do. Each
party and the exchange get a namespace of their own (every 127/8 address local in each), and the few addresses
one of them reaches in another (the exchange's Traffic Server and nginx, each party's Pulsar TLS endpoint and
nginx, exactly what the stacks' route tables and sni.yaml name) are linked. On a cluster the pod network does
this; nothing here looks into the bytes.

The link listens on an ephemeral port of the address, and an nftables rule of the source namespace (output
hook, as tests/workload/test_nginx_on_the_wire.py ``redirected``) sends connections for the address and its
real port there: a program of that namespace may already listen on ``*:<port>`` (the exchange's nginx on
9300 while party 40000's nginx address is linked in), which owns that port of every local address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

from tests.workload.netns import Dnat, NetNs


@dataclass
class Link:
    source: NetNs
    target: NetNs
    host: str
    port: int
    connections: int = 0  # bridged to the target
    refused: int = 0  # accepted, but the target could not be reached
    _listener: socket.socket | None = None
    _dnat: Dnat | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Link:
        def listen() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.host, 0))
            s.listen(64)
            s.settimeout(0.5)
            return s

        self._listener = self.source.call(listen)
        local_port = self._listener.getsockname()[1]
        self._dnat = Dnat(self.source, "kft_link").start()
        self._dnat.add(self.host, self.port, self.host, local_port)
        t = threading.Thread(target=self._accept, name=f"link-{self.host}:{self.port}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._bridge, args=(conn,), daemon=True).start()

    def _bridge(self, conn: socket.socket) -> None:
        try:
            peer = self.target.call(lambda: socket.create_connection((self.host, self.port), timeout=10))
        except OSError:
            self.refused += 1
            conn.close()  # as a refused connection looks to the client: closed at once
            return
        self.connections += 1
        peer.settimeout(None)
        conn.settimeout(None)
        pump = threading.Thread(target=_copy, args=(peer, conn), daemon=True)
        pump.start()
        _copy(conn, peer)
        pump.join()
        for s in (conn, peer):
            with contextlib.suppress(OSError):
                s.close()

    def stop(self) -> None:
        self._stop.set()
        if self._dnat is not None:
            self._dnat.stop()
            self._dnat = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()


def _copy(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
