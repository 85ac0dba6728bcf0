#include "braid/train/summary.hpp"

#include <array>
#include <cctype>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::train {

std::string group_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string readable_size(double bytes) {
  static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  for (const char* u : units) {
    if (bytes / 1024 < 1) return fmt::format("{:.2f} {}", bytes, u);
    if (std::string(u) != "PB") bytes /= 1024;
  }
  return fmt::format("{:.2f} PB", bytes);
}

std::string snake_case(const std::string& s) {
  // Keras' to_snake_case: "_" before an upper-case letter that starts a word
  // ("MyNet" -> "my_net") or follows a lower-case one ("ReLU" -> "re_lu").
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool up = std::isupper((unsigned char)s[i]);
    const bool word = up && i + 1 < s.size() && std::islower((unsigned char)s[i + 1]);
    const bool after_lower = up && i > 0 && std::islower((unsigned char)s[i - 1]);
    if (i > 0 && (word || after_lower) && out.back() != '_') out += '_';
    out += char(std::tolower((unsigned char)s[i]));
  }
  return out;
}

namespace {

struct Count {
  int64_t trainable = 0, frozen = 0;
  double trainable_bytes = 0, frozen_bytes = 0;
  int64_t total() const { return trainable + frozen; }
};

Count count(const nn::Module& m) {
  Count c;
  for (const Tensor& p : m.parameters()) {
    (p.requires_grad() ? c.trainable : c.frozen) += p.numel();
    (p.requires_grad() ? c.trainable_bytes : c.frozen_bytes) +=
        double(p.numel() * p.element_size());
  }
  for (const Tensor& b : m.buffers()) {
    if (!b.is_floating_point()) continue;
    c.frozen += b.numel();
    c.frozen_bytes += double(b.numel() * b.element_size());
  }
  return c;
}

std::string shape_text(const Shape& s) {
  std::string r = "(None";
  for (size_t i = 1; i < s.size(); ++i) r += ", " + std::to_string(s[i]);
  return r + ")";
}

std::string repeat(const char* s, size_t n) {
  std::string r;
  for (size_t i = 0; i < n; ++i) r += s;
  return r;
}

size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad(const std::string& s, size_t w, bool right) {
  const std::string fill(w > columns(s) ? w - columns(s) : 0, ' ');
  return right ? fill + s : s + fill;
}

// Puts the module back as it was (mode, hooks) however the forward pass ends.
struct Restore {
  nn::Module& m;
  bool training;
  std::vector<nn::HookHandle> hooks;
  ~Restore() {
    for (auto& h : hooks) h.remove();
    m.train(training);
  }
};

}  // namespace

std::string summary(nn::Module& module, const Shape& input_shape, DType dtype) {
  std::vector<std::pair<std::string, nn::Module*>> rows = module.named_children();
  if (rows.empty()) rows.emplace_back(snake_case(module.name()), &module);
  std::vector<std::string> shapes(rows.size(), "?");
  {
    Restore restore{module, module.is_training(), {}};
    for (size_t i = 0; i < rows.size(); ++i)
      restore.hooks.push_back(rows[i].second->register_forward_hook(
          [&shapes, i](nn::Module&, const Tensor&, const Tensor& out) -> std::optional<Tensor> {
            if (shapes[i] == "?") shapes[i] = shape_text(out.shape());
            return std::nullopt;
          }));
    module.eval();
    NoGradGuard no_grad;
    Shape batch{1};
    batch.insert(batch.end(), input_shape.begin(), input_shape.end());
    module(zeros(batch, dtype));
  }

  std::vector<std::array<std::string, 3>> cells;
  for (size_t i = 0; i < rows.size(); ++i)
    cells.push_back({fmt::format("{} ({})", rows[i].first, rows[i].second->type_name()), shapes[i],
                     group_thousands(count(*rows[i].second).total())});
  // Keras' widths on an 80-column console (rich's table at 76 columns).
  std::array<size_t, 3> w = {31, 22, 13};
  for (const auto& c : cells)
    for (size_t j = 0; j < 3; ++j) w[j] = std::max(w[j], columns(c[j]));
  auto rule = [&](const char* l, const char* h, const char* m, const char* r) {
    return fmt::format("{}{}{}{}{}{}{}\n", l, repeat(h, w[0] + 2), m, repeat(h, w[1] + 2), m,
                       repeat(h, w[2] + 2), r);
  };
  auto line = [&](const std::array<std::string, 3>& c, const char* bar) {
    return fmt::format("{0} {1} {0} {2} {0} {3} {0}\n", bar, pad(c[0], w[0], false),
                       pad(c[1], w[1], false), pad(c[2], w[2], true));
  };
  std::string s = fmt::format("Model: \"{}\"\n", snake_case(module.name()));
  s += rule("┏", "━", "┳", "┓");
  s += line({"Layer (type)", "Output Shape", "Param #"}, "┃");
  s += rule("┡", "━", "╇", "┩");
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) s += rule("├", "─", "┼", "┤");
    s += line(cells[i], "│");
  }
  s += rule("└", "─", "┴", "┘");
  const Count c = count(module);
  s += fmt::format(" Total params: {} ({})\n", group_thousands(c.total()),
                   readable_size(c.trainable_bytes + c.frozen_bytes));
  s += fmt::format(" Trainable params: {} ({})\n", group_thousands(c.trainable),
                   readable_size(c.trainable_bytes));
  s += fmt::format(" Non-trainable params: {} ({})\n", group_thousands(c.frozen),
                   readable_size(c.frozen_bytes));
  return s;
}

}  // namespace braid::train
