/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the klpm_lp_* modules, livepatches written like the kernel's samples/livepatch/ and
 * selftest modules (tools/testing/selftests/livepatch/test_modules/) to prove `klpm inspect` against
 * /sys/kernel/livepatch. Built against a kernel's headers by Kbuild, or, with KLPM_STANDALONE, as plain
 * objects with test/livepatch-module/standin/klpm_standin.h for the cross-architecture tests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#ifdef KLPM_STANDALONE
#include "klpm_standin.h"
#else
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#endif

/* "<patch>: <callback>: <object>", one line per callback run, as test_klp_callbacks_demo logs them */
#define KLPM_LP_LOG(callback, obj) pr_info("%s: %s\n", callback, (obj)->name ? (obj)->name : "vmlinux")
