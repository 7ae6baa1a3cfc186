package wasmhost

// preflight checks a user's module before wazero sees it.
//
// wazero v1.12's decoder sizes slices and maps by the counts and lengths a
// binary declares, before it reads the items, and without comparing them
// with the bytes that remain: a 15-byte module that declares 2^32-1 imports
// makes CompileModule ask for ~481 GB, and the process dies of "fatal
// error: out of memory", which no recover catches. It also reads from one
// reader over the whole binary, not one bounded by the section.
//
// The allocations of github.com/tetratelabs/wazero@v1.12.0/
// internal/wasm/binary sized by the input, and what bounds each here:
//
//	decoder.go   (DecodeModule) make([]byte, 4) for magic and version: constant.
//	             Section size: not an allocation, but every length below is
//	             read from the whole binary; preflight requires each section
//	             to fit the module and every item to fit its section.
//	custom.go    decodeCustomSection: make([]byte, limit), limit = section size
//	             minus the name's (DWARF is on by default, so every custom
//	             section is copied): section size <= bytes left in the module.
//	value.go     decodeUTF8: make([]byte, size) for every name (import module
//	             and name, export name, custom section name, name section
//	             names): size <= bytes left in the section / subsection.
//	value.go     decodeValueTypes: make([]ValueType, 0, num) for a function
//	             type's params and results: num <= bytes left in the type
//	             section (1 byte a type); decodeGlobalType's num is 1.
//	section.go   decodeTypeSection, and its rec groups (0x4e): append only,
//	             but their counts are bounded like the others all the same.
//	section.go   decodeImportSection: make([]Import, vs): 4 bytes an import.
//	section.go   decodeFunctionSection: make([]uint32, vs): 1 byte an index.
//	section.go   decodeTableSection: make([]Table, vs): 3 bytes a table.
//	section.go   decodeMemorySection: no allocation by count (at most 1).
//	section.go   decodeGlobalSection: make([]Global, vs): 3 bytes a global.
//	section.go   decodeExportSection: make(map[string]*Export, vs) and
//	             make([]Export, vs): 3 bytes an export.
//	section.go   decodeElementSection: make([]ElementSegment, vs): 3 bytes a
//	             segment.
//	element.go   decodeElementInitValueVector, decodeElementConstExprVector:
//	             make([]ConstantExpression, vs): 1 byte a function index or
//	             a constant expression (its end).
//	section.go   decodeCodeSection: make([]Code, vs): 2 bytes a body.
//	code.go      decodeCode: make([]ValueType, 0, sum) for the sum of a body's
//	             local counts: sum <= maxFunctionLocals (wazero allows 2^32-1);
//	             the local declarations must fit the body (2 bytes each), so
//	             make([]byte, remaining) for the body is within the section
//	             (and never negative: wazero subtracts a reference local's
//	             heap type from remaining without checking it). 50,000
//	             locals take 3 bytes to declare, so the module's total is
//	             bounded too: parameters (locals too, once a function is
//	             compiled; one type can serve any number of functions) and
//	             locals of all defined functions <= maxFunctionLocals +
//	             localsPerCodeByte × code section size.
//	const_expr.go decodeConstantExpression: make([]byte, 4/8/16) constant;
//	             make([]byte, n) for the n bytes just read.
//	section.go   decodeDataSection: make([]DataSegment, vs): 2 bytes a segment.
//	data.go      decodeDataSegment: make([]byte, vs): vs <= bytes left.
//	section.go   decodeTagSection: make([]Tag, vs): 2 bytes a tag.
//	section.go   decodeDataCountSection: no allocation; the count must still
//	             be plausible (2 bytes a data segment in the rest of the module).
//	names.go     decodeNameSection: subsection sizes must fit the section and
//	             each known subsection must end where it says (wazero decodes
//	             its content without bounding it by the size); module name:
//	             decodeUTF8; decodeFunctionNames: make(NameMap, count): 2 bytes
//	             an entry; decodeLocalNames: make(IndirectNameMap, count) and,
//	             per function, make(NameMap, localCount): 2 bytes an entry.
//
// Checking a count against the bytes left only gives the clear error:
// preflight parses every item as wazero does (or rejects it), so that the
// positions at which wazero reads its counts are those checked here, and
// what wazero allocates is linear in the module's size.
//
// Beyond the decoder, instantiation (Load's trial instantiation) allocates
// each defined table's minimum size, up to 2^27 entries of 8 bytes per
// table, with as many tables as the module likes: preflight bounds their
// sum by maxTableEntries.
//
// Function bodies are skipped but for their local declarations, so that
// preflight costs little next to the compile.

import "fmt"

