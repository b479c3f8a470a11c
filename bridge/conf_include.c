/*
 * Pre-check of the files libconfig will read (see conf_include.h). The
 * scan follows libconfig 1.5's scanner for what an include is: a line
 * starting with blanks, "@include", blanks and a quoted name in which \\ and
 * \" are escapes, another backslash is dropped and a NUL byte ends a piece.
 * It does not follow comments and strings, so it sees a superset of the
 * includes libconfig opens; each file is scanned once, which also ends
 * include loops (libconfig reports those itself).
 */

#include "conf_include.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "xmalloc.h"

struct seen {
	char **v;
	size_t n;
};

static int check_file(struct seen *s, const char *path, const char *dir);

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Reads all of path; NULL when it cannot be read (libconfig says why). */
static char *
slurp(const char *path, size_t *len)
{
	struct buf b = { 0 };
	char chunk[65536];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return b.p != NULL ? b.p : xstrdup("");
}

/* Takes the quoted name at text[*i] (after the quote); returns it, NUL-terminated, or NULL. */
static char *
take_name(const char *text, size_t len, size_t *i, int *line)
{
	struct buf name = { 0 };
	size_t j = *i, start;

	while (j < len && text[j] != '"') {
		if (text[j] == '\\') {
			if (j + 1 < len && (text[j + 1] == '\\' || text[j + 1] == '"')) {
				buf_add(&name, &text[j + 1], 1);
				j++;
			}
			j++;
			continue;
		}
		/* a piece of plain text; libconfig appends it as a C string */
		start = j;
		while (j < len && text[j] != '"' && text[j] != '\\') {
			if (text[j] == '\n')
				(*line)++;
			j++;
		}
		buf_add(&name, text + start, strnlen(text + start, j - start));
	}
	if (j >= len) {
		free(name.p);
		return NULL;	/* unterminated: libconfig's syntax error */
	}
	*i = j + 1;
	return name.p != NULL ? name.p : xstrdup("");
}

/* Checks the file an include of name (on line of path) opens. */
static int
check_include(struct seen *s, const char *path, int line, const char *name, const char *dir)
{
	char *full = dir != NULL ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	struct stat st;
	int rc = 0;

	if (stat(full, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "%s:%d: cannot include \"%s\": not a regular file\n",
			    path, line, full);
			rc = -1;
		} else
			rc = check_file(s, full, dir);
	}
	free(full);
	return rc;
}

static int
scan(struct seen *s, const char *path, const char *text, size_t len, const char *dir)
{
	size_t i = 0, j;
	int line = 1, at;
	char *name;

	while (i < len) {
		/* i is at the start of a line */
		for (j = i; j < len && blank(text[j]); j++)
			continue;
		if (len - j > 9 && memcmp(text + j, "@include", 8) == 0 && blank(text[j + 8])) {
			for (j += 8; j < len && blank(text[j]); j++)
				continue;
			if (j < len && text[j] == '"') {
				j++;
				at = line;
				if ((name = take_name(text, len, &j, &line)) == NULL)
					return 0;
				if (check_include(s, path, at, name, dir) == -1) {
					free(name);
					return -1;
				}
				free(name);
			}
		}
		while (j < len && text[j] != '\n')
			j++;
		i = j + 1;
		line++;
	}
	return 0;
}

static int
check_file(struct seen *s, const char *path, const char *dir)
{
	char *text;
	size_t len;
	int rc;

	for (size_t k = 0; k < s->n; k++)
		if (strcmp(s->v[k], path) == 0)
			return 0;
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(path);
	if ((text = slurp(path, &len)) == NULL)
		return 0;
	rc = scan(s, path, text, len, dir);
	free(text);
	return rc;
}

int
conf_include_check(const char *path, const char *dir)
{
	struct seen s = { NULL, 0 };
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file\n", path);
		return -1;
	}
	rc = check_file(&s, path, dir);
	for (size_t k = 0; k < s.n; k++)
		free(s.v[k]);
	free(s.v);
	return rc;
}
