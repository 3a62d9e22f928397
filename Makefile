# hostrail - build, test and benchmark.
#
#   make          build build/hostraild and build/hostrail
#   make run      install dependencies, build, run the agent on its default config
#   make test     install dependencies, build, run every test (T=NAME: those named so),
#                 then (without T) make fuzz and make SAN=1 unit-test
#   make fuzz     the libFuzzer targets of tests/fuzz/, FUZZ_SECONDS each
#   make SAN=1 X  X built with ASan + UBSan into build-san/ (unit-test, test)
#   make test-kernels  the representative root tests on every kernel of the matrix
#   make test-vm  the package on a real server: Debian 12, systemd, sshd under qemu
#   make check-layers  stages include only the stages before them (tests/check-layers)
#   make format-check  every C file as .clang-format lays it out (make format fixes it)
#   make bench    the benchmarks (docs/operations.md explains the figures)
#   make deb      build/deb/hostrail_<version>_amd64.deb (packaging/debian/)
#   make bench-compare REV=<commit>   the bench here and on REV, side by side
#
# BPF objects follow the libbpf-bootstrap pattern: clang -target bpf ->
# bpftool gen object -> bpftool gen skeleton; vmlinux.h comes from the
# running kernel's BTF. V=1 shows the commands.

BUILD    ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

ifeq ($(V),1)
Q =
else
Q = @
endif

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
# One version, the Debian changelog's.
VERSION  := $(shell awk -F'[()]' 'NR == 1 { print $$2 }' packaging/debian/changelog)
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -DHOSTRAIL_VERSION=\"$(VERSION)\" -Iinclude -Iuser -I$(BUILD)
LDLIBS   := -lbpf -lelf -lz -lzstd -ljansson -lsystemd -lcrypto -lsqlite3 -lcurl -lseccomp -lpthread

# ---- sanitizer and fuzzing builds (docs/testing.md) ----
# SAN=1: every target built with ASan + UBSan into build-san/, so a normal
# build is not clobbered (make SAN=1 unit-test, make SAN=1 test). FUZZ=1 is
# what `make fuzz` builds with: clang, libFuzzer's coverage, into build-fuzz/.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ifeq ($(SAN),1)
BUILD    := build-san
CFLAGS   += $(SAN_FLAGS)
endif
ifeq ($(FUZZ),1)
BUILD    := build-fuzz
CC       := $(CLANG)
CFLAGS   += $(SAN_FLAGS) -fsanitize=fuzzer-no-link
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -I$(BUILD) -I$(BUILD)/bpf

# Every bpf/<area>.bpf.c is compiled alone, then all are linked into one
# object (maps are shared, __weak, from common.bpf.h) and one skeleton.
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_TMPS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.tmp.bpf.o,$(BPF_SRCS))
SKELS     := $(BUILD)/hostrail.skel.h

# Every pipeline stage under user/<stage>/ goes into one library; the two
# programs are thin mains over it.
LIB_SRCS  := $(filter-out user/daemon/% user/cli/%,$(wildcard user/*/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
DAEMON_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(wildcard user/daemon/*.c))
CLI_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(wildcard user/cli/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.PHONY: all deps run deb test unit-test root-test check-layers format-check format test-kernels test-vm \
	bench bench-compare clean fuzz fuzz-build fuzz-run

all: $(BUILD)/hostraild $(BUILD)/hostrail

deps:
	$(Q)packaging/install-deps

$(BUILD)/vmlinux.h:
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/bpf/%.tmp.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/hostrail_abi.h $(BUILD)/vmlinux.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/hostrail.bpf.o: $(BPF_TMPS)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/hostrail.skel.h: $(BUILD)/bpf/hostrail.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $< name hostrail_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(SKELS) $(wildcard include/*.h user/*/*.h)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libhostrail.a: $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/hostraild: $(DAEMON_OBJS) $(BUILD)/libhostrail.a
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/hostrail: $(CLI_OBJS) $(BUILD)/libhostrail.a
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(BUILD)/libhostrail.a
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/libhostrail.a $(LDLIBS) -o $@

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libhostrail.a
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libhostrail.a $(LDLIBS) -o $@

# tp_floor: trivial programs on hostraild's hooks, its own object and
# skeleton (the bench measures the hooks' cost with them).
$(BUILD)/bench/tp_floor.bpf.o: tests/bench/tp_floor.bpf.c $(BUILD)/vmlinux.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/tp_floor.skel.h: $(BUILD)/bench/tp_floor.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $< name tp_floor_bpf > $@

$(BUILD)/bench/tp_floor: tests/bench/tp_floor.c $(BUILD)/bench/tp_floor.skel.h
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench $< -lbpf -lelf -lz -o $@

run: deps all
	./$(BUILD)/hostraild

unit-test: all $(UNIT_BINS)
	$(Q)tests/run-unit $(UNIT_BINS)

root-test: all
	$(Q)tests/run-root

check-layers:
	$(Q)tests/check-layers

# Every tracked C file but the generated vmlinux.h.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v vmlinux)
CLANG_FORMAT ?= clang-format
format-check:
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_FILES)

