#pragma once
/// CSV files of numbers into float tensors.
#include <optional>
#include <string>
#include <variant>

#include "braid/data/dataset.hpp"

namespace braid::data {

struct CsvOptions {
  /// The first line names the columns.
  bool header = true;
  char delimiter = ',';
  /// The column that becomes Example::target: a name (needs a header) or an
  /// index (negative counts from the end). None: every column is data.
  std::optional<std::variant<int64_t, std::string>> target = {};
  /// Float32, or Int64 for class labels (the values must be whole numbers).
  DType target_dtype = DType::Float32;
};

/// Reads a CSV file of numbers: data (rows, columns) float32 and, with
/// options.target, target (rows) in options.target_dtype. Fields may be
/// quoted ("1.5") and padded with spaces; blank lines are skipped; \r\n
/// line ends are fine. Throws IOError for a missing file, ValueError naming the
/// line and column of a field that is not a number or a row with the wrong
/// number of fields, and for an unknown target column.
///   auto [x, y] = data::read_csv("iris.csv", {.target = "species", .target_dtype = DType::Int64});
Example read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace braid::data
