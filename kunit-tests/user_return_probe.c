// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberate bug for userspace tests: writing to
 * /sys/kernel/debug/ktest/return_with_read_lock_held takes a read lock and
 * returns to userspace holding it, which lockdep_sys_exit() must report.
 * The lock is never released; build this into test kernels only.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/rwsem.h>

static DECLARE_RWSEM(leaked_sem);
static struct dentry *ktest_dir;

static ssize_t return_with_read_lock_held(struct file *file,
					  const char __user *buf,
					  size_t count, loff_t *ppos)
{
	pr_info("ktest: returning to userspace with a read lock held\n");
	down_read(&leaked_sem);
	return count;
}

static const struct file_operations leak_fops = {
	.write = return_with_read_lock_held,
	.llseek = noop_llseek,
};

static int __init user_return_probe_init(void)
{
	ktest_dir = debugfs_create_dir("ktest", NULL);
	debugfs_create_file("return_with_read_lock_held", 0200, ktest_dir,
			    NULL, &leak_fops);
	return 0;
}
late_initcall(user_return_probe_init);
