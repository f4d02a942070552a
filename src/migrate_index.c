/* Reading CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY statements. */
#include "migrate_index.h"
#include "sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* One word of the statement: an identifier (unquoted ones folded to lower
 * case, as the server does), or one punctuation character. */
struct word {
	char text[256];
	bool quoted;
	bool punct;
};

/* The next word, or NULL at the end. */
static const char *next_word(const char *p, struct word *w)
{
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	p = sqltext_skip_blank(p);
	if (!*p)
		return NULL;
	if (*p == '"') {
		w->quoted = true;
		for (p++; *p; p++) {
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				break;
			if (n + 1 < sizeof(w->text))
				w->text[n++] = *p;
		}
		return *p ? p + 1 : p;
	}
	if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80) {
			if (n + 1 < sizeof(w->text))
				w->text[n++] = (char)tolower((unsigned char)*p);
			p++;
		}
		return p;
	}
	w->punct = true;
	w->text[0] = *p;
	return p + 1;
}

static bool is(const struct word *w, const char *keyword)
{
	return !w->quoted && !w->punct && strcmp(w->text, keyword) == 0;
}

void migrate_index_parse(const char *statement, struct migrate_index *out)
{
	struct word w;
	const char *p = statement;
	bool concurrently = false;

	memset(out, 0, sizeof(*out));
	if (!(p = next_word(p, &w)))
		return;
	if (is(&w, "reindex")) {
		/* REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} CONCURRENTLY name */
		while ((p = next_word(p, &w)) != NULL)
			concurrently = concurrently || is(&w, "concurrently");
		if (concurrently)
			out->kind = MIGRATE_INDEX_REINDEX;
		return;
	}
	if (!is(&w, "create") || !(p = next_word(p, &w)))
		return;
	if (is(&w, "unique") && !(p = next_word(p, &w)))
		return;
	if (!is(&w, "index") || !(p = next_word(p, &w)) || !is(&w, "concurrently") || !(p = next_word(p, &w)))
		return;
	if (is(&w, "if")) {
		/* IF NOT EXISTS name */
		if (!(p = next_word(p, &w)) || !(p = next_word(p, &w)) || !(p = next_word(p, &w)))
			return;
	}
	if (!is(&w, "on")) {
		snprintf(out->name, sizeof(out->name), "%s", w.text);
		if (!(p = next_word(p, &w)) || !is(&w, "on"))
			return;
	}
	if (!(p = next_word(p, &w)))
		return;
	if (is(&w, "only") && !(p = next_word(p, &w)))
		return;
	for (;;) {
		if (w.punct || out->table_part_count == 4)
			return;
		snprintf(out->table_parts[out->table_part_count++], sizeof(out->table_parts[0]), "%s", w.text);
		p = next_word(p, &w);
		if (!p || !w.punct || w.text[0] != '.')
			break;
		if (!(p = next_word(p, &w)))
			return;
	}
	{
		size_t i, len = 0;

		for (i = 0; i < out->table_part_count; i++)
			len += (size_t)snprintf(out->table + len, len < sizeof(out->table) ? sizeof(out->table) - len : 0,
						"%s%s", i ? "." : "", out->table_parts[i]);
	}
	out->kind = MIGRATE_INDEX_CREATE;
}
