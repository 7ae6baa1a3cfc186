package procpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/runtimeapi"
)

var _ runtimeapi.Runtime = (*Queue)(nil)

// Queue is the in-memory [runtimeapi.Runtime] of one function: the emulator
// side calls [Queue.Invoke], runtime processes take the invocations
// through the Runtime API ([runtimeapi.NewHandler]) and post their answers.
//
// It is safe for any number of concurrent invokers and runtimes. Each
// invocation is assigned to exactly one Next caller at a time, in the order
// the invokers arrived (Go's channels queue blocked senders first in, first
// out); a caller whose context is done when it would be assigned one leaves
// it for the next caller. The queue does not know which process holds an
// invocation: whoever runs the processes kills one that times out.
type Queue struct {
	arn     string
	timeout time.Duration

	// work hands an invocation from its invoker to one Next caller.
	work chan *invocation

	mu       sync.Mutex
	inflight map[string]*invocation // by request id, from Invoke until finished
	initErr  *invoke.Result         // the last init error posted, until taken
}

// invocation is one invocation in the queue. Its fields after req are
// guarded by Queue.mu.
type invocation struct {
	req *invoke.Request
	// released receives a token when a Next caller gave the invocation back
	// (its context was done); the invoker then queues it again.
	released chan struct{}
	// done is closed when result is set.
	done chan struct{}

	assigned bool
	result   *invoke.Result
}

// NewQueue returns the queue of the function whose unqualified ARN is
// fnARN and whose timeout is timeout (used for requests without a deadline,
// and in the Sandbox.Timedout message).
func NewQueue(fnARN string, timeout time.Duration) *Queue {
	return &Queue{
		arn:      fnARN,
		timeout:  timeout,
		work:     make(chan *invocation),
		inflight: make(map[string]*invocation),
	}
}

// Invoke queues req for the function's runtimes and waits for its end. A
// missing request id, ARN, trace id or deadline is filled in (the deadline
// as now + the timeout). The result is the response on success, the posted
// error document (type from Lambda-Runtime-Function-Error-Type) on a function
// error, Function.ResponseSizeTooLarge for an oversize response, and
// Sandbox.Timedout when the deadline (or ctx's) passes first, whether or not
// a runtime had taken the invocation. If ctx is cancelled first, the
// invocation is withdrawn and ctx's error returned.
func (q *Queue) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	r := *req
	if r.RequestID == "" {
		r.RequestID = invoke.NewRequestID()
	}
	if r.InvokedFunctionARN == "" {
		r.InvokedFunctionARN = q.arn
	}
	if r.TraceID == "" {
		r.TraceID = invoke.NewTraceID() // some runtime clients fail without one
	}
	start := time.Now()
	if r.Deadline.IsZero() {
		r.Deadline = start.Add(q.timeout)
	}
	inv := &invocation{req: &r, released: make(chan struct{}, 1), done: make(chan struct{})}

	q.mu.Lock()
	if _, dup := q.inflight[r.RequestID]; dup {
		q.mu.Unlock()
		return nil, fmt.Errorf("invoke %s: request id %s already in progress", q.arn, r.RequestID)
	}
	q.inflight[r.RequestID] = inv
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.inflight, r.RequestID)
		q.mu.Unlock()
	}()

	ctx, cancel := context.WithDeadline(ctx, r.Deadline)
	defer cancel()
	for {
		select {
		case q.work <- inv:
		case <-ctx.Done():
			return q.abandon(ctx, inv, start)
		}
		select {
		case <-inv.done:
			return finished(inv, start), nil
		case <-inv.released:
			// given back by a runtime that hung up: queue it again
		case <-ctx.Done():
			return q.abandon(ctx, inv, start)
		}
	}
}

// abandon ends inv when ctx is done: Sandbox.Timedout at the deadline, ctx's
// error on cancellation. An answer posted in the meantime wins.
func (q *Queue) abandon(ctx context.Context, inv *invocation, start time.Time) (*invoke.Result, error) {
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	q.mu.Lock()
	won := inv.result == nil
	if won {
		if timedOut {
			inv.result = invoke.ErrorResult(invoke.Timeout, invoke.ErrTimeout,
				fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.req.RequestID, q.timeout.Seconds()))
		} else {
			inv.result = &invoke.Result{Kind: invoke.Crash} // finished, so later posts are refused
		}
		close(inv.done)
	}
	q.mu.Unlock()
	if won && !timedOut {
		return nil, fmt.Errorf("invoke %s: %w", q.arn, context.Cause(ctx))
	}
	return finished(inv, start), nil
}

