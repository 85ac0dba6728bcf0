#pragma once
/// Keras 3's progress bar (keras.utils.Progbar as ProgbarLogger drives it):
///
///     1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9123 - loss: 0.2874
///
/// verbose 1 on a terminal redraws the line in place (\r, at most every
/// 50 ms) with the ETA, in Keras' colours; on another stream (a file, a
/// pipe, a test's ostringstream) it writes only the final line, plain.
/// verbose 2 writes "1875/1875 - 3s - 2ms/step - ..." once, at the end.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "braid/train/callbacks.hpp"

namespace braid::train {

/// " 2ms/step": whole s, ms or us per unit as Keras' _format_time.
std::string format_time_per_unit(double seconds, const std::string& unit = "step");
/// " - accuracy: 0.9123 - loss: 0.2874": 4 decimals, or %.4e when |v| <= 1e-3.
std::string format_logs(const Logs& logs);
/// The text of one verbose-1 line (no \r, no newline). finalize: the elapsed
/// time instead of the ETA. color: Keras' ANSI bold / green / white.
std::string progbar_line(int64_t current, int64_t target, double elapsed_s, double per_step_s,
                         const Logs& logs, bool finalize, bool color = false);

class Progbar {
 public:
  /// target: steps in the epoch. dynamic: redraw in place (a terminal);
  /// by default whether `os` is std::cout on a terminal.
  Progbar(std::ostream& os, int64_t target, int verbose, int dynamic = -1);
  void update(int64_t current, const Logs& logs, bool finalize = false);

 private:
  double per_step(int64_t current, double now) const;
  std::ostream& os_;
  int64_t target_;
  int verbose_;
  bool dynamic_;
  std::chrono::steady_clock::time_point start_;
  double last_update_ = -1, after_first_ = -1;
  size_t prev_width_ = 0;
};

/// Whether `os` is std::cout / std::cerr attached to a terminal.
bool is_terminal(const std::ostream& os);

}  // namespace braid::train
