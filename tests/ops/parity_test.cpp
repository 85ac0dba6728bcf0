// Forward parity with PyTorch 1.13: every case in tests/fixtures/ops_*.json
// (written by scripts/gen_fixtures.py) is replayed through the registry's
// generic entry, detail::call(op_id(name), inputs, attrs), and each output is
// compared with PyTorch's: shape, dtype, then values within the tolerance
// the case states (float: |braid - torch| <= atol + rtol * |torch|, NaN
// matches NaN; integers and bools exact). One test per op, named
// Ops/Parity.MatchesTorch/<family>_<op>; each failing case is reported by
// name with the first values of both, the max difference and the command to
// regenerate (STYLE "llm.c"). Tolerances are chosen in
// scripts/fixture_cases/common.py (TOL, TOL_ACCUM) and stored in each case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "braid/braid.hpp"

namespace braid {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kRegenerate =
    "/usr/bin/python3 scripts/gen_fixtures.py  (PyTorch 1.13, by hand; then rebuild and rerun)";

// One test per op (each ctest entry is a process, and a case takes far less
// than a process start); it runs all the op's cases and names each that fails.
struct ParityOp {
  std::string test_name;  // <family>_<op>
  std::string family, op;
  std::vector<std::string> cases;  // "<op>.<case>", as in the fixture
  std::string error;               // set when there is nothing to run, saying why
};
void PrintTo(const ParityOp& p, std::ostream* os) {
  *os << p.test_name << " (" << p.cases.size() << " cases)";
}

std::string sanitize(const std::string& s) {
  std::string out = s;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return out;
}

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(BRAID_FIXTURE_DIR, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("ops_", 0) == 0 && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

json read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw std::runtime_error("cannot open " + p.string());
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return json::parse(text);
}

// The tests are registered from manifest.json's case list (small); an op's
// family file is parsed only when its test runs.
std::vector<ParityOp> load_ops() {
  std::vector<ParityOp> out;
  try {
    json manifest = read_json(fs::path(BRAID_FIXTURE_DIR) / "manifest.json");
    for (const auto& [family, names] : manifest.at("cases").items())
      for (const json& n : names) {
        std::string name = n.get<std::string>(), op = name.substr(0, name.find('.'));
        if (out.empty() || out.back().op != op)
          out.push_back({sanitize(family + "_" + op), family, op, {}, ""});
        out.back().cases.push_back(name);
      }
  } catch (const std::exception& e) {
    out.push_back(
        {"no_manifest", "", "", {}, std::string("cannot read the fixture manifest: ") + e.what()});
  }
  if (out.empty()) out.push_back({"no_cases", "", "", {}, "manifest.json lists no cases"});
  return out;
}

// The case `name` of `family`, from tests/fixtures/ops_<family>.json.
const json& fixture_case(const std::string& family, const std::string& name) {
  static std::map<std::string, json> files;
  auto it = files.find(family);
  if (it == files.end())
    it = files.emplace(family, read_json(fs::path(BRAID_FIXTURE_DIR) / ("ops_" + family + ".json")))
             .first;
  for (const json& c : it->second.at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("ops_" + family + ".json has no case '" + name +
                           "' listed in manifest.json");
}

// -- fixture values -----------------------------------------------------------
double number(const json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    throw std::runtime_error("bad number '" + s + "'");
  }
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return v.get<double>();
}

int64_t integer(const json& v) {
  return v.is_boolean() ? int64_t(v.get<bool>()) : v.get<int64_t>();
}

template <class T>
T element(const json& v) {
  if constexpr (std::is_same_v<T, bool>)
    return v.is_boolean() ? v.get<bool>() : number(v) != 0;
  else if constexpr (std::is_integral_v<T>)
    return static_cast<T>(integer(v));
  else if constexpr (std::is_same_v<T, double>)
    return number(v);
  else
    return T(static_cast<float>(number(v)));  // float, Half, BFloat16: exact for their own values
}

// Writes `values` at storage positions `pos`, and junk (77) everywhere else,
// so that a kernel reading outside the view shows up.
template <class T>
void fill(const Tensor& base, const json& values, const std::vector<int64_t>& pos) {
  T* p = static_cast<T*>(base.raw_data());
  std::fill(p, p + base.numel(), element<T>(json(77)));
  for (size_t i = 0; i < pos.size(); ++i) p[pos[i]] = element<T>(values[i]);
}

// Storage position of each logical element (row-major) for a layout.
// transposed: the buffer holds the last two dims swapped; sliced: rows 1, 3,
// 5... of a buffer twice as tall (so also a storage offset); expanded: dim 0
// has stride 0 (the fixture's rows are equal). Built with as_strided (core),
// so the ops under test do not build their own inputs.
std::vector<int64_t> positions(const Shape& shape, const std::string& layout, Shape& buf_shape,
                               Shape& strides, int64_t& offset) {
  int64_t n = numel_of(shape);
  std::vector<int64_t> pos(static_cast<size_t>(n));
  size_t r = shape.size();
  buf_shape = shape;
  if (layout == "transposed") {
    if (r < 2) throw std::runtime_error("layout 'transposed' needs 2 dims");
    std::swap(buf_shape[r - 1], buf_shape[r - 2]);
    strides = contiguous_strides(buf_shape);
    std::swap(strides[r - 1], strides[r - 2]);
  } else if (layout == "sliced") {
    if (r < 1) throw std::runtime_error("layout 'sliced' needs 1 dim");
    buf_shape[0] *= 2;
    strides = contiguous_strides(buf_shape);
    offset = strides[0];
    strides[0] *= 2;
  } else if (layout == "expanded") {
    if (r < 1) throw std::runtime_error("layout 'expanded' needs 1 dim");
    buf_shape[0] = 1;
    strides = contiguous_strides(buf_shape);
    strides[0] = 0;
  } else if (layout == "contiguous") {
    strides = contiguous_strides(shape);
  } else {
    throw std::runtime_error("unknown layout '" + layout + "'");
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, off = 0;
    for (size_t d = r; d-- > 0;) {
      off += (rem % shape[d]) * strides[d];
      rem /= shape[d];
    }
    pos[static_cast<size_t>(i)] = offset + off;
  }
  return pos;
}

Scalar scalar_of(const json& v) {
  if (v.is_boolean()) return Scalar(v.get<bool>());
  if (v.is_number_integer()) return Scalar(v.get<int64_t>());
  return Scalar(number(v));
}

Tensor make_input(const json& spec) {
  if (spec.value("undefined", false)) return Tensor();
  DType dt = dtype_from_name(spec.at("dtype").get<std::string>());
  Shape shape = spec.at("shape").get<Shape>();
  const json& values = spec.at("values");
  if (spec.value("wrapped", false))
    return scalar_tensor(scalar_of(values.at(0)), dt, /*wrapped=*/true);
  Shape buf_shape, strides;
  int64_t offset = 0;
  auto pos =
      positions(shape, spec.value("layout", std::string("contiguous")), buf_shape, strides, offset);
  if (pos.size() != values.size()) throw std::runtime_error("values do not match the shape");
  Tensor base = empty(buf_shape, dt);
  BRAID_DISPATCH_ALL(dt, "parity", [&] { fill<scalar_t>(base, values, pos); });
  return as_strided(base, shape, strides, offset);
}

AttrValue make_attr(const std::string& name, const json& tagged) {
  if (!tagged.is_object() || tagged.size() != 1)
    throw std::runtime_error("attr '" + name + "' is not {kind: value}");
  const std::string& kind = tagged.begin().key();
  const json& v = tagged.begin().value();
  if (kind == "int") return v.get<int64_t>();
  if (kind == "float") return number(v);
  if (kind == "bool") return v.get<bool>();
  if (kind == "ints") return v.get<std::vector<int64_t>>();
  if (kind == "str") return v.get<std::string>();
  if (kind == "scalar") return scalar_of(v);
  throw std::runtime_error("attr '" + name + "' has unknown kind '" + kind + "'");
}

// -- comparing ------------------------------------------------------------------
std::string preview(const std::vector<double>& v, size_t from, size_t count = 8) {
  std::ostringstream os;
  os.precision(9);
  size_t b = from >= count / 2 ? from - count / 2 : 0, e = std::min(v.size(), b + count);
  if (b > 0) os << "[" << b << "]... ";
  for (size_t i = b; i < e; ++i) os << v[i] << (i + 1 < e ? " " : "");
  if (e < v.size()) os << " ... (" << v.size() << " values)";
  return os.str();
}

std::string describe_inputs(const json& c, const Attrs& attrs) {
  std::ostringstream os;
  size_t i = 0;
  for (const json& in : c.at("inputs")) {
    os << "    input " << i++ << ": ";
    if (in.value("undefined", false)) {
      os << "undefined\n";
      continue;
    }
    std::vector<double> v;
    for (const json& x : in.at("values")) v.push_back(number(x));
    os << in.at("dtype").get<std::string>() << " " << shape_str(in.at("shape").get<Shape>());
    if (in.contains("layout")) os << " " << in["layout"].get<std::string>();
    if (in.value("wrapped", false)) os << " wrapped";
    os << ": " << preview(v, 0) << "\n";
  }
  os << "    attrs: " << (attrs.items().empty() ? "(none)" : attrs.str()) << "\n";
  return os.str();
}

// Empty string when `got` matches `want`; else what differs, one line per problem.
std::string compare_output(const Tensor& got, const json& want) {
  std::ostringstream msg;
  DType want_dt = dtype_from_name(want.at("dtype").get<std::string>());
  Shape want_shape = want.at("shape").get<Shape>();
  std::string check = want.value("check", std::string("values"));
  if (got.shape() != want_shape)
    return "    shape: torch " + shape_str(want_shape) + ", braid " + shape_str(got.shape()) + "\n";
  if (got.dtype() != want_dt)
    msg << "    dtype: torch " << dtype_name(want_dt) << ", braid " << dtype_name(got.dtype())
        << "\n";
  if (check == "shape") return msg.str();
  // As doubles: exact for every value the fixtures hold (integers stay far below 2^53).
  std::vector<double> g = got.to_vector<double>(), w;
  for (const json& x : want.at("values")) w.push_back(number(x));
  if (check == "multiset") {
    auto by_value = [](double a, double b) { return std::isnan(b) ? !std::isnan(a) : a < b; };
    std::sort(g.begin(), g.end(), by_value);
    std::sort(w.begin(), w.end(), by_value);
  }
  bool exact = !is_floating(want_dt);
  double rtol = exact ? 0 : want.value("rtol", 1e-5), atol = exact ? 0 : want.value("atol", 1e-6);
  size_t bad = 0, first = 0, worst = 0;
  double max_diff = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    bool ok;
    double d = std::abs(g[i] - w[i]);
    if (std::isnan(w[i]) || std::isnan(g[i]))
      ok = std::isnan(w[i]) && std::isnan(g[i]);
    else if (std::isinf(w[i]) || std::isinf(g[i]))
      ok = g[i] == w[i];
    else
      ok = d <= atol + rtol * std::abs(w[i]);
    if (!ok && bad++ == 0) first = i;
    if (!ok && !(d <= max_diff)) {  // NaN/inf differences count as the worst
      max_diff = std::isnan(d) ? std::numeric_limits<double>::infinity() : d;
      worst = i;
    }
  }
  if (bad) {
    msg << "    " << bad << " of " << w.size() << " values differ"
        << (check == "multiset" ? " (compared sorted)" : "") << " (rtol " << rtol << ", atol "
        << atol << "); max |diff| " << max_diff << " at [" << worst << "]: torch " << w[worst]
        << ", braid " << g[worst] << "; first at [" << first << "]\n"
        << "      torch: " << preview(w, first) << "\n"
        << "      braid: " << preview(g, first) << "\n";
  }
  return msg.str();
}

