#pragma once
/// braid::log: TensorBoard event files (SummaryWriter).
