#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fileio.h"

#define SECRET_SIZE (PASSPHRASE_MAX + 2)

static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_echo_off;

/* A signal while echo is off: puts the terminal back, then lets the signal do what it does. */
static void restore_terminal_and_stop(int sig)
{
	if (tty_echo_off) {
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
		ssize_t ignored = write(tty_fd, "\n", 1);
		(void)ignored;
	}
	raise(sig); /* SA_RESETHAND: now with the default action */
}

static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NPROMPT_SIGNALS (sizeof prompt_signals / sizeof prompt_signals[0])

/* Zeroed sodium_malloc'd room for a passphrase, or NULL with why in err. */
static char *new_secret(char *err, size_t errlen)
{
	char *p = sodium_malloc(SECRET_SIZE);
	if (p)
		memset(p, 0, SECRET_SIZE);
	else
		snprintf(err, errlen, "There is not enough memory to hold the passphrase.");
	return p;
}

void passphrase_free(char *passphrase)
{
	if (passphrase) {
		sodium_memzero(passphrase, SECRET_SIZE);
		sodium_free(passphrase);
	}
}

char *passphrase_ask(const char *prompt, char *err, size_t errlen)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(
		    err, errlen,
		    "This needs the passphrase, but there is no terminal to ask for it on. Run "
		    "it in a terminal, or give the passphrase in a file with --passphrase-file "
		    "FILE.");
		return NULL;
	}
	struct termios quiet;
	if (tcgetattr(fd, &tty_saved) != 0) {
		snprintf(err, errlen,
		         "Could not ask for the passphrase (%s). Give it with --passphrase-file "
		         "FILE instead.",
		         strerror(errno));
		close(fd);
		return NULL;
	}
	char *secret = new_secret(err, errlen);
	if (!secret) {
		close(fd);
		return NULL;
	}
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	quiet.c_lflag |= ECHONL | ICANON;

	struct sigaction restore = {0}, previous[NPROMPT_SIGNALS];
	restore.sa_handler = restore_terminal_and_stop;
	restore.sa_flags = SA_RESETHAND;
	sigemptyset(&restore.sa_mask);
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &restore, &previous[i]);
	tty_fd = fd;

	int error = write_all(fd, prompt, strlen(prompt));
	if (error == 0 && tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		error = errno;
	bool ok = error == 0;
	if (ok)
		tty_echo_off = 1;
	size_t n = 0;
	bool too_long = false, ended = false;
	while (ok && !ended) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error = r < 0 ? errno : 0;
			ended = r == 0;
			ok = r == 0;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (n < PASSPHRASE_MAX)
			secret[n++] = c;
		else
			too_long = true;
	}
	if (tty_echo_off)
		tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_echo_off = 0;
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &previous[i], NULL);
	tty_fd = -1;
	close(fd);
	secret[n] = '\0';

	if (!ok) {
		snprintf(err, errlen, "Could not read the passphrase from the terminal (%s).",
		         strerror(error));
	} else if (ended && n == 0) {
		snprintf(err, errlen, "No passphrase was typed, so nothing was done.");
		ok = false;
	} else if (too_long) {
		snprintf(err, errlen,
		         "That passphrase is longer than %d characters, which is more than this "
		         "tool accepts.",
		         PASSPHRASE_MAX);
		ok = false;
	}
	if (!ok) {
		passphrase_free(secret);
		return NULL;
	}
	return secret;
}

char *passphrase_from_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "Could not open the passphrase file %s (%s).", path,
		         strerror(errno));
		return NULL;
	}
	char *secret = new_secret(err, errlen);
	if (!secret) {
		close(fd);
		return NULL;
	}
	size_t n = 0;
	bool ok = true;
	while (n < PASSPHRASE_MAX + 1) {
		ssize_t r = read(fd, secret + n, PASSPHRASE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "Could not read the passphrase file %s (%s).", path,
			         strerror(errno));
			ok = false;
			break;
		}
		if (r == 0 || memchr(secret + n, '\n', (size_t)r)) {
			n += (size_t)r;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	char *newline = ok ? memchr(secret, '\n', n) : NULL;
	size_t len = newline ? (size_t)(newline - secret) : n;
	if (len > 0 && secret[len - 1] == '\r')
		len--;
	if (ok && len > PASSPHRASE_MAX) {
		snprintf(err, errlen,
		         "The first line of the passphrase file %s is longer than %d characters.",
		         path, PASSPHRASE_MAX);
		ok = false;
	}
	if (ok && memchr(secret, '\0', len)) {
		snprintf(err, errlen,
		         "The passphrase file %s holds a NUL byte; a passphrase is text.", path);
		ok = false;
	}
	if (ok && len == 0) {
		snprintf(err, errlen, "The passphrase file %s is empty.", path);
		ok = false;
	}
	if (!ok) {
		passphrase_free(secret);
		return NULL;
	}
	sodium_memzero(secret + len, SECRET_SIZE - len);
	return secret;
}
