package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/frescolabs/fresco/emulator/cli"
)

// unitDirectives reads fresco.service into (key, value) pairs, in order.
func unitDirectives(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open("fresco.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("fresco.service: %q is not Key=Value", line)
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

func directive(t *testing.T, key string) []string {
	var vs []string
	for _, kv := range unitDirectives(t) {
		if kv[0] == key {
			vs = append(vs, kv[1])
		}
	}
	return vs
}

// tool finds a program the test runs; absent locally it skips, since
// .ci/run installs it (systemd for systemd-analyze, cloud-init, awscli).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (.ci/run installs it)", name)
	}
	return p
}

// TestUnitVerifies: systemd-analyze verify accepts the unit (with its
// ExecStart naming an executable that exists here), its hardening is in
// place, and its system call filter lets through every system call fresco
// makes, userfaultfd included: asked of systemd-analyze itself, the groups
// the unit allows hold each, and no group it denies does.
func TestUnitVerifies(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	unit, err := os.ReadFile("fresco.service")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "fresco.service")
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(unit, []byte("/usr/local/bin/fresco "), []byte(exe+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, want := range [][2]string{
		{"DynamicUser", "yes"}, {"ProtectSystem", "strict"}, {"NoNewPrivileges", "yes"}, {"PrivateTmp", "yes"},
		{"StateDirectory", "fresco"}, {"CacheDirectory", "fresco"}, {"ProtectHome", "yes"}, {"CapabilityBoundingSet", ""},
		{"MemoryMax", "90%"}, {"LimitNOFILE", "65536"},
	} {
		if got := directive(t, want[0]); len(got) != 1 || got[0] != want[1] {
			t.Errorf("%s=%q, want %q", want[0], got, want[1])
		}
	}
	if got := directive(t, "MemoryDenyWriteExecute"); len(got) != 0 {
		t.Errorf("MemoryDenyWriteExecute=%v: wazero maps compiled code writable, then executable", got)
	}
	// Which system calls a filter line names, per systemd-analyze: a
	// group's listing names its system calls and, indented, the groups it
	// includes.
	var expand func(names []string) map[string]bool
	expand = func(names []string) map[string]bool {
		set := map[string]bool{}
		for _, n := range names {
			if !strings.HasPrefix(n, "@") {
				set[n] = true
				continue
			}
			out, err := exec.Command(analyze, "syscall-filter", n).Output()
			if err != nil {
				t.Fatalf("systemd-analyze syscall-filter %s: %v", n, err)
			}
			for _, l := range strings.Split(string(out), "\n")[1:] {
				switch l = strings.TrimSpace(l); {
				case l == "" || strings.HasPrefix(l, "#"):
				case strings.HasPrefix(l, "@"):
					for k := range expand([]string{l}) {
						set[k] = true
					}
				default:
					set[l] = true
				}
			}
		}
		return set
	}
	allowed, denied := map[string]bool{}, map[string]bool{}
	for _, v := range directive(t, "SystemCallFilter") {
		if rest, ok := strings.CutPrefix(v, "~"); ok {
			for k := range expand(strings.Fields(rest)) {
				denied[k] = true
			}
		} else {
			for k := range expand(strings.Fields(v)) {
				allowed[k] = true
			}
		}
	}
	for _, sc := range frescoSyscalls {
		if !allowed[sc] || denied[sc] {
			t.Errorf("%s: allowed %v, denied %v: fresco makes this system call", sc, allowed[sc], denied[sc])
		}
	}
}

// frescoSyscalls are the system calls the linux/amd64 release binary made
// (strace -f) serving a C and a Go function from a bundle, with dirty-page
// resets, through the aws CLI, an Event invocation included, and shutting
// down on SIGTERM; userfaultfd, ioctl (UFFDIO_*, PAGEMAP_SCAN) and madvise
// (MADV_HUGEPAGE, MADV_COLLAPSE) among them. (execve is strace's own exec
// of fresco.)
var frescoSyscalls = strings.Fields(`accept4 arch_prctl bind clone close epoll_create1 epoll_ctl
	epoll_pwait eventfd2 execve exit_group fcntl fdatasync flock fstat fsync ftruncate futex getdents64 getpid
	getrandom getsockname gettid ioctl listen madvise mkdirat mmap mprotect munmap nanosleep
	newfstatat openat prctl pread64 prlimit64 pwrite64 read rt_sigaction rt_sigprocmask
	rt_sigreturn sched_getaffinity sched_yield setsockopt sigaltstack socket sysinfo tgkill uname
	userfaultfd write`)

// cloudConfig is the part of cloud-init.yaml the tests read.
type cloudConfig struct {
	WriteFiles []struct {
		Path, Content, Permissions string
	} `yaml:"write_files"`
	Runcmd [][]string `yaml:"runcmd"`
}

func readCloudConfig(t *testing.T) (cloudConfig, map[string]string) {
	t.Helper()
	b, err := os.ReadFile("cloud-init.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("#cloud-config\n")) {
		t.Fatal("cloud-init.yaml does not start with #cloud-config")
	}
	var cc cloudConfig
	if err := yaml.Unmarshal(b, &cc); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = f.Content
	}
	return cc, files
}

