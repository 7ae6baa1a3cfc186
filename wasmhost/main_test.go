package wasmhost

import (
	"os"
	"testing"

	"github.com/frescolabs/fresco/internal/testtimeout"
)

func TestMain(m *testing.M) {
	testtimeout.Extend()
	os.Exit(m.Run())
}
