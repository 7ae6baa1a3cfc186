package cli

import (
	"fmt"
	"io"

	"github.com/frescolabs/fresco/internal/buildinfo"
)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stderr)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("version takes no arguments, got %q", rest)}
	}
	_, err = io.WriteString(stdout, buildinfo.Read().String())
	return err
}
