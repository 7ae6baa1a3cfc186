package procpool

import (
	"bytes"
	"os"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/tailbuf"
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
	log  *tailbuf.Buffer
	read int64 // bytes read from the pipe so far
}

func newProcessOutput(r *os.File) *processOutput {
	o := &processOutput{r: r, done: make(chan struct{}), log: tailbuf.New(processLogBytes)}
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
