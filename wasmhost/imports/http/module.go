package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
)

// ModuleName is the import module of outbound HTTP (docs/abi.md).
const ModuleName = "fresco_http"

// errno values of the module; calls return them negated.
const (
	errnoDenied          = 1  // refused by the egress policy
	errnoConnect         = 2  // connection refused, unreachable, no such host
	errnoNotInInvocation = 3  // outside an invocation (same as the fresco module)
	errnoTimeout         = 4  // the invocation's deadline passed
	errnoTLS             = 5  // TLS handshake or certificate failure
	errnoTooLarge        = 6  // request or response past its bound
	errnoBadHandle       = 7  // no such open handle
	errnoInvalid         = 8  // malformed request head or URL
	errnoIO              = 9  // any other failure of the exchange
	errnoTooMany         = 10 // too many open handles
	errnoCredentials     = 11 // AWS request and the host has no credentials
	errnoUnavailable     = 12 // no invoker (the direct invoke call)
)

// Bounds of what the host holds for a guest.
const (
	// maxHandles bounds the open handles of one invocation.
	maxHandles = 64
	// maxHead bounds a request head and a response's head record.
	maxHead = 1 << 20
	// maxMessage bounds the last error's message.
	maxMessage = 1024
)

// Function is what the module knows of the function it serves.
type Function struct {
	// Name is the function's name (the caller of direct invocations).
	Name string
	// Allowed is its allow-list (nil: any host).
	Allowed *Policy
	// MemoryBytes is its memory size: the guest's memory plus what the
	// host holds for it (request bodies, response heads) stay within it.
	MemoryBytes uint64
}

// Module describes the fresco_http host module for one function, served by
// c. Every call keeps the instance resettable: what a call opens is the
// invocation's, released when it ends.
func (c *Client) Module(fn Function) abi.Module {
	m := &module{c: c, fn: fn}
	return abi.Module{Name: ModuleName, Instantiate: m.instantiate}
}

type module struct {
	c      *Client
	fn     Function
	states sync.Map // *abi.Invocation -> *state
}

// state is one invocation's: its handles and its last error.
type state struct {
	handles map[int32]*handle
	next    int32
	held    uint64 // bytes the host holds for the handles
	lastErr string
}

// handle is one open response.
type handle struct {
	head   []byte // the head record (status and headers)
	body   io.ReadCloser
	cancel context.CancelFunc
	eof    bool
}

func (h *handle) close() {
	if h.body != nil {
		h.body.Close()
	}
	if h.cancel != nil {
		h.cancel()
	}
}

var (
	i32   = api.ValueTypeI32
	one   = []api.ValueType{i32}
	two   = []api.ValueType{i32, i32}
	three = []api.ValueType{i32, i32, i32}
	four  = []api.ValueType{i32, i32, i32, i32}
	five  = []api.ValueType{i32, i32, i32, i32, i32}
)

func (m *module) instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range []struct {
		name            string
		params, results []api.ValueType
		fn              api.GoModuleFunc
	}{
		{"request", four, one, m.request},
		{"response_head", three, one, m.responseHead},
		{"response_read", three, one, m.responseRead},
		{"close", one, one, m.close},
		{"last_error", two, one, m.lastError},
		{"invoke", five, one, m.invoke},
	} {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).WithName(f.name).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// stateOf returns inv's state, made (and its release registered) at the
// first call.
func (m *module) stateOf(inv *abi.Invocation) *state {
	if s, ok := m.states.Load(inv); ok {
		return s.(*state)
	}
	s := &state{handles: map[int32]*handle{}}
	m.states.Store(inv, s)
	inv.OnEnd(func() {
		for _, h := range s.handles {
			h.close()
		}
		clear(s.handles)
		m.states.Delete(inv)
	})
	return s
}

// fail records err as the invocation's last error and returns -errno.
func (s *state) fail(errno int32, format string, a ...any) uint64 {
	msg := fmt.Sprintf(format, a...)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	s.lastErr = msg
	return abi.I32(-errno)
}

// deadline is the context a call's exchange runs under: the invocation's
// deadline (its init's, during init), and the caller's context.
func deadlineCtx(ctx context.Context, inv *abi.Invocation) (context.Context, context.CancelFunc) {
	if inv.InInvoke() && !inv.Deadline.IsZero() {
		return context.WithDeadline(ctx, inv.Deadline)
	}
	return context.WithCancel(ctx)
}

