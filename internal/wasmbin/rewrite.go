package wasmbin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The rewrite: the copies of a module that fresco compiles instead of the
// user's binary (SnapshotModule.Binary, Module.Binary) are the input with
// some sections replaced or added, and nothing else changed. Sections are
// only ever extended at their end (a new type, function, body or export
// gets the next index, so no index in the module moves) or, for the table
// section, given other limits.

// reservedPrefix starts the names of the exports the rewrite adds; a
// module's own exports with such names are noted, since they would clash.
const reservedPrefix = "fresco:"

// span is where one section is in the binary: the offsets of its id byte,
// its content, its first entry (after the count, for the sections that are
// vectors) and its end, and its count.
type span struct {
	id                           byte
	start, content, entries, end int
	count                        uint32
}

// record notes where section id, starting at start and whose content s
// has been read, is.
func (m *Module) record(id byte, start int, s *decoder) {
	if id == sectionCustom {
		return
	}
	d := &decoder{b: m.bin, p: start + 1, end: s.end}
	_, _ = d.rawU32() // the section size, read before
	sp := span{id: id, start: start, content: d.p, entries: d.p, end: s.end}
	switch id {
	case sectionType, sectionFunction, sectionTable, sectionMemory, sectionGlobal, sectionExport, sectionCode:
		sp.count, _ = d.rawU32() // the count, read before
		sp.entries = d.p
	}
	m.sections[id] = sp
	m.present = append(m.present, sp)
}

// insertAt is where a new section id goes: before the first section that
// must come after it.
func (m *Module) insertAt(id byte) int {
	for _, s := range m.present {
		if sectionRank[s.id] > sectionRank[id] {
			return s.start
		}
	}
	return len(m.bin)
}

// addedFunc is a function the rewrite appends to the module, exported as
// name: its type (0x60, parameters, results) and its body (locals and
// instructions, without the size).
type addedFunc struct {
	name      string
	typ, body []byte
}

// edit replaces bin[start:end] (an insertion when they are equal) by b;
// rank orders the sections inserted at one offset.
type edit struct {
	start, end, rank int
	b                []byte
}

// build returns the binary with the tables' new limits (LimitTables), the
// functions funcs (and the one LimitTables adds) appended and exported,
// and the globals exported: the input itself when there is nothing to
// change.
func (m *Module) build(globals []Global, funcs []addedFunc) ([]byte, error) {
	if m.tablesFunc != nil {
		funcs = append([]addedFunc{*m.tablesFunc}, funcs...)
	}
	if m.stopChecks {
		funcs = append([]addedFunc{m.yieldFunc()}, funcs...) // the first: its index is funcBase
	}
	if len(globals) == 0 && len(funcs) == 0 && m.tableLimits == nil && !m.stopChecks {
		return m.bin, nil
	}
	for _, name := range m.reserved {
		for _, g := range globals {
			if g.Name == name {
				return nil, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
			}
		}
		for _, f := range funcs {
			if f.name == name {
				return nil, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
			}
		}
	}
	var edits []edit
	add := func(id byte, n int, existing, entries []byte) error {
		e, err := m.extend(id, n, existing, entries)
		edits = append(edits, e)
		return err
	}
	if m.tableLimits != nil {
		s := m.sections[sectionTable]
		edits = append(edits, edit{s.start, s.end, sectionRank[sectionTable], appendSection(nil, sectionTable, m.tableLimits)})
	}
	var exports []byte
	for _, g := range globals {
		exports = appendExport(exports, g.Name, 0x03, g.Index)
	}
	funcBase := uint64(m.importedFuncs) + uint64(m.sections[sectionFunction].count)
	if uint64(m.types)+uint64(len(funcs)) > 1<<32-1 || funcBase+uint64(len(funcs)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: too many types or functions", ErrUnsupported)
	}
	var code []byte         // the code section's bodies, when the stop checks change them
	var stackTypes [][]byte // and the types they add
	if m.stopChecks {
		if err := add(sectionGlobal, 3, nil, stopGlobals()); err != nil {
			return nil, err
		}
		exports = appendExport(exports, StopExport, 0x03, m.stopIndex())
		exports = appendExport(exports, FuelExport, 0x03, m.stopIndex()+1)
		exports = appendExport(exports, StackExport, 0x03, m.stopIndex()+2)
		code, stackTypes = m.checkedBodies(uint32(funcBase), m.types+uint32(len(funcs)))
	}
	var types, indexes, bodies []byte
	if len(funcs) > 0 || len(stackTypes) > 0 {
		for i, f := range funcs {
			types = append(types, f.typ...)
			indexes = AppendU32(indexes, m.types+uint32(i))
			bodies = AppendU32(bodies, uint32(len(f.body)))
			bodies = append(bodies, f.body...)
			exports = appendExport(exports, f.name, 0x00, uint32(funcBase)+uint32(i))
		}
		n := len(funcs) + len(stackTypes)
		if uint64(m.types)+uint64(n) > 1<<32-1 {
			return nil, fmt.Errorf("%w: too many types", ErrUnsupported)
		}
		for _, t := range stackTypes {
			types = append(types, t...)
		}
		if err := add(sectionType, n, nil, types); err != nil {
			return nil, err
		}
		if err := add(sectionFunction, len(funcs), nil, indexes); err != nil {
			return nil, err
		}
	}
	if len(funcs) > 0 || code != nil {
		if err := add(sectionCode, len(funcs), code, bodies); err != nil {
			return nil, err
		}
	}
	exported := len(globals) + len(funcs)
	if m.stopChecks {
		exported += 3
	}
	if err := add(sectionExport, exported, nil, exports); err != nil {
		return nil, err
	}
	return m.splice(edits), nil
}