// TestCloudInit: cloud-init's own schema check accepts the user-data; it
// writes deploy/fresco.service byte for byte, and an install script that
// bash parses, which runcmd runs.
func TestCloudInit(t *testing.T) {
	cloudInit := tool(t, "cloud-init")
	if out, err := exec.Command(cloudInit, "schema", "--config-file", "cloud-init.yaml").CombinedOutput(); err != nil || !strings.Contains(string(out), "Valid cloud-config") {
		t.Fatalf("cloud-init schema: %v\n%s", err, out)
	}
	cc, files := readCloudConfig(t)
	unit, err := os.ReadFile("fresco.service")
	if err != nil {
		t.Fatal(err)
	}
	if files["/etc/systemd/system/fresco.service"] != string(unit) {
		t.Error("cloud-init.yaml's /etc/systemd/system/fresco.service is not deploy/fresco.service")
	}
	script := files["/usr/local/sbin/fresco-install"]
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil || script == "" {
		t.Errorf("fresco-install does not parse (%d bytes): %v\n%s", len(script), err, out)
	}
	if len(cc.Runcmd) != 1 || len(cc.Runcmd[0]) != 1 || cc.Runcmd[0][0] != "/usr/local/sbin/fresco-install" {
		t.Errorf("runcmd %v, want [[/usr/local/sbin/fresco-install]]", cc.Runcmd)
	}
	env := files["/etc/fresco/release.env"]
	for _, v := range []string{"RELEASE_BINARY_URL=", "RELEASE_BINARY_SHA256=", "RELEASE_FUNCTIONS_URL=", "RELEASE_FUNCTIONS_SHA256="} {
		if !strings.Contains(env, "\n"+v) || !strings.Contains(script, strings.TrimSuffix(v, "=")) {
			t.Errorf("release.env or fresco-install lacks %s", v)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and readers.
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

// TestUnitCommandLineServes runs the unit's ExecStart command line, as
// systemd would (its arguments, with its paths moved under a temporary
// directory and its ports made :0), over a functions bundle laid out as
// go run ./scripts/release -functions makes one (template.yaml, modules
// under artifacts/), and invokes a function through the aws CLI; the
// state and cache directories it names are where fresco writes, and
// SIGTERM's shutdown (a canceled context) exits 0.
func TestUnitCommandLineServes(t *testing.T) {
	aws := tool(t, "aws")
	execStart := directive(t, "ExecStart")
	if len(execStart) != 1 {
		t.Fatalf("ExecStart %q", execStart)
	}
	args := strings.Fields(execStart[0])
	if args[0] != "/usr/local/bin/fresco" || strings.ContainsAny(execStart[0], `"'$%\`) {
		t.Fatalf("ExecStart %q: want /usr/local/bin/fresco and plain arguments", execStart[0])
	}
	root := t.TempDir()
	bundle := filepath.Join(root, "etc/fresco/functions/current")
	if err := os.MkdirAll(filepath.Join(bundle, "artifacts"), 0o755); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join("..", "samples", "chello", "chello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bundle, "artifacts", "chello.wasm"), wasm, 0o644)
	os.WriteFile(filepath.Join(bundle, "template.yaml"), []byte(`AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  CHello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Architectures: [arm64]
      Handler: bootstrap
      CodeUri: artifacts/chello.wasm
`), 0o644)
	for i, a := range args {
		for _, dir := range []string{"/etc/fresco/", "/var/cache/fresco", "/var/lib/fresco"} {
			if strings.HasPrefix(a, dir) {
				args[i] = filepath.Join(root, a)
			}
		}
		if i > 0 && (args[i-1] == "--port" || args[i-1] == "--api-port") {
			args[i] = "0"
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, args[1:], strings.NewReader(""), io.Discard, &stderr) }()
	re := regexp.MustCompile(`fresco is serving the Lambda Invoke API.* addr=(http://127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(2 * time.Minute); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("fresco %v exited with %d:\n%s", args[1:], code, stderr.String())
		default:
		}
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("fresco never reported the Invoke API's address:\n%s", stderr.String())
	}
	out := filepath.Join(root, "out.json")
	cmd := exec.Command(aws, "lambda", "invoke", "--endpoint-url", addr, "--function-name", "CHello", "--payload", `{"name":"systemd"}`, out)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=deploy", "AWS_SECRET_ACCESS_KEY=deploy", "AWS_DEFAULT_REGION=us-east-1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aws lambda invoke: %v\n%s\n%s", err, b, stderr.String())
	}
	if b, _ := os.ReadFile(out); string(b) != `{"message":"Hello, systemd!"}` {
		t.Fatalf("CHello answered %q", b)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after shutdown:\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("fresco did not stop")
	}
	// fresco wrote only where the unit lets it (StateDirectory, CacheDirectory).
	for _, dir := range []string{"var/lib/fresco/state", "var/cache/fresco"} {
		if entries, err := os.ReadDir(filepath.Join(root, dir)); err != nil || len(entries) == 0 {
			t.Errorf("%s: %v, %d entries: fresco did not use it", dir, err, len(entries))
		}
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if n := e.Name(); n != "etc" && n != "var" && n != "out.json" {
			t.Errorf("fresco wrote %s outside the unit's directories", n)
		}
	}
}

// TestDocsShowTheUnit: docs/deploy.md quotes the unit's command line as it is.
func TestDocsShowTheUnit(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	if line := directive(t, "ExecStart")[0]; !strings.Contains(string(doc), "\n"+line+"\n") {
		t.Errorf("docs/deploy.md does not show ExecStart as it is:\n%s", line)
	}
}
