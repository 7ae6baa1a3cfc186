package wasmbin

import (
	"errors"
	"fmt"
)

// What can be wrong with a LEB128 or an immediate, before it is placed:
// the readers that return these leave the offset and the context to their
// caller, which wraps them with malformed.
var (
	errTruncatedLEB = errors.New("truncated LEB128")
	errOverlongLEB  = errors.New("overlong LEB128")
	errOverflowLEB  = errors.New("LEB128 overflows 32 bits")
	errTruncatedImm = errors.New("truncated immediate")
)

// malformed returns the error for input that is not a valid module.
func malformed(off int, format string, args ...any) error {
	return fmt.Errorf("malformed wasm at offset %#x: %s", off, fmt.Sprintf(format, args...))
}

// decoder reads b[p:end]; offsets in its errors are offsets in b.
type decoder struct {
	b      []byte
	p, end int
}

// sub returns a decoder of the next n bytes of d, which it skips; n must
// fit.
func (d *decoder) sub(n int) *decoder {
	s := &decoder{b: d.b, p: d.p, end: d.p + n}
	d.p = s.end
	return s
}

func (d *decoder) left() int { return d.end - d.p }

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

// rawU32 is u32 without the context: it returns what is wrong with the
// LEB128 as one of the err* values, and leaves d where it was then.
func (d *decoder) rawU32() (uint32, error) {
	var v uint32
	p := d.p
	for i := 0; i < 5; i++ {
		if p >= d.end {
			return 0, errTruncatedLEB
		}
		c := d.b[p]
		p++
		if i == 4 && c >= 0x10 {
			return 0, errOverflowLEB
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c < 0x80 {
			d.p = p
			return v, nil
		}
	}
	return 0, errOverlongLEB
}

// rawLEB skips a LEB128 of at most max bytes, signed or not, returning
// errTruncatedLEB or errOverlongLEB when it is not one.
func (d *decoder) rawLEB(max int) error {
	for i, p := 0, d.p; i < max; i++ {
		if p >= d.end {
			return errTruncatedLEB
		}
		c := d.b[p]
		p++
		if c < 0x80 {
			d.p = p
			return nil
		}
	}
	return errOverlongLEB
}

// rawBytes skips n bytes, or returns errTruncatedImm.
func (d *decoder) rawBytes(n int) error {
	if n > d.end-d.p {
		return errTruncatedImm
	}
	d.p += n
	return nil
}

// skipLEB skips a LEB128 of at most max bytes, signed or not.
func (d *decoder) skipLEB(max int, what string) error {
	off := d.p
	if err := d.rawLEB(max); err != nil {
		return malformed(off, "%v %s", err, what)
	}
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
			n := min(7*(i+1), 33)
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

// count reads the count of a vector of what, whose items take at least
// size bytes each, and checks that they can fit in what remains of d, the
// content of where.
func (d *decoder) count(what, where string, size int) (uint32, error) {
	off := d.p
	n, err := d.rawU32()
	if err != nil {
		return 0, malformed(off, "%v in the count of %s", err, what)
	}
	if left := d.left(); uint64(n)*uint64(size) > uint64(left) {
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
	l, err := d.rawU32()
	if err != nil {
		return nil, malformed(off, "%v in the length of the %s", err, what)
	}
	if left := d.left(); uint64(l) > uint64(left) {
		return nil, malformed(off, "%s of %d bytes, but only %d bytes remain in the %s", what, l, left, where)
	}
	d.p += int(l)
	return d.b[d.p-int(l) : d.p], nil
}

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
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
