package functions_test

import (
	"testing"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) functions.Store { return functions.NewMemStore() })
}