// Runs one case; empty when braid matches PyTorch, else the report.
std::string run_case(const std::string& family, const json& c) {
  const std::string op = c.at("op").get<std::string>(), name = c.at("name").get<std::string>();
  std::vector<Tensor> inputs;
  Attrs attrs;
  for (const json& in : c.at("inputs")) inputs.push_back(make_input(in));
  for (const auto& [k, v] : c.at("attrs").items()) attrs.set(k, make_attr(k, v));
  std::string where = "[parity] " + family + " " + name;
  std::vector<Tensor> outs;
  try {
    outs = detail::call(op_id(op), inputs, attrs);
  } catch (const std::exception& e) {
    return where + ": braid threw, PyTorch did not:\n    " + e.what() + "\n" +
           describe_inputs(c, attrs);
  }
  const json& want = c.at("outputs");
  if (outs.size() != want.size())
    return where + ": number of outputs: torch " + std::to_string(want.size()) + ", braid " +
           std::to_string(outs.size()) + "\n" + describe_inputs(c, attrs);
  std::string report;
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string diff = compare_output(outs[i], want[i]);
    if (!diff.empty()) report += "  output " + std::to_string(i) + ":\n" + diff;
  }
  return report.empty()
             ? ""
             : where + " differs from PyTorch 1.13:\n" + report + describe_inputs(c, attrs);
}

