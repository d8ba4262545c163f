"""The Sparkplug B payload built from the 3.0 specification: wire-compatible field numbers, round trips,
signed integers, and the alarm configuration."""

from __future__ import annotations

import pytest
from google.protobuf.message import DecodeError

from plantdesk.sparkplug.config import AlarmConfig
from plantdesk.sparkplug.decode import instant, metric_value, parse_topic, string_property
from plantdesk.sparkplug.schema import DataType, MetricValue, Payload, decode_payload, encode_payload


def test_field_numbers_are_the_specifications() -> None:
    payload = Payload.DESCRIPTOR
    assert [(f.name, f.number) for f in payload.fields] == [
        ("timestamp", 1), ("metrics", 2), ("seq", 3), ("uuid", 4), ("body", 5)
    ]  # fmt: skip
    metric = {f.name: f.number for f in payload.nested_types_by_name["Metric"].fields}
    assert metric == {
        "name": 1, "alias": 2, "timestamp": 3, "datatype": 4, "is_historical": 5, "is_transient": 6, "is_null": 7,
        "metadata": 8, "properties": 9, "int_value": 10, "long_value": 11, "float_value": 12, "double_value": 13,
        "boolean_value": 14, "string_value": 15, "bytes_value": 16, "dataset_value": 17, "template_value": 18,
        "extension_value": 19,
    }  # fmt: skip
    assert payload.full_name == "org.eclipse.tahu.protobuf.Payload"


def test_a_payload_encoded_by_hand_decodes() -> None:
    # timestamp=1000, one metric {name "A", alias 7, datatype Boolean, boolean_value true}, seq=3
    wire = bytes([0x08, 0xE8, 0x07, 0x12, 0x09, 0x0A, 0x01, 0x41, 0x10, 0x07, 0x20, 0x0B, 0x70, 0x01, 0x18, 0x03])
    payload = decode_payload(wire)
    assert (payload.timestamp, payload.seq, payload.metrics[0].name, payload.metrics[0].alias) == (1000, 3, "A", 7)
    assert metric_value(payload.metrics[0]) is True
    assert encode_payload([MetricValue("A", True, alias=7)], timestamp=1000, seq=3) == wire


def test_values_round_trip_with_signed_integers_and_properties() -> None:
    data = encode_payload([
        MetricValue("t", -5, DataType.INT32), MetricValue("big", -(2**40), DataType.INT64),
        MetricValue("speed", 2.5, DataType.DOUBLE), MetricValue("state", "Running", DataType.STRING),
        MetricValue("gone", None, DataType.INT32), MetricValue("Door/Alarm", True, properties={"severity": "minor"}),
    ])  # fmt: skip
    metrics = decode_payload(data).metrics
    assert [metric_value(m) for m in metrics] == [-5, -(2**40), 2.5, "Running", None, True]
    assert string_property(metrics[5], "severity") == "minor"
    assert string_property(metrics[0], "severity") is None


def test_garbage_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_payload(b"\x0a\xff\xff\xff not protobuf")


def test_topics() -> None:
    assert parse_topic("spBv1.0/G/DDATA/E/D").node == "G/E/D"
    assert parse_topic("spBv1.0/G/NDEATH/E").node == "G/E"
    assert parse_topic("spBv1.0/G/NBIRTH/E").source == "sparkplug:G"
    assert parse_topic("spBv1.0/STATE/host-1").kind == "STATE"
    for bad in ("spBv1.0/G/NDATA", "spAv1.0/G/NDATA/E", "spBv1.0/G/DDATA/E", "spBv1.0/G/XDATA/E"):
        with pytest.raises(ValueError, match="topic"):
            parse_topic(bad)
    assert instant(0) is None
    assert instant(1_790_000_000_000) == "2026-09-21T14:13:20+00:00"


def test_alarm_patterns_with_severities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANTDESK_SPARKPLUG_ALARM_METRICS", "Safety/*=critical, *alarm*")
    monkeypatch.setenv("PLANTDESK_SPARKPLUG_ALARM_SEVERITY", "minor")
    config = AlarmConfig.from_env()
    assert config.severity_of("Safety/EStop") == "critical"
    assert config.severity_of("Filler/MotorALARM") == "minor"  # case-insensitive
    assert config.severity_of("Filler/Speed") is None
    assert AlarmConfig.from_env().offline_severity == "critical"
    monkeypatch.setenv("PLANTDESK_SPARKPLUG_ALARM_METRICS", "*=disaster")
    with pytest.raises(ValueError, match="ALARM_METRICS"):
        AlarmConfig.from_env()


def test_the_default_patterns() -> None:
    config = AlarmConfig.from_env()
    assert [config.severity_of(n) for n in ("Press/OilFault", "Alarms/Door", "Cap/Alarm", "Temp")] == [
        "major", "major", "major", None
    ]  # fmt: skip
