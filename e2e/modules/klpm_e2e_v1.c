// SPDX-License-Identifier: GPL-2.0
/* klpm_e2e_v1: cumulative livepatch, version 1 (state 1 at version 1). */
#define KLPM_E2E_VERSION 1
#define KLPM_E2E_VERSION_STRING "1"
#include "klpm_e2e_patch.h"
MODULE_DESCRIPTION("klpm e2e: cumulative livepatch v1");