class Parity : public ::testing::TestWithParam<ParityOp> {};

// BRAID_PARITY_CASE=<substring> runs only the cases whose name contains it.
TEST_P(Parity, MatchesTorch) {
  const ParityOp& p = GetParam();
  ASSERT_TRUE(p.error.empty()) << "[parity] " << p.error << "\n  regenerate: " << kRegenerate;
  const char* only = std::getenv("BRAID_PARITY_CASE");
  int failed = 0, ran = 0;
  for (const std::string& name : p.cases) {
    if (only && name.find(only) == std::string::npos) continue;
    ++ran;
    std::string report;
    try {
      report = run_case(p.family, fixture_case(p.family, name));
    } catch (const std::exception& e) {  // a malformed fixture, not a braid result
      report = "[parity] " + name + ": cannot run the case: " + e.what() + "\n";
    }
    if (!report.empty()) {
      ++failed;
      ADD_FAILURE() << report << "  regenerate: " << kRegenerate;
    }
  }
  EXPECT_EQ(failed, 0) << "[parity] " << failed << " of " << ran << " cases of op '" << p.op
                       << "' differ from PyTorch (listed above); BRAID_PARITY_CASE=<name> runs one";
}

INSTANTIATE_TEST_SUITE_P(Ops, Parity, ::testing::ValuesIn(load_ops()),
                         [](const ::testing::TestParamInfo<ParityOp>& i) {
                           return i.param.test_name;
                         });

