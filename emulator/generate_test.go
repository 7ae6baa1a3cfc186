package emulator_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

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

// genRun runs fresco generate-event and fails the test unless it
// succeeds.
func genRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", append([]string{"generate-event"}, args...)...)
	if code != 0 {
		t.Fatalf("generate-event %q: exit %d\n%s", args, code, stderr)
	}
	return stdout
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

// TestGenerateEventListsAreCovered checks that the listings name exactly
// the events in the table above, so a new event cannot skip its tests.
func TestGenerateEventListsAreCovered(t *testing.T) {
	t.Parallel()
	var listed []string
	entry := regexp.MustCompile(`(?m)^  ([a-z0-9-]+) `)
	for _, m := range entry.FindAllStringSubmatch(genRun(t), -1) {
		for _, e := range entry.FindAllStringSubmatch(genRun(t, m[1]), -1) {
			listed = append(listed, m[1]+" "+e[1])
		}
	}
	var want []string
	for _, g := range genCases {
		want = append(want, g.service+" "+g.event)
	}
	if !reflect.DeepEqual(listed, want) {
		t.Errorf("listed events %q, tested %q", listed, want)
	}
}

// at returns the value at a dotted path such as Records.0.s3.bucket.name.
func genAt(t *testing.T, doc any, path string) any {
	t.Helper()
	v := doc
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				t.Fatalf("%s: no element %s in %v", path, k, x)
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestGenerateEventFlags(t *testing.T) {
	t.Parallel()
	type check struct {
		path string
		want any // a string, []any, nil, or a *regexp.Regexp the string matches
	}
	for _, tc := range []struct {
		name   string
		args   []string
		value  any
		checks []check
	}{
		{
			name:  "rest api",
			args:  []string{"apigateway", "aws-proxy", "--path", "/hello/ada", "--method", "put", "--body", "hi there", "--stage", "dev", "--resource", "/hello/{name}", "--query", "?a=1&a=2&b=3", "--region", "eu-west-1", "--account-id", "111122223333"},
			value: new(events.APIGatewayProxyRequest),
			checks: []check{
				{"path", "/hello/ada"},
				{"resource", "/hello/{name}"},
				{"httpMethod", "PUT"},
				{"body", "hi there"},
				{"headers.Content-Type", "text/plain; charset=utf-8"},
				{"multiValueHeaders.Content-Type", []any{"text/plain; charset=utf-8"}},
				{"pathParameters", map[string]any{"name": "ada"}},
				{"queryStringParameters", map[string]any{"a": "2", "b": "3"}},
				{"multiValueQueryStringParameters.a", []any{"1", "2"}},
				{"requestContext.path", "/dev/hello/ada"},
				{"requestContext.resourcePath", "/hello/{name}"},
				{"requestContext.httpMethod", "PUT"},
				{"requestContext.stage", "dev"},
				{"requestContext.accountId", "111122223333"},
				{"requestContext.domainName", regexp.MustCompile(`^[a-z0-9]{10}\.execute-api\.eu-west-1\.amazonaws\.com$`)},
				{"requestContext.requestId", regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)},
			},
		},
		{
			name:  "rest api defaults",
			args:  []string{"apigateway", "aws-proxy"},
			value: new(events.APIGatewayProxyRequest),
			checks: []check{
				{"path", "/path/to/resource"},
				{"httpMethod", "POST"},
				{"body", `{"message":"hello world"}`},
				{"headers.Content-Type", "application/json"},
				{"pathParameters", map[string]any{"proxy": "path/to/resource"}},
				{"queryStringParameters", nil},
				{"requestContext.path", "/prod/path/to/resource"},
				{"requestContext.requestTime", "14/Mar/2025:15:09:26 +0000"},
			},
		},
		{
			name:   "rest api GET has no default body",
			args:   []string{"apigateway", "aws-proxy", "--method", "GET", "--path", "/", "--resource", "/"},
			value:  new(events.APIGatewayProxyRequest),
			checks: []check{{"body", ""}, {"headers.Content-Type", nil}, {"pathParameters", nil}, {"requestContext.path", "/prod/"}},
		},
		{
			name:  "http api",
			args:  []string{"apigateway", "http-api-proxy", "--path", "/hello/ada", "--method", "PUT", "--body", `{"x":1}`, "--resource", "/hello/{name}"},
			value: new(events.APIGatewayV2HTTPRequest),
			checks: []check{
				{"version", "2.0"},
				{"routeKey", "PUT /hello/{name}"},
				{"rawPath", "/hello/ada"},
				{"body", `{"x":1}`},
				{"headers.content-length", "7"},
				{"headers.content-type", "application/json"},
				{"pathParameters", map[string]any{"name": "ada"}},
				{"requestContext.routeKey", "PUT /hello/{name}"},
				{"requestContext.stage", "$default"},
				{"requestContext.http.method", "PUT"},
				{"requestContext.http.path", "/hello/ada"},
			},
		},
		{
			name:  "http api named stage and $default route",
			args:  []string{"apigateway", "http-api-proxy", "--stage", "dev", "--resource", "$default", "--query", "a=1&a=2", "--method", "GET"},
			value: new(events.APIGatewayV2HTTPRequest),
			checks: []check{
				{"routeKey", "$default"},
				{"rawPath", "/dev/path/to/resource"},
				{"rawQueryString", "a=1&a=2"},
				{"queryStringParameters", map[string]any{"a": "1,2"}},
				{"pathParameters", nil},
				{"body", nil},
				{"requestContext.stage", "dev"},
				{"requestContext.http.path", "/dev/path/to/resource"},
			},
		},
		{
			name:  "http api greedy path",
			args:  []string{"apigateway", "http-api-proxy", "--path", "/files/a/b/c.txt", "--resource", "/files/{key+}"},
			value: new(events.APIGatewayV2HTTPRequest),
			checks: []check{
				{"pathParameters", map[string]any{"key": "a/b/c.txt"}},
				{"routeKey", "POST /files/{key+}"},
			},
		},
		{
			name:  "s3",
			args:  []string{"s3", "put", "--bucket", "my-photos", "--key", "holiday photos/beach+1.jpg", "--region", "eu-west-1", "--partition", "aws-cn"},
			value: new(events.S3Event),
			checks: []check{
				{"Records.0.s3.bucket.name", "my-photos"},
				{"Records.0.s3.bucket.arn", "arn:aws-cn:s3:::my-photos"},
				{"Records.0.s3.object.key", "holiday+photos/beach%2B1.jpg"},
				{"Records.0.s3.object.urlDecodedKey", "holiday photos/beach+1.jpg"},
				{"Records.0.awsRegion", "eu-west-1"},
				{"Records.0.eventName", "ObjectCreated:Put"},
				{"Records.0.eventTime", "2025-03-14T15:09:26.535Z"},
			},
		},
		{
			name:  "china region implies its partition",
			args:  []string{"s3", "put", "--region", "cn-northwest-1"},
			value: new(events.S3Event),
			checks: []check{
				{"Records.0.s3.bucket.arn", "arn:aws-cn:s3:::example-bucket"},
				{"Records.0.awsRegion", "cn-northwest-1"},
			},
		},
		{
			name:   "china api host",
			args:   []string{"apigateway", "aws-proxy", "--region", "cn-north-1"},
			value:  new(events.APIGatewayProxyRequest),
			checks: []check{{"requestContext.domainName", regexp.MustCompile(`\.execute-api\.cn-north-1\.amazonaws\.com\.cn$`)}},
		},
		{
			name:  "sqs",
			args:  []string{"sqs", "receive-message", "--queue-name", "orders", "--body", "hello", "--region", "eu-central-1", "--account-id", "111122223333", "--partition", "aws-us-gov"},
			value: new(events.SQSEvent),
			checks: []check{
				{"Records.0.body", "hello"},
				{"Records.0.md5OfBody", "5d41402abc4b2a76b9719d911017c592"},
				{"Records.0.eventSourceARN", "arn:aws-us-gov:sqs:eu-central-1:111122223333:orders"},
				{"Records.0.awsRegion", "eu-central-1"},
				{"Records.0.attributes.SentTimestamp", "1741964966535"},
				{"Records.0.attributes.MessageGroupId", nil},
			},
		},
		{
			name:  "sqs fifo",
			args:  []string{"sqs", "receive-message", "--queue-name", "orders.fifo"},
			value: new(events.SQSEvent),
			checks: []check{
				{"Records.0.eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:orders.fifo"},
				{"Records.0.attributes.MessageGroupId", "group-1"},
				{"Records.0.attributes.SequenceNumber", regexp.MustCompile(`^[0-9]{20}$`)},
			},
		},
		{
			name:  "sns",
			args:  []string{"sns", "notification", "--topic", "alerts", "--message", "disk full", "--subject", "Alarm", "--region", "ap-southeast-2"},
			value: new(events.SNSEvent),
			checks: []check{
				{"Records.0.Sns.TopicArn", "arn:aws:sns:ap-southeast-2:123456789012:alerts"},
				{"Records.0.Sns.Message", "disk full"},
				{"Records.0.Sns.Subject", "Alarm"},
				{"Records.0.EventSubscriptionArn", regexp.MustCompile(`^arn:aws:sns:ap-southeast-2:123456789012:alerts:[0-9a-f-]{36}$`)},
				{"Records.0.Sns.UnsubscribeUrl", regexp.MustCompile(`^https://sns\.ap-southeast-2\.amazonaws\.com/\?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:ap-southeast-2:123456789012:alerts:`)},
			},
		},
		{
			name:  "sns topic arn",
			args:  []string{"sns", "notification", "--topic", "arn:aws-cn:sns:cn-north-1:210987654321:Alerts"},
			value: new(events.SNSEvent),
			checks: []check{
				{"Records.0.Sns.TopicArn", "arn:aws-cn:sns:cn-north-1:210987654321:Alerts"},
				{"Records.0.Sns.SigningCertUrl", regexp.MustCompile(`^https://sns\.cn-north-1\.amazonaws\.com\.cn/SimpleNotificationService-[0-9a-f]{32}\.pem$`)},
			},
		},
		{
			name:  "dynamodb",
			args:  []string{"dynamodb", "update", "--region", "us-west-2", "--partition", "aws-us-gov"},
			value: new(events.DynamoDBEvent),
			checks: []check{
				{"Records.0.awsRegion", "us-west-2"},
				{"Records.0.eventName", "INSERT"},
				{"Records.1.eventName", "MODIFY"},
				{"Records.2.eventName", "REMOVE"},
				{"Records.2.eventSourceARN", regexp.MustCompile(`^arn:aws-us-gov:dynamodb:us-west-2:123456789012:table/Orders/stream/`)},
			},
		},
		{
			name:  "scheduled event",
			args:  []string{"cloudwatch", "scheduled-event", "--region", "eu-north-1", "--account-id", "111122223333", "--rule", "Nightly"},
			value: new(events.CloudWatchEvent),
			checks: []check{
				{"region", "eu-north-1"},
				{"account", "111122223333"},
				{"resources", []any{"arn:aws:events:eu-north-1:111122223333:rule/Nightly"}},
				{"detail-type", "Scheduled Event"},
				{"time", "2025-03-14T15:09:00Z"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := genRun(t, tc.args...)
			genRoundTrip(t, out, tc.value)
			doc := genDecode(t, []byte(out))
			for _, c := range tc.checks {
				got := genAt(t, doc, c.path)
				if re, ok := c.want.(*regexp.Regexp); ok {
					if s, _ := got.(string); !re.MatchString(s) {
						t.Errorf("%s = %#v, want a match for %s", c.path, got, re)
					}
				} else if !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.path, got, c.want)
				}
			}
		})
	}
}

