// Hostio exercises the host interfaces of docs/abi.md from Go: buffers,
// the cache and the files of /var/task and /tmp. It reads its event itself
// (guest.ServeUnread): the first line names what to do, so an event it
// passes through never enters its memory.
//
//	proxy\n<body>        posts the event buffer as the response
//	copy\n<body>         reads the event into memory and posts it
//	set KEY TTLMS\n<v>   stores v (from guest memory) under KEY
//	setev KEY TTLMS\n…   stores the whole event (a buffer) under KEY
//	get KEY              the value, or "miss"
//	getproxy KEY         posts the value's buffer, or "miss"
//	del KEY              deletes KEY
//	files                reads /var/task/data.txt, lists /tmp, writes and reads /tmp/x
//	leakfd               opens /tmp/leak and leaves it open
//	bigtmp MB            writes MB megabytes to /tmp/big
//	handles              makes buffers until the host refuses one
//	peek H               the size of buffer handle H
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/frescolabs/fresco/adapters/buffers"
	"github.com/frescolabs/fresco/adapters/cache"
	"github.com/frescolabs/fresco/adapters/guest"
)

//go:wasmimport fresco_buffers buffer_size
func bufferSize(h int32) int32

func main() { guest.ServeUnread(handle) }

func ok(s string) ([]byte, string, []byte) { return []byte(s), "", nil }

func fail(err error) ([]byte, string, []byte) {
	return nil, "HostioError", []byte(fmt.Sprintf(`{"errorType":"HostioError","errorMessage":%q}`, err.Error()))
}

func handle(inv *guest.Invocation) ([]byte, string, []byte) {
	ev, err := buffers.Event()
	if err != nil {
		return fail(err)
	}
	var head [2048]byte
	n, _ := ev.ReadAt(head[:], 0)
	line, _, _ := bytes.Cut(head[:n], []byte("\n"))
	args := strings.Fields(string(line))
	if len(args) == 0 {
		return ok("no command")
	}
	rest := func() []byte {
		b, _ := ev.Bytes()
		_, after, _ := bytes.Cut(b, []byte("\n"))
		return after
	}
	ttl := func(s string) time.Duration {
		ms, _ := strconv.Atoi(s)
		return time.Duration(ms) * time.Millisecond
	}
	switch args[0] {
	case "proxy":
		if err := ev.Respond(); err != nil {
			return fail(err)
		}
		return nil, "", nil
	case "copy":
		b, err := ev.Bytes()
		if err != nil {
			return fail(err)
		}
		return b, "", nil
	case "set":
		if err := cache.Set(args[1], rest(), ttl(args[2])); err != nil {
			return fail(err)
		}
		return ok("ok")
	case "setev":
		if err := cache.SetBuffer(args[1], ev, ttl(args[2])); err != nil {
			return fail(err)
		}
		return ok("ok")
	case "get":
		v, found, err := cache.Get(args[1])
		if err != nil {
			return fail(err)
		}
		if !found {
			return ok("miss")
		}
		return v, "", nil
	case "getproxy":
		b, found, err := cache.GetBuffer(args[1])
		if err != nil {
			return fail(err)
		}
		if !found {
			return ok("miss")
		}
		if err := b.Respond(); err != nil {
			return fail(err)
		}
		return nil, "", nil
	case "del":
		if err := cache.Delete(args[1]); err != nil {
			return fail(err)
		}
		return ok("ok")
	case "files":
		return files(string(rest()))
	case "leakfd":
		f, err := os.Create("/tmp/leak")
		if err != nil {
			return fail(err)
		}
		_, _ = f.WriteString("left open")
		return ok("leaked")
	case "bigtmp":
		mb, _ := strconv.Atoi(args[1])
		f, err := os.Create("/tmp/big")
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		chunk := make([]byte, 1<<20)
		for i := range mb {
			if _, err := f.Write(chunk); err != nil {
				return ok(fmt.Sprintf("wrote %d MB: %v", i, err))
			}
		}
		return ok(fmt.Sprintf("wrote %d MB", mb))
	case "handles":
		n := 0
		for {
			if _, err := buffers.New([]byte("x")); err != nil {
				return ok(fmt.Sprintf("%d: %v", n, err))
			}
			n++
		}
	case "peek":
		h, _ := strconv.Atoi(args[1])
		return ok(strconv.Itoa(int(bufferSize(int32(h)))))
	}
	return ok("unknown command " + args[0])
}

// files reads the function's own file, lists /tmp (empty at the start of
// every invocation), then writes secret to /tmp/x and /tmp/d/y and reads
// them back.
func files(secret string) ([]byte, string, []byte) {
	task, err := os.ReadFile(os.Getenv("LAMBDA_TASK_ROOT") + "/data.txt")
	if err != nil {
		return fail(err)
	}
	before, err := os.ReadDir("/tmp")
	if err != nil {
		return fail(err)
	}
	var names []string
	for _, e := range before {
		names = append(names, e.Name())
	}
	if err := os.WriteFile("/tmp/x", []byte(secret), 0o600); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll("/tmp/d", 0o700); err != nil {
		return fail(err)
	}
	if err := os.WriteFile("/tmp/d/y", []byte(secret), 0o600); err != nil {
		return fail(err)
	}
	back, err := os.ReadFile("/tmp/d/y")
	if err != nil {
		return fail(err)
	}
	werr := os.WriteFile("/var/task/new", []byte("x"), 0o600)
	return ok(fmt.Sprintf("task=%q tmp=%q back=%q taskwrite=%v", strings.TrimSpace(string(task)), names, back, werr != nil))
}
