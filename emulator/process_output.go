package emulator

import (
	"bytes"
	"os"
	"sync"
	"time"
)

// processLogBytes bounds one invocation's log, as wasmhost bounds a wasm
// guest's: the most recent output is kept.
const processLogBytes = 1 << 20

// processOutput reads a runtime process's stdout and stderr (one pipe, so
// their order is kept) for as long as anything holds the pipe's write end,
// and keeps what was written since the last take, bounded to its tail.
type processOutput struct {
	r    *os.File
	done chan struct{} // closed at EOF: the process and its children are gone

	mu   sync.Mutex
	log  tailBuffer
	read int64 // bytes read from the pipe so far
}

func newProcessOutput(r *os.File) *processOutput {
	o := &processOutput{r: r, done: make(chan struct{}), log: tailBuffer{max: processLogBytes}}
	go o.loop()
	return o
}

func (o *processOutput) loop() {
	defer close(o.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := o.r.Read(buf)
		if n > 0 {
			o.mu.Lock()
			o.log.Write(buf[:n])
			o.read += int64(n)
			o.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// take returns what was written since the previous take.
func (o *processOutput) take() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := bytes.Clone(o.log.Bytes())
	o.log.Reset()
	return b
}

// settle waits, for at most max, until everything the process had written
// when settle was called has been read: a runtime writes its log lines and
// then posts its answer, and the answer can arrive before this reader has
// drained the pipe. What the pipe holds is asked of the kernel (FIONREAD);
// where that is unknown, settle returns at once. Bytes the reader has taken
// from the pipe but not yet stored are not counted: that window is a few
// instructions wide.
func (o *processOutput) settle(max time.Duration) {
	o.mu.Lock()
	unread := pipeUnread(o.r)
	target := o.read + int64(unread)
	o.mu.Unlock()
	if unread <= 0 {
		return
	}
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		read := o.read
		o.mu.Unlock()
		if read >= target {
			return
		}
		select {
		case <-o.done:
			return
		case <-time.After(100 * time.Microsecond):
		}
	}
}

// wait waits, for at most max, until the pipe is closed by every writer
// (the process has exited, and so have its children, or they closed
// their output).
func (o *processOutput) wait(max time.Duration) {
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
	}
}

// close stops the reader; what it had not read is lost.
func (o *processOutput) close() {
	o.r.Close()
	<-o.done
}

// tailBuffer keeps the last max bytes written to it. Process output is
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
		b := bytes.Clone(t.buf.Bytes())
		t.buf.Reset()
		t.buf.Write(b)
	}
	return n, nil
}

// Bytes returns the retained tail, prefixed by a note when output was
// dropped. It is valid until the next Write or Reset.
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

// Reset empties the buffer.
func (t *tailBuffer) Reset() {
	t.buf.Reset()
	t.dropped = 0
}
