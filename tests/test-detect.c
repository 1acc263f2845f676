/* test-detect.c - the detector: pyramid, both strategies, CAM, NMS, labels,
 * pixel formats and every settings error.
 *
 * Models: tests/fixtures/detector/ (make_detector_model.py): a 32x32
 * classifier of background / "square" (red) / "disc" (blue) with unpadded
 * convolutions, so dense and crops evaluation must agree to float rounding;
 * the same weights in Caffe's head layout; a variant without a pooled head.
 * The GoogLeNet fixtures of tests/fixtures/ check that both real head
 * layouts are recognised and scored like the full network.
 */
#include "gnet.h"
#include "detect-private.h"
#include "gnet-private.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static gchar *
fixture (const gchar * name)
{
  const gchar *src = g_getenv ("GNET_SRCDIR");

  return g_build_filename (src ? src : "..", "tests", "fixtures", name, NULL);
}

static GnetModel *
load (const gchar * name)
{
  gchar *path = fixture (name);
  GError *error = NULL;
  GnetModel *m = gnet_model_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_free (path);
  return m;
}

/* ------------------------------------------------------------------------ */
/* Synthetic frames                                                         */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint width, height;
  guint8 *rgb;                  /* packed, stride width * 3 */
} Frame;

static Frame
frame_new (gint width, gint height, guint8 gray)
{
  Frame f = { width, height, g_malloc ((gsize) width * height * 3) };
  guint32 seed = 12345;

  /* a little deterministic noise, like the training backgrounds */
  for (gsize i = 0; i < (gsize) width * height * 3; i++) {
    seed = seed * 1103515245u + 12345u;
    f.rgb[i] = CLAMP (gray + (gint) ((seed >> 16) % 11) - 5, 0, 255);
  }
  return f;
}

static void
frame_square (Frame * f, gint x0, gint y0, gint size, const guint8 rgb[3])
{
  for (gint y = MAX (0, y0); y < MIN (f->height, y0 + size); y++)
    for (gint x = MAX (0, x0); x < MIN (f->width, x0 + size); x++)
      memcpy (f->rgb + ((gsize) y * f->width + x) * 3, rgb, 3);
}

static void
frame_disc (Frame * f, gdouble cx, gdouble cy, gdouble d, const guint8 rgb[3])
{
  for (gint y = 0; y < f->height; y++)
    for (gint x = 0; x < f->width; x++)
      if ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy)
          <= d * d / 4)
        memcpy (f->rgb + ((gsize) y * f->width + x) * 3, rgb, 3);
}

static const guint8 RED[3] = { 230, 30, 25 };
static const guint8 BLUE[3] = { 20, 35, 225 };

static GnetImage
frame_image (const Frame * f)
{
  GnetImage im = { GNET_PIXEL_FORMAT_RGB, f->width, f->height,
    {f->rgb, NULL, NULL}, {f->width * 3, 0, 0}
  };
  return im;
}

/* The same content in another format, rows padded to test strides.  YUV
 * uses the BT.601 limited-range matrix, chroma averaged over 2x2. */
typedef struct
{
  GnetImage image;
  guint8 *data[3];
} Converted;

static void
rgb_to_yuv (const guint8 * p, gdouble * y, gdouble * u, gdouble * v)
{
  *y = 16 + 0.256788 * p[0] + 0.504129 * p[1] + 0.097906 * p[2];
  *u = 128 - 0.148223 * p[0] - 0.290993 * p[1] + 0.439216 * p[2];
  *v = 128 + 0.439216 * p[0] - 0.367788 * p[1] - 0.071427 * p[2];
}

static Converted
convert (const Frame * f, GnetPixelFormat format)
{
  static const gint offs[][4] = {
    /* bpp, r, g, b */
    [GNET_PIXEL_FORMAT_RGB] = {3, 0, 1, 2},
    [GNET_PIXEL_FORMAT_BGR] = {3, 2, 1, 0},
    [GNET_PIXEL_FORMAT_RGBA] = {4, 0, 1, 2},
    [GNET_PIXEL_FORMAT_BGRA] = {4, 2, 1, 0},
    [GNET_PIXEL_FORMAT_ARGB] = {4, 1, 2, 3},
    [GNET_PIXEL_FORMAT_ABGR] = {4, 3, 2, 1},
    [GNET_PIXEL_FORMAT_RGBX] = {4, 0, 1, 2},
    [GNET_PIXEL_FORMAT_BGRX] = {4, 2, 1, 0},
    [GNET_PIXEL_FORMAT_XRGB] = {4, 1, 2, 3},
    [GNET_PIXEL_FORMAT_XBGR] = {4, 3, 2, 1},
  };
  Converted c = { {format, f->width, f->height}, {NULL} };
  gint w = f->width, h = f->height, cw = (w + 1) / 2, ch = (h + 1) / 2;

  if (format == GNET_PIXEL_FORMAT_I420 || format == GNET_PIXEL_FORMAT_NV12) {
    gint ys = w + 5, cs = (format == GNET_PIXEL_FORMAT_NV12 ? 2 * cw : cw) + 3;

    c.data[0] = g_malloc0 ((gsize) ys * h);
    c.data[1] = g_malloc0 ((gsize) cs * ch);
    c.data[2] = g_malloc0 ((gsize) cs * ch);
    for (gint y = 0; y < h; y++)
      for (gint x = 0; x < w; x++) {
        gdouble yy, u, v;

        rgb_to_yuv (f->rgb + ((gsize) y * w + x) * 3, &yy, &u, &v);
        c.data[0][y * ys + x] = CLAMP (lround (yy), 0, 255);
      }
    for (gint y = 0; y < ch; y++)
      for (gint x = 0; x < cw; x++) {
        gdouble su = 0, sv = 0, yy, u, v;
        gint n = 0;

        for (gint dy = 0; dy < 2; dy++)
          for (gint dx = 0; dx < 2; dx++)
            if (2 * y + dy < h && 2 * x + dx < w) {
              rgb_to_yuv (f->rgb + ((gsize) (2 * y + dy) * w + 2 * x + dx)
                  * 3, &yy, &u, &v);
              su += u;
              sv += v;
              n++;
            }
        if (format == GNET_PIXEL_FORMAT_I420) {
          c.data[1][y * cs + x] = lround (su / n);
          c.data[2][y * cs + x] = lround (sv / n);
        } else {
          c.data[1][y * cs + 2 * x] = lround (su / n);
          c.data[1][y * cs + 2 * x + 1] = lround (sv / n);
        }
      }
    for (guint p = 0; p < 3; p++) {
      c.image.planes[p] = c.data[p];
      c.image.strides[p] = p == 0 ? ys : cs;
    }
    if (format == GNET_PIXEL_FORMAT_NV12)
      c.image.planes[2] = NULL;
  } else {
    const gint *o = offs[format];
    gint stride = w * o[0] + 7;

    c.data[0] = g_malloc ((gsize) stride * h);
    memset (c.data[0], 0xa5, (gsize) stride * h);       /* alpha/padding junk */
    for (gint y = 0; y < h; y++)
      for (gint x = 0; x < w; x++) {
        const guint8 *s = f->rgb + ((gsize) y * w + x) * 3;
        guint8 *d = c.data[0] + (gsize) y * stride + x * o[0];

        d[o[1]] = s[0];
        d[o[2]] = s[1];
        d[o[3]] = s[2];
      }
    c.image.planes[0] = c.data[0];
    c.image.strides[0] = stride;
  }
  return c;
}

static void
converted_clear (Converted * c)
{
  for (guint p = 0; p < 3; p++)
    g_free (c->data[p]);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static GnetBox
box (gfloat x0, gfloat y0, gfloat x1, gfloat y1, gfloat conf, gint cls)
{
  GnetBox b = { x0, y0, x1, y1, conf, cls, NULL };
  return b;
}

static GnetDetector *
detector_new (GnetModel * m, GnetDetectMode mode, GnetRefine refine,
    const gchar * windows)
{
  GnetDetectorParams p;
  GError *error = NULL;
  GnetDetector *d;

  gnet_detector_params_init (&p);
  p.mode = mode;
  p.refine = refine;
  p.n_threads = 1;
  if (windows) {
    gchar **w = g_strsplit (windows, ",", -1);
    for (p.n_windows = 0; w[p.n_windows]; p.n_windows++)
      p.windows[p.n_windows] = atoi (w[p.n_windows]);
    g_strfreev (w);
  }
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  g_assert_nonnull (d);
  return d;
}

/* Runs the detector and returns a copy of the boxes. */
static GArray *
detect (GnetDetector * d, const GnetImage * image)
{
  const GnetBox *boxes;
  guint n;
  GError *error = NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (GnetBox));

  g_assert_true (gnet_detector_process (d, image, &boxes, &n, &error));
  g_assert_no_error (error);
  g_array_append_vals (out, boxes, n);
  return out;
}

static gboolean
find_box (GArray * boxes, const gchar * label, const GnetBox * truth,
    gdouble min_iou)
{
  for (guint i = 0; i < boxes->len; i++) {
    const GnetBox *b = &g_array_index (boxes, GnetBox, i);

    if (g_str_equal (b->label, label) && gnet_box_iou (b, truth) >= min_iou)
      return TRUE;
  }
  return FALSE;
}

static void
dump (const gchar * what, GArray * boxes)
{
  for (guint i = 0; i < boxes->len; i++) {
    const GnetBox *b = &g_array_index (boxes, GnetBox, i);

    g_test_message ("%s: class %d %.4f [%.1f %.1f %.1f %.1f]", what,
        b->class_id, b->confidence, b->x0, b->y0, b->x1, b->y1);
  }
}

/* Every box of `a` has a box of `b` with the same class, IoU > min_iou and
 * confidence within tol, and the counts match. */
static void
assert_same_boxes (GArray * a, GArray * b, gdouble min_iou, gdouble tol)
{
  if (a->len != b->len) {
    dump ("a", a);
    dump ("b", b);
  }
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++) {
    const GnetBox *x = &g_array_index (a, GnetBox, i);
    gboolean found = FALSE;

    for (guint j = 0; j < b->len && !found; j++) {
      const GnetBox *y = &g_array_index (b, GnetBox, j);

      found = x->class_id == y->class_id && gnet_box_iou (x, y) > min_iou
          && fabsf (x->confidence - y->confidence) <= tol;
    }
    if (!found) {
      dump ("a", a);
      dump ("b", b);
      g_test_message ("no match for box %u", i);
    }
    g_assert_true (found);
  }
}

/* ------------------------------------------------------------------------ */
/* NMS and IoU                                                              */
/* ------------------------------------------------------------------------ */

