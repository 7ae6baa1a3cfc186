package wasmbin

import "fmt"

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
