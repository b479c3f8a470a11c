/*
 * pollhook verify: the receiving side of emitters/webhook_sign.c as a command, for people
 * writing receivers and for the tests. Everything it needs comes from the
 * command line and files; it never touches the daemon's configuration.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook_sign.h"
#include "cli_verify.h"
#include "xmalloc.h"

#define BODY_MAX	(64 * 1024 * 1024)	/* far above any webhook */
#define EXIT_USAGE	2

struct verify_args {
	int			 scheme;
	char			**secrets;	/* owned */
	size_t			 nsecrets;
	struct sign_header	*headers;	/* owned */
	size_t			 nheaders;
	const char		*body_file;	/* borrowed from argv; "-": stdin */
	long long		 tolerance;
	long long		 now;
};

enum {
	OPT_SCHEME = 256,
	OPT_SECRET,
	OPT_SECRET_FILE,
	OPT_HEADER,
	OPT_BODY_FILE,
	OPT_TOLERANCE,
	OPT_NOW
};

static const struct option verify_options[] = {
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "body-file", required_argument, NULL, OPT_BODY_FILE },
	{ "tolerance", required_argument, NULL, OPT_TOLERANCE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook verify --scheme standard|zoom|github\n"
	    "           (--secret S ... | --secret-file F) --header 'Name: value' ...\n"
	    "           [--body-file F|-] [--tolerance SECONDS] [--now UNIX]\n"
	    "\n"
	    "  --scheme NAME       signature scheme of the request\n"
	    "  --secret S          a secret (repeat for rotation: any may match)\n"
	    "  --secret-file F     file with one secret a line\n"
	    "  --header 'N: V'     a received header (repeat; names are case-insensitive)\n"
	    "  --body-file F       the raw body, byte for byte (default and \"-\": stdin)\n"
	    "  --tolerance SECONDS max clock difference for timestamped schemes\n"
	    "                      (default %d; 0 skips the check)\n"
	    "  --now UNIX          the time to check the timestamp against (default: now)\n"
	    "\n"
	    "Prints \"authentic\" or \"NOT authentic: <reason>\".\n"
	    "Exit status: 0 authentic, 1 not authentic, 2 usage or input error.\n",
	    SIGN_TOLERANCE);
}

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "pollhook verify: %s%s%s\n", msg, arg ? ": " : "",
	    arg ? arg : "");
	fprintf(stderr, "Try 'pollhook verify --help'.\n");
	return -1;
}

static int
parse_ll(const char *s, long long min, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v < min)
		return -1;
	return 0;
}

static void
add_secret(struct verify_args *a, const char *s, size_t n)
{
	a->secrets = xreallocarray(a->secrets, a->nsecrets + 1, sizeof(*a->secrets));
	a->secrets[a->nsecrets++] = xstrndup(s, n);
}

