#ifndef POLLHOOK_CURLEV_H
#define POLLHOOK_CURLEV_H

/*
 * libcurl's multi interface driven by a libev loop: one multi handle whose
 * sockets are ev_io watchers and whose timeout is one ev_timer. Any number of
 * easy handles run on it concurrently; each completes through a callback
 * from the loop. Connections, the DNS cache and HTTP/2 multiplexing are
 * shared by every transfer of one curlev. It knows nothing of what the
 * transfers are for (polls, webhook deliveries).
 */

#include <curl/curl.h>
#include <ev.h>

struct curlev;

/*
 * Called from the loop when a transfer ended, after the easy handle was
 * removed from the multi handle (so it may be re-added, reset or cleaned
 * up); result is the transfer's CURLcode. It may call curlev_add and
 * curlev_cancel, but not curlev_free.
 */
typedef void (*curlev_done_fn)(CURL *easy, CURLcode result, void *arg);

/* Returns a new driver on loop (curl_global_init is done here, counted). */
struct curlev *curlev_new(struct ev_loop *loop);
/* Returns the multi handle (borrowed) for curl_multi_setopt tuning. */
CURLM *curlev_multi(struct curlev *cv);
/*
 * Starts the transfer of easy (the caller keeps ownership of easy; curlev
 * uses its CURLOPT_PRIVATE while it runs). done(easy, result, arg) is called
 * exactly once from the loop, never from within this call, unless the
 * transfer is cancelled first. Returns 0, or -1 when curl refused the handle.
 */
int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *arg);
/* Stops a transfer started with curlev_add without calling its done; a no-op when easy is not running. */
void curlev_cancel(struct curlev *cv, CURL *easy);
/* Returns the number of transfers running. */
size_t curlev_running(const struct curlev *cv);
/* Cancels every running transfer (no done calls), closes connections and frees cv; NULL is ignored. */
void curlev_free(struct curlev *cv);

#endif
