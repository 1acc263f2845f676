/* gstgooglenetoverlay.h - boxes and labels drawn with Cairo/Pango and
 * blended onto a video frame of any format the element accepts.
 */
#ifndef GST_GOOGLENET_OVERLAY_H
#define GST_GOOGLENET_OVERLAY_H

#include <gst/video/video.h>
#include "gnet.h"

G_BEGIN_DECLS

typedef struct _GstGooglenetOverlay GstGooglenetOverlay;

/* Everything the overlay needs (surface, Pango layout, scratch) is
 * allocated here, once per caps; drawing allocates nothing.  NULL when the
 * format is not one the element accepts. */
GstGooglenetOverlay *gst_googlenet_overlay_new (const GstVideoInfo * info);
void gst_googlenet_overlay_free (GstGooglenetOverlay * overlay);

/* Draws one outline and one "label 87%" tag per box.  Only the pixels under
 * outlines and tags are touched. */
void gst_googlenet_overlay_draw (GstGooglenetOverlay * overlay,
    GstVideoFrame * frame, const GnetBox * boxes, guint n_boxes);

/* The outline colour of a class as 0xRRGGBB (tests check edges with it). */
guint32 gst_googlenet_overlay_class_color (gint class_id);

/* Line width in pixels used at this frame height. */
gint gst_googlenet_overlay_line_width (gint height);

G_END_DECLS
#endif /* GST_GOOGLENET_OVERLAY_H */
