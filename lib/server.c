#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MAX_WORKERS 64
#define PATH_STORAGE 2048

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_exited;

/* SIGTERM and SIGINT: stop once idle. */
static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGCHLD: a worker is to be reaped. */
static void on_child_signal(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* A listening unix socket at path (see server.h), or -1 with why in err. */
static int listen_unix(const char *path, char *err, size_t errlen)
{
	/* Bind and listen under a temporary name, then rename into place: the
	 * socket file appears only once it accepts connections, and replaces a
	 * stale one from a crash in one step. */
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof addr.sun_path) {
		snprintf(err, errlen, "socket path is too long: %s", path);
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: refusing to replace it",
		         path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    chmod(addr.sun_path, 0666) != 0 || listen(fd, 256) != 0 ||
	    rename(addr.sun_path, path) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(addr.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* A listening TCP socket at "host:port" (loopback without a host), or -1 with why in err. */
static int listen_tcp(const char *address, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	size_t host_len = (size_t)(colon - address);
	if (host_len >= sizeof host) {
		snprintf(err, errlen, "listen address is too long: %s", address);
		return -1;
	}
	memcpy(host, address, host_len);
	host[host_len] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *found;
	int rc = getaddrinfo(host_len ? host : "127.0.0.1", colon + 1, &hints, &found);
	if (rc != 0) {
		snprintf(err, errlen, "cannot use listen address %s: %s", address,
		         gai_strerror(rc));
		return -1;
	}
	int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
	    bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 256) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(found);
	return fd;
}

/* Whether fd is a socket that accepts connections. */
static bool is_listening_socket(int fd)
{
	int accepting = 0;
	socklen_t len = sizeof accepting;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting;
}

int server_listen(const char *address, char *err, size_t errlen)
{
	if (address && strncmp(address, "unix:", 5) == 0)
		return listen_unix(address + 5, err, errlen);
	if (address && *address) {
		if (!strchr(address, ':')) {
			snprintf(err, errlen,
			         "listen address '%s' is neither unix:PATH nor HOST:PORT", address);
			return -1;
		}
		return listen_tcp(address, err, errlen);
	}
	const char *listen_pid = getenv("LISTEN_PID");
	const char *listen_fds = getenv("LISTEN_FDS");
	if (listen_pid && listen_fds && atol(listen_pid) == (long)getpid() &&
	    atoi(listen_fds) >= 1 && is_listening_socket(3))
		return 3;
	if (is_listening_socket(0))
		return 0;
	snprintf(err, errlen,
	         "no listening socket: set a listen address in the config, or start this program "
	         "from a web server, spawn-fcgi or systemd so that it inherits one");
	return -1;
}

/* Waits until the listening socket (or a connection the web server kept
 * open) has something, with the stop signals unblocked only inside ppoll:
 * a signal can interrupt this wait and nothing else. Returns a connected fd
 * ready for FastCGI, or -1 when the worker should stop. */
static int wait_for_connection(int listen_fd, int kept_fd, const sigset_t *idle_mask)
{
	while (!stop_requested) {
		struct pollfd pfd = {.fd = kept_fd >= 0 ? kept_fd : listen_fd, .events = POLLIN};
		int ready = ppoll(&pfd, 1, NULL, idle_mask);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			log_error("waiting for connections failed: %s", strerror(errno));
			return -1;
		}
		if (kept_fd >= 0)
			return kept_fd;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		/* Another worker took it, or the peer gave up: wait again. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
		    errno != EINTR && errno != EPROTO) {
			log_error("accepting a connection failed: %s", strerror(errno));
			return -1;
		}
	}
	return -1;
}

/* A worker's life: start, enter the sandbox, then answer requests until told to stop. Never
 * returns. */
static void worker_loop(const struct server_options *opt, int listen_fd, const sigset_t *idle_mask)
{
	if (opt->worker_start && !opt->worker_start())
		_exit(1);
	char reason[256];
	if (!sandbox_enter(opt->sandbox, reason, sizeof reason)) {
		log_error("a worker cannot enter its sandbox: %s", reason);
		_exit(1);
	}
	FCGX_Request fcgx;
	FCGX_InitRequest(&fcgx, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	char path[PATH_STORAGE];
	int kept_fd = -1;
	for (;;) {
		int fd = wait_for_connection(listen_fd, kept_fd, idle_mask);
		if (fd < 0)
			break;
		/* Hand libfcgi the connection we accepted. keepConnection stops
		 * FCGX_Accept_r's implicit finish from closing it; the web
		 * server's FCGI_KEEP_CONN flag then decides for this request. */
		fcgx.ipcFd = fd;
		fcgx.keepConnection = 1;
		if (FCGX_Accept_r(&fcgx) != 0) {
			kept_fd = -1;
			continue;
		}
		struct request req;
		if (request_init(&req, &fcgx, path, sizeof path)) {
			opt->handle(&req);
		} else {
			struct response res = {.status = 400,
			                       .cache = CACHE_NEVER,
			                       .content_type = "text/plain; charset=utf-8"};
			static const char msg[] = "Bad request\n";
			response_send(&req, &res, msg, sizeof msg - 1);
		}
		FCGX_Finish_r(&fcgx);
		kept_fd = fcgx.ipcFd;
	}
	if (kept_fd >= 0)
		close(kept_fd);
	_exit(0);
}

/* Forks a worker; its pid, or -1 (logged). */
static pid_t start_worker(const struct server_options *opt, int listen_fd,
                          const sigset_t *idle_mask)
{
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		worker_loop(opt, listen_fd, idle_mask);
	}
	if (pid < 0)
		log_error("cannot start a worker: %s", strerror(errno));
	return pid;
}

/* The monotonic clock, in seconds. */
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int server_run(const struct server_options *opt)
{
	if (FCGX_Init() != 0) {
		log_error("the FastCGI library failed to start");
		return 1;
	}
	char err[512];
	int listen_fd = server_listen(opt->listen, err, sizeof err);
	if (listen_fd < 0) {
		log_error("%s", err);
		return 1;
	}
	/* Several workers poll one socket; whoever loses the accept race must
	 * not block in accept(), so the listening socket is non-blocking. */
	int flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		log_error("cannot make the listening socket non-blocking: %s", strerror(errno));
		return 1;
	}
	/* A client that leaves must show up as EPIPE, not kill the worker. */
	signal(SIGPIPE, SIG_IGN);

	sigset_t stop_signals, idle_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stop_signals, &idle_mask);
	sigdelset(&idle_mask, SIGTERM);
	sigdelset(&idle_mask, SIGINT);
	sigdelset(&idle_mask, SIGCHLD);

	struct sigaction stop = {.sa_handler = on_stop_signal}; /* no SA_RESTART */
	sigemptyset(&stop.sa_mask);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	struct sigaction child = {.sa_handler = on_child_signal, .sa_flags = SA_NOCLDSTOP};
	sigemptyset(&child.sa_mask);
	sigaction(SIGCHLD, &child, NULL);

	int count = opt->workers < 1 ? 1 : opt->workers > MAX_WORKERS ? MAX_WORKERS : opt->workers;
	pid_t workers[MAX_WORKERS];
	double started[MAX_WORKERS];
	for (int i = 0; i < count; i++) {
		workers[i] = start_worker(opt, listen_fd, &idle_mask);
		started[i] = now_seconds();
	}
	log_info("%s started with %d workers", opt->name, count);

	int quick_deaths = 0;
	bool gave_up = false;
	while (!stop_requested) {
		sigsuspend(&idle_mask);
		if (!child_exited)
			continue;
		child_exited = 0;
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < count; i++) {
				if (workers[i] != pid)
					continue;
				if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
					log_error("worker %d broke the seccomp sandbox (SIGSYS) "
					          "and was killed; starting another",
					          (int)pid);
				else if (WIFSIGNALED(status))
					log_error(
					    "worker %d was killed by signal %d; starting another",
					    (int)pid, WTERMSIG(status));
				else
					log_error(
					    "worker %d exited with status %d; starting another",
					    (int)pid, WEXITSTATUS(status));
				workers[i] = -1;
				if (stop_requested)
					break;
				/* A worker that cannot even start must not spin the CPU.
				 * Only a worker that exits by itself (it could not open
				 * what it needs) counts towards giving up; one killed
				 * from outside is always replaced. */
				if (now_seconds() - started[i] < 1.0) {
					if (!WIFSIGNALED(status) && ++quick_deaths > 10) {
						log_error("workers cannot start (see the errors "
						          "above); giving up");
						stop_requested = 1;
						gave_up = true;
						break;
					}
					struct timespec pause = {0, 200 * 1000 * 1000};
					nanosleep(&pause, NULL);
				} else {
					quick_deaths = 0;
				}
				workers[i] = start_worker(opt, listen_fd, &idle_mask);
				started[i] = now_seconds();
			}
		}
	}

	log_info("%s stopping: letting requests in flight finish", opt->name);
	for (int i = 0; i < count; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	int remaining = 0;
	for (int i = 0; i < count; i++)
		remaining += workers[i] > 0;
	double deadline = now_seconds() + 30.0;
	while (remaining > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			for (int i = 0; i < count; i++)
				if (workers[i] == pid) {
					workers[i] = -1;
					remaining--;
				}
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		if (now_seconds() > deadline) {
			log_error("workers did not stop within 30 seconds; killing them");
			for (int i = 0; i < count; i++)
				if (workers[i] > 0)
					kill(workers[i], SIGKILL);
			deadline = now_seconds() + 5.0;
		}
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	if (opt->listen && strncmp(opt->listen, "unix:", 5) == 0)
		unlink(opt->listen + 5);
	log_info("%s stopped", opt->name);
	return gave_up ? 1 : 0;
}
