// Spin is a busy loop that never sleeps and never returns: only the
// sandbox's timeout can stop it.
package main

import "github.com/frescolabs/fresco/adapters/lambda"

var sink uint64

func handle() error {
	for i := uint64(0); ; i++ {
		sink += i * i
	}
}

func main() {
	lambda.Start(handle)
}
