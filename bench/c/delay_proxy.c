/* delay_proxy: a TCP proxy on loopback that adds latency, for benchmarks on a
 * kernel without netem.
 *
 *   delay_proxy [-d DELAY_US] [-l LISTEN_PORT] UPSTREAM_HOST UPSTREAM_PORT
 *
 * Listens on 127.0.0.1:LISTEN_PORT (0 or none: the kernel picks; the port is
 * printed on stdout, one line, once listening) and connects each client to
 * UPSTREAM. Every chunk read from either side is forwarded DELAY_US
 * microseconds (default 500) after it was read, in order, so that each round
 * trip gains 2 x DELAY_US: ~1 ms with the default. Bandwidth is not limited,
 * only latency is added. The TCP handshake with the proxy itself is not
 * delayed (the kernel completes it on the listening socket).
 *
 * One thread, ppoll() with nanosecond timeouts and a 1 ns timer slack, so the
 * delay is accurate to the scheduler's wake-up latency (tens of us).
 * Reading from a side stops while more than 16 MiB from it waits to be
 * forwarded. Runs until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define QUEUE_CAP (16 * 1024 * 1024)
#define MAX_PAIRS 128

struct chunk {
	struct chunk *next;
	int64_t due;   /* ns, CLOCK_MONOTONIC */
	size_t len, off;
	char data[];
};

struct dir {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	bool eof, shut;
};

struct pair {
	int fd[2];        /* 0: client, 1: upstream */
	struct dir d[2];  /* 0: client -> upstream, 1: upstream -> client */
	bool used;
};

static struct pair pairs[MAX_PAIRS];
static int64_t delay_ns = 500000;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void drop_pair(struct pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct chunk *c = p->d[i].head, *next;

		for (; c; c = next) {
			next = c->next;
			free(c);
		}
		close(p->fd[i]);
	}
	memset(p, 0, sizeof(*p));
}

static int connect_upstream(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what is there (up to CHUNK) and queues it; -1 when the pair must go. */
static int pull(struct dir *d, int64_t now)
{
	struct chunk *c = malloc(sizeof(*c) + CHUNK);
	ssize_t n;

	if (!c)
		die("malloc");
	n = read(d->from, c->data, CHUNK);
	if (n <= 0) {
		free(c);
		if (n == 0) {
			d->eof = true;
			return 0;
		}
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	c->next = NULL;
	c->due = now + delay_ns;
	c->len = (size_t)n;
	c->off = 0;
	if (d->tail)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += (size_t)n;
	return 0;
}

/* Writes the chunks that are due; -1 when the pair must go. */
static int push(struct dir *d, int64_t now)
{
	while (d->head && d->head->due <= now) {
		struct chunk *c = d->head;
		ssize_t n = write(d->to, c->data + c->off, c->len - c->off);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += (size_t)n;
		d->queued -= (size_t)n;
		if (c->off < c->len)
			return 0;
		d->head = c->next;
		if (!d->head)
			d->tail = NULL;
		free(c);
	}
	if (!d->head && d->eof && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pollfd pfds[1 + 2 * MAX_PAIRS];
	struct addrinfo hints, *up;
	struct sockaddr_in addr;
	socklen_t addrlen = sizeof(addr);
	int listen_fd, opt, one = 1, port = 0, rc;

	while ((opt = getopt(argc, argv, "d:l:")) != -1) {
		switch (opt) {
		case 'd': delay_ns = atoll(optarg) * 1000; break;
		case 'l': port = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: delay_proxy [-d DELAY_US] [-l LISTEN_PORT] UPSTREAM_HOST UPSTREAM_PORT\n");
			return 2;
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "usage: delay_proxy [-d DELAY_US] [-l LISTEN_PORT] UPSTREAM_HOST UPSTREAM_PORT\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &up)) != 0) {
		fprintf(stderr, "delay_proxy: %s: %s\n", argv[optind], gai_strerror(rc));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0)
		die("socket");
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(listen_fd, 64) != 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&addr, &addrlen) != 0)
		die("listen");
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	for (;;) {
		int64_t now = now_ns(), next_due = INT64_MAX;
		struct timespec timeout, *tp = NULL;
		int n = 0, i, j;

		/* forward what is due, then wait for input, writability or the next due time */
		pfds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (i = 0; i < MAX_PAIRS; i++) {
			struct pair *p = &pairs[i];

			if (!p->used)
				continue;
			if (push(&p->d[0], now) != 0 || push(&p->d[1], now) != 0 || (p->d[0].shut && p->d[1].shut)) {
				drop_pair(p);
				continue;
			}
			pfds[n].fd = p->fd[0];
			pfds[n + 1].fd = p->fd[1];
			pfds[n].events = pfds[n + 1].events = 0;
			pfds[n].revents = pfds[n + 1].revents = 0;
			for (j = 0; j < 2; j++) {
				struct dir *d = &p->d[j];

				/* d reads from fd[j] and writes to fd[1 - j] */
				if (!d->eof && d->queued < QUEUE_CAP)
					pfds[n + j].events |= POLLIN;
				if (d->head) {
					if (d->head->due <= now)
						pfds[n + 1 - j].events |= POLLOUT;
					else if (d->head->due < next_due)
						next_due = d->head->due;
				}
			}
			n += 2;
		}
		if (next_due != INT64_MAX) {
			int64_t wait = next_due - now;

			timeout.tv_sec = wait / 1000000000;
			timeout.tv_nsec = wait % 1000000000;
			tp = &timeout;
		}
		if (ppoll(pfds, (nfds_t)n, tp, NULL) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		now = now_ns();
		if (pfds[0].revents & POLLIN) {
			int client;

			while ((client = accept(listen_fd, NULL, NULL)) >= 0) {
				int upstream = connect_upstream(up);

				for (i = 0; i < MAX_PAIRS && pairs[i].used; i++)
					;
				if (upstream < 0 || i == MAX_PAIRS) {
					close(client);
					if (upstream >= 0)
						close(upstream);
					continue;
				}
				tune(client);
				tune(upstream);
				pairs[i].used = true;
				pairs[i].fd[0] = client;
				pairs[i].fd[1] = upstream;
				pairs[i].d[0] = (struct dir){ .from = client, .to = upstream };
				pairs[i].d[1] = (struct dir){ .from = upstream, .to = client };
			}
		}
		/* pfds[1..] follow the used pairs in order */
		for (i = 0, j = 1; i < MAX_PAIRS && j < n; i++) {
			struct pair *p = &pairs[i];
			int k;

			if (!p->used || pfds[j].fd != p->fd[0])
				continue;
			for (k = 0; k < 2; k++) {
				if ((pfds[j + k].revents & (POLLIN | POLLHUP | POLLERR)) && !p->d[k].eof &&
				    pull(&p->d[k], now) != 0) {
					drop_pair(p);
					break;
				}
			}
			j += 2;
		}
	}
}
