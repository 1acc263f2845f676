/* track.c - class probabilities smoothed along the frames of a video.
 *
 * A sliding-window classifier reads one item a little differently in every
 * frame (as the item moves, the windows fall on other pixels and the codec
 * changes its edges), so an item the network hesitates over flickers
 * between classes: in the shipped sample video one shirt was named Shirt in
 * 56 frames and T-shirt/top in 134.  With smoothing s > 0, each object of
 * a frame continues the object of the previous frame that it overlaps most
 * (IoU at least MATCH_IOU; the strongest objects choose first, and each
 * previous object continues into one object at most), and its class
 * probabilities become
 *
 *     s x the previous object's (smoothed) + (1 - s) x its own,
 *
 * an exponential moving average along the object's track: about 1 / (1 -
 * s) frames count.  Its class, confidence, alternatives and objectness are
 * then read from the smoothed probabilities.  An object whose best class
 * falls under the threshold is not returned, but it is remembered for the
 * next frame.  An object that continues no previous one keeps its own
 * probabilities.  Boxes are not smoothed: they follow the item without
 * lag.
 *
 * Only what the detector returned is known of an object (its class and
 * alternatives, each with its probability); its other classes count as 0.
 * Objectness is the sum of the smoothed probabilities (at most 1).
 *
 * Everything is allocated by gnet__track_init; a frame allocates nothing.
 */
#include "gnet-private.h"
#include "detect-private.h"

#include <string.h>

/* Consecutive frames of one item overlap by far more (an item 48 pixels
 * wide moving 4 pixels a frame: 0.85); items side by side, by nothing. */
#define MATCH_IOU 0.3f

void
gnet__track_init (GnetTrack * t, guint capacity, guint n_classes)
{
  memset (t, 0, sizeof (*t));
  t->capacity = capacity;
  t->n_classes = n_classes;
  t->prev = g_new0 (GnetBox, MAX (1, capacity));
  t->prev_p = g_new0 (gfloat, MAX (1, (gsize) capacity * n_classes));
  t->cur_p = g_new0 (gfloat, MAX (1, (gsize) capacity * n_classes));
  t->taken = g_new0 (gboolean, MAX (1, capacity));
}

void
gnet__track_clear (GnetTrack * t)
{
  g_clear_pointer (&t->prev, g_free);
  g_clear_pointer (&t->prev_p, g_free);
  g_clear_pointer (&t->cur_p, g_free);
  g_clear_pointer (&t->taken, g_free);
  t->n = 0;
}

void
gnet__track_reset (GnetTrack * t)
{
  t->n = 0;
}

/* The object's probabilities as the detector gave them: its class and
 * alternatives, 0 elsewhere. */
static void
box_probabilities (const GnetBox * b, gfloat * p, guint n_classes)
{
  memset (p, 0, n_classes * sizeof (gfloat));
  if (b->class_id >= 0 && (guint) b->class_id < n_classes)
    p[b->class_id] = b->confidence;
  for (guint k = 0; k < b->n_alternatives; k++) {
    const GnetAlternative *a = &b->alternatives[k];

    if (a->class_id >= 0 && (guint) a->class_id < n_classes)
      p[a->class_id] = MAX (p[a->class_id], a->confidence);
  }
}

/* Rewrites the object's class, confidence, alternatives (the next best
 * classes at or above threshold) and objectness from p. */
static void
read_probabilities (GnetBox * b, const gfloat * p, guint n_classes,
    gfloat threshold, gchar ** labels)
{
  gint top[1 + GNET_MAX_ALTERNATIVES];
  gfloat conf[1 + GNET_MAX_ALTERNATIVES];
  guint n_top = 0;
  gdouble sum = 0.0;

  for (guint k = 0; k < n_classes; k++) {
    if (!(p[k] > 0.0f))
      continue;
    sum += p[k];
    gnet__top_insert (top, conf, &n_top, G_N_ELEMENTS (top), k, p[k]);
  }
  if (n_top == 0) {
    /* nothing above 0: the object keeps its class, with no confidence */
    b->confidence = 0.0f;
    b->objectness = 0.0f;
    b->n_alternatives = 0;
    return;
  }
  b->class_id = top[0];
  b->confidence = conf[0];
  b->label = labels[top[0]];
  b->objectness = MIN ((gfloat) sum, 1.0f);
  b->n_alternatives = 0;
  for (guint i = 1; i < n_top && conf[i] >= threshold; i++) {
    GnetAlternative *a = &b->alternatives[b->n_alternatives++];

    a->class_id = top[i];
    a->confidence = conf[i];
    a->label = labels[top[i]];
  }
}

guint
gnet__track_smooth (GnetTrack * t, GnetBox * boxes, guint n,
    gfloat smoothing, gfloat threshold, gchar ** labels)
{
  guint nc = t->n_classes, kept = 0;
  gfloat *swap;

  n = MIN (n, t->capacity);
  for (guint j = 0; j < t->n; j++)
    t->taken[j] = FALSE;
  for (guint i = 0; i < n; i++) {
    gfloat *p = t->cur_p + (gsize) i * nc;
    gfloat best = MATCH_IOU;
    gint match = -1;

    box_probabilities (&boxes[i], p, nc);
    if (smoothing <= 0.0f)
      continue;
    for (guint j = 0; j < t->n; j++) {
      gfloat o;

      if (t->taken[j])
        continue;
      o = gnet_box_iou (&boxes[i], &t->prev[j]);
      if (o >= best) {
        best = o;
        match = j;
      }
    }
    if (match >= 0) {
      const gfloat *q = t->prev_p + (gsize) match * nc;

      t->taken[match] = TRUE;
      for (guint k = 0; k < nc; k++)
        p[k] = smoothing * q[k] + (1.0f - smoothing) * p[k];
    }
  }

  /* This frame's objects, all of them, are the next frame's past. */
  memcpy (t->prev, boxes, n * sizeof (GnetBox));
  swap = t->prev_p;
  t->prev_p = t->cur_p;
  t->cur_p = swap;
  t->n = n;
  if (smoothing <= 0.0f)
    return n;

  for (guint i = 0; i < n; i++) {
    GnetBox b = boxes[i];

    read_probabilities (&b, t->prev_p + (gsize) i * nc, nc, threshold, labels);
    if (b.confidence >= threshold)
      boxes[kept++] = b;
  }
  gnet__boxes_sort (boxes, kept);
  return kept;
}
