#include "braid/core/grad_mode.hpp"

#include <atomic>

#include "braid/core/node.hpp"

namespace braid {

namespace {
thread_local bool t_grad_enabled = true;
thread_local bool t_anomaly = false;
std::atomic<uint64_t> g_sequence{0};
}  // namespace

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool on) { t_grad_enabled = on; }
bool is_anomaly_enabled() { return t_anomaly; }
void set_anomaly_enabled(bool on) { t_anomaly = on; }

namespace detail {
uint64_t next_sequence_nr() { return g_sequence.fetch_add(1, std::memory_order_relaxed); }
}  // namespace detail

}  // namespace braid
