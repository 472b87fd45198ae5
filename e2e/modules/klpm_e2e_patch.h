/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body shared by the cumulative e2e livepatches klpm_e2e_v1 and
 * klpm_e2e_v2. The including file defines KLPM_E2E_VERSION (1 or 2) and
 * KLPM_E2E_VERSION_STRING.
 *
 * Each object carries all four callbacks; each prints one line in the format
 * klpm's simulator predicts (the format of the kernel selftest module
 * test_klp_callbacks_demo): "<patch>: <callback>: vmlinux" or
 * "<patch>: <callback>: <module> -> <module state>". Every pre_patch
 * callback returns the module parameter pre_patch_ret.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

static int pre_patch_ret;
module_param(pre_patch_ret, int, 0644);
MODULE_PARM_DESC(pre_patch_ret, "value every pre_patch callback returns (0: success)");

static const char *klpm_e2e_module_state(const struct module *mod)
{
	switch (mod->state) {
	case MODULE_STATE_LIVE:
		return "[MODULE_STATE_LIVE] Normal state";
	case MODULE_STATE_COMING:
		return "[MODULE_STATE_COMING] Full formed, running module_init";
	case MODULE_STATE_GOING:
		return "[MODULE_STATE_GOING] Going away";
	case MODULE_STATE_UNFORMED:
		return "[MODULE_STATE_UNFORMED] Still setting it up";
	}
	return "[?]";
}

static void klpm_e2e_callback(const char *callback, struct klp_object *obj)
{
	if (obj->mod)
		pr_info("%s: %s -> %s\n", callback, obj->mod->name,
			klpm_e2e_module_state(obj->mod));
	else
		pr_info("%s: vmlinux\n", callback);
}

static int klpm_e2e_pre_patch(struct klp_object *obj)
{
	klpm_e2e_callback("pre_patch_callback", obj);
	return pre_patch_ret;
}

static void klpm_e2e_post_patch(struct klp_object *obj)
{
	klpm_e2e_callback("post_patch_callback", obj);
}

static void klpm_e2e_pre_unpatch(struct klp_object *obj)
{
	klpm_e2e_callback("pre_unpatch_callback", obj);
}

static void klpm_e2e_post_unpatch(struct klp_object *obj)
{
	klpm_e2e_callback("post_unpatch_callback", obj);
}

#define KLPM_E2E_CALLBACKS {					\
	.pre_patch = klpm_e2e_pre_patch,			\
	.post_patch = klpm_e2e_post_patch,			\
	.pre_unpatch = klpm_e2e_pre_unpatch,			\
	.post_unpatch = klpm_e2e_post_unpatch,			\
}

/* Replaces cmdline_proc_show in fs/proc/cmdline.c: /proc/cmdline names the live patch. */
static int klpm_e2e_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

/* Replaces klpm_e2e_value_show in klpm_e2e_target. */
static int klpm_e2e_value_show(char *buf)
{
	return sysfs_emit(buf, "%s\n", KBUILD_MODNAME);
}

#if KLPM_E2E_VERSION >= 2
/* Replaces klpm_e2e_sleep_fn in klpm_e2e_target; it works only on its arguments. */
static void klpm_e2e_sleep_fn(wait_queue_head_t *wq, bool *released)
{
	while (!READ_ONCE(*released))
		wait_event_interruptible(*wq, READ_ONCE(*released));
}
#endif

static struct klp_func klpm_e2e_vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = klpm_e2e_cmdline_proc_show },
	{ }
};

static struct klp_func klpm_e2e_target_funcs[] = {
	{ .old_name = "klpm_e2e_value_show", .new_func = klpm_e2e_value_show },
#if KLPM_E2E_VERSION >= 2
	{ .old_name = "klpm_e2e_sleep_fn", .new_func = klpm_e2e_sleep_fn },
#endif
	{ }
};

static struct klp_object klpm_e2e_objs[] = {
	{
		.funcs = klpm_e2e_vmlinux_funcs,
		.callbacks = KLPM_E2E_CALLBACKS,
	},
	{
		.name = "klpm_e2e_target",
		.funcs = klpm_e2e_target_funcs,
		.callbacks = KLPM_E2E_CALLBACKS,
	},
	{ }
};

/* One system state whose version grows with the patch: a replacing patch must carry it. */
static struct klp_state klpm_e2e_states[] = {
	{ .id = 1, .version = KLPM_E2E_VERSION },
	{ }
};

static struct klp_patch klpm_e2e_patch = {
	.mod = THIS_MODULE,
	.objs = klpm_e2e_objs,
	.states = klpm_e2e_states,
	.replace = true,
};

static int __init klpm_e2e_patch_init(void)
{
	return klp_enable_patch(&klpm_e2e_patch);
}

static void __exit klpm_e2e_patch_exit(void)
{
}

module_init(klpm_e2e_patch_init);
module_exit(klpm_e2e_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_VERSION(KLPM_E2E_VERSION_STRING);
