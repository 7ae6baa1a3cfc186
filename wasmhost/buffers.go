package wasmhost

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
