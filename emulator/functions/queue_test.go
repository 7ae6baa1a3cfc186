package functions_test

import (
	"testing"

	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/functions/queuetest"
)

func TestMemQueue(t *testing.T) {
	queuetest.Run(t, func(*testing.T) functions.Queue { return functions.NewMemQueue() })
}
