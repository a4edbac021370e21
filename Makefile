# Basin — plain Makefile. `make` builds build/basin; `make test` runs every test
# (unit, generated-code check, fuzz corpus replay under ASan+UBSan, integration).
# `make SAN=1` builds into build-san/ with AddressSanitizer and UBSan.

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined $(EXTRA_SAN)
OPT     ?= -O1
else
BUILD   ?= build
SANFLAGS =
OPT     ?= -O2
endif

CFLAGS_BASE = -std=c17 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror -Isrc -Iinclude -msse4.2 -mpclmul
CFLAGS  += $(CFLAGS_BASE) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
# --as-needed: each binary links only the libraries it uses (the broker does
# not pull in librdkafka or libmicrohttpd, which the services use)
LIBS    = -Wl,--as-needed -lrdkafka -lmicrohttpd -ljansson -lcurl -lavro -lz -lsnappy -llz4 -lzstd -lpthread -lm

LIB_SRC = $(filter-out src/cmd/main.c,$(wildcard src/base/*.c src/net/*.c src/proto/*.c src/proto/gen/*.c src/broker/*.c src/http/*.c src/registry/*.c src/serdes/*.c src/rest/*.c src/client/*.c src/tools/*.c src/up/*.c src/cmd/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

ITEST_C_SRC = $(wildcard tests/integration/c/*.c)
ITEST_C_BIN = $(ITEST_C_SRC:tests/integration/c/%.c=$(BUILD)/itest/%)

BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all test unit itest fuzz-replay fuzz gen gen-check clean format format-check bench docs docs-check

all: $(BUILD)/basin

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libbasin.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/basin: $(BUILD)/src/cmd/main.o $(BUILD)/libbasin.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbasin.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libbasin.a -lcmocka $(LIBS) $(LDFLAGS)

$(BUILD)/itest/%: tests/integration/c/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lrdkafka $(LIBS) $(LDFLAGS)

# bench programs may use the library (e.g. http_echo on src/http); only the
# archive members they reference are linked
$(BUILD)/bench/%: bench/%.c $(BUILD)/libbasin.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libbasin.a -lrdkafka $(LIBS) $(LDFLAGS)

unit: $(UNIT_BIN)
itest: $(BUILD)/basin $(ITEST_C_BIN)
bench: $(BUILD)/basin $(BENCH_BIN)

# Regenerates the protocol codec from ../shared/kafka-protocol/messages.
gen:
	python3 tools/kgen.py --specs ../shared/kafka-protocol/messages --out src/proto/gen

# Fails if the committed generated code differs from what the generator emits.
gen-check:
	@if [ -d ../shared/kafka-protocol/messages ]; then \
	  rm -rf $(BUILD)/gen-check && mkdir -p $(BUILD)/gen-check && \
	  python3 tools/kgen.py --specs ../shared/kafka-protocol/messages --out $(BUILD)/gen-check && \
	  diff -r src/proto/gen $(BUILD)/gen-check && echo "gen-check: generated code is current"; \
	else echo "gen-check: specs not present, skipped"; fi

# Fuzz targets (libFuzzer, clang). `make fuzz` builds them into build-fuzz/
# (the library instrumented for coverage); `make fuzz-replay` links a plain
# replay driver per target against the ASan+UBSan library and runs it over the
# checked-in corpus tests/fuzz/corpus/<target without fuzz_>.
FUZZ_CFLAGS = $(CFLAGS_BASE) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz SAN=1 EXTRA_SAN=-fsanitize=fuzzer-no-link build-fuzz/libbasin.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "fuzz: building build-fuzz/$$n"; \
	  clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o build-fuzz/$$n $$f build-fuzz/libbasin.a $(LIBS) || exit 1; done

fuzz-replay:
	$(MAKE) SAN=1 build-san/libbasin.a
	@mkdir -p build-san/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  $(CC) $(FUZZ_CFLAGS) -o build-san/fuzz/$$n $$f tests/fuzz/replay_main.c build-san/libbasin.a $(LIBS) || exit 1; \
	  ./build-san/fuzz/$$n tests/fuzz/corpus/$${n#fuzz_} || exit 1; done

test:
	./scripts/run-tests.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v -e '^src/proto/gen/' -e '^tests/unit/gen_fill.c')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h' | grep -v -e '^src/proto/gen/' -e '^tests/unit/gen_fill.c')

# The configuration references are generated from the settings tables.
DOC_SERVICES = broker registry rest
docs: $(BUILD)/basin
	for s in $(DOC_SERVICES); do ./$(BUILD)/basin $$s --print-config-docs > docs/$$s-config.md || exit 1; done

# Fails if a committed configuration reference differs from its table.
docs-check: $(BUILD)/basin
	@for s in $(DOC_SERVICES); do ./$(BUILD)/basin $$s --print-config-docs | diff -u docs/$$s-config.md - || \
	  { echo "docs-check: docs/$$s-config.md is stale: run make docs"; exit 1; }; done; echo "docs-check: configuration references are current"

clean:
	rm -rf build build-san build-fuzz

# libbasin-serdes: the serdes library on its own (include/basin/serdes.h),
# static and shared, built from src/serdes plus the base files it uses, with
# position-independent objects under $(BUILD)/pic. `make install` puts the
# header in $(PREFIX)/include/basin and the libraries in $(PREFIX)/lib.
PREFIX     ?= /usr/local
SERDES_SRC  = $(wildcard src/serdes/*.c) src/base/hmap.c src/base/arena.c
SERDES_PIC  = $(SERDES_SRC:%.c=$(BUILD)/pic/%.o)
SERDES_LIBS = -lavro -ljansson -lcurl -lpthread

.PHONY: serdes install
all: serdes
serdes: $(BUILD)/libbasin-serdes.a $(BUILD)/libbasin-serdes.so

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/libbasin-serdes.a: $(SERDES_PIC)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbasin-serdes.so: $(SERDES_PIC)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-soname,libbasin-serdes.so.0 -o $@ $^ $(SERDES_LIBS)

install: serdes
	install -d $(DESTDIR)$(PREFIX)/include/basin $(DESTDIR)$(PREFIX)/lib
	install -m 644 include/basin/serdes.h $(DESTDIR)$(PREFIX)/include/basin/serdes.h
	install -m 644 $(BUILD)/libbasin-serdes.a $(DESTDIR)$(PREFIX)/lib/libbasin-serdes.a
	install -m 755 $(BUILD)/libbasin-serdes.so $(DESTDIR)$(PREFIX)/lib/libbasin-serdes.so.0
	ln -sf libbasin-serdes.so.0 $(DESTDIR)$(PREFIX)/lib/libbasin-serdes.so

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
