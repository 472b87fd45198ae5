// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel's klp-build leaves for scripts/livepatch/init.c: struct klp_object_ext entries in
 * the .init.klp_objects section, each pointing at nr_funcs struct klp_func_ext
 * (include/linux/livepatch_external.h), written here by hand.
 */
#define KBUILD_MODNAME "klp_build_style"
#include "klpm_standin.h"

struct klp_func_ext { const char *old_name; void *new_func; unsigned long sympos; };
struct klp_object_ext { const char *name; struct klp_func_ext *funcs; struct klp_callbacks callbacks; unsigned int nr_funcs; };

static int new_a(void) { return 1; }
static int new_b(void) { return 2; }
static int pre(struct klp_object *obj) { return 0; }
static void post(struct klp_object *obj) { }

static struct klp_func_ext vmlinux_funcs[] = {
	{ "cmdline_proc_show", new_a, 0 },
	{ "version_proc_show", new_b, 3 },
};
static struct klp_func_ext target_funcs[] = { { "klpm_e2e_value_show", new_a, 0 } };
static struct klp_object_ext objects[] __attribute__((section(".init.klp_objects"), used)) = {
	{ NULL, vmlinux_funcs, { .pre_patch = pre, .post_unpatch = post }, 2 },
	{ "klpm_e2e_target", target_funcs, { }, 1 },
};
MODULE_INFO(livepatch, "Y");
