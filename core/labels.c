/* labels.c - class names: labels files and the model's "labels" metadata.
 *
 * One label per line, in the order of the model's class scores.  Lines of
 * the ImageNet synset.txt form "n01440764 tench, Tinca tinca" keep the text
 * after the WordNet id ("tench, Tinca tinca"); shortening that for display
 * is left to whoever draws it, and the `classes` filter matches a label by
 * its whole text or by its first comma-separated name ("tench").
 */
#include "gnet-private.h"
#include "detect-private.h"

#include <string.h>

/* "n" followed by eight digits and a space: a WordNet synset id. */
static gboolean
is_synset_line (const gchar * line)
{
  if (line[0] != 'n')
    return FALSE;
  for (guint i = 1; i <= 8; i++)
    if (!g_ascii_isdigit (line[i]))
      return FALSE;
  return line[9] == ' ' || line[9] == '\t';
}

gchar **
gnet__labels_parse (const gchar * text, const gchar * what, GError ** error)
{
  gchar **lines;
  GPtrArray *labels;
  guint n_lines;

  lines = g_strsplit (text, "\n", -1);
  n_lines = g_strv_length (lines);
  /* Blank lines at the end are ignored, so a trailing newline (or several)
   * does not add classes. */
  while (n_lines > 0 && g_strstrip (lines[n_lines - 1])[0] == '\0')
    n_lines--;

  labels = g_ptr_array_new ();
  for (guint i = 0; i < n_lines; i++) {
    gchar *line = g_strstrip (lines[i]);        /* also drops "\r" */

    if (is_synset_line (line))
      line = g_strchug (line + 10);
    g_ptr_array_add (labels, g_strdup (line));
  }
  g_ptr_array_add (labels, NULL);
  g_strfreev (lines);

  if (labels->len == 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "%s: no labels (the file is empty)", what);
    g_ptr_array_free (labels, TRUE);
    return NULL;
  }
  return (gchar **) g_ptr_array_free (labels, FALSE);
}

gchar **
gnet_labels_load_file (const gchar * path, GError ** error)
{
  gchar *text = NULL;
  gchar **labels;
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, NULL, &local)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO,
        "labels file %s: %s", path, local->message);
    g_error_free (local);
    return NULL;
  }
  if (!g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "labels file %s: not UTF-8 text", path);
    g_free (text);
    return NULL;
  }
  labels = gnet__labels_parse (text, path, error);
  g_free (text);
  return labels;
}

gboolean
gnet__label_matches (const gchar * label, const gchar * name)
{
  const gchar *comma;
  gsize len;

  if (g_ascii_strcasecmp (label, name) == 0)
    return TRUE;
  comma = strchr (label, ',');
  if (comma == NULL)
    return FALSE;
  len = comma - label;
  return strlen (name) == len && g_ascii_strncasecmp (label, name, len) == 0;
}