const (
	// maxFunctionLocals bounds the locals a function body declares: the
	// limit of browsers' engines (V8, SpiderMonkey, JavaScriptCore).
	maxFunctionLocals = 50000
	// localsPerCodeByte bounds, with maxFunctionLocals, the parameters
	// and locals of all the functions a module defines (wazero allocates
	// 8 bytes a local for each body, and more per parameter and local to
	// compile it): at most maxFunctionLocals + localsPerCodeByte × the size
	// of the code section. samples/hello has 0.004 locals a byte.
	localsPerCodeByte = 2
	// maxTableEntries bounds the sum of the minimum sizes of the tables a
	// module defines: V8's limit for one table's initial size.
	maxTableEntries = 10_000_000
)

// sectionNames names the sections in errors.
var sectionNames = [...]string{
	0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
	7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag",
}

// preflight checks that no count or length declared by bin makes wazero
// v1.12's decoder allocate more than its honest share (see above), and
// returns an error naming the first one that does and its offset. It does
// not validate the module; wazero does that next.
func preflight(bin []byte) error {
	if len(bin) < 8 || string(bin[:4]) != "\x00asm" {
		return malformed(0, "no \\0asm magic number")
	}
	if string(bin[4:8]) != "\x01\x00\x00\x00" {
		return malformed(4, "version %x is not 1", bin[4:8])
	}
	p := &preflighter{}
	d := &decoder{b: bin, p: 8, end: len(bin)}
	for d.p < d.end {
		start := d.p
		id, _ := d.u8("section id")
		size, err := d.u32("section size")
		if err != nil {
			return err
		}
		if int(id) >= len(sectionNames) {
			return malformed(start, "unknown section id %d", id)
		}
		name := sectionNames[id] + " section"
		if uint64(size) > uint64(d.end-d.p) {
			return malformed(start, "%s declares %d bytes but only %d remain in the module", name, size, d.end-d.p)
		}
		s := &decoder{b: bin, p: d.p, end: d.p + int(size)}
		d.p = s.end
		if err := p.section(s, id, name); err != nil {
			return err
		}
		if s.p != s.end {
			return malformed(s.p, "%s has %d bytes after its content", name, s.end-s.p)
		}
	}
	return nil
}

// preflighter holds what preflight learns from one section for the next.
type preflighter struct {
	importedFuncs uint64
	tableEntries  uint64
	typeParams    []uint32 // parameter count of each type
	// params is the sum of the parameter counts of the functions the
	// module defines, locals the locals their bodies declare so far, and
	// localsBudget the bound of their sum.
	params, locals, localsBudget uint64
}

func (p *preflighter) section(s *decoder, id byte, name string) error {
	switch id {
	case 0:
		return p.custom(s)
	case 1:
		return s.vector("types", name, 2, func(uint32) error {
			if s.p < s.end && s.b[s.p] == 0x4e { // rec group
				s.p++
				return s.vector("types in a rec group", name, 3, func(uint32) error { return p.funcType(s, name) })
			}
			return p.funcType(s, name)
		})
	case 2:
		return s.vector("imports", name, 4, func(uint32) error { return p.importEntry(s) })
	case 3:
		return s.vector("functions", name, 1, func(uint32) error {
			t, err := s.u32("function type index")
			if err == nil && uint64(t) < uint64(len(p.typeParams)) { // else wazero rejects the module
				p.params += uint64(p.typeParams[t])
			}
			return err
		})
	case 4:
		return s.vector("tables", name, 3, func(i uint32) error {
			off := s.p
			min, err := s.tableType()
			if err != nil {
				return err
			}
			if min > maxTableEntries || p.tableEntries+min > maxTableEntries {
				return malformed(off, "table %d of %d entries makes %d in the tables of the module (limit %d)",
					i, min, min+p.tableEntries, maxTableEntries)
			}
			p.tableEntries += min
			return nil
		})
	case 5:
		return s.vector("memories", name, 2, func(uint32) error {
			_, err := s.limits()
			return err
		})
	case 6:
		return s.vector("globals", name, 3, func(uint32) error {
			if _, err := s.valType("global type"); err != nil {
				return err
			}
			if _, err := s.u8("global mutability"); err != nil {
				return err
			}
			return s.constExpr("global initialiser")
		})
	case 7:
		n, err := s.count("exports", name, 3)
		if err != nil {
			return err
		}
		_, err = s.exports(n)
		return err
	case 8:
		_, err := s.u32("start function index")
		return err
	case 9:
		return s.vector("element segments", name, 3, func(i uint32) error { return s.elementSegment(i, name) })
	case 10:
		p.localsBudget = maxFunctionLocals + localsPerCodeByte*uint64(s.end-s.p)
		return s.vector("function bodies", name, 2, func(i uint32) error { return p.body(s, i) })
	case 11:
		return s.vector("data segments", name, 2, func(i uint32) error { return s.dataSegment(i, name) })
	case 12:
		off := s.p
		n, err := s.u32("data count")
		if err != nil {
			return err
		}
		if rest := len(s.b) - s.end; uint64(n)*2 > uint64(rest) {
			return malformed(off, "declares %d data segments but only %d bytes remain in the module", n, rest)
		}
		return nil
	case 13:
		return s.vector("tags", name, 2, func(uint32) error {
			if _, err := s.u8("tag attribute"); err != nil {
				return err
			}
			_, err := s.u32("tag type index")
			return err
		})
	}
	return nil
}

