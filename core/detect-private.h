/* detect-private.h - what the detector's files (detect.c, image.c, cam.c,
 * labels.c) share with each other and nobody else.
 */
#ifndef GNET_DETECT_PRIVATE_H
#define GNET_DETECT_PRIVATE_H

#include "gnet.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* image.c: pixel formats and resampling                                    */
/* ------------------------------------------------------------------------ */

/* Precomputed weights to resample one axis from in_size to out_size samples
 * (antialiased bilinear: a triangle filter widened by the scale when
 * downscaling, so every input pixel contributes; plain bilinear with pixel
 * centres at +0.5 when upscaling).  Output i reads input
 * first[i] .. first[i] + taps - 1 (zero weights pad the unused taps). */
typedef struct
{
  gint in_size;
  gint out_size;
  gint taps;
  gint *first;
  gfloat *weights;
} GnetResampleAxis;

void gnet__resample_axis_init (GnetResampleAxis * axis, gint in_size,
    gint out_size);
void gnet__resample_axis_clear (GnetResampleAxis * axis);

/* Checks format, size, planes and strides; GNET_ERROR_INPUT otherwise. */
gboolean gnet__image_check (const GnetImage * image, GError ** error);

/* How to turn 0..255 RGB into the network's planar input: channel c of the
 * output is RGB channel (bgr ? 2 - c : c), times scale[c], plus offset[c]. */
typedef struct
{
  gboolean bgr;
  gfloat scale[3];
  gfloat offset[3];
} GnetNormalize;

/* Floats of a decoded frame: planar RGB, 3 x height x width. */
gsize gnet__image_decode_floats (gint width, gint height);

/* Converts the whole image to planar RGB floats 0..255 in `frame`, in
 * n_parts parts on the worker pool.  I420/NV12 are BT.601 limited range. */
void gnet__image_decode (const GnetImage * image, gfloat * frame,
    guint n_parts);

/* Floats of scratch gnet__image_resample() needs. */
gsize gnet__image_resample_scratch (gint in_width, guint n_parts);

/* Resamples a decoded frame (width x height) into `out`, planar 3 x
 * out_height x out_width floats normalised by `norm` (ax: width axis, ay:
 * height axis, both from the frame's size to the output's), in n_parts
 * parts on the worker pool. */
void gnet__image_resample (const gfloat * frame, gint width, gint height,
    const GnetResampleAxis * ax, const GnetResampleAxis * ay,
    const GnetNormalize * norm, gfloat * scratch, guint n_parts,
    gfloat * out);

/* ------------------------------------------------------------------------ */
/* cam.c: class activation maps                                             */
/* ------------------------------------------------------------------------ */

/* Everything one CAM refinement needs; buffers sized by gnet__cam_init. */
typedef struct
{
  gint cells_h, cells_w;        /* feature cells under one window */
  gint win_h, win_w;            /* window in level pixels (model input) */
  gfloat cell_step;             /* level pixels between cell centres (S) */
  gfloat threshold;             /* fraction of the map's maximum kept */
  gfloat *cells;                /* cells_h x cells_w */
  gfloat *map;                  /* win_h x win_w */
  guint8 *mask;                 /* win_h x win_w */
  gint *stack;                  /* win_h x win_w flood-fill stack */
} GnetCam;

void gnet__cam_init (GnetCam * cam, gint cells_h, gint cells_w,
    gint win_h, gint win_w, gfloat cell_step, gfloat threshold);
void gnet__cam_clear (GnetCam * cam);

/* Computes the map of one class (weights: n_channels floats) over the
 * window's cells of a feature map (channel c, cell (y, x) at
 * features[c * channel_stride + y * row_stride + x]), and returns the
 * bounding box, in window pixels (x1/y1 exclusive), of the connected region
 * above threshold * max that holds the maximum.  FALSE (box untouched) when
 * the map has no positive maximum. */
