// SPDX-License-Identifier: GPL-2.0
/*
 * The KMP of the package tests (e2e/kmp-packages.test.ts): a module that only logs its version.
 * ACME_VERSION is set by the build (one build per package version).
 */
#include <linux/module.h>
#include <linux/printk.h>

static int __init acme_net_init(void)
{
	pr_info("acme_net %s loaded\n", ACME_VERSION);
	return 0;
}

static void __exit acme_net_exit(void)
{
}

module_init(acme_net_init);
module_exit(acme_net_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(ACME_VERSION);
MODULE_DESCRIPTION("klpm KMP package test module");
