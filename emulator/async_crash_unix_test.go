//go:build unix

package emulator_test

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// startLogged runs the fresco binary like startBinary, and keeps all it
// writes to stderr in log.
func startLogged(t *testing.T, bin string, log *syncBuffer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--port", "0", "--api-port", "0", "--admin-addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = ".."
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrRE := regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			log.Write([]byte(line + "\n"))
			if m := addrRE.FindStringSubmatch(line); m != nil && !sent && strings.Contains(line, "serving") {
				urls <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
		close(urls)
	}()
	select {
	case url, ok := <-urls:
		if ok {
			return cmd, url
		}
	case <-time.After(5 * time.Minute):
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("fresco never reported its address:\n%s", log.String())
	return nil, ""
}

// TestEventsSurviveKill: a 202 means the invocation will run. 1,000 Event
// invocations of Sleep (which runs at most 4 at once, so most wait in the
// queue) are sent from 8 clients and fresco is killed with SIGKILL while
// they arrive; the fresco started next on the same state directory runs
// every one that was accepted, and none that had already succeeded.
func TestEventsSurviveKill(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	var log1 syncBuffer
	cmd, url := startLogged(t, bin, &log1, "--state-dir", state)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	accepted := eventsUntilKill(t, cmd, url, 400)

	var log2 syncBuffer
	cmd2, _ := startLogged(t, bin, &log2, "--state-dir", state)
	defer func() { cmd2.Process.Kill(); cmd2.Wait() }()
	waitAllRan(t, accepted, "the first run", &log1, "the restart", &log2)
	second := ranIn(log2.String())
	for _, id := range succeededIn(log1.String()) {
		if second[id] > 0 {
			t.Errorf("invocation %s ran again after it had succeeded", id)
		}
	}
	t.Logf("%d accepted before the kill; %d ran after the restart", len(accepted), len(second))
	if len(second) == 0 {
		t.Error("nothing was left to run after the restart: the kill tested nothing")
	}
	if !strings.Contains(log2.String(), "Event invocations recovered") {
		t.Errorf("the restart logged no recovery:\n%s", log2.String())
	}
}

// eventsUntilKill sends Event invocations of Sleep to the fresco at url
// from 8 clients, up to 1,000, and kills cmd with SIGKILL once atLeast of
// them were accepted, while they still arrive. It returns the request ids
// of those accepted (202).
func eventsUntilKill(t *testing.T, cmd *exec.Cmd, url string, atLeast int) map[string]bool {
	t.Helper()
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		sent     atomic.Int64
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Go(func() {
			for sent.Add(1) <= 1000 {
				req, _ := http.NewRequest("POST", url+"/2015-03-31/functions/Sleep/invocations", strings.NewReader(`{"ms":20}`))
				req.Header.Set("X-Amz-Invocation-Type", "Event")
				resp, err := client.Do(req)
				if err != nil {
					return // fresco is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					accepted[resp.Header.Get("X-Amzn-RequestId")] = true
					mu.Unlock()
				}
			}
		})
	}
	for {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n >= atLeast {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	wg.Wait()
	if len(accepted) >= 1000 {
		t.Fatalf("all %d Events were accepted before the kill: the kill tested nothing", len(accepted))
	}
	return accepted
}

var endRE = regexp.MustCompile(`END RequestId: (\S+)`)

// ranIn counts the END lines of each request id in log: the invocations
// that ran.
func ranIn(log string) map[string]int {
	m := map[string]int{}
	for _, g := range endRE.FindAllStringSubmatch(log, -1) {
		m[g[1]]++
	}
	return m
}

// waitAllRan waits, two minutes at most, until every accepted request id
// has run in one of two logs (named by what1 and what2).
func waitAllRan(t *testing.T, accepted map[string]bool, what1 string, log1 *syncBuffer, what2 string, log2 *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		first, second := ranIn(log1.String()), ranIn(log2.String())
		missing := 0
		for id := range accepted {
			if first[id]+second[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted Event invocations never ran (%s %d, %s %d)",
				missing, len(accepted), what1, len(first), what2, len(second))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var succeededRE = regexp.MustCompile(`async invocation succeeded.*request_id=(\S+)`)

// succeededIn are the request ids of the Event invocations log says
// succeeded (and were deleted from the queue).
func succeededIn(log string) []string {
	var ids []string
	for _, g := range succeededRE.FindAllStringSubmatch(log, -1) {
		ids = append(ids, g[1])
	}
	return ids
}
