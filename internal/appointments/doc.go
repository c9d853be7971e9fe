// Package appointments is online appointment booking for citizen offices
// and their on-site queue: locations with opening hours, services and
// durations, a slot search, bookings that can never exceed capacity, fair
// release against bots, a waitlist, reminders, the kiosk, the counter and
// the call display.
//
// # Model
//
// A Location (Standort) has Settings: address and accessibility text,
// the time grid (SlotMinutes), the services it offers with minutes per
// service and the most per booking, weekly opening-hours rules with
// validity periods and desks (counters in parallel; overlapping rules add),
// exceptions per date (closed, or hours of their own — which also open a
// holiday), blocks (desks out of service for a time), the booking horizon
// and release time, the release strategy (first come, or a lottery
// window), protections (proof of work, rate limits), the quota per
// person, reminder and reconfirmation, no-show grace and the retention of
// personal data. The tenant's statutory holidays come from
// platform/calendar (its federal state).
//
// Capacity is rows: Plan computes each date's units and desks, and
// syncSeats keeps one appointment_seats row per seat and unit up to the
// horizon (the sweep plans days as they enter it). A booking takes k
// consecutive units (the sum of its services' minutes, two passports take
// twice one) and claims one seat in each (appointment_claims, primary key
// = the seat, foreign key to it). So the database refuses a second claim of
// a seat and a claim beyond the seats, from any process and also when
// typed in by hand; DoubleBookingsQuery checks the bookings against the
// seats independently.
//
// # Lifecycle of a booking
//
// held (an e-mail address, or a person without a solved challenge: the
// seats are held for HoldMinutes; the confirmation mail's link confirms,
// double opt-in) → confirmed (a signed-in person at once) → checked_in at
// the kiosk → called to a counter → done; or cancelled (by its signed
// manage link, its account, staff, a cancelled day, a missing
// reconfirmation), expired (the hold ran out: the next booking of the seat
// deletes the stale claim in its own transaction, the sweep does it
// otherwise) or no_show (not checked in NoShowMinutes after the start).
// Rebooking claims the new seats and gives up the old ones in one
// transaction. In a lottery window requests become LotteryEntries (202);
// the draw job shuffles them and books each through the same claim.
// Until the draw nothing else takes a seat of that day: a rebooking into
// it is refused (lottery_running) and the waitlist waits for the draw.
// Freed seats are offered to the waitlist (held OfferHours). Personal data
// (e-mail, name, account) is deleted RetentionDays after the appointment;
// the figures (Figures) stay.
//
// # Speed
//
// Each process keeps the availability of the days it serves in memory
// (availability.go), checked against the day's revision (one primary-key
// read) before each search and attempt: the search is computed in memory,
// and an attempt at a seat known to be taken — or being claimed by another
// request of the process — is refused without a write. The booking
// transaction claims the seats first (a conflict ends it at once), then
// checks the quota, inserts the booking, bumps the day's revision,
// enqueues the mail job and appends the audit event. Mails are composed
// by a job, outside the request.
//
// # Invariants
//
//   - No unit is booked beyond its seats (schema; DoubleBookingsQuery = 0).
//   - A held booking's claims carry its expiry; a confirmed booking's none.
//   - Links are signed per purpose with the tenant's key (links.go); a
//     tampered link is "not found". Mails carry time, place, service, the
//     booking number and links — no name, no other personal data.
//   - All instants are UTC; days and opening hours are Europe/Berlin.
//
// # Who may do what
//
// Everyone may search slots, book, and use the links they were sent; a
// signed-in person sees, rebooks and cancels their bookings on the
// account page. Staff (admin, unit head, case worker) of the tenant run
// the day plan, blocks, cancelling a day, the kiosk (a terminal signed in
// by staff), the counter and the figures; only admins create locations
// and change their settings and protections. The call display is public
// (numbers only). A principal of another tenant gets "not found".
package appointments
