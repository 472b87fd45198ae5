// SPDX-License-Identifier: GPL-2.0
/* klpm_lp_state_v2: state 7 at version 2. */
#define KLPM_LP_STATE_VERSION 2
#include "klpm_lp_state.h"
MODULE_VERSION("2");
