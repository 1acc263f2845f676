#include "gnet-private.h"
