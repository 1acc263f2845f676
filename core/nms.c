/* nms.c - greedy per-class non-maximum suppression.
 *
 * Works in place and allocates nothing, so the detector can call it on
 * every frame: the boxes are sorted by confidence, then each box is kept
 * unless it overlaps an already kept box of its class by more than the
 * threshold.  Kept boxes are compacted to the front, which is safe because
 * the write index never passes the read index.
 */
#include "gnet-private.h"

gfloat
gnet_box_iou (const GnetBox * a, const GnetBox * b)
{
  gfloat iw, ih, inter, uni;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0f);

  iw = MIN (a->x1, b->x1) - MAX (a->x0, b->x0);
  ih = MIN (a->y1, b->y1) - MAX (a->y0, b->y0);
  if (iw <= 0.0f || ih <= 0.0f)
    return 0.0f;
  inter = iw * ih;
  uni = (a->x1 - a->x0) * (a->y1 - a->y0)
      + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

/* Highest confidence first; ties broken on everything else so the result
 * is fully determined. */
static int
compare_boxes (const GnetBox * a, const GnetBox * b)
{
  if (a->confidence != b->confidence)
    return a->confidence > b->confidence ? -1 : 1;
  if (a->class_id != b->class_id)
    return a->class_id < b->class_id ? -1 : 1;
  if (a->y0 != b->y0)
    return a->y0 < b->y0 ? -1 : 1;
  if (a->x0 != b->x0)
    return a->x0 < b->x0 ? -1 : 1;
  if (a->y1 != b->y1)
    return a->y1 < b->y1 ? -1 : 1;
  if (a->x1 != b->x1)
    return a->x1 < b->x1 ? -1 : 1;
  return 0;
}

static void
sift_down (GnetBox * boxes, guint root, guint n)
{
  for (;;) {
    guint child = 2 * root + 1;
    GnetBox tmp;

    if (child >= n)
      return;
    /* a max-heap in sort order: the box that sorts last on top */
    if (child + 1 < n && compare_boxes (&boxes[child], &boxes[child + 1]) < 0)
      child++;
    if (compare_boxes (&boxes[root], &boxes[child]) >= 0)
      return;
    tmp = boxes[root];
    boxes[root] = boxes[child];
    boxes[child] = tmp;
    root = child;
  }
}

void
gnet__top_insert (gint * top, gfloat * conf, guint * n_top, guint cap,
    gint k, gfloat p)
{
  guint i;

  if (*n_top == cap && p <= conf[cap - 1])
    return;
  i = MIN (*n_top, cap - 1);
  while (i > 0 && conf[i - 1] < p) {
    conf[i] = conf[i - 1];
    top[i] = top[i - 1];
    i--;
  }
  conf[i] = p;
  top[i] = k;
  *n_top = MIN (*n_top + 1, cap);
}

/* Heapsort rather than qsort(): glibc's qsort may malloc a merge buffer,
 * and this runs on every frame. */
void
gnet__boxes_sort (GnetBox * boxes, guint n)
{
  for (guint i = n / 2; i-- > 0;)
    sift_down (boxes, i, n);
  for (guint end = n; end-- > 1;) {
    GnetBox tmp = boxes[0];

    boxes[0] = boxes[end];
    boxes[end] = tmp;
    sift_down (boxes, 0, end);
  }
}

guint
gnet_nms (GnetBox * boxes, guint n_boxes, gfloat iou_threshold, guint max_keep)
{
  guint n_kept = 0;

  g_return_val_if_fail (boxes != NULL || n_boxes == 0, 0);

  if (n_boxes == 0 || max_keep == 0)
    return 0;
  gnet__boxes_sort (boxes, n_boxes);

  for (guint i = 0; i < n_boxes && n_kept < max_keep; i++) {
    gboolean suppressed = FALSE;

    for (guint j = 0; j < n_kept && !suppressed; j++)
      suppressed = boxes[j].class_id == boxes[i].class_id
          && gnet_box_iou (&boxes[j], &boxes[i]) > iou_threshold;
    if (!suppressed)
      boxes[n_kept++] = boxes[i];
  }
  return n_kept;
}

void
gnet__boxes_vote (GnetBox * kept, guint n_kept, const GnetBox * all,
    guint n_all, gfloat vote_iou)
{
  for (guint i = 0; i < n_kept; i++) {
    GnetBox *k = &kept[i];
    gdouble sum[4] = { 0, 0, 0, 0 }, weight = 0.0;

    for (guint j = 0; j < n_all; j++) {
      const GnetBox *b = &all[j];
      gdouble w = b->confidence;

      if (gnet_box_iou (k, b) <= vote_iou)
        continue;
      sum[0] += w * b->x0;
      sum[1] += w * b->y0;
      sum[2] += w * b->x1;
      sum[3] += w * b->y1;
      weight += w;
    }
    /* Written at once: the next kept boxes compare against `all`, and k
     * itself is among them (IoU 1), so weight > 0 unless its confidence
     * is 0. */
    if (weight > 0.0) {
      k->x0 = sum[0] / weight;
      k->y0 = sum[1] / weight;
      k->x1 = sum[2] / weight;
      k->y1 = sum[3] / weight;
    }
  }
}

guint
gnet__boxes_group (GnetBox * boxes, guint n_boxes, gfloat group_iou)
{
  guint n_objects = 0;

  for (guint i = 0; i < n_boxes; i++) {
    GnetBox b = boxes[i];
    GnetBox *owner = NULL;
    gfloat best = group_iou;

    /* the object this box overlaps most, if by more than group_iou */
    for (guint j = 0; j < n_objects; j++) {
      gfloat o = gnet_box_iou (&boxes[j], &b);

      if (o > best) {
        best = o;
        owner = &boxes[j];
      }
    }
    if (owner == NULL || owner->class_id == b.class_id) {
      /* a new object (per-class NMS kept this one apart from its class) */
      b.n_alternatives = 0;
      boxes[n_objects++] = b;
      continue;
    }
    for (guint k = 0; k < owner->n_alternatives; k++)
      if (owner->alternatives[k].class_id == b.class_id)
        goto next;              /* a weaker box of a class already listed */
    if (owner->n_alternatives < GNET_MAX_ALTERNATIVES) {
      GnetAlternative *a = &owner->alternatives[owner->n_alternatives++];

      a->class_id = b.class_id;
      a->confidence = b.confidence;
      a->label = b.label;
      owner->objectness = MIN (owner->objectness + b.confidence, 1.0f);
    }
  next:
    ;
  }
  return n_objects;
}
