"""A stand-in for the exchange's ATS: TLS passthrough routed by the ClientHello's SNI, as sni.yaml's
``tunnel_route`` does. The TLS session is never terminated here; the bytes go to the backend the SNI names, so
the client sees the backend's certificate, exactly the path ``federation check`` probes.

An SNI without a route, or a backend that refuses, closes the client's connection (ATS does the same with a
tunnel it cannot open), which the client sees during its handshake.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from tests.tcp_standins import TcpServer

HANDSHAKE, CLIENT_HELLO, SERVER_NAME_EXT, HOST_NAME = 0x16, 0x01, 0x0000, 0


def client_hello_sni(record: bytes) -> str | None:
    """The host_name of a TLS record holding a ClientHello; None when there is none (or it is not TLS)."""
    if len(record) < 5 or record[0] != HANDSHAKE:
        return None
    body = record[5 : 5 + struct.unpack(">H", record[3:5])[0]]
    if len(body) < 4 or body[0] != CLIENT_HELLO:
        return None
    pos = 4 + 2 + 32  # handshake header, client_version, random
    pos += 1 + body[pos]  # session_id
    pos += 2 + struct.unpack(">H", body[pos : pos + 2])[0]  # cipher_suites
    pos += 1 + body[pos]  # compression_methods
    end = pos + 2 + struct.unpack(">H", body[pos : pos + 2])[0]
    pos += 2
    while pos + 4 <= end:
        ext_type, ext_len = struct.unpack(">HH", body[pos : pos + 4])
        data = body[pos + 4 : pos + 4 + ext_len]
        pos += 4 + ext_len
        if ext_type != SERVER_NAME_EXT:
            continue
        i = 2  # server_name_list length
        while i + 3 <= len(data):
            name_type, name_len = data[i], struct.unpack(">H", data[i + 1 : i + 3])[0]
            if name_type == HOST_NAME:
                return data[i + 3 : i + 3 + name_len].decode("ascii")
            i += 3 + name_len
    return None


def _read_record(conn: socket.socket) -> bytes:
    record = b""
    while len(record) < 5 or len(record) < 5 + struct.unpack(">H", record[3:5])[0]:
        chunk = conn.recv(16384)
        if not chunk:
            break
        record += chunk
    return record


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := src.recv(16384):
            dst.sendall(chunk)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


class SniPassthrough(TcpServer):
    """``routes``: SNI -> (host, port), mutable while running (like re-rendering sni.yaml)."""

    def __init__(self, routes: dict[str, tuple[str, int]]):
        self.routes = routes
        self.seen: list[str | None] = []
        super().__init__(self._tunnel)

    def _tunnel(self, conn: socket.socket) -> None:
        hello = _read_record(conn)
        sni = client_hello_sni(hello)
        self.seen.append(sni)
        target = self.routes.get(sni or "")
        if target is None:
            return
        try:
            backend = socket.create_connection(target, timeout=5)
        except OSError:
            return  # the tunnel cannot open: the client's connection is closed mid-handshake
        with backend:
            backend.sendall(hello)
            back = threading.Thread(target=_pump, args=(backend, conn), daemon=True)
            back.start()
            _pump(conn, backend)
            back.join(10)
