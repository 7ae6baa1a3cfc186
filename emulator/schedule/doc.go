// Package schedule runs the template's Schedule and ScheduleV2 events
// (fresco start --schedules). Parse reads AWS's schedule expressions:
// rate(...), the six-field cron(...) of EventBridge, and Scheduler's
// at(...), in a timezone. A Schedule is one event ready to fire: its
// Payload is the event AWS delivers, and Run fires schedules at their
// times on a Clock that tests can drive (package scheduletest).
//
// AWS's cron differs from Unix cron: it has a year field, day-of-week runs
// from 1 (SUN) to 7 (SAT), one of day-of-month and day-of-week must be "?",
// and it has L (last), W (nearest weekday) and # (nth weekday of the
// month). No well-kept Go library reads that syntax (robfig/cron has no
// year, L, W or #), so Parse is written here, with tests; see RATIONALE.md.
package schedule