// count reads the count of a vector of what, whose items take at least
// size bytes each, and checks that they can fit in what remains of d, the
// content of where.
func (d *decoder) count(what, where string, size int) (uint32, error) {
	off := d.p
	n, p, bad := readU32(d.b, d.p, d.end)
	if bad != "" {
		return 0, malformed(off, "%s in the count of %s", bad, what)
	}
	d.p = p
	if left := d.end - d.p; uint64(n)*uint64(size) > uint64(left) {
		each := ""
		if size > 1 {
			each = fmt.Sprintf(", and each takes at least %d", size)
		}
		return 0, malformed(off, "declares %d %s but only %d bytes remain in the %s%s", n, what, left, where, each)
	}
	return n, nil
}

// vector reads a vector of what (see count), calling item for each.
func (d *decoder) vector(what, where string, size int, item func(i uint32) error) error {
	n, err := d.count(what, where, size)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := item(i); err != nil {
			return err
		}
	}
	return nil
}

// name reads a name (a length and the bytes) in where.
func (d *decoder) name(what, where string) ([]byte, error) {
	off := d.p
	l, p, bad := readU32(d.b, d.p, d.end)
	if bad != "" {
		return nil, malformed(off, "%s in the length of the %s", bad, what)
	}
	d.p = p
	if left := d.end - d.p; uint64(l) > uint64(left) {
		return nil, malformed(off, "%s of %d bytes, but only %d bytes remain in the %s", what, l, left, where)
	}
	d.p += int(l)
	return d.b[d.p-int(l) : d.p], nil
}

// funcType reads a function type: 0x60, then vectors of parameter and
// result types.
func (p *preflighter) funcType(d *decoder, where string) error {
	off := d.p
	c, err := d.u8("function type")
	if err != nil {
		return err
	}
	if c != 0x60 {
		return malformed(off, "function type starts with %#02x, not 0x60", c)
	}
	for i, what := range [...]string{"parameter types", "result types"} {
		start := d.p
		if err := d.vector(what, where, 1, func(uint32) error {
			_, err := d.valType("value type")
			return err
		}); err != nil {
			return err
		}
		if i == 0 {
			n, _, _ := readU32(d.b, start, d.end)
			p.typeParams = append(p.typeParams, n)
		}
	}
	return nil
}

func (p *preflighter) importEntry(d *decoder) error {
	if _, err := d.name("import module name", "import section"); err != nil {
		return err
	}
	if _, err := d.name("import name", "import section"); err != nil {
		return err
	}
	off := d.p
	kind, err := d.u8("import kind")
	if err != nil {
		return err
	}
	switch kind {
	case 0x00:
		p.importedFuncs++
		_, err = d.u32("imported function type")
	case 0x01:
		_, err = d.tableType()
	case 0x02:
		_, err = d.limits()
	case 0x03:
		if _, err = d.valType("imported global type"); err == nil {
			_, err = d.u8("imported global mutability")
		}
	case 0x04:
		if _, err = d.u8("tag attribute"); err == nil {
			_, err = d.u32("imported tag type")
		}
	default:
		return malformed(off, "invalid import kind %#02x", kind)
	}
	return err
}

// elementSegment reads element segment i, in the eight forms of
// WebAssembly 2.0 (its prefix: bit 0 passive or declarative, bit 1 explicit
// table index or declarative, bit 2 expressions rather than function
// indexes).
func (d *decoder) elementSegment(i uint32, where string) error {
	off := d.p
	prefix, err := d.u32("element segment prefix")
	if err != nil {
		return err
	}
	if prefix > 7 {
		return malformed(off, "element segment %d: invalid prefix %d", i, prefix)
	}
	if prefix == 2 || prefix == 6 {
		if _, err := d.u32("element segment table index"); err != nil {
			return err
		}
	}
	if prefix&1 == 0 { // active
		if err := d.constExpr("element segment offset"); err != nil {
			return err
		}
	}
	if prefix&3 != 0 { // element kind (0x00, funcref) or reference type
		c, err := d.u8("element type")
		if err != nil {
			return err
		}
		if prefix&4 != 0 && (c == refNullable || c == refNonNull) {
			if _, err := d.s33("element heap type"); err != nil {
				return err
			}
		}
	}
	what := fmt.Sprintf("function indexes in element segment %d", i)
	if prefix&4 != 0 {
		what = fmt.Sprintf("expressions in element segment %d", i)
	}
	return d.vector(what, where, 1, func(uint32) error {
		if prefix&4 != 0 {
			return d.constExpr("element expression")
		}
		_, err := d.u32("element function index")
		return err
	})
}

