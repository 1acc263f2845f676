/* replay.c - feeds every file of the committed fuzz corpus to a harness's
 * LLVMFuzzerTestOneInput, without libFuzzer, so the normal test suite (any
 * compiler, with or without sanitizers) replays it on every run.
 *
 *   replay-model DIR_OR_FILE...
 *
 * Prints TAP: one test per file.  A harness aborts on a failure, which
 * fails the whole test; the TAP line before it names the file.
 */
#include "fuzz-common.h"

static guint n_run;

static void
replay_file (const gchar * path)
{
  gchar *bytes;
  gsize len;
  GError *error = NULL;

  if (!g_file_get_contents (path, &bytes, &len, &error)) {
    printf ("not ok %u - %s: %s\n", ++n_run, path, error->message);
    exit (1);
  }
  printf ("# %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  fflush (stdout);
  /* libFuzzer hands the harness a buffer of exactly len bytes: keep it so
   * (g_file_get_contents adds a NUL that would hide an overread). */
  {
    guint8 *exact = g_memdup2 (bytes, len);
    LLVMFuzzerTestOneInput (exact, len);
    g_free (exact);
  }
  printf ("ok %u - %s\n", ++n_run, path);
  g_free (bytes);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

static void
replay_dir (const gchar * dir_path)
{
  GError *error = NULL;
  GDir *dir = g_dir_open (dir_path, 0, &error);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  if (dir == NULL) {
    printf ("not ok %u - %s: %s\n", ++n_run, dir_path, error->message);
    exit (1);
  }
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_build_filename (dir_path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    replay_file (g_ptr_array_index (names, i));
  g_ptr_array_unref (names);
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
      replay_dir (argv[i]);
    else
      replay_file (argv[i]);
  }
  if (n_run == 0) {
    printf ("not ok 1 - no corpus files found\n");
    return 1;
  }
  printf ("1..%u\n", n_run);
  return 0;
}
