#!/bin/bash
# Keeps the manual pages in step with the validator.
#
# 1. Every key printed by `pollhook --list-keys` is documented in
#    man/pollhook.conf.5, in the table of its own group. The matching rule:
#
#    - A key table in the page starts with a roff comment line
#          .\" keys: PATH [PLUGIN]
#      (placed after the heading of its section) and runs to the next .SS
#      or .SH. PATH is the dotted group of the keys in it ("bridge.api",
#      "sources.metrics", "(top)" for the top level); several tables may share
#      a PATH (the metric keys of each poller, the keys of each emitter).
#    - A key is documented by a .TP (or .TQ) entry in such a table whose tag
#      line, the next line, is ".B NAME" (quotes around NAME allowed).
#    - The dotted key P.NAME printed by --list-keys must have an entry NAME
#      in a table whose PATH is P; a key without a dot must have one in the
#      "(top)" table. A secret's KEY_file twin needs its own entry (a .TQ
#      under KEY's .TP is the idiom).
#
#    Conversely, an entry for a key this build does not know is stale and
#    fails too, except in a table with a PLUGIN when none of that table's
#    keys is known (the plugin is not compiled in).
#
# 2. Both pages render without a single warning of `groff -man -ww` (skipped,
#    with a note, when groff is not installed).
#
# 3. The configuration between the "example-begin" and "example-end"
#    comments of pollhook.conf.5 passes `pollhook --check-config` (skipped
#    when a poller or emitter it uses is not compiled in).
#
# Exit status: 0 pass, 1 fail (with the list of what is wrong).

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
pollhook=${POLLHOOK:-$top_builddir/bridge/pollhook}
conf5=$top_srcdir/man/pollhook.conf.5
man8=$top_srcdir/man/pollhook.8
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

if [ ! -x "$pollhook" ]; then
	echo "FAIL: $pollhook not built"
	exit 1
fi
for page in "$conf5" "$man8"; do
	if [ ! -r "$page" ]; then
		echo "FAIL: $page missing"
		exit 1
	fi
done

keys=$("$pollhook" --list-keys) || { echo "FAIL: pollhook --list-keys failed"; exit 1; }
if [ -z "$keys" ]; then
	echo "FAIL: pollhook --list-keys printed nothing"
	exit 1
fi

# The documented entries, one "PATH|NAME|PLUGIN|LINE" a line (not tabs:
# read would merge the empty PLUGIN field into its neighbours).
entries=$(awk '
	/^\.\\" keys: / {
		path = $3; plugin = (NF >= 4 ? $4 : ""); intable = 1; next
	}
	/^\.S[HS]([ \t]|$)/ { intable = 0; tag = 0; next }
	/^\.\\"/ { next }
	/^\.T[PQ]([ \t]|$)/ { tag = intable; next }
	tag {
		tag = 0
		if ($1 == ".B" && NF >= 2) {
			name = $2
			gsub(/"/, "", name)
			printf "%s|%s|%s|%d\n", path, name, plugin, NR
		}
	}
' "$conf5")
if [ -z "$entries" ]; then
	echo "FAIL: no key tables found in $conf5 (see the convention in $0)"
	exit 1
fi

declare -A documented known plugin_known
left_out=$("$pollhook" --version | sed -n 's/^pollers left out: //p')
while IFS="|" read -r path name plugin line; do
	documented["$path $name"]=1
done <<<"$entries"
while IFS= read -r key; do
	known["$key"]=1
done <<<"$keys"

# 1a. Every known key is documented in its group's table.
missing=()
while IFS= read -r key; do
	if [[ $key == *.* ]]; then
		parent=${key%.*}
		leaf=${key##*.}
	else
		parent="(top)"
		leaf=$key
	fi
	if [ -z "${documented["$parent $leaf"]:-}" ]; then
		missing+=("$key (a .TP/.B $leaf entry in a table \".\\\" keys: $parent\")")
	fi
done <<<"$keys"
if [ ${#missing[@]} -gt 0 ]; then
	fail "${#missing[@]} key(s) of pollhook --list-keys not documented in man/pollhook.conf.5:"
	printf '    %s\n' "${missing[@]}"
fi

# 1b. No documented key the validator does not know.
while IFS="|" read -r path name plugin line; do
	full=$name
	[ "$path" != "(top)" ] && full=$path.$name
	if [ -n "$plugin" ] && [ -n "${known["$full"]:-}" ]; then
		plugin_known["$path $plugin"]=1
	fi
done <<<"$entries"
stale=()
while IFS="|" read -r path name plugin line; do
	full=$name
	[ "$path" != "(top)" ] && full=$path.$name
	[ -n "${known["$full"]:-}" ] && continue
	# A plugin that is not compiled in: its keys are documented all the same,
	# and so is the group a source of its kind has (sources.snmp).
	[ -n "$plugin" ] && [ -z "${plugin_known["$path $plugin"]:-}" ] && continue
	[ "$path" = sources ] && [[ " $left_out " == *" $name "* ]] && continue
	stale+=("man/pollhook.conf.5:$line: $full")
done <<<"$entries"
if [ ${#stale[@]} -gt 0 ]; then
	fail "${#stale[@]} key(s) documented in man/pollhook.conf.5 that pollhook --list-keys does not print:"
	printf '    %s\n' "${stale[@]}"
fi

# 2. The pages render without warnings.
if command -v groff >/dev/null 2>&1; then
	for page in "$man8" "$conf5"; do
		warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
		if [ -n "$warnings" ]; then
			fail "groff warns about ${page#"$top_srcdir"/}:"
			printf '%s\n' "$warnings" | sed 's/^/    /'
		fi
	done
else
	echo "note: groff not installed, rendering not checked"
fi

# 3. The EXAMPLE is a valid configuration.
need_example="sources.snmp sources.http subscribers.url subscribers.path"
have_all=1
for k in $need_example; do
	[ -n "${known["$k"]:-}" ] || have_all=0
done
if [ "$have_all" = 1 ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/man_keys.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	# Roff to text: \- is "-", \e is "\", \(dq is a double quote, \& is nothing.
	sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' "$conf5" |
	    sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\&//g' \
	    -e 's/\\e/\\/g' >"$tmp/pollhook.conf"
	if [ ! -s "$tmp/pollhook.conf" ]; then
		fail "no example-begin/example-end block in man/pollhook.conf.5"
	else
		# The files and the variable the example refers to.
		echo "public" >"$tmp/router.community"
		echo "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" >"$tmp/ops.secret"
		if ! out=$(API_TOKEN=example-token "$pollhook" --check-config \
		    -c "$tmp/pollhook.conf" 2>&1); then
			fail "the EXAMPLE of man/pollhook.conf.5 does not validate:"
			printf '%s\n' "$out" | sed 's/^/    /'
		fi
	fi
else
	echo "note: a poller or emitter of the EXAMPLE is not compiled in, example not checked"
fi

if [ "$failed" = 0 ]; then
	echo "PASS: $(wc -l <<<"$keys") keys documented, pages render cleanly, example valid"
fi
exit "$failed"
