/*
 * The outage benchmark's reference: how fast the receiver takes webhook
 * POSTs from libcurl alone, with nothing of pollhook around it. COUNT POSTs
 * of the body in BODYFILE (with headers of the size pollhook sends) to URL,
 * CONCURRENCY at once on one multi handle, each on a keep-alive connection
 * of its own; prints the rate. What is left is libcurl, the kernel and the
 * receiver: the ceiling of any sender on this machine in the same run.
 *
 *   post_floor URL CONCURRENCY COUNT BODYFILE
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)*len + 1)) == NULL ||
	    fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	long conc, count, started = 0, done = 0, failed = 0, len;
	struct curl_slist *hdrs = NULL;
	CURL **easy;
	CURLM *m;
	CURLMsg *msg;
	struct rusage ru;
	double t0, t1, cpu;
	char *body;
	int running, left;

	if (argc != 5 || (conc = atol(argv[2])) <= 0 || (count = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: post_floor URL CONCURRENCY COUNT BODYFILE\n");
		return 2;
	}
	if ((body = slurp(argv[4], &len)) == NULL) {
		fprintf(stderr, "post_floor: cannot read %s\n", argv[4]);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (m = curl_multi_init()) == NULL ||
	    (easy = calloc((size_t)conc, sizeof(*easy))) == NULL) {
		fprintf(stderr, "post_floor: cannot initialise\n");
		return 1;
	}
	/* As many and as long as pollhook's: id, timestamp, signature, type, agent. */
	hdrs = curl_slist_append(hdrs, "webhook-id: evt_01JBENCHBENCHBENCHBENCHBENC");
	hdrs = curl_slist_append(hdrs, "webhook-timestamp: 1700000000");
	hdrs = curl_slist_append(hdrs, "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: post_floor");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conc + 8);
	t0 = now();
	for (long i = 0; i < conc && started < count; i++, started++) {
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, argv[1]);
		curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(easy[i], CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDSIZE, len);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 10000L);
		curl_multi_add_handle(m, easy[i]);
	}
	while (done < count) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			long code = 0;
			CURL *e = msg->easy_handle;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code < 200 || code > 299)
				failed++;
			done++;
			curl_multi_remove_handle(m, e);
			if (started < count) {
				started++;
				curl_multi_add_handle(m, e);	/* the same connection again */
			}
		}
		if (done < count)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("%ld requests (%ld failed) in %.3f s = %.0f per second, %ld at once, "
	    "%.1f us CPU per request\n", done, failed, t1 - t0, (double)done / (t1 - t0), conc,
	    cpu / (double)done * 1e6);
	for (long i = 0; i < conc; i++)
		if (easy[i] != NULL)
			curl_easy_cleanup(easy[i]);
	curl_slist_free_all(hdrs);
	curl_multi_cleanup(m);
	free(easy);
	free(body);
	return failed > 0 ? 1 : 0;
}
