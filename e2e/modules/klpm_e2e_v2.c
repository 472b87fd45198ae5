// SPDX-License-Identifier: GPL-2.0
/* klpm_e2e_v2: cumulative livepatch, version 2 (state 1 at version 2; also patches klpm_e2e_sleep_fn). */
#define KLPM_E2E_VERSION 2
#define KLPM_E2E_VERSION_STRING "2"
#include "klpm_e2e_patch.h"
MODULE_DESCRIPTION("klpm e2e: cumulative livepatch v2");
