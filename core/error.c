/* error.c - the GNET_ERROR domain. */
#include "gnet-private.h"

G_DEFINE_QUARK (gnet-error-quark, gnet_error);
