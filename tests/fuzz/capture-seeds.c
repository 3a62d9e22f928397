/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture-seeds.c - fuzz_decode's seed corpus from the real thing: attach
 * the agent's BPF programs (every recorded call), let a child make a set of
 * recorded calls, and write each event the ring buffer delivers for that
 * child, byte for byte, as one seed file. Root only.
 *
 *	capture-seeds DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "capture/capture.h"

static const char *out_dir;
static pid_t child;
static int written;

static bool want_all(void *arg, const struct hr_syscall_desc *d)
{
	return true;
}

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct hr_header *h = data;
	char path[4096];
	FILE *f;

	if (size < sizeof(*h) || (h->task.tgid != (uint32_t)child && h->type != HR_EV_LOGIN))
		return 0;
	snprintf(path, sizeof(path), "%s/event-%03d-type%u", out_dir, written++, h->type);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		fprintf(stderr, "capture-seeds: could not write %s\n", path);
	return 0;
}

/* Recorded calls with strings, flags, ids and failures in them. */
static void make_calls(const char *dir)
{
	char p[4096], q[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/f\xff\xfe-\x01.txt", dir);
	snprintf(q, sizeof(q), "%s/renamed \"quoted\" \xc3\xa9", dir);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0640);
	if (fd >= 0)
		close(fd);
	if (chmod(p, 0600) || rename(p, q) || unlink(q))
		perror("capture-seeds: file calls");
	if (mkdir(p, 0700) == 0)
		rmdir(p);
	if (setuid(0) || setgid(0))
		perror("capture-seeds: setuid");
	if (setresuid(-1, -1, -1))
		perror("capture-seeds: setresuid");
	snprintf(p, sizeof(p), "%s/mnt", dir);
	mkdir(p, 0700);
	if (mount("none", p, "tmpfs", MS_NOSUID, "size=1m") == 0)
		umount(p);
	mount("/no/such/source", p, "ext4", 0, NULL); /* fails: an error record */
	if (symlink("/etc/passwd", q) == 0)
		unlink(q);
	/* as root, su goes through PAM without a password: login events */
	execl("/bin/su", "su", "-s", "/bin/true", "-c", "arg with space", "nobody", (char *)NULL);
	_exit(127);
}

int main(int argc, char **argv)
{
	struct hr_capture_opts o = {.on_event = on_event, .want = want_all};
	const char *const all[] = {"/"};
	const bool exact[] = {false};
	struct hr_capture *c;
	char dir[] = "/tmp/hr-capture-seeds.XXXXXX", mnt[64];
	struct timespec t0, now;
	int rc, status;

	if (argc != 2) {
		fprintf(stderr, "usage: capture-seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	rc = hr_capture_open(&o, &c);
	if (rc) {
		fprintf(stderr, "capture-seeds: cannot capture: %s\n", strerror(-rc));
		return 1;
	}
	hr_capture_set_paths(c, HR_PATH_KIND_FILE, all, exact, 1);
	hr_capture_set_paths(c, HR_PATH_KIND_EXEC, all, exact, 1);
	if (!mkdtemp(dir))
		return 1;
	child = fork();
	if (child == 0) {
		make_calls(dir);
	}
	waitpid(child, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do { /* drain what is still in the ring buffer */
		hr_capture_poll(c, 100);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 1);
	hr_capture_close(c);
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	rmdir(mnt);
	rmdir(dir);
	printf("capture-seeds: %d events in %s\n", written, out_dir);
	return written > 0 ? 0 : 1;
}
