/*
 * Fuzz target of the inventory parser (bridge/inventory.c): the input is an
 * inventory file, CSV when its first byte is even and JSON lines otherwise,
 * loaded through the config loader as the inventory of a fixed config with
 * an snmp and an http profile, so every row goes all the way to a source
 * (names, labels, addresses checked as the config's own would be). Built
 * with -fsanitize=fuzzer it is a libFuzzer target; otherwise
 * tests/fuzz/replay.c runs it over the corpus in make check.
 */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] =
	"profiles = (\n"
	"  { name = \"sw\"; poller = \"snmp\"; interval = 10.0;\n"
	"    snmp = { version = \"2c\"; community = \"public\"; };\n"
	"    metrics = ( { name = \"up_oper\"; oid = \"IF-MIB::ifOperStatus\"; walk = true; } ); },\n"
	"  { name = \"api\"; poller = \"http\"; interval = 30.0;\n"
	"    metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); }\n"
	");\n"
	"inventory = (\n"
	"  { file = \"devices.csv\"; profile = \"sw\"; },\n"
	"  { file = \"devices.jsonl\"; format = \"jsonl\"; profile = \"sw\"; }\n"
	");\n"
	"sources = ( { name = \"static-1\"; profile = \"sw\"; snmp = { address = \"udp:127.0.0.1:161\"; }; } );\n"
	"rules = ( { name = \"oper.changed\"; metric = \"up_oper\"; on_change = true; } );\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg;
	bool jsonl = size > 0 && (data[0] & 1);
	static bool conf_written;

	fuzz_no_stdin();
	if (!conf_written) {
		fuzz_write("pollhook.conf", conf_text, sizeof(conf_text) - 1);
		conf_written = true;
	}
	if (size > 0) {
		data++;
		size--;
	}
	fuzz_write("devices.csv", jsonl ? "name,address\n" : (const char *)data,
	    jsonl ? 13 : size);
	fuzz_write("devices.jsonl", jsonl ? (const char *)data : "", jsonl ? size : 0);
	if ((cfg = config_load(fuzz_path("pollhook.conf"))) != NULL)
		config_free(cfg);
	return 0;
}
