// Gradcheck samples for the recurrent family.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

void add_recurrent_samples(SampleTable& t) {}

}  // namespace braid::testing
