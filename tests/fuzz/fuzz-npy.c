/* fuzz-npy.c - the .npy reader of `gnet run` (gnet_tensor_load_bytes on
 * bytes that start with the .npy magic). */
#include "fuzz-common.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  fuzz_setup ();
  /* Other bytes go to the TensorProto reader, which fuzz-pb covers. */
  if (size < 6 || memcmp (data, "\x93NUMPY", 6) != 0)
    return -1;
  fuzz_tensor_bytes (data, size, "fuzz.npy");
  return 0;
}
