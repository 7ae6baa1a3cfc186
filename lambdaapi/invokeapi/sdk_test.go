package invokeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"

	"github.com/frescolabs/fresco/internal/invoke"
)

// newSDKClient starts the handler on a test server and returns the real
// aws-sdk-go-v2 Lambda client pointed at it. The aws.Config is built by hand,
// not loaded, so that no environment variable or ~/.aws file can change the
// test; retries are off so that each call is one request.
func newSDKClient(t *testing.T) (*lambda.Client, *fakeBackend, map[string]*fakeFunction, *pathLog) {
	t.Helper()
	b, fns := testFunctions()
	paths := &pathLog{}
	h := NewHandler(b, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.add(r.URL.EscapedPath())
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFRESCO", "secret", ""),
		HTTPClient:  srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	return client, b, fns, paths
}

// pathLog records the escaped paths the SDK sent.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathLog) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paths = append(p.paths, s)
}

func (p *pathLog) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[len(p.paths)-1]
}

func TestSDKInvoke(t *testing.T) {
	t.Parallel()
	client, b, fns, paths := newSDKClient(t)
	ctx := context.Background()

	t.Run("success", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("Hello"),
			Payload:      []byte(`{"name":"sdk"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 200 || string(out.Payload) != `{"name":"sdk"}` || aws.ToString(out.ExecutedVersion) != "$LATEST" ||
			out.FunctionError != nil || out.LogResult != nil {
			t.Errorf("out = %+v", out)
		}
	})

	t.Run("names the SDK percent-encodes", func(t *testing.T) {
		for _, tt := range []struct {
			name, qualifier string
			want            lookupCall
			wantVersion     string
		}{
			{"Hello:$LATEST", "", lookupCall{Name: "Hello", Qualifier: "$LATEST"}, "$LATEST"},
			{"arn:aws:lambda:us-east-1:123456789012:function:Hello:live", "", lookupCall{Name: "Hello", Qualifier: "live"}, "1"},
			{"123456789012:function:Hello", "1", lookupCall{Name: "Hello", Qualifier: "1"}, "1"},
		} {
			var q *string
			if tt.qualifier != "" {
				q = aws.String(tt.qualifier)
			}
			out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tt.name), Qualifier: q})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !strings.Contains(paths.last(), "%3A") {
				t.Errorf("%s: the SDK sent %s, not percent-encoded", tt.name, paths.last())
			}
			if b.LastLookup() != tt.want || aws.ToString(out.ExecutedVersion) != tt.wantVersion {
				t.Errorf("%s: Lookup%+v, version %q", tt.name, b.LastLookup(), aws.ToString(out.ExecutedVersion))
			}
		}
	})

	t.Run("empty payload", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello")})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Payload) != "{}" {
			t.Errorf("payload = %q", out.Payload)
		}
	})

	t.Run("function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Fail")})
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" ||
			!strings.Contains(string(out.Payload), `"errorType":"Handler.Error"`) {
			t.Errorf("out = %+v, payload %s", out, out.Payload)
		}
	})

	t.Run("log tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Noisy"), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatal(err)
		}
		log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil || !bytes.Equal(log, bigLog[len(bigLog)-4096:]) {
			t.Errorf("LogResult decodes to %d bytes (%v)", len(log), err)
		}
	})

	t.Run("client context", func(t *testing.T) {
		const doc = `{"custom":{"from":"sdk"}}`
		_, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:  aws.String("Hello"),
			ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(doc))),
		})
		if err != nil {
			t.Fatal(err)
		}
		calls := fns["Hello"].SyncCalls()
		if got := string(calls[len(calls)-1].ClientContext); got != doc {
			t.Errorf("ClientContext = %q", got)
		}
	})

	t.Run("Event and DryRun", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`1`)})
		if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
			t.Errorf("Event: %+v, %v", out, err)
		}
		out, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("Hello"), InvocationType: types.InvocationTypeDryRun})
		if err != nil || out.StatusCode != 204 {
			t.Errorf("DryRun: %+v, %v", out, err)
		}
		if n := len(fns["Hello"].AsyncCalls()); n != 1 {
			t.Errorf("%d asynchronous invocations, want 1", n)
		}
	})
}

// TestSDKErrors proves that the wire shapes of service errors map to the
// SDK's typed errors, messages included.
func TestSDKErrors(t *testing.T) {
	t.Parallel()
	client, _, _, _ := newSDKClient(t)
	ctx := context.Background()
	tests := []struct {
		name        string
		in          *lambda.InvokeInput
		target      any // pointer to the typed error
		wantCode    string
		wantMessage string
	}{
		{"not found", &lambda.InvokeInput{FunctionName: aws.String("Nope")},
			new(*types.ResourceNotFoundException), "ResourceNotFoundException", "Function not found: " + testARNPrefix + "Nope"},
		{"unknown qualifier", &lambda.InvokeInput{FunctionName: aws.String("Hello"), Qualifier: aws.String("prod")},
			new(*types.ResourceNotFoundException), "ResourceNotFoundException", "Function not found"},
		{"too large", &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: bytes.Repeat([]byte(" "), invoke.MaxSyncRequest+1)},
			new(*types.RequestTooLargeException), "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"too large for Event", &lambda.InvokeInput{FunctionName: aws.String("Hello"), InvocationType: types.InvocationTypeEvent, Payload: bytes.Repeat([]byte(" "), invoke.MaxAsyncRequest+1)},
			new(*types.RequestTooLargeException), "RequestTooLargeException", "too large for the Event invocation type"},
		{"invalid JSON", &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: []byte("not json")},
			new(*types.InvalidRequestContentException), "InvalidRequestContentException", "Could not parse request body into json"},
		{"invalid client context", &lambda.InvokeInput{FunctionName: aws.String("Hello"), ClientContext: aws.String("!!")},
			new(*types.InvalidRequestContentException), "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object."},
		{"throttled", &lambda.InvokeInput{FunctionName: aws.String("Throttled")},
			new(*types.TooManyRequestsException), "TooManyRequestsException", "Rate Exceeded."},
		{"qualifier mismatch", &lambda.InvokeInput{FunctionName: aws.String("Hello:live"), Qualifier: aws.String("1")},
			new(*types.InvalidParameterValueException), "InvalidParameterValueException", "The derived qualifier"},
		{"bad name", &lambda.InvokeInput{FunctionName: aws.String("no spaces")},
			new(*types.InvalidParameterValueException), "InvalidParameterValueException", "1 validation error detected"},
		{"service failure", &lambda.InvokeInput{FunctionName: aws.String("Broken")},
			new(*types.ServiceException), "ServiceException", "An internal error occurred."},
		{"panic", &lambda.InvokeInput{FunctionName: aws.String("Panics")},
			new(*types.ServiceException), "ServiceException", "An internal error occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client.Invoke(ctx, tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tt.target) {
				t.Fatalf("error %T %v is not a %T", errors.Unwrap(err), err, tt.target)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not a smithy.APIError", err)
			}
			if apiErr.ErrorCode() != tt.wantCode || !strings.Contains(apiErr.ErrorMessage(), tt.wantMessage) {
				t.Errorf("code %q message %q; want %q containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.wantCode, tt.wantMessage)
			}
		})
	}
}
