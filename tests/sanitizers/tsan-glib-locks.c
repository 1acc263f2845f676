/* tsan-glib-locks.c - makes GLib's GMutex, GRecMutex and GCond visible to
 * ThreadSanitizer in a -Dsanitize=thread build.
 *
 * Debian's GLib is not instrumented, and on Linux GMutex and GCond are
 * futexes and atomics inside it, not pthread calls that TSan intercepts;
 * a GRecMutex is a pthread mutex, but locked from GLib, whose calls TSan
 * ignores (ignore_noninstrumented_modules).
 * Without this, every hand-over under GST_OBJECT_LOCK, a pad's queue or
 * the element's worker lock looks like a race.  Preloaded by the TSan test
 * setup, this wraps the calls that cross a library boundary (ours, and
 * GStreamer's) and tells TSan that unlocking a mutex happens before the
 * next lock of it.  Calls inside GLib itself do not go through here.
 *
 * Built without instrumentation: it also gets preloaded into programs that
 * have no TSan runtime (bash, python3), where the weak annotations are
 * NULL and it only passes the calls on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib.h>

extern void __tsan_acquire (void *addr) __attribute__((weak));
extern void __tsan_release (void *addr) __attribute__((weak));

#define REAL(ret, name, args)                                   \
  static ret (*real_##name) args;                               \
  if (real_##name == NULL)                                      \
    real_##name = (ret (*) args) dlsym (RTLD_NEXT, #name)

static inline void
acquired (gpointer mutex)
{
  if (__tsan_acquire)
    __tsan_acquire (mutex);
}

static inline void
releasing (gpointer mutex)
{
  if (__tsan_release)
    __tsan_release (mutex);
}

void
g_mutex_lock (GMutex * mutex)
{
  REAL (void, g_mutex_lock, (GMutex *));
  real_g_mutex_lock (mutex);
  acquired (mutex);
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  gboolean locked;

  REAL (gboolean, g_mutex_trylock, (GMutex *));
  locked = real_g_mutex_trylock (mutex);
  if (locked)
    acquired (mutex);
  return locked;
}

void
g_mutex_unlock (GMutex * mutex)
{
  REAL (void, g_mutex_unlock, (GMutex *));
  releasing (mutex);
  real_g_mutex_unlock (mutex);
}

void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  REAL (void, g_cond_wait, (GCond *, GMutex *));
  releasing (mutex);
  real_g_cond_wait (cond, mutex);
  acquired (mutex);
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  gboolean signalled;

  REAL (gboolean, g_cond_wait_until, (GCond *, GMutex *, gint64));
  releasing (mutex);
  signalled = real_g_cond_wait_until (cond, mutex, end_time);
  acquired (mutex);
  return signalled;
}

void
g_rec_mutex_lock (GRecMutex * mutex)
{
  REAL (void, g_rec_mutex_lock, (GRecMutex *));
  real_g_rec_mutex_lock (mutex);
  acquired (mutex);
}

gboolean
g_rec_mutex_trylock (GRecMutex * mutex)
{
  gboolean locked;

  REAL (gboolean, g_rec_mutex_trylock, (GRecMutex *));
  locked = real_g_rec_mutex_trylock (mutex);
  if (locked)
    acquired (mutex);
  return locked;
}

void
g_rec_mutex_unlock (GRecMutex * mutex)
{
  REAL (void, g_rec_mutex_unlock, (GRecMutex *));
  releasing (mutex);
  real_g_rec_mutex_unlock (mutex);
}
