package wasmbintest

import "strings"

// u32max is 2^32-1 as a LEB128.
const u32max = "\xff\xff\xff\xff\x0f"

// Hostile lists modules whose counts or lengths would make wazero v1.12
// allocate far beyond their size (see internal/wasmbin/preflight.go), one
// per allocation that the preflight guards, with what its error says.
var Hostile = []struct {
	Name string
	Bin  []byte
	Want string // in the error
}{
	// The 15-byte reproducer: 2^32-1 imports, ~481 GB in wazero.
	{"imports", []byte("\x00asm\x01\x00\x00\x00\x02\x05" + u32max),
		"offset 0xa: declares 4294967295 imports but only 0 bytes remain in the import section, and each takes at least 4"},
	{"import module name", Module("\x02\x01" + u32max + "abc"),
		"import module name of 4294967295 bytes, but only 3 bytes remain in the import section"},
	{"import name", Module("\x02\x01\x01m" + u32max + "abc"),
		"import name of 4294967295 bytes, but only 3 bytes remain"},
	{"types", Module("\x01" + u32max), "declares 4294967295 types but only 0 bytes remain in the type section"},
	{"parameter types", Module("\x01\x01\x60" + u32max + "\x00"),
		"declares 4294967295 parameter types but only 1 bytes remain in the type section"},
	{"result types", Module("\x01\x01\x60\x00\x80\x80\x04\x7f"), "declares 65536 result types but only 1 bytes remain"},
	{"rec group", Module("\x01\x01\x4e" + u32max), "declares 4294967295 types in a rec group"},
	{"functions", Module("\x03" + u32max + "\x00\x00"), "declares 4294967295 functions but only 2 bytes remain in the function section"},
	{"tables", Module("\x04" + u32max), "declares 4294967295 tables"},
	{"table entries", Module("\x04\x01\x70\x00\x80\x80\x80\x40"), // 2^27 entries: 1 GB at instantiation
		"table 0 of 134217728 entries makes 134217728 in the tables of the module (limit 10000000)"},
	{"tables' entries in all", Module("\x04\x02\x70\x00\x80\xad\xe2\x04\x70\x00\x80\xad\xe2\x04"), // 2 × 10^7
		"table 1 of 10000000 entries makes 20000000 in the tables of the module"},
	{"memories", Module("\x05" + u32max), "declares 4294967295 memories"},
	{"globals", Module("\x06" + u32max + "\x7f\x00\x0b"), "declares 4294967295 globals but only 3 bytes remain"},
	{"tags", Module("\x0d" + u32max), "declares 4294967295 tags"},
	{"exports", Module("\x07" + u32max), "declares 4294967295 exports"},
	{"export name", Module("\x07\x01" + u32max), "export name of 4294967295 bytes runs past the end of its section"},
	{"element segments", Module("\x09" + u32max), "declares 4294967295 element segments"},
	{"element function indexes", Module("\x09\x01\x00\x41\x00\x0b" + u32max),
		"declares 4294967295 function indexes in element segment 0 but only 0 bytes remain in the element section"},
	{"element function indexes, passive", Module("\x09\x01\x01\x00" + u32max), "function indexes in element segment 0"},
	{"element function indexes, table index", Module("\x09\x01\x02\x00\x41\x00\x0b\x00" + u32max),
		"function indexes in element segment 0"},
	{"element function indexes, declarative", Module("\x09\x01\x03\x00" + u32max), "function indexes in element segment 0"},
	{"element expressions", Module("\x09\x01\x04\x41\x00\x0b" + u32max), "declares 4294967295 expressions in element segment 0"},
	{"element expressions, passive", Module("\x09\x01\x05\x70" + u32max), "expressions in element segment 0"},
	{"element expressions, table index", Module("\x09\x01\x06\x00\x41\x00\x0b\x63\x70" + u32max), "expressions in element segment 0"},
	{"element expressions, declarative", Module("\x09\x02\x07\x70\x00\x07\x70" + u32max), "expressions in element segment 1"},
	{"function bodies", Module("\x0a" + u32max), "declares 4294967295 function bodies"},
	{"function body size", Module("\x0a\x01" + u32max + "\x00\x0b"),
		"function body 0 of 4294967295 bytes, but only 2 bytes remain in the code section"},
	{"local declarations", Module("\x0a\x01\x05" + u32max),
		"declares 4294967295 local declarations but only 0 bytes remain in the body of function 0"},
	{"locals", Module("\x02\x01\x01m\x01f\x00\x00", "\x0a\x01\x08\x01"+u32max+"\x7f\x0b"),
		"function 1 declares 4294967295 locals (limit 50000)"},
	{"locals in all", Module("\x0a\x01\x09\x02\xc0\xb8\x02\x7f\xc0\xb8\x02\x7e\x0b"), // 2 × 40,000
		"function 0 declares 80000 locals (limit 50000)"},
	// 50,000 locals take 3 bytes to declare, 400 kB in wazero.
	{"locals of the module", Module("\x0a\x02" + strings.Repeat("\x06\x01\xd0\x86\x03\x7f\x0b", 2)),
		"function 1 brings the parameters and locals of the module's functions to 100000, more than 2 per byte of the code section plus 50000 (50030)"},
	{"parameters of the module", Module(
		"\x01\x01\x60\xe8\x07"+strings.Repeat("\x7f", 1000)+"\x00",
		"\x03\x64"+strings.Repeat("\x00", 100),
		"\x0a\x64"+strings.Repeat("\x02\x00\x0b", 100)),
		"function 0 brings the parameters and locals of the module's functions to 100000"},
	{"reference local past its body", Module("\x0a\x02\x03\x01\x01\x63\x70\x0b"),
		"truncated LEB128 local type"},
	{"data segments", Module("\x0b" + u32max), "declares 4294967295 data segments but only 0 bytes remain in the data section"},
	{"data segment length", Module("\x0b\x01\x01" + u32max + "ab"),
		"data segment 0 declares 4294967295 bytes but only 2 remain in the data section"},
	{"data segment length, active", Module("\x0b\x02\x01\x00\x00\x41\x00\x0b" + u32max),
		"data segment 1 declares 4294967295 bytes but only 0 remain"},
	{"data segment length, memory index", Module("\x0b\x01\x02\x00\x41\x00\x0b" + u32max), "data segment 0 declares 4294967295 bytes"},
	{"data count", Module("\x0c" + u32max), "declares 4294967295 data segments but only 0 bytes remain in the module"},
	{"section size", []byte("\x00asm\x01\x00\x00\x00\x00" + u32max + "\x01x"),
		"offset 0x8: custom section declares 4294967295 bytes but only 2 remain in the module"},
	{"custom section name", Module("\x00" + u32max + "xy"), "custom section name of 4294967295 bytes, but only 2 bytes remain"},
	{"name section subsection size", Module("\x00\x04name\x01" + u32max),
		"name subsection 1 declares 4294967295 bytes but only 0 remain in the name section"},
	{"module name", Module("\x00\x04name\x00\x05" + u32max), "module name of 4294967295 bytes, but only 0 bytes remain in the name section"},
	{"function names", Module("\x00\x04name\x01\x05" + u32max), "declares 4294967295 function names but only 0 bytes remain in the name section"},
	{"function name", Module("\x00\x04name\x01\x07\x01\x00" + u32max), "name of 4294967295 bytes, but only 0 bytes remain"},
	{"functions with local names", Module("\x00\x04name\x02\x05" + u32max), "declares 4294967295 functions with local names"},
	{"local names", Module("\x00\x04name\x02\x07\x01\x00" + u32max), "declares 4294967295 local names"},
	{"local name", Module("\x00\x04name\x02\x09\x01\x00\x01\x00" + u32max), "name of 4294967295 bytes"},
	// wazero decodes the content of a subsection without bounding it by
	// its size: the next subsection would not start where preflight reads
	// it.
	{"name subsection shorter than its content", Module("\x00\x04name\x01\x01\x01\x00\x01a"),
		"declares 1 function names but only 0 bytes remain in the name section"},
	{"name subsection longer than its content", Module("\x00\x04name\x01\x04\x00\x02\x05" + u32max),
		"name subsection 1 has 3 bytes after its content"},
	// "name" with a non-minimal LEB128 length is the name section too.
	{"name section, long name length", Module("\x00\x84\x80\x00name\x01\x05" + u32max), "declares 4294967295 function names"},
	{"unknown section", Module("\x0e"), "unknown section id 14"},
	{"trailing bytes", Module("\x03\x00\x00"), "function section has 1 bytes after its content"},
}

// Module returns a module of the given sections, each an id byte followed
// by its content.
func Module(sections ...string) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		b = append(b, s[0])
		b = appendU32(b, uint32(len(s)-1))
		b = append(b, s[1:]...)
	}
	return b
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
