#ifndef POLLHOOK_CURLEV_H
#define POLLHOOK_CURLEV_H

/*
 * libcurl's multi interface driven by a libev loop: one multi handle whose
 * sockets are ev_io watchers and whose timeout is one ev_timer. Any number of
 * easy handles run on it concurrently; each completes through a callback
 * from the loop. Connections, the DNS cache and HTTP/2 multiplexing are
 * shared by every transfer of one curlev. It knows nothing of what the
 * transfers are for (polls, webhook deliveries).
 *
 * It also keeps the idle easy handles of its users for reuse (a pool), so
 * memory follows the transfers in flight rather than the sources or
 * subscribers. A handle goes back to the pool with a tag, an opaque pointer
 * naming whose options it still holds, so that its next user may keep them
 * instead of setting them all again; without a tag it is reset to curl's
 * defaults.
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
/*
 * Returns an idle easy handle of the pool, or a new one (failing to create
 * one is fatal); the caller owns it until curlev_easy_put. With tag NULL it
 * has curl's default options; otherwise *tag is set to the tag it was put
 * back with, whose options it still holds (NULL: curl's defaults).
 */
CURL *curlev_easy_get(struct curlev *cv, const void **tag);
/* Takes back easy (not running): its options stay set for tag, or are reset when tag is NULL. */
void curlev_easy_put(struct curlev *cv, CURL *easy, const void *tag);
/* Resets the idle handles put back with tag (its options are going away); NULL is ignored. */
void curlev_easy_forget(struct curlev *cv, const void *tag);
/*
 * Cancels every running transfer (no done calls), frees the idle handles,
 * closes connections and frees cv; NULL is ignored.
 */
void curlev_free(struct curlev *cv);

#endif
