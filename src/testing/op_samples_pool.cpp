// Gradcheck samples for the pool family.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

void add_pool_samples(SampleTable& t) {}

}  // namespace braid::testing
