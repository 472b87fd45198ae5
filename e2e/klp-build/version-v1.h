/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included (KCPPFLAGS) in every file of the klpm-klp-v1 patch module by .ci/klp-build.sh:
 * klp-build's init.c declares no MODULE_VERSION, and klpm lint orders builds by it.
 */
#include <linux/module.h>
MODULE_VERSION("1.0-1");
