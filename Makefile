# The clinic's web module. `make run` and `make test` set everything up.
PREFIX ?= /usr/local
DESTDIR ?=
PORT ?= 8080

PKGS := fcgi libsodium sqlite3 libcmark libseccomp
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -Ilib
OPTFLAGS ?= -O2 -g
CFLAGS += -std=c17 -Wall -Wextra -Werror -pedantic -fstack-protector-strong $(OPTFLAGS)
CFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=build/%.o)
LIB := build/libclinic.a
PROGRAMS := cgi-bin/pages.fcgi cgi-bin/contact.fcgi tools/enquiries tools/build-content
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
# pages.fcgi with the /__test/ paths the seccomp and cache suites use; never installed.
TEST_HOOKS := build/test-hooks/pages.fcgi
# The bench's own helpers (bench/*.c): ceilings and set-up; never installed.
BENCH_BIN := build/bench/null-responder build/bench/commit-ceiling build/bench/seed

.PHONY: all deps run test unit integration clean install format bench soak
all: $(PROGRAMS)

build/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

cgi-bin/%.fcgi: build/cgi-bin/%.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tools/enquiries: build/staff/enquiries.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tools/build-content: build/tools/build-content.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

build/test-hooks/%.o: cgi-bin/%.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DCLINIC_TEST_HOOKS $(CFLAGS) -c -o $@ $<

build/test-hooks/%.fcgi: build/test-hooks/%.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

build/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

build/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka 2>/dev/null) $(LDFLAGS) \
		-o $@ $< $(LIB) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# Installs the Debian packages everything needs (as root), or says how.
deps:
	@sh tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@python3 tools/stack.py run --port $(PORT)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(TEST_HOOKS) sanitized
	@sh tests/run.sh

# Measures each figure next to its ceiling on this machine (not part of
# `make test`): prints a table, writes bench/results/latest.json. Needs wrk.
bench: deps
	@sh bench/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@python3 bench/run.py $(BENCH_ARGS)

# Lays out programs, content, htdocs and the nginx, Apache and systemd files
# under DESTDIR/PREFIX the way the shipped configs expect (see README).
install: all
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" sh tools/install.sh

# A full minute of mixed load, then workers killed and the database's disk
# filled and made read-only (`make test` runs a 20-second version).
soak: deps
	@$(MAKE) --no-print-directory all
	@python3 tests/soak/run.py --seconds 60

format:
	clang-format -i lib/*.[ch] cgi-bin/*.c staff/*.c tools/*.c tests/unit/*.[ch] tests/integration/*.c \
		tests/valgrind/*.c fuzz/*.c bench/*.c

clean:
	rm -rf build $(PROGRAMS)

build/tests/test_content: tools/build-content
build/tests/test_site: tools/build-content

# --- Sanitizers and fuzzing ---------------------------------------------------
# make test also builds the library, programs and unit tests with
# AddressSanitizer and UndefinedBehaviorSanitizer (clang) into build/asan/, and
# each fuzz/fuzz_*.c target twice: with libFuzzer (build/fuzz/fuzz_NAME) and
# with the replay driver (build/asan/fuzz/replay_NAME). Sanitized objects never
# mix with the normal ones. `make fuzz` runs every fuzzer FUZZ_SECONDS each
# (FUZZ_TARGETS="form_body envelope" picks some).
SAN_CC ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# No _FORTIFY_SOURCE: its checked memcpy and friends would hide accesses from ASan.
SAN_CPPFLAGS := $(filter-out -D_FORTIFY_SOURCE=%,$(CPPFLAGS)) -U_FORTIFY_SOURCE
SAN_CFLAGS := -std=c17 -Wall -Wextra -pedantic -g -O1 \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ASAN_LIB := build/asan/libclinic.a
ASAN_PROGRAMS := $(PROGRAMS:%=build/asan/%)
ASAN_UNIT_BIN := $(UNIT_BIN:build/%=build/asan/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/fuzz_%.c=build/asan/fuzz/replay_%)
FUZZ_LIB := build/fuzz/libclinic.a
# The normal build for the Valgrind pass, but without the seccomp sandbox,
# which Valgrind cannot run (see tests/valgrind/sandbox_off.c).
VALGRIND_PROGRAMS := $(PROGRAMS:%=build/valgrind/%)
SANITIZED := $(ASAN_PROGRAMS) $(ASAN_UNIT_BIN) $(FUZZ_REPLAY) $(FUZZ_BIN) $(VALGRIND_PROGRAMS)
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?=

.PHONY: fuzz sanitized fuzz-build
sanitized: $(SANITIZED)
fuzz-build: $(FUZZ_BIN) $(FUZZ_REPLAY)

build/asan/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(SAN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(ASAN_LIB): $(LIB_SRC:%.c=build/asan/%.o)
	$(AR) rcs $@ $^

build/asan/cgi-bin/%.fcgi: build/asan/cgi-bin/%.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(ASAN_LIB) $(LDLIBS)

build/asan/tools/enquiries: build/asan/staff/enquiries.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(ASAN_LIB) $(LDLIBS)

build/asan/tools/build-content: build/asan/tools/build-content.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(ASAN_LIB) $(LDLIBS)

build/asan/tests/%: tests/unit/%.c $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(SAN_CFLAGS) $(SAN_FLAGS) \
		$(shell pkg-config --cflags cmocka 2>/dev/null) $(LDFLAGS) -o $@ $< $(ASAN_LIB) \
		$(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

build/asan/tests/test_content: tools/build-content
build/asan/tests/test_site: tools/build-content

build/asan/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(SAN_CFLAGS) -Werror $(SAN_FLAGS) $(LDFLAGS) -o $@ \
		fuzz/fuzz_$*.c fuzz/replay.c $(ASAN_LIB) $(LDLIBS)

# The library again with libFuzzer's coverage instrumentation.
build/fuzz/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(SAN_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRC:%.c=build/fuzz/%.o)
	$(AR) rcs $@ $^

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(SAN_CFLAGS) -Werror $(SAN_FLAGS) -fsanitize=fuzzer $(LDFLAGS) \
		-o $@ $< $(FUZZ_LIB) $(LDLIBS)

build/valgrind/sandbox_off.o: tests/valgrind/sandbox_off.c lib/sandbox.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/valgrind/cgi-bin/%.fcgi: build/cgi-bin/%.o build/valgrind/sandbox_off.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< build/valgrind/sandbox_off.o $(LIB) $(LDLIBS)

build/valgrind/tools/%: tools/%
	@mkdir -p $(dir $@)
	cp $< $@

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/run.sh long $(FUZZ_SECONDS) $(FUZZ_TARGETS)
