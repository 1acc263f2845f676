/* cam.c - class activation maps (Zhou et al. 2016) to tighten a window.
 *
 * With a global-average-pooled head, the score of class k is the average
 * over cells of sum_c W[k, c] * F[c, y, x], so that per-cell sum says where
 * in the window the evidence for k lies.  The map is upsampled bilinearly
 * to window pixels, thresholded at a fraction of its maximum, and the box
 * is the extent of the connected region that holds the maximum: other
 * blobs above the threshold usually belong to neighbouring objects.
 */
#include "gnet-private.h"
#include "detect-private.h"

#include <math.h>
#include <string.h>

void
gnet__cam_init (GnetCam * cam, gint cells_h, gint cells_w, gint win_h,
    gint win_w, gfloat cell_step, gfloat threshold)
{
  gsize n = (gsize) win_h * win_w;

  cam->cells_h = cells_h;
  cam->cells_w = cells_w;
  cam->win_h = win_h;
  cam->win_w = win_w;
  cam->cell_step = cell_step;
  cam->threshold = threshold;
  cam->cells = g_new (gfloat, (gsize) cells_h * cells_w);
  cam->map = g_new (gfloat, n);
  cam->mask = g_new (guint8, n);
  cam->stack = g_new (gint, n);
}

void
gnet__cam_clear (GnetCam * cam)
{
  if (cam == NULL)
    return;
  g_free (cam->cells);
  g_free (cam->map);
  g_free (cam->mask);
  g_free (cam->stack);
  memset (cam, 0, sizeof (*cam));
}

/* Bilinear sample positions of one axis: pixel p of the window reads cells
 * i0 and i0 + 1 with weight 1 - f and f.  The cell grid is centred in the
 * window, which is exact for padded networks (cells * step == window) and
 * close to the receptive fields' centres for unpadded ones. */
static inline void
cell_coord (gint p, gint n_cells, gint win, gfloat step, gint * i0, gfloat * f)
{
  gfloat off = (win - n_cells * step) * 0.5f;
  gfloat u = (p + 0.5f - off) / step - 0.5f;

  u = CLAMP (u, 0.0f, (gfloat) (n_cells - 1));
  *i0 = MIN ((gint) u, n_cells - 2 < 0 ? 0 : n_cells - 2);
  *f = n_cells > 1 ? u - *i0 : 0.0f;
}

static void
compute_cells (GnetCam * cam, const gfloat * weights, gint n_channels,
    const gfloat * features, gsize channel_stride, gsize row_stride)
{
  for (gint y = 0; y < cam->cells_h; y++)
    for (gint x = 0; x < cam->cells_w; x++) {
      const gfloat *f = features + y * row_stride + x;
      gfloat sum = 0.0f;

      for (gint c = 0; c < n_channels; c++)
        sum += weights[c] * f[c * channel_stride];
      cam->cells[y * cam->cells_w + x] = sum;
    }
}

/* Upsamples the cells into cam->map; returns the index of the maximum. */
static gint
upsample (GnetCam * cam)
{
  gint best = 0;
  gint cw = cam->cells_w;

  for (gint y = 0; y < cam->win_h; y++) {
    gint iy, ix, iy1;
    gfloat fy, fx;

    cell_coord (y, cam->cells_h, cam->win_h, cam->cell_step, &iy, &fy);
    iy1 = MIN (iy + 1, cam->cells_h - 1);
    for (gint x = 0; x < cam->win_w; x++) {
      const gfloat *r0 = cam->cells + iy * cw, *r1 = cam->cells + iy1 * cw;
      gint ix1;
      gfloat v;

      cell_coord (x, cw, cam->win_w, cam->cell_step, &ix, &fx);
      ix1 = MIN (ix + 1, cw - 1);
      v = (1 - fy) * ((1 - fx) * r0[ix] + fx * r0[ix1])
          + fy * ((1 - fx) * r1[ix] + fx * r1[ix1]);
      cam->map[y * cam->win_w + x] = v;
      if (v > cam->map[best])
        best = y * cam->win_w + x;
    }
  }
  return best;
}

gboolean
gnet__cam_box (GnetCam * cam, const gfloat * weights, gint n_channels,
    const gfloat * features, gsize channel_stride, gsize row_stride,
    gfloat box[4])
{
  gint w = cam->win_w, h = cam->win_h;
  gint best, top = 0;
  gint x0 = w, y0 = h, x1 = -1, y1 = -1;
  gfloat limit;

  compute_cells (cam, weights, n_channels, features, channel_stride,
      row_stride);
  best = upsample (cam);
  if (!(cam->map[best] > 0.0f))
    return FALSE;
  limit = cam->threshold * cam->map[best];

  /* 4-connected flood fill from the maximum; mask marks visited pixels, so
   * each pixel is pushed at most once and the stack cannot overflow. */
  memset (cam->mask, 0, (gsize) w * h);
  cam->mask[best] = 1;
  cam->stack[top++] = best;
  while (top > 0) {
    gint p = cam->stack[--top];
    gint px = p % w, py = p / w;
    gint nb[4] = { px > 0 ? p - 1 : -1, px < w - 1 ? p + 1 : -1,
      py > 0 ? p - w : -1, py < h - 1 ? p + w : -1
    };

    x0 = MIN (x0, px);
    x1 = MAX (x1, px);
    y0 = MIN (y0, py);
    y1 = MAX (y1, py);
    for (guint i = 0; i < 4; i++)
      if (nb[i] >= 0 && !cam->mask[nb[i]] && cam->map[nb[i]] >= limit) {
        cam->mask[nb[i]] = 1;
        cam->stack[top++] = nb[i];
      }
  }
  box[0] = x0;
  box[1] = y0;
  box[2] = x1 + 1;
  box[3] = y1 + 1;
  return TRUE;
}
