// Package sam reads SAM templates: a template.yaml (or .json), its
// Globals, Parameters and --parameter-overrides, --env-vars, the Api and
// HttpApi events and APIs of its functions, and their Schedule and
// ScheduleV2 events (expressions checked by emulator/schedule), into
// [FunctionSpec]s and
// API definitions with defaults applied and intrinsics resolved.
// goformation does the parsing; see [LoadTemplate] for what fresco adds.
//
// It imports no HTTP package (the API vocabulary it produces comes from a
// package without net/http) and nothing of how functions are built or run.
package sam
