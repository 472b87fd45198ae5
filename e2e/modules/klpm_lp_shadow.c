// SPDX-License-Identifier: GPL-2.0
/*
 * Like samples/livepatch/livepatch-shadow-fix1.c: the new function keeps a counter in a shadow
 * variable of the object it is given; a post_unpatch callback frees every one left.
 */
#include "klpm_lp.h"

#define KLPM_LP_SHADOW_ID 0x6b6c706dUL

static int klpm_lp_shadow_cmdline(struct seq_file *m, void *v)
{
	int *count = klp_shadow_get_or_alloc(m, KLPM_LP_SHADOW_ID, sizeof(*count), GFP_KERNEL, NULL, NULL);

	if (count)
		++*count;
	seq_printf(m, "shadow %d\n", count ? *count : 0);
	klp_shadow_free(m, KLPM_LP_SHADOW_ID, NULL);
	return 0;
}

static void klpm_lp_shadow_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(KLPM_LP_SHADOW_ID, NULL);
	KLPM_LP_LOG("post_unpatch_callback", obj);
}

static struct klp_func klpm_lp_shadow_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = klpm_lp_shadow_cmdline },
	{ }
};

static struct klp_object klpm_lp_shadow_objs[] = {
	{ .funcs = klpm_lp_shadow_funcs, .callbacks = { .post_unpatch = klpm_lp_shadow_post_unpatch } },
	{ }
};

static struct klp_patch klpm_lp_shadow_patch = {
	.mod = THIS_MODULE,
	.objs = klpm_lp_shadow_objs,
};

static int __init klpm_lp_shadow_init(void)
{
	return klp_enable_patch(&klpm_lp_shadow_patch);
}

static void __exit klpm_lp_shadow_exit(void)
{
}

module_init(klpm_lp_shadow_init);
module_exit(klpm_lp_shadow_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
