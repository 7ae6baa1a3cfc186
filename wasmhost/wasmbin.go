package wasmhost

// This file is a minimal reader and rewriter of WebAssembly binaries, for
// the snapshot path: it finds a module's mutable globals and exports them,
// and scans its code for instructions whose effects an instance reset could
// not undo. It reads what wazero v1.12 accepts with api.CoreFeaturesV2, and
// reports anything beyond that as errUnsupported rather than guessing.
//
// The input comes from users: every count and length is checked against
// the bytes that remain, so that hostile input costs at most time linear in
// its size and never panics.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errUnsupported is wrapped by errors about input that may be valid but that
// this reader does not handle (threads, proposals past WebAssembly 2.0, an
// export name it would need for itself). A module with such an error is
// simply not snapshotted.
var errUnsupported = errors.New("unsupported")

// globalExportPrefix starts the names of the exports that
// parseSnapshotModule adds.
const globalExportPrefix = "fresco:global:"

// globalExportName is the name of the export that parseSnapshotModule adds
// for the global at index in the module's global index space.
func globalExportName(index uint32) string {
	return globalExportPrefix + strconv.FormatUint(uint64(index), 10)
}

// snapshotModule is what the snapshot path needs to know of a module, and
// the copy of its binary that exports its mutable globals.
type snapshotModule struct {
	// Binary is the input with one export appended per defined mutable
	// global, named globalExportName(index), where index is the global's
	// index in the module's global index space (imported globals first).
	// Nothing else changes. When the module defines no mutable global,
	// Binary is the input slice itself.
	Binary []byte
	// Globals lists those exports in index order.
	Globals []snapshotGlobal
	// MutatesTables reports code that can change a table or an element
	// segment after instantiation: table.set, table.grow, table.fill,
	// table.copy, table.init, elem.drop. (table.get / table.size do not.)
	MutatesTables bool
	// DropsData reports memory.init or data.drop (state of data segments
	// that an instance reset could not restore).
	DropsData bool
	// ImportsGlobals / ImportsTables / ImportsMemory report imports of those
	// kinds (state the module shares with others; the snapshot path
	// refuses such modules).
	ImportsGlobals, ImportsTables, ImportsMemory bool
}

// snapshotGlobal is a defined mutable global, exported by
// snapshotModule.Binary.
type snapshotGlobal struct {
	// Index is the global's index in the module's global index space.
	Index uint32
	// Name is the export name, globalExportName(Index).
	Name string
	// Type is the wasm value type byte: 0x7F i32, 0x7E i64, 0x7D f32,
	// 0x7C f64, 0x7B v128, 0x70 funcref, 0x6F externref.
	Type byte
}

// Section ids, https://webassembly.github.io/spec/core/binary/modules.html
const (
	sectionCustom    = 0
	sectionImport    = 2
	sectionGlobal    = 6
	sectionExport    = 7
	sectionCode      = 10
	sectionDataCount = 12
	sectionTag       = 13
)

// sectionRank orders the non-custom sections as a module must list them
// (the tag section of exception handling sits between memory and global,
// the data count section between element and code). Zero: unknown id.
var sectionRank = [...]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, sectionTag: 6, 6: 7, 7: 8, 8: 9, 9: 10, sectionDataCount: 11, 10: 12, 11: 13}

// Value types.
const (
	valI32       = 0x7F
	valI64       = 0x7E
	valF32       = 0x7D
	valF64       = 0x7C
	valV128      = 0x7B
	valFuncref   = 0x70
	valExternref = 0x6F
	valExnref    = 0x69 // exception handling
	refNullable  = 0x63 // typed function references: (ref null ht)
	refNonNull   = 0x64 // typed function references: (ref ht)
)

// malformed returns the error for input that is not a valid module.
func malformed(off int, format string, args ...any) error {
	return fmt.Errorf("malformed wasm at offset %#x: %s", off, fmt.Sprintf(format, args...))
}

