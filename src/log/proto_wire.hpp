#pragma once
// A minimal protocol-buffers encoder: just the wire types TensorBoard's
// Event/Summary messages use (src/log/event.proto).
//
// Note [hand-written event encoding]
// braid_log writes the few fields it needs with this encoder instead of
// linking the protobuf runtime: the writer stays a small, dependency-free part
// of every training binary, and the tests decode its output with the classes
// protoc generates from event.proto -- an independent implementation, so a
// wrong field number or wire type fails a test instead of agreeing with
// itself. Proto3 omits default values, but writing them is valid, and a
// oneof member (simple_value = 0) must be written to mark which one is set.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace braid::tensorboard::detail {

static_assert(std::endian::native == std::endian::little,
              "fixed-width protobuf fields are written as host bytes");

class ProtoWriter {
 public:
  void add_double(int field, double v) {
    tag(field, kFixed64);
    raw(&v, 8);
  }
  void add_float(int field, float v) {
    tag(field, kFixed32);
    raw(&v, 4);
  }
  /// int32 and int64 fields; negatives take ten bytes as protobuf specifies.
  void add_int(int field, int64_t v) {
    tag(field, kVarint);
    varint(static_cast<uint64_t>(v));
  }
  /// string, bytes and embedded messages.
  void add_bytes(int field, std::string_view bytes) {
    tag(field, kLengthDelimited);
    varint(bytes.size());
    buf_.append(bytes);
  }
  void add_message(int field, const ProtoWriter& m) { add_bytes(field, m.str()); }
  void add_packed_doubles(int field, std::span<const double> v) {
    tag(field, kLengthDelimited);
    varint(v.size() * 8);
    raw(v.data(), v.size() * 8);
  }
  const std::string& str() const { return buf_; }

 private:
  enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };
  void tag(int field, WireType w) { varint((static_cast<uint64_t>(field) << 3) | w); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void raw(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }

  std::string buf_;
};

}  // namespace braid::tensorboard::detail
