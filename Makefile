# hostrail - build, test and benchmark.
#
#   make          build build/hostraild and build/hostrail
#   make run      install dependencies, build, run the agent on its default config
#   make test     install dependencies, build, run every test (T=NAME: those named so)
#   make test-kernels  the representative root tests on every kernel of the matrix
#   make check-layers  stages include only the stages before them (tests/check-layers)
#   make format-check  every C file as .clang-format lays it out (make format fixes it)
#   make bench    the benchmarks (docs/operations.md explains the figures)
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
VERSION  := 0.1.0
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -DHOSTRAIL_VERSION=\"$(VERSION)\" -Iinclude -Iuser -I$(BUILD)
LDLIBS   := -lbpf -lelf -lz -lzstd -ljansson -lsystemd -lcrypto -lsqlite3 -lpthread
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
.PHONY: all deps run test unit-test root-test check-layers format-check format test-kernels bench \
	bench-compare clean

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
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libhostrail.a: $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/hostraild: $(DAEMON_OBJS) $(BUILD)/libhostrail.a
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/hostrail: $(CLI_OBJS) $(BUILD)/libhostrail.a
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

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
	$(Q)T="$(T)" tests/run-all $(UNIT_BINS)

# The kernel matrix: the representative part on this host's kernel, then on
# each Debian kernel under qemu (tests/vm/; KERNELS=debian-6.1,... names them).
KERNELS ?= debian-6.1,debian-6.1-cloud,debian-6.12
test-kernels: deps all
	$(Q)tests/vm/representative
	$(Q)HOSTRAIL_KERNELS=$(KERNELS) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/root/test_kernels.py

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)tests/bench/run

# The bench on this checkout and on REV (built in a temporary worktree),
# side by side in one run: make bench-compare REV=HEAD~1 [ROUNDS=2].
bench-compare: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)ROUNDS=$(or $(ROUNDS),2) tests/bench/compare "$(REV)"

clean:
	rm -rf $(BUILD)
