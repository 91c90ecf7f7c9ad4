/*
 * null-responder: the transport ceiling for `make bench`.
 *
 * A FastCGI responder on fcgi2's fcgiapp.h that does no work at all: it
 * reads whatever body it is sent and answers every request with the same
 * bytes (a CGI header block and body captured from our own program), so
 * nginx -> unix socket -> libfcgi -> back is all that is measured.
 *
 *     null-responder [--library-accept] SOCKET_PATH WORKERS RESPONSE_FILE
 *
 * Like our programs it pre-forks WORKERS processes sharing one listening
 * socket. By default each waits in poll() and takes connections with a
 * non-blocking accept4(), handing them to libfcgi (the loop lib/server.c
 * uses, the fastest measured here); --library-accept leaves accepting to
 * FCGX_Accept_r itself (fcntl lock around accept, then a wait for data), the
 * plainest responder, for comparison. SIGTERM or SIGINT stops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define MAX_RESPONSE (1024 * 1024)

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "null-responder: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *data = malloc(MAX_RESPONSE);
	size_t n = data ? fread(data, 1, MAX_RESPONSE, f) : 0;
	bool too_big = data && n == MAX_RESPONSE && fgetc(f) != EOF;
	bool failed = !data || ferror(f) || too_big;
	fclose(f);
	if (failed) {
		fprintf(stderr, "null-responder: cannot read %s (%s)\n", path,
		        too_big ? "larger than 1 MiB" : "read error");
		free(data);
		return NULL;
	}
	*len = n;
	return data;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		fprintf(stderr, "null-responder: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("null-responder: socket");
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(path, 0666) != 0 ||
	    listen(fd, 256) != 0) {
		fprintf(stderr, "null-responder: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for a connection the way lib/server.c does; -1 on a fatal error. */
static int next_connection(int listen_fd)
{
	for (;;) {
		struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		/* Another worker won the race, or the peer gave up. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
		    errno != EINTR && errno != EPROTO)
			return -1;
	}
}

static void worker(int listen_fd, bool library_accept, const char *response, size_t len,
                   const sigset_t *normal)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, normal, NULL);
	FCGX_Request request;
	if (FCGX_InitRequest(&request, listen_fd, 0) != 0)
		_exit(1);
	char scratch[16384];
	for (;;) {
		if (!library_accept) {
			/* As lib/server.c: hand libfcgi the connection; keepConnection
			 * stops FCGX_Accept_r's implicit finish from closing it, and
			 * nginx's FCGI_KEEP_CONN flag then decides for this request. */
			if (request.ipcFd < 0)
				request.ipcFd = next_connection(listen_fd);
			if (request.ipcFd < 0)
				_exit(1);
			request.keepConnection = 1;
		}
		if (FCGX_Accept_r(&request) < 0) {
			if (library_accept)
				_exit(1);
			request.ipcFd = -1;
			continue;
		}
		/* Take the body off the wire as any responder must, then answer. */
		while (FCGX_GetStr(scratch, sizeof scratch, request.in) > 0)
			;
		FCGX_PutStr(response, (int)len, request.out);
		if (!library_accept)
			FCGX_Finish_r(&request);
	}
}

int main(int argc, char **argv)
{
	bool library_accept = argc > 1 && strcmp(argv[1], "--library-accept") == 0;
	if (library_accept) {
		argc--;
		argv++;
	}
	if (argc != 4) {
		fprintf(
		    stderr,
		    "usage: null-responder [--library-accept] SOCKET_PATH WORKERS RESPONSE_FILE\n");
		return 2;
	}
	int workers = atoi(argv[2]);
	if (workers < 1 || workers > MAX_WORKERS) {
		fprintf(stderr, "null-responder: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}
	size_t len;
	char *response = read_file(argv[3], &len);
	if (!response)
		return 1;
	if (FCGX_Init() != 0) {
		fprintf(stderr, "null-responder: FCGX_Init failed\n");
		return 1;
	}
	int listen_fd = listen_unix(argv[1]);
	if (listen_fd < 0)
		return 1;
	/* Workers that lose the race for a connection must not block in accept. */
	int flags = fcntl(listen_fd, F_GETFL);
	if (!library_accept && (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0)) {
		perror("null-responder: fcntl");
		return 1;
	}

	/* The stop signals stay blocked except inside sigsuspend, so one that
	 * arrives between the check and the wait is not lost. */
	sigset_t stop_signals, normal;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_signals, &normal);
	struct sigaction stop = {.sa_handler = on_stop};
	sigemptyset(&stop.sa_mask);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid_t pids[MAX_WORKERS];
	for (int i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(listen_fd, library_accept, response, len, &normal);
		if (pids[i] < 0) {
			perror("null-responder: fork");
			stop_requested = 1;
		}
	}
	while (!stop_requested)
		sigsuspend(&normal);
	for (int i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < workers; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	unlink(argv[1]);
	free(response);
	return 0;
}