// request is request(head, head_len, body, body_len) -> handle | -errno.
func (m *module) request(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".request"
	inv := abi.From(ctx)
	headPtr, headLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	bodyPtr, bodyLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if inv == nil {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	if headLen > maxHead {
		stack[0] = s.fail(errnoTooLarge, "request head of %d bytes exceeds %d", headLen, maxHead)
		return
	}
	mem := abi.CheckRange(inv, mod, call, headPtr, headLen)
	abi.CheckRange(inv, mod, call, bodyPtr, bodyLen)
	if len(s.handles) >= maxHandles {
		stack[0] = s.fail(errnoTooMany, "%d responses are open; close one first", maxHandles)
		return
	}
	if room := m.room(mem, s); uint64(bodyLen)+uint64(headLen) > room {
		stack[0] = s.fail(errnoTooLarge, "request of %d bytes does not fit in the function's memory (%d bytes left of %d MB)", bodyLen+headLen, room, m.fn.MemoryBytes>>20)
		return
	}
	head, _ := mem.Read(headPtr, headLen)
	req, err := parseHead(head)
	if err != nil {
		stack[0] = s.fail(errnoInvalid, "%v", err)
		return
	}
	var body []byte
	if bodyLen > 0 {
		b, _ := mem.Read(bodyPtr, bodyLen)
		// A copy: the transport may still read the body after the call.
		body = bytes.Clone(b)
	}
	rctx, cancel := deadlineCtx(ctx, inv)
	resp, errno, err := m.c.do(rctx, m.fn.Allowed, req, body)
	if err != nil {
		cancel()
		stack[0] = s.fail(errno, "%v", err)
		return
	}
	h := &handle{head: headRecord(resp.StatusCode, resp.Header), body: resp.Body, cancel: cancel}
	if uint64(len(h.head)) > m.room(mem, s) {
		h.close()
		stack[0] = s.fail(errnoTooLarge, "response head of %d bytes does not fit in the function's memory", len(h.head))
		return
	}
	stack[0] = abi.I32(s.add(h))
}

// room is what the host may still hold for the invocation: the function's
// memory less the guest's and the open handles'.
func (m *module) room(mem api.Memory, s *state) uint64 {
	used := uint64(mem.Size()) + s.held
	if used >= m.fn.MemoryBytes {
		return 0
	}
	return m.fn.MemoryBytes - used
}

func (s *state) add(h *handle) int32 {
	s.next++
	s.handles[s.next] = h
	s.held += uint64(len(h.head))
	return s.next
}

// responseHead is response_head(handle, buf, cap) -> len | -errno: the
// head record when it fits in cap, and its length either way.
func (m *module) responseHead(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".response_head"
	inv := abi.From(ctx)
	id, buf, capacity := int32(api.DecodeU32(stack[0])), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	if inv == nil {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	mem := abi.CheckRange(inv, mod, call, buf, capacity)
	h := s.handles[id]
	if h == nil {
		stack[0] = s.fail(errnoBadHandle, "response_head: no open response %d", id)
		return
	}
	if uint32(len(h.head)) <= capacity {
		mem.Write(buf, h.head)
	}
	stack[0] = abi.I32(int32(len(h.head)))
}

// responseRead is response_read(handle, buf, cap) -> n | -errno; 0 at the
// end of the body. The body is read straight into guest memory.
func (m *module) responseRead(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".response_read"
	inv := abi.From(ctx)
	id, buf, capacity := int32(api.DecodeU32(stack[0])), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	if inv == nil {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	mem := abi.CheckRange(inv, mod, call, buf, capacity)
	h := s.handles[id]
	if h == nil {
		stack[0] = s.fail(errnoBadHandle, "response_read: no open response %d", id)
		return
	}
	if h.eof || capacity == 0 || h.body == nil {
		stack[0] = 0
		return
	}
	capacity = min(capacity, 1<<30)
	view, _ := mem.Read(buf, capacity)
	n, err := h.body.Read(view)
	// A reader may return no bytes and no error; 0 means the end to the
	// guest, so read again (a few times: a reader that never progresses
	// is an error of the exchange).
	for tries := 0; n == 0 && err == nil; tries++ {
		if tries == 100 {
			err = io.ErrNoProgress
			break
		}
		n, err = h.body.Read(view)
	}
	switch {
	case err == io.EOF:
		h.eof = true
	case err != nil && n == 0:
		errno, e := classify(err)
		stack[0] = s.fail(errno, "read response body: %v", e)
		return
	}
	stack[0] = abi.I32(int32(n))
}

// close is close(handle) -> errno.
func (m *module) close(ctx context.Context, _ api.Module, stack []uint64) {
	inv := abi.From(ctx)
	id := int32(api.DecodeU32(stack[0]))
	if inv == nil {
		stack[0] = abi.I32(errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	h := s.handles[id]
	if h == nil {
		s.fail(errnoBadHandle, "close: no open response %d", id)
		stack[0] = errnoBadHandle
		return
	}
	h.close()
	s.held -= uint64(len(h.head))
	delete(s.handles, id)
	stack[0] = 0
}

// lastError is last_error(buf, cap) -> len: the message of the
// invocation's last failed call, written when it fits.
func (m *module) lastError(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".last_error"
	inv := abi.From(ctx)
	buf, capacity := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if inv == nil {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	mem := abi.CheckRange(inv, mod, call, buf, capacity)
	if uint32(len(s.lastErr)) <= capacity {
		mem.WriteString(buf, s.lastErr)
	}
	stack[0] = abi.I32(int32(len(s.lastErr)))
}

// invoke is invoke(name, name_len, payload, payload_len, flags) -> handle |
// -errno: a direct invocation of a function of the same host (flags bit 0:
// an Event invocation). The response reads as the Invoke API's: status
// 200 (202 for an Event), X-Amz-Function-Error on a function error, the
// payload as body; a service error has its status and {"Type","message"}.
func (m *module) invoke(ctx context.Context, mod api.Module, stack []uint64) {
	const call = ModuleName + ".invoke"
	inv := abi.From(ctx)
	namePtr, nameLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	payPtr, payLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	flags := api.DecodeU32(stack[4])
	if !inv.InInvoke() {
		stack[0] = abi.I32(-errnoNotInInvocation)
		return
	}
	s := m.stateOf(inv)
	if nameLen > 2048 {
		stack[0] = s.fail(errnoInvalid, "function name of %d bytes is too long", nameLen)
		return
	}
	name := string(abi.Read(inv, mod, call, namePtr, nameLen))
	mem := abi.CheckRange(inv, mod, call, payPtr, payLen)
	if len(s.handles) >= maxHandles {
		stack[0] = s.fail(errnoTooMany, "%d responses are open; close one first", maxHandles)
		return
	}
	if m.c.cfg.Invoke == nil {
		stack[0] = s.fail(errnoUnavailable, "this host cannot invoke functions directly")
		return
	}
	if uint64(payLen) > m.room(mem, s) {
		stack[0] = s.fail(errnoTooLarge, "payload of %d bytes does not fit in the function's memory", payLen)
		return
	}
	p, _ := mem.Read(payPtr, payLen)
	payload := bytes.Clone(p)
	rctx, cancel := deadlineCtx(ctx, inv)
	defer cancel()
	async := flags&1 != 0
	res, err := m.c.cfg.Invoke(rctx, m.fn.Name, name, payload, async)
	var status int
	hdr := nethttp.Header{}
	var body []byte
	var se *invoke.ServiceError
	switch {
	case errors.As(err, &se):
		status, body = se.Status, fmt.Appendf(nil, `{"Type":%q,"message":%q}`, se.Type, se.Message)
		hdr.Set("X-Amzn-Errortype", se.Type)
	case err != nil:
		if rctx.Err() != nil {
			stack[0] = s.fail(errnoTimeout, "invoke %s: the invocation's deadline passed", name)
			return
		}
		stack[0] = s.fail(errnoIO, "invoke %s: %v", name, err)
		return
	case async:
		status = 202
	default:
		status, body = 200, res.Payload
		if res.ErrorType != "" {
			hdr.Set("X-Amz-Function-Error", "Unhandled")
		}
	}
	h := &handle{head: headRecord(status, hdr), body: io.NopCloser(bytes.NewReader(body))}
	stack[0] = abi.I32(s.add(h))
}

// parseHead parses a request head: "METHOD URL\n" then "Name: value\n"
// lines (a final newline optional, "\r\n" accepted).
func parseHead(head []byte) (*nethttp.Request, error) {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\n")
	first := strings.TrimRight(lines[0], "\r")
	method, rawURL, ok := strings.Cut(first, " ")
	if !ok || method == "" || rawURL == "" {
		return nil, fmt.Errorf("request head: first line %q is not \"METHOD URL\"", trim(first))
	}
	for _, c := range method {
		if c < '!' || c > '~' || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return nil, fmt.Errorf("request head: %q is not a method", trim(method))
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("request head: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("request head: URL %q is not http or https", trim(rawURL))
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("request head: URL %q has no host, or has user info", trim(rawURL))
	}
	req := &nethttp.Request{Method: method, URL: u, Header: nethttp.Header{}, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("request head: line %q is not \"Name: value\"", trim(l))
		}
		v = strings.TrimSpace(v)
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Add(k, v)
	}
	return req, nil
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// headRecord is the response head a guest reads: "STATUS\n" then
// "Name: value\n" per value, names canonical and sorted.
func headRecord(status int, h nethttp.Header) []byte {
	b := strconv.AppendInt(nil, int64(status), 10)
	b = append(b, '\n')
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, '\n')
		}
	}
	return b
}

// classify names what went wrong with an exchange, as an errno and an
// error a person can read.
func classify(err error) (int32, error) {
	var denied *DeniedError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &denied):
		return errnoDenied, denied
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return errnoTimeout, fmt.Errorf("the invocation's deadline passed: %w", err)
	case errors.Is(err, context.Canceled):
		return errnoTimeout, fmt.Errorf("the invocation ended: %w", err)
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &recErr), errors.As(err, &alert):
		return errnoTLS, fmt.Errorf("TLS failure: %w", err)
	case errors.As(err, &dnsErr):
		return errnoConnect, fmt.Errorf("no such host: %w", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return errnoConnect, fmt.Errorf("connection refused: %w", err)
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return errnoConnect, fmt.Errorf("host unreachable: %w", err)
	case errors.Is(err, errNoCredentials):
		return errnoCredentials, err
	}
	if strings.Contains(err.Error(), "tls: ") {
		return errnoTLS, fmt.Errorf("TLS failure: %w", err)
	}
	return errnoIO, err
}
