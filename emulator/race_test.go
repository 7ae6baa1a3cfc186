//go:build race

package emulator_test

// raceEnabled: the tests run under the race detector, where the host's
// code runs many times slower (the guest's compiled code does not).
const raceEnabled = true
