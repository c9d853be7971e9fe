package appointments

// DoubleBookingsQuery counts double bookings, independently of the claims
// that prevent them: for every time unit that has seats, the bookings that
// occupy it (any status but cancelled and expired, so past appointments
// count as well) are compared with the unit's seats. It returns the number
// of units booked beyond their capacity — 0 always. The load harness runs
// it on the database after each run and exits 1 when it is not 0.
const DoubleBookingsQuery = `SELECT COUNT(*) FROM (
  SELECT u.location_id, u.starts_at
  FROM (SELECT location_id, starts_at, COUNT(*) AS seats FROM appointment_seats GROUP BY location_id, starts_at) u
  JOIN appointment_bookings b ON b.location_id = u.location_id AND b.starts_at <= u.starts_at AND u.starts_at < b.ends_at
   AND b.status NOT IN ('cancelled', 'expired')
  GROUP BY u.location_id, u.starts_at, u.seats
  HAVING COUNT(b.id) > u.seats
) overbooked`
