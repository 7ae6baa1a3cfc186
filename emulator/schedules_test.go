package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frescolabs/fresco/emulator"
	"github.com/frescolabs/fresco/emulator/functions"
	"github.com/frescolabs/fresco/emulator/schedule/scheduletest"
	"github.com/frescolabs/fresco/emulator/server"
)

// TestSchedulesFire: under Options.Schedules, a template's rate(1 minute)
// and cron Schedule events and a ScheduleV2 with Input invoke the echo
// guest at their times on a fake clock, as Event invocations, with the
// events AWS delivers; a disabled one does not fire.
func TestSchedulesFire(t *testing.T) {
	echo, err := filepath.Abs(filepath.Join("..", "wasmhost", "testdata", "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: `+echo+`
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute), Name: every-minute}}
        Even: {Type: Schedule, Properties: {Schedule: "cron(0/2 * * * ? *)"}}
        Job:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 minute), ScheduleExpressionTimezone: Europe/Paris, Input: '{"job": "v2"}'}
        Off: {Type: Schedule, Properties: {Schedule: rate(1 minute), Enabled: false}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		payloads []string
	)
	observe := func(o functions.Observation) {
		if o.Type != functions.Event || o.Result == nil {
			return
		}
		mu.Lock()
		payloads = append(payloads, string(o.Result.Payload))
		mu.Unlock()
	}
	start := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	clk := scheduletest.NewClock(start)
	var logs syncBuffer
	e, err := emulator.New(context.Background(), emulator.Options{
		Template:      tmpl,
		Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionLog:   io.Discard,
		BuildOutput:   io.Discard,
		Observers:     []functions.Observer{observe},
		Schedules:     true,
		ScheduleClock: clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.RunSchedules(ctx) }()
	// 10:01:30: Every and Job (a minute after the start); 10:02:00: Even.
	for _, at := range []time.Time{start.Add(time.Minute), start.Add(90 * time.Second)} {
		if !clk.WaitParked(done, 10*time.Second) {
			t.Fatalf("the scheduler did not wait on its clock:\n%s", logs.String())
		}
		clk.Set(at)
	}
	clk.WaitParked(done, 10*time.Second)
	cancel()
	<-done
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(payloads)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(payloads) != 3 {
		t.Fatalf("%d invocations, want 3: %q\n%s", len(payloads), payloads, logs.String())
	}
	var rules []map[string]any
	sawJob := false
	for _, p := range payloads {
		if p == `{"job": "v2"}` {
			sawJob = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(p), &ev); err != nil {
			t.Fatalf("payload %s: %v", p, err)
		}
		rules = append(rules, ev)
	}
	if !sawJob {
		t.Errorf("the ScheduleV2 did not deliver its Input verbatim: %q", payloads)
	}
	got := map[string]string{}
	for _, ev := range rules {
		res, _ := ev["resources"].([]any)
		if ev["source"] != "aws.events" || ev["detail-type"] != "Scheduled Event" || ev["version"] != "0" || len(res) != 1 {
			t.Errorf("not a scheduled event: %v", ev)
			continue
		}
		got[res[0].(string)] = ev["time"].(string)
	}
	region := e.Region()
	want := map[string]string{
		"arn:aws:events:" + region + ":123456789012:rule/every-minute": "2026-03-01T10:01:30Z",
		"arn:aws:events:" + region + ":123456789012:rule/EchoEven":     "2026-03-01T10:02:00Z",
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for arn, tm := range want {
		if got[arn] != tm {
			t.Errorf("event of %s at %q, want %q", arn, got[arn], tm)
		}
	}
	for _, line := range []string{`msg="schedule fired" function=Echo schedule=Every time=2026-03-01T10:01:30Z`, `schedule=Even expression="cron(0/2 * * * ? *)" next=2026-03-01T10:02:00Z`, "disabled in the template"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("no log line with %q:\n%s", line, logs.String())
		}
	}
}

