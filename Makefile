# profd: one binary, built from small libraries so each can be tested on its own.
#
#   make         build ./profd
#   make deps    install missing Debian packages (build and test)
#   make test    deps + build + every test; ends with "N passed, N failed"
#   make run     deps + build + profile the whole machine
#   make bench   benchmarks against peers, printed as figures and ratios
#   make asan    the unit tests under ASan + UBSan
#   make asan-profd  an ASan + UBSan profd at build/asan/profd (./profd stays as it is)
#   make fuzz    bounded libFuzzer runs of every parser
#   make fuzz-long  every fuzz target at length: 10^7 runs or 30 min each (not for CI)
#   make install PREFIX=/usr/local DESTDIR=   binary, man pages, bash completion, systemd unit
#   make deb     build/profd_VERSION_ARCH.deb (dpkg-deb)

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
WARNINGS  := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes
CFLAGS    ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARNINGS) -fno-omit-frame-pointer -D_GNU_SOURCE \
             -DPROFD_VERSION='"$(VERSION)"' -I. -I$(BUILD) -MMD -MP
# libiberty (demangling) ships as a static library only; the compiler's search path finds it.
# Expanded when a link runs, so `make deps` works before it is installed.
LIBIBERTY  = $(shell $(CC) -print-file-name=libiberty.a)
need_libiberty = $(if $(filter /%,$(LIBIBERTY)),,$(error libiberty.a: not found by $(CC) \
                 -print-file-name; install libiberty-dev (make deps)))
# libmicrohttpd (with --http) and libdebuginfod (with servers set) are opened with dlopen.
LDLIBS     = -lbpf -lelf -ldw -lunwind-ptrace -lunwind-generic -lunwind -lzstd -lz \
             -ldl -lpthread -lm $(LIBIBERTY)

# Libraries in dependency order: each may use only those after it.
LIBS      := profiler_lib $(if $(wildcard web/*.c),web) store formats symbolizer cgroup common
common_SRC      := $(wildcard common/*.c)
formats_SRC     := $(wildcard formats/*.c)
store_SRC       := $(wildcard store/*.c)
symbolizer_SRC  := $(wildcard symbolizer/*.c)
cgroup_SRC      := $(wildcard cgroup/*.c)
web_SRC         := $(wildcard web/*.c) $(BUILD)/web/assets.c
profiler_lib_SRC:= $(filter-out profiler/main.c,$(wildcard profiler/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(patsubst $(BUILD)/%,%,$(1)))
common_OBJ      := $(call obj,$(common_SRC))
formats_OBJ     := $(call obj,$(formats_SRC))
store_OBJ       := $(call obj,$(store_SRC))
symbolizer_OBJ  := $(call obj,$(symbolizer_SRC))
cgroup_OBJ      := $(call obj,$(cgroup_SRC))
web_OBJ         := $(call obj,$(web_SRC))
profiler_lib_OBJ:= $(call obj,$(profiler_lib_SRC))

LIB_FILES := $(foreach l,$(LIBS),$(BUILD)/lib$(l).a)

BPF_SRC   := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRC))

.PHONY: all deps test run bench asan asan-profd fuzz fuzz-long clean unit e2e
.DEFAULT_GOAL := all
# Keep intermediate BPF objects: the skeleton and the object must agree.
.SECONDARY:

all: profd

profd $(BUILD)/profd: $(BUILD)/profiler/main.o $(LIB_FILES)
	$(need_libiberty)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/libcommon.a: $(common_OBJ)
$(BUILD)/libformats.a: $(formats_OBJ)
$(BUILD)/libstore.a: $(store_OBJ)
$(BUILD)/libsymbolizer.a: $(symbolizer_OBJ)
$(BUILD)/libcgroup.a: $(cgroup_OBJ)
$(BUILD)/libweb.a: $(web_OBJ)
$(BUILD)/libprofiler_lib.a: $(profiler_lib_OBJ)

# Profiler sources include the BPF skeletons.
$(profiler_lib_OBJ) $(BUILD)/profiler/main.o: $(BPF_SKELS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/web/assets.o: $(BUILD)/web/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Static web assets are compiled into the binary: nothing is read from disk at run time.
WEB_ASSETS := $(wildcard web/static/*)
$(BUILD)/web/assets.c: $(WEB_ASSETS) scripts/embed-assets.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-assets.sh $@ $(WEB_ASSETS)

# --- BPF: vmlinux.h from kernel BTF, object, skeleton ---
# The build reads the kernel's types from BTF, by default the build machine's own. Any kernel's
# will do: the program is CO-RE, and libbpf fits it to the running kernel when profd loads it,
# so the binary does not depend on the kernel it was built on. VMLINUX_BTF=FILE reads them from
# a file instead (a vmlinux with a .BTF section, or /sys/kernel/btf/vmlinux copied elsewhere).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
$(BUILD)/vmlinux.h:
	@test -r "$(VMLINUX_BTF)" || { echo "profd: building needs kernel BTF for vmlinux.h, and \
	$(VMLINUX_BTF) is missing (a kernel without CONFIG_DEBUG_INFO_BTF?): build on a kernel \
	with BTF, or give VMLINUX_BTF=FILE from any kernel that has it" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

BPF_TMPS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.tmp.bpf.o,$(BPF_SRC))
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRC))

# Static pattern rules: explicit, so the generic C rule above never builds these with $(CC).
$(BPF_TMPS): $(BUILD)/bpf/%.tmp.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -I. -MMD -MP \
		-c $< -o $@

$(BPF_OBJS): $(BUILD)/bpf/%.bpf.o: $(BUILD)/bpf/%.tmp.bpf.o
	$(BPFTOOL) gen object $@ $<

$(BPF_SKELS): $(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# --- setup ---
deps:
	@sh scripts/install-deps.sh

run: deps all
	@sh scripts/run.sh

test: deps all
	@sh tests/run.sh

# The pieces of `make test`, for quick iteration.
unit: all
	@PROFD_TEST_ONLY=unit sh tests/run.sh
e2e: all
	@PROFD_TEST_ONLY=e2e sh tests/run.sh

bench: deps all
	@sh tests/bench/run.sh

# The benchmarks' C helpers link the product's libraries the way profd does.
$(BUILD)/bench/%: tests/bench/%.c $(LIB_FILES)
	@mkdir -p $(dir $@)
	$(need_libiberty)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# bench_unwind stops threads and copies their stacks the way test_unwind does.
$(BUILD)/bench/bench_unwind: tests/unit/capture.c

# Unit tests only: building `all` here would put a sanitized binary at ./profd.
ASAN_MAKE := $(MAKE) BUILD=build/asan CC=clang \
	CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all' \
	LDFLAGS='-fsanitize=address,undefined'
asan:
	$(ASAN_MAKE) test-binaries
	@PROFD_BUILD=build/asan PROFD_TEST_ONLY=unit sh tests/run.sh

# The real binary under the sanitizers, beside ./profd; tests/e2e/test_sanitized.sh runs it.
asan-profd:
	$(ASAN_MAKE) build/asan/profd

fuzz:
	@sh tests/fuzz/run.sh

fuzz-long:
	@FUZZ_LONG=1 sh tests/fuzz/run.sh

clean:
	rm -rf $(BUILD) profd

include tests/tests.mk
include packaging/packaging.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
