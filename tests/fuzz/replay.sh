#!/bin/sh
# Replays the fuzz corpus through the target (built without libFuzzer), so
# every input that once crashed or was interesting stays a regression test.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
exec "$top_builddir/tests/fuzz/fuzz_jsonx_replay" "$top_srcdir"/tests/fuzz/corpus/jsonx/*
