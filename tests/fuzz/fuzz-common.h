/* fuzz-common.h - what the three fuzz harnesses share.
 *
 * Each harness is one LLVMFuzzerTestOneInput() built twice: with libFuzzer
 * (clang, -Dfuzzing=true) to search for inputs, and with replay.c (any
 * compiler, every test run) to feed it the committed corpus.  A harness
 * aborts on anything the library must never do with bad bytes: crash, leave
 * an error unset or outside GNET_ERROR, log a critical, hand out a tensor
 * whose data is shorter than its shape.
 */
#ifndef GNET_FUZZ_COMMON_H
#define GNET_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gnet.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* Keeps the planner well under libFuzzer's -malloc_limit_mb (1024) so a
 * plan the limit should have refused shows up as an allocation report. */
#define FUZZ_MAX_ARENA_MB "256"

static inline void
fuzz_setup (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_setenv ("GNET_MAX_ARENA_MB", FUZZ_MAX_ARENA_MB, TRUE);
  /* A g_return_if_fail reached from file contents is a library bug. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

static inline void
fuzz_check_error (gboolean ok, GError * error)
{
  if (ok) {
    if (error != NULL) {
      fprintf (stderr, "success with an error set: %s\n", error->message);
      abort ();
    }
    return;
  }
  if (error == NULL || error->domain != GNET_ERROR
      || error->code < 0 || error->code >= GNET_ERROR_COUNT
      || error->message == NULL || error->message[0] == '\0') {
    fprintf (stderr, "failure without a proper GNET_ERROR: %s\n",
        error ? error->message : "(no error)");
    abort ();
  }
}

/* Reads every byte of a tensor: AddressSanitizer reports a buffer shorter
 * than the shape says. */
static inline guint8
fuzz_touch (const GnetTensor * t)
{
  gint64 numel = gnet_tensor_numel (t);
  gsize bytes = (gsize) numel * gnet_dtype_size (t->dtype);
  const volatile guint8 *p = t->data;
  guint8 sum = 0;

  if (numel < 0 || (bytes > 0 && p == NULL)) {
    fprintf (stderr, "tensor with %" G_GINT64_FORMAT " elements, data %p\n",
        numel, t->data);
    abort ();
  }
  for (gsize i = 0; i < bytes; i++)
    sum += p[i];
  return sum;
}

/* One tensor file of `gnet run` through gnet_tensor_load_bytes: a clean
 * GError or a tensor whose every byte can be read. */
static inline void
fuzz_tensor_bytes (const uint8_t * data, size_t size, const gchar * name)
{
  GnetTensor t;
  GError *error = NULL;
  gboolean ok;

  ok = gnet_tensor_load_bytes (data, size, name, &t, &error);
  fuzz_check_error (ok, error);
  if (ok) {
    fuzz_touch (&t);
    gnet_tensor_clear (&t);
  }
  g_clear_error (&error);
}

#endif /* GNET_FUZZ_COMMON_H */
