package wasmbin

import (
	"fmt"
	"slices"
)

// The stop checks: how the host stops a guest at its deadline without
// wazero's WithCloseOnContextDone, which calls out of the guest's native
// code into Go at every loop header (for a Go guest, two thirds of its
// time: ../shared/PERF-NOTES.md, section 4). The rewrite adds two
// globals, $stop (0 at instantiation, exported as StopExport) and $fuel
// (exported as FuelExport), a function $yield, and at the start of every
// function body and of every loop's body
//
//	global.get $fuel  i32.const 1  i32.sub  global.set $fuel
//	global.get $fuel  i32.const 1  i32.lt_s
//	if  call $yield  end
//
// a load, a store and a branch. Every Fuel checks the guest calls $yield,
// which traps (unreachable) if $stop is set, and otherwise refuels and
// grows the memory by 0 pages: a no-op for the guest, but a call out of
// native code into wazero's Go code, where the Go scheduler can preempt
// the goroutine. The host (wasmhost/stop.go) listens to $yield: on entry
// it reads the clock and the caller's context, and sets $stop to 1 (and
// $fuel to 0) when the guest's time is up, so that $yield traps at once.
// A body skips the entry check when its first loop comes before any call
// or branch (bodySpan.entryCovered). Code without calls or loops runs a
// bounded number of instructions, so every running guest reaches $yield
// within Fuel checks. (Bulk memory and table instructions are bounded by
// the memory and table limits; host calls end at the deadline themselves.)
// The same rewrite counts the call stack (stack.go).

// Export names of the globals AddStopChecks adds.
const (
	StopExport  = reservedPrefix + "stop"
	FuelExport  = reservedPrefix + "fuel"
	YieldExport = reservedPrefix + "yield"
)

// Fuel is the number of checks between two calls of $yield.
const Fuel = 1 << 14

// bodySpan is where a function body is in the binary: its content (after
// its size), its instructions (after its locals) and its end.
// entryCovered: the body reaches its first loop without a branch or a call
// (as every function the Go compiler emits does), so the check at that
// loop's start serves as the entry's.
// typ is the function's type index (noType when the module names none
// that exists: wazero rejects it), weight its frame's estimate (stack.go),
// locals its parameters and locals, calls whether it calls any function.
type bodySpan struct {
	content, instr, end int
	entryCovered        bool
	calls               bool
	typ, weight, locals uint32
}

// AddStopChecks makes the binaries m returns afterwards (Binary,
// SnapshotModule) carry the stop checks. It errors when the scanner could
// not read every function body, the module has no memory of its own for
// $yield to grow, or it uses the exports' names: the host then has to
// stop the guest another way.
func (m *Module) AddStopChecks() error {
	if m.snapErr != nil {
		return fmt.Errorf("cannot add stop checks: %w", m.snapErr)
	}
	if m.importsMemory || m.sections[sectionMemory].count == 0 {
		return fmt.Errorf("%w: the module defines no memory", ErrUnsupported)
	}
	for _, name := range []string{StopExport, FuelExport, YieldExport, StackExport} {
		if slices.Contains(m.reserved, name) {
			return fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
		}
	}
	if uint64(m.importedGlobals)+uint64(m.sections[sectionGlobal].count)+3 > 1<<32-1 {
		return fmt.Errorf("%w: too many globals", ErrUnsupported)
	}
	for _, b := range m.bodies {
		if b.calls && b.typ == noType {
			return fmt.Errorf("%w: a function of an unknown type", ErrUnsupported)
		}
	}
	m.stopChecks = true
	return nil
}

// stopIndex is the index of $stop; $fuel and $stack follow it.
func (m *Module) stopIndex() uint32 {
	return m.importedGlobals + m.sections[sectionGlobal].count
}

// stopGlobals returns the entries of the global section for $stop, $fuel
// and $stack: mutable i32s, initialised to 0, Fuel and StackBudget.
func stopGlobals() []byte {
	b := []byte{valI32, 0x01, 0x41, 0x00, 0x0B, valI32, 0x01, 0x41}
	b = appendS32(b, Fuel)
	b = append(b, 0x0B, valI32, 0x01, 0x41)
	b = appendS32(b, StackBudget)
	return append(b, 0x0B)
}

// yieldFunc is $yield.
func (m *Module) yieldFunc() addedFunc {
	stop, fuel := m.stopIndex(), m.stopIndex()+1
	b := []byte{0x00, opGlobalGet} // no locals
	b = AppendU32(b, stop)
	b = append(b, 0x04, 0x40, 0x00, 0x0B)             // if unreachable end
	b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1A, 0x41) // memory.grow 0, drop; i32.const
	b = appendS32(b, Fuel)
	b = append(b, opGlobalSet)
	b = AppendU32(b, fuel)
	return addedFunc{name: YieldExport, typ: []byte{0x60, 0x00, 0x00}, body: append(b, 0x0B)}
}

// checkedBodies returns the entries of the code section, each function
// body with the stop checks and the stack count (stack.go) inserted (and
// its size adjusted); yield is the index of $yield, and the types the
// stack count needs are numbered from typeBase and returned.
func (m *Module) checkedBodies(yield, typeBase uint32) (code []byte, types [][]byte) {
	fuel := m.stopIndex() + 1
	var check []byte
	check = AppendU32(append(check, opGlobalGet), fuel)
	check = append(check, 0x41, 0x01, 0x6B) // i32.const 1, i32.sub
	check = AppendU32(append(check, opGlobalSet), fuel)
	check = AppendU32(append(check, opGlobalGet), fuel)
	check = append(check, 0x41, 0x01, 0x48, 0x04, 0x40, 0x10) // i32.const 1, i32.lt_s, if, call
	check = append(AppendU32(check, yield), 0x0B)
	s := m.sections[sectionCode]
	out := make([]byte, 0, s.end-s.entries+(len(m.bodies)+len(m.loops))*len(check))
	loops, returns := m.loops, m.returns
	st := stackCount{m: m, typeBase: typeBase}
	var body []byte
	for _, b := range m.bodies {
		b.calls = b.calls && !m.noStackCount
		if b.calls {
			body = st.enter(body[:0], b)
		} else {
			body = append(body[:0], m.bin[b.content:b.instr]...)
		}
		if !b.entryCovered {
			body = append(body, check...)
		}
		at := b.instr
		for {
			loop := len(loops) > 0 && loops[0] <= b.end
			ret := len(returns) > 0 && returns[0].off < b.end
			if !loop && !ret {
				break
			}
			if ret && (!loop || returns[0].off < loops[0]) {
				body = append(body, m.bin[at:returns[0].off]...)
				at = returns[0].off
				if b.calls { // return, to the count's block: br to it
					body = AppendU32(append(body, opBr), returns[0].depth)
					at++
				}
				returns = returns[1:]
				continue
			}
			body = append(body, m.bin[at:loops[0]]...)
			body = append(body, check...)
			at = loops[0]
			loops = loops[1:]
		}
		body = append(body, m.bin[at:b.end]...)
		if b.calls {
			body = st.leave(body, b)
		}
		out = AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, st.types
}

// appendS32 appends v as a signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
