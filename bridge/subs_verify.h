#ifndef POLLHOOK_SUBS_VERIFY_H
#define POLLHOOK_SUBS_VERIFY_H

/*
 * Verifying that a URL wants events, asynchronously on the loop (libcurl on
 * curlev), every connection behind the SSRF guard, no redirect followed:
 *
 * - the challenge (Zoom's endpoint.url_validation): a POST signed like any
 *   event of {"event": "endpoint.url_validation", "event_ts": MS, "payload":
 *   {"plainToken": RANDOM}}, answered 2xx with {"plainToken": RANDOM,
 *   "encryptedToken": hex HMAC-SHA256(KEY, RANDOM)};
 * - WebSub's intent verification: GET callback?hub.mode=...&hub.topic=...
 *   &hub.challenge=RANDOM[&hub.lease_seconds=N], answered 2xx with the
 *   challenge as the whole body.
 */

#include <stdbool.h>

#include "curlev.h"
#include "ssrf.h"

struct verify;

/* How a verification ended. */
enum verify_result {
	VERIFY_OK,
	VERIFY_FAILED,		/* answered wrongly, late, with a redirect or a non-2xx */
	VERIFY_REFUSED,		/* the SSRF guard refused the address */
};

/* Called once with the result and, unless VERIFY_OK, a message saying how it failed. */
typedef void (*verify_done_fn)(void *arg, enum verify_result result, const char *why);

/*
 * Starts the challenge of url for a subscriber signing with scheme and
 * secret (both copied), waiting at most timeout seconds, on cv behind guard
 * (borrowed until done). Returns the verification, or NULL after calling
 * done (the request could not start).
 */
struct verify *verify_challenge(struct curlev *cv, const struct ssrf_guard *guard,
    const char *url, int scheme, const char *secret, double timeout, verify_done_fn done,
    void *arg);
/*
 * Starts WebSub's intent verification of callback for mode ("subscribe" or
 * "unsubscribe") of topic, with lease_seconds (0: not sent); as
 * verify_challenge otherwise.
 */
struct verify *verify_intent(struct curlev *cv, const struct ssrf_guard *guard,
    const char *callback, const char *mode, const char *topic, long lease_seconds,
    double timeout, verify_done_fn done, void *arg);
/* Stops v (NULL: nothing) without calling its done. */
void verify_cancel(struct verify *v);
/* Writes n random bytes as 2n hex digits and a NUL into out. */
void verify_random_hex(char *out, size_t n);

#endif
