// SPDX-License-Identifier: GPL-2.0
/*
 * The KMP oracle test's module (e2e/kmp-oracle.test.ts): built against the headers of other ABIs of
 * an e2e kernel's series, judged by klpm, then insmod-ed in the guest. It imports a few vmlinux
 * symbols whose CRCs drift between Debian ABIs (kmalloc's slab entry point, kmalloc_caches) beside
 * stable ones (_printk, kfree), so a build for an older ABI can disagree about a symbol it uses.
 * .ci/kmp-oracle.sh copies it to klpm_oracle_<case>.c: every case is its own module name.
 */
#include <linux/module.h>
#include <linux/slab.h>

static void *klpm_oracle_buf;

static int __init klpm_oracle_init(void)
{
	klpm_oracle_buf = kmalloc(64, GFP_KERNEL);
	if (!klpm_oracle_buf)
		return -ENOMEM;
	pr_info("%s: loaded\n", KBUILD_MODNAME);
	return 0;
}

static void __exit klpm_oracle_exit(void)
{
	kfree(klpm_oracle_buf);
}

module_init(klpm_oracle_init);
module_exit(klpm_oracle_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpm KMP oracle test module");
