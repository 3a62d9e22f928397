/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sandbox.h - least privilege for the running phase.
 *
 * hostraild starts as root with every capability: it mounts tracefs and
 * bpffs, loads its BPF programs, attaches them and binds its control
 * socket. Once that is done, nothing it does needs more than a handful of
 * capabilities, and no thread but the capture loop needs any:
 *
 *   capture loop   CAP_BPF, CAP_PERFMON (a selector change attaches and
 *                  detaches tracepoints; every bpf() map read needs CAP_BPF
 *                  where unprivileged BPF is off), CAP_SYS_PTRACE (reading
 *                  /proc/<pid>/exe and the login session of another user's
 *                  process), CAP_DAC_READ_SEARCH (a reload reads the
 *                  configuration and the trails' folders wherever the
 *                  operator put them);
 *   every other    none: they write the state and bucket folders, which the
 *   thread         agent itself created as root, and talk to journald and
 *                  the store over sockets.
 *
 * hr_sandbox_enter() drops the capture loop to that set (the bounding set
 * too, with the securebits locked so that no exec could give any back) and
 * installs a seccomp filter, on every thread at once, of the system calls
 * the agent makes from then on (sandbox.c lists them, each with why). A call
 * outside it fails with EPERM, is counted, and the loop logs its name: a
 * refused call is a bug to report, or an attacker inside the agent.
 *
 * Every thread the agent starts goes through hr_thread_create(), whose
 * thread drops all its capabilities first thing.
 */
#ifndef HOSTRAIL_SANDBOX_H
#define HOSTRAIL_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An ASan build (make SAN=1): the agent drops its capabilities but installs
 * no seccomp filter (hr_sandbox_filter_skipped()). Never in a release build. */
#if defined(__SANITIZE_ADDRESS__)
#define HR_SANDBOX_FOR_LSAN 1
#else
#define HR_SANDBOX_FOR_LSAN 0
#endif

/* The capture loop's capabilities while running, as CAP_* bits. */
uint64_t hr_sandbox_kept_caps(void);

/* Whether threads started from now on drop their capabilities (the
 * configuration's "sandbox", default true). Set before any thread starts. */
void hr_sandbox_set_enabled(bool on);
bool hr_sandbox_enabled(void);

/* The calling thread: capabilities to the kept set, then the seccomp
 * filter on every thread. 0, or -errno with err saying what failed. */
int hr_sandbox_enter(char *err, size_t errlen);
bool hr_sandbox_filter_skipped(void);

/* pthread_create() for the agent's threads: the new thread runs fn with no
 * capability at all when the sandbox is enabled. */
int hr_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

/* How many calls the filter refused, and (one at a time, for the log) a
 * system call number it refused that no earlier call reported; -1: none. */
uint64_t hr_sandbox_refused(void);
int hr_sandbox_next_refused_nr(void);

/* The name of system call nr (libseccomp's table), for the log; a static
 * buffer's "syscall <nr>" when unknown. */
const char *hr_sandbox_call_name(int nr);

#endif
