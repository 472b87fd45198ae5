/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stand-in for the kernel headers, so e2e/modules/klpm_lp_*.c compile as plain objects with any
 * gcc (the cross compilers have no kernel headers): the structs of include/linux/livepatch.h as
 * Debian's 6.1 and 6.12 lay them out on LP64 (internal fields as blobs of their size), the few kernel
 * functions the modules call as declarations, and .modinfo entries as MODULE_INFO writes them.
 */
#ifndef KLPM_STANDIN_H
#define KLPM_STANDIN_H

#include <stdbool.h>
#include <stddef.h>

#ifndef KLPM_VERMAGIC
#define KLPM_VERMAGIC "6.1.0-0-standin SMP preempt mod_unload modversions "
#endif

struct list_head { struct list_head *next, *prev; };
/* struct kobject without CONFIG_DEBUG_KOBJECT_RELEASE: 64 bytes */
struct kobject { const char *name; struct list_head entry; void *parent, *kset; const void *ktype; void *sd; int kref; unsigned int flags; };
struct module { char name[56]; };
struct seq_file;
extern struct module __this_module;
#define THIS_MODULE (&__this_module)

struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
	void *old_func;
	struct kobject kobj;
	struct list_head stack_node, node;
	unsigned long old_size, new_size;
	bool nop, patched, transition;
};
struct klp_object;
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;
	struct kobject kobj;
	struct list_head func_list, node;
	struct module *mod;
	bool dynamic, patched;
};
struct klp_state { unsigned long id; unsigned int version; void *data; };
struct klp_patch {
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;
	struct list_head list;
	struct kobject kobj;
	struct list_head obj_list;
	bool enabled, forced;
	char free_work[32], finish[32];
};

typedef unsigned int gfp_t;
#define GFP_KERNEL 0xcc0u
int klp_enable_patch(struct klp_patch *patch);
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp, void *ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, void *dtor);
void klp_shadow_free_all(unsigned long id, void *dtor);
void seq_printf(struct seq_file *m, const char *fmt, ...);
int _printk(const char *fmt, ...);
#define pr_info(fmt, ...) _printk(pr_fmt(fmt), ##__VA_ARGS__)
#define __init
#define __exit

#define KLPM_CAT2(a, b) a##b
#define KLPM_CAT(a, b) KLPM_CAT2(a, b)
#define MODULE_INFO(tag, info) \
	static const char KLPM_CAT(klpm_modinfo_, __COUNTER__)[] __attribute__((section(".modinfo"), used, aligned(1))) = #tag "=" info
#define MODULE_LICENSE(l) MODULE_INFO(license, l)
#define MODULE_DESCRIPTION(d) MODULE_INFO(description, d)
#define MODULE_VERSION(v) MODULE_INFO(version, v)
#define module_init(fn) int init_module(void) __attribute__((alias(#fn)))
#define module_exit(fn) void cleanup_module(void) __attribute__((alias(#fn)))
MODULE_INFO(vermagic, KLPM_VERMAGIC);
MODULE_INFO(name, KBUILD_MODNAME);

#endif