// TestCLIInvokeEventSource: fresco invoke FN --event-source NAME (and
// fresco local invoke) invokes the echo guest with the event the
// template's event NAME delivers: a Schedule's Scheduled Event for now, a
// ScheduleV2's Input, an Api event's proxy request of its route. Other
// names, and --event-source with -e or --no-event, are errors.
func TestCLIInvokeEventSource(t *testing.T) {
	echo, err := filepath.Abs(filepath.Join("..", "wasmhost", "testdata", "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: `+echo+`
      Events:
        Nightly: {Type: Schedule, Properties: {Schedule: "cron(0 2 * * ? *)"}}
        Job: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour), Input: '{"job": 7}'}}
        Item: {Type: Api, Properties: {Path: "/items/{id}", Method: get}}
        Any: {Type: HttpApi}
        Post: {Type: HttpApi, Properties: {Path: "/files/{key+}", Method: POST}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	invoke := func(args ...string) (int, string, string) {
		return runCLI(t, "", append([]string{"invoke", "Echo", "-t", tmpl, "--cache-dir", cache}, args...)...)
	}
	before := time.Now().UTC().Truncate(time.Second)
	code, stdout, stderr := invoke("--event-source", "Nightly")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var ev struct {
		Source, DetailType string
		Time               time.Time
		Resources          []string
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatalf("%s: %v", stdout, err)
	}
	var raw map[string]any
	json.Unmarshal([]byte(stdout), &raw)
	if raw["source"] != "aws.events" || raw["detail-type"] != "Scheduled Event" || ev.Time.Before(before) ||
		len(ev.Resources) != 1 || !strings.HasSuffix(ev.Resources[0], ":123456789012:rule/EchoNightly") {
		t.Errorf("Schedule event %s", stdout)
	}
	if code, stdout, stderr := runCLI(t, "", "local", "invoke", "Echo", "-t", tmpl, "--cache-dir", cache, "--event-source", "Job"); code != 0 || stdout != "{\"job\": 7}\n" {
		t.Errorf("ScheduleV2 with Input: exit %d, %q\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = invoke("--event-source", "Item")
	if code != 0 {
		t.Fatalf("Api: exit %d\n%s", code, stderr)
	}
	var req map[string]any
	if err := json.Unmarshal([]byte(stdout), &req); err != nil || req["httpMethod"] != "GET" || req["path"] != "/items/id" || req["resource"] != "/items/{id}" {
		t.Errorf("Api event %s (%v)", stdout, err)
	}
	for name, want := range map[string][2]string{"Any": {"GET", "$default"}, "Post": {"POST", "POST /files/{key+}"}} {
		code, stdout, stderr = invoke("--event-source", name)
		var req struct {
			RouteKey       string
			RawPath        string
			RequestContext struct{ HTTP struct{ Method string } }
		}
		if err := json.Unmarshal([]byte(stdout), &req); code != 0 || err != nil || req.RequestContext.HTTP.Method != want[0] || req.RouteKey != want[1] {
			t.Errorf("HttpApi %s: exit %d, %s (%v)\n%s", name, code, stdout, err, stderr)
		}
	}
	if code, _, stderr := invoke("--event-source", "Queue"); code == 0 || !strings.Contains(stderr, "its events: Job (ScheduleV2), Nightly (Schedule), Any (HttpApi), Item (Api), Post (HttpApi)") {
		t.Errorf("SQS: exit %d, %s", code, stderr)
	}
	if code, _, stderr := invoke("--event-source", "Nightly", "--no-event"); code != 2 || !strings.Contains(stderr, "--event-source excludes --event and --no-event") {
		t.Errorf("with --no-event: exit %d, %s", code, stderr)
	}
	if code, _, stderr := invoke("--event-source", "Nightly", "-e", "x.json"); code != 2 || !strings.Contains(stderr, "--event-source excludes") {
		t.Errorf("with -e: exit %d, %s", code, stderr)
	}
}

// TestServeSchedules: fresco start's server runs the scheduler under
// Options.Schedules (here on a fake clock, so that a rate(1 minute) fires
// at once); without it, one line says the schedules are not firing and
// how to turn them on.
func TestServeSchedules(t *testing.T) {
	echo, err := filepath.Abs(filepath.Join("..", "wasmhost", "testdata", "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: `+echo+`
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	serve := func(schedules bool, clk *scheduletest.Clock, fired chan<- string) (logs *syncBuffer, stop func()) {
		logs = &syncBuffer{}
		opts := emulator.Options{
			Template: tmpl, StateDir: t.TempDir(),
			Logger: slog.New(slog.NewTextHandler(logs, nil)), FunctionLog: io.Discard, BuildOutput: io.Discard,
			Schedules: schedules, ScheduleClock: clk,
			Observers: []functions.Observer{func(o functions.Observation) {
				if o.Type == functions.Event && o.Result != nil {
					fired <- string(o.Result.Payload)
				}
			}},
		}
		ready := make(chan struct{}, 1)
		cfg := server.Config{Addr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second, Ready: func(server.Addrs) { ready <- struct{}{} }}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- server.ServeWith(ctx, opts, cfg) }()
		select {
		case <-ready:
		case err := <-served:
			cancel()
			t.Fatalf("ServeWith: %v\n%s", err, logs.String())
		case <-time.After(5 * time.Minute):
			t.Fatal("fresco did not start")
		}
		return logs, func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("ServeWith: %v", err)
			}
		}
	}

	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := scheduletest.NewClock(start)
	fired := make(chan string, 10)
	logs, stop := serve(true, clk, fired)
	if !clk.WaitParked(nil, 10*time.Second) {
		t.Fatalf("the scheduler did not start:\n%s", logs.String())
	}
	clk.Set(start.Add(time.Minute))
	select {
	case p := <-fired:
		if !strings.Contains(p, `"time":"2026-03-01T10:01:00Z"`) || !strings.Contains(p, `rule/EchoEvery"`) {
			t.Errorf("payload %s", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the schedule did not fire:\n%s", logs.String())
	}
	stop()
	if strings.Contains(logs.String(), "not firing") {
		t.Errorf("with Schedules, a line says they are not firing:\n%s", logs.String())
	}

	logs, stop = serve(false, nil, fired)
	stop()
	if !strings.Contains(logs.String(), "are not firing: fresco start --schedules fires them") || strings.Contains(logs.String(), "schedule fired") {
		t.Errorf("without Schedules:\n%s", logs.String())
	}
}