// body reads the size of function body i and its local declarations, and
// skips its instructions.
func (p *preflighter) body(d *decoder, i uint32) error {
	off := d.p
	size, err := d.u32("function body size")
	if err != nil {
		return err
	}
	if left := d.end - d.p; uint64(size) > uint64(left) {
		return malformed(off, "function body %d of %d bytes, but only %d bytes remain in the code section", i, size, left)
	}
	b := &decoder{b: d.b, p: d.p, end: d.p + int(size)}
	d.p = b.end
	index := p.importedFuncs + uint64(i)
	decls, q, bad := readU32(b.b, b.p, b.end)
	if bad != "" {
		return malformed(b.p, "%s in the count of local declarations of function %d", bad, index)
	}
	if left := b.end - q; uint64(decls)*2 > uint64(left) {
		return malformed(b.p, "declares %d local declarations but only %d bytes remain in the body of function %d, and each takes at least 2",
			decls, left, index)
	}
	b.p = q
	var sum uint64
	for j := uint32(0); j < decls; j++ {
		n, err := b.u32("local count")
		if err != nil {
			return err
		}
		sum += uint64(n)
		if _, err = b.valType("local type"); err != nil {
			return err
		}
	}
	if sum > maxFunctionLocals {
		return malformed(off, "function %d declares %d locals (limit %d)", index, sum, maxFunctionLocals)
	}
	p.locals += sum
	if p.params+p.locals > p.localsBudget {
		return malformed(off, "function %d brings the parameters and locals of the module's functions to %d, more than %d per byte of the code section plus %d (%d)",
			index, p.params+p.locals, localsPerCodeByte, maxFunctionLocals, p.localsBudget)
	}
	return nil
}

// dataSegment reads data segment i.
func (d *decoder) dataSegment(i uint32, where string) error {
	off := d.p
	prefix, err := d.u32("data segment prefix")
	if err != nil {
		return err
	}
	switch prefix {
	case 0: // active, memory 0
		err = d.constExpr("data segment offset")
	case 1: // passive
	case 2: // active, explicit memory index
		if _, err = d.u32("data segment memory index"); err == nil {
			err = d.constExpr("data segment offset")
		}
	default:
		return malformed(off, "data segment %d: invalid prefix %d", i, prefix)
	}
	if err != nil {
		return err
	}
	off = d.p
	l, err := d.u32("data segment length")
	if err != nil {
		return err
	}
	if left := d.end - d.p; uint64(l) > uint64(left) {
		return malformed(off, "data segment %d declares %d bytes but only %d remain in the %s", i, l, left, where)
	}
	d.p += int(l)
	return nil
}

// custom reads a custom section's name, and the content of the name
// section, which wazero decodes; it skips the content of others.
func (p *preflighter) custom(d *decoder) error {
	name, err := d.name("custom section name", "custom section")
	if err != nil {
		return err
	}
	if string(name) != "name" {
		d.p = d.end
		return nil
	}
	const where = "name section"
	for d.p < d.end {
		off := d.p
		id, _ := d.u8("name subsection id")
		size, err := d.u32("name subsection size")
		if err != nil {
			return err
		}
		if left := d.end - d.p; uint64(size) > uint64(left) {
			return malformed(off, "name subsection %d declares %d bytes but only %d remain in the name section", id, size, left)
		}
		s := &decoder{b: d.b, p: d.p, end: d.p + int(size)}
		d.p = s.end
		switch id {
		case 0:
			_, err = s.name("module name", where)
		case 1:
			err = s.nameMap("function names", where)
		case 2:
			err = s.vector("functions with local names", where, 2, func(uint32) error {
				if _, err := s.u32("function index"); err != nil {
					return err
				}
				return s.nameMap("local names", where)
			})
		default:
			s.p = s.end
		}
		if err != nil {
			return err
		}
		if s.p != s.end {
			return malformed(s.p, "name subsection %d has %d bytes after its content", id, s.end-s.p)
		}
	}
	return nil
}

// nameMap reads a name map: a vector of indexes and names.
func (d *decoder) nameMap(what, where string) error {
	return d.vector(what, where, 2, func(uint32) error {
		if _, err := d.u32("index"); err != nil {
			return err
		}
		_, err := d.name("name", where)
		return err
	})
}
