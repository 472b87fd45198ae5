// SPDX-License-Identifier: GPL-2.0
/*
 * klpm_e2e_target: an ordinary module that the e2e livepatches patch.
 *
 * /sys/module/klpm_e2e_target/parameters/value shows which implementation of
 * klpm_e2e_value_show() is live (the original prints "original").
 * Writing 1 to .../parameters/block starts the kthread klpm_e2e_worker, which
 * sleeps inside klpm_e2e_sleep_fn() until 0 is written: a task sleeping in a
 * function that a patch changes keeps that patch's transition from completing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/wait.h>

static DECLARE_WAIT_QUEUE_HEAD(klpm_e2e_wq);
static bool klpm_e2e_released = true;
static bool klpm_e2e_worker_running;
static DECLARE_COMPLETION(klpm_e2e_worker_done);
static DEFINE_MUTEX(klpm_e2e_lock);

/* Global and noinline so that kallsyms finds them under these exact names. */
int klpm_e2e_value_show(char *buf);
void klpm_e2e_sleep_fn(wait_queue_head_t *wq, bool *released);

noinline int klpm_e2e_value_show(char *buf)
{
	return sysfs_emit(buf, "original\n");
}

noinline void klpm_e2e_sleep_fn(wait_queue_head_t *wq, bool *released)
{
	/*
	 * Interruptible on purpose: the livepatch core's "signal" wakes the
	 * task, which then goes back to sleep here, as a real stuck task would.
	 */
	while (!READ_ONCE(*released))
		wait_event_interruptible(*wq, READ_ONCE(*released));
}

static int klpm_e2e_worker(void *unused)
{
	klpm_e2e_sleep_fn(&klpm_e2e_wq, &klpm_e2e_released);
	/* Completing and exiting in one call: no module text runs afterwards. */
	kthread_complete_and_exit(&klpm_e2e_worker_done, 0);
}

static void klpm_e2e_release_worker(void)
{
	if (!klpm_e2e_worker_running)
		return;
	WRITE_ONCE(klpm_e2e_released, true);
	wake_up_all(&klpm_e2e_wq);
	wait_for_completion(&klpm_e2e_worker_done);
	klpm_e2e_worker_running = false;
}

static int klpm_e2e_block_set(const char *val, const struct kernel_param *kp)
{
	struct task_struct *task;
	bool block;
	int ret;

	ret = kstrtobool(val, &block);
	if (ret)
		return ret;
	mutex_lock(&klpm_e2e_lock);
	if (!block) {
		klpm_e2e_release_worker();
	} else if (!klpm_e2e_worker_running) {
		WRITE_ONCE(klpm_e2e_released, false);
		reinit_completion(&klpm_e2e_worker_done);
		task = kthread_run(klpm_e2e_worker, NULL, "klpm_e2e_worker");
		if (IS_ERR(task))
			ret = PTR_ERR(task);
		else
			klpm_e2e_worker_running = true;
	}
	mutex_unlock(&klpm_e2e_lock);
	return ret;
}

static int klpm_e2e_block_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", klpm_e2e_worker_running ? 1 : 0);
}

static const struct kernel_param_ops klpm_e2e_block_ops = {
	.set = klpm_e2e_block_set,
	.get = klpm_e2e_block_get,
};
module_param_cb(block, &klpm_e2e_block_ops, NULL, 0644);
MODULE_PARM_DESC(block, "1: start a kthread sleeping in klpm_e2e_sleep_fn; 0: release it");

static int klpm_e2e_value_get(char *buf, const struct kernel_param *kp)
{
	return klpm_e2e_value_show(buf);
}

static const struct kernel_param_ops klpm_e2e_value_ops = {
	.get = klpm_e2e_value_get,
};
module_param_cb(value, &klpm_e2e_value_ops, NULL, 0444);
MODULE_PARM_DESC(value, "which implementation of klpm_e2e_value_show is live");

static int __init klpm_e2e_target_init(void)
{
	return 0;
}

static void __exit klpm_e2e_target_exit(void)
{
	mutex_lock(&klpm_e2e_lock);
	klpm_e2e_release_worker();
	mutex_unlock(&klpm_e2e_lock);
}

module_init(klpm_e2e_target_init);
module_exit(klpm_e2e_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpm e2e: a module with a function a task can sleep in");
