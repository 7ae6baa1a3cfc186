// Package lib is not a main package; the builder must refuse it.
package lib

// Answer is here so the package is not empty.
const Answer = 42
