#include "registry.h"

#include <string.h>

#include "emitter.h"
#include "format.h"
#include "poller.h"
#include "util.h"

/*
 * Every plugin pollhook has, compiled in or not. A kind that was left out of
 * the build keeps its name here with a NULL ops, so configs naming it get
 * "snmp poller not compiled in" instead of "unknown poller".
 */

#ifdef HAVE_POLLER_SNMP
extern const struct poller_ops snmp_poller_ops;
#define SNMP_OPS (&snmp_poller_ops)
#else
#define SNMP_OPS NULL
#endif
#ifdef HAVE_POLLER_HTTP
extern const struct poller_ops http_poller_ops;
#define HTTP_OPS (&http_poller_ops)
#else
#define HTTP_OPS NULL
#endif
#ifdef HAVE_POLLER_ICMP
extern const struct poller_ops icmp_poller_ops;
#define ICMP_OPS (&icmp_poller_ops)
#else
#define ICMP_OPS NULL
#endif
#ifdef HAVE_POLLER_TCP
extern const struct poller_ops tcp_poller_ops;
#define TCP_OPS (&tcp_poller_ops)
#else
#define TCP_OPS NULL
#endif
#ifdef HAVE_EMITTER_WEBHOOK
extern const struct emitter_ops webhook_emitter_ops;
#define WEBHOOK_OPS (&webhook_emitter_ops)
#else
#define WEBHOOK_OPS NULL
#endif
extern const struct emitter_ops log_emitter_ops;
extern const struct format_ops cloudevents_format_ops;
extern const struct format_ops slack_format_ops;
extern const struct format_ops teams_format_ops;
extern const struct format_ops pagerduty_format_ops;
extern const struct format_ops alertmanager_format_ops;

/* The envelope is no entry: it is the event's body as stored. */
static const struct format_ops *const formats[] = {
	&cloudevents_format_ops,
	&slack_format_ops,
	&teams_format_ops,
	&pagerduty_format_ops,
	&alertmanager_format_ops,
};

static const struct {
	const char *name;
	const struct poller_ops *ops;
} pollers[] = {
	{ "snmp", SNMP_OPS },
	{ "http", HTTP_OPS },
	{ "icmp", ICMP_OPS },
	{ "tcp", TCP_OPS },
};

static const struct {
	const char *name;
	const struct emitter_ops *ops;
} emitters[] = {
	{ "webhook", WEBHOOK_OPS },
	{ "log", &log_emitter_ops },
};

const struct poller_ops *
registry_poller(const char *name, bool *known)
{
	for (size_t i = 0; i < NELEM(pollers); i++) {
		if (strcmp(pollers[i].name, name) == 0) {
			*known = true;
			return pollers[i].ops;
		}
	}
	*known = false;
	return NULL;
}

const struct emitter_ops *
registry_emitter(const char *name, bool *known)
{
	for (size_t i = 0; i < NELEM(emitters); i++) {
		if (strcmp(emitters[i].name, name) == 0) {
			*known = true;
			return emitters[i].ops;
		}
	}
	*known = false;
	return NULL;
}

const struct poller_ops *
registry_poller_at(size_t i)
{
	for (size_t j = 0; j < NELEM(pollers); j++)
		if (pollers[j].ops != NULL && i-- == 0)
			return pollers[j].ops;
	return NULL;
}

const struct emitter_ops *
registry_emitter_at(size_t i)
{
	for (size_t j = 0; j < NELEM(emitters); j++)
		if (emitters[j].ops != NULL && i-- == 0)
			return emitters[j].ops;
	return NULL;
}

const char *
registry_poller_name(size_t i, bool *compiled)
{
	if (i >= NELEM(pollers))
		return NULL;
	*compiled = pollers[i].ops != NULL;
	return pollers[i].name;
}

const char *
registry_emitter_name(size_t i, bool *compiled)
{
	if (i >= NELEM(emitters))
		return NULL;
	*compiled = emitters[i].ops != NULL;
	return emitters[i].name;
}

const struct format_ops *
registry_format(const char *name)
{
	for (size_t i = 0; i < NELEM(formats); i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const struct format_ops *
registry_format_at(size_t i)
{
	return i < NELEM(formats) ? formats[i] : NULL;
}
