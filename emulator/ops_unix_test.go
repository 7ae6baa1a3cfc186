//go:build unix

package emulator_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDrainOnSIGTERM: the fresco command, told SIGTERM during a slow
// invocation, turns /readyz to 503, refuses new connections, lets the
// invocation finish with 200 and exits 0; Event invocations that had not
// started (waiting for the one slot, --max-concurrency 1) stay in the
// durable queue and run at the next start, each once.
func TestDrainOnSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	state, tmpl := t.TempDir(), shellTemplate(t)
	var log1 syncBuffer
	// One invocation at a time: the Events wait behind the slow one.
	cmd, url := startLogged(t, bin, &log1, "-t", tmpl, "--state-dir", state, "--max-concurrency", "1", "--drain-timeout", "20s")
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	m := regexp.MustCompile(`admin_addr=http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(log1.String())
	if m == nil {
		t.Fatalf("no admin address in:\n%s", log1.String())
	}
	admin := m[1]
	readyz := func() int {
		resp, err := http.Get("http://" + admin + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := readyz(); s != 200 {
		t.Fatalf("/readyz before the drain: %d", s)
	}
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Post(url+"/2015-03-31/functions/Sleep/invocations", "application/json", strings.NewReader(`{}`))
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	// Signal once the invocation is in flight, as the metrics say.
	eventually(t, "the invocation in flight", func() bool {
		return value(scrape(t, admin), "fresco_http_requests_in_flight", "surface=invoke") == 1
	})
	accepted := map[string]bool{}
	for i := range 3 {
		req, _ := http.NewRequest("POST", url+"/2015-03-31/functions/Hello/invocations", strings.NewReader(fmt.Sprintf(`{"name":"event%d"}`, i)))
		req.Header.Set("X-Amz-Invocation-Type", "Event")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("Event: %v %v", err, resp)
		}
		resp.Body.Close()
		accepted[resp.Header.Get("X-Amzn-RequestId")] = true
	}
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, "/readyz 503", func() bool { return readyz() == http.StatusServiceUnavailable })
	notReady := time.Since(signalled)
	host := strings.TrimPrefix(url, "http://")
	// Readiness turns first, then the listeners close: within the drain,
	// before the in-flight invocation answers.
	eventually(t, "the Invoke API refusing connections during the drain", func() bool {
		c, err := net.Dial("tcp", host)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	got := <-answered
	if !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"slept_ms":3000`) {
		t.Errorf("in-flight invocation: %s", got)
	}
	answeredAt := time.Since(signalled)
	if err := cmd.Wait(); err != nil {
		t.Errorf("fresco after SIGTERM: %v, want exit status 0", err)
	}
	t.Logf("after SIGTERM: /readyz 503 within %v, the in-flight invocation answered at %v, exit 0 at %v",
		notReady.Round(time.Millisecond), answeredAt.Round(time.Millisecond), time.Since(signalled).Round(time.Millisecond))
	if !strings.Contains(log1.String(), "msg=drained") {
		t.Errorf("no drained line:\n%s", log1.String())
	}

	// The next start runs what the drain left queued; nothing runs twice.
	succeeded := regexp.MustCompile(`async invocation succeeded.*request_id=(\S+)`)
	ran := func(log string) map[string]int {
		out := map[string]int{}
		for _, g := range succeeded.FindAllStringSubmatch(log, -1) {
			out[g[1]]++
		}
		return out
	}
	first := ran(log1.String())
	var log2 syncBuffer
	cmd2, _ := startLogged(t, bin, &log2, "-t", tmpl, "--state-dir", state)
	defer func() { cmd2.Process.Kill(); cmd2.Wait() }()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		second := ran(log2.String())
		done := 0
		for id := range accepted {
			if first[id]+second[id] == 1 {
				done++
			} else if first[id]+second[id] > 1 {
				t.Fatalf("Event %s ran %d times", id, first[id]+second[id])
			}
		}
		if done == len(accepted) {
			if len(first) != 0 {
				t.Errorf("%d Events started during the drain, want 0: the drain starts none", len(first))
			}
			t.Logf("Events: %d accepted during the slow invocation, %d ran during the drain, %d after the restart",
				len(accepted), len(first), len(second))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Events not run after the restart: first run %v, second %v\n%s", first, second, log2.String())
		}
	}
}
