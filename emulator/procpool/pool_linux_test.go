package procpool

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes (the logs).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testARN = "arn:aws:lambda:us-east-1:123456789012:function:Escape"

// escapePool is a pool of testdata/escape, whose bootstrap starts two
// sleeps in sessions of their own, with its state in a temporary
// directory. The pool is closed when the test ends.
func escapePool(t *testing.T, timeout time.Duration, env map[string]string) (*Pool, string, *syncBuffer) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the bootstrap needs curl")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "escape"))
	state := t.TempDir()
	e := map[string]string{"STATE_DIR": state}
	for k, v := range env {
		e[k] = v
	}
	logs := &syncBuffer{}
	pl := New(Config{
		ID: "Escape", Name: "Escape", Runtime: "provided.al2023", Handler: "escape.handler",
		MemoryMB: 128, Timeout: timeout, Env: e, Region: "us-east-1", ARN: testARN,
		Bootstrap: filepath.Join(dir, "bootstrap"), Dir: dir, MaxProcesses: 1,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	t.Cleanup(func() { pl.Close(context.Background()) })
	return pl, state, logs
}

func invokeOnce(t *testing.T, pl *Pool, payload string) *invoke.Result {
	t.Helper()
	return pl.Invoke(context.Background(), &invoke.Request{
		RequestID: invoke.NewRequestID(), Payload: []byte(payload), InvokedFunctionARN: testARN,
	})
}

// readPid reads a pid the bootstrap wrote to the state directory.
func readPid(t *testing.T, state, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, name))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// grandchildren returns the pids of the bootstrap's two sleeps, checking
// they are alive.
func grandchildren(t *testing.T, state string) []int {
	t.Helper()
	pids := []int{readPid(t, state, "child.pid"), readPid(t, state, "orphan.pid")}
	for _, pid := range pids {
		if !exists(pid) {
			t.Fatalf("grandchild %d is not running", pid)
		}
	}
	return pids
}

