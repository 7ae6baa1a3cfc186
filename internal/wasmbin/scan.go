package wasmbin

import (
	"errors"
	"fmt"
)

// The instruction scanner of the snapshot path: it decodes every
// instruction of a function body and reports the ones whose effects an
// instance reset could not undo. Immediates are classified by a table per
// opcode space (opImm, miscImm, simdImm) and skipped by one helper per
// class; an immediate that runs past the body is malformed, an opcode
// outside WebAssembly 2.0 is ErrUnsupported.

// Flags that scanInstructions reports.
const (
	flagMutatesTables = 1 << iota
	flagDropsData
	flagGrowsTables // table.grow, which also mutates a table
)

// What else can be wrong with an immediate (see also decoder.go).
var (
	errTruncatedValType   = errors.New("truncated value type")
	errTruncatedSIMD      = errors.New("truncated SIMD opcode")
	errBadBlockType       = errors.New("truncated or overlong LEB128")
	errBadBlockTypeHeap   = errors.New("truncated or overlong LEB128 heap type")
	errUnsupportedOpcode  = fmt.Errorf("%w opcode", ErrUnsupported)
	errUnsupportedEncoded = fmt.Errorf("%w SIMD opcode encoding", ErrUnsupported)
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

// miscOp is what a 0xFC opcode does to the flags, and how many index
// immediates it has.
type miscOp struct {
	flags   uint8
	indexes int
}

// miscImm gives the 0xFC opcodes of WebAssembly 2.0; past its end: not an
// opcode.
var miscImm = [...]miscOp{
	0: {}, 1: {}, 2: {}, 3: {}, 4: {}, 5: {}, 6: {}, 7: {}, // saturating truncation
	8:  {flagDropsData, 2},                       // memory.init
	9:  {flagDropsData, 1},                       // data.drop
	10: {0, 2},                                   // memory.copy
	11: {0, 1},                                   // memory.fill
	12: {flagMutatesTables, 2},                   // table.init
	13: {flagMutatesTables, 1},                   // elem.drop
	14: {flagMutatesTables, 2},                   // table.copy
	15: {flagMutatesTables | flagGrowsTables, 1}, // table.grow
	16: {0, 1},                                   // table.size
	17: {flagMutatesTables, 1},                   // table.fill
}

// scanInstructions decodes the instructions of the function body d, and
// reports which of the flags apply to it. It errors on an immediate that
// runs past the body and on opcodes outside WebAssembly 2.0.
//
// It also notes, for the stop checks (stop.go), where each loop's body
// starts, and refuses a global.get or global.set of a global the module
// does not have: the rewrite adds one, which such an instruction of an
// invalid module would otherwise reach.
func (m *Module) scanInstructions(d *decoder) (flags uint8, err error) {
	globals := uint64(m.importedGlobals) + uint64(m.sections[sectionGlobal].count)
	body := &m.bodies[len(m.bodies)-1]
	straight := true   // no branch or call yet: the first loop's check covers the entry
	depth := uint32(0) // blocks open, the body's own not counted
	for d.p < d.end {
		off := d.p
		op := d.b[d.p]
		d.p++
		if op == opGlobalGet || op == opGlobalSet {
			i, err := d.rawU32()
			if err != nil {
				return 0, opcodeError(off, op, d.end, err)
			}
			if uint64(i) >= globals {
				return 0, malformed(off, "global index %d out of range (the module has %d globals)", i, globals)
			}
			continue
		}
		f, err := scanImmediate(d, op)
		if err != nil {
			return 0, opcodeError(off, op, d.end, err)
		}
		switch op {
		case opLoop:
			m.loops = append(m.loops, d.p)
			if straight && !body.entryCovered {
				body.entryCovered = true
			}
			depth++
		case opBlock, opIf:
			depth++
		case opEnd:
			depth-- // the body's own end wraps around, harmlessly: it is the last
		case opReturn:
			m.returns = append(m.returns, returnSite{off, depth})
		case opCall, opCallIndirect:
			body.calls = true
		}
		if divertsFlow(op) {
			straight = false
		}
		flags |= f
	}
	return flags, nil
}

// divertsFlow reports whether op may make the code after it run other
// than next: a call, a branch, a return, the end of a block, or an if.
func divertsFlow(op byte) bool {
	switch op {
	case 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13:
		return true
	}
	return false
}

// Opcodes the scanner looks at.
const (
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opEnd          = 0x0B
	opBr           = 0x0C
	opReturn       = 0x0F
	opCall         = 0x10
	opCallIndirect = 0x11
	opLocalGet     = 0x20
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
)

// opcodeError places the error about the instruction at off.
func opcodeError(off int, op byte, end int, err error) error {
	var u *unsupportedOp
	switch {
	case errors.As(err, &u) && u.prefix == 0:
		return fmt.Errorf("%w %#02x at offset %#x", errUnsupportedOpcode, u.op, off)
	case errors.As(err, &u):
		return fmt.Errorf("%w %#02x %d at offset %#x", errUnsupportedOpcode, u.prefix, u.op, off)
	case errors.Is(err, errUnsupportedEncoded):
		return fmt.Errorf("%w at offset %#x", errUnsupportedEncoded, off)
	}
	return malformed(off, "opcode %#02x: %v in its immediate (function body ends at %#x)", op, err, end)
}

// unsupportedOp is an opcode outside WebAssembly 2.0; prefix is zero for a
// one-byte opcode.
type unsupportedOp struct {
	prefix byte
	op     uint32
}

func (u *unsupportedOp) Error() string { return fmt.Sprintf("opcode %#02x %d", u.prefix, u.op) }

// scanImmediate skips the immediates of op, whose byte d has just read,
// and returns the flags it sets.
func scanImmediate(d *decoder, op byte) (uint8, error) {
	switch opImm[op] {
	case immNone:
		return 0, nil
	case immIndex, immI32:
		return 0, d.rawLEB(5)
	case immI64:
		return 0, d.rawLEB(10)
	case immTableSet:
		return flagMutatesTables, d.rawLEB(5)
	case immMemArg:
		return 0, d.memArg()
	case immBlockType, immHeapType:
		return 0, d.blockType()
	case immIndex2:
		if err := d.rawLEB(5); err != nil {
			return 0, err
		}
		return 0, d.rawLEB(5)
	case immF32:
		return 0, d.rawBytes(4)
	case immF64:
		return 0, d.rawBytes(8)
	case immBrTable:
		return 0, d.brTable()
	case immTypes:
		return 0, d.selectTypes()
	case immMisc:
		return d.misc()
	case immSIMD:
		return 0, d.simd()
	}
	return 0, &unsupportedOp{op: uint32(op)}
}

// brTable skips the labels of br_table: a vector, then the default.
func (d *decoder) brTable() error {
	n, err := d.rawU32()
	if err != nil {
		return err
	}
	for i := uint64(0); i <= uint64(n); i++ {
		if err := d.rawLEB(5); err != nil {
			return err
		}
	}
	return nil
}

// selectTypes skips the value types of select t*.
func (d *decoder) selectTypes() error {
	n, err := d.rawU32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if d.p >= d.end {
			return errTruncatedValType
		}
		c := d.b[d.p]
		d.p++
		if c == refNullable || c == refNonNull {
			if err := d.rawLEB(5); err != nil {
				return err
			}
		}
	}
	return nil
}

