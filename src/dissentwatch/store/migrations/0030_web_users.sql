-- web & review: accounts, sessions and API tokens for the analyst app.
-- Passwords are argon2 hashes; session ids and API tokens are stored only as SHA-256 hashes.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT,
    created TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_sessions (
    id_hash TEXT PRIMARY KEY,            -- sha256 of the cookie value
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,                  -- the token every POST of this session must carry
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions(user_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,         -- sha256 of the bearer token
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
