/* The lexer's input, line by line: each line checked (no NUL, valid UTF-8)
 * before any dialect reads it, the snapshot limit and digest kept, and
 * columns counted in characters. Shared by sqlscan.c and the dialects kept
 * in their own files. */
#include "sqlscan.h"
#include "sqlscan_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 when invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	size_t need, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (need > len)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

bool sqlscan_valid_utf8(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t step = s[i] ? utf8_sequence((const unsigned char *)s + i, len - i) : 0;

		if (step == 0)
			return false;
		i += step;
	}
	return true;
}

/* A NUL byte or invalid UTF-8 is refused where it stands: such a file is
 * binary or in another encoding, and nothing of it should reach a server.
 * *ascii tells whether the line is all single-byte characters. */
static int check_line(const struct sqlscan *scan, const char *line, size_t len, bool *ascii, struct err *err)
{
	size_t i = 0;
	int column = 1;

	*ascii = true;
	while (i < len) {
		size_t step;

		/* plain ASCII, the common case, needs no decoding: eight bytes at a
		 * time, as long as none is 0 or >= 0x80 (then byte by byte) */
		if (len - i >= 8) {
			uint64_t word;

			memcpy(&word, line + i, 8);
			if ((((word - UINT64_C(0x0101010101010101)) | word) & UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				column += 8;
				continue;
			}
		}
		if ((unsigned char)line[i] < 0x80 && line[i] != '\0') {
			i++;
			column++;
			continue;
		}
		*ascii = false;
		if (line[i] == '\0')
			return err_set(err, EXIT_USAGE, "%s:%d:%d: NUL byte: this is not a text script", scan->name,
				       scan->line_number, column);
		step = utf8_sequence((const unsigned char *)line + i, len - i);
		if (step == 0)
			return err_set(err, EXIT_USAGE, "%s:%d:%d: invalid UTF-8 (byte 0x%02x)", scan->name,
				       scan->line_number, column, (unsigned char)line[i]);
		i += step;
		column++;
	}
	return 0;
}

/* Reads the next line into scan->line; 0 at end of input. Whatever the
 * statement took from the last line must have been copied (keep_taken). */
int sqlscan_read_line(struct sqlscan *scan, struct err *err)
{
	ssize_t len;
	bool ascii;

	scan->line = "";
	scan->line_len = 0;
	scan->pos = scan->kept = 0;
	scan->counted = 0;
	scan->counted_chars = 0;
	if (scan->at_eof || (scan->limit >= 0 && scan->consumed >= scan->limit))
		return 0;
	len = getline(&scan->read_buffer, &scan->read_capacity, scan->in);
	if (len < 0) {
		scan->at_eof = true;
		if (ferror(scan->in))
			return err_set(err, EXIT_USAGE, "cannot read '%s': %s", scan->name, strerror(errno));
		return 0;
	}
	/* a snapshot ends where the checked bytes ended, whatever was appended since */
	if (scan->limit >= 0 && scan->consumed + len > scan->limit) {
		len = (ssize_t)(scan->limit - scan->consumed);
		scan->read_buffer[len] = '\0';
	}
	scan->consumed += len;
	if (scan->digest)
		digest_update(scan->digest, scan->read_buffer, (size_t)len);
	scan->line_number++;
	if (check_line(scan, scan->read_buffer, (size_t)len, &ascii, err) != 0)
		return -1;
	/* scanned where getline put it: the buffer stays until the next line */
	scan->line = scan->read_buffer;
	scan->line_len = (size_t)len;
	scan->line_ascii = ascii;
	/* a byte-order mark from a Windows editor is not part of the first statement */
	if (scan->line_number == 1 && len >= 3 && memcmp(scan->read_buffer, "\xef\xbb\xbf", 3) == 0) {
		scan->line += 3;
		scan->line_len -= 3;
	}
	return 1;
}


/* Characters before pos on this line. Counted only when asked for (where a
 * statement or a quote starts, an error), from where the last count stopped:
 * pos never moves back on a line. */
int sqlscan_column(struct sqlscan *scan)
{
	if (scan->line_ascii)
		return (int)scan->pos;
	for (; scan->counted < scan->pos; scan->counted++)
		if (((unsigned char)scan->line[scan->counted] & 0xc0) != 0x80)
			scan->counted_chars++;
	return scan->counted_chars;
}