// misc skips a 0xFC instruction after its prefix.
func (d *decoder) misc() (uint8, error) {
	sub, err := d.rawU32()
	if err != nil {
		return 0, err
	}
	if uint64(sub) >= uint64(len(miscImm)) {
		return 0, &unsupportedOp{prefix: 0xFC, op: sub}
	}
	m := miscImm[sub]
	for range m.indexes {
		if err := d.rawLEB(5); err != nil {
			return 0, err
		}
	}
	return m.flags, nil
}

// simd skips a 0xFD instruction after its prefix. The opcode is a LEB128
// u32, but wazero reads it as one byte (the 0x01 that ends the LEB128 of
// an opcode >= 0x80 is then a nop): only the encodings on which both
// readings agree are accepted.
func (d *decoder) simd() error {
	if d.p >= d.end {
		return errTruncatedSIMD
	}
	sub := d.b[d.p]
	d.p++
	if sub >= 0x80 {
		if d.p >= d.end || d.b[d.p] != 0x01 {
			return errUnsupportedEncoded
		}
		d.p++
	}
	switch simdImm[sub] {
	case simdNone:
		return nil
	case simdMemArg:
		return d.memArg()
	case simdBytes16:
		return d.rawBytes(16)
	case simdLane:
		return d.rawBytes(1)
	case simdMemLane:
		if err := d.memArg(); err != nil {
			return err
		}
		return d.rawBytes(1)
	}
	return &unsupportedOp{prefix: 0xFD, op: uint32(sub)}
}

// memArg skips a memarg: an alignment whose bit 6 announces a memory index
// (multi-memory), the index, and an offset (64 bits with memory64).
func (d *decoder) memArg() error {
	align, err := d.rawU32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 {
		if err := d.rawLEB(5); err != nil {
			return err
		}
	}
	return d.rawLEB(10)
}

// blockType skips a block type or a heap type: a signed LEB128 of at most
// 5 bytes (one byte for the empty type and the value types), followed by a
// heap type when it is a reference type prefix of typed function
// references, as wazero reads them.
func (d *decoder) blockType() error {
	v, err := d.s33("")
	if err != nil {
		return errBadBlockType
	}
	if v == refNullable-0x80 || v == refNonNull-0x80 {
		if _, err := d.s33(""); err != nil {
			return errBadBlockTypeHeap
		}
	}
	return nil
}
