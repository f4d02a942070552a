-- A small script for `make demo`: dbctl run applies it in one transaction.
CREATE TABLE IF NOT EXISTS probe_log (
	id INTEGER PRIMARY KEY,
	note TEXT NOT NULL,
	created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO probe_log (note) VALUES ('make demo ran; it''s all-or-nothing');
SELECT count(*) FROM probe_log;