// unsupportedOpcode returns the error for an opcode this reader does not
// decode; prefix is zero for a one-byte opcode.
func unsupportedOpcode(off int, prefix byte, op uint32) error {
	if prefix == 0 {
		return fmt.Errorf("%w opcode %#02x at offset %#x", errUnsupported, op, off)
	}
	return fmt.Errorf("%w opcode %#02x %d at offset %#x", errUnsupported, prefix, op, off)
}

// parseSnapshotModule reads bin (a binary that may be invalid: it comes from
// users) and returns the above, or an error naming what is malformed and
// the byte offset. Errors about valid input it does not handle wrap
// errUnsupported.
func parseSnapshotModule(bin []byte) (*snapshotModule, error) {
	if len(bin) < 8 || string(bin[:4]) != "\x00asm" {
		return nil, malformed(0, "no \\0asm magic number")
	}
	if string(bin[4:8]) != "\x01\x00\x00\x00" {
		return nil, malformed(4, "version %x is not 1", bin[4:8])
	}
	m := &snapshotModule{}
	var (
		importedGlobals uint32
		exportStart     = -1 // offset of the export section's id byte
		exportEntries   int  // offset of its first entry
		exportEnd       int
		exportCount     uint32
		insertAt        = len(bin) // where a new export section goes
		reserved        []string   // existing exports named like ours
		lastRank        int
	)
	d := &decoder{b: bin, p: 8, end: len(bin)}
	for d.p < len(bin) {
		start := d.p
		id, _ := d.u8("section id")
		size, err := d.u32("section size")
		if err != nil {
			return nil, err
		}
		if int(size) > len(bin)-d.p {
			return nil, malformed(start, "section %d of %d bytes runs past the end of the module", id, size)
		}
		s := &decoder{b: bin, p: d.p, end: d.p + int(size)}
		d.p = s.end
		if id == sectionCustom {
			continue
		}
		if int(id) >= len(sectionRank) || sectionRank[id] == 0 {
			return nil, malformed(start, "unknown section id %d", id)
		}
		rank := sectionRank[id]
		if rank <= lastRank {
			return nil, malformed(start, "section %d out of order", id)
		}
		lastRank = rank
		if rank > sectionRank[sectionExport] && insertAt == len(bin) {
			insertAt = start
		}
		switch id {
		case sectionImport:
			err = s.imports(m, &importedGlobals)
		case sectionGlobal:
			err = s.globals(m, importedGlobals)
		case sectionExport:
			exportStart, exportEnd = start, s.end
			if exportCount, err = s.u32("export count"); err == nil {
				exportEntries = s.p
				reserved, err = s.exports(exportCount)
			}
		case sectionCode:
			err = s.code(m)
		default:
			s.p = s.end
		}
		if err != nil {
			return nil, err
		}
		if s.p != s.end {
			return nil, malformed(s.p, "section %d has %d bytes after its content", id, s.end-s.p)
		}
	}

	if len(m.Globals) == 0 {
		m.Binary = bin
		return m, nil
	}
	for _, name := range reserved {
		for _, g := range m.Globals {
			if g.Name == name {
				return nil, fmt.Errorf("%w: the module already exports %q", errUnsupported, name)
			}
		}
	}
	if uint64(exportCount)+uint64(len(m.Globals)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: too many exports", errUnsupported)
	}
	// The new export section: the original entries, then ours.
	var content []byte
	content = appendU32(content, exportCount+uint32(len(m.Globals)))
	if exportStart >= 0 {
		content = append(content, bin[exportEntries:exportEnd]...)
	} else {
		exportStart, exportEnd = insertAt, insertAt
	}
	for _, g := range m.Globals {
		content = appendU32(content, uint32(len(g.Name)))
		content = append(content, g.Name...)
		content = append(content, 0x03) // global
		content = appendU32(content, g.Index)
	}
	if uint64(len(content)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: export section too large", errUnsupported)
	}
	out := make([]byte, 0, len(bin)-(exportEnd-exportStart)+len(content)+6)
	out = append(out, bin[:exportStart]...)
	out = append(out, sectionExport)
	out = appendU32(out, uint32(len(content)))
	out = append(out, content...)
	out = append(out, bin[exportEnd:]...)
	m.Binary = out
	return m, nil
}

