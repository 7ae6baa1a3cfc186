package wasmbin

import "errors"

// Magic starts every WebAssembly binary ("\0asm"); Version follows it.
const (
	Magic   = "\x00asm"
	Version = "\x01\x00\x00\x00"
)

// ErrUnsupported is wrapped by errors about input that may be valid but that
// this package does not handle (threads, proposals past WebAssembly 2.0, an
// export name it would need for itself). A module with such an error is
// simply not snapshotted.
var ErrUnsupported = errors.New("unsupported")

// Section ids, https://webassembly.github.io/spec/core/binary/modules.html
const (
	sectionCustom    = 0
	sectionType      = 1
	sectionImport    = 2
	sectionFunction  = 3
	sectionTable     = 4
	sectionMemory    = 5
	sectionGlobal    = 6
	sectionExport    = 7
	sectionStart     = 8
	sectionElement   = 9
	sectionCode      = 10
	sectionData      = 11
	sectionDataCount = 12
	sectionTag       = 13
)

// sectionNames names the sections in errors.
var sectionNames = [...]string{
	0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
	7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag",
}

// sectionRank orders the non-custom sections as a module must list them
// (the tag section of exception handling sits between memory and global,
// the data count section between element and code).
var sectionRank = [...]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, sectionTag: 6, 6: 7, 7: 8, 8: 9, 9: 10, sectionDataCount: 11, 10: 12, 11: 13}

// Module is a module read by Parse: what the rest of fresco needs to know
// of it, learnt in one walk of its sections.
type Module struct {
	bin []byte

	// For the snapshot path (SnapshotModule).
	importsGlobals, importsTables, importsMemory bool
	importedGlobals                              uint32
	globals                                      []Global
	flags                                        uint8 // flagMutatesTables, flagDropsData, flagGrowsTables
	// Where each section other than custom ones is (start -1: absent),
	// in the order they come, and whether they come in order.
	sections   [sectionTag + 1]span
	present    []span
	misordered bool
	lastRank   int
	// The function and table index spaces: what the module imports, and
	// the limits of the tables it defines.
	importedFuncs, importedTables uint32
	tables                        []limitsType
	// types is the number of types the module defines.
	types uint32
	// reserved lists the module's exports named with reservedPrefix.
	reserved []string
	// tableLimits is the content of the table section LimitTables made,
	// nil when it keeps the module's own; tablesFunc is the function it
	// adds to report the tables' sizes.
	tableLimits []byte
	tablesFunc  *addedFunc
	// snapErr is the first reason the snapshot path cannot use the module.
	snapErr error
	// For the stop checks (stop.go): where each function body's content
	// and instructions are, where each loop's body starts (offsets in bin,
	// ascending), and whether AddStopChecks asked for them.
	bodies     []bodySpan
	loops      []int
	stopChecks bool
	// For the stack count (stack.go): where each return is (ascending,
	// with the blocks open around it), and where each function type's
	// result vector is in bin.
	returns     []returnSite
	typeResults [][2]int
	// noStackCount leaves the count out, for BenchmarkStopChecks' baseline.
	noStackCount bool
}

// Parse reads bin, a binary that may be invalid or hostile (it comes from
// users), once: it checks that no count or length it declares makes
// wazero's decoder allocate more than its honest share (the preflight,
// preflight.go), and learns what the snapshot path needs (SnapshotModule).
// Its error names the first problem and its byte offset. It does not
// validate the module; wazero does that next.
func Parse(bin []byte) (*Module, error) {
	if len(bin) < 8 || string(bin[:4]) != Magic {
		return nil, malformed(0, "no \\0asm magic number")
	}
	if string(bin[4:8]) != Version {
		return nil, malformed(4, "version %x is not 1", bin[4:8])
	}
	m := &Module{bin: bin}
	for i := range m.sections {
		m.sections[i].start = -1
	}
	p := &preflighter{m: m}
	d := &decoder{b: bin, p: 8, end: len(bin)}
	for d.p < d.end {
		start := d.p
		id, s, err := d.section()
		if err != nil {
			return nil, err
		}
		m.order(id, start)
		name := sectionNames[id] + " section"
		if err := p.section(s, id, start, name); err != nil {
			return nil, err
		}
		if s.p != s.end {
			return nil, malformed(s.p, "%s has %d bytes after its content", name, s.end-s.p)
		}
		m.record(id, start, s)
	}
	m.types = uint32(len(p.typeParams))
	return m, nil
}

// section reads a section's id and size, and returns the id and a decoder
// of its content, which it skips.
func (d *decoder) section() (byte, *decoder, error) {
	start := d.p
	id, _ := d.u8("section id")
	size, err := d.u32("section size")
	if err != nil {
		return 0, nil, err
	}
	if int(id) >= len(sectionNames) {
		return 0, nil, malformed(start, "unknown section id %d", id)
	}
	if uint64(size) > uint64(d.left()) {
		return 0, nil, malformed(start, "%s section declares %d bytes but only %d remain in the module", sectionNames[id], size, d.left())
	}
	return id, d.sub(int(size)), nil
}

// order checks, for the snapshot path, that the section with this id,
// starting at start, comes in order.
func (m *Module) order(id byte, start int) {
	if id == sectionCustom {
		return
	}
	rank := sectionRank[id]
	if rank <= m.lastRank {
		m.misordered = true
		m.noSnapshot(malformed(start, "section %d out of order", id))
		return
	}
	m.lastRank = rank
}

// noSnapshot records why the snapshot path cannot use the module; the
// first reason stands.
func (m *Module) noSnapshot(err error) {
	if m.snapErr == nil {
		m.snapErr = err
	}
}
