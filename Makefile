# The clinic's web module. `make run` and `make test` set everything up.
PREFIX ?= /usr/local
DESTDIR ?=
PORT ?= 8080

PKGS := fcgi libsodium sqlite3 libcmark libseccomp
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2
OPTFLAGS ?= -O2 -g
CFLAGS += -std=c17 -Wall -Wextra -Werror -pedantic -fstack-protector-strong $(OPTFLAGS)
CFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Three archives, one per side (see README, "What is where"):
#   lib/            libclinic.a  what the web programs and the tools share
#   cgi-bin/intake/ libintake.a  what only contact.fcgi needs to take a post in
#   staff/          libstaff.a   what only the staff tool needs: opening enquiries
# A web program is compiled without staff/ on its include path and linked
# without libstaff.a, so it cannot reach code that opens an enquiry;
# tests/boundary.sh checks the built programs' symbols.
LIB_SRC := $(wildcard lib/*.c)
INTAKE_SRC := $(wildcard cgi-bin/intake/*.c)
STAFF_SRC := $(filter-out staff/enquiries.c,$(wildcard staff/*.c))
HEADERS := $(wildcard lib/*.h cgi-bin/intake/*.h staff/*.h)
LIB := build/libclinic.a
INTAKE_LIB := build/libintake.a
STAFF_LIB := build/libstaff.a
# Include paths by where a source file is: lib/ sees only itself; the intake
# and the staff modules see lib/ and their own folder; a program sees what it
# links; tests, fuzz targets and bench helpers see everything.
includes = -Ilib $(if $(filter cgi-bin/intake/% cgi-bin/contact.c,$1),-Icgi-bin/intake) \
	$(if $(filter staff/%,$1),-Istaff) \
	$(if $(filter tests/% fuzz/% bench/%,$1),-Icgi-bin/intake -Istaff)
# What each program links, first to last; a web program never names STAFF_LIB.
libs_for = $(if $(filter %/contact.fcgi,$1),$(INTAKE_LIB)) \
	$(if $(filter %/enquiries,$1),$(STAFF_LIB)) $(LIB)
ALL_LIBS := $(STAFF_LIB) $(INTAKE_LIB) $(LIB)

PROGRAMS := cgi-bin/pages.fcgi cgi-bin/contact.fcgi tools/enquiries tools/build-content
WEB_PROGRAMS := cgi-bin/pages.fcgi cgi-bin/contact.fcgi
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
# pages.fcgi with the /__test/ paths the seccomp and cache suites use; never installed.
TEST_HOOKS := build/test-hooks/pages.fcgi
# The bench's own helpers (bench/*.c): ceilings and set-up; never installed.
BENCH_BIN := build/bench/null-responder build/bench/commit-ceiling build/bench/seed

.PHONY: all deps run test unit integration clean install format bench soak boundary
all: $(PROGRAMS)

build/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call includes,$<) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_SRC:%.c=build/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(INTAKE_LIB): $(INTAKE_SRC:%.c=build/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(STAFF_LIB): $(STAFF_SRC:%.c=build/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

cgi-bin/pages.fcgi: build/cgi-bin/pages.o $(LIB)
cgi-bin/contact.fcgi: build/cgi-bin/contact.o $(INTAKE_LIB) $(LIB)
tools/enquiries: build/staff/enquiries.o $(STAFF_LIB) $(LIB)
tools/build-content: build/tools/build-content.o $(LIB)
$(PROGRAMS):
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call libs_for,$@) $(LDLIBS)

build/test-hooks/%.o: cgi-bin/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call includes,$<) -DCLINIC_TEST_HOOKS $(CFLAGS) -c -o $@ $<

build/test-hooks/%.fcgi: build/test-hooks/%.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call libs_for,$@) $(LDLIBS)

build/bench/%: bench/%.c $(HEADERS) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call includes,$<) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

build/tests/%: tests/unit/%.c $(HEADERS) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call includes,$<) $(CFLAGS) $(shell pkg-config --cflags cmocka 2>/dev/null) \
		$(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# Installs the Debian packages everything needs (as root), or says how.
deps:
	@sh tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@python3 tools/stack.py run --port $(PORT)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

# No web program (plain, ASan, Valgrind or test build) holds staff code.
boundary: $(PROGRAMS) $(TEST_HOOKS) sanitized
	@sh tests/boundary.sh

# The four builds (plain, ASan, fuzz, Valgrind) are independent: one job per core.
test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(UNIT_BIN) $(TEST_HOOKS) sanitized
	@sh tests/run.sh

# Measures each figure next to its ceiling on this machine (not part of
# `make test`): prints a table, writes bench/results/latest.json. Needs wrk.
bench: deps
	@sh bench/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@python3 bench/run.py $(BENCH_ARGS)

# Plants each fault of tests/mutants/mutants.py in a scratch copy of the tree,
# one at a time, and fails unless the suites named for it catch it (not part
# of `make test`; MUTANTS="wipe-buf cache-off" picks some).
.PHONY: mutants
mutants: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(TEST_HOOKS)
	@python3 tests/mutants/run.py $(MUTANTS)

# Lays out programs, content, htdocs and the nginx, Apache and systemd files
# under DESTDIR/PREFIX the way the shipped configs expect (see README).
install: all
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" sh tools/install.sh

# Debian packages (debian/), built from a copy of the tree: build/deb/*.deb.
.PHONY: deb
deb: deps
	@sh tools/deb.sh

# A full minute of mixed load, then workers killed and the database's disk
# filled and made read-only (`make test` runs a 20-second version).
soak: deps
	@$(MAKE) --no-print-directory all
	@python3 tests/soak/run.py --seconds 60

format:
	clang-format -i lib/*.[ch] cgi-bin/*.c cgi-bin/intake/*.[ch] staff/*.[ch] tools/*.c \
		tests/unit/*.[ch] tests/integration/*.c tests/valgrind/*.c fuzz/*.[ch] bench/*.c

clean:
	rm -rf build $(PROGRAMS)

build/tests/test_content: tools/build-content
build/tests/test_site: tools/build-content
# test_wipe looks at every block the library frees before it is freed.
build/tests/test_wipe build/asan/tests/test_wipe: LDFLAGS += -Wl,--wrap=free

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
ASAN_LIBS := $(ALL_LIBS:build/%=build/asan/%)
ASAN_PROGRAMS := $(PROGRAMS:%=build/asan/%)
ASAN_UNIT_BIN := $(UNIT_BIN:build/%=build/asan/%)
# The test-hook pages.fcgi built with the sanitizers, for the ASan pass.
ASAN_TEST_HOOKS := $(TEST_HOOKS:build/%=build/asan/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/fuzz_%.c=build/asan/fuzz/replay_%)
FUZZ_LIBS := $(ALL_LIBS:build/%=build/fuzz/%)
# The normal build for the Valgrind pass, but without the seccomp sandbox,
# which Valgrind cannot run (see tests/valgrind/sandbox_off.c).
VALGRIND_PROGRAMS := $(PROGRAMS:%=build/valgrind/%)
SANITIZED := $(ASAN_PROGRAMS) $(ASAN_TEST_HOOKS) $(ASAN_UNIT_BIN) $(FUZZ_REPLAY) $(FUZZ_BIN) $(VALGRIND_PROGRAMS)
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?=

.PHONY: fuzz sanitized fuzz-build
sanitized: $(SANITIZED)
fuzz-build: $(FUZZ_BIN) $(FUZZ_REPLAY)

build/asan/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) $(SAN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

build/asan/libclinic.a: $(LIB_SRC:%.c=build/asan/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/asan/libintake.a: $(INTAKE_SRC:%.c=build/asan/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/asan/libstaff.a: $(STAFF_SRC:%.c=build/asan/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/asan/cgi-bin/pages.fcgi: build/asan/cgi-bin/pages.o build/asan/libclinic.a
build/asan/cgi-bin/contact.fcgi: build/asan/cgi-bin/contact.o build/asan/libintake.a \
	build/asan/libclinic.a
build/asan/tools/enquiries: build/asan/staff/enquiries.o build/asan/libstaff.a \
	build/asan/libclinic.a
build/asan/tools/build-content: build/asan/tools/build-content.o build/asan/libclinic.a
$(ASAN_PROGRAMS):
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< \
		$(patsubst build/%,build/asan/%,$(call libs_for,$@)) $(LDLIBS)

build/asan/test-hooks/%.o: cgi-bin/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) -DCLINIC_TEST_HOOKS $(SAN_CFLAGS) $(SAN_FLAGS) \
		-c -o $@ $<

build/asan/test-hooks/%.fcgi: build/asan/test-hooks/%.o build/asan/libclinic.a
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< \
		$(patsubst build/%,build/asan/%,$(call libs_for,$@)) $(LDLIBS)

build/asan/tests/%: tests/unit/%.c $(HEADERS) $(ASAN_LIBS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) $(SAN_CFLAGS) $(SAN_FLAGS) \
		$(shell pkg-config --cflags cmocka 2>/dev/null) $(LDFLAGS) -o $@ $< $(ASAN_LIBS) \
		$(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

build/asan/tests/test_content: tools/build-content
build/asan/tests/test_site: tools/build-content

build/asan/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(HEADERS) $(ASAN_LIBS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) $(SAN_CFLAGS) -Werror $(SAN_FLAGS) $(LDFLAGS) \
		-o $@ fuzz/fuzz_$*.c fuzz/replay.c $(ASAN_LIBS) $(LDLIBS)

# The libraries again with libFuzzer's coverage instrumentation.
build/fuzz/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) $(SAN_CFLAGS) $(SAN_FLAGS) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libclinic.a: $(LIB_SRC:%.c=build/fuzz/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/fuzz/libintake.a: $(INTAKE_SRC:%.c=build/fuzz/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/fuzz/libstaff.a: $(STAFF_SRC:%.c=build/fuzz/%.o) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(HEADERS) $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CPPFLAGS) $(call includes,$<) $(SAN_CFLAGS) -Werror $(SAN_FLAGS) \
		-fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(FUZZ_LIBS) $(LDLIBS)

build/valgrind/sandbox_off.o: tests/valgrind/sandbox_off.c lib/sandbox.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ilib $(CFLAGS) -c -o $@ $<

build/valgrind/cgi-bin/pages.fcgi: $(LIB)
build/valgrind/cgi-bin/contact.fcgi: $(INTAKE_LIB) $(LIB)
build/valgrind/cgi-bin/%.fcgi: build/cgi-bin/%.o build/valgrind/sandbox_off.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< build/valgrind/sandbox_off.o $(call libs_for,$@) \
		$(LDLIBS)

build/valgrind/tools/%: tools/%
	@mkdir -p $(dir $@)
	cp $< $@

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/run.sh long $(FUZZ_SECONDS) $(FUZZ_TARGETS)
