/* tsan-glib.c - GMutex and GCond on pthreads, for ThreadSanitizer builds.
 *
 * Debian's GLib implements GMutex and GCond with atomics and futexes inside
 * libglib, which is not instrumented, so ThreadSanitizer sees none of the
 * locking GStreamer does (appsrc's queue, pad locks, the object locks) and
 * reports every hand-over between threads as a race.  Linked into a test
 * executable of a -Db_sanitize=thread build, these definitions take the
 * place of GLib's for every library that calls them through the PLT
 * (GStreamer, the element, libgnet, the test); pthread calls are what
 * ThreadSanitizer understands.  GLib's own internal uses of GMutex are
 * bound inside libglib and keep GLib's implementation: no mutex is shared
 * between the two, as GLib does not hand its internal mutexes out.
 *
 * A mutex or condition holds a pointer to its pthread object in the
 * GMutex/GCond's first word, made on first use so that zeroed static ones
 * work, as with GLib's own non-futex implementation.
 */
#include <glib.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t *
mutex_impl (GMutex * mutex)
{
  pthread_mutex_t *impl = __atomic_load_n ((pthread_mutex_t **) & mutex->p,
      __ATOMIC_ACQUIRE);

  if (impl == NULL) {
    pthread_mutex_t *fresh = malloc (sizeof (pthread_mutex_t));

    if (fresh == NULL)
      abort ();
    pthread_mutex_init (fresh, NULL);
    if (__atomic_compare_exchange_n ((pthread_mutex_t **) & mutex->p, &impl,
            fresh, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      impl = fresh;
    } else {
      pthread_mutex_destroy (fresh);
      free (fresh);
    }
  }
  return impl;
}

static pthread_cond_t *
cond_impl (GCond * cond)
{
  pthread_cond_t *impl = __atomic_load_n ((pthread_cond_t **) & cond->p,
      __ATOMIC_ACQUIRE);

  if (impl == NULL) {
    pthread_cond_t *fresh = malloc (sizeof (pthread_cond_t));
    pthread_condattr_t attr;

    if (fresh == NULL)
      abort ();
    /* g_cond_wait_until() takes monotonic time */
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (fresh, &attr);
    pthread_condattr_destroy (&attr);
    if (__atomic_compare_exchange_n ((pthread_cond_t **) & cond->p, &impl,
            fresh, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      impl = fresh;
    } else {
      pthread_cond_destroy (fresh);
      free (fresh);
    }
  }
  return impl;
}

void
g_mutex_init (GMutex * mutex)
{
  mutex->p = NULL;
  mutex_impl (mutex);
}

void
g_mutex_clear (GMutex * mutex)
{
  pthread_mutex_t *impl = mutex->p;

  if (impl) {
    pthread_mutex_destroy (impl);
    free (impl);
  }
  mutex->p = NULL;
}

void
g_mutex_lock (GMutex * mutex)
{
  pthread_mutex_lock (mutex_impl (mutex));
}

void
g_mutex_unlock (GMutex * mutex)
{
  pthread_mutex_unlock (mutex_impl (mutex));
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  return pthread_mutex_trylock (mutex_impl (mutex)) == 0;
}

void
g_cond_init (GCond * cond)
{
  cond->p = NULL;
  cond_impl (cond);
}

void
g_cond_clear (GCond * cond)
{
  pthread_cond_t *impl = cond->p;

  if (impl) {
    pthread_cond_destroy (impl);
    free (impl);
  }
  cond->p = NULL;
}

void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  pthread_cond_wait (cond_impl (cond), mutex_impl (mutex));
}

void
g_cond_signal (GCond * cond)
{
  pthread_cond_signal (cond_impl (cond));
}

void
g_cond_broadcast (GCond * cond)
{
  pthread_cond_broadcast (cond_impl (cond));
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  struct timespec ts;

  ts.tv_sec = end_time / G_USEC_PER_SEC;
  ts.tv_nsec = (end_time % G_USEC_PER_SEC) * 1000;
  return pthread_cond_timedwait (cond_impl (cond), mutex_impl (mutex),
      &ts) != ETIMEDOUT;
}
