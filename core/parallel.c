/* parallel.c - one persistent pool of worker threads for the operators.
 *
 * A forward pass splits its work into n parts and calls
 * gnet__parallel_run(); the caller and the workers claim parts one at a
 * time until none is left.  Workers are created the first time a run asks
 * for them and then live as long as the process, so running a frame creates
 * no thread and allocates nothing.  Between parts of a run (a few hundred
 * microseconds apart) a worker spins briefly before sleeping, because waking
 * a sleeping thread costs about as much as a small layer.
 *
 * Parts are claimed, not assigned: on a busy machine a worker may not get a
 * core for milliseconds, and the caller then runs that worker's part itself
 * instead of waiting for it.  It only ever waits for parts already started.
 *
 * Sessions may run in several threads at once; only one of them uses the
 * pool at a time and the others run their parts in turn themselves, which
 * is what they would get from the cores anyway.
 *
 * Helped runs (gnet__parallel_run_helped, the detector's lanes): a part
 * of such a run may split its own work again.  Its parallel runs become
 * the pool's inner job, and the threads that have finished their part of
 * the helped run claim the inner job's parts while they wait for the
 * others: the lane that finishes first lends its thread to the busier
 * one instead of idling.  One inner job at a time; a part that finds the
 * inner job taken runs its parts itself.
 *
 * When the process exits (or the module holding libgnet is unloaded) the
 * workers are stopped and joined, so that leak checkers and thread
 * checkers see every thread end and every block freed.
 */
#include "gnet-private.h"

#define POOL_MAX_WORKERS 63
/* How long a worker or the caller spins before sleeping. */
#define POOL_SPIN_US 100
/* Low half of a closed job's state: no part left to claim. */
#define POOL_NO_PART G_GINT64_CONSTANT (0xffffffff)

/* A job's parts are claimed one at a time. */
typedef struct
{
  /* Generation in the high half, next unclaimed part in the low half, so
   * that a claim (compare-and-swap) fails for a stale job. */
  gint64 state;
  gint finished;                /* parts of the job completed */
  GnetParallelFunc func;
  gpointer data;
  guint n;
  gint helped;                  /* parts may post an inner job */
} Job;

typedef struct
{
  GMutex busy;                  /* held by the session using the pool */
  GMutex lock;                  /* guards sleeping on wake / done */
  GCond wake;
  GCond done;
  gint sleepers;                /* workers waiting on wake */
  gint caller_sleeping;
  Job job;
  GMutex inner_busy;            /* held by the part running the inner job */
  Job inner;                    /* a helped part's own parallel run */
  guint n_workers;
  gint quit;                    /* set once, when the process exits */
  GThread *workers[POOL_MAX_WORKERS];
} Pool;

static Pool pool;

/* Set while this thread runs a part of a helped job. */
static __thread gboolean in_helped_part;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static inline gint64
load_state (const Job * j)
{
  return __atomic_load_n (&j->state, __ATOMIC_SEQ_CST);
}

/* Claims parts of the job whose state was `s` and runs them until none is
 * left or a newer job replaced it. */
