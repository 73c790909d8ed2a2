"""The few Pulsar binary-protocol frames ``federation check`` needs: CONNECT and CONNECTED (and ERROR).

A CONNECT answered by CONNECTED is the cheapest proof that a TLS tunnel through the exchange really ends at
a Pulsar broker, not at some other TLS server. Both directions are here so test stand-ins answer with the same
code the probe parses. Hand-written protobuf (varints and length-delimited fields only) rather than a protobuf
dependency for three messages.

Framing (Apache Pulsar docs/BinaryProtocol.md, "simple commands"): ``[4-byte total size][4-byte command
size][BaseCommand]``, big-endian, total size = 4 + command size. Field numbers from PulsarApi.proto:
``BaseCommand {type = 1; connect = 2; connected = 3; error = 14}``, ``Type {CONNECT = 2; CONNECTED = 3;
ERROR = 14}``, ``CommandConnect {client_version = 1; protocol_version = 4; auth_method_name = 5}``,
``CommandConnected {server_version = 1; protocol_version = 2; max_message_size = 3}``, ``CommandError
{request_id = 1; error = 2; message = 3}``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import overload

CONNECT = 2
CONNECTED = 3
ERROR = 14
# Pulsar's default maxMessageSize is 5 MiB; a frame announcing more is not Pulsar talking (e.g. "HTTP" read
# as a size is 1.2 GB), so the reader stops instead of waiting for bytes that never come.
MAX_FRAME = 5 * 1024 * 1024 + 10 * 1024
PROTOCOL_VERSION = 15

# ServerError names (PulsarApi.proto) for the ones a CONNECT can meet; others print as numbers.
SERVER_ERRORS = {
    0: "UnknownError",
    3: "AuthenticationError",
    4: "AuthorizationError",
    6: "ServiceNotReady",
    10: "UnsupportedVersionError",
    14: "TooManyRequests",
}

# protobuf wire types
VARINT, I64, LEN, I32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not the Pulsar frame they claim to be."""


@dataclass(frozen=True)
class Connect:
    client_version: str
    protocol_version: int = 0
    auth_method_name: str | None = None


@dataclass(frozen=True)
class Connected:
    server_version: str
    protocol_version: int = 0
    max_message_size: int | None = None


@dataclass(frozen=True)
class Error:
    request_id: int
    error: int
    message: str


@dataclass(frozen=True)
class Other:
    """Any other command: only its type is decoded."""

    type: int


Command = Connect | Connected | Error | Other


# --- protobuf primitives ---------------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int32/int64 negatives are ten-byte two's complement on the wire
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than ten bytes")


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3 | VARINT) + varint(value)


def field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | LEN) + varint(len(value)) + value


def fields(message: bytes) -> dict[int, list[int | bytes]]:
    """Every field of a message by number (repeated or not), varints as ints, length-delimited as bytes."""
    found: dict[int, list[int | bytes]] = {}
    pos = 0
    while pos < len(message):
        key, pos = read_varint(message, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == VARINT:
            value, pos = read_varint(message, pos)
        elif wire_type == LEN:
            size, pos = read_varint(message, pos)
            if pos + size > len(message):
                raise WireError(f"field {number} runs past the end of the message")
            value, pos = message[pos : pos + size], pos + size
        elif wire_type in (I64, I32):
            width = 8 if wire_type == I64 else 4
            if pos + width > len(message):
                raise WireError(f"field {number} runs past the end of the message")
            value, pos = int.from_bytes(message[pos : pos + width], "little"), pos + width
        else:
            raise WireError(f"unsupported wire type {wire_type} (field {number})")
        found.setdefault(number, []).append(value)
    return found


@overload
def _int(found: dict[int, list[int | bytes]], number: int, default: int) -> int: ...
@overload
def _int(found: dict[int, list[int | bytes]], number: int, default: None = None) -> int | None: ...
def _int(found: dict[int, list[int | bytes]], number: int, default: int | None = None) -> int | None:
    values = [v for v in found.get(number, []) if isinstance(v, int)]
    if not values:
        return default
    value = values[-1]  # protobuf: the last occurrence wins
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(found: dict[int, list[int | bytes]], number: int) -> str | None:
    values = [v for v in found.get(number, []) if isinstance(v, bytes)]
    return values[-1].decode("utf-8", "replace") if values else None


def _message(found: dict[int, list[int | bytes]], number: int) -> bytes:
    values = [v for v in found.get(number, []) if isinstance(v, bytes)]
    return values[-1] if values else b""


# --- frames ----------------------------------------------------------------------------------------------------


def frame(command: bytes) -> bytes:
    return struct.pack(">II", len(command) + 4, len(command)) + command


def split_frame(buffer: bytes) -> tuple[bytes, bytes] | None:
    """``(BaseCommand bytes, rest)`` once a whole frame is buffered, None while more bytes are needed."""
    if len(buffer) < 4:
        return None
    (total,) = struct.unpack(">I", buffer[:4])
    if total < 4 or total > MAX_FRAME:
        raise WireError(f"not a Pulsar frame: size {total} from bytes {buffer[:16]!r}")
    if len(buffer) < 4 + total:
        return None
    (size,) = struct.unpack(">I", buffer[4:8])
    if size > total - 4:
        raise WireError(f"command size {size} exceeds frame size {total}")
    return buffer[8 : 8 + size], buffer[4 + total :]


def encode_connect(
    client_version: str, protocol_version: int = PROTOCOL_VERSION, auth_method_name: str | None = None
) -> bytes:
    body = field_bytes(1, client_version.encode()) + field_varint(4, protocol_version)
    if auth_method_name is not None:
        body += field_bytes(5, auth_method_name.encode())
    return frame(field_varint(1, CONNECT) + field_bytes(2, body))


def encode_connected(
    server_version: str, protocol_version: int = PROTOCOL_VERSION, max_message_size: int | None = None
) -> bytes:
    body = field_bytes(1, server_version.encode()) + field_varint(2, protocol_version)
    if max_message_size is not None:
        body += field_varint(3, max_message_size)
    return frame(field_varint(1, CONNECTED) + field_bytes(3, body))


def encode_error(request_id: int, error: int, message: str) -> bytes:
    body = field_varint(1, request_id) + field_varint(2, error) + field_bytes(3, message.encode())
    return frame(field_varint(1, ERROR) + field_bytes(14, body))


def decode_command(command: bytes) -> Command:
    """One BaseCommand (the bytes ``split_frame`` returns); required fields missing are a WireError."""
    base = fields(command)
    kind = _int(base, 1)
    if kind is None:
        raise WireError("BaseCommand without a type")
    if kind == CONNECT:
        inner = fields(_message(base, 2))
        version = _text(inner, 1)
        if version is None:
            raise WireError("CONNECT without client_version")
        return Connect(version, _int(inner, 4, 0), _text(inner, 5))
    if kind == CONNECTED:
        inner = fields(_message(base, 3))
        version = _text(inner, 1)
        if version is None:
            raise WireError("CONNECTED without server_version")
        return Connected(version, _int(inner, 2, 0), _int(inner, 3))
    if kind == ERROR:
        inner = fields(_message(base, 14))
        return Error(_int(inner, 1, 0), _int(inner, 2, 0), _text(inner, 3) or "")
    return Other(kind)


def decode_frame(data: bytes) -> Command:
    """A buffer holding exactly one whole frame."""
    split = split_frame(data)
    if split is None:
        raise WireError(f"incomplete frame ({len(data)} bytes)")
    command, rest = split
    if rest:
        raise WireError(f"{len(rest)} bytes after the frame")
    return decode_command(command)
