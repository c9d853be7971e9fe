-- +goose Up
-- Online appointments and the on-site queue (internal/appointments).
--
-- Capacity is rows: appointment_seats holds one row per bookable seat (desk)
-- and time unit of a location, generated from its opening hours. A booking
-- claims one seat for each of its consecutive units in appointment_claims,
-- whose primary key is the seat: a second claim of the same seat and unit —
-- from any process, or typed in by hand — violates the key, and the foreign
-- key to appointment_seats refuses a claim of a seat that does not exist.
-- So the database, not application code, guarantees that no unit is booked
-- beyond its capacity. A held booking's claims carry expires_at; an expired
-- claim is deleted (and its booking marked expired) in the transaction that
-- takes the seat next.
--
-- appointment_days keeps a revision per location and day, bumped by every
-- change of that day's seats or claims, so each process's in-memory
-- availability knows with one primary-key read whether it is stale; it also
-- numbers the day's waiting tickets.

CREATE TABLE appointment_locations (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL UNIQUE,                 -- public reference "S-XXXX-XXXX"
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    listed      BOOLEAN NOT NULL,                     -- shown to citizens (load-test scenarios are not)
    settings    TEXT NOT NULL,                        -- JSON, appointments.Settings
    revision    INTEGER NOT NULL DEFAULT 1,            -- bumped by every change of the settings
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX appointment_locations_tenant ON appointment_locations (tenant_id, listed);

CREATE TABLE appointment_days (
    location_id INTEGER NOT NULL REFERENCES appointment_locations(id),
    day         TEXT NOT NULL CHECK (length(day) = 10), -- YYYY-MM-DD, Europe/Berlin
    revision    INTEGER NOT NULL DEFAULT 1,
    ticket_seq  INTEGER NOT NULL DEFAULT 0,
    queue_rev   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, day)
);

CREATE TABLE appointment_seats (
    location_id INTEGER NOT NULL REFERENCES appointment_locations(id),
    starts_at   DATETIME NOT NULL,                 -- start of the time unit (UTC)
    seat        INTEGER NOT NULL CHECK (seat BETWEEN 0 AND 63),
    PRIMARY KEY (location_id, starts_at, seat)
);

CREATE TABLE appointment_bookings (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
    ref             TEXT NOT NULL UNIQUE,             -- public reference "T-XXXX-XXXX"
    location_id     INTEGER NOT NULL REFERENCES appointment_locations(id),
    starts_at       DATETIME NOT NULL,
    ends_at         DATETIME NOT NULL CHECK (ends_at > starts_at),
    units           INTEGER NOT NULL CHECK (units BETWEEN 1 AND 96),
    services        TEXT NOT NULL,                    -- JSON [{service, count, minutes}]
    status          TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired', 'checked_in', 'called', 'done', 'no_show')),
    channel         TEXT NOT NULL CHECK (channel IN ('online', 'lottery', 'waitlist', 'staff')),
    account_id      INTEGER REFERENCES accounts(id),   -- personal data: cleared after the retention period
    email           TEXT,                             -- personal data
    name            TEXT,                             -- personal data
    subject_hash    TEXT,                             -- SHA-256 of the account or e-mail, for quotas; cleared with the personal data
    lang            TEXT NOT NULL DEFAULT 'de',
    base_url        TEXT NOT NULL DEFAULT '',         -- where the citizen booked, for links in later mails
    pow             BOOLEAN NOT NULL DEFAULT 0,   -- the request carried a solved challenge
    hold_expires_at DATETIME,
    created_at      DATETIME NOT NULL,
    confirmed_at    DATETIME,
    cancelled_at    DATETIME,
    cancel_reason   TEXT NOT NULL DEFAULT '',
    checked_in_at   DATETIME,
    called_at       DATETIME,
    done_at         DATETIME,
    reminded_at     DATETIME,
    reconfirm_sent_at DATETIME,
    reconfirmed_at  DATETIME,
    personal_deleted_at DATETIME
);
CREATE INDEX appointment_bookings_location ON appointment_bookings (location_id, starts_at);
CREATE INDEX appointment_bookings_subject ON appointment_bookings (tenant_id, subject_hash, status);
CREATE INDEX appointment_bookings_account ON appointment_bookings (account_id);
CREATE INDEX appointment_bookings_status ON appointment_bookings (status, starts_at);

