package funcurl

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMatch(t *testing.T) {
	urls := []URL{{Function: "StreamURL"}, {Function: "other"}}
	for _, tc := range []struct {
		host, target string
		fn, path     string
		ok           bool
	}{
		{"127.0.0.1:3000", "/lambda-url/StreamURL/a/b?x=1", "StreamURL", "/a/b", true},
		{"127.0.0.1:3000", "/lambda-url/StreamURL", "StreamURL", "/", true},
		{"streamurl.lambda-url.us-east-1.localhost:3000", "/a", "StreamURL", "/a", true},
		{"STREAMURL.lambda-url.eu-west-1.localhost", "/", "StreamURL", "/", true},
		{"nope.lambda-url.us-east-1.localhost", "/", "", "", false},
		{"127.0.0.1:3000", "/lambda-url/Nope/", "", "", false},
		{"127.0.0.1:3000", "/hello", "", "", false},
		{"streamurl.lambda-url.us-east-1.example.com", "/", "", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.target, nil)
		r.Host = tc.host
		u, path, ok := match(urls, r)
		if ok != tc.ok || u.Function != tc.fn || path != tc.path {
			t.Errorf("%s %s: %q %q %v, want %q %q %v", tc.host, tc.target, u.Function, path, ok, tc.fn, tc.path, tc.ok)
		}
	}
}

func TestWriteBuffered(t *testing.T) {
	for _, tc := range []struct {
		payload, body, contentType string
		status                     int
	}{
		{`{"statusCode":201,"headers":{"Content-Type":"text/plain"},"body":"hi"}`, "hi", "text/plain", 201},
		{`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, "hi", "application/json", 200},
		{`{"message":"no status"}`, `{"message":"no status"}`, "application/json", 200},
		{`"a string"`, "a string", "application/json", 200},
		{`{"statusCode":200,"body":"!!","isBase64Encoded":true}`, `{"Message":"Internal Server Error"}`, "application/json", 502},
	} {
		w := httptest.NewRecorder()
		writeBuffered(w, []byte(tc.payload))
		if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %q %q", tc.payload, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
}

func TestAddresses(t *testing.T) {
	host, path := URL{Function: "Fn"}.Addresses("http://127.0.0.1:3000", "us-east-1")
	if host != "http://fn.lambda-url.us-east-1.localhost:3000/" || path != "http://127.0.0.1:3000/lambda-url/Fn/" {
		t.Errorf("%s %s", host, path)
	}
}

// FuzzResponseStream: whatever a function streams (split anywhere), the
// sink never panics, keeps at most maxPrelude bytes of prelude, and sends
// the bytes after a valid prelude's separator as the body.
func FuzzResponseStream(f *testing.F) {
	f.Add([]byte(`{"statusCode":201,"headers":{"A":"b"}}`+"\x00\x00\x00\x00\x00\x00\x00\x00body"), uint8(3))
	f.Add([]byte(`not json`+"\x00\x00\x00\x00\x00\x00\x00\x00"), uint8(1))
	f.Add([]byte(`{"statusCode":99999}`+"\x00\x00\x00\x00\x00\x00\x00\x00x"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		w := httptest.NewRecorder()
		s := &responseStream{w: w, rc: http.NewResponseController(w)}
		if err := s.Begin("application/vnd.awslambda.http-integration-response"); err != nil {
			t.Fatal(err)
		}
		cut := 0
		if len(data) > 0 {
			cut = int(split) % (len(data) + 1)
		}
		s.Write(data[:cut])
		s.Write(data[cut:])
		if len(s.prelude) > maxPrelude+len(data) {
			t.Fatalf("prelude kept %d bytes", len(s.prelude))
		}
		if s.headers && (w.Code < 100 || w.Code > 599) {
			t.Fatalf("status %d", w.Code)
		}
	})
}
