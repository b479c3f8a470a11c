#include "api_console.h"

#include <string.h>

const struct console_file *
api_console_find(const char *url)
{
	if (strcmp(url, "/index.html") == 0)
		url = "/";
	for (const struct console_file *f = console_files; f->path != NULL; f++)
		if (strcmp(f->path, url) == 0)
			return f;
	return NULL;
}
