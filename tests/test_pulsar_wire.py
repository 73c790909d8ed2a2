"""The hand-written Pulsar frames: exact bytes for CONNECT (field numbers of PulsarApi.proto), both directions."""

from __future__ import annotations

import struct

import pytest

from federation import pulsar_wire as wire


def test_connect_frame_is_byte_exact():
    # BaseCommand{type(1)=CONNECT(2), connect(2)=CommandConnect{client_version(1)="x", protocol_version(4)=15}}
    command = bytes([0x08, 0x02, 0x12, 0x05, 0x0A, 0x01, ord("x"), 0x20, 0x0F])
    assert wire.encode_connect("x", protocol_version=15) == struct.pack(">II", 13, 9) + command


def test_connected_frame_is_byte_exact():
    # BaseCommand{type(1)=CONNECTED(3), connected(3)=CommandConnected{server_version(1)="b", protocol_version(2)=9}}
    command = bytes([0x08, 0x03, 0x1A, 0x05, 0x0A, 0x01, ord("b"), 0x10, 0x09])
    assert wire.encode_connected("b", protocol_version=9) == struct.pack(">II", 13, 9) + command


def test_connect_round_trip_is_what_a_stand_in_broker_reads():
    frame = wire.encode_connect("kubefate-tanzu-check", protocol_version=19, auth_method_name="none")
    assert wire.decode_frame(frame) == wire.Connect("kubefate-tanzu-check", 19, "none")
    assert wire.decode_frame(wire.encode_connect("c")) == wire.Connect("c", wire.PROTOCOL_VERSION, None)


def test_connected_round_trip_with_max_message_size():
    frame = wire.encode_connected("Pulsar-Broker-v2.10.2", protocol_version=19, max_message_size=5 * 1024 * 1024)
    assert wire.decode_frame(frame) == wire.Connected("Pulsar-Broker-v2.10.2", 19, 5 * 1024 * 1024)


def test_error_round_trip():
    decoded = wire.decode_frame(wire.encode_error(0, 3, "Failed to authenticate"))
    assert isinstance(decoded, wire.Error) and decoded == wire.Error(0, 3, "Failed to authenticate")
    assert wire.SERVER_ERRORS[decoded.error] == "AuthenticationError"


def test_unknown_fields_are_skipped_and_defaults_apply():
    inner = (
        wire.field_bytes(1, b"broker")
        + bytes([0x25])
        + b"\x01\x02\x03\x04"  # field 4, fixed32
        + bytes([0x39])
        + b"\x00" * 8
        + wire.field_bytes(9, b"future")
    )  # field 7 fixed64, field 9
    command = wire.field_varint(1, wire.CONNECTED) + wire.field_bytes(3, inner)
    assert wire.decode_command(command) == wire.Connected("broker", 0, None)


def test_other_commands_decode_to_their_type_only():
    ping = wire.frame(wire.field_varint(1, 18) + wire.field_bytes(18, b""))
    assert wire.decode_frame(ping) == wire.Other(18)


def test_split_frame_waits_for_the_whole_frame_and_keeps_the_rest():
    first, second = wire.encode_connected("a"), wire.encode_connected("b")
    assert wire.split_frame(first[:3]) is None
    assert wire.split_frame(first[:-1]) is None
    split = wire.split_frame(first + second)
    assert split is not None
    command, rest = split
    assert wire.decode_command(command) == wire.Connected("a", wire.PROTOCOL_VERSION)
    assert rest == second


def test_an_http_answer_is_not_mistaken_for_a_frame():
    with pytest.raises(wire.WireError, match="not a Pulsar frame"):
        wire.split_frame(b"HTTP/1.1 400 Bad Request\r\n")


@pytest.mark.parametrize(
    "command, message",
    [
        (wire.field_bytes(2, b""), "without a type"),
        (wire.field_varint(1, wire.CONNECTED) + wire.field_bytes(3, wire.field_varint(2, 1)), "without server_version"),
        (wire.field_varint(1, wire.CONNECT) + wire.field_bytes(2, b""), "without client_version"),
        (bytes([0x08]), "truncated varint"),
        (bytes([0x12, 0x05, 0x01]), "runs past the end"),
        (bytes([0x0B]), "unsupported wire type 3"),
    ],
)
def test_malformed_commands_are_wire_errors(command, message):
    with pytest.raises(wire.WireError, match=message):
        wire.decode_command(command)


def test_decode_frame_refuses_trailing_or_missing_bytes():
    frame = wire.encode_connect("x")
    with pytest.raises(wire.WireError, match="after the frame"):
        wire.decode_frame(frame + b"\x00")
    with pytest.raises(wire.WireError, match="incomplete"):
        wire.decode_frame(frame[:-2])


def test_varints():
    assert wire.varint(0) == b"\x00"
    assert wire.varint(300) == b"\xac\x02"
    assert wire.varint(-1) == b"\xff" * 9 + b"\x01"
    assert wire.read_varint(b"\xac\x02", 0) == (300, 2)
    # a negative int32 decodes back to itself
    command = wire.field_varint(1, wire.CONNECTED) + wire.field_bytes(
        3, wire.field_bytes(1, b"b") + wire.field_varint(2, -1)
    )
    decoded = wire.decode_command(command)
    assert isinstance(decoded, wire.Connected) and decoded.protocol_version == -1
