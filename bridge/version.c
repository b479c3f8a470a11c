/*
 * pollhook --version. Library versions are asked of the libraries themselves
 * where they can say (the one loaded at run time may be newer than the
 * headers built against); libconfig can only tell its headers' version.
 */

#include "version.h"

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <ev.h>
#include <json-c/json.h>
#include <libconfig.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "emitter.h"
#include "poller.h"
#include "registry.h"
#include "store.h"

/* Prints "LABEL: a b" with the names whose compiled-in state is want, if any. */
static void
print_kinds(FILE *f, const char *label, bool pollers, bool want)
{
	const char *name;
	bool compiled, any = false;

	for (size_t i = 0; (name = pollers ? registry_poller_name(i, &compiled) :
	    registry_emitter_name(i, &compiled)) != NULL; i++) {
		if (compiled != want)
			continue;
		fprintf(f, "%s%s", any ? " " : label, name);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

/* Prints "LABEL: a b" with the store backends whose compiled-in state is want, if any. */
static void
print_stores(FILE *f, const char *label, bool want)
{
	const char *name, *lib;
	bool compiled, any = false;

	for (size_t i = 0; (name = store_backend_at(i, &compiled, &lib)) != NULL; i++) {
		if (compiled != want)
			continue;
		fprintf(f, "%s%s", any ? " " : label, name);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

void
version_print(FILE *f)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	const struct poller_ops *p;
	const char *name, *lib;
	bool compiled;

	fprintf(f, "pollhook %s\n", PACKAGE_VERSION);
	print_kinds(f, "pollers: ", true, true);
	print_kinds(f, "pollers left out: ", true, false);
	print_kinds(f, "emitters: ", false, true);
	print_kinds(f, "emitters left out: ", false, false);
	print_stores(f, "stores: ", true);
	print_stores(f, "stores left out: ", false);
	fprintf(f, "libraries:\n");
	fprintf(f, "  libcurl %s (%s%s%s)\n", cv->version, cv->ssl_version != NULL ?
	    cv->ssl_version : "no TLS", cv->nghttp2_version != NULL ? ", nghttp2/" : "",
	    cv->nghttp2_version != NULL ? cv->nghttp2_version : "");
	for (size_t i = 0; (p = registry_poller_at(i)) != NULL; i++)
		if (p->library_version != NULL)
			fprintf(f, "  %s\n", p->library_version());
	fprintf(f, "  json-c %s\n", json_c_version());
	fprintf(f, "  libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
	    LIBCONFIG_VER_REVISION);
	fprintf(f, "  libev %d.%d\n", ev_version_major(), ev_version_minor());
	fprintf(f, "  libmicrohttpd %s\n", MHD_get_version());
	fprintf(f, "  %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(f, "  SQLite %s\n", sqlite3_libversion());
	for (size_t i = 0; (name = store_backend_at(i, &compiled, &lib)) != NULL; i++)
		if (compiled && lib != NULL)
			fprintf(f, "  %s\n", lib);
}