gboolean gnet__cam_box (GnetCam * cam, const gfloat * weights,
    gint n_channels, const gfloat * features, gsize channel_stride,
    gsize row_stride, gfloat box[4]);

/* ------------------------------------------------------------------------ */
/* nms.c                                                                    */
/* ------------------------------------------------------------------------ */

/* Adds class k of probability p to a list of at most cap classes kept
 * strongest first (top, conf; *n_top of them): inserted in order, ties
 * after the equal ones, the weakest falling off when the list is full. */
void gnet__top_insert (gint * top, gfloat * conf, guint * n_top, guint cap,
    gint k, gfloat p);

/* Sorts strongest first (ties broken on class, then position), without
 * allocating. */
void gnet__boxes_sort (GnetBox * boxes, guint n);

/* Box voting (Gidaris and Komodakis 2015): each kept box becomes the
 * confidence-weighted mean of the boxes of `all` (any class) that overlap
 * it by more than vote_iou.  Neighbouring windows regress slightly
 * different boxes for one object; their mean is steadier than the best
 * one alone.  `all` must not alias `kept`. */
void gnet__boxes_vote (GnetBox * kept, guint n_kept, const GnetBox * all,
    guint n_all, gfloat vote_iou);

/* Folds boxes that read one object as different classes into one: in
 * order (strongest first), a box overlapping an earlier object's box by
 * more than group_iou, of another class, becomes one of the alternatives
 * of the object it overlaps most, and its confidence adds to the object's
 * objectness (at most 1); any other box starts an object, its objectness
 * its confidence.  Compacts the objects to the front, in order, and
 * returns their count. */
guint gnet__boxes_group (GnetBox * boxes, guint n_boxes, gfloat group_iou);

/* ------------------------------------------------------------------------ */
/* track.c: class probabilities smoothed along a video                      */
/* ------------------------------------------------------------------------ */

/* The objects of the last frame and their smoothed class probabilities;
 * all memory is allocated by gnet__track_init. */
typedef struct
{
  guint capacity;               /* most objects per frame */
  guint n_classes;
  guint n;                      /* objects remembered from the last frame */
  GnetBox *prev;                /* their boxes */
  gfloat *prev_p;               /* capacity x n_classes: their probabilities */
  gfloat *cur_p;                /* the same for the current frame */
  gboolean *taken;              /* capacity: matched in the current frame */
} GnetTrack;

void gnet__track_init (GnetTrack * track, guint capacity, guint n_classes);
void gnet__track_clear (GnetTrack * track);
/* Forgets the last frame: the next one starts every object afresh. */
void gnet__track_reset (GnetTrack * track);

/* Smooths the class probabilities of a frame's objects (at most capacity,
 * strongest first, as the detector returns them) with those of the last
 * frame's objects (see track.c), remembers them for the next frame, drops
 * the objects whose best class falls under threshold, and sorts the rest
 * strongest first; returns how many are left.  With smoothing 0 the
 * objects are returned as they are (and still remembered).  labels names
 * the classes. */
guint gnet__track_smooth (GnetTrack * track, GnetBox * boxes, guint n,
    gfloat smoothing, gfloat threshold, gchar ** labels);

/* ------------------------------------------------------------------------ */
/* detect.c                                                                 */
/* ------------------------------------------------------------------------ */

/* Plans made so far by all of the detector's sessions (tests use it to show
 * that frames of one size are planned once). */
guint gnet__detector_get_n_plans (const GnetDetector * detector);

/* ------------------------------------------------------------------------ */
/* labels.c                                                                 */
/* ------------------------------------------------------------------------ */

/* Labels from text (a file's contents or the model's metadata); `what`
 * names the source in errors. */
gchar **gnet__labels_parse (const gchar * text, const gchar * what,
    GError ** error);
/* Does a `classes` entry name this label?  Its whole text or its first
 * comma-separated name, ignoring ASCII case. */
gboolean gnet__label_matches (const gchar * label, const gchar * name);

G_END_DECLS
#endif /* GNET_DETECT_PRIVATE_H */
