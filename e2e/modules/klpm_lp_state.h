/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Like the selftests' test_klp_state.c and test_klp_state2.c: a cumulative patch (replace) carrying
 * system state 7 at version KLPM_LP_STATE_VERSION; pre_patch finds the state and logs its version.
 * The including file defines KLPM_LP_STATE_VERSION.
 */
#include "klpm_lp.h"

#define KLPM_LP_STATE_ID 7

static struct klp_patch klpm_lp_state_patch;

static int klpm_lp_state_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&klpm_lp_state_patch, KLPM_LP_STATE_ID);

	KLPM_LP_LOG("pre_patch_callback", obj);
	pr_info("state %d version %u\n", KLPM_LP_STATE_ID, state ? state->version : 0);
	return state ? 0 : -22;
}

static void klpm_lp_state_post_unpatch(struct klp_object *obj)
{
	KLPM_LP_LOG("post_unpatch_callback", obj);
}

static int klpm_lp_state_cmdline(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func klpm_lp_state_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = klpm_lp_state_cmdline },
	{ }
};

static struct klp_object klpm_lp_state_objs[] = {
	{
		.funcs = klpm_lp_state_funcs,
		.callbacks = { .pre_patch = klpm_lp_state_pre_patch, .post_unpatch = klpm_lp_state_post_unpatch },
	},
	{ }
};

static struct klp_state klpm_lp_states[] = {
	{ .id = KLPM_LP_STATE_ID, .version = KLPM_LP_STATE_VERSION },
	{ }
};

static struct klp_patch klpm_lp_state_patch = {
	.mod = THIS_MODULE,
	.objs = klpm_lp_state_objs,
	.states = klpm_lp_states,
	.replace = true,
};

static int __init klpm_lp_state_init(void)
{
	return klp_enable_patch(&klpm_lp_state_patch);
}

static void __exit klpm_lp_state_exit(void)
{
}

module_init(klpm_lp_state_init);
module_exit(klpm_lp_state_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