// extend returns the edit that appends n entries to the section id (a new
// section if the module has none), after its existing entries (nil: those
// of the input). The count keeps at least its width, so that what follows
// it in the section keeps its offset from the start of the content
// (DWARF's code offsets count from there; the stop checks move them).
func (m *Module) extend(id byte, n int, existing, entries []byte) (edit, error) {
	s := m.sections[id]
	if s.start < 0 {
		at := m.insertAt(id)
		content := append(AppendU32(nil, uint32(n)), entries...)
		return edit{at, at, sectionRank[id], appendSection(nil, id, content)}, nil
	}
	count := uint64(s.count) + uint64(n)
	if count > 1<<32-1 {
		return edit{}, fmt.Errorf("%w: too many entries in the %s section", ErrUnsupported, sectionNames[id])
	}
	if existing == nil {
		existing = m.bin[s.entries:s.end]
	}
	content := appendU32Width(nil, uint32(count), s.entries-s.content)
	content = append(content, existing...)
	content = append(content, entries...)
	if uint64(len(content)) > 1<<32-1 {
		return edit{}, fmt.Errorf("%w: %s section too large", ErrUnsupported, sectionNames[id])
	}
	return edit{s.start, s.end, sectionRank[id], appendSection(nil, id, content)}, nil
}

// splice applies edits, which do not overlap, to a copy of the binary.
func (m *Module) splice(edits []edit) []byte {
	slices.SortStableFunc(edits, func(a, b edit) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.rank, b.rank))
	})
	n := len(m.bin)
	for _, e := range edits {
		n += len(e.b) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	at := 0
	for _, e := range edits {
		out = append(out, m.bin[at:e.start]...)
		out = append(out, e.b...)
		at = e.end
	}
	return append(out, m.bin[at:]...)
}

// appendSection appends a section: its id, its size and its content.
func appendSection(b []byte, id byte, content []byte) []byte {
	b = append(b, id)
	b = AppendU32(b, uint32(len(content)))
	return append(b, content...)
}

// appendExport appends an export entry: its name, kind and index.
func appendExport(b []byte, name string, kind byte, index uint32) []byte {
	b = AppendU32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, kind)
	return AppendU32(b, index)
}

