/* fuzz-pb.c - the ONNX TensorProto reader of `gnet run` (.pb input files,
 * as in ONNX's test data). */
#include "fuzz-common.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GnetTensor t;
  GError *error = NULL;
  gboolean ok;

  fuzz_setup ();
  /* Bytes with the .npy magic go to the .npy reader: fuzz-npy covers it. */
  if (size >= 6 && memcmp (data, "\x93NUMPY", 6) == 0)
    return -1;
  ok = gnet_tensor_load_bytes (data, size, "fuzz.pb", &t, &error);
  fuzz_check_error (ok, error);
  if (ok) {
    fuzz_touch (&t);
    gnet_tensor_clear (&t);
  }
  g_clear_error (&error);
  return 0;
}
