// Command stamp prints its build information as fresco version does; the
// release script's test builds it the way a release is built.
package main

import (
	"fmt"

	"github.com/frescolabs/fresco/internal/buildinfo"
)

func main() { fmt.Print(buildinfo.Read()) }