// Every registered op has a fixture case or a stated exemption (manifest.json,
// from EXEMPT in scripts/gen_fixtures.py), and every case names a real op.
TEST(ParityCoverage, EveryOpHasCases) {
  std::set<std::string> covered;
  size_t listed = 0, found = 0;
  for (const ParityOp& p : load_ops()) listed += p.cases.size();
  for (const fs::path& p : fixture_files()) {
    json file = read_json(p);  // named: the loop must not outlive it
    for (const json& c : file.at("cases")) {
      covered.insert(c.at("op").get<std::string>());
      ++found;
    }
  }
  EXPECT_EQ(found, listed)
      << "[parity] manifest.json and the ops_*.json files disagree; regenerate: " << kRegenerate;
  json manifest = read_json(fs::path(BRAID_FIXTURE_DIR) / "manifest.json");
  std::set<std::string> exempt;
  for (const auto& [op, reason] : manifest.at("exempt").items()) {
    EXPECT_FALSE(reason.get<std::string>().empty())
        << "[parity] exemption of '" << op << "' gives no reason";
    exempt.insert(op);
  }
  std::set<std::string> registered;
  for (const OpDef& d : all_ops()) {
    registered.insert(std::string(d.name));
    EXPECT_TRUE(covered.count(std::string(d.name)) || exempt.count(std::string(d.name)))
        << "[parity] op '" << d.name
        << "' has no parity fixture: add a case in scripts/fixture_cases/ "
        << "(or list it in EXEMPT in scripts/gen_fixtures.py with the reason) and run "
        << kRegenerate;
  }
  for (const std::string& op : covered)
    EXPECT_TRUE(registered.count(op))
        << "[parity] fixtures test op '" << op << "', which is not registered; "
        << "regenerate: " << kRegenerate;
}

TEST(ParityCoverage, FixturesComeFromTorch113) {
  json manifest = read_json(fs::path(BRAID_FIXTURE_DIR) / "manifest.json");
  EXPECT_EQ(manifest.at("torch_version").get<std::string>().rfind("1.13", 0), 0u)
      << "[parity] fixtures were made with PyTorch " << manifest["torch_version"]
      << "; issue 2 asks for 1.13";
  for (const fs::path& p : fixture_files())
    EXPECT_EQ(read_json(p).at("torch_version"), manifest.at("torch_version"))
        << p << " is from another run";
}

}  // namespace
}  // namespace braid
