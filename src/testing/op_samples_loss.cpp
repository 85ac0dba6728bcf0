// Gradcheck samples for the loss family.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

void add_loss_samples(SampleTable& t) {}

}  // namespace braid::testing