static void
test_iou (void)
{
  GnetBox a = box (0, 0, 10, 10, 1, 0), b = box (5, 0, 15, 10, 1, 0);
  GnetBox c = box (10, 0, 20, 10, 1, 0), e = box (3, 3, 3, 8, 1, 0);

  g_assert_cmpfloat_with_epsilon (gnet_box_iou (&a, &b), 50.0 / 150.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (gnet_box_iou (&a, &a), 1.0, 1e-6);
  /* x1 is exclusive: touching boxes do not overlap */
  g_assert_cmpfloat (gnet_box_iou (&a, &c), ==, 0.0);
  /* an empty box overlaps nothing */
  g_assert_cmpfloat (gnet_box_iou (&a, &e), ==, 0.0);
  g_assert_cmpfloat (gnet_box_iou (&e, &e), ==, 0.0);
}

static void
test_nms (void)
{
  GnetBox boxes[] = {
    box (0, 0, 10, 10, 0.6f, 0),        /* suppressed by the 0.9 one */
    box (1, 0, 11, 10, 0.9f, 0),
    box (0, 0, 10, 10, 0.8f, 1),        /* other class: kept */
    box (20, 20, 30, 30, 0.7f, 0),      /* far away: kept */
    box (7, 0, 17, 10, 0.5f, 0),        /* IoU 0.25 with the 0.9 one */
  };
  GnetBox copy[G_N_ELEMENTS (boxes)];
  guint n;

  memcpy (copy, boxes, sizeof (boxes));
  n = gnet_nms (copy, G_N_ELEMENTS (boxes), 0.3f, 100);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpfloat (copy[0].confidence, ==, 0.9f);
  g_assert_cmpfloat (copy[1].confidence, ==, 0.8f);
  g_assert_cmpint (copy[1].class_id, ==, 1);
  g_assert_cmpfloat (copy[2].confidence, ==, 0.7f);
  g_assert_cmpfloat (copy[3].confidence, ==, 0.5f);

  /* a lower threshold also removes the 0.25 overlap */
  memcpy (copy, boxes, sizeof (boxes));
  n = gnet_nms (copy, G_N_ELEMENTS (boxes), 0.2f, 100);
  g_assert_cmpuint (n, ==, 3);

  /* threshold 1 suppresses nothing; max_keep keeps the most confident */
  memcpy (copy, boxes, sizeof (boxes));
  n = gnet_nms (copy, G_N_ELEMENTS (boxes), 1.0f, 100);
  g_assert_cmpuint (n, ==, 5);
  memcpy (copy, boxes, sizeof (boxes));
  n = gnet_nms (copy, G_N_ELEMENTS (boxes), 1.0f, 2);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpfloat (copy[0].confidence, ==, 0.9f);
  g_assert_cmpfloat (copy[1].confidence, ==, 0.8f);

  g_assert_cmpuint (gnet_nms (copy, 0, 0.5f, 10), ==, 0);
  g_assert_cmpuint (gnet_nms (NULL, 0, 0.5f, 10), ==, 0);
}

/* Box voting: a kept box moves to the confidence-weighted mean of the
 * boxes (any class) overlapping it by more than the vote threshold. */
static void
test_vote (void)
{
  const GnetBox all[] = {
    box (0, 0, 10, 10, 0.6f, 0),
    box (2, 0, 12, 10, 0.3f, 0),        /* IoU 0.67: votes */
    box (1, 1, 11, 11, 0.1f, 1),        /* other class, IoU 0.68: votes */
    box (6, 0, 16, 10, 0.9f, 0),        /* IoU 0.25: does not */
    box (40, 40, 50, 50, 0.5f, 0),      /* alone: stays where it is */
  };
  GnetBox kept[] = { all[0], all[4] };

  gnet__boxes_vote (kept, 2, all, G_N_ELEMENTS (all), 0.5f);
  g_assert_cmpfloat_with_epsilon (kept[0].x0, (0.6 * 0 + 0.3 * 2 + 0.1 * 1)
      / 1.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (kept[0].y0, 0.1, 1e-5);
  g_assert_cmpfloat_with_epsilon (kept[0].x1, 0.6 * 10 + 0.3 * 12 + 0.1 * 11,
      1e-5);
  g_assert_cmpfloat_with_epsilon (kept[0].y1, 0.9 * 10 + 0.1 * 11, 1e-5);
  g_assert_cmpfloat (kept[0].confidence, ==, 0.6f);
  g_assert_cmpint (kept[0].class_id, ==, 0);
  g_assert_cmpfloat (kept[1].x0, ==, 40.0f);
  g_assert_cmpfloat (kept[1].x1, ==, 50.0f);
}

static GnetBox
box_with_label (gfloat x0, gfloat y0, gfloat x1, gfloat y1, gfloat conf,
    gint cls)
{
  static const gchar *const names[] = { "a", "b", "c", "d", "e" };
  GnetBox b = box (x0, y0, x1, y1, conf, cls);

  b.label = names[cls];
  b.objectness = conf;
  return b;
}

/* Grouping: a weaker box of another class on the same object (IoU above
 * the group threshold) becomes an alternative of the object it overlaps
 * most; a box of the object's own class, or one that overlaps too little,
 * stays an object; at most GNET_MAX_ALTERNATIVES, and objectness sums. */
static void
test_group (void)
{
  GnetBox b[] = {
    box_with_label (40, 40, 50, 50, 0.5f, 1),   /* object 0 */
    box_with_label (0, 0, 10, 10, 0.4f, 0),     /* object 1 */
    box_with_label (1, 0, 11, 10, 0.3f, 2),     /* IoU 0.82 with 1: alt. */
    box_with_label (0, 6, 10, 16, 0.25f, 1),    /* IoU 0.25: object 2 */
    box_with_label (41, 40, 51, 50, 0.2f, 1),   /* own class: object 3 */
    box_with_label (0, 1, 10, 11, 0.15f, 3),    /* alternative of 1 */
    box_with_label (0, 0, 10, 10, 0.1f, 2),     /* class 2 listed: dropped */
    box_with_label (0, 0, 10, 9, 0.08f, 4),     /* third alternative */
    box_with_label (1, 1, 10, 10, 0.05f, 1),    /* over the limit */
  };
  guint n = gnet__boxes_group (b, G_N_ELEMENTS (b), 0.5f);

  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (b[0].class_id, ==, 1);
  g_assert_cmpfloat (b[0].x0, ==, 40.0f);
  g_assert_cmpuint (b[0].n_alternatives, ==, 0);
  g_assert_cmpfloat (b[0].objectness, ==, 0.5f);
  g_assert_cmpint (b[1].class_id, ==, 0);
  g_assert_cmpuint (b[1].n_alternatives, ==, 3);
  g_assert_cmpint (b[1].alternatives[0].class_id, ==, 2);
  g_assert_cmpfloat (b[1].alternatives[0].confidence, ==, 0.3f);
  g_assert_cmpstr (b[1].alternatives[0].label, ==, "c");
  g_assert_cmpint (b[1].alternatives[1].class_id, ==, 3);
  g_assert_cmpint (b[1].alternatives[2].class_id, ==, 4);
  g_assert_cmpfloat_with_epsilon (b[1].objectness, 0.4 + 0.3 + 0.15 + 0.08,
      1e-6);
  g_assert_cmpfloat (b[1].x1, ==, 10.0f);       /* its own box */
  g_assert_cmpfloat (b[2].y0, ==, 6.0f);
  g_assert_cmpfloat (b[3].x0, ==, 41.0f);
  g_assert_cmpuint (b[3].n_alternatives, ==, 0);

  /* objectness stops at 1; group IoU 1 keeps every box an object */
  {
    GnetBox c[] = {
      box_with_label (0, 0, 10, 10, 0.7f, 0),
      box_with_label (0, 0, 10, 10, 0.6f, 1),
    };

    g_assert_cmpuint (gnet__boxes_group (c, 2, 1.0f), ==, 2);
    g_assert_cmpuint (gnet__boxes_group (c, 2, 0.5f), ==, 1);
    g_assert_cmpfloat (c[0].objectness, ==, 1.0f);
  }
}

/* Smoothing along a video (track.c), worked out by hand with s = 0.5: an
 * object continues the previous frame's object it overlaps most, each
 * previous object at most once, strongest first; probabilities mix, the
 * class and alternatives are read anew, objects under the threshold are
 * dropped but remembered, and the result is sorted. */
static void
test_track (void)
{
  gchar *labels[] = { "a", "b", "c", "d", "e", NULL };
  GnetTrack t;
  GnetBox f1[] = {
    box_with_label (0, 0, 10, 10, 0.9f, 1),     /* item A */
    box_with_label (40, 0, 50, 10, 0.8f, 3),    /* item B */
  };
  GnetBox f2[] = {
    box_with_label (1, 0, 11, 10, 0.6f, 2),     /* A, read as c (or b) */
    box_with_label (41, 0, 51, 10, 0.7f, 3),    /* B moved: IoU 0.82 */
    box_with_label (80, 0, 90, 10, 0.55f, 4),   /* a new item */
  };
  GnetBox f3[] = {
    box_with_label (1, 0, 11, 10, 0.5f, 2),     /* A, as c again */
    box_with_label (0, 0, 10, 10, 0.46f, 1),    /* also on A, weaker */
  };
  GnetBox f4[] = {
    box_with_label (1, 0, 11, 10, 0.5f, 2),
  };
  GnetBox same[] = {
    box_with_label (0, 0, 10, 10, 0.4f, 1),
    box_with_label (1, 0, 11, 10, 0.6f, 2),
  };

  f2[0].n_alternatives = 1;
  f2[0].alternatives[0].class_id = 1;
  f2[0].alternatives[0].confidence = 0.3f;
  f2[0].alternatives[0].label = "b";
  gnet__track_init (&t, 4, 5);

  /* The first frame has nothing to continue. */
  g_assert_cmpuint (gnet__track_smooth (&t, f1, 2, 0.5f, 0.2f, labels), ==, 2);
  g_assert_cmpint (f1[0].class_id, ==, 1);
  g_assert_cmpfloat (f1[0].confidence, ==, 0.9f);
  g_assert_cmpint (f1[1].class_id, ==, 3);
  g_assert_cmpfloat (f1[1].confidence, ==, 0.8f);

  /* B: 0.5 x 0.8 + 0.5 x 0.7; A: b 0.5 x 0.9 + 0.5 x 0.3 = 0.6, c 0.5 x
   * 0.6 = 0.3 (its class is b again, c an alternative); the new item as
   * it is; strongest first. */
  g_assert_cmpuint (gnet__track_smooth (&t, f2, 3, 0.5f, 0.2f, labels), ==, 3);
  g_assert_cmpint (f2[0].class_id, ==, 3);
  g_assert_cmpfloat_with_epsilon (f2[0].confidence, 0.75, 1e-6);
  g_assert_cmpfloat (f2[0].x0, ==, 41.0f);      /* boxes are not smoothed */
  g_assert_cmpuint (f2[0].n_alternatives, ==, 0);
  g_assert_cmpint (f2[1].class_id, ==, 1);
  g_assert_cmpstr (f2[1].label, ==, "b");
  g_assert_cmpfloat_with_epsilon (f2[1].confidence, 0.6, 1e-6);
  g_assert_cmpuint (f2[1].n_alternatives, ==, 1);
  g_assert_cmpint (f2[1].alternatives[0].class_id, ==, 2);
  g_assert_cmpstr (f2[1].alternatives[0].label, ==, "c");
  g_assert_cmpfloat_with_epsilon (f2[1].alternatives[0].confidence, 0.3, 1e-6);
  g_assert_cmpfloat_with_epsilon (f2[1].objectness, 0.9, 1e-6);
  g_assert_cmpfloat (f2[1].x0, ==, 1.0f);
  g_assert_cmpint (f2[2].class_id, ==, 4);
  g_assert_cmpfloat (f2[2].confidence, ==, 0.55f);

  /* A as c: b 0.3, c 0.4, under the threshold 0.45: dropped.  The weaker
   * box on A finds A taken and stays as it is. */
  g_assert_cmpuint (gnet__track_smooth (&t, f3, 2, 0.5f, 0.45f, labels), ==, 1);
  g_assert_cmpint (f3[0].class_id, ==, 1);
  g_assert_cmpfloat (f3[0].confidence, ==, 0.46f);
  g_assert_cmpfloat (f3[0].x0, ==, 0.0f);

  /* ... but A was remembered: c 0.5 x 0.4 + 0.5 x 0.5, b 0.5 x 0.3 (the
   * weaker box, (0, 0, 10, 10) b 0.46, overlaps A's box less than A's
   * own remembered box does; either way A continues). */
  g_assert_cmpuint (gnet__track_smooth (&t, f4, 1, 0.5f, 0.2f, labels), ==, 1);
  g_assert_cmpint (f4[0].class_id, ==, 2);
  g_assert_cmpfloat_with_epsilon (f4[0].confidence, 0.45, 1e-6);
  g_assert_cmpuint (f4[0].n_alternatives, ==, 0);

  /* After a reset nothing continues; smoothing 0 changes nothing, not even
   * the order. */
  gnet__track_reset (&t);
  f4[0] = box_with_label (1, 0, 11, 10, 0.5f, 2);
  g_assert_cmpuint (gnet__track_smooth (&t, f4, 1, 0.5f, 0.2f, labels), ==, 1);
  g_assert_cmpfloat (f4[0].confidence, ==, 0.5f);
  g_assert_cmpuint (gnet__track_smooth (&t, same, 2, 0.0f, 0.5f, labels), ==,
      2);
  g_assert_cmpfloat (same[0].confidence, ==, 0.4f);
  g_assert_cmpint (same[1].class_id, ==, 2);

  /* At most `capacity` objects are taken. */
  {
    GnetBox many[6];

    for (guint i = 0; i < G_N_ELEMENTS (many); i++)
      many[i] = box_with_label (20.0f * i, 0, 20.0f * i + 10, 10, 0.9f, 0);
    g_assert_cmpuint (gnet__track_smooth (&t, many, 6, 0.5f, 0.2f, labels),
        ==, 4);
  }
  gnet__track_clear (&t);
}

static int
by_confidence (const void *pa, const void *pb)
{
  const GnetBox *a = pa, *b = pb;

  return a->confidence > b->confidence ? -1 : a->confidence < b->confidence;
}

/* Many random boxes against a plain O(n^2) greedy reference. */
static void
test_nms_random (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  guint n = 500;
  GnetBox *boxes = g_new (GnetBox, n), *ref = g_new (GnetBox, n);
  gboolean *dead = g_new0 (gboolean, n);
  guint n_ref = 0, n_kept;

  for (guint i = 0; i < n; i++) {
    gfloat x = g_rand_double_range (rand, 0, 200);
    gfloat y = g_rand_double_range (rand, 0, 200);
    gfloat w = g_rand_double_range (rand, 5, 60);

    /* distinct confidences, so the order is unique */
    boxes[i] = box (x, y, x + w, y + w * 0.8f, (i * 7919 % n) / (gfloat) n,
        g_rand_int_range (rand, 0, 3));
  }
  memcpy (ref, boxes, n * sizeof (GnetBox));
  qsort (ref, n, sizeof (GnetBox), by_confidence);
  for (guint i = 0; i < n; i++) {
    if (dead[i])
      continue;
    ref[n_ref++] = ref[i];
    for (guint j = i + 1; j < n; j++)
      if (ref[j].class_id == ref[i].class_id
          && gnet_box_iou (&ref[i], &ref[j]) > 0.4f)
        dead[j] = TRUE;
  }
  n_kept = gnet_nms (boxes, n, 0.4f, n);
  g_assert_cmpuint (n_kept, ==, n_ref);
  g_assert_cmpuint (n_kept, <, n);
  for (guint i = 0; i < n_kept; i++)
    g_assert_true (memcmp (&boxes[i], &ref[i], sizeof (GnetBox)) == 0);
  g_free (dead);
  g_free (ref);
  g_free (boxes);
  g_rand_free (rand);
}

/* ------------------------------------------------------------------------ */
/* Labels                                                                   */
/* ------------------------------------------------------------------------ */

static gchar *
write_temp (const gchar * contents)
{
  GError *error = NULL;
  gchar *path;
  gint fd = g_file_open_tmp ("gnet-labels-XXXXXX.txt", &path, &error);

  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_labels (void)
{
  GError *error = NULL;
  gchar *path;
  gchar **labels;

  path = write_temp ("cat\r\n  dog house \n\nbird\n\n\n");
  labels = gnet_labels_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (labels), ==, 4);
  g_assert_cmpstr (labels[0], ==, "cat");
  g_assert_cmpstr (labels[1], ==, "dog house");
  g_assert_cmpstr (labels[2], ==, "");
  g_assert_cmpstr (labels[3], ==, "bird");
  g_strfreev (labels);
  g_unlink (path);
  g_free (path);

  path = write_temp ("n01440764 tench, Tinca tinca\n"
      "n01443537 goldfish, Carassius auratus\nn0144 short id\n");
  labels = gnet_labels_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (labels), ==, 3);
  g_assert_cmpstr (labels[0], ==, "tench, Tinca tinca");
  g_assert_cmpstr (labels[1], ==, "goldfish, Carassius auratus");
  /* not a synset id: kept whole */
  g_assert_cmpstr (labels[2], ==, "n0144 short id");
  g_assert_true (gnet__label_matches (labels[0], "tench"));
  g_assert_true (gnet__label_matches (labels[0], "Tench, Tinca tinca"));
  g_assert_false (gnet__label_matches (labels[0], "tinca"));
  g_assert_false (gnet__label_matches (labels[0], "tenc"));
  g_strfreev (labels);
  g_unlink (path);
  g_free (path);

  path = write_temp ("\n \n");
  labels = gnet_labels_load_file (path, &error);
  g_assert_error (error, GNET_ERROR, GNET_ERROR_SETTINGS);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (labels);
  g_clear_error (&error);
  g_unlink (path);

  labels = gnet_labels_load_file (path, &error);
  g_assert_error (error, GNET_ERROR, GNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (labels);
  g_clear_error (&error);
  g_free (path);
}

/* ------------------------------------------------------------------------ */
/* Image conversion and resampling                                          */
/* ------------------------------------------------------------------------ */

static gfloat *
resample_parts (const GnetImage * im, gint ow, gint oh, gboolean bgr,
    guint n_parts)
{
  GnetResampleAxis ax, ay;
  GnetNormalize norm = { bgr, {1, 1, 1}, {0, 0, 0} };
  gfloat *frame, *scratch, *out = g_new (gfloat, 3 * (gsize) ow * oh);

  gnet__resample_axis_init (&ax, im->width, ow);
  gnet__resample_axis_init (&ay, im->height, oh);
  frame = g_new (gfloat, gnet__image_decode_floats (im->width, im->height));
  scratch = g_new (gfloat, gnet__image_resample_scratch (im->width, n_parts));
  gnet__image_decode (im, frame, n_parts);
  gnet__image_resample (frame, im->width, im->height, &ax, &ay, &norm,
      scratch, n_parts, out);
  g_free (frame);
  g_free (scratch);
  gnet__resample_axis_clear (&ax);
  gnet__resample_axis_clear (&ay);
  return out;
}

static gfloat *
resample (const GnetImage * im, gint ow, gint oh, gboolean bgr)
{
  return resample_parts (im, ow, oh, bgr, 1);
}

static void
test_image_formats (void)
{
  const gint sizes[][2] = { {1, 1}, {2, 3}, {97, 61}, {64, 48} };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    gint w = sizes[s][0], h = sizes[s][1];
    Frame f = frame_new (w, h, 120);
    GnetImage rgb = frame_image (&f);
    gint ow = MAX (1, w * 2 / 3), oh = MAX (1, h * 2 / 3);
    gfloat *ref;

    frame_square (&f, w / 4, h / 4, MAX (1, w / 3), RED);
    frame_disc (&f, w * 0.7, h * 0.6, h * 0.3, BLUE);
    ref = resample (&rgb, ow, oh, FALSE);
    for (GnetPixelFormat fmt = 0; fmt < GNET_PIXEL_FORMAT_COUNT; fmt++) {
      Converted c = convert (&f, fmt);
      gboolean yuv = fmt >= GNET_PIXEL_FORMAT_I420;
      gfloat *out;
      gdouble err = 0, max_err = 0;
      GError *error = NULL;

      g_assert_true (gnet__image_check (&c.image, &error));
      g_assert_no_error (error);
      out = resample (&c.image, ow, oh, FALSE);
      for (gsize i = 0; i < 3 * (gsize) ow * oh; i++) {
        err += fabs (out[i] - ref[i]);
        max_err = MAX (max_err, fabs (out[i] - ref[i]));
      }
      err /= 3.0 * ow * oh;
      /* split over threads, the same values */
      if (fmt == GNET_PIXEL_FORMAT_NV12 || fmt == GNET_PIXEL_FORMAT_BGRX) {
        gfloat *par = resample_parts (&c.image, ow, oh, FALSE, 3);

        g_assert_true (memcmp (par, out, 3 * sizeof (gfloat) * ow * oh) == 0);
        g_free (par);
      }
      if (yuv) {
        /* 4:2:0 chroma blurs colour edges; flat areas are within rounding */
        g_assert_cmpfloat (err, <, 12.0);
      } else {
        g_assert_cmpfloat (max_err, ==, 0.0);
      }
      g_free (out);
      converted_clear (&c);
    }
    g_free (ref);
    g_free (f.rgb);
  }
}

static void
test_image_resample (void)
{
  Frame f = frame_new (50, 30, 0);
  GnetImage im = frame_image (&f);
  gfloat *out;

  /* a horizontal ramp: linear filters keep it linear away from edges */
  for (gint y = 0; y < f.height; y++)
    for (gint x = 0; x < f.width; x++) {
      guint8 *p = f.rgb + ((gsize) y * f.width + x) * 3;
      p[0] = 4 * x;
      p[1] = 100;
      p[2] = 7 * y;
    }
  /* downscale 2x: output x covers input 2x, 2x+1: centre 2x+0.5 */
  out = resample (&im, 25, 15, FALSE);
  for (gint y = 1; y < 14; y++)
    for (gint x = 1; x < 24; x++) {
      g_assert_cmpfloat_with_epsilon (out[y * 25 + x], 4 * (2 * x + 0.5), 1e-3);
      g_assert_cmpfloat_with_epsilon (out[375 + y * 25 + x], 100, 1e-3);
      g_assert_cmpfloat_with_epsilon (out[750 + y * 25 + x], 7 * (2 * y
              + 0.5), 1e-3);
    }
  g_free (out);
  /* upscale 2x with BGR order: output x is at input (x + 0.5) / 2 - 0.5 */
  out = resample (&im, 100, 60, TRUE);
  for (gint y = 2; y < 58; y++)
    for (gint x = 2; x < 98; x++) {
      g_assert_cmpfloat_with_epsilon (out[12000 + y * 100 + x],
          4 * ((x + 0.5) / 2 - 0.5), 1e-3);
      g_assert_cmpfloat_with_epsilon (out[y * 100 + x],
          7 * ((y + 0.5) / 2 - 0.5), 1e-3);
    }
  g_free (out);
  /* a non-integer downscale of a constant image stays constant (weights
   * sum to one), edges included */
  memset (f.rgb, 77, (gsize) f.width * f.height * 3);
  out = resample (&im, 13, 7, FALSE);
  for (gsize i = 0; i < 3 * 13 * 7; i++)
    g_assert_cmpfloat_with_epsilon (out[i], 77, 1e-3);
  g_free (out);
  out = resample (&im, 1, 1, FALSE);
  g_assert_cmpfloat_with_epsilon (out[0], 77, 1e-3);
  g_free (out);
  g_free (f.rgb);
}

static void
test_image_errors (void)
{
  guint8 pixels[64];
  GnetImage im = { GNET_PIXEL_FORMAT_RGB, 4, 4, {pixels}, {12} };
  GError *error = NULL;

  g_assert_true (gnet__image_check (&im, &error));
  im.strides[0] = 11;
  g_assert_false (gnet__image_check (&im, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.strides[0] = 12;
  im.planes[0] = NULL;
  g_assert_false (gnet__image_check (&im, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.planes[0] = pixels;
  im.format = GNET_PIXEL_FORMAT_COUNT;
  g_assert_false (gnet__image_check (&im, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.format = GNET_PIXEL_FORMAT_I420;
  im.planes[1] = pixels;
  im.strides[1] = 2;
  g_assert_false (gnet__image_check (&im, &error));     /* no V plane */
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.format = GNET_PIXEL_FORMAT_NV12;
  g_assert_false (gnet__image_check (&im, &error));     /* UV stride 2 < 4 */
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.strides[1] = 4;
  g_assert_true (gnet__image_check (&im, &error));
  im.format = GNET_PIXEL_FORMAT_RGB;
  im.width = 0;
  g_assert_false (gnet__image_check (&im, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */
/* Detection                                                                */
/* ------------------------------------------------------------------------ */

/* A 160x120 scene: a red square of 28 px at (18, 18), a blue disc of 40 px
 * centred at (108, 72), a green distractor.  Each object sits where a
 * window of about its size is centred on it (32 px windows step by 8, 48 px
 * ones by 12). */
static Frame
scene (void)
{
  static const guint8 green[3] = { 40, 200, 50 };
  Frame f = frame_new (160, 120, 128);

  frame_square (&f, 18, 18, 28, RED);
  frame_disc (&f, 108, 72, 40, BLUE);
  frame_square (&f, 60, 95, 12, green);
  return f;
}

static const GnetBox SQUARE_TRUTH = { 18, 18, 46, 46, 1, 1, NULL };
static const GnetBox DISC_TRUTH = { 88, 52, 128, 92, 1, 2, NULL };

static void
test_detect_scene (gconstpointer data)
{
  GnetDetectMode mode = GPOINTER_TO_INT (data);
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetector *d = detector_new (m, mode, GNET_REFINE_NONE, NULL);
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes;

  g_assert_cmpuint (gnet_detector_get_n_classes (d), ==, 3);
  g_assert_cmpstr (gnet_detector_get_label (d, 1), ==, "square");
  g_assert_null (gnet_detector_get_label (d, 3));
  g_assert_cmpint (gnet_detector_get_background_class (d), ==, 0);
  g_assert_cmpint (gnet_detector_get_min_window (d), ==, 32);

  boxes = detect (d, &im);
  dump ("scene", boxes);
  g_assert_true (find_box (boxes, "square", &SQUARE_TRUTH, 0.5));
  g_assert_true (find_box (boxes, "disc", &DISC_TRUTH, 0.5));
  for (guint i = 0; i < boxes->len; i++) {
    const GnetBox *b = &g_array_index (boxes, GnetBox, i);

    /* nothing else: no background boxes, nothing on the green square */
    g_assert_true (gnet_box_iou (b, &SQUARE_TRUTH) > 0.1
        || gnet_box_iou (b, &DISC_TRUTH) > 0.1);
    g_assert_cmpfloat (b->confidence, >=, 0.5);
    g_assert_cmpfloat (b->x0, >=, 0);
    g_assert_cmpfloat (b->x1, <=, 160);
  }
  g_assert_cmpuint (gnet_detector_get_last_macs (d), >, 0);
  g_array_unref (boxes);

  /* the same frame again gives the same boxes */
  boxes = detect (d, &im);
  g_assert_true (find_box (boxes, "square", &SQUARE_TRUTH, 0.5));
  g_array_unref (boxes);

  g_free (f.rgb);
  gnet_detector_free (d);
  gnet_model_unref (m);
}

/* "background\nsquare\ndisc", written by main() */
static gchar *labels_path;

/* With threshold 0 and no suppression every window is a box: dense and
 * crops must score the same windows alike. */
static GArray *
all_windows (GnetModel * m, GnetDetectMode mode, GnetRefine refine,
    gfloat threshold, const GnetImage * im, guint64 * macs,
    guint64 * crops_macs)
{
  GnetDetectorParams p;
  GError *error = NULL;
  GnetDetector *d;
  GArray *boxes;

  gnet_detector_params_init (&p);
  p.mode = mode;
  p.refine = refine;
  p.threshold = threshold;
  p.iou_threshold = 1.0f;
  p.group_iou = 1.0f;
  p.max_detections = 100000;
  p.n_threads = 1;
  /* what the Caffe-layout model has no metadata for (it does not know
   * its background class either: leave that class out) */
  p.n_windows = 3;
  p.windows[0] = 32;
  p.windows[1] = 48;
  p.windows[2] = 64;
  p.labels_file = labels_path;
  p.classes = "square,disc";
  p.has_mean = p.has_std = TRUE;
  p.mean[0] = p.mean[1] = p.mean[2] = 0.5f;
  p.std[0] = p.std[1] = p.std[2] = 0.25f;
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  boxes = detect (d, im);
  for (guint i = 0; i < boxes->len; i++)
    g_array_index (boxes, GnetBox, i).label = NULL;     /* freed below */
  if (macs)
    *macs = gnet_detector_get_last_macs (d);
  if (crops_macs)
    *crops_macs = gnet_detector_get_last_crops_macs (d);
  gnet_detector_free (d);
  return boxes;
}

static void
test_strategies_agree (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetModel *caffe = load ("detector/detector-caffe.onnx");
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *dense, *crops, *other;
  guint64 dense_macs, crops_macs, dense_estimate, crops_estimate;

  dense = all_windows (m, GNET_DETECT_MODE_DENSE, GNET_REFINE_NONE, 0.0f, &im,
      &dense_macs, &dense_estimate);
  crops = all_windows (m, GNET_DETECT_MODE_CROPS, GNET_REFINE_NONE, 0.0f, &im,
      &crops_macs, &crops_estimate);
  /* windows 32, 48, 64 (levels 160x120, 107x80, 80x60) at a step of 8
   * level pixels (stride 0.25 of 32, a multiple of the network stride 4);
   * at threshold 0 every window gives a box for each of the two classes */
  g_assert_cmpuint (dense->len, ==, 2 * (17 * 12 + 10 * 7 + 7 * 4));
  assert_same_boxes (dense, crops, 0.999, 1e-3);
  g_test_message ("MACs dense %" G_GUINT64_FORMAT " crops %" G_GUINT64_FORMAT,
      dense_macs, crops_macs);
  g_assert_cmpuint (dense_macs * 2, <, crops_macs);
  g_assert_cmpuint (crops_macs, ==, crops_estimate);
  g_assert_cmpuint (dense_estimate, ==, crops_macs);

  /* with CAM the windows shrink the same way in both (for windows that
   * show something: on the others a pixel at the 20% limit may join two
   * blobs or not depending on float rounding) */
  g_array_unref (crops);
  g_array_unref (dense);
  dense = all_windows (m, GNET_DETECT_MODE_DENSE, GNET_REFINE_CAM, 0.3f, &im,
      NULL, NULL);
  crops = all_windows (m, GNET_DETECT_MODE_CROPS, GNET_REFINE_CAM, 0.3f, &im,
      NULL, NULL);
  assert_same_boxes (dense, crops, 0.9, 1e-3);

  /* the Caffe head layout (AveragePool, Reshape to 1x32) is the same net
   * (without CAM: knowing no background class, its maps differ) */
  g_array_unref (crops);
  g_array_unref (dense);
  dense = all_windows (m, GNET_DETECT_MODE_DENSE, GNET_REFINE_NONE, 0.0f, &im,
      NULL, NULL);
  crops = all_windows (m, GNET_DETECT_MODE_CROPS, GNET_REFINE_NONE, 0.0f, &im,
      NULL, NULL);
  other = all_windows (caffe, GNET_DETECT_MODE_DENSE, GNET_REFINE_NONE, 0.0f,
      &im, NULL, NULL);
  assert_same_boxes (dense, other, 0.999, 1e-4);
  g_array_unref (other);
  other = all_windows (caffe, GNET_DETECT_MODE_CROPS, GNET_REFINE_NONE, 0.0f,
      &im, NULL, NULL);
  assert_same_boxes (crops, other, 0.999, 1e-4);
  g_array_unref (other);

  g_array_unref (crops);
  g_array_unref (dense);
  g_free (f.rgb);
  gnet_model_unref (caffe);
  gnet_model_unref (m);
}

/* The pool's helped runs (the lanes): a part's own parallel runs are
 * helped by the thread that has finished its part, each inner part runs
 * exactly once, and outside a helped run a nested run stays in its
 * thread. */
#define HELP_PARTS 8

typedef struct
{
  gint ran[HELP_PARTS];
  GThread *owner;               /* the thread of the part that splits */
  gint elsewhere;               /* inner parts run by another thread */
  gboolean helped;
  gboolean ok;
} HelpRun;

static void
help_inner_part (gpointer data, guint i, guint n)
{
  HelpRun *h = data;

  g_assert_cmpuint (n, ==, HELP_PARTS);
  g_atomic_int_inc (&h->ran[i]);
  if (g_thread_self () != h->owner)
    g_atomic_int_inc (&h->elsewhere);
  /* long enough for the other thread to claim a part */
  g_usleep (200);
}

static void
help_outer_part (gpointer data, guint i, guint n)
{
  HelpRun *h = data;
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_cmpuint (n, ==, 2);
  if (i == 1)
    return;                     /* done at once: its thread helps part 0 */
  h->owner = g_thread_self ();
  h->ok = TRUE;
  /* Until another thread has run an inner part (helped), or a few
   * rounds (not helped); every round must run every part once. */
  for (gint round = 0; h->ok; round++) {
    memset (h->ran, 0, sizeof h->ran);
    gnet__parallel_run (HELP_PARTS, help_inner_part, h);
    for (guint k = 0; k < HELP_PARTS; k++)
      h->ok = h->ok && g_atomic_int_get (&h->ran[k]) == 1;
    if (h->helped ? g_atomic_int_get (&h->elsewhere) > 0
        || g_get_monotonic_time () > until : round == 4)
      break;
  }
}

static void
test_lanes_help (void)
{
  HelpRun h = { 0 };

  h.helped = TRUE;
  gnet__parallel_run_helped (2, help_outer_part, &h);
  g_assert_true (h.ok);
  g_assert_cmpint (h.elsewhere, >, 0);

  memset (&h, 0, sizeof h);
  gnet__parallel_run (2, help_outer_part, &h);
  g_assert_true (h.ok);
  g_assert_cmpint (h.elsewhere, ==, 0);
}

/* Two threads run the pyramid levels on two lanes side by side (dense
 * mode); the boxes must be exactly those of one thread, in order. */
static void
test_lanes_agree (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes[2];
  guint64 macs[2];

  for (gint t = 0; t < 2; t++) {
    GnetDetectorParams p;
    GError *error = NULL;
    GnetDetector *d;

    gnet_detector_params_init (&p);
    /* every window's boxes, in the order the levels gave them */
    p.threshold = 0.0f;
    p.iou_threshold = 1.0f;
    p.group_iou = 1.0f;
    p.max_detections = 100000;
    p.n_threads = t + 1;
    p.labels_file = labels_path;
    p.n_windows = 3;
    p.windows[0] = 32;
    p.windows[1] = 48;
    p.windows[2] = 64;
    d = gnet_detector_new (m, &p, &error);
    g_assert_no_error (error);
    /* twice: the second frame reuses the lanes' memory */
    boxes[t] = detect (d, &im);
    g_array_unref (boxes[t]);
    boxes[t] = detect (d, &im);
    macs[t] = gnet_detector_get_last_macs (d);
    for (guint i = 0; i < boxes[t]->len; i++)
      g_array_index (boxes[t], GnetBox, i).label = NULL;
    for (guint i = 0; i < boxes[t]->len; i++)
      for (guint k = 0; k < GNET_MAX_ALTERNATIVES; k++)
        g_array_index (boxes[t], GnetBox, i).alternatives[k].label = NULL;
    gnet_detector_free (d);
  }
  g_assert_cmpuint (boxes[0]->len, ==, 2 * (17 * 12 + 10 * 7 + 7 * 4));
  g_assert_cmpuint (boxes[1]->len, ==, boxes[0]->len);
  for (guint i = 0; i < boxes[0]->len; i++) {
    const GnetBox *a = &g_array_index (boxes[0], GnetBox, i);
    const GnetBox *b = &g_array_index (boxes[1], GnetBox, i);

    g_assert_cmpfloat (a->x0, ==, b->x0);
    g_assert_cmpfloat (a->y0, ==, b->y0);
    g_assert_cmpfloat (a->x1, ==, b->x1);
    g_assert_cmpfloat (a->y1, ==, b->y1);
    g_assert_cmpfloat (a->confidence, ==, b->confidence);
    g_assert_cmpint (a->class_id, ==, b->class_id);
    g_assert_cmpfloat (a->objectness, ==, b->objectness);
    g_assert_cmpuint (a->n_alternatives, ==, b->n_alternatives);
  }
  g_assert_cmpuint (macs[0], ==, macs[1]);
  g_array_unref (boxes[0]);
  g_array_unref (boxes[1]);
  g_free (f.rgb);
  gnet_model_unref (m);
}

/* The best IoU with `truth` of the boxes of its class. */
static gdouble
best_iou (GArray * boxes, const GnetBox * truth)
{
  gdouble best = 0.0;

  for (guint i = 0; i < boxes->len; i++) {
    const GnetBox *b = &g_array_index (boxes, GnetBox, i);

    if (b->class_id == truth->class_id)
      best = MAX (best, gnet_box_iou (b, truth));
  }
  return best;
}

/* A model with a box regressor (a second output, a Gemm over the flattened
 * feature map): its boxes, not the windows, are the detections, and dense
 * and crops regress the same boxes. */
static void
test_box_head (void)
{
  GnetModel *m = load ("detector/detector-box.onnx");
  GnetModel *plain = load ("detector/detector.onnx");
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *dense, *crops;
  gint n_off_grid = 0;

  dense = all_windows (m, GNET_DETECT_MODE_DENSE, GNET_REFINE_NONE, 0.0f, &im,
      NULL, NULL);
  crops = all_windows (m, GNET_DETECT_MODE_CROPS, GNET_REFINE_NONE, 0.0f, &im,
      NULL, NULL);
  g_assert_cmpuint (dense->len, ==, 2 * (17 * 12 + 10 * 7 + 7 * 4));
  assert_same_boxes (dense, crops, 0.999, 1e-3);
  /* regressed boxes are not the windows: most are not square, or not on
   * the grid of window positions */
  for (guint i = 0; i < dense->len; i++) {
    const GnetBox *b = &g_array_index (dense, GnetBox, i);

    if (fabsf ((b->x1 - b->x0) - (b->y1 - b->y0)) > 0.5f
        || fmodf (b->x0, 8.0f) > 0.5f)
      n_off_grid++;
  }
  g_assert_cmpint (n_off_grid, >, (gint) dense->len / 2);
  g_array_unref (crops);
  g_array_unref (dense);

  /* on the scene, each strategy finds both objects, and tighter than the
   * best window of the same network without its box head does */
  for (GnetDetectMode mode = 0; mode < GNET_DETECT_MODE_COUNT; mode++) {
    GnetDetector *d = detector_new (m, mode, GNET_REFINE_NONE, NULL);
    GnetDetector *w = detector_new (plain, mode, GNET_REFINE_NONE, NULL);
    GArray *boxes, *windows;
    gdouble best[2] = { 0, 0 }, best_window[2] = { 0, 0 };
    const GnetBox *truth[2] = { &SQUARE_TRUTH, &DISC_TRUTH };

    /* the box model's classifier is less sure of the square (0.48) */
    gnet_detector_set_threshold (d, 0.3f);
    gnet_detector_set_threshold (w, 0.3f);
    boxes = detect (d, &im);
    windows = detect (w, &im);
    dump ("box head", boxes);
    for (guint t = 0; t < 2; t++) {
      best[t] = best_iou (boxes, truth[t]);
      best_window[t] = best_iou (windows, truth[t]);
      g_test_message ("mode %d object %u: IoU %.3f with the box head, %.3f "
          "with windows", mode, t, best[t], best_window[t]);
      g_assert_cmpfloat (best[t], >=, 0.75);
    }
    g_assert_cmpfloat (best[0] + best[1], >, best_window[0] + best_window[1]);
    g_array_unref (windows);
    g_array_unref (boxes);
    gnet_detector_free (w);
    gnet_detector_free (d);
  }
  g_free (f.rgb);
  gnet_model_unref (plain);
  gnet_model_unref (m);
}

/* Frames of one size are planned once: later ones reuse every plan. */
static void
test_plans (gconstpointer data)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetector *d = detector_new (m, GPOINTER_TO_INT (data),
      GNET_REFINE_CAM, NULL);
  Frame f = scene (), g = frame_new (100, 90, 128);
  GnetImage im = frame_image (&f), small = frame_image (&g);
  GArray *first, *again;
  guint plans;

  g_assert_cmpuint (gnet__detector_get_n_plans (d), ==, 0);
  first = detect (d, &im);
  plans = gnet__detector_get_n_plans (d);
  g_assert_cmpuint (plans, >=, 3);
  for (guint i = 0; i < 3; i++) {
    again = detect (d, &im);
    assert_same_boxes (first, again, 0.9999, 0.0);
    g_array_unref (again);
  }
  g_assert_cmpuint (gnet__detector_get_n_plans (d), ==, plans);
  /* a new size plans again */
  again = detect (d, &small);
  g_array_unref (again);
  g_assert_cmpuint (gnet__detector_get_n_plans (d), >, plans);
  g_array_unref (first);
  g_free (f.rgb);
  g_free (g.rgb);
  gnet_detector_free (d);
  gnet_model_unref (m);
}

/* A model whose output is not a pooled head: crops only, logits get a
 * softmax, dense and CAM are refused with the reason. */
static void
test_no_head (void)
{
  GnetModel *m = load ("detector/detector-nohead.onnx");
  GnetDetectorParams p;
  GError *error = NULL;
  GnetDetector *d;
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes;

  gnet_detector_params_init (&p);
  d = gnet_detector_new (m, &p, &error);
  g_assert_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "crops"));
  g_assert_null (d);
  g_clear_error (&error);

  p.mode = GNET_DETECT_MODE_CROPS;
  p.refine = GNET_REFINE_CAM;
  d = gnet_detector_new (m, &p, &error);
  g_assert_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED);
  g_assert_null (d);
  g_clear_error (&error);

  p.refine = GNET_REFINE_NONE;
  p.threshold = 0.0f;
  p.iou_threshold = 1.0f;
  p.group_iou = 1.0f;
  p.max_detections = 100000;
  p.n_windows = 1;
  p.windows[0] = 32;
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  boxes = detect (d, &im);
  /* no metadata windows: 32 only, step 8 */
  /* ... and at threshold 0 a box for each of the three classes (without
   * metadata none is known as background) */
  g_assert_cmpuint (boxes->len, ==, 3 * 17 * 12);
  for (guint i = 0; i < boxes->len; i++) {
    const GnetBox *b = &g_array_index (boxes, GnetBox, i);
    g_assert_cmpfloat (b->confidence, >, 0.0f);
    g_assert_cmpfloat (b->confidence, <=, 1.0f);
    g_assert_cmpfloat (b->x1 - b->x0, ==, 32.0f);
  }
  g_array_unref (boxes);
  gnet_detector_free (d);
  g_free (f.rgb);
  gnet_model_unref (m);
}

static void
test_pixel_formats (gconstpointer data)
{
  GnetDetectMode mode = GPOINTER_TO_INT (data);
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetector *d = detector_new (m, mode, GNET_REFINE_NONE, NULL);
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *ref = detect (d, &im);

  for (GnetPixelFormat fmt = 0; fmt < GNET_PIXEL_FORMAT_COUNT; fmt++) {
    Converted c = convert (&f, fmt);
    GArray *boxes = detect (d, &c.image);

    if (fmt < GNET_PIXEL_FORMAT_I420) {
      assert_same_boxes (ref, boxes, 0.9999, 0.0);
    } else {
      g_assert_true (find_box (boxes, "square", &SQUARE_TRUTH, 0.5));
      g_assert_true (find_box (boxes, "disc", &DISC_TRUTH, 0.5));
      assert_same_boxes (ref, boxes, 0.9, 0.05);
    }
    g_array_unref (boxes);
    converted_clear (&c);
  }
  g_array_unref (ref);
  g_free (f.rgb);
  gnet_detector_free (d);
  gnet_model_unref (m);
}

static void
test_sizes (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetector *dense = detector_new (m, GNET_DETECT_MODE_DENSE,
      GNET_REFINE_CAM, NULL);
  GnetDetector *crops = detector_new (m, GNET_DETECT_MODE_CROPS,
      GNET_REFINE_CAM, NULL);
  const gint sizes[][3] = {
    /* width, height, boxes possible */
    {1, 1, 0}, {31, 200, 0}, {200, 31, 0}, {32, 32, 1}, {97, 61, 1},
    {33, 47, 1}, {640, 33, 1},
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    Frame f = frame_new (sizes[i][0], sizes[i][1], 128);
    GnetImage im = frame_image (&f);
    GArray *a, *b;

    frame_square (&f, sizes[i][0] / 2 - 10, sizes[i][1] / 2 - 10, 20, RED);
    a = detect (dense, &im);
    b = detect (crops, &im);
    if (!sizes[i][2])
      g_assert_cmpuint (a->len, ==, 0);
    else
      g_assert_cmpuint (a->len, >=, 1);
    assert_same_boxes (a, b, 0.9, 1e-3);
    for (guint k = 0; k < a->len; k++) {
      const GnetBox *x = &g_array_index (a, GnetBox, k);
      g_assert_cmpfloat (x->x0, >=, 0);
      g_assert_cmpfloat (x->y0, >=, 0);
      g_assert_cmpfloat (x->x1, <=, sizes[i][0]);
      g_assert_cmpfloat (x->y1, <=, sizes[i][1]);
      g_assert_cmpfloat (x->x0, <, x->x1);
      g_assert_cmpfloat (x->y0, <, x->y1);
    }
    g_array_unref (a);
    g_array_unref (b);
    g_free (f.rgb);
  }
  gnet_detector_free (dense);
  gnet_detector_free (crops);
  gnet_model_unref (m);
}

/* A 24 px square in a 64 px frame, one 64 px window: the window box is the
 * frame, the CAM box hugs the square.  (The model is less sure of objects
 * this small, hence the low threshold.) */
static void
test_cam (gconstpointer data)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetectorParams p;
  GnetDetector *plain, *cam;
  GError *error = NULL;
  const gint pos[][2] = { {20, 20}, {22, 18}, {18, 22}, {21, 19} };

  gnet_detector_params_init (&p);
  p.mode = GPOINTER_TO_INT (data);
  p.threshold = 0.1f;
  p.n_windows = 1;
  p.windows[0] = 64;
  plain = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  p.refine = GNET_REFINE_CAM;
  cam = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (pos); i++) {
    Frame f = frame_new (64, 64, 110);
    GnetImage im = frame_image (&f);
    GnetBox truth = box (pos[i][0], pos[i][1], pos[i][0] + 24,
        pos[i][1] + 24, 1, 1);
    GArray *a, *b;
    const GnetBox *x, *y;
    gfloat cx = pos[i][0] + 12, cy = pos[i][1] + 12;

    frame_square (&f, pos[i][0], pos[i][1], 24, RED);
    a = detect (plain, &im);
    b = detect (cam, &im);
    dump ("window", a);
    dump ("cam", b);
    g_assert_cmpuint (a->len, ==, 1);
    g_assert_cmpuint (b->len, ==, 1);
    x = &g_array_index (a, GnetBox, 0);
    y = &g_array_index (b, GnetBox, 0);
    g_assert_cmpstr (y->label, ==, "square");
    g_assert_cmpfloat (x->confidence, ==, y->confidence);
    g_assert_cmpfloat (gnet_box_iou (x, &truth), <, 0.15);
    g_assert_cmpfloat (gnet_box_iou (y, &truth), >, 0.4);
    g_assert_true (y->x0 <= cx && cx <= y->x1 && y->y0 <= cy && cy <= y->y1);
    g_array_unref (a);
    g_array_unref (b);
    g_free (f.rgb);
  }
  gnet_detector_free (plain);
  gnet_detector_free (cam);
  gnet_model_unref (m);
}

/* With CAM, a window's classes are hypotheses about one item: they share
 * the box the best class's map gives, so that grouping can make them one
 * object (each class's own map would trim the box differently). */
static void
test_cam_shared_box (gconstpointer data)
{
  GnetModel *m = load ("detector/detector.onnx");
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *cam = all_windows (m, GPOINTER_TO_INT (data), GNET_REFINE_CAM,
      0.0f, &im, NULL, NULL);
  GArray *plain = all_windows (m, GPOINTER_TO_INT (data), GNET_REFINE_NONE,
      0.0f, &im, NULL, NULL);
  guint trimmed = 0;

  /* threshold 0: every window gives a box for both classes */
  g_assert_cmpuint (cam->len, ==, plain->len);
  g_assert_cmpuint (cam->len % 2, ==, 0);
  for (guint i = 0; i < cam->len; i++) {
    const GnetBox *a = &g_array_index (cam, GnetBox, i);
    gboolean twin = FALSE;

    for (guint j = 0; j < cam->len && !twin; j++) {
      const GnetBox *b = &g_array_index (cam, GnetBox, j);

      twin = b->class_id != a->class_id && b->x0 == a->x0 && b->y0 == a->y0
          && b->x1 == a->x1 && b->y1 == a->y1;
    }
    g_assert_true (twin);
  }
  /* ... and the map did trim boxes */
  for (guint i = 0; i < cam->len; i++) {
    const GnetBox *a = &g_array_index (cam, GnetBox, i);
    gboolean same = FALSE;

    for (guint j = 0; j < plain->len && !same; j++)
      same = gnet_box_iou (a, &g_array_index (plain, GnetBox, j)) == 1.0f;
    trimmed += !same;
  }
  g_test_message ("%u of %u boxes trimmed by the map", trimmed, cam->len);
  g_assert_cmpuint (trimmed, >, 0);
  g_array_unref (cam);
  g_array_unref (plain);
  g_free (f.rgb);
  gnet_model_unref (m);
}

static void
test_classes_and_colour (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetectorParams p;
  GError *error = NULL;
  GnetDetector *d;
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes;

  gnet_detector_params_init (&p);
  p.classes = " disc ";
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  boxes = detect (d, &im);
  g_assert_true (find_box (boxes, "disc", &DISC_TRUTH, 0.5));
  for (guint i = 0; i < boxes->len; i++)
    g_assert_cmpstr (g_array_index (boxes, GnetBox, i).label, ==, "disc");
  g_array_unref (boxes);

  /* an unknown name is refused, listed, and the filter is unchanged */
  g_assert_false (gnet_detector_set_classes (d, "square,cat,dog", &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_SETTINGS);
  g_assert_nonnull (strstr (error->message, "'cat', 'dog'"));
  g_clear_error (&error);
  boxes = detect (d, &im);
  g_assert_false (find_box (boxes, "square", &SQUARE_TRUTH, 0.0));
  g_array_unref (boxes);
  /* "" keeps everything again; a threshold of 1 keeps nothing */
  g_assert_true (gnet_detector_set_classes (d, "", &error));
  boxes = detect (d, &im);
  g_assert_true (find_box (boxes, "square", &SQUARE_TRUTH, 0.5));
  g_array_unref (boxes);
  gnet_detector_set_threshold (d, 1.0f);
  boxes = detect (d, &im);
  g_assert_cmpuint (boxes->len, ==, 0);
  g_array_unref (boxes);
  gnet_detector_free (d);

  /* BGR on an RGB model: the blue disc looks red, so it is a "square" (the
   * model also knows shapes a little: a blue square is no sure disc) */
  gnet_detector_params_init (&p);
  p.color_order = GNET_COLOR_ORDER_BGR;
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  boxes = detect (d, &im);
  dump ("bgr", boxes);
  g_assert_true (find_box (boxes, "square", &DISC_TRUTH, 0.5));
  g_assert_false (find_box (boxes, "square", &SQUARE_TRUTH, 0.1));
  g_array_unref (boxes);
  gnet_detector_free (d);

  g_free (f.rgb);
  gnet_model_unref (m);
}

/* The Caffe-layout fixture has no metadata: labels from a synset file, the
 * class names filtered by their first name, mean/std given. */
static void
test_labels_file (void)
{
  GnetModel *m = load ("detector/detector-caffe.onnx");
  gchar *path = write_temp ("n00000000 background\n"
      "n00000001 square, red square\nn00000002 disc, blue disc\n");
  GnetDetectorParams p;
  GError *error = NULL;
  GnetDetector *d;
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes;

  gnet_detector_params_init (&p);
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gnet_detector_get_label (d, 2), ==, "class 2");
  g_assert_cmpint (gnet_detector_get_background_class (d), ==, -1);
  g_assert_cmpint (gnet_detector_get_min_window (d), ==, 32);
  gnet_detector_free (d);

  p.labels_file = path;
  p.classes = "square";
  p.has_mean = p.has_std = TRUE;
  p.mean[0] = p.mean[1] = p.mean[2] = 0.5f;
  p.std[0] = p.std[1] = p.std[2] = 0.25f;
  p.n_windows = 2;
  p.windows[0] = 64;
  p.windows[1] = 32;
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gnet_detector_get_min_window (d), ==, 32);
  g_assert_cmpstr (gnet_detector_get_label (d, 1), ==, "square, red square");
  boxes = detect (d, &im);
  g_assert_true (find_box (boxes, "square, red square", &SQUARE_TRUTH, 0.5));
  for (guint i = 0; i < boxes->len; i++)
    g_assert_cmpint (g_array_index (boxes, GnetBox, i).class_id, ==, 1);
  g_array_unref (boxes);
  gnet_detector_free (d);

  g_unlink (path);
  g_free (path);
  g_free (f.rgb);
  gnet_model_unref (m);
}

/* Real GoogLeNet head layouts: one 224 px window on a 224x224 frame is one
 * model input, so the detector's confidence must be the full network's
 * best probability (a softmax added for torchvision's logits), in both
 * strategies: proves the head was found and computed like the graph. */
static void
test_googlenet (gconstpointer data)
{
  const gchar *name = data;
  GnetModel *m = load (name);
  Frame f = frame_new (224, 224, 0);
  GnetImage im = frame_image (&f);
  gfloat *input = g_new (gfloat, 3 * 224 * 224);
  GnetTensor in = { GNET_DTYPE_FLOAT32, 4, {1, 3, 224, 224}, input };
  GError *error = NULL;
  GnetSession *s;
  const GnetTensor *out;
  gdouble best = 0, sum = 0, max = -G_MAXDOUBLE;
  const gfloat *o;
  gint64 n;

  /* smooth random content, so the classes are not all alike */
  for (gint y = 0; y < 224; y++)
    for (gint x = 0; x < 224; x++)
      for (gint c = 0; c < 3; c++) {
        guint8 v = 128 + 100 * sin (x * (0.05 + 0.03 * c) + y * 0.07 * c)
            * cos (y * 0.04 + c);

        f.rgb[(y * 224 + x) * 3 + c] = v;
        input[(c * 224 + y) * 224 + x] = v / 255.0f;    /* defaults: 0..1 */
      }
  s = gnet_session_new (m, 1, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_session_run (s, &in, 1, &error));
  g_assert_no_error (error);
  out = gnet_session_get_output (s, 0);
  o = out->data;
  n = gnet_tensor_numel (out);
  for (gint64 k = 0; k < n; k++)
    max = MAX (max, o[k]);
  for (gint64 k = 0; k < n; k++)
    sum += exp (o[k] - max);
  if (strstr (name, "caffe"))
    best = max;                 /* ends in Softmax */
  else
    best = 1.0 / sum;

  for (GnetDetectMode mode = 0; mode < GNET_DETECT_MODE_COUNT; mode++) {
    GnetDetectorParams p;
    GnetDetector *d;
    GArray *boxes;
    const GnetBox *b;
    guint n_read;

    gnet_detector_params_init (&p);
    p.mode = mode;
    p.threshold = 0.0f;
    p.n_threads = 1;
    p.refine = GNET_REFINE_CAM;
    d = gnet_detector_new (m, &p, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (gnet_detector_get_n_classes (d), ==, n);
    g_assert_cmpint (gnet_detector_get_min_window (d), ==, 224);
    boxes = detect (d, &im);
    /* one window, its three best classes, strongest first: objects, or
     * alternatives where their CAM boxes overlap by more than 0.5 */
    n_read = 0;
    for (guint i = 0; i < boxes->len; i++) {
      b = &g_array_index (boxes, GnetBox, i);
      if (i > 0)
        g_assert_cmpfloat (b->confidence, <=, b[-1].confidence);
      for (guint k = 0; k < b->n_alternatives; k++)
        g_assert_cmpfloat (b->alternatives[k].confidence, <=,
            k ? b->alternatives[k - 1].confidence : b->confidence);
      n_read += 1 + b->n_alternatives;
    }
    g_assert_cmpuint (n_read, ==, MIN (n, 3));
    b = &g_array_index (boxes, GnetBox, 0);
    g_test_message ("%s mode %d: %g vs %g", name, mode, b->confidence, best);
    g_assert_cmpfloat (fabs (b->confidence - best), <, 1e-4 * best + 1e-6);
    g_assert_cmpfloat (b->x0, >=, 0);
    g_assert_cmpfloat (b->x1, <=, 224);
    g_array_unref (boxes);
    gnet_detector_free (d);
  }
  gnet_session_free (s);
  g_free (input);
  g_free (f.rgb);
  gnet_model_unref (m);
}

/* The Caffe-layout fixture (no metadata) with metadata_props added: an
 * entry appended to a serialized ModelProto is field 14 (length-delimited)
 * holding key (field 1) and value (field 2). */
static void
append_field (GByteArray * b, guint8 tag, const guint8 * data, gsize len)
{
  gsize n = len;
  guint8 v;

  g_byte_array_append (b, &tag, 1);
  for (; n >= 0x80; n >>= 7) {
    v = (n & 0x7f) | 0x80;
    g_byte_array_append (b, &v, 1);
  }
  v = n;
  g_byte_array_append (b, &v, 1);
  g_byte_array_append (b, data, len);
}

static GnetModel *
load_with_metadata (const gchar * const *pairs, GError ** error)
{
  gchar *path = fixture ("detector/detector-caffe.onnx");
  gchar *contents;
  gsize size;
  GByteArray *bytes;
  GnetModel *m;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  bytes = g_byte_array_new_take ((guint8 *) contents, size);
  for (guint i = 0; pairs[i]; i += 2) {
    GByteArray *entry = g_byte_array_new ();

    append_field (entry, 0x0a, (const guint8 *) pairs[i], strlen (pairs[i]));
    append_field (entry, 0x12, (const guint8 *) pairs[i + 1],
        strlen (pairs[i + 1]));
    append_field (bytes, 0x72, entry->data, entry->len);
    g_byte_array_unref (entry);
  }
  m = gnet_model_load_bytes (bytes->data, bytes->len, "meta.onnx", error);
  g_byte_array_unref (bytes);
  g_free (path);
  return m;
}

static void
test_metadata (void)
{
  const gchar *good[] = {
    "labels", "bg\nred\nblue\n", "background_class", "0",
    "input_range", "0,255", "mean", "127.5,127.5,127.5",
    "std", "63.75,63.75,63.75", "color_order", "rgb", "input_size", "32",
    "windows", "64, 48,32", NULL
  };
  const gchar *bad[][3] = {
    /* key, value, expected in the message */
    {"labels", "a\nb\n", "2 labels, but the model has 3 classes"},
    {"mean", "1,2", "mean '1,2'"},
    {"std", "1,x,1", "std"},
    {"std", "1,0,1", "std"},
    {"color_order", "GBR", "color_order 'GBR'"},
    {"input_range", "0,0", "input_range"},
    {"background_class", "3", "background_class '3'"},
    {"background_class", "1x", "background_class"},
    {"input_size", "32,x", "input_size"},
    {"windows", "32,0", "windows '32,0'"},
    {"windows", "", "windows"},
  };
  GError *error = NULL;
  GnetModel *m = load_with_metadata (good, &error);
  GnetDetectorParams p;
  GnetDetector *d;
  Frame f = scene ();
  GnetImage im = frame_image (&f);
  GArray *boxes;

  g_assert_no_error (error);
  gnet_detector_params_init (&p);
  d = gnet_detector_new (m, &p, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gnet_detector_get_label (d, 2), ==, "blue");
  g_assert_cmpint (gnet_detector_get_background_class (d), ==, 0);
  g_assert_cmpint (gnet_detector_get_min_window (d), ==, 32);
  /* 0..255 with mean 127.5 and std 63.75 is the fixture's own 0.5/0.25 */
  boxes = detect (d, &im);
  g_assert_true (find_box (boxes, "red", &SQUARE_TRUTH, 0.5));
  g_assert_true (find_box (boxes, "blue", &DISC_TRUTH, 0.5));
  g_array_unref (boxes);
  gnet_detector_free (d);
  gnet_model_unref (m);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    const gchar *pairs[] = { bad[i][0], bad[i][1], "labels",
      "bg\nred\nblue", NULL
    };

    /* the labels entry comes second: lookups take the first */
    m = load_with_metadata (pairs, &error);
    g_assert_no_error (error);
    gnet_detector_params_init (&p);
    d = gnet_detector_new (m, &p, &error);
    g_assert_null (d);
    g_assert_error (error, GNET_ERROR, GNET_ERROR_SETTINGS);
    if (!strstr (error->message, bad[i][2]))
      g_error ("'%s' not in '%s'", bad[i][2], error->message);
    g_assert_nonnull (strstr (error->message, "meta.onnx"));
    g_clear_error (&error);
    gnet_model_unref (m);
  }
  g_free (f.rgb);
}

/* The default model against PyTorch: samples/models/reference-windows.npy
 * holds 48x48 RGB windows (uint8, NHWC) and reference-prob.npy PyTorch's
 * probabilities for them after the model's own pre-processing.  A 48x48
 * frame with one 48 px window is one such input, so the detector's best
 * class and confidence must match: checks metadata, normalisation and
 * the head end to end, in both strategies. */
static guint8 *
load_npy_u8 (const gchar * path, gsize * size)
{
  gchar *contents;
  gsize len, header;
  guint8 *data;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  g_assert_cmpuint (len, >, 10);
  g_assert_true (memcmp (contents, "\x93NUMPY\x01", 7) == 0);
  header = 10 + (guint8) contents[8] + 256 * (guint8) contents[9];
  /* the dict after the 10-byte preamble (which holds a NUL) */
  g_assert_nonnull (g_strstr_len (contents + 10, header - 10, "'|u1'"));
  g_assert_nonnull (g_strstr_len (contents + 10, header - 10, "False"));
  *size = len - header;
  data = g_memdup2 (contents + header, *size);
  g_free (contents);
  return data;
}

static void
test_default_model (void)
{
  const gchar *src = g_getenv ("GNET_SRCDIR");
  gchar *dir = g_build_filename (src ? src : "..", "samples", "models", NULL);
  gchar *model_path = g_build_filename (dir, "default.onnx", NULL);
  gchar *win_path = g_build_filename (dir, "reference-windows.npy", NULL);
  gchar *prob_path = g_build_filename (dir, "reference-prob.npy", NULL);
  gchar *box_path = g_build_filename (dir, "reference-box.npy", NULL);
  GnetTensor prob = { 0 }, ref_box = { 0 };
  GError *error = NULL;
  GnetModel *m;
  guint8 *windows;
  gsize size = 0;
  gint bg;

  if (!g_file_test (model_path, G_FILE_TEST_EXISTS)
      || !g_file_test (win_path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("no samples/models/default.onnx and references");
    goto out;
  }
  m = gnet_model_load_file (model_path, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_tensor_load_file (prob_path, &prob, &error));
  g_assert_no_error (error);
  /* the model's box head: PyTorch's boxes, in units of the window */
  g_assert_true (gnet_tensor_load_file (box_path, &ref_box, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ref_box.ndim, ==, 2);
  g_assert_cmpint (ref_box.dims[1], ==, 4);
  windows = load_npy_u8 (win_path, &size);
  g_assert_nonnull (windows);
  g_assert_cmpuint (prob.ndim, ==, 2);
  g_assert_cmpuint (size, ==, prob.dims[0] * 48 * 48 * 3);

  for (GnetDetectMode mode = 0; mode < GNET_DETECT_MODE_COUNT; mode++) {
    GnetDetectorParams p;
    GnetDetector *d;

    gnet_detector_params_init (&p);
    p.mode = mode;
    p.threshold = 0.0f;
    p.n_threads = 1;
    p.n_windows = 1;
    p.windows[0] = 48;
    d = gnet_detector_new (m, &p, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (gnet_detector_get_n_classes (d), ==, prob.dims[1]);
    bg = gnet_detector_get_background_class (d);
    g_assert_cmpint (bg, >=, 0);
    for (gint64 i = 0; i < prob.dims[0]; i++) {
      GnetImage im = { GNET_PIXEL_FORMAT_RGB, 48, 48,
        {windows + i * 48 * 48 * 3}, {48 * 3}
      };
      const gfloat *ref = (const gfloat *) prob.data + i * prob.dims[1];
      const gfloat *rb = (const gfloat *) ref_box.data + i * 4;
      GArray *boxes = detect (d, &im);
      gint rank[3] = { -1, -1, -1 };

      const GnetBox *b;
      gfloat objectness = 0.0f;

      /* PyTorch's three best classes: at threshold 0 the window gives a
       * box for each, all in the window's regressed box, so they make one
       * object of the best class, the other two its alternatives */
      for (gint r = 0; r < 3; r++) {
        for (gint k = 0; k < prob.dims[1]; k++)
          if (k != bg && k != rank[0] && k != rank[1]
              && (rank[r] < 0 || ref[k] > ref[rank[r]]))
            rank[r] = k;
        objectness += ref[rank[r]];
      }
      g_assert_cmpuint (boxes->len, ==, 1);
      b = &g_array_index (boxes, GnetBox, 0);
      g_test_message ("window %" G_GINT64_FORMAT ": %s %.5f (PyTorch %.5f)",
          i, b->label, b->confidence, ref[rank[0]]);
      g_assert_cmpint (b->class_id, ==, rank[0]);
      g_assert_cmpfloat (fabsf (b->confidence - ref[rank[0]]), <, 1e-4);
      g_assert_cmpuint (b->n_alternatives, ==, 2);
      for (guint r = 1; r < 3; r++) {
        const GnetAlternative *a = &b->alternatives[r - 1];

        g_test_message ("  alternative %s %.5f (PyTorch %.5f)", a->label,
            a->confidence, ref[rank[r]]);
        g_assert_cmpint (a->class_id, ==, rank[r]);
        g_assert_cmpstr (a->label, ==, gnet_detector_get_label (d, rank[r]));
        g_assert_cmpfloat (fabsf (a->confidence - ref[rank[r]]), <, 1e-4);
      }
      g_assert_cmpfloat (fabsf (b->objectness - MIN (objectness, 1.0f)), <,
          3e-4);
      /* in frame pixels, clipped to the 48x48 frame */
      g_assert_cmpfloat_with_epsilon (b->x0, CLAMP (rb[0] * 48, 0, 48), 1e-3);
      g_assert_cmpfloat_with_epsilon (b->y0, CLAMP (rb[1] * 48, 0, 48), 1e-3);
      g_assert_cmpfloat_with_epsilon (b->x1, CLAMP (rb[2] * 48, 0, 48), 1e-3);
      g_assert_cmpfloat_with_epsilon (b->y1, CLAMP (rb[3] * 48, 0, 48), 1e-3);
      g_array_unref (boxes);
    }
    gnet_detector_free (d);
  }
  gnet_tensor_clear (&prob);
  gnet_tensor_clear (&ref_box);
  g_free (windows);
  gnet_model_unref (m);
out:
  g_free (dir);
  g_free (model_path);
  g_free (win_path);
  g_free (prob_path);
  g_free (box_path);
}

static void
expect_settings_error (GnetModel * m, const GnetDetectorParams * p,
    GnetError code, const gchar * needle)
{
  GError *error = NULL;
  GnetDetector *d = gnet_detector_new (m, p, &error);

  g_assert_null (d);
  g_assert_error (error, GNET_ERROR, (gint) code);
  if (needle && !strstr (error->message, needle))
    g_error ("'%s' not in '%s'", needle, error->message);
  g_clear_error (&error);
}

static void
test_settings_errors (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetectorParams p;
  gchar *two = write_temp ("a\nb\n");
  gchar *missing = g_strconcat (two, ".missing", NULL);

#define BAD(field, value, needle) G_STMT_START { \
    gnet_detector_params_init (&p); \
    p.field = value; \
    expect_settings_error (m, &p, GNET_ERROR_SETTINGS, needle); \
  } G_STMT_END
  BAD (stride, 0.0f, "stride");
  BAD (stride, 1.5f, "stride");
  BAD (stride, NAN, "stride");
  BAD (threshold, -0.1f, "threshold");
  BAD (threshold, 1.1f, "threshold");
  BAD (iou_threshold, 2.0f, "iou");
  BAD (max_detections, 0, "max detections");
  BAD (smoothing, 1.0f, "smoothing");
  BAD (smoothing, -0.5f, "smoothing");
  BAD (mode, GNET_DETECT_MODE_COUNT, "mode");
  BAD (refine, GNET_REFINE_COUNT, "refine");
  BAD (color_order, GNET_COLOR_ORDER_COUNT, "color");
  BAD (n_windows, GNET_MAX_WINDOWS + 1, "windows");
  BAD (classes, "square,cat", "'cat'");
  BAD (labels_file, two, two);
  BAD (labels_file, two, "2 labels, but the model has 3 classes");
#undef BAD
  gnet_detector_params_init (&p);
  p.n_windows = 2;
  p.windows[0] = 32;
  p.windows[1] = 0;
  expect_settings_error (m, &p, GNET_ERROR_SETTINGS, "window 0");
  p.windows[1] = 8193;
  expect_settings_error (m, &p, GNET_ERROR_SETTINGS, "window 8193");
  gnet_detector_params_init (&p);
  p.has_std = TRUE;
  p.std[1] = 0.0f;
  expect_settings_error (m, &p, GNET_ERROR_SETTINGS, "std");
  gnet_detector_params_init (&p);
  p.labels_file = missing;
  expect_settings_error (m, &p, GNET_ERROR_IO, missing);

  g_unlink (two);
  g_free (two);
  g_free (missing);
  gnet_model_unref (m);
}

static void
test_process_errors (void)
{
  GnetModel *m = load ("detector/detector.onnx");
  GnetDetector *d = detector_new (m, GNET_DETECT_MODE_DENSE,
      GNET_REFINE_NONE, NULL);
  guint8 pixels[12];
  GnetImage im = { GNET_PIXEL_FORMAT_RGB, 2, 2, {NULL}, {6} };
  const GnetBox *boxes = (const GnetBox *) pixels;
  guint n = 7;
  GError *error = NULL;

  g_assert_false (gnet_detector_process (d, &im, &boxes, &n, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_assert_cmpuint (n, ==, 0);
  g_clear_error (&error);
  im.planes[0] = pixels;
  im.format = 99;
  g_assert_false (gnet_detector_process (d, &im, &boxes, &n, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  im.format = GNET_PIXEL_FORMAT_RGB;
  g_assert_true (gnet_detector_process (d, &im, &boxes, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 0);
  gnet_detector_free (d);

  /* a 1 px window would upscale a 200x200 frame to 6400x6400 */
  d = detector_new (m, GNET_DETECT_MODE_DENSE, GNET_REFINE_NONE, "1");
  {
    Frame f = frame_new (200, 200, 128);
    GnetImage big = frame_image (&f);

    g_assert_false (gnet_detector_process (d, &big, &boxes, &n, &error));
    g_assert_error (error, GNET_ERROR, GNET_ERROR_SETTINGS);
    g_assert_nonnull (strstr (error->message, "6400x6400"));
    g_clear_error (&error);
    g_free (f.rgb);
  }
  gnet_detector_free (d);
  gnet_model_unref (m);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/detect/iou", test_iou);
  g_test_add_func ("/detect/nms", test_nms);
  g_test_add_func ("/detect/nms-random", test_nms_random);
  g_test_add_func ("/detect/vote", test_vote);
  g_test_add_func ("/detect/group", test_group);
  g_test_add_func ("/detect/track", test_track);
  g_test_add_func ("/detect/labels", test_labels);
  g_test_add_func ("/detect/image/formats", test_image_formats);
  g_test_add_func ("/detect/image/resample", test_image_resample);
  g_test_add_func ("/detect/image/errors", test_image_errors);
  g_test_add_data_func ("/detect/scene/dense",
      GINT_TO_POINTER (GNET_DETECT_MODE_DENSE), test_detect_scene);
  g_test_add_data_func ("/detect/scene/crops",
      GINT_TO_POINTER (GNET_DETECT_MODE_CROPS), test_detect_scene);
  g_test_add_func ("/detect/strategies-agree", test_strategies_agree);
  g_test_add_func ("/detect/lanes-help", test_lanes_help);
  g_test_add_func ("/detect/lanes-agree", test_lanes_agree);
  g_test_add_func ("/detect/no-head", test_no_head);
  g_test_add_func ("/detect/box-head", test_box_head);
  g_test_add_data_func ("/detect/plans/dense",
      GINT_TO_POINTER (GNET_DETECT_MODE_DENSE), test_plans);
  g_test_add_data_func ("/detect/plans/crops",
      GINT_TO_POINTER (GNET_DETECT_MODE_CROPS), test_plans);
  g_test_add_data_func ("/detect/pixel-formats/dense",
      GINT_TO_POINTER (GNET_DETECT_MODE_DENSE), test_pixel_formats);
  g_test_add_data_func ("/detect/pixel-formats/crops",
      GINT_TO_POINTER (GNET_DETECT_MODE_CROPS), test_pixel_formats);
  g_test_add_func ("/detect/sizes", test_sizes);
  g_test_add_data_func ("/detect/cam/dense",
      GINT_TO_POINTER (GNET_DETECT_MODE_DENSE), test_cam);
  g_test_add_data_func ("/detect/cam/crops",
      GINT_TO_POINTER (GNET_DETECT_MODE_CROPS), test_cam);
  g_test_add_data_func ("/detect/cam/shared-box/dense",
      GINT_TO_POINTER (GNET_DETECT_MODE_DENSE), test_cam_shared_box);
  g_test_add_data_func ("/detect/cam/shared-box/crops",
      GINT_TO_POINTER (GNET_DETECT_MODE_CROPS), test_cam_shared_box);
  g_test_add_func ("/detect/classes-and-colour", test_classes_and_colour);
  g_test_add_func ("/detect/labels-file", test_labels_file);
  g_test_add_data_func ("/detect/googlenet/caffe", "caffe-googlenet.onnx",
      test_googlenet);
  g_test_add_data_func ("/detect/googlenet/torchvision",
      "tv-googlenet-folded.onnx", test_googlenet);
  g_test_add_data_func ("/detect/googlenet/torchvision-bn",
      "tv-googlenet-bn.onnx", test_googlenet);
  g_test_add_func ("/detect/default-model", test_default_model);
  g_test_add_func ("/detect/settings-errors", test_settings_errors);
  g_test_add_func ("/detect/metadata", test_metadata);
  g_test_add_func ("/detect/process-errors", test_process_errors);
  labels_path = write_temp ("background\nsquare\ndisc\n");
  ret = g_test_run ();
  g_unlink (labels_path);
  g_free (labels_path);
  return ret;
}