func TestGenerateEventIDsFollowFlags(t *testing.T) {
	t.Parallel()
	id := func(body string) any {
		return genAt(t, genDecode(t, []byte(genRun(t, "sqs", "receive-message", "--body", body))), "Records.0.messageId")
	}
	if a, b := id("one"), id("two"); a == b {
		t.Errorf("messages with other bodies share the id %v", a)
	}
	// eventbridge is another name for cloudwatch's events.
	if a, b := genRun(t, "eventbridge", "scheduled-event"), genRun(t, "cloudwatch", "scheduled-event"); a != b {
		t.Errorf("eventbridge and cloudwatch scheduled events differ:\n%s\n%s", a, b)
	}
}

func TestGenerateEventUsage(t *testing.T) {
	t.Parallel()
	services := "alb, apigateway, cloudwatch, cognito-idp, dynamodb, eventbridge, kinesis, s3, sns, sqs"
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string
	}{
		{"list services", []string{}, 0, []string{"Services:", "apigateway ", "s3 ", "sqs ", "sns ", "dynamodb ", "cloudwatch ", "eventbridge "}, nil},
		{"help lists services", []string{"--help"}, 0, []string{"Usage: fresco generate-event SERVICE EVENT", "apigateway "}, nil},
		{"list events", []string{"apigateway"}, 0, []string{"aws-proxy ", "http-api-proxy "}, nil},
		{"service help lists events", []string{"s3", "-h"}, 0, []string{"Usage: fresco generate-event s3 EVENT", "put "}, nil},
		{"event help lists flags", []string{"s3", "put", "--help"}, 0, nil, []string{"Usage: fresco generate-event s3 put", "-bucket", "-key", "-region", "-partition"}},
		{"api flags", []string{"apigateway", "aws-proxy", "-h"}, 0, nil, []string{"-path", "-method", "-body", "-stage", "-resource"}},
		{"sqs flags", []string{"sqs", "receive-message", "-h"}, 0, nil, []string{"-queue-name", "-body", "-count", "-region"}},
		{"kinesis flags", []string{"kinesis", "get-records", "-h"}, 0, nil, []string{"-stream", "-partition-key", "-data", "-sequence", "-count"}},
		{"bad kinesis data", []string{"kinesis", "get-records", "--stream", "a b"}, 2, nil, []string{`bad --stream "a b"`}},
		{"bad count", []string{"sqs", "receive-message", "--count", "0"}, 2, nil, []string{"bad --count 0"}},
		{"sns flags", []string{"sns", "notification", "-h"}, 0, nil, []string{"-topic", "-message", "-subject", "-region"}},
		{"unknown service", []string{"lex"}, 2, nil, []string{`unknown service "lex" (services: ` + services + ")"}},
		{"unknown event", []string{"s3", "get"}, 2, nil, []string{`unknown s3 event "get" (events: delete, put)`}},
		{"flags before service", []string{"--bucket", "b"}, 2, nil, []string{"takes SERVICE EVENT before flags (services: " + services}},
		{"flags before event", []string{"apigateway", "--path", "/"}, 2, nil, []string{"(events: authorizer, aws-proxy, http-api-authorizer, http-api-proxy, request-authorizer)"}},
		{"unknown flag", []string{"s3", "put", "--queue-name", "q"}, 2, nil, []string{"flag provided but not defined: -queue-name"}},
		{"extra argument", []string{"s3", "put", "more"}, 2, nil, []string{`takes no more arguments, got ["more"]`}},
		{"bad bucket", []string{"s3", "put", "--bucket", "Bad_Bucket"}, 2, nil, []string{`bad --bucket "Bad_Bucket"`}},
		{"bad region", []string{"sqs", "receive-message", "--region", "moon"}, 2, nil, []string{`bad --region "moon"`}},
		{"bad account", []string{"dynamodb", "update", "--account-id", "12"}, 2, nil, []string{`bad --account-id "12"`}},
		{"bad path", []string{"apigateway", "aws-proxy", "--path", "hello"}, 2, nil, []string{`bad --path "hello"`}},
		{"path outside resource", []string{"apigateway", "aws-proxy", "--path", "/a/b", "--resource", "/c/{id}"}, 2, nil, []string{`--path "/a/b" does not match --resource "/c/{id}"`}},
		{"greedy needs a segment", []string{"apigateway", "http-api-proxy", "--path", "/files/", "--resource", "/files/{key+}"}, 2, nil, []string{"does not match"}},
		{"$default stage on rest", []string{"apigateway", "aws-proxy", "--stage", "$default"}, 2, nil, []string{`bad --stage "$default"`}},
		{"topic arn against region", []string{"sns", "notification", "--topic", "arn:aws:sns:us-east-1:123456789012:T", "--region", "eu-west-1"}, 2, nil, []string{`--region "eu-west-1" contradicts --topic`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, "", append([]string{"generate-event"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if tc.code != 0 && stdout != "" {
				t.Errorf("a failure printed to stdout:\n%s", stdout)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	if _, stdout, _ := runCLI(t, "", "--help"); !strings.Contains(stdout, "generate-event SERVICE EVENT") {
		t.Errorf("fresco --help does not mention generate-event:\n%s", stdout)
	}
}

// TestGenerateEventIntoEcho pipes a generated event into the Echo sample
// through fresco invoke -e -, which must hand it back byte for byte.
func TestGenerateEventIntoEcho(t *testing.T) {
	event := genRun(t, "apigateway", "aws-proxy", "--path", "/echo", "--body", "caf\u00e9 & <tags>")
	code, stdout, stderr := runCLI(t, event, "invoke", "Echo", "-e", "-", "-t", filepath.Join("..", "template.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if stdout != event {
		t.Fatalf("Echo returned\n%s\nwant\n%s", stdout, event)
	}
}
