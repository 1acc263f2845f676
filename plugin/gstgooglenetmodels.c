/* gstgooglenetmodels.c - the process-wide cache of loaded models.
 *
 * An entry is one load of one file: its canonical path, the identity of the
 * bytes read (device, inode, size, modification and change times, taken
 * from the open file itself, so what was read is what is described), the
 * model, and how many elements use it.  A lookup matches path and identity,
 * so a file rewritten or replaced since its load is loaded again while the
 * elements still running the old copy keep it until they stop.
 *
 * One mutex guards the list; loading happens outside it, so elements
 * starting with different files do not wait for each other.  An element
 * asking for a file another is loading waits for that load rather than
 * reading the file a second time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgooglenetmodels.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file read while it is being written is read again, this many times. */
#define MAX_READS 3

typedef struct
{
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  struct timespec ctime;
} FileId;

typedef struct
{
  gchar *path;                  /* canonical */
  FileId id;
  GnetModel *model;             /* NULL while loading or if loading failed */
  GError *error;                /* why loading failed */
  gboolean loading;
  guint users;
} Entry;

static GMutex models_lock;
static GCond models_cond;
static GList *models;           /* Entry*, under models_lock */

static void
file_id_from_stat (FileId * id, const struct stat *st)
{
  memset (id, 0, sizeof (*id));
  id->dev = st->st_dev;
  id->ino = st->st_ino;
  id->size = st->st_size;
  id->mtime = st->st_mtim;
  id->ctime = st->st_ctim;
}

