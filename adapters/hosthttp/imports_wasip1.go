//go:build wasip1

package hosthttp

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"unsafe"
)

//go:wasmimport fresco_http request
func request(head unsafe.Pointer, headLen uint32, body unsafe.Pointer, bodyLen uint32) int32

//go:wasmimport fresco_http response_head
func responseHead(h int32, buf unsafe.Pointer, capacity uint32) int32

//go:wasmimport fresco_http response_read
func responseRead(h int32, buf unsafe.Pointer, capacity uint32) int32

//go:wasmimport fresco_http close
func closeHandle(h int32) int32

//go:wasmimport fresco_http last_error
func lastError(buf unsafe.Pointer, capacity uint32) int32

//go:wasmimport fresco_http invoke
func invokeFunction(name unsafe.Pointer, nameLen uint32, payload unsafe.Pointer, payloadLen uint32, flags uint32) int32

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// failure is the error of a call that returned -errno.
func failure(n int32) error {
	buf := make([]byte, 256)
	l := lastError(ptr(buf), uint32(len(buf)))
	if int(l) > len(buf) {
		buf = make([]byte, l)
		l = lastError(ptr(buf), uint32(len(buf)))
	}
	msg := ""
	if l > 0 && int(l) <= len(buf) {
		msg = string(buf[:l])
	}
	return &Error{Errno: Errno(-n), Message: msg}
}

func hostRequest(head, body []byte) (int32, error) {
	h := request(ptr(head), uint32(len(head)), ptr(body), uint32(len(body)))
	if h < 0 {
		return 0, failure(h)
	}
	return h, nil
}

func hostHead(h int32) ([]byte, error) {
	buf := make([]byte, 1024)
	n := responseHead(h, ptr(buf), uint32(len(buf)))
	if n < 0 {
		return nil, failure(n)
	}
	if int(n) > len(buf) {
		buf = make([]byte, n)
		n = responseHead(h, ptr(buf), uint32(len(buf)))
		if n < 0 {
			return nil, failure(n)
		}
	}
	return buf[:n], nil
}

func hostRead(h int32, p []byte) (int, error) {
	n := responseRead(h, ptr(p), uint32(len(p)))
	if n < 0 {
		return 0, failure(n)
	}
	return int(n), nil
}

func hostClose(h int32) { closeHandle(h) }

func hostInvoke(name string, payload []byte, event bool) (int32, error) {
	var flags uint32
	if event {
		flags = 1
	}
	nb := []byte(name)
	h := invokeFunction(ptr(nb), uint32(len(nb)), ptr(payload), uint32(len(payload)), flags)
	if h < 0 {
		return 0, failure(h)
	}
	return h, nil
}

var installOnce sync.Once

// Install sends http.DefaultTransport's requests through the host, and
// serves the guest's Lambda endpoint (AWS_ENDPOINT_URL_LAMBDA) in its
// in-memory network. It runs once; later calls do nothing.
//
// http.DefaultTransport stays the *http.Transport it is (code that asserts
// so keeps working): Transport is registered on it for the http and https
// schemes (RegisterProtocol), with its own HTTP/2 off, since the host
// speaks HTTP/2. A Clone of it does not carry the registration.
func Install() {
	installOnce.Do(func() {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			dt.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			dt.RegisterProtocol("http", Transport{})
			dt.RegisterProtocol("https", Transport{})
		} else {
			http.DefaultTransport = Transport{}
		}
		serveEndpoint(os.Getenv("AWS_ENDPOINT_URL_LAMBDA"))
	})
}

// serveEndpoint listens on endpoint's host:port in the guest's in-memory
// network (Go's on wasip1, which only reaches listeners of the same
// process) and relays what arrives through the host, to the same URL on
// the host's network. An SDK client with a transport of its own, which
// dials that address, thus reaches the host's endpoint unchanged. Nothing
// here makes a WASI call: the snapshot keeps the listener.
func serveEndpoint(endpoint string) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return
	}
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		return
	}
	srv := &http.Server{Handler: relay{base: u}}
	go srv.Serve(l)
}

// relay sends every request it serves through the host, to base.
type relay struct{ base *url.URL }

func (r relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.URL.Scheme = r.base.Scheme
	out.URL.Host = r.base.Host
	out.Host = req.Host
	resp, err := Transport{}.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
