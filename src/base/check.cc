#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace cardinalsin::base::internal {

void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "CS_CHECK failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace cardinalsin::base::internal
