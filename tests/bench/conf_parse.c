/*
 * The same-run reference of scale_bench.sh's --check-config figure: libconfig
 * alone reads the file (no ${ENV}, no schema, no plugin) and frees it. Any
 * validator built on libconfig costs at least this.
 *
 * Usage: conf_parse FILE   (exit 0 when it parses)
 */

#include <stdio.h>

#include <libconfig.h>

int
main(int argc, char **argv)
{
	config_t c;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: conf_parse FILE\n");
		return 2;
	}
	config_init(&c);
	if (config_read_file(&c, argv[1]) != CONFIG_TRUE) {
		fprintf(stderr, "%s:%d: %s\n", config_error_file(&c) != NULL ?
		    config_error_file(&c) : argv[1], config_error_line(&c), config_error_text(&c));
		rc = 1;
	}
	config_destroy(&c);
	return rc;
}
