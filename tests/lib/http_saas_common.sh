# Sourced by the http_oauth2, http_paging, http_ratelimit and http_since
# tests, after http_common.sh: the SaaS-like test API (tests/lib/saasapi.py)
# and its data.

SAASAPI=$top_srcdir/tests/lib/saasapi.py
CLIENT_ID=pollhook-client
CLIENT_SECRET=zoom-secret-S3CR3T
ACCOUNT_ID=acct-42

# start_saas NAME [saasapi options]: its port in ${NAME}_PORT, its request
# log in $TMP/NAME.log, its data in $TMP/NAME/ (recordings.json, releases.json).
start_saas() {
	name=$1
	shift
	mkdir -p "$TMP/$name"
	python3 "$SAASAPI" --dir "$TMP/$name" --port-file "$TMP/$name.port" \
	    --log "$TMP/$name.log" --client-id "$CLIENT_ID" \
	    --client-secret "$CLIENT_SECRET" --account-id "$ACCOUNT_ID" "$@" \
	    2>>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/$name.port" 10 || fail "test API $name did not start: $(cat "$TMP/$name.err")"
	: >>"$TMP/$name.log"
	eval "${name}_PORT=\$(cat \"\$TMP/\$name.port\")"
}

# recordings NAME UUID:DAYS_AGO...: writes the recordings list of API NAME,
# each started DAYS_AGO days before now (fractions allowed).
recordings() {
	name=$1
	shift
	python3 - "$@" >"$TMP/$name/recordings.json.tmp" <<'PY'
import json, sys, time
out = []
for arg in sys.argv[1:]:
    uuid, days = arg.split(":")
    t = time.gmtime(time.time() - float(days) * 86400)
    out.append({"uuid": uuid, "id": len(out) + 1, "topic": "meeting " + uuid,
                "start_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", t)})
print(json.dumps(out))
PY
	mv "$TMP/$name/recordings.json.tmp" "$TMP/$name/recordings.json"
}

# oauth2_group PORT [PATH]: the oauth2 group for the test API's token endpoint.
oauth2_group() {
	echo "oauth2 = { token_url = \"http://127.0.0.1:$1${2:-/oauth/token}\"; client_id = \"$CLIENT_ID\"; client_secret = \"$CLIENT_SECRET\"; grant_type = \"account_credentials\"; params = { account_id = \"$ACCOUNT_ID\"; }; };"
}

# items_of SOURCE METRIC: the keys of an items metric in the last --once output.
items_of() {
	python3 - "$TMP/once.json" "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for s in doc["samples"]:
    if s["source"] == sys.argv[2]:
        for p in s["points"]:
            if p["metric"] == sys.argv[3] and isinstance(p["value"], list):
                print(" ".join(sorted(str(i.get("uuid", i.get("id"))) for i in p["value"])))
                sys.exit(0)
print("MISSING")
PY
}

# no_secrets FILE...: fails if a file shows the client secret (as it is or
# as Basic credentials) or an issued token.
no_secrets() {
	b64=$(printf '%s' "$CLIENT_ID:$CLIENT_SECRET" | base64 -w0)
	for f in "$@"; do
		if grep -q -e "$CLIENT_SECRET" -e "$b64" -e 'tok-[0-9a-f]\{8\}' "$f" 2>/dev/null; then
			fail "$f shows a secret or a token: $(grep -e "$CLIENT_SECRET" -e "$b64" -e 'tok-[0-9a-f]\{8\}' "$f" | head -3)"
		fi
	done
}
