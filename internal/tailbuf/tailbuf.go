package tailbuf

import "bytes"

// DroppedNote prefixes Bytes when older output was dropped.
const DroppedNote = "[fresco: earlier output dropped, log bounded]\n"

// Buffer keeps the last Max bytes written to it. The zero value keeps
// nothing; set Max first.
type Buffer struct {
	Max     int
	buf     bytes.Buffer
	dropped int64
}

// New returns a Buffer that keeps the last max bytes.
func New(max int) *Buffer { return &Buffer{Max: max} }

// Write keeps the tail of p; it never fails.
func (t *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.Max {
		t.dropped += int64(len(p) - t.Max)
		p = p[len(p)-t.Max:]
	}
	t.buf.Write(p)
	// Compact only when the buffer is twice the bound, so the cost of
	// dropping old output is amortised over what was written.
	if over := t.buf.Len() - t.Max; over > 0 && t.buf.Len() >= 2*t.Max {
		t.dropped += int64(over)
		t.buf.Next(over)
		b := bytes.Clone(t.buf.Bytes())
		t.buf.Reset()
		t.buf.Write(b)
	}
	return n, nil
}

// Bytes returns the retained tail, prefixed by DroppedNote when output was
// dropped. It is valid until the next Write or Reset.
func (t *Buffer) Bytes() []byte {
	b := t.buf.Bytes()
	if over := len(b) - t.Max; over > 0 {
		t.dropped += int64(over)
		b = b[over:]
	}
	if t.dropped == 0 {
		return b
	}
	return append([]byte(DroppedNote), b...)
}

// Reset empties the buffer.
func (t *Buffer) Reset() {
	t.buf.Reset()
	t.dropped = 0
}
