package server

import (
	"context"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/internal/invoke"
)

// backend is the core's invoker as the front doors' Backend.
type backend struct{ inv *functions.Invoker }

// Lookup resolves a name and qualifier ("", $LATEST, a version or an
// alias) through the registry.
func (b backend) Lookup(name, qualifier string) (invoke.Handle, error) {
	h, err := b.inv.Lookup(context.Background(), name, qualifier)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return h, nil
}