/* Reads all of f into a NUL-terminated buffer; -1 on error or over max. */
static int
read_all(FILE *f, size_t max, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

static int
read_secret_file(struct verify_args *a, const char *path)
{
	FILE *f;
	char *buf = NULL, *p;
	size_t len, n;
	int rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "pollhook verify: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (read_all(f, 1024 * 1024, &buf, &len) == -1) {
		fprintf(stderr, "pollhook verify: %s: %s\n", path, strerror(errno));
		goto out;
	}
	/* One secret a line; the newline of a file edited by hand is no part of it. */
	for (p = buf; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		if (n > 0 && p[n - 1] == '\r')
			add_secret(a, p, n - 1);
		else if (n > 0)
			add_secret(a, p, n);
	}
	if (a->nsecrets == 0) {
		fprintf(stderr, "pollhook verify: %s: no secret in the file\n", path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

static int
add_header(struct verify_args *a, const char *arg)
{
	struct sign_header *h;
	const char *colon, *v, *end;
	size_t nlen;

	if ((colon = strchr(arg, ':')) == NULL || colon == arg)
		return usage_error("--header wants 'Name: value'", arg);
	for (nlen = (size_t)(colon - arg); nlen > 0 && arg[nlen - 1] == ' '; nlen--)
		;
	if (nlen == 0 || nlen >= SIGN_NAME_MAX)
		return usage_error("bad header name", arg);
	/* HTTP strips the optional whitespace around a value; so do we. */
	v = colon + 1 + strspn(colon + 1, " \t");
	for (end = v + strlen(v); end > v && strchr(" \t\r\n", end[-1]) != NULL; end--)
		;
	if ((size_t)(end - v) >= SIGN_VALUE_MAX)
		return usage_error("header value too long", arg);
	a->headers = xreallocarray(a->headers, a->nheaders + 1, sizeof(*a->headers));
	h = &a->headers[a->nheaders++];
	memcpy(h->name, arg, nlen);
	h->name[nlen] = '\0';
	memcpy(h->value, v, (size_t)(end - v));
	h->value[end - v] = '\0';
	return 0;
}

/* Returns 0, 1 (--help printed) or -1 (usage error, reported). */
static int
parse_args(struct verify_args *a, int argc, char **argv)
{
	char err[256];
	int c;

	a->scheme = -1;
	a->tolerance = SIGN_TOLERANCE;
	a->now = (long long)time(NULL);
	/* main() may have run getopt already; 0 makes glibc start afresh. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", verify_options, NULL)) != -1) {
		switch (c) {
		case OPT_SCHEME:
			a->scheme = sign_scheme_parse(optarg);
			if (a->scheme == -1 || a->scheme == SIGN_NONE)
				return usage_error("--scheme must be standard, zoom or github",
				    optarg);
			break;
		case OPT_SECRET:
			add_secret(a, optarg, strlen(optarg));
			break;
		case OPT_SECRET_FILE:
			if (read_secret_file(a, optarg) == -1)
				return -1;
			break;
		case OPT_HEADER:
			if (add_header(a, optarg) == -1)
				return -1;
			break;
		case OPT_BODY_FILE:
			a->body_file = optarg;
			break;
		case OPT_TOLERANCE:
			if (parse_ll(optarg, 0, &a->tolerance) == -1)
				return usage_error("--tolerance wants seconds >= 0", optarg);
			break;
		case OPT_NOW:
			if (parse_ll(optarg, 0, &a->now) == -1)
				return usage_error("--now wants Unix seconds", optarg);
			break;
		case 'h':
			verify_usage(stdout);
			return 1;
		default:
			/* getopt sets optopt to the val of a long option missing its argument. */
			if (optopt >= OPT_SCHEME)
				return usage_error("option needs an argument",
				    argv[optind - 1]);
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (a->scheme == -1)
		return usage_error("--scheme is required", NULL);
	if (a->nsecrets == 0)
		return usage_error("--secret or --secret-file is required", NULL);
	for (size_t i = 0; i < a->nsecrets; i++)
		if (sign_check_secret(a->scheme, a->secrets[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "pollhook verify: secret %zu: %s\n", i + 1, err);
			return -1;
		}
	if (a->nheaders == 0)
		return usage_error("no --header given: the signature travels in them", NULL);
	return 0;
}

int
cli_verify_main(int argc, char **argv)
{
	struct verify_args a;
	FILE *f = NULL;
	char *body = NULL, why[256];
	size_t bodylen = 0;
	int rc = EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	switch (parse_args(&a, argc, argv)) {
	case 1:
		rc = 0;
		goto out;
	case -1:
		goto out;
	}
	if (a.body_file == NULL || strcmp(a.body_file, "-") == 0)
		f = stdin;
	else if ((f = fopen(a.body_file, "rb")) == NULL) {
		fprintf(stderr, "pollhook verify: %s: %s\n", a.body_file, strerror(errno));
		goto out;
	}
	if (read_all(f, BODY_MAX, &body, &bodylen) == -1) {
		fprintf(stderr, "pollhook verify: reading the body: %s\n", strerror(errno));
		goto out;
	}
	if (sign_verify(a.scheme, a.secrets, a.nsecrets, a.headers, a.nheaders,
	    body, bodylen, a.now, a.tolerance, why, sizeof(why)) == 1) {
		printf("authentic\n");
		rc = 0;
	} else {
		printf("NOT authentic: %s\n", why);
		rc = 1;
	}
	if (fflush(stdout) == EOF)
		rc = EXIT_USAGE;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	free(body);
	for (size_t i = 0; i < a.nsecrets; i++)
		free(a.secrets[i]);
	free(a.secrets);
	free(a.headers);
	return rc;
}
