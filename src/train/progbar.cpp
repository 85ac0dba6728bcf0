#include "braid/train/progbar.hpp"

#include <unistd.h>

#include <cmath>
#include <iostream>

#include "braid/core/error.hpp"

namespace braid::train {

std::string format_time_per_unit(double t, const std::string& unit) {
  if (t >= 1 || t == 0) return fmt::format(" {:.0f}s/{}", t, unit);
  if (t >= 1e-3) return fmt::format(" {:.0f}ms/{}", t * 1e3, unit);
  return fmt::format(" {:.0f}us/{}", t * 1e6, unit);
}

std::string format_logs(const Logs& logs) {
  std::string s;
  for (const auto& [k, v] : logs)
    s += std::abs(v) > 1e-3 ? fmt::format(" - {}: {:.4f}", k, v)
                            : fmt::format(" - {}: {:.4e}", k, v);
  return s;
}

namespace {

// The ETA as Keras writes it: "42s", "3:07" or "1:02:03".
std::string eta_text(double eta) {
  const auto e = int64_t(eta);
  if (eta > 3600) return fmt::format("{}:{:02d}:{:02d}", e / 3600, (e % 3600) / 60, e % 60);
  if (eta > 60) return fmt::format("{}:{:02d}", e / 60, e % 60);
  return fmt::format("{}s", e);
}

// UTF-8 characters in s (the bar's ━ is 3 bytes, 1 column).
size_t columns(const std::string& s) {
  size_t n = 0;
  bool esc = false;
  for (unsigned char c : s) {
    if (c == 0x1b) esc = true;
    if (esc) {
      if (c == 'm') esc = false;
      continue;
    }
    n += (c & 0xC0) != 0x80;
  }
  return n;
}

std::string repeat(const char* s, int64_t n) {
  std::string r;
  for (int64_t i = 0; i < n; ++i) r += s;
  return r;
}

}  // namespace

std::string progbar_line(int64_t current, int64_t target, double elapsed_s, double per_step_s,
                         const Logs& logs, bool finalize, bool color) {
  const char* bold = color ? "\x1b[1m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  const int64_t width = 20;
  const int digits = int(std::log10(double(target))) + 1;
  std::string s = fmt::format("{}{:>{}}/{}{} ", bold, current, digits, target, reset);
  const int64_t done = std::min<int64_t>(width, width * current / target);
  if (done > 0) s += fmt::format("{}{}{}", color ? "\x1b[32m" : "", repeat("━", done), reset);
  s += fmt::format("{}{}{}", color ? "\x1b[37m" : "", repeat("━", width - done), reset);
  const std::string t = finalize ? fmt::format("{:.0f}s", elapsed_s)
                                 : eta_text(per_step_s * double(target - current));
  s += fmt::format(" {}{}{}", bold, t, reset);
  return s + format_time_per_unit(per_step_s) + format_logs(logs);
}

bool is_terminal(const std::ostream& os) {
  if (&os == &std::cout) return ::isatty(STDOUT_FILENO);
  if (&os == &std::cerr || &os == &std::clog) return ::isatty(STDERR_FILENO);
  return false;
}

Progbar::Progbar(std::ostream& os, int64_t target, int verbose, int dynamic)
    : os_(os),
      target_(std::max<int64_t>(target, 1)),
      verbose_(verbose),
      dynamic_(dynamic < 0 ? is_terminal(os) : dynamic != 0),
      start_(std::chrono::steady_clock::now()) {}

// Seconds per step, leaving out the first step (compilation, warm-up) once
// there are others, as Keras' _estimate_step_duration.
double Progbar::per_step(int64_t current, double now) const {
  if (current <= 0) return 0;
  if (after_first_ >= 0 && current > 1) return (now - after_first_) / double(current - 1);
  return now / double(current);
}

void Progbar::update(int64_t current, const Logs& logs, bool finalize) {
  const double now =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per = per_step(current, now);
  if (current == 1 && after_first_ < 0) after_first_ = now;
  if (verbose_ == 2) {
    if (finalize)
      os_ << fmt::format("{:>{}}/{} - {:.0f}s -{}{}\n", current,
                         int(std::log10(double(target_))) + 1, target_, now,
                         format_time_per_unit(per), format_logs(logs))
          << std::flush;
    return;
  }
  if (verbose_ != 1) return;
  // Off a terminal only the final line is written (one line per epoch).
  if (!dynamic_ && !finalize) return;
  if (!finalize && last_update_ >= 0 && now - last_update_ < 0.05) return;
  last_update_ = now;
  const std::string line = progbar_line(current, target_, now, per, logs, finalize, dynamic_);
  if (!dynamic_) {
    os_ << line << '\n' << std::flush;
    return;
  }
  const size_t width = columns(line);
  std::string msg = "\r" + line;
  if (prev_width_ > width) msg += std::string(prev_width_ - width, ' ');
  prev_width_ = width;
  os_ << msg << (finalize ? "\n" : "") << std::flush;
}

}  // namespace braid::train
