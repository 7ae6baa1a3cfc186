package wasmbin

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

// limitsType is what limits reads of a table or memory type: where its
// flags byte is and where the limits end, the flags, the minimum and the
// maximum (both saturated at 2^64-1; max is meaningful when flags&1 != 0).
type limitsType struct {
	off, end int
	flags    byte
	min, max uint64
}

// limits reads the limits of a table or memory type.
func (d *decoder) limits() (l limitsType, err error) {
	l.off = d.p
	flags, err := d.u8("limits flags")
	if err != nil {
		return l, err
	}
	if flags > 0x07 { // bit 0: has max; bit 1: shared; bit 2: 64-bit
		return l, malformed(l.off, "invalid limits flags %#02x", flags)
	}
	l.flags = flags
	max := 5
	if flags&0x04 != 0 {
		max = 10
	}
	for i := byte(0); i <= flags&1; i++ {
		start := d.p
		if err := d.skipLEB(max, "limit"); err != nil {
			return l, err
		}
		if i == 0 {
			l.min = lebValue(d.b[start:d.p])
		} else {
			l.max = lebValue(d.b[start:d.p])
		}
	}
	l.end = d.p
	return l, nil
}

// tableType skips a table type, in the forms wazero reads: an optional
// 0x40 0x00 prefix announcing an initialiser, a reference type, limits, and
// the initialiser. It returns the table's limits.
func (d *decoder) tableType() (l limitsType, err error) {
	init := d.p < d.end && d.b[d.p] == 0x40
	if init {
		d.p++
		if c, err := d.u8("table type"); err != nil {
			return l, err
		} else if c != 0 {
			return l, malformed(d.p-1, "table type: %#02x after 0x40 is not 0x00", c)
		}
	}
	c, err := d.u8("table element type")
	if err != nil {
		return l, err
	}
	if c == refNullable || c == refNonNull {
		if _, err := d.s33("table element heap type"); err != nil {
			return l, err
		}
	}
	if l, err = d.limits(); err != nil {
		return l, err
	}
	if init {
		err = d.constExpr("table initialiser")
	}
	return l, err
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
