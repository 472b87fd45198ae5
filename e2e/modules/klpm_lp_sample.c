// SPDX-License-Identifier: GPL-2.0
/* Like samples/livepatch/livepatch-sample.c: one vmlinux function, no callbacks, no replace. */
#include "klpm_lp.h"

static int klpm_lp_sample_cmdline(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "this has been live patched");
	return 0;
}

static struct klp_func klpm_lp_sample_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = klpm_lp_sample_cmdline },
	{ }
};

static struct klp_object klpm_lp_sample_objs[] = {
	{ .funcs = klpm_lp_sample_funcs }, /* NULL name: vmlinux */
	{ }
};

static struct klp_patch klpm_lp_sample_patch = {
	.mod = THIS_MODULE,
	.objs = klpm_lp_sample_objs,
};

static int __init klpm_lp_sample_init(void)
{
	return klp_enable_patch(&klpm_lp_sample_patch);
}

static void __exit klpm_lp_sample_exit(void)
{
}

module_init(klpm_lp_sample_init);
module_exit(klpm_lp_sample_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_VERSION("1");
