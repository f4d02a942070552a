-- migrate:up
INSERT INTO users (id, email, name) VALUES (1, 'admin@example.com', 'Administrator');
UPDATE users SET email = lower(email);

-- migrate:down
DELETE FROM users WHERE id = 1;
