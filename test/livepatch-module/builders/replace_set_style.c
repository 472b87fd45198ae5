// SPDX-License-Identifier: GPL-2.0
/* A patch of the unmerged replace-set series: `u32 replace_set` where `bool replace` was. */
#define KBUILD_MODNAME "replace_set_style"
#include "klpm_standin.h"

struct klp_patch_rs {
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	unsigned int replace_set;
};

static int new_a(void) { return 1; }
static struct klp_func funcs[] = { { .old_name = "cmdline_proc_show", .new_func = new_a }, { } };
static struct klp_object objs[] = { { .funcs = funcs }, { } };
static struct klp_patch_rs patch = { .mod = THIS_MODULE, .objs = objs, .replace_set = 5 };
int init_module(void) { return klp_enable_patch((void *)&patch); }
MODULE_INFO(livepatch, "Y");
/* .klp.sym symbols and a .klp.rela section as klp-convert writes them */
extern int klp_sym_a __asm__("\".klp.sym.vmlinux.saved_command_line,0\"");
extern int klp_sym_b __asm__("\".klp.sym.klpm_e2e_target.klpm_e2e_sleep_fn.isra.0,2\"");
int *use_a = &klp_sym_a;
int *use_b = &klp_sym_b;
/* stands in for the relocation section klp-convert makes for relocations against vmlinux's .text */
static int klp_rela_marker __attribute__((section(".klp.rela.vmlinux..text"), used)) = 1;
