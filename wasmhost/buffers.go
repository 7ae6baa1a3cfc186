package wasmhost

import "bytes"

// tailBuffer keeps the last max bytes written to it. Guest output is
// untrusted and unbounded; the log of one invocation must not be.
type tailBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		t.dropped += int64(len(p) - t.max)
		p = p[len(p)-t.max:]
	}
	t.buf.Write(p)
	// Compact only when the buffer is twice the bound, so the cost of
	// dropping old output is amortised over what was written.
	if over := t.buf.Len() - t.max; over > 0 && t.buf.Len() >= 2*t.max {
		t.dropped += int64(over)
		t.buf.Next(over)
		b := append([]byte(nil), t.buf.Bytes()...)
		t.buf.Reset()
		t.buf.Write(b)
	}
	return n, nil
}

// Bytes returns the retained tail, prefixed by a note when output was dropped.
func (t *tailBuffer) Bytes() []byte {
	b := t.buf.Bytes()
	if over := len(b) - t.max; over > 0 {
		t.dropped += int64(over)
		b = b[over:]
	}
	if t.dropped == 0 {
		return b
	}
	note := []byte("[fresco: earlier output dropped, log bounded]\n")
	return append(note, b...)
}

// cappedBuffer keeps at most max bytes and counts the rest: the stdout of a
// stdio function, which is its response.
type cappedBuffer struct {
	buf   []byte
	max   int
	total int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	if room := c.max - len(c.buf); room > 0 {
		if len(p) > room {
			c.buf = append(c.buf, p[:room]...)
		} else {
			c.buf = append(c.buf, p...)
		}
	}
	return len(p), nil
}

func (c *cappedBuffer) overflowed() bool { return c.total > int64(c.max) }
