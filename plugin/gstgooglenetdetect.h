/* gstgooglenetdetect.h - the googlenetdetect element. */
#ifndef GST_GOOGLENET_DETECT_H
#define GST_GOOGLENET_DETECT_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_GOOGLENET_DETECT (gst_googlenet_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstGooglenetDetect, gst_googlenet_detect,
    GST, GOOGLENET_DETECT, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (googlenetdetect);

G_END_DECLS
#endif /* GST_GOOGLENET_DETECT_H */
