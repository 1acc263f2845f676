/* parallel.c - one persistent pool of worker threads for the operators.
 *
 * A forward pass splits its work into n parts and calls
 * gnet__parallel_run(); the caller runs part 0 and worker i runs part i.
 * Workers are created the first time a run asks for them and then live as
 * long as the process, so running a frame creates no thread and allocates
 * nothing.  Between parts of a run (a few hundred microseconds apart) a
 * worker spins briefly before sleeping, because waking a sleeping thread
 * costs about as much as a small layer.
 *
 * Sessions may run in several threads at once; only one of them uses the
 * pool at a time and the others run their parts in turn themselves, which
 * is what they would get from the two cores anyway.
 */
#include "gnet-private.h"

#define POOL_MAX_WORKERS 63
/* How long a worker or the caller spins before sleeping. */
#define POOL_SPIN_US 100

typedef struct
{
  gint ticket;                  /* bumped by the caller to hand out a part */
  GThread *thread;
  guint8 pad[GNET_ALIGN - sizeof (gint) - sizeof (GThread *)];
} Worker;

typedef struct
{
  GMutex busy;                  /* held by the session using the pool */
  GMutex lock;                  /* guards sleeping on wake / done */
  GCond wake;
  GCond done;
  gint sleepers;                /* workers waiting on wake */
  gint caller_sleeping;
  gint pending;                 /* parts handed out and not finished */
  guint n_workers;
  GnetParallelFunc func;
  gpointer data;
  guint n;
  Worker workers[POOL_MAX_WORKERS + 1]; /* [0] unused: the caller */
} Pool;

static Pool pool;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

/* Spins while (*value == old) == equal, for at most POOL_SPIN_US; TRUE if
 * that stopped being so. */
static gboolean
spin_while (gint * value, gint old, gboolean equal)
{
  gint64 until = 0;

  for (guint i = 1;; i++) {
    if ((g_atomic_int_get (value) == old) != equal)
      return TRUE;
    cpu_relax ();
    if (i % 256 == 0) {
      gint64 now = g_get_monotonic_time ();

      if (until == 0)
        until = now + POOL_SPIN_US;
      else if (now >= until)
        return FALSE;
    }
  }
}

static gpointer
worker_main (gpointer user_data)
{
  guint index = GPOINTER_TO_UINT (user_data);
  Worker *w = &pool.workers[index];
  gint seen = 0;

  for (;;) {
    if (!spin_while (&w->ticket, seen, TRUE)) {
      g_mutex_lock (&pool.lock);
      g_atomic_int_inc (&pool.sleepers);
      while (g_atomic_int_get (&w->ticket) == seen)
        g_cond_wait (&pool.wake, &pool.lock);
      g_atomic_int_add (&pool.sleepers, -1);
      g_mutex_unlock (&pool.lock);
    }
    seen = g_atomic_int_get (&w->ticket);
    pool.func (pool.data, index, pool.n);
    if (g_atomic_int_dec_and_test (&pool.pending)
        && g_atomic_int_get (&pool.caller_sleeping)) {
      g_mutex_lock (&pool.lock);
      g_cond_signal (&pool.done);
      g_mutex_unlock (&pool.lock);
    }
  }
  return NULL;
}

/* Makes sure `n` workers exist; returns how many do (thread creation can
 * fail, and then fewer parts run in parallel). */
static guint
ensure_workers (guint n)
{
  n = MIN (n, POOL_MAX_WORKERS);
  while (pool.n_workers < n) {
    guint index = pool.n_workers + 1;
    gchar name[16];
    GThread *t;

    g_snprintf (name, sizeof name, "gnet-%u", index);
    t = g_thread_try_new (name, worker_main, GUINT_TO_POINTER (index), NULL);
    if (t == NULL)
      break;
    pool.workers[index].thread = t;
    pool.n_workers = index;
  }
  return pool.n_workers;
}

void
gnet__parallel_run (guint n, GnetParallelFunc func, gpointer data)
{
  if (n > 1 && g_mutex_trylock (&pool.busy)) {
    guint helpers = MIN (n - 1, ensure_workers (n - 1));

    if (helpers > 0) {
      pool.func = func;
      pool.data = data;
      pool.n = n;
      g_atomic_int_set (&pool.pending, helpers);
      for (guint i = 1; i <= helpers; i++)
        g_atomic_int_inc (&pool.workers[i].ticket);
      if (g_atomic_int_get (&pool.sleepers) > 0) {
        g_mutex_lock (&pool.lock);
        g_cond_broadcast (&pool.wake);
        g_mutex_unlock (&pool.lock);
      }
      func (data, 0, n);
      /* Parts the workers could not take (too few threads) run here. */
      for (guint i = helpers + 1; i < n; i++)
        func (data, i, n);
      if (!spin_while (&pool.pending, 0, FALSE)) {
        g_mutex_lock (&pool.lock);
        g_atomic_int_set (&pool.caller_sleeping, 1);
        while (g_atomic_int_get (&pool.pending) > 0)
          g_cond_wait (&pool.done, &pool.lock);
        g_atomic_int_set (&pool.caller_sleeping, 0);
        g_mutex_unlock (&pool.lock);
      }
      g_mutex_unlock (&pool.busy);
      return;
    }
    g_mutex_unlock (&pool.busy);
  }
  for (guint i = 0; i < n; i++)
    func (data, i, n);
}
