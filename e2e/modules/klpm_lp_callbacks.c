// SPDX-License-Identifier: GPL-2.0
/*
 * Like samples/livepatch/livepatch-callbacks-demo.c: all four callbacks on vmlinux and on a module
 * object (klpm_e2e_target), each logging its run; the module's func names its sympos (1) explicitly.
 */
#include "klpm_lp.h"

static int klpm_lp_pre_patch(struct klp_object *obj)
{
	KLPM_LP_LOG("pre_patch_callback", obj);
	return 0;
}

static void klpm_lp_post_patch(struct klp_object *obj)
{
	KLPM_LP_LOG("post_patch_callback", obj);
}

static void klpm_lp_pre_unpatch(struct klp_object *obj)
{
	KLPM_LP_LOG("pre_unpatch_callback", obj);
}

static void klpm_lp_post_unpatch(struct klp_object *obj)
{
	KLPM_LP_LOG("post_unpatch_callback", obj);
}

static int klpm_lp_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "klpm_lp_callbacks");
	return 0;
}

static int klpm_lp_value_show(char *buf)
{
	buf[0] = 'c';
	buf[1] = '\n';
	return 2;
}

static struct klp_func klpm_lp_vmlinux_funcs[] = {
	{ .old_name = "version_proc_show", .new_func = klpm_lp_version_show },
	{ }
};

static struct klp_func klpm_lp_target_funcs[] = {
	{ .old_name = "klpm_e2e_value_show", .new_func = klpm_lp_value_show, .old_sympos = 1 },
	{ }
};

static struct klp_object klpm_lp_callbacks_objs[] = {
	{
		.funcs = klpm_lp_vmlinux_funcs,
		.callbacks = {
			.pre_patch = klpm_lp_pre_patch,
			.post_patch = klpm_lp_post_patch,
			.pre_unpatch = klpm_lp_pre_unpatch,
			.post_unpatch = klpm_lp_post_unpatch,
		},
	},
	{
		.name = "klpm_e2e_target",
		.funcs = klpm_lp_target_funcs,
		.callbacks = {
			.pre_patch = klpm_lp_pre_patch,
			.post_unpatch = klpm_lp_post_unpatch,
		},
	},
	{ }
};

static struct klp_patch klpm_lp_callbacks_patch = {
	.mod = THIS_MODULE,
	.objs = klpm_lp_callbacks_objs,
};

static int __init klpm_lp_callbacks_init(void)
{
	return klp_enable_patch(&klpm_lp_callbacks_patch);
}

static void __exit klpm_lp_callbacks_exit(void)
{
}

module_init(klpm_lp_callbacks_init);
module_exit(klpm_lp_callbacks_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
