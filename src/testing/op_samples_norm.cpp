// Gradcheck samples for the norm family.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

void add_norm_samples(SampleTable& t) {}

}  // namespace braid::testing
