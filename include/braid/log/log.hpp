#pragma once
/// The log layer, namespace braid::tensorboard: TensorBoard event files
/// (SummaryWriter) and their TFRecord framing (record.hpp: CRC-32C,
/// read_records for tools and tests). The namespace is not `log` because
/// braid::log is the elementwise logarithm.
#include "braid/log/record.hpp"
#include "braid/log/summary_writer.hpp"