static gboolean
file_id_equal (const FileId * a, const FileId * b)
{
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size
      && a->mtime.tv_sec == b->mtime.tv_sec
      && a->mtime.tv_nsec == b->mtime.tv_nsec
      && a->ctime.tv_sec == b->ctime.tv_sec
      && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void
entry_free (Entry * e)
{
  g_free (e->path);
  g_clear_error (&e->error);
  gnet_model_unref (e->model);
  g_free (e);
}

static gboolean
io_error (GError ** error, const gchar * path, const gchar * what, int errsv)
{
  g_set_error (error, GNET_ERROR, GNET_ERROR_IO,
      "cannot read model: %s \"%s\": %s", what, path, g_strerror (errsv));
  return FALSE;
}

/* Reads the whole regular file open on `fd` into *bytes, and its identity
 * as it was while read (the same before and after, or the read is
 * repeated). */
static gboolean
read_file (int fd, const gchar * path, guint8 ** bytes, FileId * id,
    GError ** error)
{
  guint attempt;

  for (attempt = 0; attempt < MAX_READS; attempt++) {
    struct stat before, after;
    FileId id_after;
    guint8 *buf, extra;
    gsize done = 0;
    ssize_t n = 0;

    if (fstat (fd, &before) != 0)
      return io_error (error, path, "could not stat", errno);
    if (!S_ISREG (before.st_mode))
      return io_error (error, path, "not a regular file", EINVAL);
    buf = g_try_malloc (MAX (1, before.st_size));
    if (buf == NULL)
      return io_error (error, path, "no memory for", ENOMEM);
    while (done < (gsize) before.st_size) {
      n = pread (fd, buf + done, before.st_size - done, done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
    if (done < (gsize) before.st_size && n < 0) {
      int errsv = errno;

      g_free (buf);
      return io_error (error, path, "could not read", errsv);
    }
    /* Shorter or longer than stat said: being written; try again. */
    while ((n = pread (fd, &extra, 1, done)) < 0 && errno == EINTR);
    if (fstat (fd, &after) != 0) {
      int errsv = errno;

      g_free (buf);
      return io_error (error, path, "could not stat", errsv);
    }
    file_id_from_stat (id, &before);
    file_id_from_stat (&id_after, &after);
    if (done == (gsize) before.st_size && n == 0
        && file_id_equal (id, &id_after)) {
      *bytes = buf;
      return TRUE;
    }
    g_free (buf);
  }
  return io_error (error, path, "kept changing while reading", EAGAIN);
}

static Entry *
find_entry (const gchar * path, const FileId * id)
{
  GList *l;

  for (l = models; l; l = l->next) {
    Entry *e = l->data;

    if (g_str_equal (e->path, path) && file_id_equal (&e->id, id)
        && (e->loading || e->model))
      return e;
  }
  return NULL;
}

/* Called with the lock held. */
static void
entry_unuse (Entry * e)
{
  if (--e->users > 0)
    return;
  models = g_list_remove (models, e);
  entry_free (e);
}

/* Loads the file into a new entry while other threads may look the list
 * up; returns the entry's model or NULL. */
static GnetModel *
load_entry (Entry * e, const gchar * path, guint8 * bytes, GError ** error)
{
  GnetModel *model;
  GError *err = NULL;

  model = gnet_model_load_bytes (bytes, e->id.size, path, &err);
  g_free (bytes);

  g_mutex_lock (&models_lock);
  e->loading = FALSE;
  if (model)
    e->model = model;
  else
    e->error = g_error_copy (err);
  g_cond_broadcast (&models_cond);
  if (model == NULL) {
    g_propagate_error (error, err);
    entry_unuse (e);
  }
  g_mutex_unlock (&models_lock);
  return model ? gnet_model_ref (model) : NULL;
}

/* Called with the lock held, which it releases: waits for the entry's
 * load if it is still running and shares the result. */
static GnetModel *
share_entry (Entry * e, gboolean * shared, GError ** error)
{
  GnetModel *model = NULL;

  e->users++;
  while (e->loading)
    g_cond_wait (&models_cond, &models_lock);
  if (e->model) {
    model = gnet_model_ref (e->model);
    *shared = TRUE;
  } else {
    g_propagate_error (error, g_error_copy (e->error));
    entry_unuse (e);
  }
  g_mutex_unlock (&models_lock);
  return model;
}

GnetModel *
gst_googlenet_models_acquire (const gchar * path, gboolean * shared,
    GError ** error)
{
  gchar *canonical;
  guint8 *bytes = NULL;
  GnetModel *model = NULL;
  struct stat st;
  FileId id;
  Entry *e;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *shared = FALSE;
  canonical = realpath (path, NULL);
  if (canonical == NULL) {
    io_error (error, path, "could not open", errno);
    return NULL;
  }
  /* O_NONBLOCK: a FIFO named as a model must not hang the caller. */
  fd = open (canonical, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st) != 0) {
    io_error (error, path, "could not open", errno);
    goto out;
  }
  file_id_from_stat (&id, &st);

  /* Already loaded (or being loaded): nothing to read. */
  g_mutex_lock (&models_lock);
  e = find_entry (canonical, &id);
  if (e) {
    model = share_entry (e, shared, error);
    goto out;
  }
  g_mutex_unlock (&models_lock);

  if (!read_file (fd, path, &bytes, &id, error))
    goto out;

  /* Another element may have loaded the same bytes meanwhile. */
  g_mutex_lock (&models_lock);
  e = find_entry (canonical, &id);
  if (e) {
    model = share_entry (e, shared, error);
    g_free (bytes);
    goto out;
  }
  e = g_new0 (Entry, 1);
  e->path = g_strdup (canonical);
  e->id = id;
  e->loading = TRUE;
  e->users = 1;
  models = g_list_prepend (models, e);
  g_mutex_unlock (&models_lock);
  model = load_entry (e, path, bytes, error);

out:
  if (fd >= 0)
    close (fd);
  free (canonical);
  return model;
}

void
gst_googlenet_models_release (GnetModel * model)
{
  GList *l;

  if (model == NULL)
    return;

  g_mutex_lock (&models_lock);
  for (l = models; l; l = l->next) {
    Entry *e = l->data;

    if (e->model == model) {
      entry_unuse (e);
      break;
    }
  }
  g_mutex_unlock (&models_lock);
  g_warn_if_fail (l != NULL);
  gnet_model_unref (model);
}