// appendU32Width appends v as an unsigned LEB128 of at least width bytes
// (at most 5), padded with continuation bytes.
func appendU32Width(b []byte, v uint32, width int) []byte {
	for i := 1; i < width || v >= 0x80; i++ {
		if i == 5 {
			break
		}
		b = append(b, byte(v&0x7F)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Binary returns the binary fresco compiles when the module is not
// snapshotted: the input with the tables' limits of LimitTables, or the
// input itself when it changed nothing.
func (m *Module) Binary() ([]byte, error) { return m.build(nil, nil) }

// TablesExport names the function LimitTables adds to a module that may
// grow its tables: () -> i32, the number of entries in all of them.
const TablesExport = reservedPrefix + "tables"

// Tables returns the sum of the minimum sizes of the tables m defines, and
// whether its binaries export TablesExport (LimitTables added it: the
// tables may grow).
func (m *Module) Tables() (minEntries uint64, exported bool) {
	for _, t := range m.tables {
		minEntries += t.min
	}
	return minEntries, m.tablesFunc != nil
}

// mayGrowTables reports whether code may run table.grow: the scan found
// one, or did not read every body.
func (m *Module) mayGrowTables() bool {
	return m.flags&flagGrowsTables != 0 || m.snapErr != nil
}

// LimitTables bounds the tables m defines to max entries in all. It errors
// when their minimums alone exceed max. When code may grow them, it gives
// every table a maximum (or lowers the one it declares) so that their
// maxima add up to at most max, and adds TablesExport, in the binaries m
// returns afterwards: table.grow past a maximum returns -1 at once, as the
// specification says, instead of allocating in the host.
//
// The spare entries (max minus the minimums) are shared out evenly,
// a table declaring less than its share leaving the rest to the others.
// A module wazero will reject anyway (its sections out of order, a
// maximum below the minimum, shared or 64-bit tables) is left as it is.
func (m *Module) LimitTables(max uint64) error {
	max = min(max, 1<<32-2) // wazero's bound: table.grow fails at 2^32-1
	minEntries, _ := m.Tables()
	if minEntries > max {
		return fmt.Errorf("its tables have at least %d entries, more than the %d its memory size allows", minEntries, max)
	}
	if len(m.tables) == 0 || !m.mayGrowTables() || m.misordered {
		return nil
	}
	for _, t := range m.tables {
		if t.flags > 1 || t.flags == 1 && t.max < t.min {
			return nil
		}
	}
	if slices.Contains(m.reserved, TablesExport) {
		return fmt.Errorf("it exports %q, a name fresco reserves", TablesExport)
	}
	maxima := shareEntries(m.tables, max-minEntries)
	s := m.sections[sectionTable]
	var content []byte
	at, changed := s.content, false
	for i, t := range m.tables {
		if t.flags == 1 && t.max <= maxima[i] {
			continue
		}
		changed = true
		content = append(content, m.bin[at:t.off]...)
		content = append(content, 0x01)
		content = AppendU32(content, uint32(t.min))
		content = AppendU32(content, uint32(maxima[i]))
		at = t.end
	}
	if changed {
		m.tableLimits = append(content, m.bin[at:s.end]...)
	}
	body := []byte{0x00, 0x41, 0x00} // no locals; i32.const 0
	for i := range m.tables {
		body = append(body, 0xFC, 16) // table.size
		body = AppendU32(body, m.importedTables+uint32(i))
		body = append(body, 0x6A) // i32.add
	}
	m.tablesFunc = &addedFunc{name: TablesExport, typ: []byte{0x60, 0x00, 0x01, valI32}, body: append(body, 0x0B)}
	return nil
}

// shareEntries returns each table's maximum: its minimum plus its share of
// spare entries, and no more than it declares. Tables with the least room
// (their declared maximum minus their minimum) are served first, each
// taking at most an even share of what is left.
func shareEntries(tables []limitsType, spare uint64) []uint64 {
	room := func(t limitsType) uint64 {
		if t.flags&1 == 0 {
			return 1<<64 - 1
		}
		return t.max - t.min
	}
	order := make([]int, len(tables))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(room(tables[a]), room(tables[b])) })
	maxima := make([]uint64, len(tables))
	for k, i := range order {
		give := min(room(tables[i]), spare/uint64(len(order)-k))
		maxima[i] = tables[i].min + give
		spare -= give
	}
	return maxima
}

// isReserved reports whether an export name is one the rewrite may add.
func isReserved(name []byte) bool { return strings.HasPrefix(string(name), reservedPrefix) }
