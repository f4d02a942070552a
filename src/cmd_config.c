/* dbctl config show: every effective setting with its source, secrets masked. */
#include "cli.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>

const struct cli_option config_show_options[] = { { 0 } };

int cmd_config_show(struct cli *cli, struct err *err)
{
	const struct settings *settings = &cli->settings;
	int id;

	(void)err;
	if (cli->json) {
		struct json json;

		cli_json_begin(cli, &json, EXIT_OK);
		json_string(&json, "config_file", settings->config_file);
		json_string(&json, "profile", *cfg_get(settings, CFG_PROFILE) ? cfg_get(settings, CFG_PROFILE) : NULL);
		json_object_begin(&json, "settings");
		for (id = 0; id < CFG_KEY_COUNT; id++) {
			char *shown = cfg_display(settings, id);

			json_object_begin(&json, cfg_keys[id].name);
			json_string(&json, "value", shown);
			json_string(&json, "source", cfg_source(settings, id));
			json_object_end(&json);
			free(shown);
		}
		json_object_end(&json);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
		return EXIT_OK;
	}
	if (cli->quiet)
		return EXIT_OK;
	printf("config file: %s\n", settings->config_file ? settings->config_file : "none");
	for (id = 0; id < CFG_KEY_COUNT; id++) {
		char *shown = cfg_display(settings, id);

		printf("%-20s = %-38s (%s)\n", cfg_keys[id].name, shown, cfg_source(settings, id));
		free(shown);
	}
	return EXIT_OK;
}