test: deps
	$(Q)tests/check-layers
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)T="$(T)" HOSTRAIL_BUILD=$(BUILD) tests/run-all $(UNIT_BINS)
	$(Q)$(if $(SAN)$(FUZZ)$(T),true,$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60 FUZZ_SEED=1)
	$(Q)$(if $(SAN)$(FUZZ)$(T),true,$(MAKE) --no-print-directory SAN=1 unit-test)

# The kernel matrix: the representative part on this host's kernel, then on
# each Debian kernel under qemu (tests/vm/; KERNELS=debian-6.1,... names them).
KERNELS ?= debian-6.1,debian-6.1-cloud,debian-6.12
test-kernels: deps all
	$(Q)tests/vm/representative
	$(Q)HOSTRAIL_KERNELS=$(KERNELS) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/root/test_kernels.py

# The real server: Debian 12 (debootstrap, cached in build/vm/) on its stock
# kernel with systemd as PID 1 under qemu; the .deb installed, started with
# systemctl, logged into over ssh, SIGKILLed and restarted by systemd
# (tests/vm/image.py, tests/vm/server-check, tests/root/test_server.py).
# make test runs it too, as part of tests/root.
test-vm: deps all
	$(Q)/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/root/test_server.py

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)tests/bench/run

# The bench on this checkout and on REV (built in a temporary worktree),
# side by side in one run: make bench-compare REV=HEAD~1 [ROUNDS=2].
bench-compare: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)ROUNDS=$(or $(ROUNDS),2) tests/bench/compare "$(REV)"

# ---- fuzzing (tests/fuzz/, docs/testing.md) ----
# One libFuzzer target per tests/fuzz/fuzz_*.c, over the library built
# with FUZZ=1. `make fuzz` runs each for FUZZ_SECONDS from its seed corpus
# and fails on any crash, leak, hang (-timeout) or runaway memory
# (-rss_limit_mb); FUZZ_JOBS targets run at a time. `make test` runs it with
# 60 s per target, two at a time: 11 targets, ~5.5 min on 2 cores, plus
# ~2 min for the build (the whole make test addition: ~8 min), and with
# FUZZ_SEED=1, so that what it finds on CI's machine a developer's run
# with the same seed finds too; `make fuzz` alone draws a new seed each run.
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_SEED    ?=
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 -j$(FUZZ_JOBS) fuzz-run

fuzz-build:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 $(patsubst %,build-fuzz/fuzz/%,$(FUZZ_NAMES))

fuzz-run: $(patsubst %,fuzz-run-%,$(FUZZ_NAMES))

# the binaries outlive the run (make would remove them as intermediate)
.SECONDARY: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_NAMES))

fuzz-run-%: $(BUILD)/fuzz/%
	$(Q)FUZZ_SEED=$(FUZZ_SEED) tests/fuzz/run $< $(FUZZ_SECONDS)

# The CLI's commands but its main, for the targets that run a command.
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libhostrail.a \
		$(filter-out %/hostrail.o,$(CLI_OBJS))
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -Itests/fuzz $< \
		$(filter-out %/hostrail.o,$(CLI_OBJS)) $(BUILD)/libhostrail.a $(LDLIBS) -o $@

# Seeds from the real BPF programs (tests/fuzz/make-seeds, root).
$(BUILD)/capture-seeds: tests/fuzz/capture-seeds.c $(BUILD)/libhostrail.a
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libhostrail.a $(LDLIBS) -o $@

# The Debian package, from the tracked files of this checkout (what a clean
# clone has) with packaging/debian/ as debian/.
DEB_DIR = $(BUILD)/deb
deb: deps
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/hostrail-$(VERSION)
	$(Q)git ls-files -z | xargs -0 cp --parents -t $(DEB_DIR)/hostrail-$(VERSION)
	$(Q)cp -r packaging/debian $(DEB_DIR)/hostrail-$(VERSION)/debian
	$(Q)cd $(DEB_DIR)/hostrail-$(VERSION) && dpkg-buildpackage -us -uc -b
	@echo $(DEB_DIR)/hostrail_$(VERSION)_amd64.deb

clean:
	rm -rf $(BUILD) build-san build-fuzz
