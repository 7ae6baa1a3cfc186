package invokeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// The wire contract of InvokeWithResponseStream (service model, operation
// InvokeWithResponseStream): an AWS event stream of PayloadChunk events,
// then one InvokeComplete.
const (
	streamRoute  = "/2021-11-15/functions/{FunctionName}/response-streaming-invocations"
	streamPrefix = "/2021-11-15/functions/"
	streamSuffix = "/response-streaming-invocations"

	contentTypeEventStream = "application/vnd.amazon.eventstream"
	eventPayloadChunk      = "PayloadChunk"
	eventInvokeComplete    = "InvokeComplete"
)

// invokeStream serves InvokeWithResponseStream.
func (s *server) invokeStream(w http.ResponseWriter, r *http.Request) {
	if err := s.serveInvokeStream(w, r); err != nil {
		edge.AnswerUnread(w, r, func() { s.writeError(w, r, err) })
	}
}

func (s *server) serveInvokeStream(w http.ResponseWriter, r *http.Request) error {
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, streamPrefix) || !strings.HasSuffix(path, streamSuffix) ||
		len(path) < len(streamPrefix)+len(streamSuffix) {
		return unknownOperation(http.StatusNotFound, r)
	}
	// The same checks as Invoke's, on the operation's own path; Event is
	// not among ResponseStreamingInvocationType's values.
	if v := r.Header.Get(headerInvocationType); v == invocationEvent {
		return invoke.InvalidParameter("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s]",
			v, invocationRequestResponse, invocationDryRun)
	}
	r2 := r.Clone(r.Context())
	var err error
	r2.URL.RawPath = invokePrefix + path[len(streamPrefix):len(path)-len(streamSuffix)] + invokeSuffix
	if r2.URL.Path, err = url.PathUnescape(r2.URL.RawPath); err != nil {
		return unknownOperation(http.StatusNotFound, r)
	}
	in, err := parseInvocation(r2)
	if err != nil {
		return err
	}
	fn, err := s.backend.Lookup(in.ref.Name, in.qualifier)
	if err != nil {
		return fmt.Errorf("look up function %q: %w", in.ref.String(), err)
	}
	if len(in.payload) == 0 {
		in.payload = []byte("{}")
	} else if !json.Valid(in.payload) {
		return invoke.InvalidRequestContent("%sinvalid JSON", msgInvalidJSON)
	}
	if in.typ == DryRun {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	arn := fn.ARN()
	if in.qualifier != "" {
		arn += ":" + in.qualifier
	}
	stream := NewEventStream(w, fn.Version())
	req := &invoke.Request{
		RequestID:          edge.RequestID(r),
		Payload:            in.payload,
		InvokedFunctionARN: arn,
		TraceID:            traceID(r.Header.Get(edge.HeaderTraceID)),
		ClientContext:      in.clientContext,
		Stream:             stream,
	}
	if req.RequestID == "" {
		req.RequestID = invoke.NewRequestID()
	}
	res, err := fn.Invoke(context.WithoutCancel(r.Context()), req)
	if err != nil && !stream.closeUnbegun() {
		return fmt.Errorf("invoke %s: %w", arn, err)
	}
	if err != nil {
		res = invoke.ErrorResult(invoke.Crash, invoke.ErrCanceled, err.Error())
	}
	if res == nil {
		return errors.New("backend returned no result")
	}
	stream.Complete(res, in.tail)
	return nil
}

// EventStream is an invoke.ResponseStream that answers an HTTP request as
// InvokeWithResponseStream does: 200 with the event-stream content type,
// a PayloadChunk event per write, flushed at once, and InvokeComplete at
// the end (Complete). The Function URL front door uses the same sink shape
// for its own wire format.
type EventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	version string
	enc     *eventstream.Encoder
	mu      sync.Mutex
	started bool
	failed  error
}

// NewEventStream returns the stream answering on w, for a function of the
// given executed version.
func NewEventStream(w http.ResponseWriter, version string) *EventStream {
	return &EventStream{w: w, rc: http.NewResponseController(w), version: version, enc: eventstream.NewEncoder()}
}

// writeTimeout bounds one write to the caller: a reader that takes longer
// ends the stream (and a guest writing to it is not held).
const writeTimeout = 30 * time.Second

// errStreamEnded fails the writes of a runtime still writing after its
// invocation ended (a process function past its deadline).
var errStreamEnded = errors.New("the response stream has ended")

// closeUnbegun closes the stream if nothing was sent on it yet, and
// reports whether it had begun.
func (e *EventStream) closeUnbegun() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		e.failed = errStreamEnded
	}
	return e.started
}

// Begin sends the status and headers. The function's content type is not
// the operation's (its Content-Type is the event stream's).
func (e *EventStream) Begin(string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return e.failed
	}
	e.begin()
	return e.failed
}

func (e *EventStream) begin() {
	if e.started {
		return
	}
	e.started = true
	h := e.w.Header()
	h.Set(edge.HeaderContentType, contentTypeEventStream)
	h.Set(headerExecutedVersion, e.version)
	e.w.WriteHeader(http.StatusOK)
	e.flush()
}

func (e *EventStream) flush() {
	if e.failed == nil {
		// Long streams outlive the server's WriteTimeout: each write gets
		// its own deadline instead.
		_ = e.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := e.rc.Flush(); err != nil {
			e.failed = fmt.Errorf("flush stream: %w", err)
		}
	}
}

// Write sends p as one PayloadChunk event.
func (e *EventStream) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return 0, e.failed
	}
	e.begin()
	if err := e.event(eventPayloadChunk, "application/octet-stream", p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush sends what was written to the caller.
func (e *EventStream) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flush()
	return e.failed
}

func (e *EventStream) event(typ, contentType string, payload []byte) error {
	_ = e.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	err := e.enc.Encode(e.w, eventstream.Message{
		Headers: eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(typ)},
			{Name: ":content-type", Value: eventstream.StringValue(contentType)},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		Payload: payload,
	})
	if err != nil {
		e.failed = fmt.Errorf("write stream event: %w", err)
	}
	return e.failed
}

// completeEvent is InvokeWithResponseStreamCompleteEvent.
type completeEvent struct {
	ErrorCode    string `json:",omitempty"`
	ErrorDetails string `json:",omitempty"`
	LogResult    string `json:",omitempty"`
}

// Complete ends the stream with res: what the function answered without
// streaming as one PayloadChunk, then InvokeComplete, carrying the error
// type and document of a failed invocation and, when tail, the log's tail.
func (e *EventStream) Complete(res *invoke.Result, tail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return
	}
	e.begin()
	var done completeEvent
	if res.Kind == invoke.Success {
		if len(res.Payload) > 0 {
			e.event(eventPayloadChunk, "application/octet-stream", res.Payload)
		}
	} else {
		done.ErrorCode = res.ErrorType
		done.ErrorDetails = string(res.Payload)
	}
	if tail {
		done.LogResult = base64.StdEncoding.EncodeToString(logTail(res.Log))
	}
	b, _ := json.Marshal(done)
	e.event(eventInvokeComplete, "application/json", b)
	e.flush()
	if e.failed == nil {
		e.failed = errStreamEnded
	}
}
