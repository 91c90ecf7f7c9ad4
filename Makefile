# The clinic's web module. `make run` and `make test` set everything up.
PREFIX ?= /usr/local
DESTDIR ?=
PORT ?= 8080

PKGS := fcgi libsodium sqlite3 libcmark
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

.PHONY: all deps run test unit integration clean install format bench
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
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@sh tests/run.sh

format:
	clang-format -i lib/*.[ch] cgi-bin/*.c staff/*.c tools/*.c tests/unit/*.[ch]

clean:
	rm -rf build $(PROGRAMS)

build/tests/test_content: tools/build-content
