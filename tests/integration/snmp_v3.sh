#!/bin/sh
# snmp poller, SNMPv3 against a real snmpd: authPriv with SHA-256/AES and
# asynchronous engine-ID discovery, secrets from files, and wrong credentials
# (a report PDU from the agent) failing the poll with up = 0. Each source has
# its own user: net-snmp keeps one USM entry per (engine ID, user name).

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start
printf '%s\n' "$V3_PRIV_PASS" >"$TMP/priv.secret"

cat >"$TMP/v3.conf" <<EOF2
sources = (
  {
    name = "v3-good";
    poller = "snmp";
    interval = 10.0;
    timeout = 3.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; version = "3"; user = "$V3_USER";
             level = "authPriv"; auth = "SHA-256"; auth_pass = "$V3_AUTH_PASS";
             priv = "AES"; priv_pass_file = "$TMP/priv.secret"; };
    metrics = (
      { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; },
      { name = "if_status"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true;
        label_oid = "1.3.6.1.4.1.99999.2.1.2"; }
    );
  },
  {
    name = "v3-wrong-auth";
    poller = "snmp";
    interval = 10.0;
    timeout = 2.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; version = "3"; user = "$V3_USER-2";
             auth = "SHA"; auth_pass = "not-the-password"; priv = "DES";
             priv_pass = "$V3_PRIV_PASS"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "v3-sha-des";
    poller = "snmp";
    interval = 10.0;
    timeout = 3.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; version = "3"; user = "$V3_USER-3";
             level = "authPriv"; auth = "SHA-512"; auth_pass = "$V3_AUTH_PASS";
             priv = "DES"; priv_pass = "$V3_PRIV_PASS"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "v3-unknown-user";
    poller = "snmp";
    interval = 10.0;
    timeout = 2.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; version = "3"; user = "nobody";
             auth = "SHA"; auth_pass = "whatever-pass"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "v2c-wrong-community";
    poller = "snmp";
    interval = 10.0;
    timeout = 1.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; community = "wrong"; retries = 0; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  }
);
EOF2

once "$TMP/v3.conf"
[ "$ONCE_RC" -eq 2 ] || fail "pollhook --once exited $ONCE_RC, expected 2 (some polls fail): $(cat "$TMP/once.err")"
jcheck 'sample("v3-good")["ok"] and val("v3-good", "cpu") == 20' "v3 authPriv SHA-256/AES GET"
jcheck '[(p["instance"], p["label"]) for p in pts("v3-good", "if_status")] == [("1", "lo"), ("2", "eth0"), ("3", "eth1")]' "v3 GETBULK walk"
pass "SNMPv3 authPriv SHA-256/AES with engine discovery, GET and walk"
jcheck 'sample("v3-sha-des")["ok"] and val("v3-sha-des", "cpu") == 20' "v3 authPriv SHA-512/DES"
pass "SNMPv3 authPriv SHA-512/DES"
jcheck 'not sample("v3-wrong-auth")["ok"] and "authentication failure" in sample("v3-wrong-auth")["error"] and val("v3-wrong-auth", "up") == 0' "wrong v3 passphrase"
pass "wrong v3 passphrase: $(python3 -c 'import json,sys; print([s["error"] for s in json.load(open(sys.argv[1]))["samples"] if s["source"]=="v3-wrong-auth"][0])' "$TMP/once.json")"
jcheck 'not sample("v3-unknown-user")["ok"] and "unknown user name" in sample("v3-unknown-user")["error"]' "unknown v3 user"
pass "unknown v3 user"
jcheck 'not sample("v2c-wrong-community")["ok"] and sample("v2c-wrong-community")["error"] == "timeout" and val("v2c-wrong-community", "up") == 0' "wrong community is a timeout"
pass "wrong community: timeout, up = 0"

# Config errors: v3 keys on v2c, short passphrase, level without its passphrase.
cat >"$TMP/bad.conf" <<EOF2
sources = (
  {
    name = "a";
    poller = "snmp";
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; version = "2c";
             user = "x"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "b";
    poller = "snmp";
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; version = "3"; user = "x";
             level = "authPriv";
             auth_pass = "short"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  }
);
EOF2
once "$TMP/bad.conf"
[ "$ONCE_RC" -eq 1 ] || fail "bad v3 config: exit $ONCE_RC, expected 1"
grep -q 'bad.conf:6: snmp user is for version 3' "$TMP/once.err" || fail "v3 key on v2c: $(cat "$TMP/once.err")"
grep -q 'bad.conf:14: snmp auth_pass must have 8 characters or more' "$TMP/once.err" || fail "short auth_pass: $(cat "$TMP/once.err")"
grep -q 'bad.conf:13: snmp level authPriv needs priv_pass' "$TMP/once.err" || fail "authPriv without priv_pass: $(cat "$TMP/once.err")"
pass "v3 config errors with FILE:LINE"
exit 0
