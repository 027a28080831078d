# Test binaries: cmocka unit tests (one binary per module) and known-answer workloads.
# Included from the top Makefile; `make test-binaries` builds all of them.

UNIT_SRC   := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
UNIT_HELPERS := $(wildcard tests/unit/*.c)

WORKLOAD_SRC  := $(wildcard tests/workloads/*.c)
WORKLOAD_BINS := $(patsubst tests/workloads/%.c,$(BUILD)/tests/workloads/%,$(WORKLOAD_SRC))

# Frame pointers everywhere, leaf included: clang honours -mno-omit-leaf-frame-pointer, gcc 12 does not.
WORKLOAD_CFLAGS ?= -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -pthread

.PHONY: test-binaries
test-binaries: $(UNIT_BINS) $(WORKLOAD_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS) $(LIB_FILES)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(UNIT_HELPERS) $(LIB_FILES) -lcmocka $(LDLIBS)

$(BUILD)/tests/workloads/%: tests/workloads/%.c tests/workloads/workload.h
	@mkdir -p $(dir $@)
	$(CLANG) $(WORKLOAD_CFLAGS) -o $@ $< -lm
