package wasi

import (
	"context"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/frescolabs/fresco/internal/abi"
)

// ModuleName is WASI's import module.
const ModuleName = wasi_snapshot_preview1.ModuleName

// Module describes the WASI host module: wazero's, with the calls that
// change an instance's WASI state watched (Resettable).
func Module() abi.Module {
	return abi.Module{Name: ModuleName, Instantiate: instantiate, Resettable: Resettable, Watch: Watch}
}

func instantiate(ctx context.Context, r wazero.Runtime) error {
	_, err := wasi_snapshot_preview1.NewBuilder(r).Instantiate(ctx)
	return err
}
