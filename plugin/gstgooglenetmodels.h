/* gstgooglenetmodels.h - one read-only copy of each model file per process.
 *
 * Elements whose "model" names the same file share one GnetModel (weights
 * are read-only once loaded, see gnet.h); each keeps its own detector and
 * sessions.  A file changed on disk since it was loaded is loaded again.
 */
#ifndef GST_GOOGLENET_MODELS_H
#define GST_GOOGLENET_MODELS_H

#include "gnet.h"

G_BEGIN_DECLS

/* Returns a reference to the model in `path`, loading it unless an
 * element already holds the same file (same canonical path, device, inode,
 * size and times); *shared says which.  Errors are in the GNET_ERROR
 * domain, as gnet_model_load_file() sets them.  Pair with
 * gst_googlenet_models_release(). */
GnetModel *gst_googlenet_models_acquire (const gchar * path,
    gboolean * shared, GError ** error);
/* Gives back a model from gst_googlenet_models_acquire(); the last user of
 * a file drops it from the cache.  Accepts NULL. */
void gst_googlenet_models_release (GnetModel * model);

G_END_DECLS
#endif /* GST_GOOGLENET_MODELS_H */