// appendU32 appends v as an unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// decoder reads b[p:end]; offsets in its errors are offsets in b.
type decoder struct {
	b      []byte
	p, end int
}

func (d *decoder) u8(what string) (byte, error) {
	if d.p >= d.end {
		return 0, malformed(d.p, "truncated %s", what)
	}
	c := d.b[d.p]
	d.p++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes whose value fits 32 bits.
func (d *decoder) u32(what string) (uint32, error) {
	if d.p < d.end && d.b[d.p] < 0x80 { // most are one byte
		d.p++
		return uint32(d.b[d.p-1]), nil
	}
	var v uint32
	for i, off := 0, d.p; i < 5; i++ {
		if d.p >= d.end {
			return 0, malformed(off, "truncated LEB128 %s", what)
		}
		c := d.b[d.p]
		d.p++
		if i == 4 && c >= 0x10 {
			return 0, malformed(off, "LEB128 %s overflows 32 bits", what)
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, malformed(d.p-5, "LEB128 %s longer than 5 bytes", what)
}

// skipLEB skips a LEB128 of at most max bytes, signed or not.
func (d *decoder) skipLEB(max int, what string) error {
	p, err := skipLEB(d.b, d.p, d.end, max)
	if err != "" {
		return malformed(d.p, "%s %s", err, what)
	}
	d.p = p
	return nil
}

// s33 reads a signed LEB128 of at most 5 bytes, as used by block types and
// heap types.
func (d *decoder) s33(what string) (int64, error) {
	off := d.p
	var v int64
	for i := 0; i < 5; i++ {
		c, err := d.u8(what)
		if err != nil {
			return 0, malformed(off, "truncated LEB128 %s", what)
		}
		v |= int64(c&0x7F) << (7 * i)
		if c < 0x80 {
			n := 7 * (i + 1)
			if n > 33 {
				n = 33
			}
			return v << (64 - n) >> (64 - n), nil
		}
	}
	return 0, malformed(off, "LEB128 %s longer than 5 bytes", what)
}

func (d *decoder) skip(n uint32, what string) error {
	if uint64(n) > uint64(d.end-d.p) {
		return malformed(d.p, "%s of %d bytes runs past the end of its section", what, n)
	}
	d.p += int(n)
	return nil
}

// valType reads a value type. It returns the type byte, with (ref null
// func) and (ref null extern) of typed function references turned into
// funcref and externref, and the prefix byte for other references.
func (d *decoder) valType(what string) (byte, error) {
	off := d.p
	c, err := d.u8(what)
	if err != nil {
		return 0, err
	}
	switch c {
	case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref, valExnref:
		return c, nil
	case refNullable, refNonNull:
		ht, err := d.s33(what)
		if err != nil {
			return 0, err
		}
		if c == refNullable && (ht == -0x10 || ht == -0x11) {
			return byte(ht) & 0x7F, nil
		}
		return c, nil
	}
	return 0, malformed(off, "invalid %s %#02x", what, c)
}

// limits reads the limits of a table or memory type and returns the
// minimum (saturated at 2^64-1).
func (d *decoder) limits() (min uint64, err error) {
	off := d.p
	flags, err := d.u8("limits flags")
	if err != nil {
		return 0, err
	}
	if flags > 0x07 { // bit 0: has max; bit 1: shared; bit 2: 64-bit
		return 0, malformed(off, "invalid limits flags %#02x", flags)
	}
	max := 5
	if flags&0x04 != 0 {
		max = 10
	}
	for i := byte(0); i <= flags&1; i++ {
		start := d.p
		if err := d.skipLEB(max, "limit"); err != nil {
			return 0, err
		}
		if i == 0 {
			min = lebValue(d.b[start:d.p])
		}
	}
	return min, nil
}

// lebValue is the value of the unsigned LEB128 b, saturated at 2^64-1.
func lebValue(b []byte) uint64 {
	var v uint64
	for i, c := range b {
		if i == 9 && c&0x7F > 1 {
			return 1<<64 - 1
		}
		v |= uint64(c&0x7F) << (7 * i)
	}
	return v
}

// tableType skips a table type, in the forms wazero reads: an optional
// 0x40 0x00 prefix announcing an initialiser, a reference type, limits, and
// the initialiser. It returns the table's minimum size.
func (d *decoder) tableType() (min uint64, err error) {
	init := d.p < d.end && d.b[d.p] == 0x40
	if init {
		d.p++
		if c, err := d.u8("table type"); err != nil {
			return 0, err
		} else if c != 0 {
			return 0, malformed(d.p-1, "table type: %#02x after 0x40 is not 0x00", c)
		}
	}
	c, err := d.u8("table element type")
	if err != nil {
		return 0, err
	}
	if c == refNullable || c == refNonNull {
		if _, err := d.s33("table element heap type"); err != nil {
			return 0, err
		}
	}
	if min, err = d.limits(); err != nil {
		return 0, err
	}
	if init {
		err = d.constExpr("table initialiser")
	}
	return min, err
}

// constExpr skips a constant expression up to and including its end.
func (d *decoder) constExpr(what string) error {
	for {
		off := d.p
		op, err := d.u8(what)
		if err != nil {
			return err
		}
		switch op {
		case 0x0B: // end
			return nil
		case 0x41: // i32.const
			err = d.skipLEB(5, "i32.const")
		case 0x42: // i64.const
			err = d.skipLEB(10, "i64.const")
		case 0x43: // f32.const
			err = d.skip(4, "f32.const")
		case 0x44: // f64.const
			err = d.skip(8, "f64.const")
		case 0x23, 0xD2: // global.get, ref.func
			err = d.skipLEB(5, "index")
		case 0xD0: // ref.null
			_, err = d.s33("ref.null heap type")
		case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: // extended-const arithmetic
		case 0xFD:
			var c byte
			if c, err = d.u8(what); err == nil {
				if c != 0x0C {
					return malformed(off, "SIMD opcode %d in %s", c, what)
				}
				err = d.skip(16, "v128.const")
			}
		default:
			return malformed(off, "opcode %#02x in %s", op, what)
		}
		if err != nil {
			return err
		}
	}
}

// imports reads the import section.
func (d *decoder) imports(m *snapshotModule, globals *uint32) error {
	n, err := d.u32("import count")
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		for _, what := range [...]string{"import module name", "import name"} {
			l, err := d.u32(what + " length")
			if err != nil {
				return err
			}
			if err := d.skip(l, what); err != nil {
				return err
			}
		}
		off := d.p
		kind, err := d.u8("import kind")
		if err != nil {
			return err
		}
		switch kind {
		case 0x00: // function
			_, err = d.u32("imported function type")
		case 0x01:
			m.ImportsTables = true
			_, err = d.tableType()
		case 0x02:
			m.ImportsMemory = true
			_, err = d.limits()
		case 0x03:
			m.ImportsGlobals = true
			*globals++
			if _, err = d.valType("imported global type"); err == nil {
				_, err = d.u8("imported global mutability")
			}
		case 0x04: // tag, exception handling
			if _, err = d.u8("tag attribute"); err == nil {
				_, err = d.u32("imported tag type")
			}
		default:
			return malformed(off, "invalid import kind %#02x", kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// globals reads the global section, adding the mutable globals to m.
func (d *decoder) globals(m *snapshotModule, imported uint32) error {
	n, err := d.u32("global count")
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		off := d.p
		t, err := d.valType("global type")
		if err != nil {
			return err
		}
		mut, err := d.u8("global mutability")
		if err != nil {
			return err
		}
		if mut > 1 {
			return malformed(d.p-1, "invalid global mutability %#02x", mut)
		}
		if err := d.constExpr("global initialiser"); err != nil {
			return err
		}
		if mut == 0 {
			continue
		}
		switch t {
		case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref:
		default:
			return fmt.Errorf("%w type %#02x of mutable global at offset %#x", errUnsupported, t, off)
		}
		if uint64(imported)+uint64(i) > 1<<32-1 {
			return malformed(off, "more than 2^32 globals")
		}
		index := imported + i
		m.Globals = append(m.Globals, snapshotGlobal{Index: index, Name: globalExportName(index), Type: t})
	}
	return nil
}

// exports reads the n entries of the export section and returns the names
// that start with globalExportPrefix.
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
		if name := d.b[start:d.p]; strings.HasPrefix(string(name), globalExportPrefix) {
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

// code reads the code section and scans every function body.
func (d *decoder) code(m *snapshotModule) error {
	n, err := d.u32("function count")
	if err != nil {
		return err
	}
	var flags uint8
	for i := uint32(0); i < n; i++ {
		size, err := d.u32("function body size")
		if err != nil {
			return err
		}
		if uint64(size) > uint64(d.end-d.p) {
			return malformed(d.p, "function body %d of %d bytes runs past the end of the code section", i, size)
		}
		body := &decoder{b: d.b, p: d.p, end: d.p + int(size)}
		d.p = body.end
		locals, err := body.u32("local declaration count")
		if err != nil {
			return err
		}
		for j := uint32(0); j < locals; j++ {
			if _, err := body.u32("local count"); err != nil {
				return err
			}
			if _, err := body.valType("local type"); err != nil {
				return err
			}
		}
		f, err := scanInstructions(d.b, body.p, body.end)
		if err != nil {
			return err
		}
		flags |= f
	}
	m.MutatesTables = flags&flagMutatesTables != 0
	m.DropsData = flags&flagDropsData != 0
	return nil
}

// skipLEB returns the offset after the LEB128 at b[p:end] of at most max
// bytes, or what is wrong with it.
func skipLEB(b []byte, p, end, max int) (int, string) {
	for i := 0; i < max; i++ {
		if p >= end {
			return 0, "truncated LEB128"
		}
		c := b[p]
		p++
		if c < 0x80 {
			return p, ""
		}
	}
	return 0, "overlong LEB128"
}

// readU32 is decoder.u32 for the instruction scanner: it returns the value
// and the offset after it, or what is wrong with it.
func readU32(b []byte, p, end int) (uint32, int, string) {
	var v uint32
	for i := 0; i < 5; i++ {
		if p >= end {
			return 0, 0, "truncated LEB128"
		}
		c := b[p]
		p++
		if i == 4 && c >= 0x10 {
			return 0, 0, "LEB128 overflows 32 bits"
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c < 0x80 {
			return v, p, ""
		}
	}
	return 0, 0, "overlong LEB128"
}

// Flags that scanInstructions reports.
const (
	flagMutatesTables = 1 << iota
	flagDropsData
)

// Immediates of the one-byte opcodes. Zero: not an opcode of WebAssembly
// 2.0.
const (
	immBad       = iota
	immNone      // no immediate
	immBlockType // block type
	immIndex     // one index
	immIndex2    // two indexes: call_indirect
	immBrTable   // vector of labels and a default label
	immTypes     // vector of value types: select t*
	immMemArg    // memarg
	immI32       // signed LEB128 of at most 5 bytes
	immI64       // signed LEB128 of at most 10 bytes
	immF32       // 4 bytes
	immF64       // 8 bytes
	immHeapType  // ref.null
	immTableSet  // table.set: an index, and it mutates a table
	immMisc      // 0xFC prefix
	immSIMD      // 0xFD prefix
)

// opImm gives the immediates of each one-byte opcode of WebAssembly 2.0.
var opImm = func() (t [256]uint8) {
	set := func(kind uint8, ops ...byte) {
		for _, op := range ops {
			t[op] = kind
		}
	}
	set(immNone, 0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1)
	for op := 0x45; op <= 0xC4; op++ { // numeric, and sign extension
		t[op] = immNone
	}
	set(immBlockType, 0x02, 0x03, 0x04)         // block, loop, if
	set(immIndex, 0x0C, 0x0D, 0x10, 0x25, 0xD2) // br, br_if, call, table.get, ref.func
	set(immIndex, 0x20, 0x21, 0x22, 0x23, 0x24) // local.*, global.*
	set(immIndex, 0x3F, 0x40)                   // memory.size, memory.grow: memory index
	set(immIndex2, 0x11)                        // call_indirect
	set(immBrTable, 0x0E)                       // br_table
	set(immTypes, 0x1C)                         // select t*
	set(immI32, 0x41)                           // i32.const
	set(immI64, 0x42)                           // i64.const
	set(immF32, 0x43)                           // f32.const
	set(immF64, 0x44)                           // f64.const
	set(immHeapType, 0xD0)                      // ref.null
	set(immTableSet, 0x26)                      // table.set
	set(immMisc, 0xFC)                          // saturating truncation, bulk memory, tables
	set(immSIMD, 0xFD)                          // SIMD
	for op := 0x28; op <= 0x3E; op++ {          // loads and stores
		t[op] = immMemArg
	}
	return t
}()

// Immediates of the SIMD opcodes (after 0xFD). Zero: not an opcode.
const (
	simdBad     = iota
	simdNone    // no immediate
	simdMemArg  // memarg
	simdBytes16 // v128.const, i8x16.shuffle: 16 bytes
	simdLane    // extract_lane, replace_lane: a lane index byte
	simdMemLane // load_lane, store_lane: memarg and a lane index byte
)

// simdImm gives the immediates of each SIMD opcode of WebAssembly 2.0.
var simdImm = func() (t [256]uint8) {
	for op := range t {
		t[op] = simdNone
	}
	for op := 0x00; op <= 0x0B; op++ { // v128.load*, v128.store
		t[op] = simdMemArg
	}
	t[0x5C], t[0x5D] = simdMemArg, simdMemArg // v128.load32_zero, v128.load64_zero
	t[0x0C], t[0x0D] = simdBytes16, simdBytes16
	for op := 0x15; op <= 0x22; op++ {
		t[op] = simdLane
	}
	for op := 0x54; op <= 0x5B; op++ {
		t[op] = simdMemLane
	}
	// Opcodes the specification leaves unassigned.
	for _, op := range []byte{0x9A, 0xA2, 0xA5, 0xA6, 0xAF, 0xB0, 0xB2, 0xB3, 0xB4, 0xBB,
		0xC2, 0xC5, 0xC6, 0xCF, 0xD0, 0xD2, 0xD3, 0xD4, 0xE2, 0xEE} {
		t[op] = simdBad
	}
	return t
}()

// scanInstructions decodes the instructions of the function body b[p:end],
// and reports which of the flags apply to it. It errors on an immediate that
// runs past end and on opcodes outside WebAssembly 2.0.
func scanInstructions(b []byte, p, end int) (flags uint8, err error) {
	var bad string // what is wrong with the immediate of the opcode at off
	for p < end {
		off := p
		op := b[p]
		p++
		switch opImm[op] {
		case immNone:
		case immIndex, immI32:
			p, bad = skipLEB(b, p, end, 5)
		case immI64:
			p, bad = skipLEB(b, p, end, 10)
		case immTableSet:
			flags |= flagMutatesTables
			p, bad = skipLEB(b, p, end, 5)
		case immMemArg:
			p, bad = skipMemArg(b, p, end)
		case immBlockType, immHeapType:
			p, bad = skipBlockType(b, p, end)
		case immIndex2:
			if p, bad = skipLEB(b, p, end, 5); bad == "" {
				p, bad = skipLEB(b, p, end, 5)
			}
		case immF32:
			p, bad = skipBytes(p, end, 4)
		case immF64:
			p, bad = skipBytes(p, end, 8)
		case immBrTable:
			var n uint32
			if n, p, bad = readU32(b, p, end); bad == "" {
				for i := uint64(0); i <= uint64(n) && bad == ""; i++ {
					p, bad = skipLEB(b, p, end, 5)
				}
			}
		case immTypes:
			var n uint32
			if n, p, bad = readU32(b, p, end); bad == "" {
				for i := uint32(0); i < n && bad == ""; i++ {
					if p >= end {
						bad = "truncated value type"
					} else if c := b[p]; c == refNullable || c == refNonNull {
						p, bad = skipLEB(b, p+1, end, 5)
					} else {
						p++
					}
				}
			}
		case immMisc:
			var sub uint32
			if sub, p, bad = readU32(b, p, end); bad != "" {
				break
			}
			var n int // number of index immediates
			switch sub {
			case 0, 1, 2, 3, 4, 5, 6, 7: // saturating truncation
			case 8: // memory.init
				flags |= flagDropsData
				n = 2
			case 9: // data.drop
				flags |= flagDropsData
				n = 1
			case 10: // memory.copy
				n = 2
			case 11: // memory.fill
				n = 1
			case 12, 14: // table.init, table.copy
				flags |= flagMutatesTables
				n = 2
			case 13, 15, 17: // elem.drop, table.grow, table.fill
				flags |= flagMutatesTables
				n = 1
			case 16: // table.size
				n = 1
			default:
				return 0, unsupportedOpcode(off, op, sub)
			}
			for ; n > 0 && bad == ""; n-- {
				p, bad = skipLEB(b, p, end, 5)
			}
		case immSIMD:
			// The opcode is a LEB128 u32, but wazero reads it as one byte
			// (the 0x01 that ends the LEB128 of an opcode >= 0x80 is then a
			// nop). Accept exactly the encodings on which both readings
			// agree.
			if p >= end {
				bad = "truncated SIMD opcode"
				break
			}
			sub := b[p]
			p++
			if sub >= 0x80 {
				if p >= end || b[p] != 0x01 {
					return 0, fmt.Errorf("%w SIMD opcode encoding at offset %#x", errUnsupported, off)
				}
				p++
			}
			switch simdImm[sub] {
			case simdNone:
			case simdMemArg:
				p, bad = skipMemArg(b, p, end)
			case simdBytes16:
				p, bad = skipBytes(p, end, 16)
			case simdLane:
				p, bad = skipBytes(p, end, 1)
			case simdMemLane:
				if p, bad = skipMemArg(b, p, end); bad == "" {
					p, bad = skipBytes(p, end, 1)
				}
			default:
				return 0, unsupportedOpcode(off, op, uint32(sub))
			}
		default:
			return 0, unsupportedOpcode(off, 0, uint32(op))
		}
		if bad != "" {
			return 0, malformed(off, "opcode %#02x: %s in its immediate (function body ends at %#x)", op, bad, end)
		}
	}
	return flags, nil
}

func skipBytes(p, end, n int) (int, string) {
	if n > end-p {
		return 0, "truncated immediate"
	}
	return p + n, ""
}

// skipMemArg skips a memarg: an alignment whose bit 6 announces a memory
// index (multi-memory), the index, and an offset (64 bits with memory64).
func skipMemArg(b []byte, p, end int) (int, string) {
	align, p, bad := readU32(b, p, end)
	if bad != "" {
		return 0, bad
	}
	if align&0x40 != 0 {
		if p, bad = skipLEB(b, p, end, 5); bad != "" {
			return 0, bad
		}
	}
	return skipLEB(b, p, end, 10)
}

// skipBlockType skips a block type or a heap type: a signed LEB128 of at
// most 5 bytes (one byte for the empty type and the value types), followed
// by a heap type when it is a reference type prefix of typed function
// references, as wazero reads them.
func skipBlockType(b []byte, p, end int) (int, string) {
	d := decoder{b: b, p: p, end: end}
	v, err := d.s33("")
	if err != nil {
		return 0, "truncated or overlong LEB128"
	}
	if v == refNullable-0x80 || v == refNonNull-0x80 {
		if _, err := d.s33(""); err != nil {
			return 0, "truncated or overlong LEB128 heap type"
		}
	}
	return d.p, ""
}
