#ifndef POLLHOOK_PROFILES_BUILTIN_H
#define POLLHOOK_PROFILES_BUILTIN_H

/*
 * The profiles that ship with pollhook, one per device class of
 * conf/examples/: libconfig text of the form "profiles = ( { ... } );",
 * merged into every configuration's profiles (a profile of the file with the
 * same name replaces the built-in one).
 */

/* The built-in profiles as libconfig text (static). */
extern const char profiles_builtin_text[];

#endif