CREATE TABLE appointment_claims (
    location_id INTEGER NOT NULL,
    starts_at   DATETIME NOT NULL,
    seat        INTEGER NOT NULL,
    booking_ref TEXT NOT NULL REFERENCES appointment_bookings(ref) DEFERRABLE INITIALLY DEFERRED,
    expires_at  DATETIME,                          -- a hold's end; NULL once confirmed
    PRIMARY KEY (location_id, starts_at, seat),
    FOREIGN KEY (location_id, starts_at, seat) REFERENCES appointment_seats (location_id, starts_at, seat)
);
CREATE INDEX appointment_claims_booking ON appointment_claims (booking_ref);

CREATE TABLE appointment_tickets (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    ref         TEXT NOT NULL UNIQUE,                 -- "W-XXXX-XXXX", in the ticket page's signed link
    location_id INTEGER NOT NULL REFERENCES appointment_locations(id),
    day         TEXT NOT NULL,
    number      INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('appointment', 'walk_in')),
    booking_id  INTEGER REFERENCES appointment_bookings(id),
    services    TEXT NOT NULL,                        -- JSON, as on bookings
    minutes     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'done', 'no_show', 'cancelled')),
    counter     TEXT NOT NULL DEFAULT '',
    issued_at   DATETIME NOT NULL,
    called_at   DATETIME,
    done_at     DATETIME,
    UNIQUE (location_id, day, number)
);
CREATE INDEX appointment_tickets_queue ON appointment_tickets (location_id, day, status);

CREATE TABLE appointment_lottery_entries (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL UNIQUE,                -- "Z-XXXX-XXXX"
    location_id  INTEGER NOT NULL REFERENCES appointment_locations(id),
    draw_at      DATETIME NOT NULL,                -- end of the window: when the draw runs
    starts_at    DATETIME NOT NULL,                -- the wished start
    services     TEXT NOT NULL,
    account_id   INTEGER REFERENCES accounts(id),
    email        TEXT,
    subject_hash TEXT,
    lang         TEXT NOT NULL DEFAULT 'de',
    base_url     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('entered', 'won', 'lost')),
    booking_ref  TEXT,
    created_at   DATETIME NOT NULL,
    drawn_at     DATETIME,
    UNIQUE (location_id, draw_at, subject_hash)       -- one entry per person and draw
);

CREATE TABLE appointment_waitlist (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    ref          TEXT NOT NULL UNIQUE,                -- "V-XXXX-XXXX"
    location_id  INTEGER NOT NULL REFERENCES appointment_locations(id),
    services     TEXT NOT NULL,
    from_day     TEXT NOT NULL,
    to_day       TEXT NOT NULL,
    account_id   INTEGER REFERENCES accounts(id),
    email        TEXT,
    subject_hash TEXT,
    lang         TEXT NOT NULL DEFAULT 'de',
    base_url     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'offered', 'booked', 'cancelled', 'expired')),
    booking_ref  TEXT,
    offers       INTEGER NOT NULL DEFAULT 0,
    last_offered_at DATETIME,
    created_at   DATETIME NOT NULL,
    confirmed_at DATETIME
);
CREATE INDEX appointment_waitlist_location ON appointment_waitlist (location_id, status);

-- Spent proof-of-work challenges (replay protection shared by every process).
CREATE TABLE appointment_pow_spent (
    challenge  TEXT PRIMARY KEY,
    expires_at DATETIME NOT NULL
);

-- The tenant's secrets for signed links and challenges.
CREATE TABLE appointment_keys (
    tenant_id  INTEGER PRIMARY KEY REFERENCES tenants(id),
    link_key   TEXT NOT NULL,
    pow_key    TEXT NOT NULL
);

-- +goose Down
SELECT 'forward-only';
