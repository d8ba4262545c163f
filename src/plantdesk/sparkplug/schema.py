"""The Sparkplug B payload (Sparkplug 3.0, `org.eclipse.tahu.protobuf.Payload`, proto2), built here as a
FileDescriptorProto because no protoc is available at build time. Field numbers follow the specification's
`sparkplug_b.proto`; they are the wire format, so they never change.

`Payload` is the generated message class; `encode_payload` / `decode_payload` are the helpers the ingest,
the simulator and the benchmark share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory

PACKAGE = "org.eclipse.tahu.protobuf"
F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED
MAX_EXTENSION = 536870912  # exclusive end of the field-number space: "extensions N to max"


class DataType:
    """Sparkplug B data type codes (Metric.datatype, PropertyValue.type, DataSet.types)."""

    UNKNOWN, INT8, INT16, INT32, INT64 = 0, 1, 2, 3, 4
    UINT8, UINT16, UINT32, UINT64 = 5, 6, 7, 8
    FLOAT, DOUBLE, BOOLEAN, STRING, DATETIME, TEXT, UUID = 9, 10, 11, 12, 13, 14, 15
    DATASET, BYTES, FILE, TEMPLATE, PROPERTY_SET, PROPERTY_SET_LIST = 16, 17, 18, 19, 20, 21


# (name, number, type, label, message type or "", oneof name or "")
Field = tuple[str, int, int, int, str, str]
_VALUE = "value"


def _scalar_values(first: int, extension: str) -> list[Field]:
    """The typed `value` oneof the spec repeats in several messages, numbered from `first`."""
    kinds = [("int_value", F.TYPE_UINT32), ("long_value", F.TYPE_UINT64), ("float_value", F.TYPE_FLOAT),
             ("double_value", F.TYPE_DOUBLE), ("boolean_value", F.TYPE_BOOL),
             ("string_value", F.TYPE_STRING)]  # fmt: skip
    fields: list[Field] = [(name, first + i, kind, OPTIONAL, "", _VALUE) for i, (name, kind) in enumerate(kinds)]
    return [*fields, ("extension_value", first + len(kinds), F.TYPE_MESSAGE, OPTIONAL, extension, _VALUE)]


def _message(
    name: str,
    fields: Iterable[Field],
    *,
    nested: Iterable[descriptor_pb2.DescriptorProto] = (),
    extensions_from: int = 0,
) -> descriptor_pb2.DescriptorProto:
    proto = descriptor_pb2.DescriptorProto(name=name)
    oneofs: list[str] = []
    for fname, number, ftype, label, type_name, oneof in fields:
        spec = proto.field.add(name=fname, number=number, type=ftype, label=label)
        if type_name:
            spec.type_name = type_name
        if oneof:
            if oneof not in oneofs:
                oneofs.append(oneof)
                proto.oneof_decl.add(name=oneof)
            spec.oneof_index = oneofs.index(oneof)
    proto.nested_type.extend(nested)
    if extensions_from:
        proto.extension_range.add(start=extensions_from, end=MAX_EXTENSION)
    return proto


def _file() -> descriptor_pb2.FileDescriptorProto:
    p = f".{PACKAGE}.Payload"
    extension_only = [_message(n, [], extensions_from=1) for n in ("MetricValueExtension",)]
    template = _message("Template", [
        ("version", 1, F.TYPE_STRING, OPTIONAL, "", ""),
        ("metrics", 2, F.TYPE_MESSAGE, REPEATED, f"{p}.Metric", ""),
        ("parameters", 3, F.TYPE_MESSAGE, REPEATED, f"{p}.Template.Parameter", ""),
        ("template_ref", 4, F.TYPE_STRING, OPTIONAL, "", ""),
        ("is_definition", 5, F.TYPE_BOOL, OPTIONAL, "", ""),
    ], nested=[
        _message("Parameter", [
            ("name", 1, F.TYPE_STRING, OPTIONAL, "", ""),
            ("type", 2, F.TYPE_UINT32, OPTIONAL, "", ""),
            *_scalar_values(3, f"{p}.Template.Parameter.ParameterValueExtension"),
        ], nested=[_message("ParameterValueExtension", [], extensions_from=1)]),
    ], extensions_from=6)  # fmt: skip
    dataset = _message("DataSet", [
        ("num_of_columns", 1, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("columns", 2, F.TYPE_STRING, REPEATED, "", ""),
        ("types", 3, F.TYPE_UINT32, REPEATED, "", ""),
        ("rows", 4, F.TYPE_MESSAGE, REPEATED, f"{p}.DataSet.Row", ""),
    ], nested=[
        _message("DataSetValue", _scalar_values(1, f"{p}.DataSet.DataSetValue.DataSetValueExtension"),
                 nested=[_message("DataSetValueExtension", [], extensions_from=1)]),
        _message("Row", [("elements", 1, F.TYPE_MESSAGE, REPEATED, f"{p}.DataSet.DataSetValue", "")],
                 extensions_from=2),
    ], extensions_from=5)  # fmt: skip
    property_value = _message("PropertyValue", [
        ("type", 1, F.TYPE_UINT32, OPTIONAL, "", ""),
        ("is_null", 2, F.TYPE_BOOL, OPTIONAL, "", ""),
        *_scalar_values(3, f"{p}.PropertyValue.PropertyValueExtension")[:-1],
        ("propertyset_value", 9, F.TYPE_MESSAGE, OPTIONAL, f"{p}.PropertySet", _VALUE),
        ("propertysets_value", 10, F.TYPE_MESSAGE, OPTIONAL, f"{p}.PropertySetList", _VALUE),
        ("extension_value", 11, F.TYPE_MESSAGE, OPTIONAL, f"{p}.PropertyValue.PropertyValueExtension", _VALUE),
    ], nested=[_message("PropertyValueExtension", [], extensions_from=1)])  # fmt: skip
    property_set = _message("PropertySet", [
        ("keys", 1, F.TYPE_STRING, REPEATED, "", ""),
        ("values", 2, F.TYPE_MESSAGE, REPEATED, f"{p}.PropertyValue", ""),
    ], extensions_from=3)  # fmt: skip
    property_set_list = _message(
        "PropertySetList", [("propertyset", 1, F.TYPE_MESSAGE, REPEATED, f"{p}.PropertySet", "")], extensions_from=2
    )
    metadata = _message("MetaData", [
        ("is_multi_part", 1, F.TYPE_BOOL, OPTIONAL, "", ""), ("content_type", 2, F.TYPE_STRING, OPTIONAL, "", ""),
        ("size", 3, F.TYPE_UINT64, OPTIONAL, "", ""), ("seq", 4, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("file_name", 5, F.TYPE_STRING, OPTIONAL, "", ""), ("file_type", 6, F.TYPE_STRING, OPTIONAL, "", ""),
        ("md5", 7, F.TYPE_STRING, OPTIONAL, "", ""), ("description", 8, F.TYPE_STRING, OPTIONAL, "", ""),
    ], extensions_from=9)  # fmt: skip
    metric = _message("Metric", [
        ("name", 1, F.TYPE_STRING, OPTIONAL, "", ""),
        ("alias", 2, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("timestamp", 3, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("datatype", 4, F.TYPE_UINT32, OPTIONAL, "", ""),
        ("is_historical", 5, F.TYPE_BOOL, OPTIONAL, "", ""),
        ("is_transient", 6, F.TYPE_BOOL, OPTIONAL, "", ""),
        ("is_null", 7, F.TYPE_BOOL, OPTIONAL, "", ""),
        ("metadata", 8, F.TYPE_MESSAGE, OPTIONAL, f"{p}.MetaData", ""),
        ("properties", 9, F.TYPE_MESSAGE, OPTIONAL, f"{p}.PropertySet", ""),
        *_scalar_values(10, f"{p}.Metric.MetricValueExtension")[:-1],
        ("bytes_value", 16, F.TYPE_BYTES, OPTIONAL, "", _VALUE),
        ("dataset_value", 17, F.TYPE_MESSAGE, OPTIONAL, f"{p}.DataSet", _VALUE),
        ("template_value", 18, F.TYPE_MESSAGE, OPTIONAL, f"{p}.Template", _VALUE),
        ("extension_value", 19, F.TYPE_MESSAGE, OPTIONAL, f"{p}.Metric.MetricValueExtension", _VALUE),
    ], nested=extension_only)  # fmt: skip
    payload = _message("Payload", [
        ("timestamp", 1, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("metrics", 2, F.TYPE_MESSAGE, REPEATED, f"{p}.Metric", ""),
        ("seq", 3, F.TYPE_UINT64, OPTIONAL, "", ""),
        ("uuid", 4, F.TYPE_STRING, OPTIONAL, "", ""),
        ("body", 5, F.TYPE_BYTES, OPTIONAL, "", ""),
    ], nested=[template, dataset, property_value, property_set, property_set_list, metadata, metric],
        extensions_from=6)  # fmt: skip
    return descriptor_pb2.FileDescriptorProto(
        name="plantdesk/sparkplug_b.proto", package=PACKAGE, syntax="proto2", message_type=[payload]
    )


# A private pool: another library that registers the same Sparkplug package must not clash with ours.
_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
Payload: type[message.Message] = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.Payload"))
Metric: type[message.Message] = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName(f"{PACKAGE}.Payload.Metric")
)


@dataclass(frozen=True)
class MetricValue:
    """One metric to encode: a name and/or alias, a value of the given data type (None: is_null)."""

    name: str | None
    value: Any
    datatype: int = DataType.BOOLEAN
    alias: int | None = None
    timestamp: int | None = None  # ms since the epoch
    is_historical: bool = False
    properties: Mapping[str, str] = field(default_factory=dict)  # string properties, e.g. severity


_FIELD_OF = {
    DataType.BOOLEAN: "boolean_value", DataType.FLOAT: "float_value", DataType.DOUBLE: "double_value",
    DataType.STRING: "string_value", DataType.TEXT: "string_value", DataType.UUID: "string_value",
    DataType.BYTES: "bytes_value", DataType.FILE: "bytes_value",
    **dict.fromkeys((DataType.INT8, DataType.INT16, DataType.INT32, DataType.UINT8, DataType.UINT16,
                     DataType.UINT32), "int_value"),
    **dict.fromkeys((DataType.INT64, DataType.UINT64, DataType.DATETIME), "long_value"),
}  # fmt: skip


def value_field(datatype: int) -> str | None:
    """The Metric field that carries a value of `datatype` (None for data sets, templates, unknown)."""
    return _FIELD_OF.get(datatype)


def encode_payload(metrics: Iterable[MetricValue], *, timestamp: int | None = None, seq: int | None = None) -> bytes:
    """A serialised Payload with `metrics`. Signed integers go on the wire as two's complement (the spec's rule)."""
    payload: Any = Payload()
    if timestamp is not None:
        payload.timestamp = timestamp
    if seq is not None:
        payload.seq = seq
    for spec in metrics:
        m = payload.metrics.add()
        if spec.name is not None:
            m.name = spec.name
        if spec.alias is not None:
            m.alias = spec.alias
        if spec.timestamp is not None:
            m.timestamp = spec.timestamp
        m.datatype = spec.datatype
        if spec.is_historical:
            m.is_historical = True
        for key, text in spec.properties.items():
            m.properties.keys.append(key)
            m.properties.values.add(type=DataType.STRING, string_value=text)
        target = value_field(spec.datatype)
        if spec.value is None or target is None:
            m.is_null = True
        elif target in ("int_value", "long_value"):
            bits = 32 if target == "int_value" else 64
            setattr(m, target, int(spec.value) & ((1 << bits) - 1))
        else:
            setattr(m, target, spec.value)
    return bytes(payload.SerializeToString())


def decode_payload(data: bytes) -> Any:
    """The Payload in `data`; raises google.protobuf.message.DecodeError for anything that is not one."""
    payload: Any = Payload()
    payload.ParseFromString(data)
    return payload
