package wasmbin

// The preflight: Parse checks a user's module before wazero sees it.
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
// Beyond the decoder, instantiation (wasmhost's trial instantiation at load) allocates
// each defined table's minimum size, up to 2^27 entries of 8 bytes per
// table, with as many tables as the module likes: preflight bounds their
// sum by maxTableEntries.
//
// Function bodies are read for their local declarations; their
// instructions only by the scanner of the snapshot path (scan.go), once.

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

// preflighter holds what Parse learns from one section for the next, and
// the module it fills in.
type preflighter struct {
	m             *Module
	importedFuncs uint64
	tableEntries  uint64
	typeParams    []uint32 // parameter count of each type
	funcTypes     []uint32 // type index of each defined function
	// params is the sum of the parameter counts of the functions the
	// module defines, locals the locals their bodies declare so far, and
	// localsBudget the bound of their sum.
	params, locals, localsBudget uint64
}

// section reads the content s of the section id, which starts at start.
func (p *preflighter) section(s *decoder, id byte, start int, name string) error {
	switch id {
	case sectionCustom:
		return p.custom(s)
	case sectionType:
		return s.vector("types", name, 2, func(uint32) error { return p.typeEntry(s, name) })
	case sectionImport:
		return s.vector("imports", name, 4, func(uint32) error { return p.importEntry(s) })
	case sectionFunction:
		return s.vector("functions", name, 1, func(uint32) error { return p.function(s) })
	case sectionTable:
		return s.vector("tables", name, 3, func(i uint32) error { return p.table(s, i) })
	case sectionMemory:
		return s.vector("memories", name, 2, func(uint32) error {
			_, err := s.limits()
			return err
		})
	case sectionGlobal:
		return s.vector("globals", name, 3, func(i uint32) error { return p.global(s, i) })
	case sectionExport:
		return p.exports(s, name)
	case sectionStart:
		_, err := s.u32("start function index")
		return err
	case sectionElement:
		return s.vector("element segments", name, 3, func(i uint32) error { return s.elementSegment(i, name) })
	case sectionCode:
		p.localsBudget = maxFunctionLocals + localsPerCodeByte*uint64(s.left())
		return s.vector("function bodies", name, 2, func(i uint32) error { return p.body(s, i) })
	case sectionData:
		return s.vector("data segments", name, 2, func(i uint32) error { return s.dataSegment(i, name) })
	case sectionDataCount:
		return s.dataCount()
	case sectionTag:
		return s.vector("tags", name, 2, func(uint32) error { return s.tag("tag attribute", "tag type index") })
	}
	return nil
}

// typeEntry reads a function type, or a rec group (0x4e) of them.
func (p *preflighter) typeEntry(s *decoder, where string) error {
	if s.p < s.end && s.b[s.p] == 0x4e { // rec group
		s.p++
		return s.vector("types in a rec group", where, 3, func(uint32) error { return p.funcType(s, where) })
	}
	return p.funcType(s, where)
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
			n, _ := (&decoder{b: d.b, p: start, end: d.end}).rawU32()
			p.typeParams = append(p.typeParams, n)
		} else {
			p.m.typeResults = append(p.m.typeResults, [2]int{start, d.p})
		}
	}
	return nil
}

// importEntry reads an import, noting for the snapshot path the imports of
// state the module shares with others.
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
	m := p.m
	switch kind {
	case 0x00:
		p.importedFuncs++
		m.importedFuncs++
		_, err = d.u32("imported function type")
	case 0x01:
		m.importsTables = true
		m.importedTables++
		_, err = d.tableType()
	case 0x02:
		m.importsMemory = true
		_, err = d.limits()
	case 0x03:
		m.importsGlobals = true
		m.importedGlobals++
		if _, err = d.valType("imported global type"); err == nil {
			_, err = d.u8("imported global mutability")
		}
	case 0x04:
		err = d.tag("tag attribute", "imported tag type")
	default:
		return malformed(off, "invalid import kind %#02x", kind)
	}
	return err
}

// function reads a defined function's type index.
func (p *preflighter) function(d *decoder) error {
	t, err := d.u32("function type index")
	if err == nil && uint64(t) < uint64(len(p.typeParams)) { // else wazero rejects the module
		p.params += uint64(p.typeParams[t])
	}
	p.funcTypes = append(p.funcTypes, t)
	return err
}

// table reads table i and bounds the entries of all tables, noting its
// limits for LimitTables.
func (p *preflighter) table(d *decoder, i uint32) error {
	off := d.p
	l, err := d.tableType()
	if err != nil {
		return err
	}
	if l.min > maxTableEntries || p.tableEntries+l.min > maxTableEntries {
		return malformed(off, "table %d of %d entries makes %d in the tables of the module (limit %d)",
			i, l.min, l.min+p.tableEntries, maxTableEntries)
	}
	p.tableEntries += l.min
	p.m.tables = append(p.m.tables, l)
	return nil
}

// global reads defined global i, noting it for the snapshot path when it
// is mutable.
func (p *preflighter) global(d *decoder, i uint32) error {
	off := d.p
	t, err := d.valType("global type")
	if err != nil {
		return err
	}
	mut, err := d.u8("global mutability")
	if err != nil {
		return err
	}
	mutOff := d.p - 1
	if err := d.constExpr("global initialiser"); err != nil {
		return err
	}
	p.m.global(off, mutOff, t, mut, i)
	return nil
}

// exports reads the export section, noting the names fresco reserves.
func (p *preflighter) exports(s *decoder, name string) error {
	n, err := s.count("exports", name, 3)
	if err != nil {
		return err
	}
	p.m.reserved, err = s.exports(n)
	return err
}

// dataCount reads the data count section: the count must be plausible (2
// bytes a data segment in the rest of the module).
func (d *decoder) dataCount() error {
	off := d.p
	n, err := d.u32("data count")
	if err != nil {
		return err
	}
	if rest := len(d.b) - d.end; uint64(n)*2 > uint64(rest) {
		return malformed(off, "declares %d data segments but only %d bytes remain in the module", n, rest)
	}
	return nil
}

// tag reads a tag (or an imported one): an attribute and a type index.
func (d *decoder) tag(attribute, index string) error {
	if _, err := d.u8(attribute); err != nil {
		return err
	}
	_, err := d.u32(index)
	return err
}
