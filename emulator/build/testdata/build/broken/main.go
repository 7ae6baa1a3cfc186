// Package main does not compile: the builder tests check that the compiler's
// message reaches the user.
package main

func main() {
	_ = undefinedVariable
}
