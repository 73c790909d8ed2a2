"""A party's Pulsar TLS endpoint for the exchange's wire tests: the certificate its stack deployed, on the
address the exchange routes to, answering a Pulsar CONNECT.

The wire issue tests the exchange, not Pulsar: what matters is that ATS tunnels the TLS connection for
``<partyId>.<domain>`` to the address in its sni.yaml and the client sees the party's own certificate. The
stand-in presents exactly the ``pulsar-cert`` Secret read from the party's namespace and speaks the first
exchange of Pulsar's binary protocol (federation/pulsar_wire.py), so ``federation check`` can run its protocol
hop through the tunnel. The real broker replaces it in the FATE issue.
"""

from __future__ import annotations

import base64
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation import pulsar_wire
from tests.workload.netns import NetNs


def pulsar_cert(api: Any, namespace: str) -> dict[str, str]:
    """The party's ``pulsar-cert`` Secret as deployed (broker.cert.pem, broker.key-pk8.pem, ca.cert.pem)."""
    secret = api.get(f"/api/v1/namespaces/{namespace}/secrets/pulsar-cert")
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


@dataclass
class PulsarTlsStandIn:
    host: str
    port: int
    cert_pem: str
    key_pem: str
    netns: NetNs
    connections: int = 0
    _sock: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> PulsarTlsStandIn:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
            crt, key = Path(tmp) / "c.pem", Path(tmp) / "k.pem"
            crt.write_text(self.cert_pem)
            key.touch(mode=0o600)
            key.write_text(self.key_pem)
            context.load_cert_chain(str(crt), str(key))

        def listen() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.host, self.port))
            s.listen(16)
            s.settimeout(0.5)
            return s

        self._sock = self.netns.call(listen)
        self._context = context
        t = threading.Thread(target=self._serve, name=f"standin-{self.host}:{self.port}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self._context.wrap_socket(conn, server_side=True) as tls:
                self.connections += 1
                buffer = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    buffer += chunk
                    split = pulsar_wire.split_frame(buffer)
                    if split is None:
                        continue
                    command, buffer = split
                    if isinstance(pulsar_wire.decode_command(command), pulsar_wire.Connect):
                        tls.sendall(pulsar_wire.encode_connected("kubefate-tanzu-standin"))
        except (OSError, ssl.SSLError, pulsar_wire.WireError):
            return

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()
        self._stop.clear()
