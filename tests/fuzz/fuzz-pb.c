/* fuzz-pb.c - the ONNX TensorProto reader of `gnet run` (.pb input files,
 * as in ONNX's test data). */
#include "fuzz-common.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  fuzz_setup ();
  /* Bytes with the .npy magic go to the .npy reader: fuzz-npy covers it. */
  if (size >= 6 && memcmp (data, "\x93NUMPY", 6) == 0)
    return -1;
  fuzz_tensor_bytes (data, size, "fuzz.pb");
  return 0;
}
