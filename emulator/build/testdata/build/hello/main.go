// Package main is the smallest fresco reactor: it exports fresco_handle and
// needs no other package. The builder tests compile it.
package main

//go:wasmexport fresco_handle
func handle() int32 { return 0 }

func main() {}
