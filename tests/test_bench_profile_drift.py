"""bench/profile_drift.py reads Pulumi's OpenTelemetry export; its figures are only as good as this parsing, so
the parser is held to a hand-written trace whose phases are known (values as Pulumi writes them: OTLP/JSON, one
``resourceSpans`` document a line, nanosecond strings, attribute values wrapped by type)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.profile_drift import Span, load_spans, milestones, phases, totals

S = 1_000_000_000  # ns per second
T0 = 1_700_000_000 * S


def _span(name: str, start: float, end: float, **attrs: str) -> dict[str, object]:
    return {
        "name": name,
        "startTimeUnixNano": str(T0 + int(start * S)),
        "endTimeUnixNano": str(T0 + int(end * S)),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def _document(service: str, spans: list[dict[str, object]]) -> str:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]})


def _trace(tmp_path: Path) -> Path:
    cli = [
        _span("pulumi", 0.2, 9.0),
        _span("pulumi-plan", 0.8, 8.5),
        _span("newPlugin", 1.0, 1.3, kind="language", prefix="python"),
        _span("newPlugin", 1.5, 1.9, kind="resource", prefix="kubernetes"),
        _span("newPlugin", 1.6, 1.8, kind="resource", prefix="random"),
        _span("pulumirpc.ResourceProvider/Configure", 1.9, 2.0),
        _span("pulumirpc.ResourceProvider/Read", 2.2, 2.6),
        _span("pulumirpc.ResourceProvider/Read", 2.3, 3.5),
        _span("run-program", 3.6, 8.0),
        _span("pulumirpc.ResourceMonitor/RegisterResource", 4.1, 4.2),
        _span("pulumirpc.ResourceMonitor/RegisterResource", 5.0, 5.3),
        # an engine call outside the program's span is not its first call
        _span("pulumirpc.ResourceMonitor/RegisterResource", 3.0, 3.1),
    ]
    provider = [_span("pulumirpc.ResourceProvider/Read", 2.25, 2.5)]
    path = tmp_path / "trace.json"
    path.write_text(_document("pulumi-cli", cli) + "\n\n" + _document("pulumi-resource-provider", provider) + "\n")
    return path


def test_spans_are_read_with_their_service_times_and_attributes_in_start_order(tmp_path: Path) -> None:
    spans = load_spans(_trace(tmp_path))
    assert len(spans) == 13
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    first = spans[0]
    assert (first.service, first.name, first.seconds) == ("pulumi-cli", "pulumi", 8.8)
    provider = [s for s in spans if s.service == "pulumi-resource-provider"]
    assert [s.name for s in provider] == ["pulumirpc.ResourceProvider/Read"]
    plugin = next(s for s in spans if s.name == "newPlugin" and s.attrs["prefix"] == "kubernetes")
    assert plugin.attrs["kind"] == "resource"


def test_milestones_split_the_run_into_the_documented_phases(tmp_path: Path) -> None:
    spans = load_spans(_trace(tmp_path))
    points = milestones(spans, T0, T0 + 10 * S)
    assert [label for label, _ in points] == [
        "process started",
        "CLI command started (Go start-up, flags)",
        "engine plan started (backend, stack, state read)",
        "first provider launched (language host, required plugins)",
        "first refresh Read sent (provider start, Configure)",
        "last refresh Read answered (refresh reads)",
        "program started (refresh diffs)",
        "program's first engine call (interpreter start, SDK import)",
        "program exited (registrations, Check, Diff)",
        "CLI command returned (summary, plugin shutdown)",
        "process exited",
    ]
    seconds = dict(phases(points))
    expected = {
        "CLI command started (Go start-up, flags)": 0.2,
        "engine plan started (backend, stack, state read)": 0.6,
        "first provider launched (language host, required plugins)": 0.7,
        "first refresh Read sent (provider start, Configure)": 0.7,
        "last refresh Read answered (refresh reads)": 1.3,
        "program started (refresh diffs)": 0.1,
        "program's first engine call (interpreter start, SDK import)": 0.5,
        "program exited (registrations, Check, Diff)": 3.9,
        "CLI command returned (summary, plugin shutdown)": 1.0,
        "process exited": 1.0,
    }
    assert seconds.keys() == expected.keys()
    for label, value in expected.items():
        assert abs(seconds[label] - value) < 1e-6, (label, seconds[label])
    assert abs(sum(seconds.values()) - 10.0) < 1e-6


def test_a_run_that_failed_early_leaves_missing_milestones_out() -> None:
    spans = [Span("pulumi-cli", "pulumi", T0 + S, T0 + 2 * S, {})]
    points = milestones(spans, T0, T0 + 3 * S)
    assert [label for label, _ in points] == [
        "process started",
        "CLI command started (Go start-up, flags)",
        "CLI command returned (summary, plugin shutdown)",
        "process exited",
    ]


def test_totals_count_and_sum_the_overlapping_calls_of_the_cli_only(tmp_path: Path) -> None:
    rows = {label: (count, round(sec, 6)) for label, count, sec in totals(load_spans(_trace(tmp_path)))}
    assert rows["plugin launches, language (python)"] == (1, 0.3)
    assert rows["plugin launches, resource (kubernetes, random)"] == (2, 0.6)
    assert rows["ResourceProvider/Read"] == (2, 1.6)  # the provider's own Read span is not counted again
    assert rows["ResourceMonitor/RegisterResource"] == (3, 0.5)
    assert rows["ResourceProvider/Diff"] == (0, 0)