static void
claim_parts (Job * j, gint64 s)
{
  for (;;) {
    GnetParallelFunc func = __atomic_load_n (&j->func, __ATOMIC_SEQ_CST);
    gpointer data = __atomic_load_n (&j->data, __ATOMIC_SEQ_CST);
    guint n = __atomic_load_n (&j->n, __ATOMIC_SEQ_CST);
    gboolean helped = g_atomic_int_get (&j->helped);
    guint next = (guint) (s & 0xffffffff);
    gboolean was_helped;

    if (next >= n)
      return;
    /* Success means the job did not change since `s` was read, so func,
     * data, n and helped (stored before the job's state) belong to it.  On
     * failure s holds the current state: try again with what it says. */
    if (!__atomic_compare_exchange_n (&j->state, &s, s + 1, FALSE,
            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      continue;
    /* an inner job's part, run by a helped part's own thread, is not */
    was_helped = in_helped_part;
    in_helped_part = helped;
    func (data, next, n);
    in_helped_part = was_helped;
    if (g_atomic_int_add (&j->finished, 1) + 1 == (gint) n && j == &pool.job
        && g_atomic_int_get (&pool.caller_sleeping)) {
      g_mutex_lock (&pool.lock);
      g_cond_signal (&pool.done);
      g_mutex_unlock (&pool.lock);
    }
    s++;
  }
}

/* Spins until `pred (arg)` holds, for at most POOL_SPIN_US; TRUE if it
 * does. */
static gboolean
spin_until (gboolean (*pred) (gint64), gint64 arg)
{
  gint64 until = 0;

  for (guint i = 1;; i++) {
    if (pred (arg))
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

static gboolean
new_job (gint64 gen)
{
  return (load_state (&pool.job) >> 32) != gen;
}

static gboolean
job_done (gint64 n)
{
  return g_atomic_int_get (&pool.job.finished) == (gint) n;
}

/* Step i of a wait that never sleeps: a yield now and then lets a thread
 * that has no core run. */
static inline void
relax_or_yield (guint i)
{
  cpu_relax ();
  if (i % 1024 == 0)
    g_thread_yield ();
}

/* Until the pool's job (of generation gen, n parts) is done: runs parts of
 * the inner job as they come.  No sleeping, since the other parts' inner
 * jobs come a few microseconds apart. */
static void
help_until_done (gint64 gen, guint n)
{
  for (guint i = 1; !new_job (gen) && !job_done (n); i++) {
    claim_parts (&pool.inner, load_state (&pool.inner));
    relax_or_yield (i);
  }
}

static gpointer
worker_main (gpointer user_data)
{
  gint64 seen = 0;

  (void) user_data;
  for (;;) {
    gint64 s;

    if (!spin_until (new_job, seen)) {
      g_mutex_lock (&pool.lock);
      g_atomic_int_inc (&pool.sleepers);
      while (!new_job (seen))
        g_cond_wait (&pool.wake, &pool.lock);
      g_atomic_int_add (&pool.sleepers, -1);
      g_mutex_unlock (&pool.lock);
    }
    if (g_atomic_int_get (&pool.quit))
      return NULL;
    s = load_state (&pool.job);
    seen = s >> 32;
    claim_parts (&pool.job, s);
    if (g_atomic_int_get (&pool.job.helped))
      help_until_done (seen, __atomic_load_n (&pool.job.n, __ATOMIC_SEQ_CST));
  }
}

/* Makes sure `n` workers exist; returns how many do (thread creation can
 * fail, and then the caller runs more parts itself). */
static guint
ensure_workers (guint n)
{
  n = MIN (n, POOL_MAX_WORKERS);
  while (pool.n_workers < n) {
    gchar name[16];
    GThread *t;

    g_snprintf (name, sizeof name, "gnet-%u", pool.n_workers + 1);
    t = g_thread_try_new (name, worker_main, NULL, NULL);
    if (t == NULL)
      break;
    pool.workers[pool.n_workers++] = t;
  }
  return pool.n_workers;
}

/* Starts a new generation with nothing to claim and returns its number.
 * A worker that has just finished the last part of the previous job may
 * still be in claim_parts () with that job's state; it must never pair
 * that state with the next job's func, data and n, which are stored only
 * after this. */
static gint64
close_job (Job * j)
{
  gint64 gen = (load_state (j) >> 32) + 1;

  __atomic_store_n (&j->state, (gen << 32) | POOL_NO_PART, __ATOMIC_SEQ_CST);
  return gen;
}

/* Publishes a new job of generation gen and returns its state. */
static gint64
open_job (Job * j, gint64 gen, guint n, GnetParallelFunc func,
    gpointer data, gboolean helped)
{
  gint64 s = gen << 32;

  __atomic_store_n (&j->func, func, __ATOMIC_SEQ_CST);
  __atomic_store_n (&j->data, data, __ATOMIC_SEQ_CST);
  __atomic_store_n (&j->n, n, __ATOMIC_SEQ_CST);
  g_atomic_int_set (&j->helped, helped);
  g_atomic_int_set (&j->finished, 0);
  __atomic_store_n (&j->state, s, __ATOMIC_SEQ_CST);
  return s;
}

static void
wake_workers (void)
{
  if (g_atomic_int_get (&pool.sleepers) > 0) {
    g_mutex_lock (&pool.lock);
    g_cond_broadcast (&pool.wake);
    g_mutex_unlock (&pool.lock);
  }
}

/* A helped part's parallel run: the part's thread claims parts with the
 * threads that have finished theirs, and waits only for parts started. */
static void
run_inner (guint n, GnetParallelFunc func, gpointer data)
{
  Job *j = &pool.inner;
  gint64 s = open_job (j, close_job (j) + 1, n, func, data, FALSE);

  claim_parts (j, s);
  for (guint i = 1; g_atomic_int_get (&j->finished) != (gint) n; i++)
    relax_or_yield (i);
}

static void
run (guint n, GnetParallelFunc func, gpointer data, gboolean helped)
{
  gint64 s;

  if (n > 1 && in_helped_part && g_mutex_trylock (&pool.inner_busy)) {
    run_inner (n, func, data);
    g_mutex_unlock (&pool.inner_busy);
    return;
  }
  if (n <= 1 || !g_mutex_trylock (&pool.busy)) {
    for (guint i = 0; i < n; i++)
      func (data, i, n);
    return;
  }
  if (g_atomic_int_get (&pool.quit)) {
    /* Exiting: the workers are gone. */
    g_mutex_unlock (&pool.busy);
    for (guint i = 0; i < n; i++)
      func (data, i, n);
    return;
  }
  ensure_workers (n - 1);
  s = open_job (&pool.job, close_job (&pool.job) + 1, n, func, data, helped);
  wake_workers ();
  claim_parts (&pool.job, s);
  if (helped)
    help_until_done (s >> 32, n);
  if (!spin_until (job_done, n)) {
    g_mutex_lock (&pool.lock);
    g_atomic_int_set (&pool.caller_sleeping, 1);
    while (!job_done (n))
      g_cond_wait (&pool.done, &pool.lock);
    g_atomic_int_set (&pool.caller_sleeping, 0);
    g_mutex_unlock (&pool.lock);
  }
  g_mutex_unlock (&pool.busy);
}

void
gnet__parallel_run (guint n, GnetParallelFunc func, gpointer data)
{
  run (n, func, data, FALSE);
}

void
gnet__parallel_run_helped (guint n, GnetParallelFunc func, gpointer data)
{
  run (n, func, data, TRUE);
}

/* Stops and joins the workers when the process exits or the module holding
 * libgnet is unloaded.  A run still going on in another thread (a pipeline
 * that was not stopped before exit) keeps the pool: the process ends
 * without waiting for it. */
static void pool_shutdown (void) __attribute__((destructor));

static void
pool_shutdown (void)
{
  if (!g_mutex_trylock (&pool.busy))
    return;
  g_atomic_int_set (&pool.quit, 1);
  close_job (&pool.job);
  g_mutex_lock (&pool.lock);
  g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);
  for (guint i = 0; i < pool.n_workers; i++)
    g_thread_join (pool.workers[i]);
  pool.n_workers = 0;
  g_mutex_unlock (&pool.busy);
}