// wantGone fails unless every pid has gone, reaped (no zombie left), soon.
func wantGone(t *testing.T, when string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for _, pid := range pids {
		for exists(pid) {
			if time.Now().After(deadline) {
				st, _ := statOf(pid)
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("after %s, process %d is still there (state %c, parent %d)", when, pid, st.state, st.ppid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// onlyProcess is the pool's one process.
func onlyProcess(pl *Pool) *process {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for p := range pl.all {
		return p
	}
	return nil
}

func wantSuccess(t *testing.T, res *invoke.Result) string {
	t.Helper()
	if res.Kind != invoke.Success {
		t.Fatalf("%v %s: %s", res.Kind, res.ErrorType, res.Payload)
	}
	return string(res.Payload)
}

// TestTimeoutKillsSessionEscapees: a bootstrap's children in sessions of
// their own (setsid, out of its process group), one still its child and
// one orphaned at once (setsid -f, reparented to fresco, the subreaper),
// are killed and reaped with it when an invocation times out.
func TestTimeoutKillsSessionEscapees(t *testing.T) {
	pl, state, _ := escapePool(t, time.Second, nil)
	wantSuccess(t, invokeOnce(t, pl, `{}`))
	pids := grandchildren(t, state)
	if st, _ := statOf(pids[1]); st.ppid != os.Getpid() {
		t.Errorf("the setsid -f orphan's parent is %d, want fresco (%d), the subreaper", st.ppid, os.Getpid())
	}
	if res := invokeOnce(t, pl, `{"sleep":true}`); res.Kind != invoke.Timeout {
		t.Fatalf("%v: %s", res.Kind, res.Payload)
	}
	wantGone(t, "the timeout", pids...)
	// A fresh process serves the next invocation.
	wantSuccess(t, invokeOnce(t, pl, `{}`))
}

// TestShutdownTerminatesGracefully: Close sends SIGTERM first; a bootstrap
// that traps it runs its handler (a marker file) and exits 0, and is not
// killed; its escaped children are killed after it.
func TestShutdownTerminatesGracefully(t *testing.T) {
	pl, state, _ := escapePool(t, 30*time.Second, nil)
	wantSuccess(t, invokeOnce(t, pl, `{}`))
	pids := grandchildren(t, state)
	p := onlyProcess(pl)
	start := time.Now()
	pl.Close(context.Background())
	took := time.Since(start)
	if b, err := os.ReadFile(filepath.Join(state, "terminated")); err != nil || string(b) != "terminated\n" {
		t.Errorf("the SIGTERM trap did not run: %q, %v", b, err)
	}
	if p.exitErr != nil {
		t.Errorf("the bootstrap exited with %v, want status 0 from its trap", p.exitErr)
	}
	if took >= DefaultShutdownGrace {
		t.Errorf("Close took %v: it waited out the grace for a process that had exited", took)
	}
	wantGone(t, "Close", pids...)
}

// TestShutdownKillsAfterGrace: a bootstrap that ignores SIGTERM is killed
// once the grace period is over.
func TestShutdownKillsAfterGrace(t *testing.T) {
	pl, state, _ := escapePool(t, 30*time.Second, map[string]string{"IGNORE_TERM": "1"})
	wantSuccess(t, invokeOnce(t, pl, `{}`))
	pids := grandchildren(t, state)
	p := onlyProcess(pl)
	start := time.Now()
	pl.Close(context.Background())
	took := time.Since(start)
	if took < DefaultShutdownGrace || took > DefaultShutdownGrace+2*time.Second {
		t.Errorf("Close took %v, want the grace (%v) and a little", took, DefaultShutdownGrace)
	}
	if p.exitErr == nil || !strings.Contains(p.exitErr.Error(), "killed") {
		t.Errorf("the bootstrap exited with %v, want killed", p.exitErr)
	}
	if _, err := os.Stat(filepath.Join(state, "terminated")); err == nil {
		t.Error("the marker exists, but the bootstrap ignores SIGTERM")
	}
	wantGone(t, "Close", append(pids, p.pid)...)
}

// TestRuntimeAPIRefusesStrangers: a process that is not the runtime
// process or one of its descendants (here the test process itself, and a
// curl it starts) cannot use the runtime's Runtime API, even with an
// invocation waiting; the bootstrap (bash, whose curl is its child) still
// answers every invocation.
func TestRuntimeAPIRefusesStrangers(t *testing.T) {
	pl, _, logs := escapePool(t, 30*time.Second, nil)
	real := wantSuccess(t, invokeOnce(t, pl, `{}`))
	m := string(onlyProcess(pl).fam.marker)
	addr := strings.TrimSuffix(strings.TrimPrefix(m, "AWS_LAMBDA_RUNTIME_API="), "\x00")
	next := "http://" + addr + "/2018-06-01/runtime/invocation/next"

	// Strangers poll next all along, as the attack did.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var polls, answered int
	var mu sync.Mutex
	wg.Go(func() {
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := client.Get(next)
			mu.Lock()
			polls++
			if err == nil {
				answered++
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	})
	curlOut := make(chan []byte, 1)
	wg.Go(func() {
		// A raw connection: not a byte comes back.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		io.WriteString(c, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		if len(b) > 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
			t.Errorf("a stranger's raw connection read %q, %v; want nothing and EOF", b, err)
		}
	})
	wg.Go(func() {
		out, _ := exec.Command("curl", "-sS", "-m", "5", next).CombinedOutput()
		curlOut <- out
	})
	for range 6 {
		if got := wantSuccess(t, invokeOnce(t, pl, `{"n":1}`)); got != real {
			t.Errorf("answer %s, want the real process's %s", got, real)
		}
	}
	close(stop)
	wg.Wait()
	if out := <-curlOut; bytes.Contains(out, []byte("Lambda")) || bytes.Contains(out, []byte(`"n"`)) {
		t.Errorf("curl got an invocation: %s", out)
	}
	if polls == 0 || answered > 0 {
		t.Errorf("%d of %d stranger polls were answered", answered, polls)
	}
	if !strings.Contains(logs.String(), `msg="runtime API connection refused"`) {
		t.Errorf("no refusal logged:\n%s", logs.String())
	}
}
