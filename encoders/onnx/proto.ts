import protobuf from 'protobufjs';

/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) that a
 * feed-forward inference graph needs. Field numbers are the official ones, so the files are
 * ordinary ONNX models; messages we never write (sparse tensors, functions, training info) are left out.
 */
const ONNX_SCHEMA = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  optional AttributeType type = 20;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  optional string doc_string = 12;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

const root = protobuf.parse(ONNX_SCHEMA, { keepCase: true }).root;

export const ModelProto = root.lookupType('onnx.ModelProto');
export const GraphProto = root.lookupType('onnx.GraphProto');
export const TensorProto = root.lookupType('onnx.TensorProto');
export const NodeProto = root.lookupType('onnx.NodeProto');

/** ONNX element types we write (TensorProto.DataType); the 8-bit ones hold quantized weights. */
export const DataType = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const);
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
export const AttrType = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const);

/** Length of `n` as a protobuf varint. */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Encodes a non-negative integer (< 2^53) as a protobuf varint. */
export function encodeVarint(n: number): Buffer {
  const out = Buffer.alloc(varintLength(n));
  let i = 0;
  while (n >= 0x80) {
    out[i++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[i] = n;
  return out;
}

/** Tag byte for a length-delimited field (wire type 2); all our field numbers are < 16. */
export function lengthDelimitedTag(field: number): Buffer {
  if (field >= 16) throw new Error(`field ${field} needs a multi-byte tag`);
  return Buffer.from([(field << 3) | 2]);
}
