/*
 * sandbox-int.h - internals shared by the files of sandbox/.
 */
#ifndef CAIRN_SANDBOX_INT_H
#define CAIRN_SANDBOX_INT_H

#include "sandbox.h"

#endif
