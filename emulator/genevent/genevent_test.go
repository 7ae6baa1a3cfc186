package genevent_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/emulator/genevent"
)

var genUpdate = flag.Bool("update-generate", false, "rewrite testdata's golden events")

// genCases lists every SERVICE EVENT of generate-event with the
// aws-lambda-go type its events decode into.
var genCases = []struct {
	service, event string
	newValue       func() any
}{
	{"alb", "request", func() any { return new(events.ALBTargetGroupRequest) }},
	{"apigateway", "authorizer", func() any { return new(events.APIGatewayCustomAuthorizerRequest) }},
	{"apigateway", "aws-proxy", func() any { return new(events.APIGatewayProxyRequest) }},
	{"apigateway", "http-api-authorizer", func() any { return new(events.APIGatewayV2CustomAuthorizerV2Request) }},
	{"apigateway", "http-api-proxy", func() any { return new(events.APIGatewayV2HTTPRequest) }},
	{"apigateway", "request-authorizer", func() any { return new(events.APIGatewayCustomAuthorizerRequestTypeRequest) }},
	{"cloudwatch", "logs", func() any { return new(events.CloudwatchLogsEvent) }},
	{"cloudwatch", "scheduled-event", func() any { return new(events.CloudWatchEvent) }},
	{"cognito-idp", "post-confirmation", func() any { return new(events.CognitoEventUserPoolsPostConfirmation) }},
	{"cognito-idp", "pre-signup", func() any { return new(events.CognitoEventUserPoolsPreSignup) }},
	{"cognito-idp", "pre-token-generation", func() any { return new(events.CognitoEventUserPoolsPreTokenGen) }},
	{"dynamodb", "update", func() any { return new(events.DynamoDBEvent) }},
	{"eventbridge", "scheduled-event", func() any { return new(events.EventBridgeEvent) }},
	{"kinesis", "get-records", func() any { return new(events.KinesisEvent) }},
	{"kinesis", "kinesis-firehose", func() any { return new(events.KinesisFirehoseEvent) }},
	{"s3", "delete", func() any { return new(events.S3Event) }},
	{"s3", "put", func() any { return new(events.S3Event) }},
	{"sns", "notification", func() any { return new(events.SNSEvent) }},
	{"sqs", "receive-message", func() any { return new(events.SQSEvent) }},
}

// genSample prints the event of service and event with its default flags,
// as fresco generate-event SERVICE EVENT does.
func genSample(t *testing.T, service, event string) string {
	t.Helper()
	svc, ok := genevent.LookupService(service)
	if !ok {
		t.Fatalf("no service %s", service)
	}
	ev, ok := svc.Lookup(event)
	if !ok {
		t.Fatalf("no event %s %s", service, event)
	}
	fs := flag.NewFlagSet(event, flag.ContinueOnError)
	s := ev.NewSample(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	out, err := s.JSON()
	if err != nil {
		t.Fatalf("%s %s: %v", service, event, err)
	}
	return string(out)
}

// decodeJSON decodes data into a generic value, numbers kept exact.
func genDecode(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

// roundTrip decodes out into v with unknown fields disallowed and checks
// that v encodes back to the same JSON.
func genRoundTrip(t *testing.T, out string, v any) {
	t.Helper()
	if !json.Valid([]byte(out)) {
		t.Fatalf("not valid JSON:\n%s", out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode into %T: %v\n%s", v, err, out)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	if got, want := genDecode(t, again), genDecode(t, []byte(out)); !reflect.DeepEqual(got, want) {
		t.Fatalf("%T loses data:\ngenerated: %s\nre-encoded: %s", v, out, again)
	}
}

func TestGenerateEventRoundTrip(t *testing.T) {
	t.Parallel()
	for _, g := range genCases {
		t.Run(g.service+"/"+g.event, func(t *testing.T) {
			t.Parallel()
			out := genSample(t, g.service, g.event)
			if !strings.HasPrefix(out, "{\n  \"") || !strings.HasSuffix(out, "}\n") {
				t.Errorf("want indented JSON ending in a newline, got:\n%s", out)
			}
			genRoundTrip(t, out, g.newValue())
			if again := genSample(t, g.service, g.event); again != out {
				t.Errorf("output is not deterministic:\n%s\nthen\n%s", out, again)
			}
			golden := filepath.Join("testdata", g.service+"-"+g.event+".json")
			if *genUpdate {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./emulator/genevent -update-generate)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (rerun with -update-generate if intended):\n%s", golden, out)
			}
		})
	}
}

// TestGenerateEventCasesCoverServices checks that genCases names exactly
// the events of Services, so a new event cannot skip its tests.
func TestGenerateEventCasesCoverServices(t *testing.T) {
	t.Parallel()
	var listed, tested []string
	for _, s := range genevent.Services {
		for _, e := range s.Events {
			listed = append(listed, s.Name+" "+e.Name)
		}
	}
	for _, g := range genCases {
		tested = append(tested, g.service+" "+g.event)
	}
	if !reflect.DeepEqual(listed, tested) {
		t.Errorf("Services has %q, genCases %q", listed, tested)
	}
}
