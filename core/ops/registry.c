#include "../gnet-private.h"
