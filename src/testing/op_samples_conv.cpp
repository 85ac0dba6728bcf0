// Gradcheck samples for the conv family.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

void add_conv_samples(SampleTable& t) {}

}  // namespace braid::testing
