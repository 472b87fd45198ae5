// SPDX-License-Identifier: GPL-2.0
/*
 * What kpatch-build leaves in a patch module for its hook (kmod/patch/livepatch-patch-hook.c) to turn
 * into a klp_patch: struct kpatch_patch_func entries in .kpatch.funcs (kmod/patch/kpatch-patch.h) and
 * {callback, objname} entries in .kpatch.callbacks.* (kpatch-macros.h), written here by hand.
 */
#define KBUILD_MODNAME "kpatch_style"
#include "klpm_standin.h"

struct kpatch_patch_func {
	unsigned long new_addr, new_size, old_addr, old_size, sympos;
	char *name, *objname;
};
struct kpatch_post_patch_callback { void (*callback)(void *obj); char *objname; };

static int new_meminfo(void) { return 1; }
static int new_value(void) { return 2; }
static void post_patch(void *obj) { }

static struct kpatch_patch_func funcs[] __attribute__((section(".kpatch.funcs"), used)) = {
	{ (unsigned long)new_meminfo, 16, 0, 32, 0, "meminfo_proc_show", "vmlinux" },
	{ (unsigned long)new_value, 16, 0, 32, 2, "klpm_e2e_value_show", "klpm_e2e_target" },
};
static struct kpatch_post_patch_callback cb __attribute__((section(".kpatch.callbacks.post_patch"), used)) = {
	post_patch, "klpm_e2e_target",
};
MODULE_INFO(livepatch, "Y");