// finished is the result of a finished invocation, with its duration.
func finished(inv *invocation, start time.Time) *invoke.Result {
	<-inv.done // the result is no longer written once done is closed
	res := *inv.result
	res.Duration = time.Since(start)
	return &res
}

// Next implements [runtimeapi.Runtime].
func (q *Queue) Next(ctx context.Context) (*invoke.Request, error) {
	select {
	case inv := <-q.work:
		q.mu.Lock()
		defer q.mu.Unlock()
		if ctx.Err() != nil {
			// Both were ready and the invocation won: give it back.
			inv.released <- struct{}{}
			return nil, ctx.Err()
		}
		inv.assigned = true
		return inv.req, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finish ends the assigned, unfinished invocation id with res, or returns
// InvalidRequestID.
func (q *Queue) finish(id string, res *invoke.Result) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	inv := q.inflight[id]
	if inv == nil || !inv.assigned || inv.result != nil {
		return runtimeapi.InvalidRequestID(id)
	}
	inv.result = res
	close(inv.done)
	return nil
}

// Respond implements [runtimeapi.Runtime]. A payload over invoke.MaxResponse fails the
// invocation with Function.ResponseSizeTooLarge.
func (q *Queue) Respond(requestID string, payload []byte) error {
	if len(payload) > invoke.MaxResponse {
		res := invoke.ErrorResult(invoke.ResponseTooLarge, invoke.ErrResponseTooLarge,
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", invoke.MaxResponse))
		if err := q.finish(requestID, res); err != nil {
			return err
		}
		return runtimeapi.ResponseTooLarge(-1)
	}
	return q.finish(requestID, &invoke.Result{Kind: invoke.Success, Payload: payload})
}

// Fail implements [runtimeapi.Runtime]. The invocation's answer is body when it is a
// JSON document, else an {"errorMessage","errorType"} document built from it.
func (q *Queue) Fail(requestID string, errType string, body []byte) error {
	return q.finish(requestID, errorDocument(invoke.FunctionError, errType, body))
}

// InitFail implements [runtimeapi.Runtime]: it keeps the error, as an invoke.Crash
// result with the posted type and document, for [Queue.TakeInitError].
// It fails no invocation: the runtime is expected to exit, and whoever runs
// it decides which invocation that fails.
func (q *Queue) InitFail(errType string, body []byte) error {
	res := errorDocument(invoke.Crash, errType, body)
	q.mu.Lock()
	q.initErr = res
	q.mu.Unlock()
	return nil
}

// TakeInitError returns the last init error posted since the previous call,
// or nil.
func (q *Queue) TakeInitError() *invoke.Result {
	q.mu.Lock()
	defer q.mu.Unlock()
	res := q.initErr
	q.initErr = nil
	return res
}

// errorDocument is the result of a posted error.
func errorDocument(kind invoke.Kind, errType string, body []byte) *invoke.Result {
	if errType == "" {
		errType = invoke.FunctionErrorUnhandled
	}
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "{") && json.Valid(body) {
		return &invoke.Result{Kind: kind, ErrorType: errType, Payload: body}
	}
	msg := trimmed
	if msg == "" {
		msg = errType
	}
	return invoke.ErrorResult(kind, errType, msg)
}

// Stream implements [runtimeapi.Streamer].
func (q *Queue) Stream(requestID string) (invoke.ResponseStream, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	inv := q.inflight[requestID]
	if inv == nil || !inv.assigned || inv.result != nil {
		return nil, runtimeapi.InvalidRequestID(requestID)
	}
	return inv.req.Stream, nil
}

// FinishStream implements [runtimeapi.Streamer].
func (q *Queue) FinishStream(requestID string, res *invoke.Result) error {
	return q.finish(requestID, res)
}
