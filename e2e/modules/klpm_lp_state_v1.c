// SPDX-License-Identifier: GPL-2.0
/* klpm_lp_state_v1: state 7 at version 1. */
#define KLPM_LP_STATE_VERSION 1
#include "klpm_lp_state.h"
MODULE_VERSION("1");
