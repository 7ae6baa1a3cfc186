package wasmbin

import (
	"fmt"
	"strconv"
)

// globalExportPrefix starts the names of the exports that SnapshotModule
// adds.
const globalExportPrefix = reservedPrefix + "global:"

// globalExportName is the name of the export that SnapshotModule adds for
// the global at index in the module's global index space.
func globalExportName(index uint32) string {
	return globalExportPrefix + strconv.FormatUint(uint64(index), 10)
}

// SnapshotModule is what the snapshot path needs to know of a module, and
// the copy of its binary that exports its mutable globals.
type SnapshotModule struct {
	// Binary is the input with one export appended per defined mutable
	// global, named "fresco:global:<index>", where index is the global's
	// index in the module's global index space (imported globals first).
	// Nothing else changes. When the module defines no mutable global,
	// Binary is the input slice itself.
	Binary []byte
	// Globals lists those exports in index order.
	Globals []Global
	// MutatesTables reports code that can change a table or an element
	// segment after instantiation: table.set, table.grow, table.fill,
	// table.copy, table.init, elem.drop. (table.get / table.size do not.)
	MutatesTables bool
	// DropsData reports memory.init or data.drop (state of data segments
	// that an instance reset could not restore).
	DropsData bool
	// V128 lists the indexes in Globals of the v128 globals, whose high
	// half api.MutableGlobal can neither read nor write: Binary exports
	// V128GetExport, () -> (v128, ...), and V128SetExport, (v128, ...) ->
	// (), which read and write them all, in this order.
	V128 []int
	// ImportsGlobals / ImportsTables / ImportsMemory report imports of those
	// kinds (state the module shares with others; the snapshot path
	// refuses such modules).
	ImportsGlobals, ImportsTables, ImportsMemory bool
}

// Global is a defined mutable global, exported by SnapshotModule.Binary.
type Global struct {
	// Index is the global's index in the module's global index space.
	Index uint32
	// Name is its export name.
	Name string
	// Type is the wasm value type byte: 0x7F i32, 0x7E i64, 0x7D f32,
	// 0x7C f64, 0x7B v128, 0x70 funcref, 0x6F externref.
	Type byte
}

// SnapshotModule returns what the snapshot path needs to know of m, and the
// copy of its binary that exports its mutable globals, or an error naming
// what it cannot handle. It reads what wazero v1.12 accepts with
// api.CoreFeaturesV2 and reports anything beyond that as ErrUnsupported
// rather than guessing; other errors are about input wazero will reject.
func (m *Module) SnapshotModule() (*SnapshotModule, error) {
	if m.snapErr != nil {
		return nil, m.snapErr
	}
	sm := &SnapshotModule{
		Globals:        m.globals,
		MutatesTables:  m.flags&flagMutatesTables != 0,
		DropsData:      m.flags&flagDropsData != 0,
		ImportsGlobals: m.importsGlobals,
		ImportsTables:  m.importsTables,
		ImportsMemory:  m.importsMemory,
	}
	var wide []Global
	for i, g := range m.globals {
		if g.Type == valV128 {
			sm.V128 = append(sm.V128, i)
			wide = append(wide, g)
		}
	}
	if len(wide) > maxV128Globals {
		return nil, fmt.Errorf("%w: %d mutable v128 globals (at most %d)", ErrUnsupported, len(wide), maxV128Globals)
	}
	bin, err := m.build(m.globals, v128Accessors(wide))
	if err != nil {
		return nil, err
	}
	sm.Binary = bin
	return sm, nil
}

// Export names of the accessors of v128 globals (SnapshotModule.V128).
const (
	V128GetExport = reservedPrefix + "v128:get"
	V128SetExport = reservedPrefix + "v128:set"
)

// maxV128Globals bounds the results and parameters of the accessors.
const maxV128Globals = 1000

// v128Accessors returns the functions that read and write the globals,
// all v128, in order; none when there are none.
func v128Accessors(globals []Global) []addedFunc {
	if len(globals) == 0 {
		return nil
	}
	n := uint32(len(globals))
	vec := make([]byte, 0, 5+len(globals))
	vec = AppendU32(vec, n)
	for range globals {
		vec = append(vec, valV128)
	}
	get := []byte{0x00} // no locals
	set := []byte{0x00}
	for i, g := range globals {
		get = append(get, 0x23) // global.get
		get = AppendU32(get, g.Index)
		set = append(set, 0x20) // local.get
		set = AppendU32(set, uint32(i))
		set = append(set, 0x24) // global.set
		set = AppendU32(set, g.Index)
	}
	return []addedFunc{
		{name: V128GetExport, typ: append([]byte{0x60, 0x00}, vec...), body: append(get, 0x0B)},
		{name: V128SetExport, typ: append(append([]byte{0x60}, vec...), 0x00), body: append(set, 0x0B)},
	}
}

// global notes defined global i (its type t at off, its mutability mut at
// mutOff) for the snapshot path when it is mutable.
func (m *Module) global(off, mutOff int, t, mut byte, i uint32) {
	if mut > 1 {
		m.noSnapshot(malformed(mutOff, "invalid global mutability %#02x", mut))
		return
	}
	if mut == 0 {
		return
	}
	switch t {
	case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref:
	default:
		m.noSnapshot(fmt.Errorf("%w type %#02x of mutable global at offset %#x", ErrUnsupported, t, off))
		return
	}
	if uint64(m.importedGlobals)+uint64(i) > 1<<32-1 {
		m.noSnapshot(malformed(off, "more than 2^32 globals"))
		return
	}
	index := m.importedGlobals + i
	m.globals = append(m.globals, Global{Index: index, Name: globalExportName(index), Type: t})
}

// exports reads the n entries of the export section and returns the names
// that start with reservedPrefix.
func (d *decoder) exports(n uint32) (reserved []string, err error) {
	for i := uint32(0); i < n; i++ {
		l, err := d.u32("export name length")
		if err != nil {
			return nil, err
		}
		start := d.p
		if err := d.skip(l, "export name"); err != nil {
			return nil, err
		}
		if name := d.b[start:d.p]; isReserved(name) {
			reserved = append(reserved, string(name))
		}
		off := d.p
		kind, err := d.u8("export kind")
		if err != nil {
			return nil, err
		}
		if kind > 0x04 {
			return nil, malformed(off, "invalid export kind %#02x", kind)
		}
		if _, err := d.u32("export index"); err != nil {
			return nil, err
		}
	}
	return reserved, nil
}
