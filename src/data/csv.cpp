// read_csv: a small RFC 4180 reader (quoted fields, "" for a quote inside
// one), no fields that span lines, numbers only.
#include "braid/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "braid/ops/ops.hpp"

namespace braid::data {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits one line into fields; false when a quote is left open.
bool split_fields(std::string_view line, char delim, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && trim(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == delim) {
      out.push_back(was_quoted ? field : std::string(trim(field)));
      field.clear();
      was_quoted = false;
    } else if (!(was_quoted && (c == ' ' || c == '\t' || c == '\r'))) {
      field += c;
    }
  }
  out.push_back(was_quoted ? field : std::string(trim(field)));
  return !quoted;
}

bool parse_number(std::string_view s, double& v) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Example read_csv(const std::string& path, const CsvOptions& opt) {
  std::ifstream in(path, std::ios::binary);
  BRAID_CHECK(in.good(), IOError, "read_csv", "cannot open '{}': {}", path,
              std::filesystem::exists(path) ? std::strerror(errno) : "no such file");
  BRAID_CHECK(opt.delimiter != '"' && opt.delimiter != '\n', ValueError, "read_csv",
              "the delimiter cannot be a quote or a newline");
  BRAID_CHECK(opt.target_dtype == DType::Float32 || opt.target_dtype == DType::Int64 ||
                  opt.target_dtype == DType::Float64,
              DTypeError, "read_csv", "target_dtype must be float32, float64 or int64; got {}",
              dtype_name(opt.target_dtype));
  std::vector<std::string> names, fields;
  std::vector<double> values;
  int64_t ncols = -1, target = -1, rows = 0, first_row_line = 0;
  std::string line;
  auto col_name = [&](int64_t c) {
    return names.empty() ? std::string() : fmt::format(" ('{}')", names[static_cast<size_t>(c)]);
  };
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (trim(line).empty()) continue;
    BRAID_CHECK(split_fields(line, opt.delimiter, fields), ValueError, "read_csv",
                "'{}' line {}: a quoted field is not closed", path, lineno);
    if (ncols < 0) {
      ncols = static_cast<int64_t>(fields.size());
      first_row_line = lineno;
      if (opt.target) {
        if (const auto* name = std::get_if<std::string>(&*opt.target)) {
          BRAID_CHECK(opt.header, ValueError, "read_csv",
                      "'{}': target column '{}' is a name, which needs header = true", path, *name);
          for (size_t c = 0; c < fields.size(); ++c)
            if (fields[c] == *name) target = static_cast<int64_t>(c);
          BRAID_CHECK(target >= 0, ValueError, "read_csv",
                      "'{}': no column named '{}' for the target; the header has: {}", path, *name,
                      fmt::join(fields, ", "));
        } else {
          int64_t t = std::get<int64_t>(*opt.target);
          target = t < 0 ? t + ncols : t;
          BRAID_CHECK(target >= 0 && target < ncols, ValueError, "read_csv",
                      "'{}': target column {} is out of range for {} columns", path, t, ncols);
        }
      }
      if (opt.header) {
        names = fields;
        continue;
      }
    }
    BRAID_CHECK(static_cast<int64_t>(fields.size()) == ncols, ValueError, "read_csv",
                "'{}' line {}: {} fields, but line {} has {}", path, lineno, fields.size(),
                first_row_line, ncols);
    for (int64_t c = 0; c < ncols; ++c) {
      double v = 0;
      const std::string& f = fields[static_cast<size_t>(c)];
      BRAID_CHECK(
          parse_number(f, v), ValueError, "read_csv", "'{}' line {}, column {}{}: {}", path, lineno,
          c + 1, col_name(c),
          f.empty() ? std::string("the field is empty") : fmt::format("'{}' is not a number", f));
      BRAID_CHECK(c != target || opt.target_dtype != DType::Int64 || v == std::floor(v), ValueError,
                  "read_csv",
                  "'{}' line {}, column {}{}: the target is int64 but '{}' is not a whole number",
                  path, lineno, c + 1, col_name(c), f);
      values.push_back(v);
    }
    ++rows;
  }
  BRAID_CHECK(!in.bad(), IOError, "read_csv", "cannot read '{}'", path);
  BRAID_CHECK(rows > 0, ValueError, "read_csv", "'{}' has no data rows", path);
  int64_t dcols = ncols - (target >= 0 ? 1 : 0);
  Example out{empty({rows, dcols}, DType::Float32), {}};
  float* d = out.data.data_ptr<float>();
  std::vector<double> t;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < ncols; ++c) {
      double v = values[static_cast<size_t>(r * ncols + c)];
      if (c == target)
        t.push_back(v);
      else
        *d++ = static_cast<float>(v);
    }
  if (target >= 0) out.target = tensor(t, {rows}).to(opt.target_dtype);
  return out;
}

}  // namespace braid::data
