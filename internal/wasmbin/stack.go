package wasmbin

import "bytes"

// The stack count: how fresco bounds the host memory a guest's call stack
// takes. wazero keeps an instance's call stack in the host's heap and
// grows it, by doubling, up to a ceiling of its own (~100 MB, whatever
// the function's memory size), which a module recursing without touching
// its memory reaches in a fraction of a second; the grown stack then stays
// with the instance. The rewrite that adds the stop checks also adds a
// global $stack (exported as StackExport), the bytes of stack the guest
// may still use, and to every function that calls another (a function
// that calls none adds one frame at most) a local $s and
//
//	global.get $stack  local.tee $s  i32.const w  i32.lt_u
//	if  i32.const -1  global.set $stack  unreachable  end
//	local.get $s  i32.const w  i32.sub  global.set $stack
//	block (result ...)   ;; the body; its returns now branch out of here
//	  ...
//	end
//	global.get $stack  i32.const w  i32.add  global.set $stack
//
// where w is an estimate of the function's frame (frameWeight). The host
// sets $stack to the function's memory size when it makes an instance;
// a call below the limit costs two loads, two stores and a branch, and
// one past it traps, leaving $stack at -1. $s lives only in the entry:
// keeping it to the exit (one load less) made a Go program 20-30% slower
// in BenchmarkStopChecks, a value live across a whole Go function's
// dispatch loop being costly to wazero's register allocator. The host reads $stack when the
// guest yields and when it returns, to count the stack in the memory an
// invocation uses (and against the memory size, with the linear memory)
// and to discard an instance whose stack grew.

// StackExport names the global of the stack count.
const StackExport = reservedPrefix + "stack"

// StackBudget is $stack's value in the binary: the largest it can hold.
// The host lowers it to the function's memory size.
const StackBudget = 1<<31 - 1

// noType marks a body whose function names no type the module has.
const noType = ^uint32(0)

// frameWeight estimates the bytes a call of a function with params
// parameters and locals locals takes on wazero's stack, as fresco
// compiles it (with the stop checks and the count, whose code needs a
// frame of its own): 56, and a slot for each parameter and local (wazero
// spills the values live across a call); at most 64 KB. Measured on
// wazero v1.12's amd64 compiler by the depth at which its own ceiling
// stops a recursion: 55 bytes for no parameter and no local or for one
// parameter, 102 for eight parameters, 118 for one parameter and eight
// i64 locals live across the call (the estimates: 56, 64, 120, 128).
func frameWeight(params, locals uint64) uint32 {
	return uint32(min(56+8*(params+locals), 64<<10))
}

// stackCount writes the stack count's code into function bodies.
type stackCount struct {
	m *Module
	// typeBase is the index of the first type the count adds (types): a
	// block type () -> results, for functions with several results.
	typeBase uint32
	types    [][]byte
}

// enter appends the body's local declarations with $s added, the count's
// entry, and the opening of the body's block.
func (s *stackCount) enter(body []byte, b bodySpan) []byte {
	d := &decoder{b: s.m.bin, p: b.content, end: b.instr}
	decls, _ := d.rawU32() // read by the preflight
	body = AppendU32(body, decls+1)
	body = append(body, s.m.bin[d.p:b.instr]...)
	body = append(body, 0x01, valI32)
	g := s.m.stopIndex() + 2
	body = AppendU32(append(body, opGlobalGet), g)
	body = AppendU32(append(body, opLocalTee), b.locals)
	body = appendS32(append(body, 0x41), int32(b.weight))
	body = append(body, 0x49, 0x04, 0x40, 0x41, 0x7F) // i32.lt_u, if, i32.const -1
	body = AppendU32(append(body, opGlobalSet), g)
	body = append(body, 0x00, opEnd) // unreachable, end
	body = AppendU32(append(body, opLocalGet), b.locals)
	body = appendS32(append(body, 0x41), int32(b.weight))
	body = append(body, 0x6B) // i32.sub
	body = AppendU32(append(body, opGlobalSet), g)
	return append(append(body, opBlock), s.blockType(b.typ)...)
}

// leave closes the body's block (body ends with the end that closed the
// function, which now closes the block), gives the frame back and ends
// the function.
func (s *stackCount) leave(body []byte, b bodySpan) []byte {
	g := s.m.stopIndex() + 2
	body = AppendU32(append(body, opGlobalGet), g)
	body = appendS32(append(body, 0x41), int32(b.weight))
	body = append(body, 0x6A) // i32.add
	body = AppendU32(append(body, opGlobalSet), g)
	return append(body, opEnd)
}

// blockType is the block type of a body of function type typ: its
// results, as the empty type, one value type, or the index of a type
// without parameters and with those results (added once per list).
func (s *stackCount) blockType(typ uint32) []byte {
	r := s.m.typeResults[typ]
	results := s.m.bin[r[0]:r[1]] // a vector: its count, then the types
	d := &decoder{b: results, end: len(results)}
	n, _ := d.rawU32()
	switch n {
	case 0:
		return []byte{0x40}
	case 1:
		return results[d.p:] // one value type: its encoding is the block type
	}
	t := append([]byte{0x60, 0x00}, results...)
	for i, have := range s.types {
		if bytes.Equal(have, t) {
			return appendS32(nil, int32(s.typeBase)+int32(i))
		}
	}
	s.types = append(s.types, t)
	return appendS32(nil, int32(s.typeBase)+int32(len(s.types)-1))
}

// returnSite is a return in a body: its offset in bin, and how many
// blocks are open around it (the label of the count's block, which
// replaces the function's).
type returnSite struct {
	off   int
	depth uint32
}
